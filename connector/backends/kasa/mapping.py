"""Pure translation between Kasa cloud payloads and the backend-neutral model.

Inputs are the plain dicts ``KasaClient`` returns: a Device object (from ``/devices``
or ``device_info()["device"]``), ``device_info()`` data (``{"device", "state"}``) and
``realtime_energy()`` data. No I/O here.

* ``to_device``: Kasa Device → ``model.Device`` (handler type picked from the traits).
* ``to_states``: device info (+ real-time energy) → ``model.State`` list.
* ``plan_commands``: SmartThings commands → the fewest Kasa calls (``KasaCall``), after
  rejecting anything the device cannot do (``MappingError``) before any call exists.
* ``predicted_states``: the states a successful plan leaves behind, computed by applying
  the calls to the state dict and converting that like any read — so a commandResponse
  needs no read-back unless a ``refresh`` was asked for.

Conversions (kasa-and-python-ecosystem.md A.7):

* level = Kasa brightness (1–100), integer %; ``setLevel(0)`` turns the device off and
  leaves the brightness alone.
* hue: Kasa 0–360° ⇄ SmartThings 0–100 %. Reported as a rounded integer %, so every
  integer % SmartThings sends comes back unchanged, and a Kasa-side hue settles after
  one trip (off by at most 2°: 1.8° per % plus rounding to whole degrees).
* colorTemperature is Kelvin on both sides, clamped into the device's range (metadata,
  else a per-model table). A bulb in colour mode reports 0 K: we omit the attribute then,
  so SmartThings keeps the last real temperature instead of receiving 0, which is
  outside the capability's 1–30000 K range and means "not in white mode", not a colour.
* power W and energy kWh from whichever real-time field set the firmware uses.
"""
from __future__ import annotations

import colorsys
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from connector.model import (
    is_number,
    MAIN,
    Command,
    Device,
    DeviceErrorEnum,
    ManufacturerInfo,
    State,
)

NAMESPACE = "kasa"
MANUFACTURER = "TP-Link"

# Kasa traits (Device.capability).
ON_OFF = "traits.devices.OnOff"
BRIGHTNESS = "traits.devices.Brightness"
COLOR_TEMPERATURE = "traits.devices.ColorTemperature"
COLOR_SPECTRUM = "traits.devices.ColorSpectrum"
ENERGY_MONITORING = "traits.devices.EnergyMonitoring"

# SmartThings capabilities.
SWITCH = "st.switch"
LEVEL = "st.switchLevel"
COLOR = "st.colorControl"
COLOR_TEMP = "st.colorTemperature"
POWER = "st.powerMeter"
ENERGY = "st.energyMeter"
HEALTH = "st.healthCheck"
REFRESH = "st.refresh"

HANDLER_CAPABILITIES: dict[str, frozenset[str]] = {
    "c2c-switch": frozenset({SWITCH}),
    "c2c-switch-power-energy": frozenset({SWITCH, POWER, ENERGY}),
    "c2c-dimmer": frozenset({SWITCH, LEVEL}),
    "c2c-dimmer-power-energy": frozenset({SWITCH, LEVEL, POWER, ENERGY}),
    "c2c-color-temperature-bulb": frozenset({SWITCH, LEVEL, COLOR_TEMP}),
    "c2c-rgb-color-bulb": frozenset({SWITCH, LEVEL, COLOR}),
    "c2c-rgbw-color-bulb": frozenset({SWITCH, LEVEL, COLOR, COLOR_TEMP}),
}
"""What each handler type shows in SmartThings; we emit and accept nothing else."""

ALWAYS = frozenset({HEALTH, REFRESH})

COMMANDS: dict[str, frozenset[str]] = {
    SWITCH: frozenset({"on", "off"}),
    LEVEL: frozenset({"setLevel"}),
    COLOR: frozenset({"setHue", "setSaturation", "setColor"}),
    COLOR_TEMP: frozenset({"setColorTemperature"}),
    REFRESH: frozenset({"refresh"}),
}
"""Commands we carry out. energyMeter.resetEnergyMeter is left out on purpose: Kasa's
only reset erases the user's whole energy history, and its real-time total (what we
report) would not restart at zero anyway."""

CATEGORIES = {
    "devices.types.Light": "light",
    "devices.types.Outlet": "smartplug",
    "devices.types.Switch": "switch",
}

KELVIN_BY_MODEL: dict[str, tuple[int, int]] = {
    **dict.fromkeys(("LB130", "LB230", "KB130", "KL130", "KL135", "KL400L5", "KL420", "KL430"),
                    (2500, 9000)),
    "KL125": (2500, 6500),
    "LB120": (2700, 6500),
    "KL120(EU)": (2700, 6500),
    "KL120(US)": (2700, 5000),
}
"""Fallback ranges when a device's metadata has none (python-kasa's table); metadata wins."""
KELVIN_DEFAULT = (2700, 5000)  # the narrowest common range: safe for an unknown model
KELVIN_LIMITS = (1, 30000)  # st.colorTemperature's own range

DEFAULT_SATURATION = 100  # a hue with no known saturation should show as a colour
DEFAULT_BRIGHTNESS = 100


class MappingError(Exception):
    """A command this device cannot carry out; ``enum`` is an ST device error enum."""

    def __init__(self, enum: str, detail: str):
        super().__init__(detail)
        self.enum = enum
        self.detail = detail


@dataclass(frozen=True)
class KasaCall:
    """One ``KasaClient`` method call: ``getattr(client, method)(**kwargs)``."""

    method: str
    kwargs: dict = field(default_factory=dict)


@dataclass(frozen=True)
class CommandPlan:
    """The Kasa calls for one device's commands, in order; ``refresh`` asks for a read-back."""

    device_id: str
    calls: tuple[KasaCall, ...] = ()
    refresh: bool = False


@dataclass(frozen=True)
class EnergyReading:
    """A real-time meter reading in SI-ish units, whatever the firmware sent."""

    power_w: float | None = None
    energy_kwh: float | None = None
    voltage_v: float | None = None
    current_a: float | None = None


# -- ids ---------------------------------------------------------------------------------


def external_id(device_id: str) -> str:
    """The stable, namespaced externalDeviceId of a Kasa device id."""
    if not device_id:
        raise ValueError("empty Kasa device id")
    return f"{NAMESPACE}:{device_id}"


def device_id(external: str) -> str:
    """The Kasa device id inside an externalDeviceId made by :func:`external_id`."""
    prefix, sep, rest = external.partition(":")
    if prefix != NAMESPACE or not sep or not rest:
        raise ValueError(f"not a Kasa externalDeviceId: {external!r}")
    return rest


# -- device ------------------------------------------------------------------------------


def traits(device: Mapping) -> frozenset[str]:
    return frozenset(t for t in device.get("capability") or () if isinstance(t, str))


def handler_type(device: Mapping) -> str:
    """The c2c handler type for a Kasa device, chosen by its traits.

    Lighting traits decide first (the bulb handler types carry no meter, so a metering
    bulb shows as a bulb); then brightness; then energy monitoring; else a plain switch.
    """
    t = traits(device)
    color, white = COLOR_SPECTRUM in t, COLOR_TEMPERATURE in t
    if color:
        return "c2c-rgbw-color-bulb" if white else "c2c-rgb-color-bulb"
    if white:
        return "c2c-color-temperature-bulb"
    metering = ENERGY_MONITORING in t
    if BRIGHTNESS in t:
        return "c2c-dimmer-power-energy" if metering else "c2c-dimmer"
    return "c2c-switch-power-energy" if metering else "c2c-switch"


def capabilities(device: Mapping) -> frozenset[str]:
    """Every SmartThings capability the device has (its handler type's, plus health/refresh)."""
    return HANDLER_CAPABILITIES[handler_type(device)] | ALWAYS


def reports_energy(device: Mapping) -> bool:
    """Whether ``to_states`` wants ``realtime_energy()`` data for this device."""
    return POWER in capabilities(device)


def kelvin_range(device: Mapping) -> tuple[int, int]:
    """The device's colour-temperature range: its metadata, else the model table."""
    meta = device.get("metadata") or {}
    low, high = meta.get("minColorTemperature"), meta.get("maxColorTemperature")
    if is_number(low) and is_number(high) and 0 < low < high:
        return int(low), int(high)
    model = str(device.get("model") or "")
    base = model.split("(", 1)[0].strip()
    return KELVIN_BY_MODEL.get(model) or KELVIN_BY_MODEL.get(base) or KELVIN_DEFAULT


def to_device(device: Mapping) -> Device:
    """A Kasa Device object as SmartThings discovery should see it.

    No cookie: everything a command needs (traits, Kelvin range, current colour) comes
    from the fresh device info read before planning, and a cookie could be stale.
    """
    kasa_id = device.get("id")
    if not kasa_id:
        raise ValueError("Kasa device without an id")
    model = str(device.get("model") or "").strip() or "Kasa device"
    name = str(device.get("name") or "").strip() or f"Kasa {model}"
    handler = handler_type(device)
    category = CATEGORIES.get(device.get("type")) or (
        "light" if handler.endswith("bulb") else None)
    return Device(
        external_id=external_id(str(kasa_id)),
        friendly_name=name,
        manufacturer=ManufacturerInfo(
            MANUFACTURER, model,
            hw_version=_text(device.get("hardwareVersion")),
            sw_version=_text(device.get("softwareVersion")),
        ),
        handler_type=handler,
        categories=(category,) if category else (),
        unique_id=normalize_mac(device.get("macAddress")),
    )


def normalize_mac(mac: Any) -> str | None:
    """``AA:BB:CC:DD:EE:FF`` from any common spelling; None if it is not a MAC."""
    if not isinstance(mac, str):
        return None
    digits = re.sub(r"[^0-9A-Fa-f]", "", mac)
    if len(digits) != 12 or len(re.sub(r"[0-9A-Fa-f:.\-\s]", "", mac)) > 0:
        return None
    return ":".join(digits[i:i + 2] for i in range(0, 12, 2)).upper()


# -- states ------------------------------------------------------------------------------


def health_state(online: bool) -> State:
    return State(HEALTH, "healthStatus", "online" if online else "offline")


def hue_to_st(degrees: float) -> int:
    """Kasa hue (0–360°) → SmartThings hue (0–100 %), rounded to an integer."""
    return _clamp(round(float(degrees) / 3.6), 0, 100)


def hue_to_kasa(percent: float) -> int:
    """SmartThings hue (0–100 %) → Kasa hue (0–360°), rounded to an integer."""
    return _clamp(round(float(percent) * 3.6), 0, 360)


def energy_reading(realtime: Mapping | None) -> EnergyReading:
    """Normalise a real-time stat: the documented fields (powerWatts, totalKWs, …), the
    newer firmware's milli-units (power_mw, total_wh, voltage_mv, current_ma) and the
    older firmware's plain units (power W, total kWh, voltage V, current A).

    Accepts ``realtime_energy()`` data or the bare ``realTimeStat``. ``totalKWs`` is read
    as kWh: its sample value (2.367 beside an 8.6 W load) only makes sense as kWh.
    """
    if not realtime:
        return EnergyReading()
    stat = realtime.get("realTimeStat", realtime)
    if not isinstance(stat, Mapping):
        return EnergyReading()
    # Unit-explicit names first, so a firmware that sends both never gets scaled twice.
    return EnergyReading(
        power_w=_first(stat, ("powerWatts", 1), ("power_mw", 1e-3), ("power", 1)),
        energy_kwh=_first(stat, ("totalKWs", 1), ("total_wh", 1e-3), ("total", 1)),
        voltage_v=_first(stat, ("VoltageVolts", 1), ("voltage_mv", 1e-3), ("voltage", 1)),
        current_a=_first(stat, ("currentAmps", 1), ("current_ma", 1e-3), ("current", 1)),
    )


def to_states(info: Mapping, realtime: Mapping | None = None) -> list[State]:
    """The SmartThings states of one device from ``device_info()`` data.

    An offline device yields only ``healthStatus: offline``: whatever state the cloud
    still holds for it is stale, and SmartThings keeps the last good values anyway.
    ``realtime`` (``realtime_energy()`` data) feeds power/energy on metering devices.
    """
    device = info.get("device") or {}
    state = info.get("state") or {}
    if device.get("online") is False:
        return [health_state(False)]
    caps = capabilities(device)
    out: list[State] = []

    if isinstance(state.get("powered"), bool):
        out.append(State(SWITCH, "switch", "on" if state["powered"] else "off"))
    hsb = _hsb(state)
    brightness = state.get("brightness")
    if not is_number(brightness):
        brightness = hsb.get("brightness")
    if LEVEL in caps and is_number(brightness):
        out.append(State(LEVEL, "level", _clamp(round(brightness), 0, 100), unit="%"))
    if COLOR in caps:
        if is_number(hsb.get("hue")):
            out.append(State(COLOR, "hue", hue_to_st(hsb["hue"])))  # colorControl takes no unit
        if is_number(hsb.get("saturation")):
            out.append(State(COLOR, "saturation", _clamp(round(hsb["saturation"]), 0, 100)))
    kelvin = state.get("colorTemperature")
    if COLOR_TEMP in caps and is_number(kelvin) and kelvin > 0:  # 0 = colour mode
        out.append(State(COLOR_TEMP, "colorTemperature", int(round(kelvin)), unit="K"))
    if POWER in caps and realtime:
        reading = energy_reading(realtime)
        if reading.power_w is not None:
            out.append(State(POWER, "power", round(reading.power_w, 1), unit="W"))
        if reading.energy_kwh is not None:
            out.append(State(ENERGY, "energy", round(reading.energy_kwh, 3), unit="kWh"))
    out.append(health_state(True))
    return out


# -- commands ----------------------------------------------------------------------------


@dataclass
class _Target:
    """What the commands, read in order, ask the device to become."""

    power: bool | None = None
    power_implied: bool = False  # set by a lighting command, not by on/off
    brightness: int | None = None
    hue: int | None = None  # Kasa degrees
    saturation: int | None = None
    kelvin: int | None = None
    mode: str | None = None  # "color" or "white": the last lighting mode asked for
    refresh: bool = False

    def switch(self, on: bool, implied: bool = False) -> None:
        self.power, self.power_implied = on, implied


def plan_commands(info: Mapping, commands: Iterable[Command]) -> CommandPlan:
    """The fewest Kasa calls that carry out ``commands`` on the device in ``info``.

    ``info`` is ``device_info()`` data read just before (traits, Kelvin range, current
    colour and power). Every command is checked first; one that the device cannot do
    raises ``MappingError(CAPABILITY-NOT-SUPPORTED)``, an argument outside its range
    ``MappingError(RESOURCE-CONSTRAINT-VIOLATION)`` — before any call is planned.

    Coalescing: commands fold into one target, last one wins per attribute; colour
    (hue, saturation, level) becomes one ``set_color`` HSB call; a colour temperature
    one ``set_color_temperature`` (plus ``set_brightness`` for a level, as that call
    has no brightness); power goes last, so the device comes on with its new look. The
    API document does not say that the brightness/colour calls switch a device on, so
    an explicit ``on`` is always sent. A lighting command on its own (setLevel > 0,
    colour, temperature) also means "on", as it does in SmartThings and the Kasa app;
    that implied power call is left out when the device is already on.

    ``setLevel``'s optional rate is ignored (the API's transitionPeriod is not the same
    notion). ``online`` is not checked: Kasa's own answer (DEVICE_OFFLINE) decides.
    """
    device = info.get("device") or {}
    state = info.get("state") or {}
    kasa_id = device.get("id")
    if not kasa_id:
        raise ValueError("device info without a device id")
    caps = capabilities(device)
    target = _Target()
    for command in commands:
        _apply(target, command, caps, device)
    return CommandPlan(str(kasa_id), tuple(_calls(str(kasa_id), target, state)), target.refresh)


def _apply(target: _Target, command: Command, caps: frozenset[str], device: Mapping) -> None:
    name, args = command.command, tuple(command.arguments or ())
    if command.component != MAIN or command.capability not in caps \
            or name not in COMMANDS.get(command.capability, ()):
        raise MappingError(DeviceErrorEnum.CAPABILITY_NOT_SUPPORTED,
                           f"{command.component}/{command.capability}.{name} is not supported "
                           f"by this {device.get('model') or 'Kasa device'}")
    if name == "on":
        target.switch(True)
    elif name == "off":
        target.switch(False)
    elif name == "setLevel":
        level = _percent(_arg(args, 0, name), "level")
        if level == 0:
            target.switch(False)  # SmartThings' "level 0" is off; keep the old brightness
        else:
            target.brightness = level
            target.switch(True, implied=True)
    elif name == "setHue":
        target.hue = hue_to_kasa(_percent(_arg(args, 0, name), "hue", integer=False))
        target.mode = "color"
        target.switch(True, implied=True)
    elif name == "setSaturation":
        target.saturation = _percent(_arg(args, 0, name), "saturation")
        target.mode = "color"
        target.switch(True, implied=True)
    elif name == "setColor":
        _apply_color_map(target, _arg(args, 0, name))
    elif name == "setColorTemperature":
        target.kelvin = _kelvin(_arg(args, 0, name), device)
        target.mode = "white"
        target.switch(True, implied=True)
    elif name == "refresh":
        target.refresh = True


def _apply_color_map(target: _Target, color: Any) -> None:
    if not isinstance(color, Mapping):
        raise _violation("setColor needs a color map {hue, saturation, hex?, level?, switch?}")
    hue, saturation = color.get("hue"), color.get("saturation")
    hex_color = color.get("hex")
    if hue is None and saturation is None and hex_color is not None:
        hue, saturation = _hex_to_hue_saturation(hex_color)
    if hue is None and saturation is None:
        raise _violation("setColor needs hue, saturation or hex")
    if hue is not None:
        target.hue = hue_to_kasa(_percent(hue, "hue", integer=False))
    if saturation is not None:
        target.saturation = _percent(saturation, "saturation")
    target.mode = "color"
    level = color.get("level")
    if level is not None:
        level = _percent(level, "level")
        if level == 0:
            target.switch(False)
        else:
            target.brightness = level
    switch = color.get("switch")
    if switch is None:
        if level != 0:
            target.switch(True, implied=True)
    elif switch in ("on", "off"):
        target.switch(switch == "on")
    else:
        raise _violation(f"setColor switch must be 'on' or 'off', got {switch!r}")


def _calls(kasa_id: str, target: _Target, state: Mapping) -> list[KasaCall]:
    calls = []
    if target.mode == "color":
        hsb = _hsb(state)
        current_brightness = state.get("brightness")
        if not is_number(current_brightness):
            current_brightness = hsb.get("brightness")
        # In white mode the hsb left in the state is not a colour anyone sees (often
        # saturation 0): a lone setHue must not produce white again.
        white_now = is_number(state.get("colorTemperature")) and state["colorTemperature"] > 0
        current_saturation = None if white_now else hsb.get("saturation")
        calls.append(KasaCall("set_color", {
            "device_id": kasa_id,
            "hue": _pick(target.hue, hsb.get("hue"), 0),
            "saturation": _pick(target.saturation, current_saturation, DEFAULT_SATURATION),
            "brightness": _pick(target.brightness, current_brightness, DEFAULT_BRIGHTNESS),
        }))
    elif target.brightness is not None:
        calls.append(KasaCall("set_brightness", {"device_id": kasa_id,
                                                 "brightness": target.brightness}))
    if target.mode == "white":
        calls.append(KasaCall("set_color_temperature", {"device_id": kasa_id,
                                                        "kelvin": target.kelvin}))
    if target.power is not None:
        already_on = state.get("powered") is True
        if not (target.power and target.power_implied and already_on):
            calls.append(KasaCall("set_power", {"device_id": kasa_id, "powered": target.power}))
    return calls


def apply_calls(state: Mapping, calls: Iterable[KasaCall]) -> dict:
    """The Kasa state dict after ``calls`` succeeded (the input is not changed)."""
    new = dict(state)
    for call in calls:
        kw = call.kwargs
        if call.method == "set_power":
            new["powered"] = kw["powered"]
        elif call.method == "set_brightness":
            new["brightness"] = kw["brightness"]
        elif call.method == "set_color":
            hsb = {"hue": kw["hue"], "saturation": kw["saturation"],
                   "brightness": kw["brightness"]}
            new["color"] = {"hsb": hsb}
            new["brightness"] = kw["brightness"]
            new["colorTemperature"] = 0  # the bulb is in colour mode now
        elif call.method == "set_color_temperature":
            new["colorTemperature"] = kw["kelvin"]
    return new


def predicted_states(info: Mapping, plan: CommandPlan | Iterable[KasaCall]) -> list[State]:
    """The states a commandResponse can report once every call of ``plan`` succeeded.

    Pass only the calls that succeeded if some failed. Power/energy are not predicted
    (the meter has to measure them); the next poll reports them.
    """
    calls = plan.calls if isinstance(plan, CommandPlan) else tuple(plan)
    state = apply_calls(info.get("state") or {}, calls)
    return to_states({"device": info.get("device") or {}, "state": state})


# -- small helpers -----------------------------------------------------------------------


def _violation(detail: str) -> MappingError:
    return MappingError(DeviceErrorEnum.RESOURCE_CONSTRAINT_VIOLATION, detail)


def _arg(args: tuple, index: int, command: str) -> Any:
    if len(args) <= index:
        raise _violation(f"{command} needs an argument")
    return args[index]


def _number(value: Any, what: str) -> float:
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise _violation(f"{what} must be a number, got {value!r}") from None
    if not is_number(value):
        raise _violation(f"{what} must be a number, got {value!r}")
    return float(value)


def _percent(value: Any, what: str, integer: bool = True):
    number = _number(value, what)
    if not 0 <= number <= 100:
        raise _violation(f"{what} must be within 0–100, got {value!r}")
    return int(round(number)) if integer else number


def _kelvin(value: Any, device: Mapping) -> int:
    kelvin = _number(value, "colorTemperature")
    low, high = KELVIN_LIMITS
    if not low <= kelvin <= high:
        raise _violation(f"colorTemperature must be within {low}–{high} K, got {value!r}")
    # Inside the capability's range but outside the bulb's: clamp, as HA does — a scene
    # or group may ask for a temperature that only some of its bulbs reach.
    device_low, device_high = kelvin_range(device)
    return _clamp(int(round(kelvin)), device_low, device_high)


def _hex_to_hue_saturation(value: Any) -> tuple[float, float]:
    match = re.fullmatch(r"#?([0-9A-Fa-f]{6})", value) if isinstance(value, str) else None
    if not match:
        raise _violation(f"setColor hex must look like #RRGGBB, got {value!r}")
    rgb = bytes.fromhex(match.group(1))
    h, s, _ = colorsys.rgb_to_hsv(*(c / 255 for c in rgb))
    return h * 100, s * 100


def _hsb(state: Mapping) -> dict:
    color = state.get("color")
    hsb = color.get("hsb") if isinstance(color, Mapping) else None
    return hsb if isinstance(hsb, dict) else {}


def _pick(wanted, current, default) -> int:
    for value in (wanted, current):
        if is_number(value):
            return int(round(value))
    return default


def _first(stat: Mapping, *candidates: tuple[str, float]) -> float | None:
    for key, scale in candidates:
        value = stat.get(key)
        if is_number(value) and value >= 0:
            return value * scale
    return None


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None
