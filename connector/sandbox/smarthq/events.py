"""Event Stream messages (smarthq-api.md §3.3) and who receives them.

A ``Listener`` is one subscriber of a user: a WebSocket connection, or the user's
HTTPS callback channel. Its subscriptions follow §3.2: an account-wide one and
per-device ones, each with the ``services``/``presence``/``alerts``/``commands``
flags (absent flags are false). An event goes to a listener when the account-wide or
that device's subscription has the event's flag; ``pubsub#command`` only to the app
(client id) that issued the command. ``pubsub#device`` has no flag in the document:
it goes to every account-wide subscription. Events are never replayed: a listener only
gets what happens while it exists.
"""
from __future__ import annotations

import copy
import itertools
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from .clock import iso

FLAGS = ("services", "presence", "alerts", "commands")
CATEGORY = {"pubsub#service": "services", "pubsub#presence": "presence",
            "pubsub#alert": "alerts", "pubsub#command": "commands", "pubsub#device": "device"}

# pubsub#device ``event`` values: the document leaves the enum open (§9.5).
DEVICE_ADDED, DEVICE_REMOVED, DEVICE_UPDATED = "added", "removed", "updated"


def flags_of(message: dict) -> dict[str, bool]:
    return {f: message.get(f) is True for f in FLAGS}


@dataclass
class Listener:
    id: int
    user_id: str
    client_id: str
    channel: str  # "websocket" or "callback"
    token: str | None = None  # the access token a socket was opened with
    account: dict[str, bool] | None = None
    devices: dict[str, dict[str, bool]] = field(default_factory=dict)
    queue: deque = field(default_factory=deque)
    close_request: tuple[int, str, bool] | None = None  # (code, reason, abrupt)
    opened_at: float = 0.0

    def wants(self, event: dict, client_id: str | None) -> bool:
        category = CATEGORY.get(event.get("kind"))
        if category == "device":
            return self.account is not None
        if category == "commands" and client_id is not None and client_id != self.client_id:
            return False
        device_sub = self.devices.get(event.get("deviceId"))
        return bool((self.account and self.account.get(category))
                    or (device_sub and device_sub.get(category)))

    def info(self) -> dict[str, Any]:
        return {"id": self.id, "userId": self.user_id, "clientId": self.client_id,
                "channel": self.channel, "account": self.account,
                "devices": copy.deepcopy(self.devices), "openedAt": self.opened_at}


class Bus:
    """Listeners by user; ``publish`` queues a copy for each one that wants it."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self.listeners: dict[int, Listener] = {}
        self.wake = threading.Condition()  # the callback dispatcher waits on it

    def add(self, user_id: str, client_id: str, channel: str, **kw: Any) -> Listener:
        listener = Listener(next(self._ids), user_id, client_id, channel, **kw)
        self.listeners[listener.id] = listener
        return listener

    def remove(self, listener: Listener) -> None:
        self.listeners.pop(listener.id, None)

    def of_user(self, user_id: str, channel: str | None = None) -> list[Listener]:
        return [x for x in self.listeners.values()
                if x.user_id == user_id and (channel is None or x.channel == channel)]

    def publish(self, user_id: str, event: dict, client_id: str | None = None) -> int:
        sent = 0
        for listener in self.of_user(user_id):
            if listener.wants(event, client_id):
                listener.queue.append(copy.deepcopy(event))
                sent += 1
        if sent:
            with self.wake:
                self.wake.notify_all()
        return sent


# -- builders --------------------------------------------------------------------------

def _device_part(dev) -> dict[str, Any]:
    return {"userId": dev.user_id, "adapterId": dev.adapter_id, "deviceId": dev.device_id,
            "deviceType": dev.device_type}


def service_event(dev, svc, previous: dict) -> dict:
    body = svc.to_json()
    return {"kind": "pubsub#service", **_device_part(dev),
            "serviceId": body["serviceId"], "serviceType": body["serviceType"],
            "domainType": body["domainType"], "serviceDeviceType": body["serviceDeviceType"],
            "state": body["state"], "statePrevious": copy.deepcopy(previous),
            "config": body["config"], "supportedCommands": body["supportedCommands"],
            "lastSyncTime": body["lastSyncTime"], "lastStateTime": body["lastStateTime"]}


def presence_event(dev) -> dict:
    return {"kind": "pubsub#presence", **_device_part(dev), "presence": dev.presence,
            "lastSyncTime": iso(dev.last_sync)}


def device_event(dev, event: str, with_services: bool) -> dict:
    return {"kind": "pubsub#device", **_device_part(dev), "gatewayId": dev.gateway_id,
            "event": event,
            "services": [s.to_json() for s in dev.services] if with_services else [],
            "lastSyncTime": iso(dev.last_sync)}


def alert_event(dev, alert_type: str, when: float, services: list) -> dict:
    listed = []
    for svc in services:
        body = svc.to_json()
        body["statePrevious"] = (copy.deepcopy(svc.history[-2][1]) if len(svc.history) > 1
                                 else body["state"])
        listed.append(body)
    return {"kind": "pubsub#alert", "userId": dev.user_id, "deviceId": dev.device_id,
            "adapterId": dev.adapter_id, "deviceType": dev.device_type,
            "alertType": alert_type, "lastAlertTime": iso(when), "services": listed}


def command_event(dev, svc, correlation_id: str, command: dict, command_time: float,
                  outcome: str) -> dict:
    return {"kind": "pubsub#command", **_device_part(dev), "serviceId": svc.service_id,
            "serviceType": svc.service_type, "domainType": svc.domain_type,
            "serviceDeviceType": svc.service_device_type, "correlationId": correlation_id,
            "command": copy.deepcopy(command), "commandDateTime": iso(command_time),
            "outcome": outcome}
