"""Event Stream messages folded into ``device#item``s (event_mapping): pure, no socket."""
from __future__ import annotations

import copy

import pytest

from connector.backends.smarthq import event_mapping as em

from .payloads import FRIDGE, WASHER, load, runstatus, service, subcycle

LATER = "2024-05-01T12:30:00.000Z"  # after every lastStateTime of the washer fixture
EARLIER = "2024-05-01T11:00:00.000Z"  # before the washer's s-state (11:52) and presence (11:58)


def service_event(device: dict, svc: dict, when: str | None = LATER, **state) -> dict:
    """The ``pubsub#service`` SmartHQ sends when ``svc`` of ``device`` changes (§3.3)."""
    event = {"kind": em.SERVICE, "userId": device["userId"], "adapterId": "a-7f3e",
             "deviceId": device["deviceId"], "deviceType": device["deviceType"],
             **{k: copy.deepcopy(svc[k]) for k in em.SERVICE_FIELDS if k in svc},
             "statePrevious": copy.deepcopy(svc["state"]),
             "state": {**svc["state"], **state}}
    event.pop("lastStateTime", None)
    if when is not None:
        event.update(lastSyncTime=when, lastStateTime=when)
    return event


def presence_event(device: dict, presence: str, when: str | None) -> dict:
    event = {"kind": em.PRESENCE, "userId": device["userId"], "deviceId": device["deviceId"],
             "deviceType": device["deviceType"], "presence": presence}
    if when is not None:
        event["lastSyncTime"] = when
    return event


def finished(washer: dict, when: str = LATER) -> dict:
    return service_event(washer, service(washer, "laundry.state.v1"), when,
                         runStatus=runstatus("complete"), subCycle=subcycle("na"))


def by_id(item: dict) -> dict:
    return {s.get("serviceId"): s for s in item["services"]}


# -- decode, subscription, small predicates -----------------------------------------------


def test_decode_reads_a_json_object_from_text_or_bytes():
    assert em.decode('{"kind": "websocket#pong", "id": "keepalive-1"}') == \
        {"kind": "websocket#pong", "id": "keepalive-1"}
    assert em.decode(b'{"kind": "websocket#connect", "success": true}') == \
        {"kind": "websocket#connect", "success": True}


@pytest.mark.parametrize("text", ["not json", "", "{", "[1, 2]", '"pubsub#service"', "42",
                                  "null", "true", b"\xff\xfe"])
def test_decode_turns_anything_but_a_json_object_into_an_empty_dict(text):
    assert em.decode(text) == {}


def test_subscription_asks_for_every_category_account_wide():
    assert em.subscription() == {"kind": "websocket#pubsub", "action": "pubsub", "pubsub": True,
                                 "services": True, "presence": True, "alerts": True,
                                 "commands": True}
    assert "deviceId" not in em.subscription()


@pytest.mark.parametrize("message, refused", [
    ({"kind": "websocket#pubsub", "success": False}, True),
    ({"kind": "websocket#pubsub", "success": True, "deviceId": "x"}, False),
    ({"kind": "websocket#pubsub"}, False),
    ({"kind": "websocket#pubsub", "success": "false"}, False),
    ({"kind": "websocket#connect", "success": False}, False),
    ({}, False),
])
def test_subscription_refused_only_by_a_failed_pubsub_ack(message, refused):
    assert em.subscription_refused(message) is refused


@pytest.mark.parametrize("message, removes", [
    ({"kind": "pubsub#device", "deviceId": "d", "event": "removed"}, True),
    ({"kind": "pubsub#device", "deviceId": "d", "event": "added"}, False),
    ({"kind": "pubsub#device", "deviceId": "d", "event": "updated"}, False),
    ({"kind": "pubsub#device", "deviceId": "d"}, False),
    ({"kind": "pubsub#service", "deviceId": "d", "event": "removed"}, False),
])
def test_removes_device_only_for_a_removed_device_event(message, removes):
    assert em.removes_device(message) is removes


# -- pubsub#service ----------------------------------------------------------------------


def test_a_service_event_replaces_the_service_with_its_service_id():
    washer = load(WASHER)
    event = finished(washer)
    item = em.fold(washer, event)
    held = by_id(item)["s-state"]
    assert held["state"] == event["state"]
    assert held["lastStateTime"] == LATER
    assert len(item["services"]) == len(washer["services"])
    # Only the event's service fields are kept, not its envelope or statePrevious.
    assert not {"kind", "userId", "deviceId", "statePrevious"} & set(held)
    others = {k: v for k, v in by_id(item).items() if k != "s-state"}
    assert others == {k: v for k, v in by_id(washer).items() if k != "s-state"}
    assert {k: v for k, v in item.items() if k != "services"} == \
        {k: v for k, v in washer.items() if k != "services"}


def test_the_event_state_replaces_the_held_state_whole():
    washer = load(WASHER)
    event = finished(washer)
    event["state"] = {"runStatus": runstatus("complete")}  # a state without the other keys
    assert by_id(em.fold(washer, event))["s-state"]["state"] == {"runStatus": runstatus("complete")}


def test_fold_does_not_change_the_item_or_the_event():
    washer = load(WASHER)
    event = finished(washer)
    before_item, before_event = copy.deepcopy(washer), copy.deepcopy(event)
    em.fold(washer, event)
    assert washer == before_item and event == before_event


def test_a_service_event_without_service_id_replaces_the_service_with_the_same_triple():
    fridge = load(FRIDGE)
    door = service(fridge, "door")
    event = service_event(fridge, door, topLeftOpen=True)
    del event["serviceId"]
    item = em.fold(fridge, event)
    assert len(item["services"]) == len(fridge["services"])
    assert by_id(item)["r10"]["state"]["topLeftOpen"] is True
    assert by_id(item)["r10"]["serviceType"] == door["serviceType"]


def test_an_unknown_service_is_added():
    washer = load(WASHER)
    event = service_event(washer, service(washer, "door"))
    event.update(serviceId="s-new", domainType="cloud.smarthq.domain.sabbath",
                 serviceType="cloud.smarthq.service.toggle", state={"on": True})
    item = em.fold(washer, event)
    assert len(item["services"]) == len(washer["services"]) + 1
    assert item["services"][-1]["serviceId"] == "s-new"
    assert item["services"][-1]["state"] == {"on": True}
    assert item["services"][:-1] == washer["services"]


def test_an_event_older_than_the_held_service_is_ignored():
    washer = load(WASHER)
    assert em.fold(washer, finished(washer, EARLIER)) is None


def test_an_event_as_old_as_the_held_service_is_applied():
    washer = load(WASHER)
    held_time = service(washer, "laundry.state.v1")["lastStateTime"]
    item = em.fold(washer, finished(washer, held_time))
    assert by_id(item)["s-state"]["state"]["runStatus"] == runstatus("complete")


def test_an_event_without_a_time_is_applied():
    washer = load(WASHER)
    item = em.fold(washer, finished(washer, when=None))
    assert by_id(item)["s-state"]["state"]["runStatus"] == runstatus("complete")


@pytest.mark.parametrize("device_id", ["another-device", None, ""])
def test_an_event_about_another_device_is_ignored(device_id):
    washer = load(WASHER)
    event = finished(washer)
    event["deviceId"] = device_id
    assert em.fold(washer, event) is None


@pytest.mark.parametrize("state", ["absent", None, "complete", ["runStatus"]])
def test_a_service_event_without_a_state_object_is_ignored(state):
    washer = load(WASHER)
    event = finished(washer)
    if state == "absent":
        del event["state"]
    else:
        event["state"] = state
    assert em.fold(washer, event) is None


@pytest.mark.parametrize("kind", [em.DEVICE, em.COMMAND, em.PONG, "pubsub#unknown", None])
def test_other_kinds_are_not_folded(kind):
    washer = load(WASHER)
    event = finished(washer)
    event["kind"] = kind
    assert em.fold(washer, event) is None


# -- pubsub#presence ---------------------------------------------------------------------


def test_presence_sets_presence_and_its_time():
    washer = load(WASHER)
    item = em.fold(washer, presence_event(washer, "OFFLINE", LATER))
    assert item["presence"] == "OFFLINE"
    assert item["lastPresenceTime"] == LATER
    assert item["services"] == washer["services"]
    assert not em.online(item) and em.online(washer)


def test_presence_older_than_the_held_one_is_ignored():
    washer = load(WASHER)  # lastPresenceTime 11:58
    assert em.fold(washer, presence_event(washer, "OFFLINE", EARLIER)) is None


def test_presence_without_a_time_keeps_the_held_time():
    washer = load(WASHER)
    item = em.fold(washer, presence_event(washer, "OFFLINE", None))
    assert item["presence"] == "OFFLINE"
    assert item["lastPresenceTime"] == washer["lastPresenceTime"]


def test_presence_that_is_not_a_string_is_ignored():
    washer = load(WASHER)
    event = presence_event(washer, "OFFLINE", LATER)
    event["presence"] = None
    assert em.fold(washer, event) is None


# -- pubsub#alert ------------------------------------------------------------------------


def alert(device: dict, *services: dict) -> dict:
    return {"kind": em.ALERT, "userId": device["userId"], "deviceId": device["deviceId"],
            "deviceType": device["deviceType"],
            "alertType": "cloud.smarthq.alert.washer.endofcycle", "lastAlertTime": LATER,
            "services": list(services)}


def test_an_alert_folds_the_services_it_carries():
    washer = load(WASHER)
    timer = service_event(washer, service(washer, "cycletimer"), secondsRemaining=0)
    item = em.fold(washer, alert(washer, finished(washer), timer))
    assert by_id(item)["s-state"]["state"]["runStatus"] == runstatus("complete")
    assert by_id(item)["s-timer"]["state"]["secondsRemaining"] == 0
    assert len(item["services"]) == len(washer["services"])


def test_an_alert_skips_its_stale_services_but_folds_the_fresh_ones():
    washer = load(WASHER)
    timer = service_event(washer, service(washer, "cycletimer"), secondsRemaining=0)
    item = em.fold(washer, alert(washer, finished(washer, EARLIER), timer, "junk"))
    assert by_id(item)["s-state"] == service(washer, "laundry.state.v1")
    assert by_id(item)["s-timer"]["state"]["secondsRemaining"] == 0


@pytest.mark.parametrize("carried", [(), ("stale",), ("junk",)])
def test_an_alert_that_changes_no_service_is_ignored(carried):
    washer = load(WASHER)
    services = [finished(washer, EARLIER) if c == "stale" else c for c in carried]
    assert em.fold(washer, alert(washer, *services)) is None


# -- malformed held items ----------------------------------------------------------------


@pytest.mark.parametrize("junk_first", [True, False])
def test_fold_skips_malformed_held_services_as_the_mapping_does(junk_first):
    fridge = load(FRIDGE)
    event = service_event(fridge, service(fridge, "door"), topLeftOpen=True)
    if junk_first:
        fridge["services"].insert(0, None)
    else:  # reached only when the event's service is not found before it
        fridge["services"].append("junk")
        event["serviceId"] = "r99"
        event["domainType"] = "cloud.smarthq.domain.sabbath"
    item = em.fold(fridge, event)
    held = [s for s in item["services"]
            if isinstance(s, dict) and s.get("serviceId") == event["serviceId"]]
    assert [s["state"]["topLeftOpen"] for s in held] == [True]
