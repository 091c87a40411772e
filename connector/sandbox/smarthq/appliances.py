"""An appliance (a SmartHQ device): its identity fields, its services, the behaviour
units that make it run, its presence history and alerts (smarthq-api.md §2.2-2.3).

Appliances do not change themselves directly: a ``Unit`` asks the ``Context`` (the
cloud) to change a service's state, schedule its next tick or raise an alert, so every
change is timed by the simulated clock and turns into exactly one event.
"""
from __future__ import annotations

import copy
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from . import names
from .clock import iso
from .services import Service


class Context(Protocol):
    """What a unit may do to the world (implemented by SmartHQCloud, under its lock)."""

    def now(self) -> float: ...

    def set_state(self, dev: "Appliance", svc: Service, **changes: Any) -> None: ...

    def after(self, delay: float, run: Callable[[], None], key: str) -> None: ...

    def cancel(self, key: str) -> None: ...

    def alert(self, dev: "Appliance", alert_type: str, services: list[Service] = ()) -> None: ...


class Unit:
    """The behaviour of one sub-device (a serviceDeviceType). The base does nothing:
    commands without a unit handler fall back to the generic ones (commands.py)."""

    def __init__(self, dev: "Appliance", sdt: str):
        self.dev, self.sdt = dev, sdt

    def svc(self, stype: str, dom: str) -> Service:
        """This sub-device's service; short names (``"toggle"``, ``"turbo"``) expand."""
        if not stype.startswith(names.ROOT):
            stype, dom = names.service(stype), names.domain(dom)
        found = self.dev.find(stype, dom, self.sdt)
        if found is None:
            raise LookupError(f"{self.dev.device_id} has no {stype}/{dom} on {self.sdt}")
        return found

    def key(self, what: str) -> str:
        return f"{self.dev.device_id}/{self.sdt}/{what}"

    def attach(self, ctx: Context) -> None:
        """The appliance joined the cloud: start whatever runs on its own."""

    def is_disabled(self, svc: Service) -> bool:
        """Whether a command to ``svc`` answers ``servicedisabled``."""
        return svc.disabled

    def handle(self, ctx: Context, svc: Service, command_type: str, params: dict) -> bool:
        """Apply a validated command; False when the generic handler should."""
        return False

    # Panel ("physical") actions; units that have them override these.
    def set_remote(self, ctx: Context, enabled: bool) -> bool:
        return False

    def panel_start(self, ctx: Context, **options: Any) -> bool:
        return False


@dataclass
class AlertRecord:
    alert_id: str
    alert_type: str
    time: float
    clear: bool = False
    clear_time: float | None = None


@dataclass
class Appliance:
    device_id: str
    user_id: str
    kind: str
    device_type: str
    nickname: str
    model: str
    serial: str
    brand: str
    manufacturer: str
    mac: str
    room: str
    adapter_id: str
    gateway_id: str
    created: float
    removable: bool = True
    alert_types: list[str] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)
    units: list[Unit] = field(default_factory=list)
    presence: str = "ONLINE"
    last_sync: float = 0.0
    last_presence: float = 0.0
    presence_history: deque = field(default_factory=lambda: deque(maxlen=500))
    alerts: list[AlertRecord] = field(default_factory=list)
    icon: str = "cloud.smarthq.icon.unknown"

    def find(self, stype: str, dom: str, sdt: str) -> Service | None:
        for svc in self.services:
            if svc.triple == (stype, dom, sdt):
                return svc
        return None

    def by_id(self, service_id: str) -> Service | None:
        return next((s for s in self.services if s.service_id == service_id), None)

    def unit_for(self, svc: Service) -> Unit | None:
        return next((u for u in self.units if u.sdt == svc.service_device_type), None)

    @property
    def online(self) -> bool:
        return self.presence == "ONLINE"

    def summary_json(self) -> dict[str, Any]:
        """A ``device#list`` entry: no services (§2.2)."""
        return {
            "deviceId": self.device_id,
            "deviceType": self.device_type,
            "nickname": self.nickname,
            "model": self.model,
            "serial": self.serial,
            "brand": self.brand,
            "manufacturer": self.manufacturer,
            "macAddress": self.mac,
            "presence": self.presence,
            "room": self.room,
            "icon": self.icon,
            "adapterId": self.adapter_id,
            "gatewayId": self.gateway_id,
            "lastSyncTime": iso(self.last_sync),
            "lastPresenceTime": iso(self.last_presence),
            "createdDateTime": iso(self.created),
        }

    def item_json(self) -> dict[str, Any]:
        """The ``device#item`` body (without ``kind``/``userId``, which the API adds)."""
        out = self.summary_json()
        out["removable"] = self.removable
        out["alertTypes"] = list(self.alert_types)
        out["services"] = [s.to_json() for s in self.services]
        return out

    def snapshot(self) -> dict[str, Any]:
        return {"kind": self.kind, **copy.deepcopy(self.item_json())}
