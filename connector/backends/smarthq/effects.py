"""What accepted SmartHQ commands should do to an appliance (pure).

SmartHQ applies commands asynchronously (smarthq-api.md §2.4): its answer only says a
command was accepted. ``apply_commands`` gives the ``device#item`` the appliance should
reach, so a commandResponse can report it at once; the event listener confirms or
corrects it when ``pubsub#service`` arrives.
"""
from __future__ import annotations

import copy
from typing import Any, Iterable, Mapping

from connector.backends.smarthq.appliance import c_to_f, f_to_c, iso, tidy
from connector.model import is_number
from connector.backends.smarthq.commands import COMMAND, RUNSTATUS, ServiceCommand
from connector.backends.smarthq.enums import TRIGGERS
from connector.backends.smarthq.kinds import short


def apply_commands(device: Mapping, commands: Iterable[ServiceCommand],
                   now: float | None = None) -> dict:
    """A copy of ``device`` as it should be once SmartHQ applied ``commands``.

    Touched services get ``lastStateTime`` = ``now``, so a cycle started now shows a
    completion time counted from now.
    """
    new = copy.deepcopy(dict(device))
    services = [s for s in new.get("services") or () if isinstance(s, dict)]
    stamp = iso(now) if now is not None else None
    for command in commands:
        service = next((s for s in services if _triple(s) == command.triple), None)
        if service is not None:
            _apply(services, service, command, stamp)
    return new


def _apply(services: list[dict], service: dict, command: ServiceCommand, stamp: str | None) -> None:
    verb = command.command_type.removeprefix(COMMAND)
    params = {k: v for k, v in command.command.items() if k != "commandType"}
    sub = service.get("serviceDeviceType")

    def sibling(stype: str, domain: str | None = None) -> dict | None:
        for other in services:
            same = (other.get("serviceDeviceType") == sub
                    and short(other.get("serviceType"), "service") == stype)
            if same and (domain is None or short(other.get("domainType"), "domain") == domain):
                return other
        return None

    def change(target: dict | None, **values: Any) -> None:
        if target is not None:
            target.setdefault("state", {}).update(values)
            if stamp is not None:
                target["lastStateTime"] = stamp

    def run(target: dict | None, status: str, *, paused: bool | None = None,
            clear: bool = False) -> None:
        change(target, runStatus=RUNSTATUS + status)
        timer = sibling("cycletimer", "cycle")
        if timer is not None and paused is not None:
            change(timer, paused=paused, **({"secondsRemaining": 0} if clear else {}))

    if verb in ("toggle.set", "integer.set", "mode.set"):
        change(service, **params)
    elif verb == "temperature.set":
        change(service, **_both_units(params, "fahrenheit", "celsius"))
    elif verb == "thermostat.v1.set":
        change(service, **_both_units(_both_units(params, "coolFahrenheit", "coolCelsius"),
                                      "heatFahrenheit", "heatCelsius"))
    elif verb == "waterheater.v1.set":
        change(service, **_both_units(params, "setpointFahrenheit", "setpointCelsius"))
    elif verb == "remotecycleselection.set":
        change(service, **params)
        change(sibling("laundry.state.v1"), cycle=params.get("mode"))
    elif verb == "trigger.do":
        domain = short(service.get("domainType"), "domain")
        laundry = sibling("laundry.state.v1")
        if domain in TRIGGERS["run"]:
            run(laundry, "in.progress", paused=False)
        elif domain in TRIGGERS["pause"]:
            run(laundry, "paused", paused=True)
        elif domain in TRIGGERS["stop"]:
            run(laundry, "idle", paused=False, clear=True)
    elif verb.endswith((".state.v1.start", ".state.v1.pause", ".state.v1.stop")):
        action = verb.rsplit(".", 1)[-1]
        status = {"start": "in.progress", "pause": "paused", "stop": "idle"}[action]
        run(service, status, paused=action == "pause", clear=action == "stop")
    elif verb in ("dishwasher.mode.v1.set", "cooking.mode.v1.set", "cooking.mode.v1.start"):
        state_type = "cooking.state.v1" if verb.startswith("cooking") else "dishwasher.state.v1"
        target = sibling(state_type)
        change(target, mode=service.get("domainType"))
        if verb == "cooking.mode.v1.start":
            _apply_cook_start(target, sibling, change, params)


def _apply_cook_start(state_service, sibling, change, params: dict) -> None:
    change(state_service, runStatus=RUNSTATUS + "in.progress")
    if "cavityFahrenheit" in params:
        change(sibling("temperature", "setpoint"),
               **_both_units({"fahrenheit": params["cavityFahrenheit"]}, "fahrenheit", "celsius"))
    seconds = params.get("cookTimeSeconds", 0)
    change(sibling("cycletimer", "cycle"), secondsInitial=seconds, secondsRemaining=seconds,
           paused=False)


def _both_units(params: dict, fahrenheit: str, celsius: str) -> dict:
    """``params`` with the other unit's field filled in, as SmartHQ's state carries both."""
    out = dict(params)
    if is_number(out.get(fahrenheit)) and celsius not in out:
        out[celsius] = tidy(f_to_c(out[fahrenheit]))
    elif is_number(out.get(celsius)) and fahrenheit not in out:
        out[fahrenheit] = tidy(c_to_f(out[celsius]))
    return out


def _triple(service: Mapping) -> tuple:
    return (service.get("serviceType"), service.get("domainType"), service.get("serviceDeviceType"))
