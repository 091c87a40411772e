"""SmartHQ accounts of the simulator and the stable ids derived from them.

Ids are opaque in the API (§2.2); ours are hashes of the username and a slot number,
so the same user set-up gives the same ids in every run.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from .appliances import Appliance


def _hash(*parts: object) -> str:
    return hashlib.sha1("/".join(map(str, parts)).encode()).hexdigest()


def user_id_for(username: str) -> str:
    return _hash("user", username)[:24]


def device_ids(username: str, slot: int) -> dict[str, str]:
    """deviceId, adapterId, gatewayId, macAddress and serial of a user's n-th appliance."""
    h = _hash("device", username, slot)
    mac = ":".join(["D8", "28", "C9"] + [h[i:i + 2].upper() for i in (0, 2, 4)])
    serial = "".join(chr(ord("A") + int(c, 16) % 26) for c in h[:2]) + str(int(h[2:10], 16))[:6]
    return {"device_id": h[:32], "adapter_id": _hash("adapter", h)[:32],
            "gateway_id": _hash("gateway", h)[:32], "mac": mac, "serial": serial}


@dataclass
class SimUser:
    username: str
    password: str
    user_id: str
    devices: dict[str, Appliance] = field(default_factory=dict)  # insertion-ordered
    next_slot: int = 0
