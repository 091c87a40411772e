"""AccountMirror: what one listener knows and what SmartThings was last told. Pure."""
from __future__ import annotations

import copy

import pytest

from connector import changes
from connector.backends.smarthq import mapping
from connector.backends.smarthq.mirror import AccountMirror
from connector.model import DeviceErrorEnum, DeviceResult, State

from .payloads import FRIDGE, OVEN, WASHER, load, service
from .test_event_mapping import EARLIER, finished, presence_event, service_event

NOW = 1714564800.0  # 2024-05-01T12:00:00Z
WASHER_PROFILE = "5d2f0b6c-1a8e-4c3b-9f7d-2e6a4b8c0d11"


def ext(item: dict) -> str:
    return mapping.external_id(item["deviceId"])


def entry(item: dict) -> dict:
    """The snapshot entry of an item as the mapping reads it now."""
    return changes.snapshot_of(mapping.to_states(item, NOW))


def mirrored(*items: dict, profile_ids=None) -> AccountMirror:
    """A mirror holding ``items`` after its (silent) baseline was committed."""
    mirror = AccountMirror(None, profile_ids)
    mirror.commit(mirror.reread(list(items), NOW))
    return mirror


def door_open(fridge: dict) -> dict:
    return service_event(fridge, service(fridge, "door"), topLeftOpen=True)


# -- the baseline ------------------------------------------------------------------------


def test_the_first_reread_is_a_silent_baseline_with_entries_to_write():
    fridge, washer = load(FRIDGE), load(WASHER)
    mirror = AccountMirror(None)
    update = mirror.reread([fridge, washer], NOW)
    assert not update
    assert update.changes.results == [] and update.changes.new_devices == []
    assert update.write == {ext(fridge): entry(fridge), ext(washer): entry(washer)}
    assert update.delete == [] and update.unmapped == []
    assert update.items == {fridge["deviceId"]: fridge, washer["deviceId"]: washer}


def test_nothing_changes_before_commit():
    fridge, washer = load(FRIDGE), load(WASHER)
    mirror = AccountMirror(None)
    mirror.reread([fridge, washer], NOW)
    assert mirror.items == {} and mirror.snapshot is None and not mirror.knows(fridge["deviceId"])

    mirror = mirrored(fridge, washer)
    items, snapshot = copy.deepcopy(mirror.items), copy.deepcopy(mirror.snapshot)
    mirror.event(door_open(fridge), NOW)
    mirror.reread([washer], NOW)
    mirror.device(fridge, NOW, force=True)
    mirror.forget(washer["deviceId"], NOW)
    assert mirror.items == items and mirror.snapshot == snapshot


def test_commit_keeps_the_items_and_the_snapshot():
    fridge, washer = load(FRIDGE), load(WASHER)
    mirror = mirrored(fridge, washer)
    assert mirror.knows(fridge["deviceId"]) and mirror.knows(washer["deviceId"])
    assert mirror.items[washer["deviceId"]] == washer
    assert mirror.snapshot == {ext(fridge): entry(fridge), ext(washer): entry(washer)}


# -- events ------------------------------------------------------------------------------


def test_a_service_event_publishes_only_the_changed_state():
    fridge, washer = load(FRIDGE), load(WASHER)
    mirror = mirrored(fridge, washer)
    update = mirror.event(door_open(fridge), NOW)
    assert update.changes.results == [
        DeviceResult(ext(fridge), [State("st.contactSensor", "contact", "open")])]
    assert update.changes.new_devices == []
    assert list(update.write) == [ext(fridge)]
    assert update.write[ext(fridge)]["main|st.contactSensor|contact"] == ["open", None]
    assert update.delete == []
    mirror.commit(update)
    assert service(mirror.items[fridge["deviceId"]], "door")["state"]["topLeftOpen"] is True
    assert mirror.snapshot[ext(fridge)]["main|st.contactSensor|contact"] == ["open", None]


def test_a_finished_washer_publishes_its_new_machine_and_job_states():
    washer = load(WASHER)
    mirror = mirrored(washer)
    [result] = mirror.event(finished(washer), NOW).changes.results
    assert result.external_id == ext(washer)
    assert {(s.attribute, s.value) for s in result.states} == \
        {("machineState", "stop"), ("washerJobState", "finish")}


def test_presence_offline_publishes_only_health():
    washer = load(WASHER)
    mirror = mirrored(washer)
    update = mirror.event(presence_event(washer, "OFFLINE", "2024-05-01T12:30:00.000Z"), NOW)
    assert update.changes.results == [
        DeviceResult(ext(washer), [State("st.healthCheck", "healthStatus", "offline")])]


def test_a_stale_event_or_one_about_an_unknown_device_gives_none():
    washer = load(WASHER)
    mirror = mirrored(washer)
    assert mirror.event(finished(washer, EARLIER), NOW) is None
    fridge = load(FRIDGE)
    assert mirror.event(door_open(fridge), NOW) is None


def test_an_event_that_changes_no_state_publishes_nothing():
    fridge = load(FRIDGE)
    mirror = mirrored(fridge)
    rssi = service_event(fridge, service(fridge, "integer", "rssi"), value=-70)
    update = mirror.event(rssi, NOW)
    assert not update and update.changes.results == []
    assert service(update.items[fridge["deviceId"]], "integer", "rssi")["state"]["value"] == -70


# -- re-reads ----------------------------------------------------------------------------


def test_an_unchanged_reread_yields_nothing():
    fridge, washer = load(FRIDGE), load(WASHER)
    mirror = mirrored(fridge, washer)
    update = mirror.reread([load(FRIDGE), load(WASHER)], NOW)
    assert not update
    assert update.changes.results == [] and update.changes.new_devices == []
    assert update.delete == []


def test_a_reread_publishes_what_changed_while_away():
    fridge, washer = load(FRIDGE), load(WASHER)
    mirror = mirrored(fridge, washer)
    service(fridge, "door")["state"]["bottomOpen"] = True
    update = mirror.reread([fridge, washer], NOW)
    assert update.changes.results == [
        DeviceResult(ext(fridge), [State("st.contactSensor", "contact", "open")])]


def test_a_device_gone_from_a_reread_is_deleted():
    fridge, washer = load(FRIDGE), load(WASHER)
    mirror = mirrored(fridge, washer)
    update = mirror.reread([washer], NOW)
    [gone] = update.changes.results
    assert gone.external_id == ext(fridge) and gone.states == []
    assert [e.enum for e in gone.errors] == [DeviceErrorEnum.DEVICE_DELETED]
    assert update.delete == [ext(fridge)]
    assert update.items[fridge["deviceId"]] is None
    assert ext(fridge) not in update.write
    mirror.commit(update)
    assert not mirror.knows(fridge["deviceId"]) and ext(fridge) not in mirror.snapshot
    assert not mirror.reread([washer], NOW)  # deleted once, not again


def test_a_listed_device_that_could_not_be_read_is_kept_not_deleted():
    fridge, washer = load(FRIDGE), load(WASHER)
    stored = mirrored(fridge, washer).snapshot
    mirror = AccountMirror(stored)  # a new session: nothing held yet
    update = mirror.reread([fridge], NOW, unread=frozenset({washer["deviceId"]}))
    assert not update and update.delete == []
    mirror.commit(update)
    assert mirror.snapshot[ext(washer)] == stored[ext(washer)]
    assert not mirror.knows(washer["deviceId"])
    # Events about the other appliances do not take it for gone either.
    opened = mirror.event(door_open(fridge), NOW)
    assert [r.external_id for r in opened.changes.results] == [ext(fridge)]
    assert opened.delete == []
    mirror.commit(opened)
    # Read later (an event about it), it is the device SmartThings knows, not a new one.
    service(washer, "door")["state"]["singleOpen"] = True
    later = mirror.device(washer, NOW)
    assert later.changes.new_devices == []
    assert later.changes.results == [
        DeviceResult(ext(washer), [State("st.contactSensor", "contact", "open")])]
    mirror.commit(later)
    assert mirror.unread == set()


def test_an_unread_device_found_gone_later_is_deleted():
    fridge, washer = load(FRIDGE), load(WASHER)
    mirror = AccountMirror(mirrored(fridge, washer).snapshot)
    mirror.commit(mirror.reread([fridge], NOW, unread=frozenset({washer["deviceId"]})))
    update = mirror.forget(washer["deviceId"], NOW)
    assert [(r.external_id, [e.enum for e in r.errors]) for r in update.changes.results] == \
        [(ext(washer), [DeviceErrorEnum.DEVICE_DELETED])]
    assert update.delete == [ext(washer)]


def test_forget_deletes_a_device():
    fridge, washer = load(FRIDGE), load(WASHER)
    mirror = mirrored(fridge, washer)
    update = mirror.forget(fridge["deviceId"], NOW)
    assert [(r.external_id, [e.enum for e in r.errors]) for r in update.changes.results] == \
        [(ext(fridge), [DeviceErrorEnum.DEVICE_DELETED])]
    assert update.delete == [ext(fridge)]


def test_a_new_device_is_announced_with_all_its_states():
    fridge, washer = load(FRIDGE), load(WASHER)
    mirror = mirrored(fridge, profile_ids={"washer": WASHER_PROFILE})
    update = mirror.reread([fridge, washer], NOW)
    assert update.changes.new_devices == [mapping.to_device(washer, {"washer": WASHER_PROFILE})]
    assert update.changes.new_devices[0].handler_type == WASHER_PROFILE
    assert update.changes.results == [DeviceResult(ext(washer), mapping.to_states(washer, NOW))]
    assert update.write[ext(washer)] == entry(washer)


# -- one device read again ---------------------------------------------------------------


def test_force_publishes_every_state_of_an_unchanged_device():
    fridge, washer = load(FRIDGE), load(WASHER)
    mirror = mirrored(fridge, washer)
    assert not mirror.device(load(WASHER), NOW)
    update = mirror.device(load(WASHER), NOW, force=True)
    assert update.changes.results == [DeviceResult(ext(washer), mapping.to_states(washer, NOW))]


def test_force_publishes_each_state_once_when_some_changed():
    washer = load(WASHER)
    mirror = mirrored(washer)
    service(washer, "door")["state"]["singleOpen"] = True
    update = mirror.device(washer, NOW, force=True)
    assert update.changes.results == [DeviceResult(ext(washer), mapping.to_states(washer, NOW))]


def test_a_device_read_after_a_command_publishes_only_its_changes_without_force():
    oven, washer = load(OVEN), load(WASHER)
    mirror = mirrored(oven, washer)
    service(washer, "door")["state"]["singleOpen"] = True
    update = mirror.device(washer, NOW)
    assert update.changes.results == [
        DeviceResult(ext(washer), [State("st.contactSensor", "contact", "open")])]
    assert list(update.write) == [ext(washer)]


# -- items the mapping cannot read -------------------------------------------------------


def unreadable(item: dict) -> dict:
    return {**item, "services": 5}  # not a list: the mapping raises TypeError


def test_an_unreadable_item_in_the_baseline_is_reported_and_the_others_written():
    fridge, washer = load(FRIDGE), load(WASHER)
    update = AccountMirror(None).reread([unreadable(fridge), washer], NOW)
    assert update.unmapped == [fridge["deviceId"]]
    assert update.write == {ext(washer): entry(washer)}


def test_an_unreadable_item_keeps_its_last_states_and_does_not_break_the_others():
    fridge, washer = load(FRIDGE), load(WASHER)
    mirror = mirrored(fridge, washer)
    service(washer, "door")["state"]["singleOpen"] = True
    update = mirror.reread([unreadable(fridge), washer], NOW)
    assert update.unmapped == [fridge["deviceId"]]
    assert update.changes.results == [
        DeviceResult(ext(washer), [State("st.contactSensor", "contact", "open")])]
    assert update.delete == [] and ext(fridge) not in update.write
    mirror.commit(update)
    assert mirror.snapshot[ext(fridge)] == entry(fridge)


def test_an_absurd_cycle_timer_drops_the_completion_time_and_breaks_nothing():
    fridge, washer = load(FRIDGE), load(WASHER)
    mirror = mirrored(fridge, washer)
    service(washer, "cycletimer")["state"]["secondsRemaining"] = 1e20  # no calendar holds it
    service(fridge, "door")["state"]["bottomOpen"] = True
    update = mirror.reread([fridge, washer], NOW)
    assert update.unmapped == []
    assert update.changes.results == [
        DeviceResult(ext(fridge), [State("st.contactSensor", "contact", "open")])]
