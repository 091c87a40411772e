"""``/__sim/…``: the fault knobs and provisioning over HTTP, for other processes.

Each route is a thin JSON wrapper of a KasaCloud method with the same name and
arguments (see ``admin_client.KasaSimAdmin``). Not part of the Kasa API: no API
headers, never recorded, never delayed or failed by the knobs themselves. It listens
on 127.0.0.1 only, like the rest of the simulator.
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from .errors import SimError

bp = Blueprint("kasa_sim_admin", __name__)


def cloud():
    return current_app.extensions["kasa_sim"]


def _body() -> dict:
    body = request.get_json(silent=True)
    if body is None and request.get_data():
        raise SimError("body must be JSON")
    if body is not None and not isinstance(body, dict):
        raise SimError("body must be a JSON object")
    return body or {}


def _pick(body: dict, *names: str) -> dict:
    return {n: body[n] for n in names if n in body}


def _done(**extra):
    return jsonify({"ok": True, **extra})


@bp.errorhandler(ValueError)  # SimError and bad numbers
def sim_error(exc: ValueError):
    return jsonify({"ok": False, "error": str(exc)}), 400


@bp.errorhandler(KeyError)
def missing_field(exc: KeyError):
    return jsonify({"ok": False, "error": f"missing field {exc.args[0]!r}"}), 400


@bp.errorhandler(TypeError)
def bad_arguments(exc: TypeError):
    return jsonify({"ok": False, "error": f"bad arguments: {exc}"}), 400


@bp.get("/state")
def state():
    return jsonify(cloud().snapshot())


@bp.get("/config")
def config():
    """What a client needs to talk to this cloud (it is a sandbox: secrets included)."""
    c = cloud()
    return jsonify({"client_id": c.client_id, "client_secret": c.client_secret,
                    "api_key": c.api_key, "access_ttl": c.access_ttl})


@bp.post("/users")
def create_user():
    b = _body()
    user = cloud().create_user(b["username"], b["password"], b.get("devices"),
                               **_pick(b, "timezone"))
    return _done(username=user.username, accountId=user.account_id,
                 devices=[d.device_json() for d in user.devices.values()])


@bp.post("/users/<username>/timezone")
def set_account_timezone(username):
    cloud().set_account_timezone(username, _body()["timezoneId"])
    return _done()


@bp.post("/tokens")
def issue_tokens():
    b = _body()
    access, refresh, expires_in = cloud().issue_tokens(b["username"], b.get("access_ttl"))
    return _done(access_token=access, refresh_token=refresh, expires_in=expires_in)


@bp.post("/tokens/expire")
def expire_token():
    b = _body()
    if "access_token" in b:
        cloud().expire_token(b["access_token"])
        return _done(expired=1)
    return _done(expired=cloud().expire_tokens(b["username"]))


@bp.post("/refresh-tokens/revoke")
def revoke_refresh_token():
    cloud().revoke_refresh_token(_body()["refresh_token"])
    return _done()


@bp.post("/latency")
def set_latency():
    b = _body()
    cloud().set_latency(float(b["seconds"]), b.get("device_id"))
    return _done()


@bp.post("/faults")
def fail_next():
    b = _body()
    rule = cloud().fail_next(**_pick(b, "count", "status", "code", "msg", "path", "method",
                                      "retry_after", "body"))
    return _done(rule=rule.as_dict())


@bp.delete("/faults")
def clear_faults():
    cloud().clear_faults()
    return _done()


@bp.post("/rate-limit")
def set_rate_limit():
    cloud().set_rate_limit(_body().get("per_second"))
    return _done()


@bp.post("/devices")
def add_device():
    b = _body()
    dev = cloud().add_device(b["username"], b["model"],
                             **_pick(b, "name", "id", "online", "state", "history_days"))
    return _done(device=dev.device_json(), state=dev.state_json())


@bp.delete("/devices/<device_id>")
def remove_device(device_id):
    cloud().remove_device(device_id)
    return _done()


@bp.post("/devices/<device_id>/online")
def set_online(device_id):
    cloud().set_online(device_id, bool(_body().get("online", True)))
    return _done()


@bp.post("/devices/<device_id>/responding")
def set_responding(device_id):
    cloud().set_responding(device_id, bool(_body().get("responding", True)))
    return _done()


@bp.post("/devices/<device_id>/state")
def change_state(device_id):
    return _done(state=cloud().change_state(device_id, _body()))


@bp.post("/devices/<device_id>/timezone")
def set_device_timezone(device_id):
    cloud().set_device_timezone(device_id, _body()["timezoneId"])
    return _done()


@bp.get("/requests")
def requests_():
    records = cloud().requests(request.args.get("path"), request.args.get("method"))
    return jsonify({"requests": [r.as_dict() for r in records]})


@bp.delete("/requests")
def clear_requests():
    cloud().clear_requests()
    return _done()
