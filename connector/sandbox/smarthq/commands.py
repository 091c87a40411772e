"""``POST /v2/command`` checks and the generic command effects (smarthq-api.md §2.4, §8.5).

``validate`` turns a command object into checked parameters or raises a 400
``ApiError``: the commandType must be in the service's ``supportedCommands``, its
parameters must be the ones that command takes (unknown ones are refused, as the
JSON schema ``client.post.serviceCommand`` would) with values inside the service's
config (min/max, supported modes). ``apply_generic`` is what toggle, mode,
temperature, integer and string commands do when no behaviour unit claims them.
"""
from __future__ import annotations

from numbers import Real
from typing import Any, Callable

from . import names
from .errors import bad_request
from .services import Service

Checker = Callable[[Service, dict], dict]


def _is_bool(v: Any) -> bool:
    return isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, Real) and not isinstance(v, bool)


def _is_int(v: Any) -> bool:
    return _is_number(v) and float(v).is_integer()


def _only(params: dict, allowed: set[str], command_type: str) -> None:
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise bad_request(f"Unsupported parameter(s) for {command_type}: {', '.join(unknown)}")


def _range(svc: Service, key: str, value: float, lo: str, hi: str) -> None:
    low, high = svc.config.get(lo), svc.config.get(hi)
    if (low is not None and value < low) or (high is not None and value > high):
        raise bad_request(f"{key} {value} is outside {low}..{high}")


def _choice(key: str, value: Any, allowed: list) -> None:
    if value not in allowed:
        raise bad_request(f"{key} {value!r} is not one of the supported values")


def _no_params(svc: Service, p: dict) -> dict:
    _only(p, set(), "this command")
    return {}


def _toggle_set(svc: Service, p: dict) -> dict:
    _only(p, {"on"}, "toggle.set")
    if not _is_bool(p.get("on")):
        raise bad_request("on must be a boolean")
    return p


def _mode_set(svc: Service, p: dict) -> dict:
    _only(p, {"mode"}, "mode.set")
    _choice("mode", p.get("mode"), svc.config.get("supportedModes", []))
    return p


def _temperature_set(svc: Service, p: dict) -> dict:
    _only(p, {"fahrenheit", "celsius"}, "temperature.set")
    if len(p) != 1:
        raise bad_request("temperature.set takes exactly one of fahrenheit or celsius")
    (key, value), = p.items()
    if not _is_number(value):
        raise bad_request(f"{key} must be a number")
    _range(svc, key, value, f"{key}Minimum", f"{key}Maximum")
    return p


def _integer_set(svc: Service, p: dict) -> dict:
    _only(p, {"value"}, "integer.set")
    if not _is_int(p.get("value")):
        raise bad_request("value must be an integer")
    _range(svc, "value", p["value"], "minimum", "maximum")
    return {"value": int(p["value"])}


def _integer_adjust(svc: Service, p: dict) -> dict:
    _only(p, {"delta"}, "integer.adjust")
    if not _is_int(p.get("delta")):
        raise bad_request("delta must be an integer")
    result = svc.state.get("value", 0) + int(p["delta"])
    _range(svc, "value", result, "minimum", "maximum")
    return {"value": result}


def _string_set(svc: Service, p: dict) -> dict:
    _only(p, {"stringValue"}, "string.set")
    if not isinstance(p.get("stringValue"), str):
        raise bad_request("stringValue must be a string")
    return p


def _cycle_select(svc: Service, p: dict) -> dict:
    _only(p, {"mode"}, "remotecycleselection.set")
    _choice("mode", p.get("mode"), svc.config.get("supportedModes", []))
    return p


def _dishwasher_mode(svc: Service, p: dict) -> dict:
    c = svc.config
    _only(p, {"washZone", "washTemp", "heatedDry", "steam", "bottleWash", "silverwareWash",
              "delayStartValue"}, "dishwasher.mode.v1.set")
    for key, allowed in (("washZone", "supportedWashZones"), ("washTemp", "supportedWashTemps"),
                         ("heatedDry", "supportedHeatedDry")):
        if key in p:
            _choice(key, p[key], c.get(allowed, []))
    for key in ("steam", "bottleWash", "silverwareWash"):
        if key in p:
            if not _is_bool(p[key]):
                raise bad_request(f"{key} must be a boolean")
            if p[key] and not c.get(f"{key}Supported"):
                raise bad_request(f"{key} is not supported by this cycle")
    if "delayStartValue" in p:
        if not _is_int(p["delayStartValue"]):
            raise bad_request("delayStartValue must be an integer")
        _range(svc, "delayStartValue", p["delayStartValue"], "delayStartValueMinimum",
               "delayStartValueMaximum")
        if p["delayStartValue"] < 0:
            raise bad_request("delayStartValue must not be negative")
    return p


THERMOSTAT_FLAGS = {"swing": "supportsSwing", "ecoMode": "supportsEcoMode",
                    "humidity": "supportsHumidity", "pump": "supportsPump"}


def _thermostat_set(svc: Service, p: dict) -> dict:
    c = svc.config
    _only(p, {"on", "mode", "fanSpeed", "coolFahrenheit", "coolCelsius", "heatFahrenheit",
              "heatCelsius", "fanBehavior", *THERMOSTAT_FLAGS}, "thermostat.v1.set")
    if not p:
        raise bad_request("thermostat.v1.set needs at least one state field")
    if "on" in p and not _is_bool(p["on"]):
        raise bad_request("on must be a boolean")
    if "mode" in p:
        _choice("mode", p["mode"], c.get("supportedModes", []))
    if "fanSpeed" in p:
        _choice("fanSpeed", p["fanSpeed"], c.get("supportedFanSpeeds", []))
    for kind in ("cool", "heat"):
        given = [k for k in (f"{kind}Fahrenheit", f"{kind}Celsius") if k in p]
        if len(given) > 1:
            raise bad_request(f"send only one of {kind}Fahrenheit or {kind}Celsius")
        for key in given:
            if f"{key}Minimum" not in c:
                raise bad_request(f"{key} is not supported by this appliance")
            if not _is_number(p[key]):
                raise bad_request(f"{key} must be a number")
            _range(svc, key, p[key], f"{key}Minimum", f"{key}Maximum")
    for key, flag in THERMOSTAT_FLAGS.items():
        if key in p and not c.get(flag):
            raise bad_request(f"{key} is not supported by this appliance")
    return p


def _cooking_start(svc: Service, p: dict) -> dict:
    c = svc.config
    _only(p, {"cavityFahrenheit", "cookTimeSeconds", "probeFahrenheit", "numericOptionValue",
              "autoKeepWarm", "donenessLevel", "option"}, "cooking.mode.v1.start")
    for key in ("cavityFahrenheit", "cookTimeSeconds", "probeFahrenheit"):
        support = c.get(f"{key}Supported")
        if support is None:
            if key in p:
                raise bad_request(f"{key} is not supported by this mode")
            continue
        if key not in p:
            if support == names.type_("parameter", "required"):
                raise bad_request(f"{key} is required by this mode")
            continue
        if not _is_int(p[key]):
            raise bad_request(f"{key} must be an integer")
        _range(svc, key, p[key], f"{key}Minimum", f"{key}Maximum")
        if p[key] < 0:
            raise bad_request(f"{key} must not be negative")
    return p


CHECKERS: dict[str, Checker] = {
    "toggle.set": _toggle_set,
    "mode.set": _mode_set,
    "temperature.set": _temperature_set,
    "integer.set": _integer_set,
    "integer.adjust": _integer_adjust,
    "string.set": _string_set,
    "trigger.do": _no_params,
    "remotecycleselection.set": _cycle_select,
    "dishwasher.state.v1.start": _no_params,
    "dishwasher.state.v1.stop": _no_params,
    "dishwasher.state.v1.pause": _no_params,
    "dishwasher.mode.v1.set": _dishwasher_mode,
    "thermostat.v1.set": _thermostat_set,
    "thermostat.v1.set.maximum": _no_params,
    "thermostat.v1.set.minimum": _no_params,
    "cooking.state.v1.stop": _no_params,
    "cooking.state.v1.pause": _no_params,
    "cooking.state.v1.resume": _no_params,
    "cooking.mode.v1.start": _cooking_start,
}


def validate(svc: Service, command: Any) -> tuple[str, dict]:
    """(commandType, checked parameters) of a command object; 400 on anything wrong."""
    if not isinstance(command, dict):
        raise bad_request("command must be an object")
    command_type = command.get("commandType")
    if not isinstance(command_type, str) or not command_type:
        raise bad_request("command.commandType is required")
    if command_type not in svc.supported_commands:
        raise bad_request(f"commandType {command_type} is not supported by this service")
    params = {k: v for k, v in command.items() if k != "commandType"}
    checker = CHECKERS.get(command_type.removeprefix(names.ROOT + ".command."), _no_params)
    return command_type, checker(svc, params)


def generic_changes(svc: Service, command_type: str, params: dict) -> dict:
    """The state change a generic command makes (empty if it makes none)."""
    verb = command_type.removeprefix(names.ROOT + ".command.")
    if verb == "temperature.set":
        if "fahrenheit" in params:
            f = params["fahrenheit"]
            return {"fahrenheit": f, "celsius": round((f - 32) * 5 / 9)}
        c = params["celsius"]
        return {"celsius": c, "fahrenheit": round(c * 9 / 5 + 32)}
    if verb in ("toggle.set", "mode.set", "integer.set", "integer.adjust", "string.set"):
        return dict(params)
    return {}
