"""``/__sim/…``: the knobs and provisioning over HTTP, for other processes.

Each route is a thin JSON wrapper of the SmartHQCloud method with the same name and
arguments (see ``admin_client.SmartHQSimAdmin``). Not part of the SmartHQ API: no
token, never recorded, delayed or failed by the knobs themselves; loopback only like
the rest of the simulator.
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from .errors import SimError

bp = Blueprint("smarthq_sim_admin", __name__)


def cloud():
    return current_app.extensions["smarthq_sim"]


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
                    "access_ttl": c.access_ttl, "refresh_rotation": c.refresh_rotation,
                    "command_delay": c.command_delay, "rate_limit": c.faults.rate_limit})


# -- accounts and tokens -------------------------------------------------------------------

@bp.post("/users")
def create_user():
    b = _body()
    user = cloud().create_user(b["username"], b["password"], b.get("appliances"))
    return _done(username=user.username, userId=user.user_id,
                 devices=[d.summary_json() | {"kind": d.kind} for d in user.devices.values()])


@bp.post("/tokens")
def issue_tokens():
    b = _body()
    access, refresh, expires_in = cloud().issue_tokens(b["username"], b.get("access_ttl"))
    return _done(access_token=access, refresh_token=refresh, expires_in=expires_in)


@bp.post("/tokens/expire")
def expire_tokens():
    b = _body()
    if "access_token" in b:
        cloud().expire_token(b["access_token"])
        return _done(expired=1)
    return _done(expired=cloud().expire_tokens(b["username"]))


@bp.post("/refresh-tokens/revoke")
def revoke_refresh_tokens():
    b = _body()
    if "refresh_token" in b:
        cloud().revoke_refresh_token(b["refresh_token"])
        return _done(revoked=1)
    return _done(revoked=cloud().revoke_refresh_tokens(b["username"]))


@bp.post("/refresh-rotation")
def set_refresh_rotation():
    cloud().set_refresh_rotation(_body()["mode"])
    return _done()


@bp.post("/permissions")
def set_permissions():
    cloud().set_permissions(_body()["permissions"])
    return _done()


# -- time ---------------------------------------------------------------------------------

@bp.post("/clock/advance")
def advance():
    return _done(ran=cloud().advance(float(_body()["seconds"])))


@bp.post("/clock/speed")
def set_speed():
    cloud().set_speed(float(_body()["speed"]))
    return _done()


# -- appliances ----------------------------------------------------------------------------

@bp.post("/appliances")
def add_appliance():
    b = _body()
    dev = cloud().add_appliance(b["username"], b["kind"],
                                **_pick(b, "nickname", "id", "presence", "room", "state"))
    return _done(device=dev.item_json())


@bp.patch("/appliances/<device_id>")
def update_appliance(device_id):
    cloud().update_appliance(device_id, **_pick(_body(), "nickname", "room"))
    return _done()


@bp.delete("/appliances/<device_id>")
def remove_appliance(device_id):
    cloud().remove_appliance(device_id)
    return _done()


@bp.post("/appliances/<device_id>/presence")
def set_presence(device_id):
    cloud().set_presence(device_id, _body().get("presence", "ONLINE"))
    return _done()


@bp.post("/appliances/<device_id>/remote")
def set_remote_control(device_id):
    b = _body()
    cloud().set_remote_control(device_id, bool(b.get("enabled", True)), b.get("sub_device"))
    return _done()


@bp.post("/appliances/<device_id>/start")
def start_cycle(device_id):
    b = _body()
    cloud().start_cycle(device_id, b.pop("sub_device", None), **b)
    return _done()


@bp.post("/appliances/<device_id>/state")
def change_state(device_id):
    b = _body()
    return _done(state=cloud().change_state(device_id, b["service"], b["state"]))


@bp.post("/appliances/<device_id>/alert")
def fire_alert(device_id):
    cloud().fire_alert(device_id, _body()["alert_type"])
    return _done()


# -- faults -------------------------------------------------------------------------------

@bp.post("/latency")
def set_latency():
    b = _body()
    cloud().set_latency(float(b["seconds"]), b.get("device_id"))
    return _done()


@bp.post("/faults")
def fail_next():
    b = _body()
    rule = cloud().fail_next(**_pick(b, "count", "status", "reason", "path", "method",
                                      "retry_after", "body"))
    return _done(rule=rule.as_dict())


@bp.delete("/faults")
def clear_faults():
    cloud().clear_faults()
    return _done()


@bp.post("/rate-limit")
def set_rate_limit():
    cloud().set_rate_limit(_body().get("per_minute"))
    return _done()


@bp.post("/command-outcomes")
def fail_next_commands():
    b = _body()
    cloud().fail_next_commands(**_pick(b, "count", "outcome"))
    return _done()


@bp.post("/command-timing")
def set_command_timing():
    cloud().set_command_timing(**_pick(_body(), "delay", "timeout"))
    return _done()


# -- sockets and callbacks -------------------------------------------------------------------

@bp.get("/sockets")
def sockets():
    return jsonify({"sockets": [x.info() for x in cloud().sockets(request.args.get("username"))]})


@bp.post("/sockets/drop")
def drop_sockets():
    b = _body()
    return _done(dropped=cloud().drop_sockets(b.get("username"),
                                              **_pick(b, "code", "reason", "abrupt")))


@bp.post("/sockets/random-drops")
def set_random_drops():
    cloud().set_random_drops(_body().get("mean_seconds"))
    return _done()


@bp.post("/sockets/idle-timeout")
def set_ws_idle_timeout():
    cloud().set_ws_idle_timeout(_body().get("seconds"))
    return _done()


@bp.post("/callback-url")
def set_callback_url():
    cloud().set_callback_url(_body().get("url"))
    return _done()


@bp.get("/deliveries")
def deliveries():
    c = cloud()
    with c.lock:
        return jsonify({"deliveries": list(c.deliveries)})


# -- recorded requests -----------------------------------------------------------------------

@bp.get("/requests")
def requests_():
    records = cloud().requests(request.args.get("path"), request.args.get("method"))
    return jsonify({"requests": [r.as_dict() for r in records]})


@bp.get("/socket-messages")
def socket_messages():
    return jsonify({"messages": cloud().socket_messages(request.args.get("kind"))})


@bp.delete("/requests")
def clear_requests():
    cloud().clear_requests()
    return _done()
