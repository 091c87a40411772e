"""HTTP face of the simulated SmartThings cloud: token endpoint and callback receiver.

``POST /oauth/token``    accessTokenRequest / refreshAccessTokens → accessTokenResponse
``POST /device/events``  stateCallback and discoveryCallback (one URL, as in §2.8)
``/__sim/…``             admin API for other processes (:mod:`.smartthings_admin`)

HTTP statuses (the protocol notes only say non-2xx is an error and 401 means "refresh"):

* 200 and an accessTokenResponse / echoed headers when accepted;
* 400 + globalError for anything the sender must fix: malformed envelope or body
  (BAD-REQUEST), bad code (INVALID-CODE), bad refresh token (INVALID-TOKEN), unknown
  grant type (UNSUPPORTED-GRANT-TYPE);
* 401 + globalError for bad credentials: wrong client id or secret on the token
  endpoint (INVALID-CLIENT, INVALID-CLIENT-SECRET), a missing, unknown or expired
  callback access token (INVALID-TOKEN, TOKEN-EXPIRED);
* whatever a fault knob says (401/429/500/503…), and 503 for everything while down.

A callback's envelope is checked before its token (SmartThings answers a body without
headers with "Invalid or unspecified schema" whatever it carries), its token before its
content.
"""
from __future__ import annotations

import time
import uuid

from flask import Flask, Response, jsonify, request
from markupsafe import escape

from connector.model import GlobalErrorEnum

from .smartthings_admin import admin_blueprint
from .smartthings_cloud import CALLBACK, TOKEN, Refused, SmartThingsCloud
from .smartthings_validate import (
    CALLBACK_TYPES,
    REQUEST_ID_RE,
    SCHEMA,
    STATE_CALLBACK,
    TOKEN_REQUEST_TYPES,
    VERSION,
    callback_problems,
    header_problems,
)

TOKEN_PATH = "/oauth/token"
EVENTS_PATH = "/device/events"
ADMIN_PREFIX = "/__sim/"
ACCESS_TOKEN_RESPONSE = "accessTokenResponse"
MAX_DETAIL = 256  # globalError.detail we send; long lists of problems are cut here

_TARGETS = {TOKEN_PATH: TOKEN, EVENTS_PATH: CALLBACK}


class BadRequest(Refused):
    """400 BAD-REQUEST naming every problem found."""

    def __init__(self, problems: list[str]):
        super().__init__(400, GlobalErrorEnum.BAD_REQUEST, "; ".join(problems))
        self.problems = problems


OAUTH_CALLBACK_PATH = "/oauth/callback"


def callback_urls(base_url: str) -> dict[str, str]:
    """The ``callbackUrls`` SmartThings puts in grantCallbackAccess for this cloud."""
    base = base_url.rstrip("/")
    return {"oauthToken": base + TOKEN_PATH, "stateCallback": base + EVENTS_PATH}


def create_app(cloud: SmartThingsCloud) -> Flask:
    app = Flask(__name__)
    app.extensions["smartthings_cloud"] = cloud
    app.register_blueprint(admin_blueprint(cloud, callback_urls))

    @app.before_request
    def infrastructure():
        # Faults sit in front of the service, like a load balancer or rate limiter.
        if request.path.startswith(ADMIN_PREFIX):
            return None
        if cloud.is_down:
            cloud.note_down_refusal()
            return Response("Service Unavailable", 503, mimetype="text/plain")
        target = _TARGETS.get(request.path)
        if target is None:
            return None
        delay = cloud.latency(target)
        if delay:
            time.sleep(delay)
        fault = cloud.take_fault(target)
        return None if fault is None else _fault_response(*fault)

    @app.post(TOKEN_PATH)
    def token():
        payload = _payload()
        try:
            body = _envelope(payload, TOKEN_REQUEST_TYPES)
            credentials = body.get("callbackAuthentication")
            if not isinstance(credentials, dict):
                raise BadRequest(["callbackAuthentication: required, must be an object"])
            granted = cloud.issue_tokens(credentials, body["headers"]["interactionType"])
        except Refused as exc:
            cloud.note_rejection(TOKEN, exc, payload, getattr(exc, "problems", None))
            return _error(exc, payload, ACCESS_TOKEN_RESPONSE)
        answer = {"headers": _headers(ACCESS_TOKEN_RESPONSE, payload),
                  "callbackAuthentication": granted}
        response = jsonify(answer)
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.get(OAUTH_CALLBACK_PATH)
    def oauth_callback():
        # Where SmartThings' OAuth client lands after account linking: the sandbox shows
        # the code so a newcomer can exchange it by hand (never a production path).
        args = {k: v for k, v in request.args.items() if k in ("code", "state", "error")}
        lines = "".join(f"<p><b>{escape(k)}</b>: <code>{escape(v)}</code></p>" for k, v in args.items())
        return Response("<!doctype html><title>SmartThings (simulated)</title>"
                        "<h1>Back at SmartThings (simulated)</h1>" + lines, mimetype="text/html")

    @app.post(EVENTS_PATH)
    def device_events():
        payload = _payload()
        try:
            body = _envelope(payload, CALLBACK_TYPES)
            installation = cloud.authenticate(_token(body))
            problems = callback_problems(body)
            if problems:
                raise BadRequest(problems)
        except Refused as exc:
            cloud.note_rejection(CALLBACK, exc, payload, getattr(exc, "problems", None))
            return _error(exc, payload, _callback_type(payload))
        cloud.record(body, installation)
        return jsonify({"headers": _headers(body["headers"]["interactionType"], body)})

    return app


# --------------------------------------------------------------------- helpers


def _payload():
    """The parsed JSON body, or the raw text when it is not JSON (kept for rejections)."""
    body = request.get_json(silent=True, force=True)
    return body if body is not None else request.get_data(as_text=True)[:4096]


def _envelope(payload, allowed) -> dict:
    if not request.is_json:
        raise BadRequest(["Content-Type must be application/json (this is an ST Schema "
                          "envelope, not a form)"])
    if isinstance(payload, str):
        raise BadRequest(["body is not valid JSON"])
    problems = header_problems(payload, allowed)
    if problems:
        raise BadRequest(problems)
    return payload


def _token(body: dict):
    auth = body.get("authentication")
    token = auth.get("token") if isinstance(auth, dict) else None
    if not isinstance(token, str) or not token:
        raise Refused(401, GlobalErrorEnum.INVALID_TOKEN, "authentication.token is required")
    return token


def _callback_type(payload) -> str:
    headers = payload.get("headers") if isinstance(payload, dict) else None
    kind = headers.get("interactionType") if isinstance(headers, dict) else None
    return kind if kind in CALLBACK_TYPES else STATE_CALLBACK


def _headers(interaction_type: str, payload) -> dict:
    """Response headers echoing the request's requestId when it has a usable one."""
    headers = payload.get("headers") if isinstance(payload, dict) else None
    request_id = headers.get("requestId") if isinstance(headers, dict) else None
    if not isinstance(request_id, str) or not REQUEST_ID_RE.match(request_id):
        request_id = str(uuid.uuid4())
    return {"schema": SCHEMA, "version": VERSION, "interactionType": interaction_type,
            "requestId": request_id}


def _error(exc: Refused, payload, interaction_type: str):
    detail = exc.detail if len(exc.detail) <= MAX_DETAIL else exc.detail[:MAX_DETAIL - 3] + "..."
    body = {"headers": _headers(interaction_type, payload),
            "globalError": {"errorEnum": exc.enum, "detail": detail}}
    return jsonify(body), exc.status


def _fault_response(status: int, retry_after: int | None):
    response = jsonify({"message": f"simulated HTTP {status}"})
    response.status_code = status
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response
