"""What changed between two readings of an account's devices (pure, no I/O).

Pollers read every device, compare with the last reading kept in Redis and publish
only the difference: changed attribute values, devices that appeared (for a
discoveryCallback) and devices that vanished (DEVICE-DELETED). A reading is stored as
a plain JSON-able snapshot, ``{externalDeviceId: {"component|capability|attribute":
[value, unit]}}``, so any backend's poller can use it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from connector.model import Device, DeviceErrorEnum, DeviceResult, State

Snapshot = dict[str, dict[str, list]]


@dataclass
class Changes:
    results: list[DeviceResult] = field(default_factory=list)  # states to publish
    new_devices: list[Device] = field(default_factory=list)  # for a discoveryCallback
    snapshot: Snapshot = field(default_factory=dict)  # the reading to keep for next time

    def __bool__(self) -> bool:
        return bool(self.results or self.new_devices)


def state_key(state: State) -> str:
    return "|".join(state.key)


def snapshot_of(states: list[State]) -> dict[str, list]:
    return {state_key(s): [s.value, s.unit] for s in states}


def diff(previous: Snapshot | None, devices: list[Device], readings: dict[str, list[State]],
         unread: Iterable[str] = ()) -> Changes:
    """Compare a new reading with ``previous`` (None: this is the first reading).

    ``devices`` are the account's devices now; ``readings`` the states read for them (a
    device that could not be read this time is absent and keeps its previous values).
    ``unread`` names devices the partner still lists but that could not be read or
    mapped into a Device: they too keep their previous values, and are neither announced
    nor deleted. Only a device in none of these is DEVICE-DELETED.
    A first reading publishes nothing: SmartThings reads every device itself after
    discovery, so the first snapshot is only a baseline.
    """
    changes = Changes()
    known = previous or {}
    unread = set(unread)
    for device in devices:
        ext_id = device.external_id
        before = known.get(ext_id)
        states = readings.get(ext_id)
        if states is None:
            if before is not None:
                changes.snapshot[ext_id] = before
            continue
        now = snapshot_of(states)
        changes.snapshot[ext_id] = {**(before or {}), **now}
        if previous is None:
            continue
        if before is None:
            changes.new_devices.append(device)
            changed = states
        else:
            changed = [s for s in states if before.get(state_key(s)) != [s.value, s.unit]]
        if changed:
            changes.results.append(DeviceResult(ext_id, changed))
    for ext_id in unread:
        if ext_id in known:
            changes.snapshot.setdefault(ext_id, known[ext_id])
    current_ids = {d.external_id for d in devices} | unread
    for ext_id in sorted(set(known) - current_ids):
        changes.results.append(DeviceResult.failed(
            ext_id, DeviceErrorEnum.DEVICE_DELETED, "device removed from the partner account"))
    return changes
