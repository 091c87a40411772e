"""The SmartThings capabilities the connector speaks, as data, and one validator.

Every state we emit goes through :func:`validate_state`; every command SmartThings sends
goes through :func:`validate_command` before a backend sees it. Both read the same table,
:data:`CAPABILITIES`, keyed by the id ST Schema carries (``"st.switchLevel"``).

The table follows SmartThings' generated capability definitions
(st-schema-protocol §5): attribute value types, the units each attribute may carry
(and whether one is required), value ranges, and each command's positional arguments.
Where the definitions are looser than what SmartThings accepts in practice we follow
practice and say so next to the entry (hue and saturation are 0–100; ``setColor``
needs hue and saturation).

Exceptions::

    CapabilityError              a command SmartThings sent cannot be accepted
    ├── CapabilityNotSupported   unknown capability/command, or not on this device
    └── ConstraintViolation      arguments missing, extra, of the wrong type, out of range
    InvalidState (ValueError)    a state we were about to emit breaks the definition

``CapabilityError`` carries the ST Schema device-error ``enum`` and a short ``detail``
that is safe to send back to SmartThings.

Commands are checked strictly: a numeric string is never a number and a bool is never a
number, but an integer-valued float (``50.0``) is accepted for an integer argument and
returned as ``50``. States are checked more strictly still: an integer attribute must
carry an ``int``, because we produce those values ourselves.

Pure: no I/O, imports only :mod:`connector.model`.
"""
from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from connector.model import Command, DeviceError, DeviceErrorEnum, State

__all__ = [
    "CAPABILITIES",
    "CELSIUS",
    "ENERGY_UNITS",
    "FAHRENHEIT",
    "KELVIN",
    "KILOWATT_HOUR",
    "PERCENT",
    "SECONDS",
    "TEMPERATURE_UNITS",
    "WATT",
    "WATT_HOUR",
    "Argument",
    "Attribute",
    "Capability",
    "CapabilityError",
    "CapabilityNotSupported",
    "CommandSpec",
    "ConstraintViolation",
    "Field",
    "InvalidState",
    "ValueType",
    "get",
    "validate_command",
    "validate_state",
]

# --------------------------------------------------------------------------- units

FAHRENHEIT = "F"
CELSIUS = "C"
TEMPERATURE_UNITS = (FAHRENHEIT, CELSIUS)
PERCENT = "%"
KELVIN = "K"
WATT = "W"
WATT_HOUR = "Wh"
KILOWATT_HOUR = "kWh"
ENERGY_UNITS = (WATT_HOUR, KILOWATT_HOUR, "mWh", "kVAh")
SECONDS = "s"

#: deviceError.detail is limited to 256 characters by the protocol; stay well inside.
MAX_DETAIL = 200

# ---------------------------------------------------------------------- exceptions


class CapabilityError(Exception):
    """A command cannot be accepted. ``enum`` is a :class:`DeviceErrorEnum` value."""

    enum: str = DeviceErrorEnum.RESOURCE_CONSTRAINT_VIOLATION

    def __init__(self, detail: str, *, enum: str | None = None):
        self.detail = detail[:MAX_DETAIL]
        if enum is not None:
            self.enum = enum
        super().__init__(self.detail)

    def to_device_error(self) -> DeviceError:
        """The ``deviceError`` entry to put in the command response."""
        return DeviceError(self.enum, self.detail)


class CapabilityNotSupported(CapabilityError):
    enum = DeviceErrorEnum.CAPABILITY_NOT_SUPPORTED


class ConstraintViolation(CapabilityError):
    enum = DeviceErrorEnum.RESOURCE_CONSTRAINT_VIOLATION


class InvalidState(ValueError):
    """A state does not match its capability definition (a bug on our side)."""


class _Mismatch(ValueError):
    """Internal: a value does not fit a :class:`ValueType`; the message says why."""


# --------------------------------------------------------------------- value types

STRING, ENUM, INTEGER, NUMBER, LIST, DATETIME, OBJECT = (
    "string", "enum", "integer", "number", "list", "datetime", "object",
)

_ISO8601 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{3})?"
    r"(?:Z|[+-](\d{2})(?::?(\d{2}))?)"
)


def _show(value: Any) -> str:
    """A short, printable rendering of a received value for error details."""
    text = repr(value)
    return text if len(text) <= 32 else text[:29] + "..."


@dataclass(frozen=True)
class Field:
    """One property of an object-typed value (COLOR_MAP, PowerConsumption)."""

    name: str
    type: ValueType
    required: bool = False


@dataclass(frozen=True)
class ValueType:
    """The shape of an attribute value or command argument.

    ``kind`` is one of ``string`` (``min_length``/``max_length``/``pattern``), ``enum``
    (``choices``), ``integer`` and ``number`` (``minimum``/``maximum``, inclusive),
    ``list`` (of ``items``), ``datetime`` (an ISO-8601 string such as
    ``2024-05-01T12:30:00.000Z``) and ``object`` (a dict of ``fields``; with no fields
    declared, any JSON object).
    """

    kind: str
    name: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    min_length: int = 0
    max_length: int | None = None
    pattern: str | None = None
    items: ValueType | None = None
    fields: tuple[Field, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in _CHECKS:
            raise ValueError(f"unknown value kind {self.kind!r}")
        if (self.kind == LIST) != (self.items is not None):
            raise ValueError("a list type needs items, and only a list type has them")

    def check(self, value: Any, *, coerce: bool = False) -> Any:
        """Return ``value`` (normalised) if it fits, else raise ``_Mismatch``.

        With ``coerce`` an integer-valued float is accepted where an integer is due
        and converted to ``int``; nothing else is ever converted.
        """
        return _CHECKS[self.kind](self, value, coerce)

    def _check_string(self, value: Any, coerce: bool) -> str:
        if not isinstance(value, str):
            raise _Mismatch(f"expected a string, got {type(value).__name__}")
        if len(value) < self.min_length:
            raise _Mismatch("must not be empty" if self.min_length == 1 else
                            f"must be at least {self.min_length} characters")
        if self.max_length is not None and len(value) > self.max_length:
            raise _Mismatch(f"must be at most {self.max_length} characters")
        if self.pattern is not None and not re.fullmatch(self.pattern, value):
            raise _Mismatch(f"{_show(value)} is not a valid {self.name or 'value'}")
        return value

    def _check_enum(self, value: Any, coerce: bool) -> str:
        if not isinstance(value, str):
            raise _Mismatch(f"expected a string, got {type(value).__name__}")
        if value not in self.choices:
            allowed = ", ".join(self.choices)
            if len(allowed) > 80:
                allowed = f"the {len(self.choices)} {self.name or 'allowed'} values"
            raise _Mismatch(f"{_show(value)} is not one of {allowed}")
        return value

    def _check_integer(self, value: Any, coerce: bool) -> int:
        if isinstance(value, float) and coerce and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Mismatch(f"expected an integer, got {type(value).__name__}")
        self._check_range(value)
        return value

    def _check_number(self, value: Any, coerce: bool) -> int | float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _Mismatch(f"expected a number, got {type(value).__name__}")
        if isinstance(value, float) and not math.isfinite(value):
            raise _Mismatch("must be a finite number")
        self._check_range(value)
        return value

    def _check_range(self, value: int | float) -> None:
        if self.minimum is not None and value < self.minimum:
            raise _Mismatch(f"{_show(value)} is below the minimum {_num(self.minimum)}")
        if self.maximum is not None and value > self.maximum:
            raise _Mismatch(f"{_show(value)} is above the maximum {_num(self.maximum)}")

    def _check_list(self, value: Any, coerce: bool) -> list:
        if not isinstance(value, (list, tuple)):
            raise _Mismatch(f"expected a list, got {type(value).__name__}")
        out = []
        for index, item in enumerate(value):
            try:
                out.append(self.items.check(item, coerce=coerce))  # type: ignore[union-attr]
            except _Mismatch as exc:
                raise _Mismatch(f"[{index}]: {exc}") from None
        return out

    def _check_datetime(self, value: Any, coerce: bool) -> str:
        if not isinstance(value, str):
            raise _Mismatch(f"expected an ISO-8601 string, got {type(value).__name__}")
        match = _ISO8601.fullmatch(value)
        try:
            if match is None:
                raise ValueError
            year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
            datetime(year, month, day, hour, minute, second)  # calendar check
            off_h, off_m = (int(g or 0) for g in match.groups()[6:])
            if year < 1000 or off_h > 23 or off_m > 59:
                raise ValueError
        except ValueError:
            raise _Mismatch(f"{_show(value)} is not an ISO-8601 date-time") from None
        return value

    def _check_object(self, value: Any, coerce: bool) -> dict:
        if not isinstance(value, Mapping):
            raise _Mismatch(f"expected an object, got {type(value).__name__}")
        if not self.fields:
            return dict(value)
        known = {f.name: f for f in self.fields}
        unknown = [key for key in value if key not in known]
        if unknown:
            raise _Mismatch(f"unknown field {_show(unknown[0])}")
        out = {}
        for spec in self.fields:
            if spec.name not in value:
                if spec.required:
                    raise _Mismatch(f"missing field {spec.name!r}")
                continue
            try:
                out[spec.name] = spec.type.check(value[spec.name], coerce=coerce)
            except _Mismatch as exc:
                raise _Mismatch(f"{spec.name}: {exc}") from None
        return out


_CHECKS = {
    STRING: ValueType._check_string,
    ENUM: ValueType._check_enum,
    INTEGER: ValueType._check_integer,
    NUMBER: ValueType._check_number,
    LIST: ValueType._check_list,
    DATETIME: ValueType._check_datetime,
    OBJECT: ValueType._check_object,
}


def _num(bound: float) -> str:
    return str(int(bound)) if float(bound).is_integer() else str(bound)


# ---------------------------------------------------------- capability definitions


@dataclass(frozen=True)
class Attribute:
    """An attribute of a capability: its value type and the units it may carry.

    ``units`` empty means a state must not carry a unit; ``unit_required`` means it
    must carry one of ``units``; otherwise the unit may be left out and SmartThings
    assumes ``default_unit``.
    """

    name: str
    type: ValueType
    units: tuple[str, ...] = ()
    unit_required: bool = False
    default_unit: str | None = None


@dataclass(frozen=True)
class Argument:
    """A positional command argument. Optional arguments come after required ones."""

    name: str
    type: ValueType
    optional: bool = False


@dataclass(frozen=True)
class CommandSpec:
    name: str
    arguments: tuple[Argument, ...] = ()


@dataclass(frozen=True)
class Capability:
    id: str  # as ST Schema carries it: "st.switch"
    name: str
    status: str  # "live" or "proposed" in SmartThings' catalogue
    attributes: Mapping[str, Attribute] = field(default_factory=dict, hash=False)
    commands: Mapping[str, CommandSpec] = field(default_factory=dict, hash=False)


# -- the value types SmartThings' definitions name

def _enum(name: str, *choices: str) -> ValueType:
    return ValueType(ENUM, name=name, choices=choices)


def _integer(minimum: float | None = None, maximum: float | None = None, name: str = "") -> ValueType:
    return ValueType(INTEGER, name=name, minimum=minimum, maximum=maximum)


def _number(minimum: float | None = None, maximum: float | None = None, name: str = "") -> ValueType:
    return ValueType(NUMBER, name=name, minimum=minimum, maximum=maximum)


def _list_of(items: ValueType) -> ValueType:
    return ValueType(LIST, name=f"list of {items.name or items.kind}", items=items)


TEXT = ValueType(STRING, name="String", min_length=1, max_length=255)
ISO8601_DATE = ValueType(DATETIME, name="Iso8601Date")
JSON_OBJECT = ValueType(OBJECT, name="JsonObject")
POSITIVE_INTEGER = _integer(0, name="PositiveInteger")  # SmartThings: minimum 0
INTEGER_PERCENT = _integer(0, 100, name="IntegerPercent")
PERCENT_NUMBER = _number(0, 100, name="hue/saturation")
TEMPERATURE_VALUE = _number(-460, 10000, name="TemperatureValue")
COLOR_TEMPERATURE_K = _integer(1, 30000, name="Kelvin")
ON_OFF = _enum("SwitchState", "on", "off")
MACHINE_STATE = _enum("MachineState", "pause", "run", "stop")
OPERATING_STATE = _enum("OperatingState", "ready", "running", "paused")
HEX_COLOR = ValueType(STRING, name="hex colour", pattern=r"#?[0-9A-Fa-f]{6}")

THERMOSTAT_MODE = _enum(
    "ThermostatMode",
    "asleep", "auto", "autowitheco", "autowithreset", "autochangeover",
    "autochangeoveractive", "autocool", "autoheat", "auxheatonly",
    "auxiliaryemergencyheat", "away", "cool", "custom", "dayoff", "dryair", "eco",
    "emergency heat", "emergencyheat", "emergencyheatactive", "energysavecool",
    "energysaveheat", "fanonly", "frostguard", "furnace", "heat", "heatingoff", "home",
    "in", "manual", "moistair", "off", "out", "resume", "rush hour", "rushhour",
    "schedule", "southernaway",
)
OVEN_MODE = _enum(
    "OvenMode",
    "heating", "grill", "warming", "defrosting", "Conventional", "Bake", "BottomHeat",
    "ConvectionBake", "ConvectionRoast", "Broil", "ConvectionBroil", "SteamCook",
    "SteamBake", "SteamRoast", "SteamBottomHeatplusConvection", "Microwave",
    "MWplusGrill", "MWplusConvection", "MWplusHotBlast", "MWplusHotBlast2",
    "SlimMiddle", "SlimStrong", "SlowCook", "Proof", "Dehydrate", "Others",
)

#: setColor's argument. SmartThings' type leaves every field optional; the app always
#: sends hue and saturation and nothing we drive can act on hex alone, so we require them.
COLOR_MAP = ValueType(OBJECT, name="COLOR_MAP", fields=(
    Field("hue", PERCENT_NUMBER, required=True),
    Field("saturation", PERCENT_NUMBER, required=True),
    Field("hex", HEX_COLOR),
    Field("level", INTEGER_PERCENT),
    Field("switch", ON_OFF),
))

#: powerConsumptionReport's value; energies in Wh, power in W (no unit on the state).
POWER_CONSUMPTION = ValueType(OBJECT, name="PowerConsumption", fields=(
    Field("start", ISO8601_DATE),
    Field("end", ISO8601_DATE),
    *(Field(name, _number()) for name in (
        "energy", "power", "deltaEnergy", "powerEnergy", "energySaved",
        "persistedEnergy", "persistedSavedEnergy",
    )),
))


# -- shorthands that keep the table below readable

def _attr(name: str, type_: ValueType, *units: str, default: str | None = None) -> Attribute:
    """An attribute whose unit is optional (SmartThings assumes ``default``)."""
    return Attribute(name, type_, units, False, default or (units[0] if units else None))


def _temperature(name: str) -> Attribute:
    """A Temperature-typed attribute: value −460…10000 and a required unit F or C."""
    return Attribute(name, TEMPERATURE_VALUE, TEMPERATURE_UNITS, unit_required=True)


def _percent(name: str) -> Attribute:
    return _attr(name, INTEGER_PERCENT, PERCENT)


def _cmd(name: str, *arguments: Argument) -> CommandSpec:
    return CommandSpec(name, arguments)


def _arg(name: str, type_: ValueType) -> Argument:
    return Argument(name, type_)


def _opt(name: str, type_: ValueType) -> Argument:
    return Argument(name, type_, optional=True)


def _capability(
    short_id: str,
    name: str,
    status: str,
    attributes: Iterable[Attribute] = (),
    commands: Iterable[CommandSpec] = (),
) -> Capability:
    return Capability(
        id=f"st.{short_id}",
        name=name,
        status=status,
        attributes=MappingProxyType({a.name: a for a in attributes}),
        commands=MappingProxyType({c.name: c for c in commands}),
    )


def _operating_state(short_id: str, name: str, status: str, job_attr: str,
                     job_states: tuple[str, ...]) -> Capability:
    """washer/dryer/dishwasherOperatingState share one shape."""
    return _capability(short_id, name, status, [
        _attr("machineState", MACHINE_STATE),
        _attr("supportedMachineStates", _list_of(MACHINE_STATE)),
        _attr(job_attr, _enum(job_attr, *job_states)),
        _attr("completionTime", ISO8601_DATE),
    ], [_cmd("setMachineState", _arg("state", MACHINE_STATE))])


def _mode(short_id: str, name: str, status: str, attr: str, command: str,
          modes: tuple[str, ...]) -> Capability:
    """washer/dryer/dishwasherMode: one enum attribute and its setter."""
    mode = _enum(attr, *modes)
    return _capability(short_id, name, status, [_attr(attr, mode)],
                       [_cmd(command, _arg("mode", mode))])


_DEFINITIONS = (
    # ---------------------------------------------------------- lights and plugs
    _capability("switch", "Switch", "live",
                [_attr("switch", ON_OFF)],
                [_cmd("on"), _cmd("off")]),
    _capability("switchLevel", "Switch Level", "live",
                [_percent("level")],
                [_cmd("setLevel", _arg("level", INTEGER_PERCENT), _opt("rate", POSITIVE_INTEGER))]),
    # hue is a PositiveNumber in the definition but SmartThings uses 0–100 (not degrees).
    _capability("colorControl", "Color Control", "live",
                [_attr("hue", PERCENT_NUMBER), _attr("saturation", PERCENT_NUMBER),
                 _attr("color", TEXT)],
                [_cmd("setHue", _arg("hue", PERCENT_NUMBER)),
                 _cmd("setSaturation", _arg("saturation", PERCENT_NUMBER)),
                 _cmd("setColor", _arg("color", COLOR_MAP))]),
    _capability("colorTemperature", "Color Temperature", "live",
                [_attr("colorTemperature", COLOR_TEMPERATURE_K, KELVIN)],
                [_cmd("setColorTemperature", _arg("temperature", COLOR_TEMPERATURE_K))]),
    _capability("powerMeter", "Power Meter", "live",
                [_attr("power", _number(), WATT)]),
    _capability("energyMeter", "Energy Meter", "live",
                [_attr("energy", _number(), *ENERGY_UNITS, default=KILOWATT_HOUR)],
                [_cmd("resetEnergyMeter")]),
    _capability("powerConsumptionReport", "Power Consumption Report", "live",
                [_attr("powerConsumption", POWER_CONSUMPTION)]),
    # ---------------------------------------------------------------- plumbing
    _capability("healthCheck", "Health Check", "live",
                [_attr("healthStatus", _enum("healthStatus", "online", "offline")),
                 _attr("DeviceWatch-DeviceStatus", _enum("DeviceStatus", "online", "offline")),
                 _attr("checkInterval", _integer(0, 604800), SECONDS),
                 _attr("DeviceWatch-Enroll", JSON_OBJECT)],
                [_cmd("ping")]),
    _capability("refresh", "Refresh", "live", [], [_cmd("refresh")]),
    # ------------------------------------------------------- climate and sensors
    _capability("temperatureMeasurement", "Temperature Measurement", "live",
                [_temperature("temperature")]),
    _capability("thermostatCoolingSetpoint", "Thermostat Cooling Setpoint", "live",
                [_temperature("coolingSetpoint")],
                [_cmd("setCoolingSetpoint", _arg("setpoint", TEMPERATURE_VALUE))]),
    _capability("thermostatHeatingSetpoint", "Thermostat Heating Setpoint", "live",
                [_temperature("heatingSetpoint")],
                [_cmd("setHeatingSetpoint", _arg("setpoint", TEMPERATURE_VALUE))]),
    _capability("thermostatMode", "Thermostat Mode", "live",
                [_attr("thermostatMode", THERMOSTAT_MODE),
                 _attr("supportedThermostatModes", _list_of(THERMOSTAT_MODE))],
                [_cmd("setThermostatMode", _arg("mode", THERMOSTAT_MODE)),
                 _cmd("off"), _cmd("heat"), _cmd("cool"), _cmd("auto"), _cmd("emergencyHeat")]),
    _capability("thermostatOperatingState", "Thermostat Operating State", "live",
                [_attr("thermostatOperatingState", _enum(
                    "ThermostatOperatingState", "cooling", "fan only", "heating", "idle",
                    "pending cool", "pending heat", "vent economizer"))]),
    # AC modes are free strings in the definition; the profile lists the supported ones.
    _capability("airConditionerMode", "Air Conditioner Mode", "live",
                [_attr("airConditionerMode", TEXT), _attr("supportedAcModes", _list_of(TEXT))],
                [_cmd("setAirConditionerMode", _arg("mode", TEXT))]),
    _capability("airConditionerFanMode", "Air Conditioner Fan Mode", "live",
                [_attr("fanMode", TEXT), _attr("supportedAcFanModes", _list_of(TEXT))],
                [_cmd("setFanMode", _arg("fanMode", TEXT))]),
    _capability("fanSpeed", "Fan Speed", "live",
                [_attr("fanSpeed", POSITIVE_INTEGER)],
                [_cmd("setFanSpeed", _arg("speed", POSITIVE_INTEGER))]),
    _capability("contactSensor", "Contact Sensor", "live",
                [_attr("contact", _enum("ContactState", "open", "closed"))]),
    _capability("doorControl", "Door Control", "live",
                [_attr("door", _enum("DoorState", "closed", "closing", "open", "opening", "unknown"))],
                [_cmd("open"), _cmd("close")]),
    _capability("waterSensor", "Water Sensor", "live",
                [_attr("water", _enum("MoistureState", "dry", "wet"))]),
    _capability("temperatureAlarm", "Temperature Alarm", "live",
                [_attr("temperatureAlarm", _enum(
                    "temperatureAlarm", "cleared", "freeze", "heat", "rateOfRise"))]),
    # ----------------------------------------------------------------- appliances
    # A boolean carried as the strings "true"/"false", as SmartThings defines it.
    _capability("remoteControlStatus", "Remote Control Status", "live",
                [_attr("remoteControlEnabled", _enum("remoteControlEnabled", "true", "false"))]),
    _operating_state("washerOperatingState", "Washer Operating State", "live", "washerJobState", (
        "airWash", "aIRinse", "aISpin", "aIWash", "cooling", "delayWash", "drying", "finish",
        "none", "preWash", "rinse", "spin", "wash", "weightSensing", "wrinklePrevent",
        "freezeProtection")),
    _mode("washerMode", "Washer Mode", "proposed", "washerMode", "setWasherMode",
          ("regular", "heavy", "rinse", "spinDry")),
    _operating_state("dryerOperatingState", "Dryer Operating State", "proposed", "dryerJobState", (
        "cooling", "delayWash", "drying", "finished", "none", "refreshing", "weightSensing",
        "wrinklePrevent", "dehumidifying", "aIDrying", "sanitizing", "internalCare",
        "freezeProtection", "continuousDehumidifying", "thawingFrozenInside")),
    _mode("dryerMode", "Dryer Mode", "proposed", "dryerMode", "setDryerMode",
          ("regular", "lowHeat", "highHeat")),
    _operating_state("dishwasherOperatingState", "Dishwasher Operating State", "proposed",
                     "dishwasherJobState", (
                         "airwash", "cooling", "drying", "finish", "preDrain", "prewash",
                         "rinse", "spin", "unknown", "wash", "wrinklePrevent")),
    _mode("dishwasherMode", "Dishwasher Mode", "proposed", "dishwasherMode", "setDishwasherMode",
          ("eco", "intense", "auto", "quick", "rinse", "dry")),
    _capability("ovenOperatingState", "Oven Operating State", "proposed",
                [_attr("machineState", OPERATING_STATE),
                 _attr("supportedMachineStates", _list_of(OPERATING_STATE)),
                 _attr("ovenJobState", _enum(
                     "ovenJobState", "cleaning", "cooking", "cooling", "draining", "preheat",
                     "ready", "rinsing", "finished", "scheduledStart", "warming", "defrosting",
                     "sensing", "searing", "fastPreheat", "scheduledEnd", "stoneHeating",
                     "timeHoldPreheat")),
                 _attr("completionTime", ISO8601_DATE),
                 _attr("operationTime", POSITIVE_INTEGER),
                 _percent("progress")],
                # setMachineState only accepts "stop" on an oven; start's time is seconds.
                [_cmd("setMachineState", _arg("state", _enum("ovenMachineCommand", "stop"))),
                 _cmd("stop"),
                 _cmd("start", _opt("mode", OVEN_MODE), _opt("time", POSITIVE_INTEGER),
                      _opt("setpoint", POSITIVE_INTEGER))]),
    _capability("ovenMode", "Oven Mode", "proposed",
                [_attr("ovenMode", OVEN_MODE), _attr("supportedOvenModes", _list_of(OVEN_MODE))],
                [_cmd("setOvenMode", _arg("mode", OVEN_MODE))]),
    # The definition gives ovenSetpoint no unit; the profile documents °F or °C.
    _capability("ovenSetpoint", "Oven Setpoint", "proposed",
                [_attr("ovenSetpoint", POSITIVE_INTEGER)],
                [_cmd("setOvenSetpoint", _arg("setpoint", POSITIVE_INTEGER))]),
    _capability("refrigeration", "Refrigeration", "live",
                [_attr("rapidCooling", ON_OFF), _attr("rapidFreezing", ON_OFF),
                 _attr("defrost", ON_OFF)],
                [_cmd("setRapidCooling", _arg("rapidCooling", ON_OFF)),
                 _cmd("setRapidFreezing", _arg("rapidFreezing", ON_OFF)),
                 _cmd("setDefrost", _arg("defrost", ON_OFF))]),
    _capability("refrigerationSetpoint", "Refrigeration Setpoint", "proposed",
                [_temperature("refrigerationSetpoint")],
                [_cmd("setRefrigerationSetpoint", _arg("setpoint", TEMPERATURE_VALUE))]),
    _capability("rapidCooling", "Rapid Cooling", "proposed",
                [_attr("rapidCooling", ON_OFF)],
                [_cmd("setRapidCooling", _arg("rapidCooling", ON_OFF))]),
    _capability("filterStatus", "Filter Status", "proposed",
                [_attr("filterStatus", _enum("filterStatus", "normal", "replace"))]),
    _capability("operatingState", "Operating State", "proposed",
                [_attr("machineState", OPERATING_STATE),
                 _attr("supportedMachineStates", _list_of(OPERATING_STATE))],
                [_cmd("setMachineState", _arg("state", OPERATING_STATE))]),
)

#: Every capability the connector uses, keyed by its ST Schema id ("st.switch").
CAPABILITIES: Mapping[str, Capability] = MappingProxyType({c.id: c for c in _DEFINITIONS})


def get(capability_id: str) -> Capability:
    """The definition of ``capability_id``; ``KeyError`` when we do not know it."""
    return CAPABILITIES[capability_id]


# ----------------------------------------------------------------------- validation


def validate_command(command: Command, supported: Iterable[str] | None = None) -> Command:
    """Check a command SmartThings sent and return it with normalised arguments.

    ``supported`` is the device's capability ids; when given, a command for any other
    capability is refused. Raises :class:`CapabilityNotSupported` for an unknown or
    unsupported capability or command, :class:`ConstraintViolation` for missing, extra,
    mistyped or out-of-range arguments. A ``None`` argument list counts as empty and a
    ``None`` argument as omitted (allowed for optional arguments only). The returned
    command has a tuple of arguments, integer-valued floats turned into ints (also
    inside COLOR_MAP) and trailing omitted optional arguments dropped.
    """
    capability = CAPABILITIES.get(command.capability)
    if capability is None:
        raise CapabilityNotSupported(f"unknown capability {_show(command.capability)}")
    if isinstance(supported, str):
        supported = (supported,)
    if supported is not None and command.capability not in set(supported):
        raise CapabilityNotSupported(f"device does not support {capability.id}")
    spec = capability.commands.get(command.command)
    if spec is None:
        raise CapabilityNotSupported(f"{capability.id} has no command {_show(command.command)}")

    where = f"{capability.id}.{spec.name}"
    received = () if command.arguments is None else command.arguments
    if not isinstance(received, (list, tuple)):
        raise ConstraintViolation(f"{where}: arguments must be a list")
    if len(received) > len(spec.arguments):
        raise ConstraintViolation(
            f"{where}: takes at most {len(spec.arguments)} argument(s), got {len(received)}")

    arguments: list[Any] = []
    for index, argument in enumerate(spec.arguments):
        value = received[index] if index < len(received) else None
        if value is None:
            if not argument.optional:
                raise ConstraintViolation(f"{where}: missing argument {argument.name!r}")
            arguments.append(None)
            continue
        try:
            arguments.append(argument.type.check(value, coerce=True))
        except _Mismatch as exc:
            raise ConstraintViolation(f"{where}: {argument.name}: {exc}") from None
    while arguments and arguments[-1] is None:
        arguments.pop()
    return dataclasses.replace(command, arguments=tuple(arguments))


def validate_state(state: State) -> None:
    """Raise :class:`InvalidState` unless ``state`` matches its capability definition.

    Checks that the capability and attribute exist, the value's type and range, and
    the unit: required for Temperature-typed attributes, one of the allowed units when
    present, and absent for attributes that have none.
    """
    capability = CAPABILITIES.get(state.capability)
    if capability is None:
        raise InvalidState(f"unknown capability {_show(state.capability)}")
    attribute = capability.attributes.get(state.attribute)
    if attribute is None:
        raise InvalidState(f"{capability.id} has no attribute {_show(state.attribute)}")
    where = f"{capability.id}.{attribute.name}"
    try:
        attribute.type.check(state.value)
    except _Mismatch as exc:
        raise InvalidState(f"{where}: {exc}") from None
    if state.unit is None:
        if attribute.unit_required:
            raise InvalidState(f"{where}: unit required, one of {', '.join(attribute.units)}")
    elif not attribute.units:
        raise InvalidState(f"{where}: takes no unit, got {_show(state.unit)}")
    elif state.unit not in attribute.units:
        raise InvalidState(
            f"{where}: unit {_show(state.unit)} is not one of {', '.join(attribute.units)}")
