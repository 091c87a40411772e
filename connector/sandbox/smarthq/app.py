"""The Flask app of the simulated cloud: the Digital Twin API, the identity server,
the Event Stream socket and the admin knobs, plus the request-wide machinery
(latency, injected failures, recording, error bodies).

Each surface lives under its own prefix on one server, standing in for the real
hosts: ``/client`` (client.mysmarthq.com), ``/accounts``
(accounts.brillion.geappliances.com), ``/stream`` (the socket host) and ``/__sim``.
"""
from __future__ import annotations

import time

from flask import Flask, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from . import admin, api, oauth, stream
from .cloud import SmartHQCloud
from .errors import MESSAGES, ApiError
from .recording import RecordedRequest, mask_headers, mask_params

API_PREFIX = "/client"
OAUTH_PREFIX = "/accounts"
STREAM_PREFIX = "/stream"
ADMIN_PREFIX = "/__sim"


def create_app(cloud: SmartHQCloud) -> Flask:
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 256 * 1024
    app.json.sort_keys = False  # keep the document's field order
    app.extensions["smarthq_sim"] = cloud
    app.register_blueprint(api.bp, url_prefix=API_PREFIX)
    app.register_blueprint(oauth.bp, url_prefix=OAUTH_PREFIX)
    app.register_blueprint(stream.bp, url_prefix=STREAM_PREFIX)
    app.register_blueprint(admin.bp, url_prefix=ADMIN_PREFIX)
    app.before_request(_begin)
    app.after_request(_record)
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _crash)
    return app


def _cloud() -> SmartHQCloud:
    return current_app.extensions["smarthq_sim"]


def _is_admin() -> bool:
    return request.path.startswith(ADMIN_PREFIX + "/")


def _begin():
    """Bring appliances up to date, then latency (a slow cloud is slow to fail too),
    then any injected failure."""
    g.reason = None
    if _is_admin():
        return None
    cloud = _cloud()
    cloud.run_due()
    device_id = (request.view_args or {}).get("device_id")
    with cloud.lock:
        delay = cloud.faults.delay_for(device_id)
    if delay:
        time.sleep(delay)
    with cloud.lock:
        rule = cloud.faults.take(request.method, request.path)
    if rule is None:
        return None
    headers = {"Retry-After": str(int(rule.retry_after))} if rule.retry_after is not None else {}
    g.reason = rule.reason
    if rule.body is not None:
        return rule.body, rule.status, {"Content-Type": "text/html; charset=utf-8", **headers}
    if request.path.startswith(OAUTH_PREFIX + "/"):
        return jsonify({"error": "server_error", "error_description": rule.reason}), rule.status, headers
    return jsonify(ApiError(rule.status, rule.reason).body()), rule.status, headers


def _api_error(exc: ApiError):
    g.reason = exc.reason
    return jsonify(exc.body()), exc.status, exc.headers


def _http_error(exc: HTTPException):
    """Routing errors in the shape of the surface they hit."""
    g.reason = exc.description
    if _is_admin():
        return jsonify({"ok": False, "error": exc.description}), exc.code
    if request.path.startswith(OAUTH_PREFIX + "/"):
        return jsonify({"error": "invalid_request", "error_description": exc.description}), exc.code
    reason = "No such endpoint" if exc.code == 404 else exc.description
    return jsonify(ApiError(exc.code or 500, reason, message=MESSAGES.get(exc.code)).body()), exc.code


def _crash(exc: Exception):
    if isinstance(exc, HTTPException):
        return _http_error(exc)
    current_app.logger.exception("simulator error")
    g.reason = f"Simulator error: {exc}"
    return jsonify(ApiError(500, g.reason).body()), 500


def _record(response):
    if _is_admin() or request.blueprint == stream.bp.name:
        return response  # sockets record themselves when they open
    body = request.get_json(silent=True) if request.mimetype == "application/json" else None
    _cloud().record(RecordedRequest(
        method=request.method, path=request.path, query=mask_params(request.args.to_dict()),
        headers=mask_headers(request.headers), body=body, status=response.status_code,
        reason=g.get("reason"), at=time.time(), form=mask_params(request.form.to_dict())))
    return response
