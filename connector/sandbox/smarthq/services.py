"""A service: one capability instance of a device, addressed by its triple
(serviceType, domainType, serviceDeviceType) (smarthq-api.md §2.3).

Short names are expanded: ``Service.make("toggle", "turbo", "refrigerator.freshfood",
["toggle.set"], {"on": False})``.
"""
from __future__ import annotations

import copy
import hashlib
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from . import names
from .clock import iso

HISTORY_LEN = 500  # state changes kept per service for .../history


def service_id(device_id: str, triple: tuple[str, str, str]) -> str:
    """Opaque, stable, ≤64 chars of [A-Za-z0-9-.] (the spec's limit)."""
    return hashlib.sha1(f"{device_id}|{'|'.join(triple)}".encode()).hexdigest()[:24]


@dataclass
class Service:
    service_type: str
    domain_type: str
    service_device_type: str
    supported_commands: list[str]
    state: dict[str, Any]
    config: dict[str, Any] = field(default_factory=dict)
    service_id: str = ""
    last_sync: float = 0.0
    last_state: float = 0.0
    history: deque = field(default_factory=lambda: deque(maxlen=HISTORY_LEN))

    @classmethod
    def make(cls, stype: str, dom: str, sdt: str, commands: list[str] | tuple = (),
             state: dict | None = None, config: dict | None = None) -> "Service":
        return cls(names.service(stype), names.domain(dom), names.device(sdt),
                   [names.command(c) for c in commands], dict(state or {}), dict(config or {}))

    @property
    def triple(self) -> tuple[str, str, str]:
        return (self.service_type, self.domain_type, self.service_device_type)

    def bind(self, device_id: str, now: float) -> None:
        self.service_id = service_id(device_id, self.triple)
        self.last_sync = self.last_state = now
        self.history.append((now, copy.deepcopy(self.state)))

    @property
    def disabled(self) -> bool:
        return bool(self.state.get("disabled"))

    def to_json(self) -> dict[str, Any]:
        return {
            "serviceId": self.service_id,
            "serviceType": self.service_type,
            "domainType": self.domain_type,
            "serviceDeviceType": self.service_device_type,
            "supportedCommands": list(self.supported_commands),
            "state": copy.deepcopy(self.state),
            "config": copy.deepcopy(self.config),
            "lastSyncTime": iso(self.last_sync),
            "lastStateTime": iso(self.last_state),
        }
