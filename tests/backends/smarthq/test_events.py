"""The Event Stream end to end: the simulated SmartHQ cloud's WebSocket → the listener →
callbacks.publish → real RQ worker → the simulated SmartThings receiver, over real HTTP
and WebSocket on 127.0.0.1 with a real Redis."""
from __future__ import annotations

import time

import pytest

from connector.backends.smarthq import snapshots
from connector.backends.smarthq.events_config import ListenerConfig
from connector.backends.smarthq.listener import AccountListener
from tests.waiting import wait_for
from tests.callbacks.conftest import drain, fast, grant, sim, st_server  # noqa: F401  (fixtures)

# Short enough that a test sees reconnects and pings within a second or two.
QUICK = ListenerConfig(lease_seconds=2.0, tick_seconds=0.2, scan_seconds=0.2, ping_seconds=0.5,
                       pong_seconds=2.0, backoff_base=0.05, backoff_cap=0.2, stable_seconds=5.0,
                       connect_seconds=5.0, request_seconds=5.0)


@pytest.fixture
def installed(client, sim, services, linked, fast):  # noqa: F811
    """The linked SmartHQ account with a SmartThings installation holding callback tokens."""
    grant(client, sim, linked.token)
    drain(services)
    return linked


@pytest.fixture
def listen(services):
    """Start an AccountListener; every one started is stopped after the test."""
    started = []

    def start(account_id, config=QUICK):
        listener = AccountListener(services, account_id, config).start()
        started.append(listener)
        assert listener.ready.wait(10), "the listener never subscribed"
        return listener

    yield start
    for listener in started:
        listener.stop()


def delivered(services, sim, external_id, capability, attribute, component="main"):  # noqa: F811
    """Run the worker, then the latest value SmartThings holds for the attribute."""
    drain(services)
    state = sim.cloud.latest_state(external_id, capability, attribute, component)
    return None if state is None else state.value


def arrives(services, sim, external_id, capability, attribute, expected,  # noqa: F811
            component="main", timeout=10.0):
    return wait_for(lambda: delivered(services, sim, external_id, capability, attribute,
                                      component) == expected, timeout, 0.05)


def test_a_washer_cycle_reaches_smartthings_as_it_runs(services, installed, sim, smarthq, listen):  # noqa: F811
    washer = installed.ext("washer")
    listen(installed.account_id)
    smarthq.cloud.start_cycle(installed.id("washer"))
    assert arrives(services, sim, washer, "st.washerOperatingState", "machineState", "run")
    completion = delivered(services, sim, washer, "st.washerOperatingState", "completionTime")
    assert completion is not None
    for _ in range(4 * 12):  # up to four simulated hours, five minutes at a time
        smarthq.cloud.advance(300)
        time.sleep(0.1)  # the events cross the socket
        if delivered(services, sim, washer, "st.washerOperatingState", "machineState") == "stop":
            break
    assert delivered(services, sim, washer, "st.washerOperatingState", "machineState") == "stop"
    jobs = sent_values(sim, washer, "st.washerOperatingState", "washerJobState")
    assert {"wash", "rinse", "spin"} <= set(jobs), jobs  # every sub-cycle was reported


def sent_values(sim, external_id, capability, attribute, component="main"):  # noqa: F811
    """Every value of one attribute that SmartThings received by stateCallback, in order."""
    return [s["value"] for d in sim.cloud.deliveries("stateCallback") for s in d.states
            if s["externalDeviceId"] == external_id and s["capability"] == capability
            and s["attribute"] == attribute and s.get("component", "main") == component]


def door(smarthq, linked, is_open: bool) -> None:
    """The fridge's door opened or closed at the appliance."""
    smarthq.cloud.change_state(linked.id("refrigerator"), "refrigerator/door/door",
                               {"topLeftOpen": is_open})


def test_the_first_connection_is_a_silent_baseline(services, installed, sim, listen):  # noqa: F811
    listener = listen(installed.account_id)
    drain(services)
    assert sim.cloud.deliveries("stateCallback") == []
    assert snapshots.load(services.redis, installed.account_id) is not None
    assert listener.sessions == 1


def test_a_door_opened_at_the_fridge_becomes_a_contact_state(services, installed, sim, smarthq, listen):  # noqa: F811
    fridge = installed.ext("refrigerator")
    listen(installed.account_id)
    door(smarthq, installed, True)
    assert arrives(services, sim, fridge, "st.contactSensor", "contact", "open")
    door(smarthq, installed, False)
    assert arrives(services, sim, fridge, "st.contactSensor", "contact", "closed")
    # Only what changed is sent: the door's contact, not every state of the fridge.
    sent = {s["attribute"] for d in sim.cloud.deliveries("stateCallback") for s in d.states}
    assert sent == {"contact"}


def test_presence_becomes_health_status(services, installed, sim, smarthq, listen):  # noqa: F811
    washer = installed.ext("washer")
    listen(installed.account_id)
    smarthq.cloud.set_presence(installed.id("washer"), "OFFLINE")
    assert arrives(services, sim, washer, "st.healthCheck", "healthStatus", "offline")
    smarthq.cloud.set_presence(installed.id("washer"), "ONLINE")
    assert arrives(services, sim, washer, "st.healthCheck", "healthStatus", "online")


def test_added_and_removed_appliances(services, installed, sim, smarthq, listen):  # noqa: F811
    listen(installed.account_id)
    added = smarthq.cloud.add_appliance(installed.user, "dishwasher", nickname="New Dishwasher")
    new_id = f"smarthq:{added.device_id}"
    assert wait_for(lambda: drain(services) or new_id in sim.cloud.discovered_devices())
    assert sim.cloud.discovered_devices()[new_id]["friendlyName"] == "New Dishwasher"
    gone = installed.ext("washer")
    smarthq.cloud.remove_appliance(installed.id("washer"))
    assert wait_for(lambda: drain(services) or gone in sim.cloud.deleted_devices())


def test_a_dropped_socket_recovers_the_state_it_missed(services, installed, sim, smarthq, listen):  # noqa: F811
    fridge = installed.ext("refrigerator")
    listener = listen(installed.account_id)
    # Reconnecting fails for a while (SmartHQ answers 503), so the change below happens
    # while no socket is open: its event is lost, as the Event Stream does not replay.
    smarthq.cloud.fail_next(6, 503, path=r"/v2/websocket$", retry_after=0.1)
    assert smarthq.cloud.drop_sockets(installed.user, abrupt=True) == 1
    assert wait_for(lambda: not smarthq.cloud.sockets(installed.user) and not listener.ready.is_set())
    door(smarthq, installed, True)
    assert not smarthq.cloud.sockets(installed.user)
    assert wait_for(lambda: listener.sessions >= 2 and listener.ready.is_set())
    assert arrives(services, sim, fridge, "st.contactSensor", "contact", "open")
    assert smarthq.cloud.count(path=r"/v2/websocket$") >= 7  # the failures, then a fresh URL


def test_an_appliance_that_cannot_be_read_does_not_blind_the_account(
        services, installed, sim, smarthq, listen):  # noqa: F811
    fridge, washer = installed.ext("refrigerator"), installed.ext("washer")
    listen(installed.account_id).stop()  # the baseline holds every appliance
    # SmartHQ refuses to read the washer (403) when the next listener connects.
    smarthq.cloud.fail_next(1000, 403, path=rf"/v2/device/{installed.id('washer')}$", method="GET")
    listener = listen(installed.account_id)
    assert listener.sessions == 1
    door(smarthq, installed, True)
    assert arrives(services, sim, fridge, "st.contactSensor", "contact", "open")
    assert washer not in sim.cloud.deleted_devices()  # unread is not gone
    smarthq.cloud.clear_faults()
    smarthq.cloud.start_cycle(installed.id("washer"))  # its next event reads it whole
    assert arrives(services, sim, washer, "st.washerOperatingState", "machineState", "run")
    assert washer not in sim.cloud.discovered_devices()  # SmartThings knew it already


def test_an_appliance_added_while_nobody_listened_to_an_empty_account_is_announced(
        services, installed, sim, smarthq, listen):  # noqa: F811
    for device_id in list(installed.user.devices):
        smarthq.cloud.remove_appliance(device_id)
    listen(installed.account_id).stop()  # the baseline: no appliance at all
    added = smarthq.cloud.add_appliance(installed.user, "dishwasher", nickname="Added Meanwhile")
    listen(installed.account_id)
    new_id = f"smarthq:{added.device_id}"
    assert wait_for(lambda: drain(services) or new_id in sim.cloud.discovered_devices())


def test_socket_closed_by_token_expiry_reconnects_with_a_refreshed_token(
        services, installed, sim, smarthq, listen):  # noqa: F811
    fridge = installed.ext("refrigerator")
    listener = listen(installed.account_id)
    before = services.accounts.link(installed.account_id, "smarthq").access_token
    smarthq.cloud.expire_tokens(installed.user)  # SmartHQ closes the socket (1008)
    assert wait_for(lambda: listener.sessions >= 2 and listener.ready.is_set())
    after = services.accounts.link(installed.account_id, "smarthq").access_token
    assert after != before  # refreshed once, stored for every process
    door(smarthq, installed, True)
    assert arrives(services, sim, fridge, "st.contactSensor", "contact", "open")


def test_a_dead_refresh_token_ends_the_stream_until_the_user_links_again(
        services, installed, smarthq, listen):
    listener = listen(installed.account_id)
    smarthq.cloud.revoke_refresh_tokens(installed.user)
    smarthq.cloud.expire_tokens(installed.user)
    assert wait_for(lambda: not listener.alive)
    assert listener.link_expired
    assert services.accounts.link(installed.account_id, "smarthq").needs_relink


def test_pings_keep_an_idle_socket_open(services, installed, smarthq, listen):
    smarthq.cloud.set_ws_idle_timeout(1.0)  # SmartHQ closes a socket silent for 1 s
    try:
        listener = listen(installed.account_id, QUICK.replace(ping_seconds=0.3))
        time.sleep(2.5)
        assert listener.sessions == 1
        assert len(smarthq.cloud.socket_messages("websocket#ping")) >= 5
    finally:
        smarthq.cloud.set_ws_idle_timeout(None)


def test_a_slow_reread_is_followed_by_a_ping_at_once(services, installed, smarthq, listen):
    # Reading the eight appliances again takes about 3 s; SmartHQ closes a socket silent
    # for 4 s. The ping clock runs from the subscription, not from the end of the
    # re-read, so the first ping goes out as soon as the re-read ends, in time.
    smarthq.cloud.set_ws_idle_timeout(4.0)
    smarthq.cloud.set_latency(0.33)
    try:
        listener = listen(installed.account_id, QUICK.replace(ping_seconds=1.5))
        time.sleep(2.5)
        assert listener.sessions == 1
    finally:
        smarthq.cloud.set_latency(0)
        smarthq.cloud.set_ws_idle_timeout(None)


def test_a_silent_socket_without_pings_is_closed_and_reopened(services, installed, smarthq, listen):
    # The control for the test above: with pings rarer than SmartHQ's idle timeout,
    # the socket is closed, and the listener opens a new one.
    smarthq.cloud.set_ws_idle_timeout(0.5)
    try:
        listener = listen(installed.account_id, QUICK.replace(ping_seconds=30.0))
        assert wait_for(lambda: listener.sessions >= 2, timeout=5)
    finally:
        smarthq.cloud.set_ws_idle_timeout(None)


def test_a_command_outcome_sends_the_appliance_state_again(
        services, installed, sim, smarthq, listen, client):  # noqa: F811
    from connector import stclient

    fridge = installed.ext("refrigerator")
    listen(installed.account_id)
    payload = stclient.command(installed.token, fridge, [
        {"component": "main", "capability": "st.thermostatCoolingSetpoint",
         "command": "setCoolingSetpoint", "arguments": [40]}])
    body = client.post("/st-schema", json=payload).get_json()
    assert "deviceError" not in body["deviceState"][0]
    # The outcome (pubsub#command) re-reads the fridge and sends all its states, so
    # SmartThings holds the confirmed values, unchanged ones included (the door).
    assert arrives(services, sim, fridge, "st.thermostatCoolingSetpoint", "coolingSetpoint", 40)
    assert wait_for(lambda: drain(services) or "closed" in sent_values(
        sim, fridge, "st.contactSensor", "contact"))


def test_the_subscription_covers_services_presence_alerts_and_commands(installed, smarthq, listen):
    listen(installed.account_id)
    sent = [x["message"] for x in smarthq.cloud.socket_messages("websocket#pubsub")
            if x["userId"] == installed.user.user_id]
    assert sent and all(m["services"] and m["presence"] and m["alerts"] and m["commands"]
                        and m["pubsub"] for m in sent)
