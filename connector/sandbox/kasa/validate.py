"""Argument checks shared by the API routes, schedules and the "Kasa app" knob.

Ranges are the document's: brightness and saturation 0-100, hue 0-360, transitionPeriod
0-10000 ms, colour temperature within the device's metadata range. A field of the
wrong type or out of range is BAD_REQUEST ("invalid argument"); a field for a trait the
device lacks is CAPABILITY_NOT_SUPPORTED.
"""
from __future__ import annotations

from typing import Any

from . import catalog
from .errors import CAPABILITY_NOT_SUPPORTED, KasaError, bad_request

MODES = ("CIRCADIAN", "LAST_STATUS", "CUSTOMIZE_PRESET")
TRANSITION_MAX_MS = 10000

_MISSING = object()


def obj(value: Any, name: str) -> dict:
    if not isinstance(value, dict):
        raise bad_request(f"{name} must be a JSON object")
    return value


def boolean(data: dict, key: str, *, required: bool = True) -> bool | None:
    value = data.get(key, _MISSING)
    if value is _MISSING or value is None:
        if required:
            raise bad_request(f"{key} is required")
        return None
    if not isinstance(value, bool):
        raise bad_request(f"{key} must be true or false")
    return value


def integer(data: dict, key: str, lo: int, hi: int, *, required: bool = True) -> int | None:
    """An int32 field; a float with no fractional part is accepted as Java would."""
    value = data.get(key, _MISSING)
    if value is _MISSING or value is None:
        if required:
            raise bad_request(f"{key} is required")
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_request(f"{key} must be an integer")
    if not lo <= value <= hi:
        raise bad_request(f"{key} must be between {lo} and {hi}")
    return value


def number(data: dict, key: str, lo: float, hi: float) -> float | int:
    value = data.get(key, _MISSING)
    if value is _MISSING or value is None:
        raise bad_request(f"{key} is required")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise bad_request(f"{key} must be a number")
    if not lo <= value <= hi:
        raise bad_request(f"{key} must be between {lo} and {hi}")
    return value


def transition_period(data: dict) -> int | None:
    return integer(data, "transitionPeriod", 0, TRANSITION_MAX_MS, required=False)


def require_trait(spec: catalog.ModelSpec, trait: str) -> None:
    if not spec.has(trait):
        short = trait.rsplit(".", 1)[-1]
        raise KasaError(CAPABILITY_NOT_SUPPORTED,
                        f"Device model {spec.model} does not support {short}")


def hsb(color: Any) -> dict:
    """``{"hsb": {hue, saturation, brightness}}`` → the checked hsb dict."""
    color = obj(color, "color")
    values = obj(color.get("hsb"), "color.hsb")
    return {
        "hue": number(values, "hue", 0, 360),
        "saturation": number(values, "saturation", 0, 100),
        "brightness": integer(values, "brightness", 0, 100),
    }


def color_temperature(data: dict, spec: catalog.ModelSpec, *, required: bool = True) -> int | None:
    lo, hi = spec.ct_range or (0, 0)
    return integer(data, "colorTemperature", lo, hi, required=required)


def state(value: Any, spec: catalog.ModelSpec, *, powered_required: bool = True) -> dict:
    """A State object (powered, brightness, color, colorTemperature, mode), checked
    against the device: each optional field needs the matching trait."""
    value = obj(value, "state")
    out: dict[str, Any] = {}
    powered = boolean(value, "powered", required=powered_required)
    if powered is not None:
        out["powered"] = powered
    if value.get("brightness") is not None:
        require_trait(spec, catalog.BRIGHTNESS)
        out["brightness"] = integer(value, "brightness", 0, 100)
    if value.get("color") is not None:
        require_trait(spec, catalog.COLOR_SPECTRUM)
        out["color"] = {"hsb": hsb(value["color"])}
    if value.get("colorTemperature") is not None:
        require_trait(spec, catalog.COLOR_TEMPERATURE)
        out["colorTemperature"] = color_temperature(value, spec)
    if value.get("mode") is not None:
        # The document: "use these mode values while setting up schedule for smart bulbs"
        if spec.type != catalog.LIGHT:
            raise KasaError(CAPABILITY_NOT_SUPPORTED, "mode applies to smart bulbs only")
        if value["mode"] not in MODES:
            raise bad_request(f"mode must be one of {', '.join(MODES)}")
        out["mode"] = value["mode"]
    return out
