"""Schedule objects: checking, merging on update, clash detection and "next".

A schedule runs either once (``frequency.oneTime.scheduleTime``, ``yyyy-MM-ddTHH:mm``)
or on weekdays (``frequency.repeating``, ``timeOfDay`` ``HHmm``), at that time or at
sunrise/sunset (``timeOption``). Times are the device's local time. The simulator has
no sun: SUNRISE is 06:00 and SUNSET 18:00 every day.
"""
from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from . import validate
from .catalog import ModelSpec
from .errors import SCHEDULE_CONFLICT, KasaError, bad_request

WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
TIME_OPTIONS = ("TIME", "SUNRISE", "SUNSET")
SUN_TIMES = {"SUNRISE": "0600", "SUNSET": "1800"}
NAME_MAX = 32

_HHMM = re.compile(r"^([01]\d|2[0-3])[0-5]\d$")
_ISO_MINUTE = "%Y-%m-%dT%H:%M"


def new_id() -> str:
    return secrets.token_hex(16).upper()


def check(value: Any, spec: ModelSpec, now_local: datetime, *, existing: dict | None = None,
          schedule_id: str | None = None) -> dict:
    """The stored form of a schedule from a request's ``schedule`` object.

    On create (``existing`` None) frequency and state are required and an id is refused
    ("Schedule without ID"); on update the given fields replace the stored ones.
    """
    value = validate.obj(value, "schedule")
    if existing is None and "id" in value:
        raise bad_request("schedule id must not be given when creating a schedule")
    if existing is not None and value.get("id") not in (None, schedule_id):
        raise bad_request("schedule id in the body does not match the path")
    merged = dict(existing or {"name": "", "enabled": True, "timeOption": "TIME"})
    merged.update({k: v for k, v in value.items() if k != "id"})
    for key in ("frequency", "state"):
        if merged.get(key) is None:
            raise bad_request(f"schedule.{key} is required")

    name = merged["name"]
    if not isinstance(name, str) or len(name) > NAME_MAX:
        raise bad_request(f"schedule.name must be a string of at most {NAME_MAX} characters")
    enabled = validate.boolean(merged, "enabled")
    option = merged["timeOption"]
    if option not in TIME_OPTIONS:
        raise bad_request(f"schedule.timeOption must be one of {', '.join(TIME_OPTIONS)}")
    return {
        "id": schedule_id or new_id(),
        "name": name,
        "enabled": enabled,
        "frequency": _frequency(merged["frequency"], option, now_local,
                                is_new=existing is None or "frequency" in value),
        "state": validate.state(merged["state"], spec),
        "timeOption": option,
    }


def _frequency(value: Any, option: str, now_local: datetime, *, is_new: bool) -> dict:
    value = validate.obj(value, "schedule.frequency")
    kinds = [k for k in ("oneTime", "repeating") if value.get(k) is not None]
    if len(kinds) != 1:
        raise bad_request("schedule.frequency needs exactly one of oneTime or repeating")
    if kinds[0] == "oneTime":
        one = validate.obj(value["oneTime"], "frequency.oneTime")
        when = _parse_time(one.get("scheduleTime"))
        if is_new and when <= now_local:
            raise bad_request("frequency.oneTime.scheduleTime is in the past")
        return {"oneTime": {"scheduleTime": when.strftime(_ISO_MINUTE)}}
    rep = validate.obj(value["repeating"], "frequency.repeating")
    days = rep.get("weekdays")
    if (not isinstance(days, list) or not days or len(set(days)) != len(days)
            or not all(d in WEEKDAYS for d in days)):
        raise bad_request("frequency.repeating.weekdays must list distinct days, MONDAY-SUNDAY")
    out: dict[str, Any] = {"weekdays": [d for d in WEEKDAYS if d in days]}
    tod = rep.get("timeOfDay")
    if tod is not None or option == "TIME":
        if not isinstance(tod, str) or not _HHMM.match(tod):
            raise bad_request("frequency.repeating.timeOfDay must be HHmm (24-hour clock)")
        out["timeOfDay"] = tod
    return {"repeating": out}


def _parse_time(value: Any) -> datetime:
    try:
        return datetime.strptime(value, _ISO_MINUTE)
    except (TypeError, ValueError):
        raise bad_request("frequency.oneTime.scheduleTime must be yyyy-MM-ddTHH:mm") from None


def _clock(schedule: dict) -> str:
    """HHmm the schedule fires at on its days."""
    option = schedule["timeOption"]
    if option != "TIME":
        return SUN_TIMES[option]
    freq = schedule["frequency"]
    if "oneTime" in freq:
        return _parse_time(freq["oneTime"]["scheduleTime"]).strftime("%H%M")
    return freq["repeating"]["timeOfDay"]


def _slots(schedule: dict) -> tuple[set, str]:
    """(days it can fire on, HHmm): a date for oneTime, weekday names for repeating."""
    freq = schedule["frequency"]
    if "oneTime" in freq:
        when = _parse_time(freq["oneTime"]["scheduleTime"])
        return {when.date(), WEEKDAYS[when.weekday()]}, _clock(schedule)
    return set(freq["repeating"]["weekdays"]), _clock(schedule)


def ensure_no_conflict(schedule: dict, others: list[dict]) -> None:
    """SCHEDULE_CONFLICT when another enabled schedule fires at the same moment."""
    if not schedule["enabled"]:
        return
    days, clock = _slots(schedule)
    one_time = "oneTime" in schedule["frequency"]
    for other in others:
        if other["id"] == schedule["id"] or not other["enabled"]:
            continue
        other_days, other_clock = _slots(other)
        if clock != other_clock:
            continue
        both_once = one_time and "oneTime" in other["frequency"]
        overlap = days & other_days
        # two one-time schedules clash only on the same date, not the same weekday
        if overlap and (not both_once or any(not isinstance(d, str) for d in overlap)):
            raise KasaError(SCHEDULE_CONFLICT,
                            f"Schedule conflicts with schedule {other['id']} ({other['name']!r})")


def next_run(schedule: dict, now_local: datetime) -> datetime | None:
    """When an enabled schedule next fires after ``now_local``; None if never again."""
    if not schedule["enabled"]:
        return None
    clock = _clock(schedule)
    freq = schedule["frequency"]
    if "oneTime" in freq:
        when = _parse_time(freq["oneTime"]["scheduleTime"])
        when = when.replace(hour=int(clock[:2]), minute=int(clock[2:]))
        return when if when > now_local else None
    for ahead in range(8):
        day = (now_local + timedelta(days=ahead)).date()
        if WEEKDAYS[day.weekday()] in freq["repeating"]["weekdays"]:
            when = datetime(day.year, day.month, day.day, int(clock[:2]), int(clock[2:]))
            if when > now_local:
                return when
    return None
