"""The Flask app of the simulated cloud: API, OAuth and admin blueprints plus the
request-wide machinery (request ids, latency, injected failures, recording, errors)."""
from __future__ import annotations

import time
import uuid

from flask import Flask, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from . import admin, api, oauth
from .cloud import KasaCloud
from .errors import BAD_REQUEST, NOT_FOUND, KasaError
from .recording import RecordedRequest, mask_headers, mask_params

API_PREFIX = "/v1"  # the real base is https://external-api.tplinkra.com/v1
ADMIN_PREFIX = "/__sim"


def create_app(cloud: KasaCloud, *, api_prefix: str = API_PREFIX) -> Flask:
    """A WSGI app serving ``cloud``: the API under ``api_prefix``, OAuth at the root."""
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    app.json.sort_keys = False  # keep the document's field order
    app.extensions["kasa_sim"] = cloud
    app.register_blueprint(api.bp, url_prefix=api_prefix)
    app.register_blueprint(oauth.bp)
    app.register_blueprint(admin.bp, url_prefix=ADMIN_PREFIX)
    app.before_request(_begin)
    app.after_request(_record)
    app.register_error_handler(KasaError, _kasa_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _crash)
    return app


def _is_admin() -> bool:
    return request.blueprint == admin.bp.name or request.path.startswith(ADMIN_PREFIX + "/")


def _begin():
    """Latency first (a slow cloud is slow to fail too), then any injected failure."""
    g.started = time.monotonic()
    g.request_id = request.headers.get("X-Request-Id") or str(uuid.uuid4())
    g.error_code = None
    if _is_admin():
        return None
    cloud = _cloud()
    device_id = (request.view_args or {}).get("device_id")
    with cloud.lock:
        delay = cloud.faults.delay_for(device_id)
    if delay:
        time.sleep(delay)
    with cloud.lock:
        rule = cloud.faults.take(request.method, request.path)
    if rule is None:
        return None
    headers = {"Retry-After": str(rule.retry_after)} if rule.retry_after is not None else {}
    g.error_code = rule.code
    if rule.body is not None:
        return rule.body, rule.status, {"Content-Type": "text/html; charset=utf-8", **headers}
    return _error_body(rule.code, rule.msg), rule.status, headers


def _cloud() -> KasaCloud:
    return current_app.extensions["kasa_sim"]


def _error_body(code: str, msg: str):
    return jsonify({"requestId": g.get("request_id"), "msg": msg, "code": code})


def _kasa_error(exc: KasaError):
    g.error_code = exc.code
    return _error_body(exc.code, exc.msg), exc.status, exc.headers


def _http_error(exc: HTTPException):
    """Routing errors in the shape of the surface they hit: the Kasa error body for the
    API, an OAuth error for /oauth/…, plain JSON for the admin routes."""
    if _is_admin():
        return jsonify({"ok": False, "error": exc.description}), exc.code
    if request.path.startswith("/oauth/"):
        g.error_code = "invalid_request"
        return jsonify({"error_description": exc.description, "error": "invalid_request"}), 400
    code = NOT_FOUND if exc.code == 404 else BAD_REQUEST
    g.error_code = code
    msg = "No such endpoint" if exc.code == 404 else exc.description
    return _error_body(code, msg), 400


def _crash(exc: Exception):
    if isinstance(exc, HTTPException):
        return _http_error(exc)
    current_app.logger.exception("simulator error")
    g.error_code = "INTERNAL_SERVER_ERROR"
    return _error_body("INTERNAL_SERVER_ERROR", f"Simulator error: {exc}"), 500


def _record(response):
    if _is_admin():
        return response
    body = request.get_json(silent=True) if request.mimetype == "application/json" else None
    _cloud().record(RecordedRequest(
        method=request.method,
        path=request.path,
        query=mask_params(request.args.to_dict()),
        headers=mask_headers(request.headers),
        body=body,
        status=response.status_code,
        code=g.get("error_code"),
        request_id=g.get("request_id"),
        at=time.time(),
        form=mask_params(request.form.to_dict()),
    ))
    return response
