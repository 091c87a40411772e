"""Pure translation between SmartHQ Digital Twin payloads and the backend-neutral model.

Inputs are the plain dicts ``SmartHQClient`` returns: a ``device#list`` entry (for
discovery) or a ``device#item`` with its services (for states and commands). No I/O.

* ``to_device``: one SmartThings device per appliance, ``externalDeviceId``
  ``smarthq:<deviceId>``, ``deviceHandlerType`` the kind's device-profile id
  (``handler_type``).
* ``to_states``: services → states per component (``appliance`` says which service
  feeds which component), limited to what the kind's profile declares.
* ``plan_commands`` (``commands``) and ``predicted_states`` (``effects``): ST commands
  → SmartHQ service commands, and the states they should lead to.

Service → capability (smarthq-api.md §7)::

    laundry.state.v1 (+cycletimer)      washer|dryerOperatingState: machineState,
                                        jobState from runStatus/subCycle, completionTime
    laundry.state.v1 cycle              washerMode   (regular/heavy/rinse/spinDry)
    laundry.state.v1 laundryTemperature dryerMode    (lowHeat/regular/highHeat)
    triggers, remotecycleselection      remoteControlStatus (some usable now → "true")
    dishwasher.state.v1 (+cycletimer)   dishwasherOperatingState, dishwasherMode,
                                        remoteControlStatus
    cooking.state.v1 (+cycletimer)      ovenOperatingState, ovenMode, contactSensor
                                        (doorOpen), remoteControlStatus (remoteEnable)
    temperature setpoint                ovenSetpoint (ovens), thermostatCoolingSetpoint
                                        (fridges; cold generic), thermostatHeatingSetpoint
                                        (hot generic)
    temperature actual/ambient/cavity   temperatureMeasurement
    thermostat.v1                       switch, airConditionerMode, airConditionerFanMode,
                                        thermostatCoolingSetpoint
    waterheater.v1                      thermostatHeatingSetpoint
    door                                contactSensor (open when any door flag is true)
    toggle turbo                        refrigeration rapidCooling / rapidFreezing
    toggle power                        switch (ice maker, generic)
    mode state (water filter)           filterStatus (replace: expired/expiringsoon/error/leak)
    integer speed / brightness          fanSpeed (+switch) / switchLevel (+switch) (hoods)
    meter energy                        powerConsumptionReport energy (Wh: GE's "kwh"
                                        label counts watt-hours, per GE-HA)
    presence                            healthCheck healthStatus

Temperatures are reported in the unit the appliance displays (its
``temperatureunits`` mode, else °F) and clamped to the service's configured range.
``completionTime`` is the cycle timer's ``lastStateTime`` plus ``secondsRemaining``
(the remaining time was true at that moment), falling back to ``now``; it is left out
while the cycle is not running, so SmartThings keeps the last one.
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

from connector.backends.smarthq import kinds
from connector.backends.smarthq.appliance import (
    Appliance,
    MappingError,
    Part,
    appliance,
    brightness_max,
    commands_of,
    completion_time,
    config_of,
    disabled,
    is_number,
    setpoint_capability,
    state_of,
    temperature,
    tidy,
)
from connector.backends.smarthq.commands import CommandPlan, ServiceCommand, plan_commands
from connector.backends.smarthq.effects import apply_commands
from connector.backends.smarthq.enums import (
    AC_MODES,
    DISHWASHER_MODES,
    DRYER_JOBS,
    DRYER_MODES,
    FAN_MODES,
    FILTER_NORMAL,
    FILTER_REPLACE,
    FINISHED,
    OVEN_IDLE_MODES,
    OVEN_MODES,
    TRIGGER_DO,
    TRIGGERS,
    WASHER_JOBS,
    WASHER_MODES,
    cooking_mode,
    dishwasher_cycle,
    laundry_cycle,
    machine_state,
)
from connector.backends.smarthq.kinds import short, type_value
from connector.model import Device, ManufacturerInfo, State

__all__ = [
    "MANUFACTURER", "NAMESPACE", "CommandPlan", "HandlerType", "MappingError",
    "ServiceCommand", "appliance", "device_id", "external_id", "handler_type",
    "health_state", "kind", "placeholder_profile_id", "plan_commands", "predicted_states",
    "to_device", "to_states",
]

NAMESPACE = "smarthq"
MANUFACTURER = "GE Appliances"

PROFILE_NAMESPACE = uuid.UUID("0b6f6a3e-5d4c-4f8e-9a51-6d2f3c1b7e90")
"""Ours: placeholder profile ids are uuid5(this, "smarthq-profile:<kind>")."""

# -- ids ---------------------------------------------------------------------------------


def external_id(smarthq_id: str) -> str:
    """The stable, namespaced externalDeviceId of a SmartHQ deviceId."""
    if not smarthq_id:
        raise ValueError("empty SmartHQ device id")
    return f"{NAMESPACE}:{smarthq_id}"


def device_id(external: str) -> str:
    """The SmartHQ deviceId inside an externalDeviceId made by :func:`external_id`."""
    prefix, sep, rest = external.partition(":")
    if prefix != NAMESPACE or not sep or not rest:
        raise ValueError(f"not a SmartHQ externalDeviceId: {external!r}")
    return rest


# -- device ------------------------------------------------------------------------------


@dataclass(frozen=True)
class HandlerType:
    """The device-profile id discovery sends as ``deviceHandlerType``.

    ``placeholder`` is True when settings have no valid id for the kind: the id is
    then deterministic (uuid5 of the kind) so SmartThings always gets a UUID, and the
    backend warns that the operator has not registered that profile yet.
    """

    kind: str
    profile_id: str
    placeholder: bool = False


def kind(device: Mapping) -> str:
    """The appliance kind (profile) of a device list entry or item."""
    return kinds.kind_of(device.get("deviceType"))


def placeholder_profile_id(appliance_kind: str) -> str:
    return str(uuid.uuid5(PROFILE_NAMESPACE, f"smarthq-profile:{appliance_kind}"))


def configured_profile_ids(profile_ids: Mapping[str, str] | None) -> dict[str, str]:
    """SMARTHQ_PROFILE_IDS by kind: keys normalised, values that are not UUIDs dropped."""
    out = {}
    for key, value in (profile_ids or {}).items():
        name = kinds.normalize_kind(key)
        if name is not None and _is_uuid(value):
            out[name] = str(uuid.UUID(str(value).strip()))
    return out


def handler_type(device: Mapping, profile_ids: Mapping[str, str] | None = None) -> HandlerType:
    """The kind's configured device-profile id, else its placeholder (flagged)."""
    appliance_kind = kind(device)
    configured = configured_profile_ids(profile_ids).get(appliance_kind)
    if configured:
        return HandlerType(appliance_kind, configured)
    return HandlerType(appliance_kind, placeholder_profile_id(appliance_kind), placeholder=True)


def to_device(device: Mapping, profile_ids: Mapping[str, str] | None = None) -> Device:
    """A ``device#list`` entry (or item) as SmartThings discovery should see it.

    Everything needed is in the list entry (the kind comes from ``deviceType``), so
    discovery costs one call per page, not one per appliance. No cookie: commands read
    the appliance fresh, and a cookie could be stale.
    """
    smarthq_id = device.get("deviceId")
    if not smarthq_id:
        raise ValueError("SmartHQ device without a deviceId")
    handler = handler_type(device, profile_ids)
    model = _text(device.get("model")) or "SmartHQ appliance"
    name = _text(device.get("nickname")) or f"GE {kinds.LABELS[handler.kind]}"
    return Device(
        external_id=external_id(str(smarthq_id)),
        friendly_name=name[:100],
        manufacturer=ManufacturerInfo(MANUFACTURER, model),
        handler_type=handler.profile_id,
        room_name=_text(device.get("room")),
        categories=(kinds.CATEGORIES[handler.kind].lower(),),
        unique_id=normalize_mac(device.get("macAddress")),
    )


def normalize_mac(mac: Any) -> str | None:
    """``AA:BB:CC:DD:EE:FF`` from any common spelling; None if it is not a MAC."""
    if not isinstance(mac, str):
        return None
    digits = re.sub(r"[^0-9A-Fa-f]", "", mac)
    if len(digits) != 12 or re.sub(r"[0-9A-Fa-f:.\-\s]", "", mac):
        return None
    return ":".join(digits[i:i + 2] for i in range(0, 12, 2)).upper()


# -- states ------------------------------------------------------------------------------


def health_state(online: bool) -> State:
    return State(kinds.HEALTH, "healthStatus", "online" if online else "offline")


def to_states(device: Mapping, now: float | None = None) -> list[State]:
    """The SmartThings states of one appliance from its ``device#item``.

    An appliance that is not ONLINE yields only ``healthStatus: offline``: the state
    SmartHQ still holds for it is stale, and SmartThings keeps the last good values.
    ``now`` (epoch seconds) dates ``completionTime`` when a timer has no lastStateTime.
    """
    app = appliance(device)
    if not app.online:
        return [health_state(False)]
    out, seen = [], set()
    for component, allowed in kinds.LAYOUTS[app.kind].items():
        for state in _part_states(app, app.parts[component], now):
            if state.capability in allowed and state.key not in seen:
                seen.add(state.key)
                out.append(state)
    out.append(health_state(True))
    return out


def predicted_states(device: Mapping, plan: CommandPlan | Any,
                     now: float | None = None) -> list[State]:
    """The states a commandResponse can report once the commands of ``plan`` were
    accepted (pass only those SmartHQ accepted if some failed). SmartHQ applies
    commands asynchronously; the event listener confirms or corrects these."""
    commands = plan.commands if isinstance(plan, CommandPlan) else tuple(plan)
    return to_states(apply_commands(device, commands, now), now)


def _part_states(app: Appliance, part: Part, now: float | None) -> Iterator[State]:
    yield from _laundry(app, part, now)
    yield from _dishwasher(part, now)
    yield from _oven(app, part, now)
    yield from _thermostat(app, part)
    yield from _setpoint(app, part)
    yield from _simple(app, part)
    yield from _hood(part)


def _laundry(app: Appliance, part: Part, now: float | None) -> Iterator[State]:
    service = part.get("laundry")
    if service is None:
        return
    dryer = _laundry_role(app, part, service) == "dryer"
    cap, job_attr = ((kinds.DRYER_STATE, "dryerJobState") if dryer
                     else (kinds.WASHER_STATE, "washerJobState"))
    state, c = state_of(service), part.component
    run = type_value(state.get("runStatus"), "runstatus")
    machine = machine_state(run)
    if machine:
        yield State(cap, "machineState", machine, c)
        job = _laundry_job(run, machine, type_value(state.get("subCycle"), "subcycle"), dryer)
        if job:
            yield State(cap, job_attr, job, c)
        if machine == "run":
            when = completion_time(part.get("timer"), now)
            if when:
                yield State(cap, "completionTime", when, c)
    supported = [m for m, domains in TRIGGERS.items() if _triggers(part, domains)]
    if supported:
        yield State(cap, "supportedMachineStates", supported, c)
    if dryer:
        mode = DRYER_MODES.get(type_value(state.get("laundryTemperature"), "laundrytemperature"))
        if mode:
            yield State(kinds.DRYER_MODE, "dryerMode", mode, c)
    else:
        mode = WASHER_MODES.get(laundry_cycle(state.get("cycle")))
        if mode:
            yield State(kinds.WASHER_MODE, "washerMode", mode, c)
    controls = [s for role, s in part.roles.items()
                if (role.startswith("trigger:") or role == "cycle_select") and commands_of(s)]
    if controls:
        enabled = any(not disabled(s) for s in controls)
        yield _remote(enabled, c)


def _dishwasher(part: Part, now: float | None) -> Iterator[State]:
    service = part.get("dish_state")
    if service is None:
        return
    cap, state, c = kinds.DISHWASHER_STATE, state_of(service), part.component
    run = type_value(state.get("runStatus"), "runstatus")
    machine = machine_state(run)
    if machine:
        yield State(cap, "machineState", machine, c)
        # SmartHQ v2 reports no dishwasher phase; only a finished cycle is certain.
        yield State(cap, "dishwasherJobState", "finish" if run in FINISHED else "unknown", c)
        if machine == "run":
            when = completion_time(part.get("timer"), now)
            if when:
                yield State(cap, "completionTime", when, c)
    verbs = {cmd.rsplit(".", 1)[-1] for cmd in commands_of(service)}
    supported = [m for m, verb in (("run", "start"), ("pause", "pause"), ("stop", "stop"))
                 if verb in verbs]
    if supported:
        yield State(cap, "supportedMachineStates", supported, c)
    mode = DISHWASHER_MODES.get(dishwasher_cycle(state.get("mode")))
    if mode:
        yield State(kinds.DISHWASHER_MODE, "dishwasherMode", mode, c)
    remote = not disabled(service) and config_of(service).get("remoteStartSupported") is not False
    yield _remote(remote, c)


def _oven(app: Appliance, part: Part, now: float | None) -> Iterator[State]:
    service = part.get("cooking")
    if service is None:
        return
    cap, state, c = kinds.OVEN_STATE, state_of(service), part.component
    run = type_value(state.get("runStatus"), "runstatus")
    machine = {"run": "running", "pause": "paused", "stop": "ready"}.get(machine_state(run))
    if machine:
        yield State(cap, "machineState", machine, c)
        yield State(cap, "ovenJobState", _oven_job(run, machine, state.get("cookingStatus")), c)
        timer = part.get("timer")
        if machine == "running":
            when = completion_time(timer, now)
            if when:
                yield State(cap, "completionTime", when, c)
        initial = state_of(timer).get("secondsInitial")
        remaining = state_of(timer).get("secondsRemaining")
        if machine != "ready" and is_number(initial) and initial > 0:
            yield State(cap, "operationTime", int(initial), c)
            if is_number(remaining):
                done = (initial - max(0, min(initial, remaining))) / initial
                yield State(cap, "progress", round(done * 100), c, unit="%")
    mode = cooking_mode(state.get("mode"))
    if mode not in OVEN_IDLE_MODES:
        yield State(kinds.OVEN_MODE, "ovenMode", OVEN_MODES.get(mode, "Others"), c)
    offered = list(dict.fromkeys(OVEN_MODES.get(cooking_mode(s.get("domainType")), "Others")
                                 for s in part.all("cooking_mode")))
    if offered:
        yield State(kinds.OVEN_MODE, "supportedOvenModes", offered, c)
    setpoint = temperature(state_of(part.get("setpoint")), config_of(part.get("setpoint")),
                           app.unit)
    if setpoint is not None:
        yield State(kinds.OVEN_SETPOINT, "ovenSetpoint", max(0, round(setpoint)), c)
    remote_level = type_value(config_of(service).get("supportedRemote"), "cookingremote")
    yield _remote(state.get("remoteEnable") is True and remote_level != "none", c)
    if isinstance(state.get("doorOpen"), bool):
        yield State(kinds.CONTACT, "contact", "open" if state["doorOpen"] else "closed", c)


def _thermostat(app: Appliance, part: Part) -> Iterator[State]:
    service = part.get("thermostat")
    if service is None:
        return
    state, config, c = state_of(service), config_of(service), part.component
    if isinstance(state.get("on"), bool):
        yield State(kinds.SWITCH, "switch", "on" if state["on"] else "off", c)
    mode = AC_MODES.get(type_value(state.get("mode"), "thermostatmode"))
    if mode:
        yield State(kinds.AC_MODE, "airConditionerMode", mode, c)
    modes = _mapped(config.get("supportedModes"), "thermostatmode", AC_MODES)
    if modes:
        yield State(kinds.AC_MODE, "supportedAcModes", modes, c)
    fan = FAN_MODES.get(type_value(state.get("fanSpeed"), "fanspeed"))
    if fan:
        yield State(kinds.AC_FAN, "fanMode", fan, c)
    fans = _mapped(config.get("supportedFanSpeeds"), "fanspeed", FAN_MODES)
    if fans:
        yield State(kinds.AC_FAN, "supportedAcFanModes", fans, c)
    cool = temperature(state, config, app.unit, "coolFahrenheit", "coolCelsius")
    if cool is not None:
        yield State(kinds.COOLING_SETPOINT, "coolingSetpoint", cool, c, unit=app.unit)


def _setpoint(app: Appliance, part: Part) -> Iterator[State]:
    service = part.get("setpoint")
    if service is not None and app.kind != kinds.OVEN:
        capability = setpoint_capability(app.kind, service)
        value = temperature(state_of(service), config_of(service), app.unit)
        if capability and value is not None:
            attribute = ("coolingSetpoint" if capability == kinds.COOLING_SETPOINT
                         else "heatingSetpoint")
            yield State(capability, attribute, value, part.component, unit=app.unit)
    heater = part.get("waterheater")
    if heater is not None:
        value = temperature(state_of(heater), config_of(heater), app.unit,
                            "setpointFahrenheit", "setpointCelsius")
        if value is not None:
            yield State(kinds.HEATING_SETPOINT, "heatingSetpoint", value, part.component,
                        unit=app.unit)


def _simple(app: Appliance, part: Part) -> Iterator[State]:
    """The one-service-one-attribute capabilities."""
    c = part.component
    measured = part.get("temperature")
    if measured is not None:
        value = temperature(state_of(measured), config_of(measured), app.unit)
        if value is not None:
            yield State(kinds.TEMPERATURE, "temperature", value, c, unit=app.unit)
    flags = [v for s in part.all("doors") for k, v in state_of(s).items()
             if k.endswith("Open") and isinstance(v, bool)]
    if flags:
        yield State(kinds.CONTACT, "contact", "open" if any(flags) else "closed", c)
    for role, attribute in (("rapid_cooling", "rapidCooling"), ("rapid_freezing", "rapidFreezing")):
        on = state_of(part.get(role)).get("on")
        if isinstance(on, bool):
            yield State(kinds.REFRIGERATION, attribute, "on" if on else "off", c)
    on = state_of(part.get("power")).get("on")
    if isinstance(on, bool):
        yield State(kinds.SWITCH, "switch", "on" if on else "off", c)
    meter = state_of(part.get("energy")).get("meterValue")
    if is_number(meter) and meter >= 0:
        yield State(kinds.ENERGY_REPORT, "powerConsumption", {"energy": tidy(meter)}, c)
    condition = type_value(state_of(part.get("filter")).get("mode"), "mode")
    if condition in FILTER_REPLACE or condition in FILTER_NORMAL:
        yield State(kinds.FILTER, "filterStatus",
                    "replace" if condition in FILTER_REPLACE else "normal", c)


def _hood(part: Part) -> Iterator[State]:
    c = part.component
    speed = state_of(part.get("fan_speed")).get("value")
    if is_number(speed):
        yield State(kinds.FAN_SPEED, "fanSpeed", max(0, int(speed)), c)
        if part.get("power") is None:
            yield State(kinds.SWITCH, "switch", "on" if speed > 0 else "off", c)
    light = part.get("brightness")
    value = state_of(light).get("value")
    if is_number(value):
        top = brightness_max(light)
        yield State(kinds.LEVEL, "level", max(0, min(100, round(value * 100 / top))), c, unit="%")
        yield State(kinds.SWITCH, "switch", "on" if value > 0 else "off", c)


# -- helpers ---------------------------------------------------------------------------


def _laundry_role(app: Appliance, part: Part, service: Mapping) -> str:
    last = short(service.get("serviceDeviceType"), "device").rsplit(".", 1)[-1]
    if last in ("washer", "dryer"):
        return last
    if part.component in ("washer", "dryer"):
        return part.component
    return "dryer" if app.kind == kinds.DRYER else "washer"


def _laundry_job(run: str, machine: str, sub_cycle: str, dryer: bool) -> str | None:
    if run == "delayed":
        return "delayWash"  # armed for Remote Start
    if run in FINISHED:
        return "finished" if dryer else "finish"
    if machine == "stop":
        return "none"
    return (DRYER_JOBS if dryer else WASHER_JOBS).get(sub_cycle)  # None: keep the last


def _oven_job(run: str, machine: str, cooking_status: Any) -> str:
    if run in FINISHED:
        return "finished"
    if run == "delayed":
        return "scheduledStart"
    if machine == "ready":
        return "ready"
    status = type_value(cooking_status, "cookingstatus")
    for word, job in (("preheat", "preheat"), ("warm", "warming"), ("clean", "cleaning"),
                      ("cool", "cooling")):
        if word in status:
            return job
    return "cooking"


def _triggers(part: Part, domains: tuple[str, ...]) -> list[Mapping]:
    return [s for d in domains if (s := part.get(f"trigger:{d}")) and TRIGGER_DO in commands_of(s)]


def _remote(enabled: bool, component: str) -> State:
    return State(kinds.REMOTE, "remoteControlEnabled", "true" if enabled else "false", component)


def _mapped(values: Any, group: str, table: Mapping[str, str]) -> list[str]:
    found = (table.get(type_value(v, group)) for v in values or () if isinstance(v, str))
    return list(dict.fromkeys(v for v in found if v))


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value).strip())
    except ValueError:
        return False
    return True


def _text(value: Any) -> str | None:
    text = str(value).strip() if value not in (None, "") else ""
    return text or None
