"""The Kasa API routes, appended to the API base (``/v1`` on the real host).

Every request must carry X-Api-Key and X-Client-Id of the registered client (else
INVALID_HEADER) and a live bearer token (else UNAUTHORIZED); then the per-token rate
limit applies. A route checks, in order: body (Content-Type, JSON, ``data`` object),
device (NOT_FOUND), trait (CAPABILITY_NOT_SUPPORTED), arguments (BAD_REQUEST), and
only then whether the device can be reached (DEVICE_OFFLINE / DEVICE_NOT_RESPONDING):
the cloud rejects a bad request before it talks to the device.
"""
from __future__ import annotations

import json
import re
import time
from typing import Any

from flask import Blueprint, current_app, g, jsonify, request

from . import catalog, schedules, validate
from .devices import SimDevice
from .errors import (DEVICE_NOT_RESPONDING, DEVICE_OFFLINE, INVALID_HEADER, NOT_FOUND,
                     TOO_MANY_REQUESTS, UNAUTHORIZED, KasaError, bad_request)
from .stats import ENERGY, RUNTIME

bp = Blueprint("kasa_api", __name__)


def cloud():
    return current_app.extensions["kasa_sim"]


def ok(data: Any = None):
    """The success envelope: requestId, data (when there is any), responseTime."""
    body: dict[str, Any] = {"requestId": g.request_id}
    if data is not None:
        body["data"] = data
    body["responseTime"] = int((time.monotonic() - g.started) * 1000)
    return jsonify(body)


@bp.before_request
def authenticate():
    c = cloud()
    if (request.headers.get("X-Api-Key") != c.api_key
            or request.headers.get("X-Client-Id") != c.client_id):
        raise KasaError(INVALID_HEADER, "Invalid X-Client-Id or X-Api-Key header")
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    user = c.user_for_token(token) if scheme.lower() == "bearer" and token else None
    if user is None:
        raise KasaError(UNAUTHORIZED, "Invalid or expired access token")
    with c.lock:
        retry_after = c.faults.check_rate(token, time.monotonic())
    if retry_after is not None:
        raise KasaError(TOO_MANY_REQUESTS, "Too many requests",
                        headers={"Retry-After": str(retry_after)})
    g.user = user


def body_data() -> dict:
    """The request's ``data`` object; BAD_REQUEST for anything else."""
    if request.mimetype != "application/json":
        raise bad_request("Content-Type must be application/json")
    try:
        body = json.loads(request.get_data(as_text=True), parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError):
        raise bad_request("Request body is not valid JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
        raise bad_request('Request body must be a JSON object with a "data" object')
    return body["data"]


def _reject_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def device(device_id: str, trait: str | None = None) -> SimDevice:
    return cloud().owned_device(g.user, device_id, trait)


def reachable(dev: SimDevice) -> None:
    if not dev.online:
        raise KasaError(DEVICE_OFFLINE, f"Device {dev.id} is offline")
    if not dev.responding:
        raise KasaError(DEVICE_NOT_RESPONDING, f"Device {dev.id} is not responding")


# -- account --------------------------------------------------------------------------

@bp.post("/account/unlink")
def unlink():
    cloud().unlink(g.user)
    return ok({})


@bp.get("/account/timezone")
def account_timezone():
    return ok({"timezoneId": g.user.timezone})


# -- discovery and info -----------------------------------------------------------

@bp.get("/devices")
def list_devices():
    with cloud().lock:
        devices = [d.device_json() for d in g.user.devices.values()]
    return ok({"accountId": g.user.account_id, "devices": devices})


@bp.get("/devices/<device_id>")
def device_info(device_id):
    # Answers for offline devices too ("online" says so) with the last known state.
    with cloud().lock:
        dev = device(device_id)
        return ok({"device": dev.device_json(), "state": dev.state_json()})


# -- control ------------------------------------------------------------------------

@bp.post("/devices/<device_id>/power")
def power(device_id):
    data = body_data()
    with cloud().lock:
        dev = device(device_id, catalog.ON_OFF)
        powered = validate.boolean(data, "powered")
        period = validate.transition_period(data)
        reachable(dev)
        dev.set_power(powered, cloud().now(), period)
    return ok()


@bp.post("/devices/<device_id>/brightness")
def brightness(device_id):
    data = body_data()
    with cloud().lock:
        dev = device(device_id, catalog.BRIGHTNESS)
        value = validate.integer(data, "brightness", 0, 100)
        period = validate.transition_period(data)
        reachable(dev)
        dev.set_brightness(value, cloud().now(), period)
    return ok()


@bp.post("/devices/<device_id>/color")
def color(device_id):
    data = body_data()
    with cloud().lock:
        dev = device(device_id, catalog.COLOR_SPECTRUM)
        hsb = validate.hsb(data.get("color"))
        period = validate.transition_period(data)
        reachable(dev)
        dev.set_color(hsb, cloud().now(), period)
    return ok()


@bp.post("/devices/<device_id>/color-temperature")
def color_temperature(device_id):
    data = body_data()
    with cloud().lock:
        dev = device(device_id, catalog.COLOR_TEMPERATURE)
        kelvin = validate.color_temperature(data, dev.spec)
        period = validate.transition_period(data)
        reachable(dev)
        dev.set_color_temperature(kelvin, cloud().now(), period)
    return ok()


# -- energy and runtime ---------------------------------------------------------------

def _int_param(name: str, lo: int, hi: int, *, required: bool) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        if required:
            raise bad_request(f"Query parameter {name} is required")
        return None
    if not re.fullmatch(r"\d{1,4}", raw) or not lo <= int(raw) <= hi:
        raise bad_request(f"Query parameter {name} must be an integer from {lo} to {hi}")
    return int(raw)


def _stats(device_id: str, kind: str, trait: str, value_key: str, list_key: str):
    group = request.args.get("groupBy")
    if group not in ("day", "month"):
        raise bad_request("Query parameter groupBy must be day or month")
    # "Month is optional" when grouping by month; by day it is required.
    month = _int_param("month", 1, 12, required=group == "day")
    year = _int_param("year", 1, 9999, required=True)
    with cloud().lock:
        dev = device(device_id, trait)
        reachable(dev)
        now = cloud().now()
        dev.accrue(now)
        today = dev.local(now).date()
        if group == "day":
            rows = dev.history.by_day(kind, year, month, today)
        else:
            rows = dev.history.by_month(kind, year, month, today)
    return ok({list_key: [{group: key, value_key: round(value)} for key, value in rows]})


@bp.get("/devices/<device_id>/energy-consumption")
def energy(device_id):
    return _stats(device_id, ENERGY, catalog.ENERGY_MONITORING, "energyWattHour", "energyStats")


@bp.delete("/devices/<device_id>/energy-consumption")
def delete_energy(device_id):
    with cloud().lock:
        dev = device(device_id, catalog.ENERGY_MONITORING)
        reachable(dev)
        now = cloud().now()
        dev.accrue(now)
        dev.history.clear_energy(dev.local(now))
    return ok()


@bp.get("/devices/<device_id>/realtime-energy-consumption")
def realtime_energy(device_id):
    with cloud().lock:
        dev = device(device_id, catalog.ENERGY_MONITORING)
        reachable(dev)
        return ok({"realTimeStat": dev.realtime(cloud().now())})


@bp.get("/devices/<device_id>/runtime")
def runtime(device_id):
    # The document's month sample says "energyStats"; its schema says runtimeStats.
    return _stats(device_id, RUNTIME, catalog.RUNTIME_STATS, "usageMins", "runtimeStats")


# -- schedules ------------------------------------------------------------------------

def _schedule(dev: SimDevice, schedule_id: str) -> dict:
    found = dev.schedules.get(schedule_id)
    if found is None:
        raise KasaError(NOT_FOUND, f"Schedule {schedule_id} not found")
    return found


@bp.get("/devices/<device_id>/schedules")
def list_schedules(device_id):
    with cloud().lock:
        dev = device(device_id, catalog.SCHEDULE)
        reachable(dev)
        return ok({"schedules": list(dev.schedules.values())})


@bp.post("/devices/<device_id>/schedules")
def create_schedule(device_id):
    data = body_data()
    with cloud().lock:
        dev = device(device_id, catalog.SCHEDULE)
        new = schedules.check(data.get("schedule"), dev.spec, dev.local(cloud().now()))
        reachable(dev)
        schedules.ensure_no_conflict(new, list(dev.schedules.values()))
        dev.schedules[new["id"]] = new
    return ok({"schedule": {"id": new["id"]}})


@bp.delete("/devices/<device_id>/schedules")
def delete_schedules(device_id):
    with cloud().lock:
        dev = device(device_id, catalog.SCHEDULE)
        reachable(dev)
        dev.schedules.clear()
    return ok()


@bp.get("/devices/<device_id>/schedules/next")
def next_schedule(device_id):
    with cloud().lock:
        dev = device(device_id, catalog.SCHEDULE)
        reachable(dev)
        now_local = dev.local(cloud().now())
        runs = [(when, s) for s in dev.schedules.values()
                if (when := schedules.next_run(s, now_local)) is not None]
        if not runs:
            raise KasaError(NOT_FOUND, "No upcoming schedule")
        return ok({"schedule": min(runs, key=lambda r: r[0])[1]})


@bp.get("/devices/<device_id>/schedules/<schedule_id>")
def get_schedule(device_id, schedule_id):
    with cloud().lock:
        dev = device(device_id, catalog.SCHEDULE)
        reachable(dev)
        return ok({"schedule": _schedule(dev, schedule_id)})


@bp.post("/devices/<device_id>/schedules/<schedule_id>")
def update_schedule(device_id, schedule_id):
    data = body_data()
    with cloud().lock:
        dev = device(device_id, catalog.SCHEDULE)
        existing = _schedule(dev, schedule_id)
        updated = schedules.check(data.get("schedule"), dev.spec, dev.local(cloud().now()),
                                  existing=existing, schedule_id=schedule_id)
        reachable(dev)
        schedules.ensure_no_conflict(updated, list(dev.schedules.values()))
        dev.schedules[schedule_id] = updated
    return ok()


@bp.delete("/devices/<device_id>/schedules/<schedule_id>")
def delete_schedule(device_id, schedule_id):
    with cloud().lock:
        dev = device(device_id, catalog.SCHEDULE)
        _schedule(dev, schedule_id)
        reachable(dev)
        del dev.schedules[schedule_id]
    return ok()


# -- device timezone --------------------------------------------------------------------

@bp.get("/devices/<device_id>/timezone")
def device_timezone(device_id):
    with cloud().lock:
        dev = device(device_id)
        reachable(dev)
        return ok({"timezoneId": dev.timezone})


@bp.post("/devices/<device_id>/timezone")
def sync_timezone(device_id):
    """Overwrite the device's timezone with the account's; answer the account's."""
    with cloud().lock:
        dev = device(device_id)
        reachable(dev)
        dev.set_timezone(g.user.timezone, cloud().now())
        return ok({"timezoneId": g.user.timezone})
