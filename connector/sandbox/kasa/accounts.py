"""Kasa accounts of the simulator and the device set a new account gets by default.

The default set covers every trait combination the connector maps: a plain plug, two
energy-monitoring plugs, a dimmer, a tunable-white bulb, a colour bulb in colour mode,
and a switch that is offline.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from .devices import SimDevice

DEFAULT_TIMEZONE = "America/Los_Angeles"
HISTORY_DAYS = 400  # default devices have more than the 12 months the API can show

# (model, name, initial state, online)
DEFAULT_DEVICES: tuple[tuple[str, str, dict, bool], ...] = (
    ("HS100(US)", "Hallway Plug", {"powered": False}, True),
    ("HS110(US)", "Living Room Lamp", {"powered": True}, True),
    ("KP115(US)", "TV", {"powered": True}, True),
    ("HS220(US)", "Dining Room Dimmer", {"powered": True, "brightness": 70}, True),
    ("KL120(US)", "Bedroom Lamp",
     {"powered": False, "brightness": 80, "colorTemperature": 2700}, True),
    ("KL130(US)", "Office Color Bulb",
     {"powered": True, "color": {"hsb": {"hue": 240, "saturation": 75, "brightness": 60}}},
     True),
    ("HS200(US)", "Porch Light", {"powered": False}, False),
)


@dataclass
class SimUser:
    username: str
    password: str
    timezone: str = DEFAULT_TIMEZONE
    devices: dict[str, SimDevice] = field(default_factory=dict)  # insertion-ordered
    next_slot: int = 0

    @property
    def account_id(self) -> str:
        """A numeric account id, stable for a username."""
        return str(int(hashlib.sha1(f"account:{self.username}".encode()).hexdigest()[:12], 16))
