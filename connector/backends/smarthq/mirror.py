"""What one account's listener knows, and what SmartThings was last told. Pure, no I/O.

``AccountMirror`` holds each appliance's latest ``device#item`` and the snapshot of the
states last published (``connector.changes``: the same diff the Kasa poller uses).
Every method returns an ``Update`` — what to publish and which snapshot entries to
store — without changing the mirror; the listener publishes, stores, and only then
``commit``s. If publishing fails, the mirror still holds the old snapshot, so the
next re-read publishes the difference again (at least once, never lost).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from connector import changes
from connector.backends.smarthq import event_mapping, mapping
from connector.model import MAPPING_ERRORS, Device, DeviceResult


@dataclass
class Update:
    changes: changes.Changes
    items: dict[str, dict | None] = field(default_factory=dict)  # deviceId → item (None: gone)
    write: dict[str, dict] = field(default_factory=dict)  # snapshot entries by externalDeviceId
    delete: list[str] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)  # deviceIds the mapping could not read
    unread: set[str] = field(default_factory=set)  # listed but not read: kept, not deleted

    def __bool__(self) -> bool:
        return bool(self.changes)


class AccountMirror:
    """Device items by SmartHQ deviceId, plus the published snapshot.

    ``snapshot`` None means nothing was ever published for this account: the first
    full read is then a silent baseline, as in the Kasa poller (SmartThings reads
    every device itself after discovery).
    """

    def __init__(self, snapshot: changes.Snapshot | None,
                 profile_ids: Mapping[str, str] | None = None):
        self.snapshot = snapshot
        self.profile_ids = profile_ids
        self.items: dict[str, dict] = {}
        self.unread: set[str] = set()  # deviceIds listed at the last re-read but not read
        self._devices: dict[str, Device] = {}

    def knows(self, device_id: str) -> bool:
        return device_id in self.items

    # -- updates ----------------------------------------------------------------------

    def reread(self, items: list[dict], now: float, unread: frozenset[str] = frozenset()) -> Update:
        """The whole account read again: new, changed and vanished appliances.

        ``unread``: deviceIds the account still lists but that could not be read this
        time. They are not gone: their snapshot entries stay, and nothing is published
        for them until a later read of the device succeeds."""
        fresh = {str(i["deviceId"]): i for i in items if i.get("deviceId")}
        gone = {d: None for d in self.items if d not in fresh and d not in unread}
        return self._update({**fresh, **gone}, now, unread=set(unread))

    def event(self, message: Mapping, now: float) -> Update | None:
        """A service, presence or alert event about a device we hold; None when it
        changes nothing (stale, or about a device we do not hold)."""
        device_id = event_mapping.device_of(message)
        held = self.items.get(device_id) if device_id else None
        if held is None:
            return None
        item = event_mapping.fold(held, message)
        return None if item is None else self._update({device_id: item}, now)

    def device(self, item: dict, now: float, *, force: bool = False) -> Update:
        """One appliance read again. ``force`` publishes all its states, changed or not:
        after a command SmartThings holds the commandResponse's prediction, which the
        snapshot does not know about."""
        device_id = str(item["deviceId"])
        return self._update({device_id: item}, now, force={device_id} if force else set())

    def forget(self, device_id: str, now: float) -> Update:
        return self._update({device_id: None}, now)

    def commit(self, update: Update) -> None:
        self.unread = set(update.unread)
        for device_id, item in update.items.items():
            if item is None:
                self.items.pop(device_id, None)
                self._devices.pop(device_id, None)
            else:
                self.items[device_id] = item
        snapshot = dict(self.snapshot or {})
        snapshot.update(update.write)
        for ext in update.delete:
            snapshot.pop(ext, None)
        self.snapshot = snapshot

    # -----------------------------------------------------------------------------------

    def _update(self, touched: dict[str, dict | None], now: float,
                force: set[str] = frozenset(), unread: set[str] | None = None) -> Update:
        unread = (self.unread if unread is None else unread) - touched.keys()
        items = {**self.items, **touched}
        devices, readings, unmapped = [], {}, []
        for device_id, item in items.items():
            if item is None:
                continue
            device = self._device(device_id, item, device_id in touched)
            if device is None:
                unmapped.append(device_id)
                continue
            devices.append(device)
            if device_id in touched:
                try:
                    readings[device.external_id] = mapping.to_states(item, now)
                except MAPPING_ERRORS:  # keeps its last states; the listener logs it
                    unmapped.append(device_id)
        unread_ext = {mapping.external_id(d) for d in unread}
        found = changes.diff(self.snapshot, devices, readings, unread=unread_ext)
        for device_id in force:
            ext = mapping.external_id(device_id)
            if ext in readings and self.snapshot is not None:
                found.results = [r for r in found.results if r.external_id != ext]
                found.results.append(DeviceResult(ext, readings[ext]))
        current = {d.external_id for d in devices} | unread_ext
        write = {ext: found.snapshot[ext] for ext in readings if ext in found.snapshot}
        delete = [ext for ext in (self.snapshot or {}) if ext not in current]
        return Update(found, touched, write, delete, unmapped, unread)

    def _device(self, device_id: str, item: Mapping, fresh: bool) -> Device | None:
        """The discovery view of an item, cached: it only changes when the item is read."""
        cached = self._devices.get(device_id)
        if cached is not None and not fresh:
            return cached
        try:
            device = mapping.to_device(item, self.profile_ids)
        except MAPPING_ERRORS:
            return cached
        self._devices[device_id] = device  # a cache of a pure function: safe to keep early
        return device
