"""Oven cavities (``oven.upper`` / ``oven.lower``): ``cooking.state.v1`` with stop,
pause and resume, one ``cooking.mode.v1`` service per mode with ``.start``, the cavity
temperature, the setpoint and a cook timer (smarthq-api.md §2.3.2).

Remote control is limited as GE documents: ``config.supportedRemote`` ``full`` allows
starting; ``enable`` only stopping; ``none`` nothing. Commands while the user has not
enabled remote on the panel (``remoteEnable`` false) answer ``servicedisabled``. The
idle ``mode`` value and the ``cookingStatus`` values are ours (the document gives
neither list); parameter limits in config (``cavityFahrenheitMinimum`` …) are ours too.
"""
from __future__ import annotations

from typing import Any

from . import names
from .appliances import Context, Unit
from .names import runstatus
from .services import Service

TICK = 60
AMBIENT_F = 75
HEAT_PER_TICK = 25  # °F per minute while preheating
COOL_PER_TICK = 10
MODES = {  # mode → (default °F, cavityFahrenheitSupported)
    "bake": (350, "required"),
    "convection.bake": (325, "required"),
    "broil": (550, "defaulted"),
}
MODE_OFF = names.domain("cooking.off")


def f_to_c(f: float) -> int:
    return round((f - 32) * 5 / 9)


def cooking_status(value: str) -> str:
    return names.type_("cookingstatus", value)


def cavity_services(sdt: str, cavity: str, remote: str = "full") -> list[Service]:
    """``cavity`` is ``upper``/``lower``; ``remote`` is the cookingremote level."""
    full = remote == "full"
    state_cmds = {"full": ["cooking.state.v1.stop", "cooking.state.v1.pause",
                           "cooking.state.v1.resume"],
                  "enable": ["cooking.state.v1.stop"], "none": []}[remote]
    out = [Service.make("cooking.state.v1", "cooking", sdt, state_cmds, {
        "mode": MODE_OFF, "runStatus": runstatus("idle"), "cookingStatus": cooking_status("off"),
        "remoteEnable": True, "doorOpen": False, "canPause": False, "canResume": False,
    }, {"supportedRemote": names.type_("cookingremote", remote)})]
    for mode, (default_f, support) in MODES.items():
        out.append(Service.make(
            "cooking.mode.v1", f"cooking.{mode}", sdt,
            ["cooking.mode.v1.start"] if full else [], {"disabled": False}, {
                "cavityFahrenheitSupported": names.type_("parameter", support),
                "cookTimeSecondsSupported": names.type_("parameter", "optional"),
                "cavityFahrenheitMinimum": 170, "cavityFahrenheitMaximum": 550,
                "cavityFahrenheitDefault": default_f, "cookTimeSecondsMaximum": 43200}))
    out += [
        Service.make("temperature", f"cooking.cavity.{cavity}", sdt, [],
                     {"fahrenheit": AMBIENT_F, "celsius": f_to_c(AMBIENT_F)}),
        Service.make("temperature", "setpoint", sdt, [], {"fahrenheit": 0, "celsius": 0}),
        Service.make("cycletimer", "cycle", sdt, [],
                     {"secondsRemaining": 0, "secondsInitial": 0, "paused": False},
                     {"granularity": names.type_("timergranularity", "minutes")}),
    ]
    return out


class OvenCavity(Unit):
    def __init__(self, dev, sdt: str, cavity: str):
        super().__init__(dev, sdt)
        self.cavity = cavity

    @property
    def state(self) -> Service:
        return self.svc("cooking.state.v1", "cooking")

    @property
    def temperature(self) -> Service:
        return self.svc("temperature", f"cooking.cavity.{self.cavity}")

    @property
    def setpoint(self) -> Service:
        return self.svc("temperature", "setpoint")

    @property
    def timer(self) -> Service:
        return self.svc("cycletimer", "cycle")

    def _modes(self) -> list[Service]:
        return [s for s in self.dev.services if s.service_device_type == self.sdt
                and s.service_type == names.service("cooking.mode.v1")]

    def is_disabled(self, svc: Service) -> bool:
        """The panel's remote enable gates every command of this cavity."""
        return not self.state.state["remoteEnable"] or svc.disabled

    def handle(self, ctx: Context, svc: Service, command_type: str, params: dict) -> bool:
        verb = command_type.rsplit(".", 1)[-1]
        if svc.service_type == names.service("cooking.mode.v1") and verb == "start":
            default_f = svc.config.get("cavityFahrenheitDefault", 350)
            self.start(ctx, svc.domain_type, params.get("cavityFahrenheit", default_f),
                       params.get("cookTimeSeconds"))
        elif verb == "stop":
            self.stop(ctx)
        elif verb == "pause":
            self.pause(ctx)
        elif verb == "resume":
            self.resume(ctx)
        else:
            return False
        return True

    def set_remote(self, ctx: Context, enabled: bool) -> bool:
        ctx.set_state(self.dev, self.state, remoteEnable=enabled)
        for svc in self._modes():
            ctx.set_state(self.dev, svc, disabled=not enabled)
        return True

    def panel_start(self, ctx: Context, mode: str = "bake", fahrenheit: int | None = None,
                    cook_time_seconds: int | None = None, **_: Any) -> bool:
        if mode not in MODES:
            raise ValueError(f"unsupported oven mode {mode!r}")
        self.start(ctx, names.domain(f"cooking.{mode}"), fahrenheit or MODES[mode][0],
                   cook_time_seconds)
        return True

    def start(self, ctx: Context, mode: str, fahrenheit: int, cook_time: int | None) -> None:
        ctx.set_state(self.dev, self.state, mode=mode, runStatus=runstatus("in.progress"),
                      cookingStatus=cooking_status("preheating"), canPause=True, canResume=False)
        ctx.set_state(self.dev, self.setpoint, fahrenheit=fahrenheit, celsius=f_to_c(fahrenheit))
        seconds = int(cook_time or 0)
        ctx.set_state(self.dev, self.timer, secondsInitial=seconds, secondsRemaining=seconds,
                      paused=False)
        ctx.after(TICK, lambda: self.tick(ctx), self.key("tick"))

    def tick(self, ctx: Context) -> None:
        """A minute passes: heat towards the setpoint or cool towards the room, and count
        the cook time down while cooking."""
        run = self.state.state["runStatus"]
        temp = self.temperature.state["fahrenheit"]
        if run == runstatus("in.progress"):
            target = self.setpoint.state["fahrenheit"]
            temp = min(target, temp + HEAT_PER_TICK)
            if temp >= target and self.state.state["cookingStatus"] == cooking_status("preheating"):
                ctx.set_state(self.dev, self.state, cookingStatus=cooking_status("cooking"))
            remaining = self.timer.state["secondsRemaining"]
            if remaining:
                remaining = max(0, remaining - TICK)
                ctx.set_state(self.dev, self.timer, secondsRemaining=remaining)
                if remaining == 0:
                    self._end(ctx, runstatus("complete"), cooking_status("done"))
        else:
            temp = max(AMBIENT_F, temp - COOL_PER_TICK)
        ctx.set_state(self.dev, self.temperature, fahrenheit=temp, celsius=f_to_c(temp))
        if self.state.state["runStatus"] == runstatus("in.progress") or temp > AMBIENT_F:
            ctx.after(TICK, lambda: self.tick(ctx), self.key("tick"))

    def _end(self, ctx: Context, run: str, status: str) -> None:
        ctx.set_state(self.dev, self.state, mode=MODE_OFF, runStatus=run, cookingStatus=status,
                      canPause=False, canResume=False)
        ctx.set_state(self.dev, self.setpoint, fahrenheit=0, celsius=0)
        ctx.set_state(self.dev, self.timer, secondsInitial=0, secondsRemaining=0, paused=False)

    def stop(self, ctx: Context) -> None:
        self._end(ctx, runstatus("idle"), cooking_status("off"))
        ctx.after(TICK, lambda: self.tick(ctx), self.key("tick"))  # cools down

    def pause(self, ctx: Context) -> None:
        if self.state.state["runStatus"] == runstatus("in.progress"):
            ctx.set_state(self.dev, self.state, runStatus=runstatus("paused"),
                          canPause=False, canResume=True)
            ctx.set_state(self.dev, self.timer, paused=True)

    def resume(self, ctx: Context) -> None:
        if self.state.state["runStatus"] == runstatus("paused"):
            ctx.set_state(self.dev, self.state, runStatus=runstatus("in.progress"),
                          canPause=True, canResume=False)
            ctx.set_state(self.dev, self.timer, paused=False)
            ctx.after(TICK, lambda: self.tick(ctx), self.key("tick"))
