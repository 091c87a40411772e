"""Appliance kinds: which SmartHQ device types share a device profile, the components
and capabilities each profile has, and which sub-device feeds which component.

This is the one table the mapping, the profile files under ``config/profiles/`` and
``connector smarthq profiles`` agree on (``profiles.check_profile`` compares them).
Pure data and string helpers; no I/O.

Components: ``main`` always (it carries healthCheck and refresh); laundry centers get
``washer``/``dryer``, dish drawers ``upper``/``lower``, refrigerators ``freezer`` and
``icemaker``, ovens ``lower`` (the upper or only cavity is ``main``), hoods ``light``.
"""
from __future__ import annotations

ROOT = "cloud.smarthq."

# SmartThings capabilities (ST Schema ids).
HEALTH = "st.healthCheck"
REFRESH = "st.refresh"
SWITCH = "st.switch"
LEVEL = "st.switchLevel"
CONTACT = "st.contactSensor"
TEMPERATURE = "st.temperatureMeasurement"
COOLING_SETPOINT = "st.thermostatCoolingSetpoint"
HEATING_SETPOINT = "st.thermostatHeatingSetpoint"
REMOTE = "st.remoteControlStatus"
ENERGY_REPORT = "st.powerConsumptionReport"
WASHER_STATE = "st.washerOperatingState"
WASHER_MODE = "st.washerMode"
DRYER_STATE = "st.dryerOperatingState"
DRYER_MODE = "st.dryerMode"
DISHWASHER_STATE = "st.dishwasherOperatingState"
DISHWASHER_MODE = "st.dishwasherMode"
OVEN_STATE = "st.ovenOperatingState"
OVEN_MODE = "st.ovenMode"
OVEN_SETPOINT = "st.ovenSetpoint"
REFRIGERATION = "st.refrigeration"
FILTER = "st.filterStatus"
AC_MODE = "st.airConditionerMode"
AC_FAN = "st.airConditionerFanMode"
FAN_SPEED = "st.fanSpeed"

MAIN = "main"

# Appliance kinds: also the profile file names and the SMARTHQ_PROFILE_IDS keys.
WASHER = "washer"
DRYER = "dryer"
LAUNDRY_CENTER = "laundrycenter"
DISHWASHER = "dishwasher"
DISHDRAWER = "dishdrawer"
REFRIGERATOR = "refrigerator"
OVEN = "oven"
AIR_CONDITIONER = "airconditioner"
HOOD = "hood"
WATER_HEATER = "waterheater"
GENERIC = "generic"

_ALWAYS = (HEALTH, REFRESH)
_WASHER = (WASHER_STATE, WASHER_MODE, REMOTE, CONTACT, ENERGY_REPORT)
_DRYER = (DRYER_STATE, DRYER_MODE, REMOTE, CONTACT, ENERGY_REPORT)
_DISHES = (DISHWASHER_STATE, DISHWASHER_MODE, REMOTE, CONTACT, ENERGY_REPORT)
_CAVITY = (OVEN_STATE, OVEN_MODE, OVEN_SETPOINT, TEMPERATURE, REMOTE, CONTACT)

LAYOUTS: dict[str, dict[str, tuple[str, ...]]] = {
    WASHER: {MAIN: (*_WASHER, *_ALWAYS)},
    DRYER: {MAIN: (*_DRYER, *_ALWAYS)},
    LAUNDRY_CENTER: {MAIN: _ALWAYS, "washer": _WASHER, "dryer": _DRYER},
    DISHWASHER: {MAIN: (*_DISHES, *_ALWAYS)},
    DISHDRAWER: {MAIN: (ENERGY_REPORT, *_ALWAYS), "upper": _DISHES[:4], "lower": _DISHES[:4]},
    REFRIGERATOR: {
        MAIN: (REFRIGERATION, COOLING_SETPOINT, TEMPERATURE, CONTACT, FILTER, ENERGY_REPORT,
               *_ALWAYS),
        "freezer": (COOLING_SETPOINT, TEMPERATURE, CONTACT),
        "icemaker": (SWITCH,),
    },
    OVEN: {MAIN: (*_CAVITY, *_ALWAYS), "lower": _CAVITY},
    AIR_CONDITIONER: {MAIN: (SWITCH, AC_MODE, AC_FAN, COOLING_SETPOINT, TEMPERATURE, *_ALWAYS)},
    HOOD: {MAIN: (SWITCH, FAN_SPEED, *_ALWAYS), "light": (SWITCH, LEVEL)},
    WATER_HEATER: {MAIN: (HEATING_SETPOINT, TEMPERATURE, *_ALWAYS)},
    GENERIC: {MAIN: (SWITCH, TEMPERATURE, COOLING_SETPOINT, HEATING_SETPOINT, REFRIGERATION,
                     CONTACT, ENERGY_REPORT, *_ALWAYS)},
}
"""kind → component → the capabilities its device profile declares, main first."""

KINDS = tuple(LAYOUTS)

LABELS = {
    WASHER: "Washer", DRYER: "Dryer", LAUNDRY_CENTER: "Laundry Center",
    DISHWASHER: "Dishwasher", DISHDRAWER: "Dish Drawer", REFRIGERATOR: "Refrigerator",
    OVEN: "Oven", AIR_CONDITIONER: "Air Conditioner", HOOD: "Hood",
    WATER_HEATER: "Water Heater", GENERIC: "Appliance",
}

CATEGORIES = {
    WASHER: "Washer", DRYER: "Dryer", LAUNDRY_CENTER: "Washer", DISHWASHER: "Dishwasher",
    DISHDRAWER: "Dishwasher", REFRIGERATOR: "Refrigerator", OVEN: "Oven",
    AIR_CONDITIONER: "AirConditioner", HOOD: "RangeHood", WATER_HEATER: "WaterHeater",
    GENERIC: "Others",
}
"""SmartThings device category of each kind (the profile's main component)."""

KIND_BY_DEVICE_TYPE = {
    "washer": WASHER,
    "dryer": DRYER,
    "laundrycenter": LAUNDRY_CENTER,
    "combilaundry": LAUNDRY_CENTER,
    "dishwasher": DISHWASHER,
    "dishdrawer": DISHDRAWER,
    "refrigerator": REFRIGERATOR,
    "oven": OVEN,
    "range": OVEN,  # range.electric, range.gas
    "toasteroven": OVEN,
    "combioven": OVEN,
    "airconditioner": AIR_CONDITIONER,
    "ptac": AIR_CONDITIONER,
    "vtac": AIR_CONDITIONER,
    "dehumidifier": AIR_CONDITIONER,  # thermostat.v1 too (smarthq-api.md §7)
    "hood": HOOD,
    "waterheater": WATER_HEATER,
}
"""``cloud.smarthq.device.<x>`` → kind; anything else is ``generic``."""


def short(value, group: str) -> str:
    """``short("cloud.smarthq.domain.door.lock", "domain")`` → ``door.lock``.

    Values of another group, or without the prefix, come back unchanged (lower-cased),
    so comparisons never fail on a prefix we did not expect.
    """
    if not isinstance(value, str):
        return ""
    text, prefix = value.lower(), f"{ROOT}{group}."
    return text[len(prefix):] if text.startswith(prefix) else text


def type_value(value, group: str) -> str:
    """``type_value("cloud.smarthq.type.runstatus.in.progress", "runstatus")`` → ``in.progress``.

    Enum values are ``cloud.smarthq.type.<group>.<x>`` strings and are matched on
    ``<x>`` (§2.3.2). A value shaped otherwise yields its last dotted word, the best
    guess at its meaning.
    """
    if not isinstance(value, str):
        return ""
    text = value.lower()
    prefix = f"{ROOT}type.{group}."
    if text.startswith(prefix):
        return text[len(prefix):]
    return text.rsplit(".", 1)[-1]


def kind_of(device_type) -> str:
    """The appliance kind of a SmartHQ ``deviceType`` (``generic`` when unknown)."""
    name = short(device_type, "device")
    return KIND_BY_DEVICE_TYPE.get(name) or KIND_BY_DEVICE_TYPE.get(name.split(".", 1)[0]) \
        or GENERIC


def normalize_kind(name: str) -> str | None:
    """A kind from how an operator may spell it (``Laundry_Center``, ``range``), or None."""
    key = "".join(ch for ch in str(name).lower() if ch.isalnum())
    if key in LAYOUTS:
        return key
    return KIND_BY_DEVICE_TYPE.get(key)


def component_for(kind: str, sub_device: str) -> str | None:
    """The component a sub-device (``serviceDeviceType``, short form) feeds, or None
    when its services have no place in the kind's profile (they are ignored)."""
    last = sub_device.rsplit(".", 1)[-1]
    if kind == LAUNDRY_CENTER:
        return last if last in ("washer", "dryer") else MAIN
    if kind == DISHDRAWER:
        return last if last in ("upper", "lower") else MAIN
    if kind == OVEN:
        return "lower" if last == "lower" else MAIN
    if kind == HOOD:
        return "light" if last == "light" else MAIN
    if kind == REFRIGERATOR:
        return _fridge_component(sub_device)
    return MAIN


def _fridge_component(sub_device: str) -> str | None:
    if sub_device.startswith("icemaker"):
        return "icemaker"
    if "freezer" in sub_device:
        return "freezer"
    if sub_device in ("refrigerator", "appliance") or sub_device.startswith(
            ("refrigerator.freshfood", "refrigerator.waterfilter")):
        return MAIN
    return None  # convertible drawer, dispenser light, defrost delay, wifi…
