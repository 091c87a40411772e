"""Kasa change detection end to end: a change in the simulated Kasa cloud reaches the
simulated SmartThings receiver as a stateCallback (poll → publish → RQ worker → HTTP)."""
from __future__ import annotations

import pytest

from connector import clock
from connector.backends.kasa.poller import PollBudgetExhausted, poll_account
from connector.ratelimit import TokenBucket
from tests.callbacks.conftest import drain, fast, grant, sim, st_server  # noqa: F401  (fixtures)


@pytest.fixture
def installed(client, sim, services, linked, fast):  # noqa: F811
    """The linked Kasa account with a SmartThings installation holding callback tokens."""
    grant(client, sim, linked.token)
    drain(services)
    return linked


def kasa_id(external_id):
    return external_id.split(":", 1)[1]


def latest(sim, external_id, capability, attribute):  # noqa: F811
    state = sim.cloud.latest_state(external_id, capability, attribute)
    return None if state is None else state.value


def test_first_poll_is_a_silent_baseline(services, installed, sim):  # noqa: F811
    found = poll_account(services, installed.account_id)
    assert not found
    drain(services)
    assert sim.cloud.deliveries("stateCallback") == []


def test_a_change_in_the_kasa_app_reaches_smartthings(services, installed, sim, kasa):  # noqa: F811
    plug = installed.ext("HS100")
    poll_account(services, installed.account_id)
    kasa.cloud.change_state(kasa_id(plug), {"powered": True})
    found = poll_account(services, installed.account_id)
    # The plug, plus metering plugs whose live power/energy moved meanwhile.
    by_device = {r.external_id: [s.attribute for s in r.states] for r in found.results}
    assert by_device[plug] == ["switch"]  # only what changed
    assert set(by_device) - {plug} <= {installed.ext("HS110"), installed.ext("KP115")}
    drain(services)
    assert latest(sim, plug, "st.switch", "switch") == "on"


def test_an_unchanged_device_sends_nothing(services, installed, sim):  # noqa: F811
    poll_account(services, installed.account_id)
    found = poll_account(services, installed.account_id)
    meters = {installed.ext("HS110"), installed.ext("KP115")}
    assert {r.external_id for r in found.results} <= meters  # live readings may move
    assert all(s.capability in ("st.powerMeter", "st.energyMeter") for r in found.results for s in r.states)


def test_reachability_changes_become_health_status(services, installed, sim, kasa):  # noqa: F811
    lamp = installed.ext("HS220")
    poll_account(services, installed.account_id)
    kasa.cloud.set_online(kasa_id(lamp), False)
    poll_account(services, installed.account_id)
    drain(services)
    assert latest(sim, lamp, "st.healthCheck", "healthStatus") == "offline"
    kasa.cloud.set_online(kasa_id(lamp), True)
    poll_account(services, installed.account_id)
    drain(services)
    assert latest(sim, lamp, "st.healthCheck", "healthStatus") == "online"


def test_new_device_is_announced_and_vanished_one_deleted(services, installed, sim, kasa):  # noqa: F811
    poll_account(services, installed.account_id)
    added = kasa.cloud.add_device(installed.user, "KL125", name="New Bulb", state={"powered": True})
    gone = installed.ext("HS100")
    kasa.cloud.remove_device(kasa_id(gone))
    found = poll_account(services, installed.account_id)
    assert [d.external_id for d in found.new_devices] == [f"kasa:{added.id}"]
    drain(services)
    assert f"kasa:{added.id}" in sim.cloud.discovered_devices()
    assert latest(sim, f"kasa:{added.id}", "st.switch", "switch") == "on"
    assert gone in sim.cloud.deleted_devices()


def test_polls_share_one_request_budget(services, installed, redis_client):
    # A budget of three requests for the whole app: the poll cannot read 7 devices.
    budget = TokenBucket(redis_client, "kasa-test", rate=0.001, burst=3)
    with pytest.raises(PollBudgetExhausted):
        poll_account(services, installed.account_id, budget=budget)


def test_clock_queues_each_linked_account_once_and_the_worker_polls_it(services, installed, sim, kasa):  # noqa: F811
    clock.sync(services, now=0)
    assert clock.claim_due(services, now=0) == []  # due somewhere in the first interval
    interval = services.settings.kasa_poll_seconds
    assert clock.tick(services, now=interval * 2) == [installed.account_id]
    assert clock.tick(services, now=interval * 2) == []  # rescheduled, not due again
    due = services.redis.zscore(clock.DUE_KEY, installed.account_id)
    assert interval * 2 + interval * 0.9 <= due <= interval * 2 + interval * 1.1
    drain(services)  # the worker runs the poll job: the first reading, a baseline
    assert services.redis.exists(f"stc:kasa:snapshot:{installed.account_id}")

    plug = installed.ext("HS100")
    kasa.cloud.change_state(kasa_id(plug), {"powered": True})
    assert clock.tick(services, now=due) == [installed.account_id]
    drain(services)
    assert latest(sim, plug, "st.switch", "switch") == "on"


def test_clock_forgets_unlinked_accounts(services, installed):
    clock.sync(services, now=0)
    services.accounts.remove_link(installed.account_id, "kasa")
    clock.sync(services, now=1)
    assert services.redis.zcard(clock.DUE_KEY) == 0
