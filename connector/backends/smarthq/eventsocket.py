"""One Event Stream WebSocket, on the ``websocket-client`` library.

Why websocket-client rather than simple-websocket's ``Client``: it is synchronous —
frames are read in the calling thread, so a socket costs no reader thread of its own
and there is no hand-over between threads; it reads the handshake answer byte by byte,
so a first message that arrives in the same packet as the handshake stays in the
socket for the frame reader (simple-websocket's client holds such a message back until
more data arrives); a read that times out resumes where it stopped; and ``abort`` wakes
a blocked read from another thread, which is how a listener stops at once. It is a
widely used, maintained library with no dependencies of its own.

The URL embeds the access token (smarthq-api.md §2.5): it is never logged, and error
texts are scrubbed before they leave this module.
"""
from __future__ import annotations

import json
import struct

import websocket

from connector.backends.smarthq import event_mapping
from connector.backends.smarthq.errors import scrub

MIN_WAIT = 0.001  # a zero timeout would make the socket non-blocking


class SocketClosed(Exception):
    """The socket ended: ``code`` is the close frame's status, None without one."""

    def __init__(self, code: int | None, reason: str = ""):
        super().__init__(f"socket closed ({code if code is not None else 'no close frame'})"
                         + (f": {reason}" if reason else ""))
        self.code = code
        self.reason = reason


class SocketRefused(SocketClosed):
    """The handshake was answered with an HTTP error (``status``), e.g. 401 for a token
    that expired between ``GET /v2/websocket`` and the connect."""

    def __init__(self, status: int | None):
        super().__init__(None, f"handshake refused with HTTP {status}")
        self.status = status


class EventSocket:
    """A connected Event Stream socket exchanging JSON objects."""

    def __init__(self, url: str, *, timeout: float):
        try:
            self._ws = websocket.create_connection(url, timeout=timeout, enable_multithread=True)
        except websocket.WebSocketBadStatusException as exc:
            raise SocketRefused(exc.status_code) from None
        except (websocket.WebSocketException, OSError) as exc:
            raise SocketClosed(None, scrub(f"connect failed: {type(exc).__name__}: {exc}")) from None

    def send(self, message: dict) -> None:
        try:
            self._ws.send(json.dumps(message))
        except (websocket.WebSocketException, OSError) as exc:
            raise SocketClosed(None, f"send failed: {type(exc).__name__}") from None

    def receive(self, timeout: float) -> dict | None:
        """The next message (``{}`` if it was not a JSON object), or None if none came
        within ``timeout`` seconds. Raises SocketClosed when the socket ends."""
        try:
            self._ws.settimeout(max(MIN_WAIT, timeout))
            opcode, data = self._ws.recv_data()
        except websocket.WebSocketTimeoutException:
            return None
        except (websocket.WebSocketException, OSError, AttributeError) as exc:
            # AttributeError: abort() from another thread cleared the socket under us.
            raise SocketClosed(None, type(exc).__name__) from None
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            code = struct.unpack("!H", data[:2])[0] if len(data) >= 2 else None
            raise SocketClosed(code, data[2:].decode("utf-8", "replace"))
        return event_mapping.decode(data)

    def abort(self) -> None:
        """Wake a blocked ``receive`` from another thread; the socket is dead after."""
        self._ws.abort()

    def close(self) -> None:
        try:
            self._ws.close(timeout=1)
        except (websocket.WebSocketException, OSError):
            pass
        finally:
            self._ws.shutdown()
