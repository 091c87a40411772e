"""publish / publish_devices: coalesced in Redis, one flush per installation, every
installation of the account but the excluded one, delivered as valid callbacks."""
from __future__ import annotations

import json

import pytest

from connector import stclient
from connector.callbacks import publish as publishing
from connector.callbacks.pending import owner_key
from connector.model import Device, DeviceResult, ManufacturerInfo, State
from tests.callbacks.conftest import FAST, drain, grant, level, queued, switch
from tests.test_interactions import ScriptedBackend

PLUG = Device("kasa:PLUG1", "Kitchen Plug", ManufacturerInfo("TP-Link", "KP115"),
              "c2c-switch-power-energy")


def publish(services, account_id, results, **kw):
    return publishing.publish(services, account_id, results, policy=FAST, **kw)


@pytest.fixture
def two_installations(client, granted, services, sim):
    """The same account linked from a second SmartThings location."""
    account_id, first, _ = granted
    second = services.accounts.issue_tokens(account_id)
    grant(client, sim, second.access_token)
    drain(services)
    return account_id, first, second.installation_id, second.access_token


def test_published_state_arrives_as_a_valid_state_callback(granted, services, sim):
    account_id, inst, _ = granted
    publish(services, account_id, [switch("kasa:PLUG1", "on")])
    drain(services)
    [delivery] = sim.cloud.deliveries("stateCallback")
    assert delivery.installation_id == sim.cloud.token_grants()[0].installation_id
    assert [(s["externalDeviceId"], s["value"]) for s in delivery.states] == [("kasa:PLUG1", "on")]
    assert isinstance(delivery.states[0]["timestamp"], int)  # stamped (epoch ms)
    assert sim.cloud.rejections() == []  # the receiver validated it against the protocol
    assert sim.cloud.latest_state("kasa:PLUG1", "st.switch", "switch").value == "on"


def test_many_updates_coalesce_into_one_callback_with_the_latest_values(granted, services, sim):
    account_id, _, _ = granted
    for value in range(1, 51):
        publish(services, account_id, [level("kasa:BULB", value), switch("kasa:PLUG1", "on")])
    publish(services, account_id, [switch("kasa:PLUG1", "off")])
    drain(services)
    [delivery] = sim.cloud.deliveries("stateCallback")
    values = {s["attribute"]: s["value"] for s in delivery.states}
    assert values == {"level": 50, "switch": "off"}


def test_latest_timestamp_wins_not_the_latest_call(granted, services, sim):
    account_id, _, _ = granted
    publish(services, account_id, [switch("kasa:PLUG1", "off", timestamp=2_000)])
    publish(services, account_id, [switch("kasa:PLUG1", "on", timestamp=1_000)])  # late arrival
    drain(services)
    [state] = sim.cloud.deliveries("stateCallback")[0].states
    assert (state["value"], state["timestamp"]) == ("off", 2_000)


def test_exactly_one_flush_job_is_queued_per_installation(two_installations, services, store):
    account_id, first, second, _ = two_installations
    for value in ("on", "off", "on"):
        publish(services, account_id, [switch("kasa:PLUG1", value)])
    jobs = queued(services)
    assert len(jobs) == 2
    assert set(jobs) == {store.owner(first), store.owner(second)}


def test_every_installation_of_the_account_receives_the_change(two_installations, services, sim):
    account_id, _, _, _ = two_installations
    assert len(publish(services, account_id, [switch("kasa:PLUG1", "on")])) == 2
    drain(services)
    receivers = {d.installation_id for d in sim.cloud.deliveries("stateCallback")}
    assert len(receivers) == 2


def test_exclude_installation_is_not_sent_the_change(two_installations, services, sim, store):
    account_id, first, second, _ = two_installations
    assert publish(services, account_id, [switch("kasa:PLUG1", "on")],
                   exclude_installation=first) == [second]
    drain(services)
    [delivery] = sim.cloud.deliveries("stateCallback")
    second_in_st = [g.installation_id for g in sim.cloud.token_grants()][1]
    assert delivery.installation_id == second_in_st
    assert store.snapshot(first) == {}


def test_a_command_is_echoed_to_the_other_installations_only(
        client, two_installations, services, sim):
    _, _, _, second_token = two_installations
    services.backends["test"] = ScriptedBackend()
    body = stclient.command(second_token, "test:1", [stclient.parse_command("switch.on")])
    answer = client.post("/st-schema", json=body).get_json()
    assert answer["deviceState"][0]["states"][0]["value"] == "on"
    drain(services)
    [delivery] = sim.cloud.deliveries("stateCallback")
    first_in_st = sim.cloud.token_grants()[0].installation_id
    assert delivery.installation_id == first_in_st  # not the commanding installation
    assert delivery.states[0]["externalDeviceId"] == "test:1"


def test_device_deleted_travels_as_a_device_error(granted, services, sim):
    account_id, _, _ = granted
    publish(services, account_id, [DeviceResult.failed("kasa:GONE", "DEVICE-DELETED",
                                                       "removed in the Kasa app")])
    drain(services)
    [delivery] = sim.cloud.deliveries("stateCallback")
    assert delivery.device_state == [{"externalDeviceId": "kasa:GONE", "deviceError": [
        {"errorEnum": "DEVICE-DELETED", "detail": "removed in the Kasa app"}]}]
    assert "kasa:GONE" in sim.cloud.deleted_devices()


def test_a_device_deleted_then_back_is_not_deleted_in_smartthings(granted, services, sim):
    account_id, _, _ = granted
    publish(services, account_id, [DeviceResult.failed("kasa:PLUG1", "DEVICE-DELETED", "gone")])
    publishing.publish_devices(services, account_id, [PLUG], policy=FAST)  # it came back
    publish(services, account_id, [switch("kasa:PLUG1", "on")])
    drain(services)
    assert "kasa:PLUG1" in sim.cloud.discovered_devices()
    assert "kasa:PLUG1" not in sim.cloud.deleted_devices()
    assert sim.cloud.latest_state("kasa:PLUG1", "st.switch", "switch").value == "on"


def test_a_device_announced_then_deleted_is_only_deleted(granted, services, sim):
    account_id, _, _ = granted
    publishing.publish_devices(services, account_id, [PLUG], policy=FAST)
    publish(services, account_id, [switch("kasa:PLUG1", "on")])
    publish(services, account_id, [DeviceResult.failed("kasa:PLUG1", "DEVICE-DELETED", "gone")])
    drain(services)
    [delivery] = sim.cloud.deliveries()
    assert delivery.device_state == [{"externalDeviceId": "kasa:PLUG1", "deviceError": [
        {"errorEnum": "DEVICE-DELETED", "detail": "gone"}]}]


def test_new_devices_are_announced_before_their_states(granted, services, sim):
    account_id, _, _ = granted
    publishing.publish_devices(services, account_id, [PLUG], policy=FAST)
    publish(services, account_id, [switch("kasa:PLUG1", "on")])
    drain(services)
    kinds = [d.interaction_type for d in sim.cloud.deliveries()]
    assert kinds == ["discoveryCallback", "stateCallback"]
    assert sim.cloud.discovered_devices()["kasa:PLUG1"]["manufacturerInfo"]["modelName"] == "KP115"


def test_published_states_are_stamped_and_coalesced_in_redis(granted, services, redis_client):
    account_id, inst, _ = granted
    publish(services, account_id, [switch("kasa:PLUG1", "on"), switch("kasa:PLUG1", "off")])
    pending = redis_client.hgetall(f"stc:cb:pending:{inst}")
    assert list(pending) == [json.dumps(["s", "kasa:PLUG1", "main", "st.switch", "switch"],
                                        separators=(",", ":"))]
    stamp, _, body = next(iter(pending.values())).partition("|")
    assert json.loads(body)["value"] == "off" and int(stamp) > 1_600_000_000_000
    assert redis_client.pttl(owner_key(inst)) > 0  # the flush's lease


@pytest.mark.allow_invalid_states
def test_states_smartthings_would_refuse_are_dropped_at_the_door(granted, services, sim):
    account_id, _, _ = granted
    publish(services, account_id, [DeviceResult("kasa:BULB", [
        State("st.switchLevel", "level", 250, unit="%"), State("st.switch", "switch", "on")])])
    drain(services)
    [delivery] = sim.cloud.deliveries("stateCallback")
    assert [s["attribute"] for s in delivery.states] == ["switch"]


def test_nothing_to_publish_queues_nothing(granted, services):
    account_id, _, _ = granted
    assert publish(services, account_id, [DeviceResult("kasa:PLUG1")]) == []
    assert queued(services) == []


def test_installation_removed_before_its_flush_discards_its_entries(granted, services, sim, store):
    account_id, inst, _ = granted
    publish(services, account_id, [switch("kasa:PLUG1", "on")])
    services.accounts.remove_installation(inst)
    drain(services)
    assert sim.cloud.deliveries() == []
    assert store.snapshot(inst) == {} and store.installations() == []
