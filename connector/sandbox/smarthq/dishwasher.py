"""The dishwasher: ``dishwasher.state.v1`` (start/stop/pause), one ``dishwasher.mode.v1``
service per cycle (selecting a cycle = ``.set`` on that cycle's service), a cycletimer,
rinse agent, door and meter (smarthq-api.md §2.3.2).

Remote start works when ``config.remoteStartSupported`` is true and the user has
enabled it on the panel (``disabled`` false on the state service). The option lists
in each mode service's config (``supportedWashZones`` …) are our naming; the document
only says that config lists the supported options.
"""
from __future__ import annotations

from typing import Any

from . import names
from .appliances import Context, Unit
from .names import runstatus
from .services import Service

TICK = 60
CYCLES = {"auto": 6600, "eco": 8400, "heavy": 9000, "express": 3600, "rinse": 1200}
WASH_ZONES = ["both", "lower", "upper"]
WASH_TEMPS = ["none", "boost", "sani", "saniandboost", "onlysani"]
HEATED_DRY = ["none", "addedheat", "maxdry"]
ENERGY_PER_CYCLE = 850

RUNNING = runstatus("in.progress")
PAUSED = runstatus("paused")


def mode_domain(cycle: str) -> str:
    return names.domain(f"dishwasher.{cycle}")


def dishwasher_services(sdt: str = "dishwasher") -> list[Service]:
    out = [
        Service.make("dishwasher.state.v1", "dishwasher", sdt,
                     ["dishwasher.state.v1.start", "dishwasher.state.v1.stop",
                      "dishwasher.state.v1.pause"], {
                         "mode": mode_domain("auto"), "runStatus": runstatus("idle"),
                         "cycleIndication": names.type_("dishwasher.cycle.indication", "no.change"),
                         "delayStart": 0, "boostTemperature": False, "disabled": False},
                     {"remoteStartSupported": True}),
    ]
    for cycle in CYCLES:
        rinse = cycle == "rinse"
        out.append(Service.make(
            "dishwasher.mode.v1", f"dishwasher.{cycle}", sdt, ["dishwasher.mode.v1.set"],
            {"disabled": False, "washZone": "both", "washTemp": "none",
             "heatedDry": "none"},
            {"supportedWashZones": WASH_ZONES,
             "supportedWashTemps": ["none"] if rinse else WASH_TEMPS,
             "supportedHeatedDry": ["none"] if rinse else HEATED_DRY,
             "steamSupported": not rinse, "bottleWashSupported": not rinse,
             "silverwareWashSupported": not rinse, "delayStartValueMaximum": 24}))
    out += [
        Service.make("cycletimer", "cycle", sdt, [],
                     {"secondsRemaining": 0, "secondsInitial": 0, "paused": False},
                     {"granularity": names.type_("timergranularity", "minutes")}),
        Service.make("dishwasher.rinse.agent", "rinse.agent", sdt, [],
                     {"rinseAgentStatus": "good"}),
        Service.make("door", "door", sdt, [], {"singleOpen": False}),
        Service.make("meter", "energy", sdt, [], {"meterValue": 120400, "meterValueDelta": 0},
                     {"meterUnits": "kwh", "measurement": "cumulative", "reading": "estimated"}),
    ]
    return out


class DishwasherUnit(Unit):
    @property
    def state(self) -> Service:
        return self.svc("dishwasher.state.v1", "dishwasher")

    @property
    def timer(self) -> Service:
        return self.svc("cycletimer", "cycle")

    @property
    def run_status(self) -> str:
        return self.state.state["runStatus"]

    def _modes(self) -> list[Service]:
        return [s for s in self.dev.services if s.service_device_type == self.sdt
                and s.service_type == names.service("dishwasher.mode.v1")]

    def _lock_modes(self, ctx: Context, locked: bool) -> None:
        for svc in self._modes():
            ctx.set_state(self.dev, svc, disabled=locked)

    def handle(self, ctx: Context, svc: Service, command_type: str, params: dict) -> bool:
        verb = command_type.rsplit(".", 1)[-1]
        if svc.service_type == names.service("dishwasher.mode.v1"):
            ctx.set_state(self.dev, svc, **params)
            ctx.set_state(self.dev, self.state, mode=svc.domain_type,
                          delayStart=params.get("delayStartValue", self.state.state["delayStart"]))
        elif verb == "start":
            self.resume(ctx) if self.run_status == PAUSED else self.begin(ctx)
        elif verb == "pause":
            self.pause(ctx)
        elif verb == "stop":
            self.stop(ctx)
        else:
            return False
        return True

    def set_remote(self, ctx: Context, enabled: bool) -> bool:
        ctx.set_state(self.dev, self.state, disabled=not enabled)
        if self.run_status not in (RUNNING, PAUSED):
            self._lock_modes(ctx, not enabled)
        return True

    def panel_start(self, ctx: Context, cycle: str | None = None, **_: Any) -> bool:
        if cycle is not None:
            full = cycle if cycle.startswith(names.ROOT) else mode_domain(cycle)
            if full not in {s.domain_type for s in self._modes()}:
                raise ValueError(f"unsupported cycle {cycle!r}")
            ctx.set_state(self.dev, self.state, mode=full)
        self.resume(ctx) if self.run_status == PAUSED else self.begin(ctx)
        return True

    def begin(self, ctx: Context) -> None:
        total = CYCLES.get(self.state.state["mode"].rsplit(".", 1)[-1], CYCLES["auto"])
        ctx.set_state(self.dev, self.state, runStatus=RUNNING)
        ctx.set_state(self.dev, self.timer, secondsInitial=total, secondsRemaining=total,
                      paused=False)
        self._lock_modes(ctx, True)
        ctx.after(TICK, lambda: self.tick(ctx), self.key("tick"))

    def tick(self, ctx: Context) -> None:
        remaining = max(0, self.timer.state["secondsRemaining"] - TICK)
        ctx.set_state(self.dev, self.timer, secondsRemaining=remaining)
        if remaining == 0:
            self.finish(ctx)
        else:
            ctx.after(TICK, lambda: self.tick(ctx), self.key("tick"))

    def finish(self, ctx: Context) -> None:
        ctx.cancel(self.key("tick"))
        ctx.set_state(self.dev, self.state, runStatus=runstatus("complete"))
        self._lock_modes(ctx, self.state.disabled)
        meter = self.svc("meter", "energy")
        ctx.set_state(self.dev, meter, meterValue=meter.state["meterValue"] + ENERGY_PER_CYCLE,
                      meterValueDelta=ENERGY_PER_CYCLE)
        ctx.alert(self.dev, names.alert("dishwasher.endofcycle"), [self.state, self.timer])

    def pause(self, ctx: Context) -> None:
        if self.run_status != RUNNING:
            return
        ctx.cancel(self.key("tick"))
        ctx.set_state(self.dev, self.state, runStatus=PAUSED)
        ctx.set_state(self.dev, self.timer, paused=True)
        ctx.alert(self.dev, names.alert("dishwasher.pausedcycle"), [self.state])

    def resume(self, ctx: Context) -> None:
        ctx.set_state(self.dev, self.state, runStatus=RUNNING)
        ctx.set_state(self.dev, self.timer, paused=False)
        ctx.after(TICK, lambda: self.tick(ctx), self.key("tick"))

    def stop(self, ctx: Context) -> None:
        ctx.cancel(self.key("tick"))
        ctx.set_state(self.dev, self.state, runStatus=runstatus("idle"))
        ctx.set_state(self.dev, self.timer, secondsInitial=0, secondsRemaining=0, paused=False)
        self._lock_modes(ctx, self.state.disabled)
