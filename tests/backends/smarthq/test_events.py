"""The Event Stream end to end: the simulated SmartHQ cloud's WebSocket → the listener →
callbacks.publish → real RQ worker → the simulated SmartThings receiver, over real HTTP
and WebSocket on 127.0.0.1 with a real Redis."""
from __future__ import annotations

import time

import pytest

from connector.backends.smarthq import snapshots
from connector.backends.smarthq.events_config import ListenerConfig
from connector.backends.smarthq.listener import AccountListener
from tests.callbacks.conftest import drain, fast, grant, sim, st_server  # noqa: F401  (fixtures)

# Short enough that a test sees reconnects and pings within a second or two.
QUICK = ListenerConfig(lease_seconds=2.0, tick_seconds=0.2, scan_seconds=0.2, ping_seconds=0.5,
                       pong_seconds=2.0, backoff_base=0.05, backoff_cap=0.2, stable_seconds=5.0,
                       connect_seconds=5.0, request_seconds=5.0)


def wait_for(condition, timeout: float = 10.0, interval: float = 0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    return condition()


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
