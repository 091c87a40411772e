"""Pending callback entries: how they are encoded for Redis and cut into callbacks.

Pure: no Redis, no HTTP. :mod:`.pending` stores what :func:`encode` returns and hands
back what it stored; :func:`plan` turns that into the callbacks to send.

One entry per coalescing key, so a newer value replaces an older one in place:

* ``["s", device, component, capability, attribute]`` a state;
* ``["e", device, errorEnum]`` a device error (``DEVICE-DELETED`` …);
* ``["d", device]`` a device to announce with discoveryCallback.

A device's ``DEVICE-DELETED`` and its announcement or states say opposite things
(gone / there): :func:`rivals` names the entries a new one replaces besides its own key.

The stored value is ``"<epoch ms>|<json>"``: the timestamp up front lets a Lua script
compare ages without decoding JSON, and the whole string is what the flush compares
when it acknowledges (an entry rewritten since it was read differs, and stays).
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Iterable

from connector import schema
from connector.model import (Device, DeviceError, DeviceErrorEnum, DeviceResult,
                             ManufacturerInfo, State)

STATE, ERROR, DEVICE = "s", "e", "d"
STATE_CALLBACK, DISCOVERY_CALLBACK = "stateCallback", "discoveryCallback"


@dataclass(frozen=True)
class Encoded:
    field: str
    timestamp: int
    raw: str


@dataclass
class Batch:
    """One callback to send, and exactly the pending entries it carries."""

    interaction_type: str
    results: list[DeviceResult] = field(default_factory=list)  # stateCallback
    devices: list[Device] = field(default_factory=list)  # discoveryCallback
    sent: dict[str, str] = field(default_factory=dict)  # field -> raw, for the ack

    @property
    def size(self) -> int:
        return len(self.devices) + sum(len(r.states) + len(r.errors) for r in self.results)


def _dumps(value) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _raw(timestamp: int, body: dict) -> str:
    return f"{timestamp}|{_dumps(body)}"


# -- encoding -------------------------------------------------------------------------


def encode_state(external_id: str, state: State) -> Encoded:
    """``state`` must carry its timestamp (publish stamps it)."""
    body = {k: v for k, v in dataclasses.asdict(state).items() if v is not None}
    key = [STATE, external_id, state.component, state.capability, state.attribute]
    return Encoded(_dumps(key), state.timestamp, _raw(state.timestamp, body))


def encode_error(external_id: str, error: DeviceError, timestamp: int) -> Encoded:
    body = {"enum": error.enum, "detail": error.detail}
    return Encoded(_dumps([ERROR, external_id, error.enum]), timestamp, _raw(timestamp, body))


def encode_device(device: Device, timestamp: int) -> Encoded:
    body = {k: v for k, v in dataclasses.asdict(device).items() if v not in (None, ())}
    return Encoded(_dumps([DEVICE, device.external_id]), timestamp, _raw(timestamp, body))


def encode_results(results: Iterable[DeviceResult], now_ms: int) -> list[Encoded]:
    """Every state and error of ``results``; a state without timestamp gets ``now_ms``."""
    encoded = []
    for result in results:
        for state in result.states:
            if state.timestamp is None:
                state = dataclasses.replace(state, timestamp=now_ms)
            encoded.append(encode_state(result.external_id, state))
        for error in result.errors:
            encoded.append(encode_error(result.external_id, error, now_ms))
    return encoded


def rivals(field_: str) -> tuple[str, str]:
    """The entries a new ``field_`` contradicts: (an exact field, a field prefix), "" if none.

    States or an announcement contradict the device's DEVICE-DELETED, and it contradicts
    them; :mod:`.pending` keeps only the latest side, so a device that came back is not
    deleted by an older error sent after its announcement (and vice versa).
    """
    try:
        kind, device, *rest = json.loads(field_)
    except (ValueError, TypeError):
        return "", ""  # not one of our keys: nothing to contradict
    if kind in (STATE, DEVICE):
        return _dumps([ERROR, device, DeviceErrorEnum.DEVICE_DELETED]), ""
    if kind == ERROR and rest == [DeviceErrorEnum.DEVICE_DELETED]:
        # Every state key of the device starts with this (same encoder, same escaping).
        return _dumps([DEVICE, device]), _dumps([STATE, device])[:-1] + ","
    return "", ""


# -- decoding -------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    kind: str
    external_id: str
    timestamp: int
    value: State | DeviceError | Device
    field: str
    raw: str


def decode(field_: str, raw: str) -> Item:
    """Raises ValueError (or a subclass) when the entry is not one we wrote."""
    key = json.loads(field_)
    stamp, sep, text = raw.partition("|")
    if not sep or not isinstance(key, list) or len(key) < 2:
        raise ValueError("not a pending callback entry")
    body = json.loads(text)
    kind, external_id = key[0], key[1]
    if kind == STATE:
        value = State(**body)
    elif kind == ERROR:
        value = DeviceError(body["enum"], body["detail"])
    elif kind == DEVICE:
        value = Device(**{**body, "manufacturer": ManufacturerInfo(**body["manufacturer"]),
                          "groups": tuple(body.get("groups", ())),
                          "categories": tuple(body.get("categories", ()))})
    else:
        raise ValueError(f"unknown entry kind {kind!r}")
    return Item(kind, external_id, int(stamp), value, field_, raw)


# -- planning -------------------------------------------------------------------------


def plan(entries: dict[str, str], max_states: int, max_devices: int
         ) -> tuple[list[Batch], dict[str, str]]:
    """The callbacks that deliver ``entries``, and the entries that cannot be decoded.

    Announcements go first (discoveryCallback), so SmartThings knows a device before
    it hears its state. Everything else goes in as few stateCallbacks as the bounds
    allow: one, unless more than ``max_states`` states and errors are pending.
    Devices and attributes are in a stable order, which keeps payloads reproducible.
    """
    items, broken = [], {}
    for field_, raw in entries.items():
        try:
            items.append(decode(field_, raw))
        except (ValueError, TypeError, KeyError):
            broken[field_] = raw
    items.sort(key=lambda item: (item.external_id, item.kind, item.field))

    devices = [item for item in items if item.kind == DEVICE]
    updates = [item for item in items if item.kind != DEVICE]
    batches = [_discovery_batch(chunk) for chunk in _chunks(devices, max_devices)]
    batches += [_state_batch(chunk) for chunk in _chunks(updates, max_states)]
    return batches, broken


def _chunks(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def _discovery_batch(items: list[Item]) -> Batch:
    return Batch(DISCOVERY_CALLBACK, devices=[item.value for item in items],
                 sent={item.field: item.raw for item in items})


def _state_batch(items: list[Item]) -> Batch:
    by_device: dict[str, DeviceResult] = {}
    for item in items:
        result = by_device.setdefault(item.external_id, DeviceResult(item.external_id))
        (result.states if item.kind == STATE else result.errors).append(item.value)
    return Batch(STATE_CALLBACK, results=list(by_device.values()),
                 sent={item.field: item.raw for item in items})


def to_payload(batch: Batch, token: str) -> dict:
    """The ST Schema envelope for ``batch``, authenticated with the callback ``token``."""
    if batch.interaction_type == DISCOVERY_CALLBACK:
        return schema.discovery_callback(token, batch.devices)
    return schema.state_callback(token, batch.results)
