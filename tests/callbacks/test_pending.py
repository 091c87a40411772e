"""The pending store's scripts on a real Redis: coalescing, ownership, acknowledgement."""
from __future__ import annotations

import pytest

from connector.callbacks import batch
from connector.callbacks.batch import Encoded
from connector.callbacks.pending import PARKED, Pending
from connector.model import Device, DeviceError, ManufacturerInfo, State

INST = "inst-1"


@pytest.fixture
def store(redis_client):
    return Pending(redis_client)


def entry(key: str, ts: int, value: str) -> Encoded:
    return Encoded(key, ts, f"{ts}|{value}")


PLUG = Device("kasa:PLUG1", "Plug", ManufacturerInfo("TP-Link", "KP115"), "c2c-switch")
GONE = DeviceError("DEVICE-DELETED", "removed in the Kasa app")


def on(ts: int, device: str = "kasa:PLUG1") -> Encoded:
    return batch.encode_state(device, State("st.switch", "switch", "on", timestamp=ts))


def kinds(store) -> list[tuple[str, str]]:
    items = [batch.decode(f, raw) for f, raw in store.snapshot(INST).items()]
    return sorted((item.kind, item.external_id) for item in items)


def test_first_add_makes_the_caller_the_owner_later_adds_only_coalesce(store):
    assert store.add(INST, [entry("a", 1, "x")], "job-1", lease=5) is True
    assert store.add(INST, [entry("a", 2, "y")], "job-2", lease=5) is False
    assert store.owner(INST) == "job-1"
    assert store.snapshot(INST) == {"a": "2|y"}
    assert store.installations() == [INST]


def test_latest_timestamp_wins_and_a_tie_goes_to_the_newcomer(store):
    store.add(INST, [entry("a", 10, "new")], "j", lease=5)
    store.add(INST, [entry("a", 9, "late")], "j", lease=5)
    assert store.snapshot(INST) == {"a": "10|new"}
    store.add(INST, [entry("a", 10, "same-ms")], "j", lease=5)
    assert store.snapshot(INST) == {"a": "10|same-ms"}


def test_a_device_back_after_its_deletion_replaces_the_deletion(store):
    store.add(INST, [batch.encode_error("kasa:PLUG1", GONE, 1), on(1, "kasa:OTHER")], "j",
              lease=5)
    store.add(INST, [batch.encode_device(PLUG, 2), on(2)], "j", lease=5)
    assert kinds(store) == [("d", "kasa:PLUG1"), ("s", "kasa:OTHER"), ("s", "kasa:PLUG1")]


def test_a_deletion_replaces_the_devices_announcement_and_states_only(store):
    store.add(INST, [batch.encode_device(PLUG, 1), on(1), on(1, "kasa:PLUG10")], "j", lease=5)
    store.add(INST, [batch.encode_error("kasa:PLUG1", GONE, 2)], "j", lease=5)
    assert kinds(store) == [("e", "kasa:PLUG1"), ("s", "kasa:PLUG10")]


def test_between_a_deletion_and_the_device_the_older_side_is_dropped(store):
    store.add(INST, [batch.encode_error("kasa:PLUG1", GONE, 5)], "j", lease=5)
    store.add(INST, [on(4)], "j", lease=5)  # a late state of the device, before it went
    assert kinds(store) == [("e", "kasa:PLUG1")]
    store.add(INST, [batch.encode_device(PLUG, 9)], "j", lease=5)
    store.add(INST, [batch.encode_error("kasa:PLUG1", GONE, 8)], "j", lease=5)  # late too
    assert kinds(store) == [("d", "kasa:PLUG1")]


def test_ack_removes_only_what_was_sent_and_not_superseded(store):
    store.add(INST, [entry("a", 1, "x"), entry("b", 1, "y")], "j", lease=5)
    sent = store.snapshot(INST)
    store.add(INST, [entry("b", 2, "newer")], "j", lease=5)  # changed while in flight
    assert store.ack(INST, sent) == 1
    assert store.snapshot(INST) == {"b": "2|newer"}


def test_claim_renews_our_lease_adopts_a_lapsed_one_and_respects_another_owner(store, redis_client):
    store.add(INST, [entry("a", 1, "x")], "job-1", lease=5)
    assert store.claim(INST, "job-1", lease=60) and redis_client.pttl(f"stc:cb:flush:{INST}") > 5000
    assert not store.claim(INST, "job-2", lease=5)
    redis_client.delete(f"stc:cb:flush:{INST}")
    assert store.claim(INST, "job-2", lease=5) and store.owner(INST) == "job-2"


def test_release_only_when_nothing_is_pending_and_only_by_the_owner(store):
    store.add(INST, [entry("a", 1, "x")], "job-1", lease=5)
    assert store.release(INST, "job-2") == -1
    assert store.release(INST, "job-1") == 0
    store.ack(INST, store.snapshot(INST))
    assert store.release(INST, "job-1") == 1
    assert store.owner(INST) is None and store.installations() == []


def test_transfer_hands_over_only_from_the_owner(store, redis_client):
    store.add(INST, [entry("a", 1, "x")], "job-1", lease=5)
    assert not store.transfer(INST, "job-9", "job-2", lease=5)
    assert store.transfer(INST, "job-1", "job-2", lease=30)
    assert store.owner(INST) == "job-2" and redis_client.pttl(f"stc:cb:flush:{INST}") > 5000


def test_parked_marker_never_expires_and_blocks_new_jobs(store, redis_client):
    store.add(INST, [entry("a", 1, "x")], "job-1", lease=5)
    store.park(INST, "job-1", "HTTP 503")
    assert store.owner(INST) == PARKED + "job-1"
    assert redis_client.pttl(f"stc:cb:flush:{INST}") == -1
    assert store.add(INST, [entry("a", 2, "y")], "job-2", lease=5) is False
    assert store.parked() == {INST: "job-1"}
    assert store.status(INST)["parked_reason"] == "HTTP 503"


def test_kick_resumes_parked_or_orphaned_installations_but_not_live_ones(store, redis_client):
    store.add(INST, [entry("a", 1, "x")], "job-1", lease=5)
    assert store.kick(INST, "job-2", lease=5) is None  # job-1 is alive
    store.park(INST, "job-1", "down")
    assert store.kick(INST, "job-2", lease=5) == PARKED + "job-1"
    redis_client.delete(f"stc:cb:flush:{INST}")
    assert store.orphans() == [INST]
    assert store.kick(INST, "job-3", lease=5) == ""
    assert store.orphans() == []


def test_kick_with_nothing_pending_starts_nothing(store):
    assert store.kick(INST, "job-1", lease=5) is None and store.owner(INST) is None


def test_orphans_tidies_delivered_installations(store):
    store.add(INST, [entry("a", 1, "x")], "job-1", lease=5)
    store.ack(INST, store.snapshot(INST))
    store.r.delete(f"stc:cb:flush:{INST}")
    assert store.orphans() == [] and store.installations() == []
