"""Washers and dryers (and the two halves of a laundry center).

The state machine follows smarthq-api.md §2.3.2 and §8.6: idle → (Remote Start armed
on the panel) ``delayed`` with the start trigger enabled → ``in.progress`` with the
sub-cycle moving on and the cycletimer counting down a minute at a time → ``complete``
with an ``endofcycle`` alert. Pause and stop triggers work while running; a paused
cycle resumes with the start trigger. Cycle domain names and option values are
not listed in the document; they are ours, in its ``cloud.smarthq.*`` style.
"""
from __future__ import annotations

from typing import Any

from . import names
from .appliances import Context, Unit
from .names import runstatus, subcycle
from .services import Service

TICK = 60  # the cycletimer's granularity is minutes

# cycle → sub-cycles with their seconds (multiples of TICK)
WASHER_CYCLES: dict[str, list[tuple[str, int]]] = {
    "normal": [("load.sensing", 60), ("fill", 120), ("wash", 840), ("rinse", 600), ("spin", 480)],
    "heavyduty": [("load.sensing", 60), ("fill", 180), ("soak", 600), ("wash", 1200),
                  ("rinse", 600), ("extrarinse", 420), ("spin", 600)],
    "quickwash": [("fill", 60), ("wash", 480), ("rinse", 240), ("spin", 300)],
    "delicates": [("load.sensing", 60), ("fill", 120), ("wash", 600), ("rinse", 480),
                  ("spin", 240)],
}
DRYER_CYCLES: dict[str, list[tuple[str, int]]] = {
    "normal": [("sensing", 60), ("drying", 2700), ("cooldown", 300)],
    "delicates": [("sensing", 60), ("drying", 1800), ("cooldown", 300)],
    "timeddry": [("drying", 1800), ("cooldown", 240)],
}
ENERGY_PER_CYCLE = {"washer": 310, "dryer": 2450}  # meter units per cycle (GE-HA: Wh-like)

RUNNING = runstatus("in.progress")
PAUSED = runstatus("paused")


def cycles_for(role: str) -> dict[str, list[tuple[str, int]]]:
    return WASHER_CYCLES if role == "washer" else DRYER_CYCLES


def cycle_domain(name: str) -> str:
    return names.domain(f"laundry.{name}")


def laundry_services(role: str, sdt: str, meter_start: int = 41230) -> list[Service]:
    """The services of one washer or dryer (``role``) on sub-device ``sdt``."""
    cycles = cycles_for(role)
    domains = [cycle_domain(c) for c in cycles]
    subs = sorted({subcycle(s) for phases in cycles.values() for s, _ in phases})
    options: dict[str, Any]
    if role == "washer":
        options = {"laundryTemperature": names.type_("laundrytemperature", "warm"),
                   "laundrySpin": names.type_("laundryspin", "high"),
                   "laundryRinse": names.type_("laundryrinse", "normal"),
                   "laundrySoil": names.type_("laundrysoil", "normal")}
    else:
        options = {"laundryTemperature": names.type_("laundrytemperature", "medium"),
                   "laundryDrynessLevel": names.type_("laundrydrynesslevel", "dry")}
    trigger = ["trigger.do"]
    return [
        Service.make("laundry.state.v1", "laundry", sdt, [], {
            "cycle": domains[0], "runStatus": runstatus("idle"), "subCycle": subcycle("na"),
            **options}, {
            "laundryModeSupported": domains, "subCyclesAvailable": subs,
            "remoteCyclesAvailable": domains}),
        Service.make("cycletimer", "cycle", sdt, [],
                     {"secondsRemaining": 0, "secondsInitial": 0, "paused": False},
                     {"granularity": names.type_("timergranularity", "minutes")}),
        Service.make("trigger", "start", sdt, trigger, {"disabled": True}),
        Service.make("trigger", "stop", sdt, trigger, {"disabled": True}),
        Service.make("trigger", "cycle.pause", sdt, trigger, {"disabled": True}),
        Service.make("remotecycleselection", "laundry.remotecycleselect", sdt,
                     ["remotecycleselection.set"], {"mode": domains[0], "disabled": True},
                     {"supportedModes": domains}),
        Service.make("toggle", "door.lock", sdt, [], {"on": False}),
        Service.make("door", "door", sdt, [], {"singleOpen": False}),
        Service.make("meter", "energy", sdt, [], {"meterValue": meter_start, "meterValueDelta": 0},
                     {"meterUnits": "kwh", "measurement": "cumulative", "reading": "estimated"}),
    ]


class LaundryUnit(Unit):
    """One washer or dryer drum."""

    def __init__(self, dev, sdt: str, role: str):
        super().__init__(dev, sdt)
        self.role = role
        self.phases: list[tuple[str, int]] = []

    # -- services ------------------------------------------------------------------

    @property
    def state(self) -> Service:
        return self.svc("laundry.state.v1", "laundry")

    @property
    def timer(self) -> Service:
        return self.svc("cycletimer", "cycle")

    def trigger(self, dom: str) -> Service:
        return self.svc(names.service("trigger"), names.domain(dom))

    @property
    def selection(self) -> Service:
        return self.svc("remotecycleselection", "laundry.remotecycleselect")

    @property
    def run_status(self) -> str:
        return self.state.state["runStatus"]

    def _cycle_phases(self) -> list[tuple[str, int]]:
        name = self.state.state["cycle"].rsplit("laundry.", 1)[-1]
        cycles = cycles_for(self.role)
        return cycles.get(name, next(iter(cycles.values())))

    def _alert(self, ctx: Context, what: str) -> None:
        ctx.alert(self.dev, names.alert(f"{self.role}.{what}"), [self.state, self.timer])

    def _triggers(self, ctx: Context, *, start: bool, stop: bool, pause: bool) -> None:
        """Set which triggers are usable (``disabled`` is the negation)."""
        for dom, usable in (("start", start), ("stop", stop), ("cycle.pause", pause)):
            ctx.set_state(self.dev, self.trigger(dom), disabled=not usable)

    # -- commands --------------------------------------------------------------------

    def handle(self, ctx: Context, svc: Service, command_type: str, params: dict) -> bool:
        dom = svc.domain_type
        if command_type == names.command("trigger.do"):
            if dom == names.domain("start"):
                self.resume(ctx) if self.run_status == PAUSED else self.begin(ctx)
            elif dom == names.domain("stop"):
                self.stop(ctx)
            elif dom == names.domain("cycle.pause"):
                self.pause(ctx)
            return True
        if command_type == names.command("remotecycleselection.set"):
            self.select(ctx, params["mode"])
            return True
        return False

    def select(self, ctx: Context, cycle: str) -> None:
        ctx.set_state(self.dev, self.selection, mode=cycle)
        ctx.set_state(self.dev, self.state, cycle=cycle)
        if self.run_status == runstatus("delayed"):
            total = sum(s for _, s in self._cycle_phases())
            ctx.set_state(self.dev, self.timer, secondsInitial=total, secondsRemaining=total)

    # -- panel ------------------------------------------------------------------------

    def set_remote(self, ctx: Context, enabled: bool) -> bool:
        """Arm (or disarm) Remote Start, as the user does on the panel."""
        if self.run_status in (RUNNING, PAUSED):
            return True  # only the cycle's own triggers matter while it runs
        if enabled:
            total = sum(s for _, s in self._cycle_phases())
            ctx.set_state(self.dev, self.state, runStatus=runstatus("delayed"),
                          subCycle=subcycle("na"))
            ctx.set_state(self.dev, self.timer, secondsInitial=total, secondsRemaining=total,
                          paused=False)
        else:
            ctx.set_state(self.dev, self.state, runStatus=runstatus("idle"))
            ctx.set_state(self.dev, self.timer, secondsInitial=0, secondsRemaining=0)
        ctx.set_state(self.dev, self.selection, disabled=not enabled)
        self._triggers(ctx, start=enabled, stop=False, pause=False)
        return True

    def panel_start(self, ctx: Context, cycle: str | None = None, **_: Any) -> bool:
        if cycle is not None:
            full = cycle if cycle.startswith(names.ROOT) else cycle_domain(cycle)
            if full not in self.state.config["laundryModeSupported"]:
                raise ValueError(f"unsupported cycle {cycle!r}")
            self.select(ctx, full)
        if self.run_status == PAUSED:
            self.resume(ctx)
        elif self.run_status != RUNNING:
            self.begin(ctx)
        return True

    # -- the cycle ----------------------------------------------------------------------

    def begin(self, ctx: Context) -> None:
        self.phases = self._cycle_phases()
        total = sum(s for _, s in self.phases)
        ctx.set_state(self.dev, self.state, runStatus=RUNNING, subCycle=subcycle(self.phases[0][0]))
        ctx.set_state(self.dev, self.timer, secondsInitial=total, secondsRemaining=total,
                      paused=False)
        ctx.set_state(self.dev, self.selection, disabled=True)
        ctx.set_state(self.dev, self.svc("toggle", "door.lock"), on=True)
        self._triggers(ctx, start=False, stop=True, pause=True)
        self._alert(ctx, "startofcycle")
        ctx.after(TICK, lambda: self.tick(ctx), self.key("tick"))

    def tick(self, ctx: Context) -> None:
        remaining = max(0, self.timer.state["secondsRemaining"] - TICK)
        ctx.set_state(self.dev, self.timer, secondsRemaining=remaining)
        if remaining == 0:
            self.finish(ctx)
            return
        if remaining == 300:
            self._alert(ctx, "endofcycle.minutesleft.5")
        elapsed = self.timer.state["secondsInitial"] - remaining
        ctx.set_state(self.dev, self.state, subCycle=subcycle(self._phase_at(elapsed)))
        ctx.after(TICK, lambda: self.tick(ctx), self.key("tick"))

    def _phase_at(self, elapsed: int) -> str:
        for name, seconds in self.phases:
            if elapsed < seconds:
                return name
            elapsed -= seconds
        return self.phases[-1][0]

    def finish(self, ctx: Context) -> None:
        ctx.cancel(self.key("tick"))
        ctx.set_state(self.dev, self.state, runStatus=runstatus("complete"), subCycle=subcycle("na"))
        ctx.set_state(self.dev, self.svc("toggle", "door.lock"), on=False)
        self._triggers(ctx, start=False, stop=False, pause=False)
        meter = self.svc("meter", "energy")
        used = ENERGY_PER_CYCLE[self.role]
        ctx.set_state(self.dev, meter, meterValue=meter.state["meterValue"] + used,
                      meterValueDelta=used)
        self._alert(ctx, "endofcycle")

    def pause(self, ctx: Context) -> None:
        if self.run_status != RUNNING:
            return
        ctx.cancel(self.key("tick"))
        ctx.set_state(self.dev, self.state, runStatus=PAUSED)
        ctx.set_state(self.dev, self.timer, paused=True)
        self._triggers(ctx, start=True, stop=True, pause=False)

    def resume(self, ctx: Context) -> None:
        if not self.phases:
            self.phases = self._cycle_phases()
        ctx.set_state(self.dev, self.state, runStatus=RUNNING)
        ctx.set_state(self.dev, self.timer, paused=False)
        self._triggers(ctx, start=False, stop=True, pause=True)
        ctx.after(TICK, lambda: self.tick(ctx), self.key("tick"))

    def stop(self, ctx: Context) -> None:
        ctx.cancel(self.key("tick"))
        ctx.set_state(self.dev, self.state, runStatus=runstatus("idle"), subCycle=subcycle("na"))
        ctx.set_state(self.dev, self.timer, secondsInitial=0, secondsRemaining=0, paused=False)
        ctx.set_state(self.dev, self.svc("toggle", "door.lock"), on=False)
        ctx.set_state(self.dev, self.selection, disabled=True)
        self._triggers(ctx, start=False, stop=False, pause=False)
