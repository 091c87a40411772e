"""SmartHQ enum values and their SmartThings counterparts (smarthq-api.md §2.3, §7).

Tables read SmartHQ's short values (the part after ``cloud.smarthq.type.<group>.`` or
``cloud.smarthq.domain.``); where a command must go the other way, ``pick`` finds the
SmartHQ value an appliance offers for a SmartThings one. Pure data.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from connector.backends.smarthq.kinds import short

TRIGGER_DO = "cloud.smarthq.command.trigger.do"
TRIGGERS = {
    "run": ("start", "cycle.start", "remotestart"),
    "pause": ("cycle.pause",),
    "stop": ("stop", "cycle.stop"),
}
"""ST machineState → laundry trigger domains that reach it, preferred first."""

RUNNING = ("active", "in.progress")
PAUSED = ("paused", "delay.pause")
FINISHED = ("complete", "endofcycle")
STOPPED = ("delayed", *FINISHED, "idle", "off", "standby", "stopped", "unknown")

WASHER_JOBS = {
    **dict.fromkeys(("fill", "wash", "soak", "steaming", "miststeam", "sanitizing"), "wash"),
    "prewash": "preWash",
    **dict.fromkeys(("rinse", "extrarinse"), "rinse"),
    **dict.fromkeys(("spin", "extraspin", "drain"), "spin"),
    **dict.fromkeys(("load.sensing", "loadsizedetection", "sensing", "soil.sensing"),
                    "weightSensing"),
    "wrinkle.free": "wrinklePrevent",
    "drying": "drying",
    "cooldown": "cooling",
}
"""subCycle → washerJobState."""
DRYER_JOBS = {
    **dict.fromkeys(("drying", "tumble", "damp", "airfluff"), "drying"),
    **dict.fromkeys(("cooldown", "force.cooling"), "cooling"),
    **dict.fromkeys(("extendedtumble", "wrinkle.free"), "wrinklePrevent"),
    **dict.fromkeys(("steaming", "miststeam", "ultra.fresh"), "refreshing"),
    "sanitizing": "sanitizing",
    **dict.fromkeys(("load.sensing", "sensing"), "weightSensing"),
}
"""subCycle → dryerJobState."""
WASHER_MODES = {
    **dict.fromkeys(("normal", "regular", "colors", "whites", "casual", "cotton"), "regular"),
    **dict.fromkeys(("heavy", "heavyduty", "bulky", "bulkyitems", "towels", "bedding"), "heavy"),
    **dict.fromkeys(("rinse", "rinseandspin", "rinse.spin"), "rinse"),
    **dict.fromkeys(("spin", "spinonly", "drainandspin", "drain.spin"), "spinDry"),
}
"""laundry cycle (``cloud.smarthq.domain.laundry.<x>``) → washerMode."""
DRYER_MODES = {"noheat": "lowHeat", "extralow": "lowHeat", "low": "lowHeat",
               "medium": "regular", "high": "highHeat"}
"""laundryTemperature (``…laundrytemperature.<x>``) → dryerMode."""
DISHWASHER_MODES = {
    **dict.fromkeys(("auto", "autosense", "smart"), "auto"),
    **dict.fromkeys(("eco", "hydrosave"), "eco"),
    **dict.fromkeys(("heavy", "heavyduty", "pots", "intense"), "intense"),
    **dict.fromkeys(("express", "quick", "timesaver", "timed.minutes.30"), "quick"),
    **dict.fromkeys(("rinse", "preprinse"), "rinse"),
}
"""dishwasher cycle (``cloud.smarthq.domain.dishwasher.<x>``) → dishwasherMode."""
OVEN_MODES = {
    "bake": "Bake", "convection.bake": "ConvectionBake", "broil": "Broil",
    "convection.broil": "ConvectionBroil", "convection.roast": "ConvectionRoast",
    "warm": "warming", "proof": "Proof", "dehydrate": "Dehydrate", "slowcook": "SlowCook",
}
"""cooking mode (``cloud.smarthq.domain.cooking.<x>``) → ovenMode; any other is Others."""
OVEN_IDLE_MODES = ("", "off", "none", "idle")
AC_MODES = {
    "auto": "auto", "cool": "cool", "dry": "dry", "fanonly": "fanOnly", "heat": "heat",
    "cool.energysaver": "energySaver", "cool.quiet": "quiet", "cool.turbo": "turbo",
}
"""thermostat.v1 mode (``…thermostatmode.<x>``) → airConditionerMode (a free string)."""
FAN_MODES = {"auto": "auto", "low": "low", "medium": "medium", "high": "high"}
"""thermostat.v1 fanSpeed (``…fanspeed.<x>``) → airConditionerFanMode."""
FILTER_REPLACE = ("expired", "expiringsoon", "error", "leak")
FILTER_NORMAL = ("good", "bypass")


def machine_state(run: str) -> str | None:
    """runStatus (short) → run/pause/stop (§7's laundry table); None when unknown."""
    if run in RUNNING or run.startswith("running"):
        return "run"
    if run in PAUSED:
        return "pause"
    if run in STOPPED:
        return "stop"
    return None


def laundry_cycle(value: Any) -> str:
    return _after(short(value, "domain"), "laundry.")


def dishwasher_cycle(value: Any) -> str:
    return _after(short(value, "domain"), "dishwasher.")


def cooking_mode(value: Any) -> str:
    return _after(short(value, "domain"), "cooking.")


def pick(wanted: str, offered: Iterable[Any], read, table: Mapping[str, str]) -> Any | None:
    """The offered SmartHQ value that means ``wanted`` in SmartThings' terms.

    ``read`` shortens an offered value to a ``table`` key. When several qualify, the
    one whose short name *is* the SmartThings name wins (``auto`` over ``autosense``),
    else the first offered.
    """
    matches = [v for v in offered if table.get(read(v)) == wanted]
    exact = [v for v in matches if read(v) == wanted.lower()]
    return (exact or matches or [None])[0]


def _after(text: str, prefix: str) -> str:
    return text[len(prefix):] if text.startswith(prefix) else text
