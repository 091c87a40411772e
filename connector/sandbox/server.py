"""Serve a WSGI app on a loopback address from a background thread.

Used by the simulated clouds, the tests, the benchmarks and ``connector sandbox``.
Stopping also closes kept-alive connections (their handler threads would otherwise go
on serving), and a stopped server starts again on the same port, so stop/start is an
outage that clients recover from without new URLs.
"""
from __future__ import annotations

import ipaddress
import socket
import threading

from werkzeug.serving import WSGIRequestHandler, make_server

POLL_SECONDS = 0.02  # how soon serve_forever notices stop()


class _Handler(WSGIRequestHandler):
    """No access log line per request, and every connection tracked for stop()."""

    def log_request(self, code="-", size="-"):
        pass

    def setup(self):
        super().setup()
        with self.server.connections_lock:
            self.server.open_connections.add(self.connection)

    def finish(self):
        with self.server.connections_lock:
            self.server.open_connections.discard(self.connection)
        super().finish()


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ServerThread:
    """A threaded werkzeug server on an ephemeral (or given) loopback port."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0, name: str = "server"):
        if not is_loopback(host):
            raise ValueError("simulated services only listen on loopback addresses")
        self.app, self.host, self.port, self.name = app, host, port, name
        self._server = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> "ServerThread":
        if self._server is not None:
            return self
        server = make_server(self.host, self.port, self.app, threaded=True, request_handler=_Handler)
        server.open_connections, server.connections_lock = set(), threading.Lock()
        self._server, self.port = server, server.server_port
        self._thread = threading.Thread(target=server.serve_forever, args=(POLL_SECONDS,),
                                        name=f"{self.name}:{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        with server.connections_lock:
            connections = list(server.open_connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> "ServerThread":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
