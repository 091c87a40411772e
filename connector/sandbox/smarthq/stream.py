"""The Event Stream WebSocket (smarthq-api.md §3), at the URL ``GET /v2/websocket`` hands
out (it carries the access token as ``access_token``).

Served by werkzeug's threaded server through ``simple-websocket``: each socket owns a
request thread, which alone writes to it; events reach it through its listener's
queue. The protocol: the server sends ``websocket#connect``; the client sends
``websocket#pubsub`` (account-wide, or with ``deviceId``) and gets an ack, sends
``websocket#ping`` and gets ``websocket#pong`` with the same ``id``, and may call the
API with ``websocket#api``. The server closes the socket (1008 "Access token expired")
when the token in its URL expires, after ``ws_idle_timeout`` seconds without a client
message (1001), and when a knob drops it. Close codes and reasons are ours: the
document does not give them.
"""
from __future__ import annotations

import json
import random
import socket
import time

from flask import Blueprint, Response, current_app, jsonify, request
from simple_websocket import ConnectionClosed, Server

from .errors import ApiError
from .events import FLAGS, Listener, flags_of
from .recording import RecordedRequest, mask_headers, mask_params

bp = Blueprint("smarthq_stream", __name__)

POLL = 0.02  # how often a socket thread looks at its queue and deadlines
EXPIRED = (1008, "Access token expired")
IDLE = (1001, "Idle timeout")


def cloud():
    return current_app.extensions["smarthq_sim"]


def _record(status: int, reason: str | None = None) -> None:
    cloud().record(RecordedRequest(
        method=request.method, path=request.path, query=mask_params(request.args.to_dict()),
        headers=mask_headers(request.headers), body=None, status=status, reason=reason,
        at=time.time()))


@bp.route("/v2/events", websocket=True, endpoint="socket")
def event_socket():
    listener = cloud().open_socket(request.args.get("access_token", ""))
    if listener is None:
        _record(401, "Invalid or expired access token")
        return jsonify(ApiError(401, "Invalid or expired access token").body()), 401
    _record(101)
    try:
        ws = Server(request.environ)
    except Exception:
        cloud().close_socket(listener)
        raise
    try:
        Session(ws, listener).run()
    finally:
        cloud().close_socket(listener)
    return Response()  # werkzeug wants a response; the socket is already gone



class Session:
    """One open socket: answer the client, forward events, enforce the deadlines."""

    def __init__(self, ws: Server, listener: Listener):
        self.ws, self.listener, self.cloud = ws, listener, cloud()
        self.app = current_app._get_current_object()
        self.last_heard = time.monotonic()
        mean = self.cloud.random_drop_seconds
        self.drop_at = time.monotonic() + random.expovariate(1 / mean) if mean else None

    def send(self, message: dict) -> None:
        self.ws.send(json.dumps(message))

    def run(self) -> None:
        try:
            self.send({"kind": "websocket#connect", "success": True})
            while self.ws.connected:
                text = self.ws.receive(timeout=POLL)
                if text is not None:
                    self.last_heard = time.monotonic()
                    self.on_message(text)
                self.flush()
                if self.should_stop():
                    return
        except (ConnectionClosed, OSError):
            return

    def flush(self) -> None:
        with self.cloud.lock:
            pending = list(self.listener.queue)
            self.listener.queue.clear()
        for event in pending:
            self.send(event)

    def should_stop(self) -> bool:
        request_ = self.listener.close_request
        if request_ is not None:
            code, reason, abrupt = request_
            self.abort() if abrupt else self.ws.close(code, reason)
            return True
        if not self.cloud.socket_token_live(self.listener):
            self.ws.close(*EXPIRED)
            return True
        idle = self.cloud.ws_idle_timeout
        if idle and time.monotonic() - self.last_heard > idle:
            self.ws.close(*IDLE)
            return True
        if self.drop_at is not None and time.monotonic() >= self.drop_at:
            self.abort()
            return True
        return False

    def abort(self) -> None:
        """Drop the connection without a close frame, as a network failure would."""
        try:
            self.ws.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # -- client messages -------------------------------------------------------------------

    def on_message(self, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            message = None
        self.cloud.record_socket_message(self.listener, message if isinstance(message, dict)
                                         else {"raw": text})
        if not isinstance(message, dict):
            return  # the document defines no error message; the recording shows it
        kind = message.get("kind")
        if kind == "websocket#ping":
            self.send({"kind": "websocket#pong", "id": message.get("id")})
        elif kind == "websocket#pubsub":
            self.send(self.subscribe(message))
        elif kind == "websocket#api":
            self.send(self.call_api(message))

    def subscribe(self, message: dict) -> dict:
        device_id = message.get("deviceId")
        with self.cloud.lock:
            if device_id is None:
                self.listener.account = flags_of(message) if message.get("pubsub") is True else None
                return {"kind": "websocket#pubsub", "success": True}
            user = next((u for u in self.cloud.users.values()
                         if u.user_id == self.listener.user_id), None)
            if user is None or device_id not in user.devices:
                return {"kind": "websocket#pubsub", "success": False, "deviceId": device_id}
            flags = flags_of(message)
            if message.get("pubsub") is False or not any(flags[f] for f in FLAGS):
                self.listener.devices.pop(device_id, None)
            else:
                self.listener.devices[device_id] = flags
            return {"kind": "websocket#pubsub", "success": True, "deviceId": device_id}

    def call_api(self, message: dict) -> dict:
        """Run ``{"method","path","body"}`` through the REST API with the socket's token."""
        from .app import API_PREFIX
        path = message.get("path") or ""
        if not isinstance(path, str) or not path.startswith("/v2/"):
            return {"kind": "websocket#api", "id": message.get("id"), "code": 400,
                    "body": ApiError(400, "path must start with /v2/").body()}
        client = self.app.test_client()
        response = client.open(API_PREFIX + path, method=str(message.get("method", "GET")).upper(),
                               headers={"Authorization": f"Bearer {self.listener.token}"},
                               json=message.get("body") if "body" in message else None)
        body = response.get_json(silent=True) if response.data else None
        return {"kind": "websocket#api", "id": message.get("id"), "code": response.status_code,
                "body": body}
