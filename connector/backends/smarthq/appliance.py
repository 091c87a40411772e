"""A SmartHQ ``device#item`` read as SmartThings components: the shared ground of the
state mapping (``mapping``) and the command planning (``commands``). Pure; no I/O.

A device is a bag of services, each named by its triple (serviceType, domainType,
serviceDeviceType) (smarthq-api.md §2.3). ``appliance()`` gives every service a
*role* from its serviceType and domainType alone (never from the deviceType, as GE's
own integration does) and files it under the component its sub-device feeds
(``kinds.component_for``). States and commands then look services up by role, so the
service that reports an attribute is always the one its command goes to. When two
services claim one role on one component the first wins; services of the appliance's
own sub-device come first.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping

from connector.backends.smarthq import kinds
from connector.backends.smarthq.kinds import MAIN, short
from connector.model import DeviceErrorEnum, is_number

FAHRENHEIT, CELSIUS = "F", "C"

# Temperature domains that measure rather than set (§2.3.3).
MEASURED = ("actual.temperature", "measurement", "ambient", "ambient.inside", "indoor",
            "indoor.ambient")
# Roles that sit on a refrigerator's main component whatever their sub-device.
FRIDGE_MAIN_ROLES = ("rapid_cooling", "rapid_freezing", "filter")
LIST_ROLES = ("doors", "dish_mode", "cooking_mode")


class MappingError(Exception):
    """A command this appliance cannot carry out now; ``enum`` is an ST device error enum."""

    def __init__(self, enum: str, detail: str):
        super().__init__(detail)
        self.enum = enum
        self.detail = detail


def unsupported(detail: str) -> MappingError:
    return MappingError(DeviceErrorEnum.CAPABILITY_NOT_SUPPORTED, detail)


def violation(detail: str) -> MappingError:
    return MappingError(DeviceErrorEnum.RESOURCE_CONSTRAINT_VIOLATION, detail)


def unavailable(detail: str) -> MappingError:
    return MappingError(DeviceErrorEnum.DEVICE_UNAVAILABLE, detail)


@dataclass
class Part:
    """The services feeding one SmartThings component, by role."""

    component: str
    roles: dict[str, dict] = field(default_factory=dict)
    lists: dict[str, list[dict]] = field(default_factory=dict)

    def get(self, role: str) -> dict | None:
        return self.roles.get(role)

    def all(self, role: str) -> list[dict]:
        return self.lists.get(role, [])


@dataclass
class Appliance:
    device_id: str
    kind: str
    device_type: str
    online: bool
    unit: str  # the temperature unit the appliance shows: "F" or "C"
    parts: dict[str, Part]

    def part(self, component: str) -> Part | None:
        return self.parts.get(component)


def appliance(device: Mapping) -> Appliance:
    """The component/role view of a ``device#item`` (a list entry gives no parts)."""
    device_id = device.get("deviceId")
    if not device_id:
        raise ValueError("SmartHQ device without a deviceId")
    kind = kinds.kind_of(device.get("deviceType"))
    own = short(device.get("deviceType"), "device")
    services = [s for s in device.get("services") or () if isinstance(s, Mapping)]
    # Stable sort: the appliance's own sub-device first, then the order SmartHQ sent.
    services.sort(key=lambda s: 0 if short(s.get("serviceDeviceType"), "device") == own else 1)
    layout = kinds.LAYOUTS[kind]
    parts = {name: Part(name) for name in layout}
    for service in services:
        role = role_of(service)
        if role is None:
            continue
        component = kinds.component_for(kind, short(service.get("serviceDeviceType"), "device"))
        if kind == kinds.REFRIGERATOR and role in FRIDGE_MAIN_ROLES:
            component = MAIN  # refrigeration and the filter show on the fridge itself
        part = parts.get(component) if component else None
        if part is None:
            continue
        if role in LIST_ROLES:
            part.lists.setdefault(role, []).append(service)
        else:
            part.roles.setdefault(role, service)
    return Appliance(str(device_id), kind, own, presence_online(device.get("presence")),
                     unit_of(services), parts)


def role_of(service: Mapping) -> str | None:
    """What a service is for, from its serviceType and domainType (None: not mapped)."""
    stype = short(service.get("serviceType"), "service")
    domain = short(service.get("domainType"), "domain")
    sub = short(service.get("serviceDeviceType"), "device")
    if stype == "toggle":
        if domain == "turbo":
            return "rapid_freezing" if "freezer" in sub else "rapid_cooling"
        # Door toggles (door.lock…) are not open/closed flags: only door services are.
        return "power" if domain == "power" else None
    if stype == "temperature":
        if domain == "setpoint":
            return "setpoint"
        if domain in MEASURED or (domain.startswith("cooking.cavity.")
                                  and not domain.endswith(".offset")):
            return "temperature"
        return None
    if stype == "trigger":
        return f"trigger:{domain}"
    if stype == "mode":
        if domain == "state" and "waterfilter" in sub:
            return "filter"
        return "units" if domain == "temperatureunits" else None
    if stype == "integer":
        return {"speed": "fan_speed", "brightness": "brightness"}.get(domain)
    if stype == "cycletimer":
        return "timer" if domain == "cycle" else None
    if stype == "meter":
        return "energy" if domain == "energy" else None
    return {
        "laundry.state.v1": "laundry",
        "remotecycleselection": "cycle_select",
        "door": "doors",
        "dishwasher.state.v1": "dish_state",
        "dishwasher.mode.v1": "dish_mode",
        "cooking.state.v1": "cooking",
        "cooking.mode.v1": "cooking_mode",
        "thermostat.v1": "thermostat",
        "waterheater.v1": "waterheater",
    }.get(stype)


# -- small readers -----------------------------------------------------------------------


def presence_online(presence: Any) -> bool:
    """§7: ONLINE is online; OFFLINE and UNKNOWN are not."""
    return isinstance(presence, str) and presence.upper() == "ONLINE"


def unit_of(services) -> str:
    """The unit the appliance displays (its ``temperatureunits`` mode), else °F: SmartHQ
    appliances are sold in the US and every documented payload is Fahrenheit-first."""
    for service in services:
        if short(service.get("serviceType"), "service") == "mode" and \
                short(service.get("domainType"), "domain") == "temperatureunits":
            mode = kinds.type_value(state_of(service).get("mode"), "mode")
            if mode in ("celsius", "fahrenheit"):
                return CELSIUS if mode == "celsius" else FAHRENHEIT
    return FAHRENHEIT


def state_of(service: Mapping | None) -> Mapping:
    state = service.get("state") if service else None
    return state if isinstance(state, Mapping) else {}


def config_of(service: Mapping | None) -> Mapping:
    config = service.get("config") if service else None
    return config if isinstance(config, Mapping) else {}


def commands_of(service: Mapping | None) -> tuple[str, ...]:
    found = service.get("supportedCommands") if service else None
    return tuple(c for c in found or () if isinstance(c, str))


def disabled(service: Mapping | None) -> bool:
    return state_of(service).get("disabled") is True


def tidy(value: float) -> int | float:
    """An integral float as an int, anything else rounded to a tenth."""
    value = round(float(value), 1)
    return int(value) if value.is_integer() else value


# -- temperatures ------------------------------------------------------------------------


def f_to_c(value: float) -> float:
    return (value - 32) * 5 / 9


def c_to_f(value: float) -> float:
    return value * 9 / 5 + 32


def unit_field(unit: str, fahrenheit: str, celsius: str) -> str:
    return fahrenheit if unit == FAHRENHEIT else celsius


def bounds(config: Mapping, name: str) -> tuple[float | None, float | None]:
    """``config[name + "Minimum"]`` and ``…Maximum`` (SmartHQ's naming), when numbers."""
    low, high = config.get(f"{name}Minimum"), config.get(f"{name}Maximum")
    return (low if is_number(low) else None, high if is_number(high) else None)


def temperature(state: Mapping, config: Mapping, unit: str, fahrenheit: str = "fahrenheit",
                celsius: str = "celsius") -> int | float | None:
    """A temperature in ``unit`` from whichever fields the state has, clamped to the
    service's configured range for that unit."""
    own, other = (fahrenheit, celsius) if unit == FAHRENHEIT else (celsius, fahrenheit)
    value = _first_number(state, own, own + "Converted")
    if value is None:
        value = _first_number(state, other, other + "Converted")
        if value is None:
            return None
        value = f_to_c(value) if unit == CELSIUS else c_to_f(value)
    low, high = bounds(config, own)
    if low is not None:
        value = max(low, value)
    if high is not None:
        value = min(high, value)
    return tidy(value)


def _first_number(state: Mapping, *names: str) -> float | None:
    for name in names:
        if is_number(state.get(name)):
            return state[name]
    return None


# -- time --------------------------------------------------------------------------------


def parse_time(value: Any) -> float | None:
    """Epoch seconds of an ISO-8601 time such as ``2024-05-01T12:00:00.000Z``."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


def completion_time(timer: Mapping | None, now: float | None) -> str | None:
    """When a running cycle ends: the timer's lastStateTime + secondsRemaining.

    The remaining time was true when the timer last changed, so this holds for a
    fresh read and for an event alike; ``now`` stands in when lastStateTime is
    missing. None while the timer is paused (SmartThings keeps the last value).
    """
    state = state_of(timer)
    remaining = state.get("secondsRemaining")
    if timer is None or state.get("paused") is True or not is_number(remaining) or remaining < 0:
        return None
    base = parse_time(timer.get("lastStateTime"))
    base = now if base is None else base
    if base is None:
        return None
    try:
        return iso(base + remaining)
    except (OverflowError, ValueError, OSError):  # a remaining time no calendar holds
        return None


def iso(epoch: float) -> str:
    """``2024-05-01T12:31:00.000Z``: milliseconds and Z, as SmartThings shows them."""
    moment = datetime.fromtimestamp(epoch, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# -- capability choices that depend on a service's config ------------------------------

COLD_SETPOINT_MAX_F = 60  # a generic setpoint whose range tops out at or below this cools


def setpoint_capability(appliance_kind: str, service: Mapping | None) -> str | None:
    """Which setpoint capability a ``temperature``/``setpoint`` service is.

    Fridges cool. For an unknown appliance the configured range decides: one topping
    out at 60 °F (15 °C) or below is cold storage (freezer, wine cabinet), anything
    warmer heats; with no range we cannot tell and map nothing.
    """
    if appliance_kind == kinds.REFRIGERATOR:
        return kinds.COOLING_SETPOINT
    if appliance_kind != kinds.GENERIC or service is None:
        return None
    config = config_of(service)
    top = config.get("fahrenheitMaximum")
    if not is_number(top) and is_number(config.get("celsiusMaximum")):
        top = c_to_f(config["celsiusMaximum"])
    if not is_number(top):
        return None
    return kinds.COOLING_SETPOINT if top <= COLD_SETPOINT_MAX_F else kinds.HEATING_SETPOINT


def brightness_max(service: Mapping | None) -> float:
    """The top of an integer brightness service (hood light 0–5); 100 if not configured."""
    top = config_of(service).get("maximum")
    return top if is_number(top) and top > 0 else 100
