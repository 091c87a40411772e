"""Event Stream messages (smarthq-api.md §3) read as changes to ``device#item``s. Pure.

The listener keeps each appliance's ``device#item`` and folds every event into it, so
states always come from ``mapping.to_states`` exactly as a state refresh computes them.
An event carries one service, but one state may need several (a washer's
completionTime joins its laundry state and its cycle timer), hence items, not
per-event states.

    pubsub#service    the service replaces the item's one with the same serviceId
                      (or triple); an unknown one is added
    pubsub#presence   the item's presence (→ healthStatus)
    pubsub#alert      the services the alert carries, folded as service events
    pubsub#device     the device to read again (added, updated) or forget (removed)
    pubsub#command    the device whose real state must be sent again (``command_device``)

An event older than what the item holds (its ``lastStateTime``/``lastPresenceTime`` is
earlier) is ignored: events queued on the socket while the listener re-read the
account must not roll that fresh reading back.
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Mapping

from connector.backends.smarthq.appliance import presence_online

# Server → client kinds (§3.2, §3.3).
CONNECT, SUBSCRIBED, PONG, API = ("websocket#connect", "websocket#pubsub", "websocket#pong",
                                  "websocket#api")
SERVICE, PRESENCE, ALERT, DEVICE, COMMAND = ("pubsub#service", "pubsub#presence", "pubsub#alert",
                                             "pubsub#device", "pubsub#command")
FOLDED = (SERVICE, PRESENCE, ALERT)  # events that change an item we hold

# pubsub#device ``event``: the document leaves the enum open (§9.5), so only "removed"
# is acted on by name; anything else means "read the device again".
REMOVED = "removed"

SERVICE_FIELDS = ("serviceId", "serviceType", "domainType", "serviceDeviceType",
                  "supportedCommands", "state", "config", "lastSyncTime", "lastStateTime")
TRIPLE = ("serviceType", "domainType", "serviceDeviceType")


# -- what we send -----------------------------------------------------------------------


def subscription() -> dict:
    """The account-wide subscription to every category (§3.2)."""
    return {"kind": "websocket#pubsub", "action": "pubsub", "pubsub": True,
            "services": True, "presence": True, "alerts": True, "commands": True}


def ping(number: int) -> dict:
    return {"kind": "websocket#ping", "action": "ping", "id": f"keepalive-{number}"}


# -- what we receive --------------------------------------------------------------------


def decode(text: str | bytes) -> dict:
    """One message as a dict; anything that is not a JSON object becomes ``{}``."""
    try:
        message = json.loads(text)
    except ValueError:
        return {}
    return message if isinstance(message, dict) else {}


def subscription_refused(message: Mapping) -> bool:
    return message.get("kind") == SUBSCRIBED and message.get("success") is False


def device_of(message: Mapping) -> str | None:
    device_id = message.get("deviceId")
    return device_id if isinstance(device_id, str) and device_id else None


def removes_device(message: Mapping) -> bool:
    return message.get("kind") == DEVICE and message.get("event") == REMOVED


def fold(item: Mapping, message: Mapping) -> dict | None:
    """``item`` with a service, presence or alert event applied; None if it changes
    nothing (stale, or not an event about this item)."""
    if device_of(message) != item.get("deviceId"):
        return None
    kind = message.get("kind")
    if kind == SERVICE:
        return with_service(item, message)
    if kind == PRESENCE:
        return with_presence(item, message)
    if kind == ALERT:
        return with_alert(item, message)
    return None


def with_service(item: Mapping, service: Mapping) -> dict | None:
    """``item`` with ``service`` (an event or an alert's service entry) in place."""
    fresh = {k: service[k] for k in SERVICE_FIELDS if k in service}
    if not isinstance(fresh.get("state"), Mapping):
        return None
    held_services = item.get("services")
    # Entries that are not objects are skipped, as the mapping skips them.
    services = [s for s in held_services if isinstance(s, Mapping)] if isinstance(held_services, list) else []
    index = _find(services, fresh)
    if index is None:
        services.append(fresh)
    else:
        held = services[index]
        if _older(fresh.get("lastStateTime"), held.get("lastStateTime")):
            return None
        services[index] = {**held, **fresh}
    return {**item, "services": services}


def with_presence(item: Mapping, event: Mapping) -> dict | None:
    presence = event.get("presence")
    if not isinstance(presence, str):
        return None
    when = event.get("lastSyncTime")
    if _older(when, item.get("lastPresenceTime")):
        return None
    out = {**item, "presence": presence}
    if isinstance(when, str):
        out["lastPresenceTime"] = when
    return out


def with_alert(item: Mapping, event: Mapping) -> dict | None:
    """The alert itself has no SmartThings attribute; the services it carries do."""
    out = None
    for service in event.get("services") or ():
        if isinstance(service, Mapping):
            out = with_service(out or item, service) or out
    return out


def online(item: Mapping) -> bool:
    return presence_online(item.get("presence"))


# -- helpers ----------------------------------------------------------------------------


def _find(services: list, fresh: Mapping) -> int | None:
    sid = fresh.get("serviceId")
    for i, held in enumerate(services):
        if sid and held.get("serviceId") == sid:
            return i
    triple = tuple(fresh.get(k) for k in TRIPLE)
    if all(triple):
        for i, held in enumerate(services):
            if tuple(held.get(k) for k in TRIPLE) == triple:
                return i
    return None


def _older(new: Any, held: Any) -> bool:
    """True only when both times are readable and ``new`` is strictly earlier."""
    a, b = _epoch(new), _epoch(held)
    return a is not None and b is not None and a < b


def _epoch(text: Any) -> float | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
