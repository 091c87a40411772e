"""The Digital Twin v2 routes (smarthq-api.md §2), appended to the API base.

Every route needs ``Authorization: Bearer <access token>`` (401 when missing, unknown
or expired), then the per-app-per-user rate limit applies (429), then the route's
permission (403). Device routes answer 404 for an unknown device and 403 for another
user's. Bodies the document does not show (history, presence, gateway and command
lists) are ours, in the document's ``kind`` style.
"""
from __future__ import annotations

import fnmatch
import functools
import json
import re
import secrets
import time
from typing import Any

from flask import Blueprint, current_app, g, jsonify, request, url_for

from . import names
from .clock import iso, parse_iso
from .errors import RATE_LIMIT_MESSAGE, ApiError, bad_request

bp = Blueprint("smarthq_api", __name__)

MAX_PERPAGE = 100
MAX_HISTORY_PAGE = 200
SCHEMAS = ["client.post.devicePubsub", "client.post.provisionGateway",
           "client.post.serviceCommand", "client.post.userPubsub"]
FILTERS = {  # query parameter → device#list field (tags we do not keep match nothing)
    "deviceId": "deviceId", "adapterId": "adapterId", "deviceType": "deviceType",
    "gatewayId": "gatewayId", "model": "model", "serial": "serial", "version": None,
    "manufacturer": "manufacturer", "brand": "brand", "macAddress": "macAddress",
    "updId": None, "room": "room", "roomNumber": None, "unit": None, "floor": None,
    "building": None, "location": None, "personality": None,
}
SORTABLE = ("deviceId", "deviceType", "nickname", "model", "serial", "manufacturer", "brand",
            "presence", "room", "createdDateTime", "lastSyncTime", "lastPresenceTime")


def cloud():
    return current_app.extensions["smarthq_sim"]


@bp.before_request
def authenticate():
    c = cloud()
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    found = c.bearer(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
    if found is None:
        raise ApiError(401, "Invalid or expired access token", headers={"WWW-Authenticate": "Bearer"})
    g.user, g.access = found
    with c.lock:
        retry_after = c.faults.check_rate((g.access.client_id, g.user.user_id), time.monotonic())
        limit = c.faults.rate_limit
    if retry_after is not None:
        raise ApiError(429, f"Exceeded limit of {limit} requests per minute per appId per userId.",
                       message=RATE_LIMIT_MESSAGE, headers={"Retry-After": str(retry_after)})


def needs(permission: str):
    """The app's policy must grant ``permission`` (else 403)."""
    def wrap(view):
        @functools.wraps(view)
        def checked(*args, **kwargs):
            if permission not in cloud().permissions:
                raise ApiError(403, f"Missing permission {permission}")
            return view(*args, **kwargs)
        return checked
    return wrap


def body_json() -> Any:
    if request.mimetype != "application/json":
        raise bad_request("Content-Type must be application/json")
    try:
        return json.loads(request.get_data(as_text=True))
    except (ValueError, UnicodeDecodeError):
        raise bad_request("Request body is not valid JSON") from None


def int_arg(name: str, default: int, lo: int, hi: int | None = None) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f"{name} must be an integer") from None
    if value < lo or (hi is not None and value > hi):
        raise bad_request(f"{name} must be between {lo} and {hi}" if hi else f"{name} must be at least {lo}")
    return value


def no_content():
    return "", 204


# -- devices ------------------------------------------------------------------------------

def _matches(value: str, spec: str) -> bool:
    """The document's filter syntax: comma list, ``^`` negates, ``*``/``?`` wildcards."""
    patterns = [p.strip() for p in spec.split(",") if p.strip()]
    positive = [p for p in patterns if not p.startswith("^")]
    negative = [p[1:] for p in patterns if p.startswith("^")]
    if any(fnmatch.fnmatchcase(value, p) for p in negative):
        return False
    return not positive or any(fnmatch.fnmatchcase(value, p) for p in positive)


def filtered_devices() -> list[dict]:
    """The user's devices as ``device#list`` entries after the query's filters and sort."""
    with cloud().lock:
        entries = [d.summary_json() for d in g.user.devices.values()]
    for param, field in FILTERS.items():
        spec = request.args.get(param)
        if spec:
            entries = [e for e in entries if _matches(e.get(field, "") if field else "", spec)]
    order = request.args.get("order", "asc")
    if order not in ("asc", "desc"):
        raise bad_request("order must be asc or desc")
    sort = request.args.get("sort")
    if sort:
        if sort not in SORTABLE:
            raise bad_request(f"sort must be one of {', '.join(SORTABLE)}")
        entries.sort(key=lambda e: e[sort])
    if order == "desc":
        entries.reverse()
    return entries


@bp.get("/v2/device")
@needs("device:read")
def list_devices():
    page = int_arg("page", 1, 1)
    perpage = int_arg("perpage", 50, 1, MAX_PERPAGE)
    entries = filtered_devices()
    start = (page - 1) * perpage
    return jsonify({"kind": "device#list", "userId": g.user.user_id, "page": page,
                    "perpage": perpage, "total": len(entries),
                    "devices": entries[start:start + perpage]})


@bp.get("/v2/device/count")
@needs("device:read")
def count_devices():
    group = request.args.get("groupBy") or "deviceType"
    if group not in SORTABLE:
        raise bad_request(f"groupBy must be one of {', '.join(SORTABLE)}")
    counts: dict[str, int] = {}
    for entry in filtered_devices():
        counts[entry[group]] = counts.get(entry[group], 0) + 1
    return jsonify({"kind": "device#count", "userId": g.user.user_id,
                    "devices": [{group: k, "count": n} for k, n in counts.items()]})


@bp.get("/v2/device/<device_id>")
@needs("device:read")
def get_device(device_id):
    c = cloud()
    with c.lock:
        dev = c.owned(g.user, device_id)
        return jsonify({"kind": "device#item", "userId": g.user.user_id, **dev.item_json()})


@bp.delete("/v2/device/<device_id>")
@needs("device:remove")
def delete_device(device_id):
    c = cloud()
    with c.lock:
        dev = c.owned(g.user, device_id)
        if not dev.removable:
            raise ApiError(409, "Device is not removable")
        if not dev.online:
            raise ApiError(412, "Gateway is offline")
        c.remove_appliance(device_id)
    return no_content()


def _owned_service(device_id: str, service_id: str):
    c = cloud()
    dev = c.owned(g.user, device_id)
    svc = dev.by_id(service_id)
    if svc is None:
        raise ApiError(404, f"Service {service_id} not found")
    return dev, svc


@bp.get("/v2/device/<device_id>/service/<service_id>")
@needs("service:read")
def get_service(device_id, service_id):
    with cloud().lock:
        dev, svc = _owned_service(device_id, service_id)
        return jsonify({"kind": "service#item", "deviceId": dev.device_id, **svc.to_json()})


def _time_frame() -> tuple[float | None, float | None]:
    """``timeFrame`` is ``before:<ISO>`` or ``after:<ISO>``."""
    raw = request.args.get("timeFrame")
    if not raw:
        return None, None
    side, _, stamp = raw.partition(":")
    try:
        when = parse_iso(stamp)
    except ValueError:
        raise bad_request("timeFrame must be before:<ISO time> or after:<ISO time>") from None
    if side == "before":
        return None, when
    if side == "after":
        return when, None
    raise bad_request("timeFrame must be before:<ISO time> or after:<ISO time>")


@bp.get("/v2/device/<device_id>/service/<service_id>/history")
@needs("service:read")
def service_history(device_id, service_id):
    size = int_arg("pageSize", 50, 1, MAX_HISTORY_PAGE)
    number = int_arg("pageNumber", 1, 1)
    after, before = _time_frame()
    with cloud().lock:
        dev, svc = _owned_service(device_id, service_id)
        rows = [(t, s) for t, s in reversed(svc.history)
                if (after is None or t > after) and (before is None or t < before)]
    start = (number - 1) * size
    return jsonify({"kind": "service#history", "deviceId": dev.device_id,
                    "serviceId": svc.service_id, "pageSize": size, "pageNumber": number,
                    "total": len(rows),
                    "history": [{"stateTime": iso(t), "state": s} for t, s in rows[start:start + size]]})


@bp.get("/v2/device/<device_id>/presence")
@needs("device:read")
def presence_history(device_id):
    size = int_arg("pageSize", 50, 1, MAX_HISTORY_PAGE)
    with cloud().lock:
        dev = cloud().owned(g.user, device_id)
        rows = list(reversed(dev.presence_history))
    return jsonify({"kind": "device#presence", "deviceId": dev.device_id, "presence": dev.presence,
                    "total": len(rows), "pageSize": size,
                    "history": [{"presence": p, "presenceTime": iso(t)} for t, p in rows[:size]]})


# -- alerts -------------------------------------------------------------------------------

def _after_arg() -> float:
    raw = request.args.get("after", "10d")
    m = re.fullmatch(r"(\d+)([smhd])", raw)
    if not m:
        raise bad_request("after must look like 10d, 12h, 30m or 45s")
    seconds = int(m.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
    return cloud().now() - seconds


@bp.get("/v2/alert/recent")
@needs("device:read")
def recent_alerts():
    since = _after_arg()
    page = int_arg("page", 1, 1)
    size = int_arg("pageSize", 50, 1, MAX_PERPAGE)
    rows = []
    with cloud().lock:
        for dev in g.user.devices.values():
            latest: dict[str, Any] = {}
            for a in dev.alerts:
                if a.time >= since:
                    latest[a.alert_type] = a
            rows += [{"deviceId": dev.device_id, "deviceType": dev.device_type,
                      "alertType": a.alert_type, "lastAlertTime": iso(a.time),
                      "lastAlertId": a.alert_id, "model": dev.model} for a in latest.values()]
    rows.sort(key=lambda r: r["lastAlertTime"], reverse=True)
    start = (page - 1) * size
    return jsonify({"kind": "alert#report", "alerts": rows[start:start + size],
                    "total": len(rows), "page": page, "pageSize": size})


@bp.get("/v2/device/<device_id>/alert")
@needs("device:read")
def device_alerts(device_id):
    only_triggered = request.args.get("onlyTriggered", "false").lower() == "true"
    with cloud().lock:
        dev = cloud().owned(g.user, device_id)
        latest: dict[str, Any] = {}
        for a in dev.alerts:
            latest[a.alert_type] = a
    alerts = [{"alertType": a.alert_type, "lastAlertTime": iso(a.time), "alertId": a.alert_id,
               "clear": a.clear, "lastClearTime": iso(a.clear_time) if a.clear_time else None}
              for a in latest.values() if not (only_triggered and a.clear)]
    return jsonify({"kind": "device#alerts", "deviceId": dev.device_id, "alerts": alerts,
                    "totalTriggeredAlerts": sum(1 for a in alerts if not a["clear"]),
                    "totalTriggeredFaults": 0})


@bp.get("/v2/device/<device_id>/alert/<alert_type>")
@needs("device:read")
def device_alert(device_id, alert_type):
    with cloud().lock:
        dev = cloud().owned(g.user, device_id)
        records = [a for a in dev.alerts if a.alert_type == alert_type]
    if not records:
        raise ApiError(404, f"No {alert_type} alert for this device")
    history = []
    for a in reversed(records):
        if a.clear_time is not None:
            history.append({"clearTime": iso(a.clear_time)})
        history.append({"alertId": a.alert_id, "alertTime": iso(a.time)})
    return jsonify({"kind": "device#alert", "deviceId": dev.device_id, "alertType": alert_type,
                    "history": history})


@bp.delete("/v2/device/<device_id>/alert/<alert_type>")
@needs("device:read")
def clear_device_alert(device_id, alert_type):
    c = cloud()
    with c.lock:
        dev = c.owned(g.user, device_id)
        if not any(a.alert_type == alert_type for a in dev.alerts):
            raise ApiError(404, f"No {alert_type} alert for this device")
        c.clear_alert(dev, alert_type)
    return no_content()


# -- commands -----------------------------------------------------------------------------

@bp.post("/v2/command")
@needs("service:command")
def send_command():
    return jsonify(cloud().send_command(g.user, g.access.client_id, body_json()))


@bp.post("/v2/commands")
@needs("service:command")
def send_batch():
    body = body_json()
    c = cloud()
    with c.lock:
        ids = {e["deviceId"] for e in filtered_devices()}
        devices = [d for d in g.user.devices.values() if d.device_id in ids]
        return jsonify(c.send_batch(g.user, g.access.client_id, body, devices))


@bp.get("/v2/command")
@needs("service:read")
def command_history():
    page = int_arg("page", 1, 1)
    perpage = int_arg("perpage", 50, 1, MAX_PERPAGE)
    device_id = request.args.get("deviceId")
    c = cloud()
    with c.lock:
        rows = [r for r in c.commands.values() if r.user_id == g.user.user_id
                and (device_id is None or any(o["deviceId"] == device_id for o in r.outcomes))]
        rows.sort(key=lambda r: r.created, reverse=True)
        start = (page - 1) * perpage
        listed = [{"correlationId": r.correlation_id, "command": r.command,
                   "commandDateTime": iso(r.created), "outcomes": list(r.outcomes)}
                  for r in rows[start:start + perpage]]
    return jsonify({"kind": "command#list", "page": page, "perpage": perpage,
                    "total": len(rows), "commands": listed})


@bp.get("/v2/command/<correlation_id>")
@needs("service:read")
def command_outcomes(correlation_id):
    page = int_arg("page", 1, 1)
    perpage = int_arg("perpage", 50, 1, MAX_PERPAGE)
    with cloud().lock:
        record = cloud().command_record(g.user, correlation_id)
        start = (page - 1) * perpage
        return jsonify({"kind": "command#outcomes", "correlationId": record.correlation_id,
                        "command": record.command, "page": page, "perpage": perpage,
                        "total": len(record.outcomes),
                        "outcomes": record.outcomes[start:start + perpage]})


@bp.get("/v2/command/<correlation_id>/summary")
@needs("service:read")
def command_summary(correlation_id):
    with cloud().lock:
        record = cloud().command_record(g.user, correlation_id)
        outcomes = [o["outcome"] for o in record.outcomes]
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome] = counts.get(outcome, 0) + 1
    success = counts.get(names.OUTCOME_SUCCESS, 0)
    timeout = counts.get(names.OUTCOME_TIMEOUT, 0)
    unknown = sum(n for o, n in counts.items() if o.endswith(".unknown"))
    return jsonify({"kind": "command#summary", "success": success,
                    "failed": len(outcomes) - success - timeout - unknown, "timeout": timeout,
                    "unknown": unknown, "total": len(outcomes),
                    "outcomes": [{"outcome": o, "count": n} for o, n in counts.items()]})


# -- event stream bootstrap and pub/sub ------------------------------------------------------

@bp.get("/v2/websocket")
def websocket_endpoint():
    """A per-user socket URL that carries the access token (§2.5)."""
    token = request.headers["Authorization"].partition(" ")[2].strip()
    url = url_for("smarthq_stream.socket", access_token=token, _external=True)
    if url.startswith("http"):  # werkzeug may already build ws:// for a socket rule
        url = "ws" + url.removeprefix("http")
    return jsonify({"kind": "websocket#endpoint", "endpoint": url})


def _flags(body: Any, kind: str) -> dict[str, bool] | None:
    """The checked pub/sub flags of a body, or None when it turns pub/sub off."""
    if not isinstance(body, dict) or body.get("kind") != kind:
        raise bad_request(f'kind must be "{kind}"')
    if not isinstance(body.get("pubsub"), bool):
        raise bad_request("pubsub is required and must be a boolean")
    flags = {}
    for key in ("services", "presence", "alerts", "commands"):
        if key in body and not isinstance(body[key], bool):
            raise bad_request(f"{key} must be a boolean")
        flags[key] = body.get(key) is True
    return flags if body["pubsub"] else None


@bp.post("/v2/pubsub")
def set_user_pubsub():
    cloud().set_user_pubsub(g.user, _flags(body_json(), "user#pubsub"))
    return jsonify({"kind": "user#pubsub", "success": True})


@bp.get("/v2/pubsub")
def get_user_pubsub():
    listener = cloud().pubsub_listener(g.user)
    flags = (listener.account if listener else None) or {}
    return jsonify({"kind": "user#pubsub", "pubsub": listener is not None,
                    **{k: flags.get(k, False) for k in ("services", "presence", "alerts", "commands")}})


@bp.delete("/v2/pubsub")
def delete_user_pubsub():
    cloud().set_user_pubsub(g.user, None)
    return no_content()


@bp.post("/v2/device/<device_id>/pubsub")
def set_device_pubsub(device_id):
    c = cloud()
    body = body_json()
    with c.lock:
        dev = c.owned(g.user, device_id)
        flags = _flags(body, "device#pubsub")
        listener = c.pubsub_listener(g.user)
        if listener is None:
            raise ApiError(412, "User level pubsub must be enabled first")
        if flags is None:
            listener.devices.pop(dev.device_id, None)
        else:
            listener.devices[dev.device_id] = flags
    return jsonify({"kind": "device#pubsub", "success": True, "deviceId": dev.device_id})


@bp.get("/v2/device/<device_id>/pubsub")
def get_device_pubsub(device_id):
    c = cloud()
    with c.lock:
        dev = c.owned(g.user, device_id)
        listener = c.pubsub_listener(g.user)
        flags = (listener.devices.get(dev.device_id) if listener else None) or {}
    return jsonify({"kind": "device#pubsub", "deviceId": dev.device_id,
                    **{k: flags.get(k, False) for k in ("services", "presence", "alerts", "commands")}})


@bp.delete("/v2/device/<device_id>/pubsub")
def delete_device_pubsub(device_id):
    c = cloud()
    with c.lock:
        dev = c.owned(g.user, device_id)
        listener = c.pubsub_listener(g.user)
        if listener is not None:
            listener.devices.pop(dev.device_id, None)
    return no_content()


# -- gateways and schemas ---------------------------------------------------------------------

@bp.post("/v2/gateway")
@needs("gateway:add")
def provision_gateway():
    body = body_json()
    if not isinstance(body, dict) or body.get("kind") != "gateway#provision" or len(body) != 1:
        raise bad_request('body must be {"kind":"gateway#provision"}')
    token = "aue1v" + secrets.token_urlsafe(24)
    with cloud().lock:
        cloud().gateway_tokens.append(token)
    return jsonify({"gatewayProvisioningToken": token})


@bp.get("/v2/gateway")
@needs("gateway:list")
def list_gateways():
    with cloud().lock:
        gateways = [{"gatewayId": d.gateway_id, "deviceIds": [d.device_id],
                     "presence": d.presence, "lastSyncTime": iso(d.last_sync)}
                    for d in g.user.devices.values()]
    return jsonify({"kind": "gateway#list", "total": len(gateways), "gateways": gateways})


@bp.delete("/v2/gateway/<gateway_id>")
@needs("gateway:remove")
def delete_gateway(gateway_id):
    c = cloud()
    with c.lock:
        devices = [d for d in g.user.devices.values() if d.gateway_id == gateway_id]
        if not devices:
            raise ApiError(404, f"Gateway {gateway_id} not found")
        if any(not d.online for d in devices) and request.args.get("force") != "true":
            raise ApiError(412, "Gateway is offline")
        for dev in devices:
            c.remove_appliance(dev.device_id)
    return no_content()


@bp.get("/v2/schema")
def list_schemas():
    return jsonify({"kind": "schema#list", "schemas": SCHEMAS})
