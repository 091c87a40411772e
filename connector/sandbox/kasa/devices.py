"""One simulated device: its Device object, its state, schedules and usage history.

Command semantics follow what the ecosystem notes report of real devices: a bulb turns
on when told a brightness, colour or colour temperature, and brightness 0 turns it off
(smart bulbs); a dimmer coerces 0 to 1 and keeps its power state. Setting a colour puts
a colour bulb in colour mode, shown as ``colorTemperature: 0``.
"""
from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from . import catalog
from .catalog import ModelSpec
from .stats import UsageHistory


def device_id(seed: str) -> str:
    """A 40-hex-digit id shaped like real Kasa device ids, stable for a seed."""
    return ("80" + hashlib.sha1(seed.encode()).hexdigest()[:38]).upper()


def mac_address(seed: str) -> str:
    tail = hashlib.sha1(f"mac:{seed}".encode()).hexdigest()[:6].upper()
    return ":".join(["50", "C7", "BF", tail[0:2], tail[2:4], tail[4:6]])  # a TP-Link OUI


@dataclass
class SimDevice:
    id: str
    name: str
    spec: ModelSpec
    timezone: str
    created: datetime  # aware; the usage history goes live from here
    history_days: int = 0
    online: bool = True
    responding: bool = True
    powered: bool = False
    brightness: int = 100
    hue: float = 0
    saturation: float = 0
    color_temperature: int = 0  # 0 = colour mode (colour bulbs)
    last_transition: int | None = None  # ms, the last transitionPeriod a command gave
    schedules: dict[str, dict] = field(default_factory=dict)
    mac: str = ""

    def __post_init__(self):
        self.mac = self.mac or mac_address(self.id)
        if self.spec.ct_range and not self.spec.has(catalog.COLOR_SPECTRUM):
            self.color_temperature = self.color_temperature or self.spec.ct_range[0]
        self.history = UsageHistory(self.id, self.spec, self.local(self.created),
                                    self.history_days)

    def has(self, trait: str) -> bool:
        return self.spec.has(trait)

    def local(self, now: datetime) -> datetime:
        """``now`` as naive local time in the device's timezone (stats are local)."""
        return now.astimezone(ZoneInfo(self.timezone)).replace(tzinfo=None)

    # -- JSON as the document's Device and State models

    def device_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "description": self.spec.description,
            "model": self.spec.model,
            "type": self.spec.type,
            "online": self.online,
            "capability": list(self.spec.traits),
        }
        if self.spec.ct_range:
            lo, hi = self.spec.ct_range
            out["metadata"] = {"minColorTemperature": lo, "maxColorTemperature": hi}
        out.update(hardwareVersion=self.spec.hardware_version,
                   softwareVersion=self.spec.software_version, macAddress=self.mac)
        return out

    def state_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"powered": self.powered}  # the State model's field order
        if self.has(catalog.COLOR_SPECTRUM):
            out["color"] = {"hsb": {"hue": self.hue, "saturation": self.saturation,
                                    "brightness": self.brightness}}
        if self.has(catalog.COLOR_TEMPERATURE):
            out["colorTemperature"] = self.color_temperature
        if self.has(catalog.BRIGHTNESS):
            out["brightness"] = self.brightness
        return out

    # -- usage

    def watts(self) -> float:
        return self.spec.watts if (self.powered and self.online) else 0.0

    def accrue(self, now: datetime) -> None:
        self.history.accrue(self.local(now), self.powered and self.online, self.watts())

    def realtime(self, now: datetime) -> dict[str, float]:
        """``realTimeStat``: a live reading with a little meter noise."""
        self.accrue(now)
        rng = random.Random()
        watts = self.watts() * rng.uniform(0.98, 1.02)
        volts = self.spec.volts * rng.uniform(0.99, 1.01)
        return {
            "currentAmps": round(watts / volts, 6),
            "VoltageVolts": round(volts, 6),
            "powerWatts": round(watts, 6),
            "totalKWs": round(self.history.total_wh(self.local(now).date()) / 1000, 3),
        }

    def set_timezone(self, timezone: str, now: datetime) -> None:
        self.accrue(now)
        self.timezone = timezone
        self.history.rebase(self.local(now))

    # -- commands (callers have validated arguments and traits)

    def _is_bulb(self) -> bool:
        return self.spec.type == catalog.LIGHT

    def set_power(self, powered: bool, now: datetime, transition: int | None = None) -> None:
        self.accrue(now)
        self.powered = powered
        self.last_transition = transition

    def set_brightness(self, brightness: int, now: datetime, transition: int | None = None) -> None:
        self.accrue(now)
        self.last_transition = transition
        if not self._is_bulb():
            self.brightness = max(1, brightness)  # dimmers: 0 means lowest, power unchanged
        elif brightness == 0:
            self.powered = False
        else:
            self.brightness, self.powered = brightness, True

    def set_color(self, hsb: dict, now: datetime, transition: int | None = None) -> None:
        self.accrue(now)
        self.last_transition = transition
        self.hue, self.saturation = hsb["hue"], hsb["saturation"]
        self.color_temperature = 0
        if hsb["brightness"] == 0:
            self.powered = False
        else:
            self.brightness, self.powered = hsb["brightness"], True

    def set_color_temperature(self, kelvin: int, now: datetime, transition: int | None = None) -> None:
        self.accrue(now)
        self.last_transition = transition
        self.color_temperature, self.powered = kelvin, True

    def apply_state(self, state: dict, now: datetime) -> None:
        """Take a checked State object as is: a change made in the Kasa app or by hand.
        A colour means colour mode unless a colour temperature comes with it; a plain
        ``brightness`` wins over the colour's."""
        self.accrue(now)
        if "powered" in state:
            self.powered = state["powered"]
        if "color" in state:
            hsb = state["color"]["hsb"]
            self.hue, self.saturation, self.brightness = hsb["hue"], hsb["saturation"], hsb["brightness"]
            self.color_temperature = 0
        if "brightness" in state:
            self.brightness = state["brightness"]
        if "colorTemperature" in state:
            self.color_temperature = state["colorTemperature"]
