"""SmartThings commands → SmartHQ service commands, and their expected effect. Pure.

``plan_commands`` checks every command before any exists, in this order, and raises
``MappingError`` with the ST device-error enum that tells SmartThings what happened:

1. the component/capability is not in the appliance's profile, SmartHQ has no service
   for it, or the service does not list the command in ``supportedCommands``
   → CAPABILITY-NOT-SUPPORTED;
2. the argument is outside the service's config (min/max, supported modes and cycles)
   → RESOURCE-CONSTRAINT-VIOLATION;
3. the service is ``disabled`` or remote control is off (Remote Start not armed,
   oven ``remoteEnable`` false) → DEVICE-UNAVAILABLE, with a detail saying so. The
   command is valid and would work once the user enables remote control on the
   appliance: "temporarily unavailable for a known reason" is exactly that enum's
   meaning, where the other two would tell SmartThings the request itself is wrong.

A command that asks for the state the appliance is already in (``run`` while running)
plans nothing and succeeds. Commands to the same service with the same ``.set``
command coalesce into one (AC on + mode + setpoint = one ``thermostat.v1.set``).
What a plan should do to the appliance is ``effects.apply_commands``.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from connector.backends.smarthq import kinds
from connector.backends.smarthq.appliance import (
    Appliance,
    Part,
    appliance,
    bounds,
    brightness_max,
    c_to_f,
    commands_of,
    config_of,
    disabled,
    setpoint_capability,
    state_of,
    tidy,
    unavailable,
    unit_field,
    unsupported,
    violation,
)
from connector.backends.smarthq.enums import (
    AC_MODES,
    DISHWASHER_MODES,
    FAN_MODES,
    OVEN_MODES,
    TRIGGER_DO,
    TRIGGERS,
    WASHER_MODES,
    cooking_mode,
    dishwasher_cycle,
    laundry_cycle,
    machine_state,
    pick,
)
from connector.backends.smarthq.kinds import short, type_value
from connector.model import Command, is_number

COMMAND = "cloud.smarthq.command."
RUNSTATUS = "cloud.smarthq.type.runstatus."
REMOTE_START_OFF = "Remote Start is not armed on the {what}'s panel: arm it there to start remotely"
REMOTE_OFF = "remote control is off on the {what}: enable it on its panel"


@dataclass(frozen=True)
class ServiceCommand:
    """One ``POST /v2/command``: the service triple and the command object."""

    device_id: str
    service_type: str
    domain_type: str
    service_device_type: str
    command: Mapping[str, Any]

    @property
    def command_type(self) -> str:
        return self.command["commandType"]

    @property
    def triple(self) -> tuple[str, str, str]:
        return (self.service_type, self.domain_type, self.service_device_type)

    def kwargs(self) -> dict:
        """The arguments of ``SmartHQClient.send_command``."""
        return {"device_id": self.device_id, "service_type": self.service_type,
                "domain_type": self.domain_type,
                "service_device_type": self.service_device_type,
                "command": dict(self.command)}


@dataclass(frozen=True)
class CommandPlan:
    """The service commands for one device, in order; ``refresh`` asks for a read-back."""

    device_id: str
    commands: tuple[ServiceCommand, ...] = ()
    refresh: bool = False


def plan_commands(device: Mapping, commands: Iterable[Command]) -> CommandPlan:
    """The SmartHQ commands that carry out ``commands`` on the appliance in ``device``
    (a fresh ``device#item``). Raises ``MappingError`` before planning anything when
    one command cannot be carried out."""
    planner = _Planner(appliance(device))
    for command in commands:
        planner.add(command)
    return CommandPlan(planner.app.device_id, tuple(planner.out), planner.refresh)


class _Planner:
    def __init__(self, app: Appliance):
        self.app = app
        self.out: list[ServiceCommand] = []
        self.refresh = False

    def add(self, command: Command) -> None:
        app, name = self.app, command.command
        where = f"{command.component}/{command.capability}.{name}"
        allowed = kinds.LAYOUTS[app.kind].get(command.component, ())
        if command.capability not in allowed:
            raise unsupported(f"{where} is not supported by this {_label(app)}")
        if (command.capability, name) in ((kinds.REFRESH, "refresh"), (kinds.HEALTH, "ping")):
            self.refresh = True
            return
        handler = HANDLERS.get((command.capability, name))
        if handler is None:
            raise unsupported(f"{where} is not supported by this {_label(app)}")
        planned = handler(app, app.parts[command.component], tuple(command.arguments or ()))
        if planned is not None:
            self._emit(planned)

    def _emit(self, new: ServiceCommand) -> None:
        if new.command_type.endswith(".set"):
            for index, old in enumerate(self.out):
                if old.triple == new.triple and old.command_type == new.command_type:
                    merged = {**old.command, **new.command}
                    self.out[index] = dataclasses.replace(old, command=merged)
                    return
        self.out.append(new)


# -- building blocks ---------------------------------------------------------------------


def _label(app: Appliance) -> str:
    return kinds.LABELS[app.kind].lower()


def _accepting(app: Appliance, service: Mapping | None, verb: str, what: str) -> str:
    """The full commandType, if ``service`` exists and lists it (else not supported)."""
    if service is None:
        raise unsupported(f"this {_label(app)} has no {what}")
    command_type = COMMAND + verb
    if command_type not in commands_of(service):
        raise unsupported(f"SmartHQ does not accept {verb} for the {_label(app)}'s {what}")
    return command_type


def _enabled(service: Mapping, detail: str) -> None:
    if disabled(service):
        raise unavailable(detail)


def _command(app: Appliance, service: Mapping, command_type: str, **params: Any) -> ServiceCommand:
    return ServiceCommand(app.device_id, service["serviceType"], service["domainType"],
                          service["serviceDeviceType"], {"commandType": command_type, **params})


def _simple(app: Appliance, service: Mapping | None, verb: str, what: str,
            **params: Any) -> ServiceCommand:
    """A command whose only precondition is that its service accepts it and is enabled."""
    command_type = _accepting(app, service, verb, what)
    _enabled(service, f"the {_label(app)}'s {what} is disabled right now")
    return _command(app, service, command_type, **params)


def _arg(args: tuple, name: str) -> Any:
    if not args:
        raise violation(f"{name} needs an argument")
    return args[0]


def _number(value: Any, what: str) -> float:
    if not is_number(value):
        raise violation(f"{what} must be a number, got {value!r:.40}")
    return float(value)


def _on_off(value: Any, what: str) -> bool:
    if value not in ("on", "off"):
        raise violation(f"{what} must be 'on' or 'off', got {value!r}")
    return value == "on"


def _in_range(value: float, low: float | None, high: float | None, what: str,
              unit: str = "") -> None:
    if (low is not None and value < low) or (high is not None and value > high):
        shown = f"{_num(low) if low is not None else '…'}–{_num(high) if high is not None else '…'}"
        raise violation(f"{what} must be within {shown}{unit}, got {_num(value)}")


def _num(value: float) -> str:
    return str(tidy(value))


def _temperature(app: Appliance, service: Mapping, value: Any, fahrenheit: str, celsius: str,
                 what: str) -> dict:
    """``{field: whole degrees}`` in the unit the appliance shows (the one we report, so
    the one SmartThings sends), after checking the service's range for that unit."""
    degrees = round(_number(value, what))
    field = unit_field(app.unit, fahrenheit, celsius)
    _in_range(degrees, *bounds(config_of(service), field), what, f" °{app.unit}")
    return {field: degrees}


# -- switch, level, fan ------------------------------------------------------------------


def _switch(on: bool):
    def handler(app: Appliance, part: Part, args: tuple) -> ServiceCommand | None:
        if part.get("thermostat") is not None:
            return _simple(app, part.get("thermostat"), "thermostat.v1.set", "thermostat", on=on)
        if part.get("power") is not None:
            return _simple(app, part.get("power"), "toggle.set", "power switch", on=on)
        for role, what in (("fan_speed", "fan"), ("brightness", "light")):
            service = part.get(role)
            if service is not None:
                # On keeps a running fan's speed and a lit light's level; from off it
                # means the lowest fan speed and a fully lit light.
                current = state_of(service).get("value")
                lit = is_number(current) and current > 0
                full = 1 if role == "fan_speed" else brightness_max(service)
                target = 0 if not on else int(current if lit else full)
                return _simple(app, service, "integer.set", what, value=target)
        raise unsupported(f"this {_label(app)} has no switch")
    return handler


def _set_level(app: Appliance, part: Part, args: tuple) -> ServiceCommand:
    service = part.get("brightness")
    level = _number(_arg(args, "setLevel"), "level")
    _in_range(level, 0, 100, "level", " %")
    value = round(level * brightness_max(service) / 100)
    if level > 0 and value == 0:
        value = 1  # any level above zero keeps the light on
    return _simple(app, service, "integer.set", "light", value=int(value))


def _set_fan_speed(app: Appliance, part: Part, args: tuple) -> ServiceCommand:
    service = part.get("fan_speed")
    speed = _number(_arg(args, "setFanSpeed"), "fanSpeed")
    config = config_of(service)
    low, high = config.get("minimum"), config.get("maximum")
    _in_range(speed, low if is_number(low) else 0, high if is_number(high) else None, "fanSpeed")
    return _simple(app, service, "integer.set", "fan", value=int(round(speed)))


# -- laundry -----------------------------------------------------------------------------


def _laundry_machine(app: Appliance, part: Part, args: tuple) -> ServiceCommand | None:
    wanted = _arg(args, "setMachineState")
    if wanted not in TRIGGERS:
        raise violation(f"machineState must be run, pause or stop, got {wanted!r}")
    laundry = part.get("laundry")
    if laundry is None:
        raise unsupported(f"this {_label(app)} reports no cycle")
    if machine_state(type_value(state_of(laundry).get("runStatus"), "runstatus")) == wanted:
        return None
    what = _laundry_what(app, part)
    triggers = [s for d in TRIGGERS[wanted] if (s := part.get(f"trigger:{d}"))
                and TRIGGER_DO in commands_of(s)]
    if not triggers:
        raise unsupported(f"SmartHQ cannot set the {what} to {wanted} remotely")
    usable = [s for s in triggers if not disabled(s)]
    if not usable:
        raise unavailable(REMOTE_START_OFF.format(what=what) if wanted == "run"
                          else f"the {what} cannot {wanted} now (remote control is off or "
                               f"no cycle is running)")
    return _command(app, usable[0], TRIGGER_DO)


def _washer_mode(app: Appliance, part: Part, args: tuple) -> ServiceCommand:
    wanted = _arg(args, "setWasherMode")
    service = part.get("cycle_select")
    command_type = _accepting(app, service, "remotecycleselection.set", "remote cycle selection")
    cycle = pick(wanted, config_of(service).get("supportedModes") or (), laundry_cycle,
                 WASHER_MODES)
    if cycle is None:
        raise violation(f"this washer offers no cycle for washerMode {wanted!r}")
    _enabled(service, REMOTE_START_OFF.format(what="washer"))
    return _command(app, service, command_type, mode=cycle)


def _dryer_mode(app: Appliance, part: Part, args: tuple) -> ServiceCommand:
    # laundry.mode.v1 (which sets the heat) is not offered to third parties: GE keeps
    # cycle options on the panel (smarthq-api.md §2.3.2), so dryerMode is read-only.
    raise unsupported("SmartHQ lets the dryer's heat be chosen only on its panel")


def _laundry_what(app: Appliance, part: Part) -> str:
    return part.component if part.component in ("washer", "dryer") else _label(app)


# -- dishwasher --------------------------------------------------------------------------


def _dishwasher_machine(app: Appliance, part: Part, args: tuple) -> ServiceCommand | None:
    wanted = _arg(args, "setMachineState")
    verb = {"run": "start", "pause": "pause", "stop": "stop"}.get(wanted)
    if verb is None:
        raise violation(f"machineState must be run, pause or stop, got {wanted!r}")
    service = part.get("dish_state")
    if service is None:
        raise unsupported(f"this {_label(app)} reports no cycle")
    if machine_state(type_value(state_of(service).get("runStatus"), "runstatus")) == wanted:
        return None
    stype = short(service.get("serviceType"), "service")
    command_type = _accepting(app, service, f"{stype}.{verb}", "cycle control")
    if verb == "start" and config_of(service).get("remoteStartSupported") is False:
        raise unsupported("this dishwasher has no remote start")
    _enabled(service, REMOTE_OFF.format(what="dishwasher"))
    return _command(app, service, command_type)


def _dishwasher_mode(app: Appliance, part: Part, args: tuple) -> ServiceCommand:
    wanted = _arg(args, "setDishwasherMode")
    cycles = part.all("dish_mode")
    if not cycles:
        raise unsupported("this dishwasher offers no cycle selection")
    service = pick(wanted, cycles, lambda s: dishwasher_cycle(s.get("domainType")),
                   DISHWASHER_MODES)
    if service is None:
        raise violation(f"this dishwasher has no cycle for dishwasherMode {wanted!r}")
    stype = short(service.get("serviceType"), "service")
    command_type = _accepting(app, service, f"{stype}.set", "cycle selection")
    _enabled(part.get("dish_state") or {}, REMOTE_OFF.format(what="dishwasher"))
    _enabled(service, REMOTE_OFF.format(what="dishwasher"))
    return _command(app, service, command_type)


# -- oven --------------------------------------------------------------------------------


def _remote_level(service: Mapping | None) -> str:
    return type_value(config_of(service).get("supportedRemote"), "cookingremote")


def _oven_remote(app: Appliance, part: Part, *, start: bool) -> Mapping:
    """The cavity's cooking state, once remote control allows what is asked."""
    service = part.get("cooking")
    if service is None:
        raise unsupported("this oven cavity reports no cooking state")
    level = _remote_level(service)
    if level == "none":
        raise unsupported("this oven allows no remote control")
    if start and level != "full":
        raise unsupported(f"this oven allows remote start only with full remote control "
                          f"(it has {level or 'none'})")
    return service


def _oven_enabled(state_service: Mapping, target: Mapping) -> None:
    if state_of(state_service).get("remoteEnable") is not True:
        raise unavailable(REMOTE_OFF.format(what="oven"))
    _enabled(target, REMOTE_OFF.format(what="oven"))


def _oven_stop(app: Appliance, part: Part, args: tuple) -> ServiceCommand | None:
    if args and args[0] != "stop":
        raise violation(f"an oven can only be set to stop, got {args[0]!r}")
    service = _oven_remote(app, part, start=False)
    command_type = _accepting(app, service, "cooking.state.v1.stop", "cooking state")
    if machine_state(type_value(state_of(service).get("runStatus"), "runstatus")) == "stop":
        return None
    _oven_enabled(service, service)
    return _command(app, service, command_type)


def _oven_start(app: Appliance, part: Part, args: tuple) -> ServiceCommand:
    mode, time, setpoint = (tuple(args) + (None, None, None))[:3]
    state_service = _oven_remote(app, part, start=True)
    if mode is None:
        current = cooking_mode(state_of(state_service).get("mode"))
        mode = OVEN_MODES.get(current, "Bake")
    target = _oven_mode_service(part, mode)
    command_type = _accepting(app, target, "cooking.mode.v1.start", f"{mode} mode")
    params = _cook_parameters(app, config_of(target), mode, time, setpoint)
    _oven_enabled(state_service, target)
    return _command(app, target, command_type, **params)


def _oven_mode(app: Appliance, part: Part, args: tuple) -> ServiceCommand:
    mode = _arg(args, "setOvenMode")
    state_service = _oven_remote(app, part, start=True)
    target = _oven_mode_service(part, mode)
    command_type = _accepting(app, target, "cooking.mode.v1.set", f"{mode} mode")
    _oven_enabled(state_service, target)
    return _command(app, target, command_type)


def _oven_setpoint(app: Appliance, part: Part, args: tuple) -> ServiceCommand:
    service = part.get("setpoint")
    command_type = _accepting(app, service, "temperature.set", "oven temperature")
    params = _temperature(app, service, _arg(args, "setOvenSetpoint"), "fahrenheit", "celsius",
                          "ovenSetpoint")
    _oven_enabled(_oven_remote(app, part, start=False), service)
    return _command(app, service, command_type, **params)


def _oven_mode_service(part: Part, mode: Any) -> Mapping:
    service = pick(mode, part.all("cooking_mode"), lambda s: cooking_mode(s.get("domainType")),
                   OVEN_MODES)
    if service is None:
        raise violation(f"this oven has no {mode!r} mode")
    return service


def _cook_parameters(app: Appliance, config: Mapping, mode: str, time: Any, setpoint: Any) -> dict:
    """cavityFahrenheit / cookTimeSeconds as the mode's config allows (§2.3.2: each
    parameter is required, optional or defaulted; absent means not taken)."""
    params: dict = {}
    support = type_value(config.get("cavityFahrenheitSupported"), "parameter")
    if setpoint is not None:
        if not support:
            raise violation(f"the {mode} mode takes no temperature")
        degrees = _number(setpoint, "setpoint")
        fahrenheit = round(c_to_f(degrees) if app.unit == "C" else degrees)
        _in_range(fahrenheit, *bounds(config, "cavityFahrenheit"), "setpoint", " °F")
        params["cavityFahrenheit"] = fahrenheit
    elif support == "required":
        default = config.get("cavityFahrenheitDefault")
        if not is_number(default):
            raise violation(f"the {mode} mode needs a temperature")
        params["cavityFahrenheit"] = int(default)
    if time is not None and time != 0:
        if not type_value(config.get("cookTimeSecondsSupported"), "parameter"):
            raise violation(f"the {mode} mode takes no cook time")
        seconds = _number(time, "time")
        _in_range(seconds, *bounds(config, "cookTimeSeconds"), "time", " s")
        params["cookTimeSeconds"] = int(seconds)
    return params


# -- climate and cold --------------------------------------------------------------------


def _ac_choice(setting: str, config_key: str, group: str, table: Mapping[str, str]):
    def handler(app: Appliance, part: Part, args: tuple) -> ServiceCommand:
        wanted = _arg(args, setting)
        service = part.get("thermostat")
        command_type = _accepting(app, service, "thermostat.v1.set", "thermostat")
        value = pick(wanted, config_of(service).get(config_key) or (),
                     lambda v: type_value(v, group), table)
        if value is None:
            raise violation(f"this air conditioner does not offer {setting} {wanted!r}")
        _enabled(service, "the air conditioner's thermostat is disabled right now")
        return _command(app, service, command_type, **{
            "mode" if group == "thermostatmode" else "fanSpeed": value})
    return handler


def _cooling_setpoint(app: Appliance, part: Part, args: tuple) -> ServiceCommand:
    value = _arg(args, "setCoolingSetpoint")
    thermostat = part.get("thermostat")
    if thermostat is not None:
        command_type = _accepting(app, thermostat, "thermostat.v1.set", "thermostat")
        params = _temperature(app, thermostat, value, "coolFahrenheit", "coolCelsius",
                              "coolingSetpoint")
        _enabled(thermostat, "the air conditioner's thermostat is disabled right now")
        return _command(app, thermostat, command_type, **params)
    service = part.get("setpoint")
    if setpoint_capability(app.kind, service) != kinds.COOLING_SETPOINT:
        raise unsupported(f"this {_label(app)} has no cooling setpoint here")
    return _setpoint_command(app, service, value, "coolingSetpoint")


def _heating_setpoint(app: Appliance, part: Part, args: tuple) -> ServiceCommand:
    value = _arg(args, "setHeatingSetpoint")
    heater = part.get("waterheater")
    if heater is not None:
        command_type = _accepting(app, heater, "waterheater.v1.set", "water heater")
        params = _temperature(app, heater, value, "setpointFahrenheit", "setpointCelsius",
                              "heatingSetpoint")
        _enabled(heater, "the water heater is disabled right now")
        return _command(app, heater, command_type, **params)
    service = part.get("setpoint")
    if setpoint_capability(app.kind, service) != kinds.HEATING_SETPOINT:
        raise unsupported(f"this {_label(app)} has no heating setpoint here")
    return _setpoint_command(app, service, value, "heatingSetpoint")


def _setpoint_command(app: Appliance, service: Mapping, value: Any, what: str) -> ServiceCommand:
    command_type = _accepting(app, service, "temperature.set", "setpoint")
    params = _temperature(app, service, value, "fahrenheit", "celsius", what)
    _enabled(service, f"the {_label(app)}'s setpoint is disabled right now")
    return _command(app, service, command_type, **params)


def _rapid(role: str, attribute: str):
    def handler(app: Appliance, part: Part, args: tuple) -> ServiceCommand:
        on = _on_off(_arg(args, attribute), attribute)
        return _simple(app, part.get(role), "toggle.set", attribute, on=on)
    return handler


def _defrost(app: Appliance, part: Part, args: tuple) -> ServiceCommand:
    raise unsupported("SmartHQ offers no defrost control")


Handler = Callable[[Appliance, Part, tuple], "ServiceCommand | None"]

HANDLERS: dict[tuple[str, str], Handler] = {
    (kinds.SWITCH, "on"): _switch(True),
    (kinds.SWITCH, "off"): _switch(False),
    (kinds.LEVEL, "setLevel"): _set_level,
    (kinds.FAN_SPEED, "setFanSpeed"): _set_fan_speed,
    (kinds.WASHER_STATE, "setMachineState"): _laundry_machine,
    (kinds.DRYER_STATE, "setMachineState"): _laundry_machine,
    (kinds.WASHER_MODE, "setWasherMode"): _washer_mode,
    (kinds.DRYER_MODE, "setDryerMode"): _dryer_mode,
    (kinds.DISHWASHER_STATE, "setMachineState"): _dishwasher_machine,
    (kinds.DISHWASHER_MODE, "setDishwasherMode"): _dishwasher_mode,
    (kinds.OVEN_STATE, "setMachineState"): _oven_stop,
    (kinds.OVEN_STATE, "stop"): _oven_stop,
    (kinds.OVEN_STATE, "start"): _oven_start,
    (kinds.OVEN_MODE, "setOvenMode"): _oven_mode,
    (kinds.OVEN_SETPOINT, "setOvenSetpoint"): _oven_setpoint,
    (kinds.AC_MODE, "setAirConditionerMode"): _ac_choice(
        "airConditionerMode", "supportedModes", "thermostatmode", AC_MODES),
    (kinds.AC_FAN, "setFanMode"): _ac_choice(
        "fanMode", "supportedFanSpeeds", "fanspeed", FAN_MODES),
    (kinds.COOLING_SETPOINT, "setCoolingSetpoint"): _cooling_setpoint,
    (kinds.HEATING_SETPOINT, "setHeatingSetpoint"): _heating_setpoint,
    (kinds.REFRIGERATION, "setRapidCooling"): _rapid("rapid_cooling", "rapidCooling"),
    (kinds.REFRIGERATION, "setRapidFreezing"): _rapid("rapid_freezing", "rapidFreezing"),
    (kinds.REFRIGERATION, "setDefrost"): _defrost,
}
"""(capability, command) → planner. Refresh and ping are handled before these."""
