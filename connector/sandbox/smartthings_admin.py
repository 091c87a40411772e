"""``/__sim/…``: the fault knobs and query helpers over HTTP, for other processes.

Not part of SmartThings. Always answers, even while the cloud is "down", so a test
can bring it back. Bodies are JSON; field names are camelCase like the protocol's.

POST   /__sim/faults                 {"status": 429, "count": 2, "target": "callback", "retryAfter": 5}
DELETE /__sim/faults                 no pending faults, not down, no latency
POST   /__sim/down                   {"down": true | false}
POST   /__sim/latency                {"seconds": 0.5, "target": "all"}
POST   /__sim/expire-access-tokens
POST   /__sim/revoke-refresh-tokens
POST   /__sim/codes                  {"installationId": "…"} → code, clientId, callbackUrls
POST   /__sim/clear                  forget deliveries, states, rejections and counts
POST   /__sim/reset                  a fresh cloud: also no codes, tokens or faults
GET    /__sim/deliveries | states | devices | rejections | counts
"""
from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable

from flask import Blueprint, jsonify, request

from .smartthings_cloud import ALL, CALLBACK, SmartThingsCloud


def admin_blueprint(cloud: SmartThingsCloud,
                    callback_urls: Callable[[str], dict[str, str]]) -> Blueprint:
    """The admin routes; ``callback_urls(base_url)`` names the cloud's callbackUrls."""
    bp = Blueprint("sim_admin", __name__, url_prefix="/__sim")

    @bp.errorhandler(ValueError)
    def bad_argument(exc):
        return jsonify({"error": str(exc)}), 400

    @bp.post("/faults")
    def add_fault():
        data = _data()
        cloud.fail_next(_int(data.get("status"), "status"), _int(data.get("count", 1), "count"),
                        target=data.get("target", CALLBACK),
                        retry_after=_opt_int(data.get("retryAfter"), "retryAfter"))
        return _ok()

    @bp.delete("/faults")
    def reset_faults():
        cloud.reset_faults()
        return _ok()

    @bp.post("/down")
    def down():
        value = _data().get("down", True)
        if not isinstance(value, bool):
            raise ValueError("down must be true or false")
        cloud.set_down(value)
        return _ok()

    @bp.post("/latency")
    def latency():
        data = _data()
        seconds = data.get("seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            raise ValueError("seconds must be a number")
        cloud.set_latency(seconds, target=data.get("target", ALL))
        return _ok()

    @bp.post("/expire-access-tokens")
    def expire():
        cloud.expire_access_tokens()
        return _ok()

    @bp.post("/revoke-refresh-tokens")
    def revoke():
        cloud.revoke_refresh_tokens()
        return _ok()

    @bp.post("/codes")
    def mint_code():
        installation = _data().get("installationId") or str(uuid.uuid4())
        if not isinstance(installation, str):
            raise ValueError("installationId must be a string")
        return jsonify({"installationId": installation, "code": cloud.mint_code(installation),
                        "clientId": cloud.client_id,
                        "callbackUrls": callback_urls(request.host_url)})

    @bp.post("/clear")
    def clear():
        cloud.clear_records()
        return _ok()

    @bp.post("/reset")
    def reset():
        cloud.reset()
        return _ok()

    @bp.get("/deliveries")
    def deliveries():
        return jsonify([dataclasses.asdict(d) for d in cloud.deliveries()])

    @bp.get("/states")
    def states():
        return jsonify([dataclasses.asdict(s) for s in cloud.latest_states().values()])

    @bp.get("/devices")
    def devices():
        return jsonify(cloud.discovered_devices())

    @bp.get("/rejections")
    def rejections():
        return jsonify([dataclasses.asdict(r) for r in cloud.rejections()])

    @bp.get("/counts")
    def counts():
        return jsonify(cloud.counts())

    return bp


def _data() -> dict:
    data = request.get_json(silent=True, force=True)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError("body must be a JSON object")
    return data


def _int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer")
    return value


def _opt_int(value, name: str) -> int | None:
    return None if value is None else _int(value, name)


def _ok():
    return jsonify({"ok": True})
