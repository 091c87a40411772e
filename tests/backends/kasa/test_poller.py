"""Kasa change detection end to end: a change in the simulated Kasa cloud reaches the
simulated SmartThings receiver as a stateCallback (poll → publish → RQ worker → HTTP)."""
from __future__ import annotations

import itertools
import json

import pytest

from connector import clock
from connector.backends.kasa.client import KasaClient
from connector.backends.base import MalformedDeviceList
from connector.backends.kasa.poller import PollBudgetExhausted, poll_account, snapshot_key
from connector.callbacks import publish as publishing
from connector.ratelimit import TokenBucket
from tests.callbacks.conftest import drain, fast, grant, sim, st_server, switch  # noqa: F401  (fixtures)


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


def kept_snapshot(services, account_id):
    return json.loads(services.redis.get(snapshot_key(account_id)))


def kasa_answers(monkeypatch, rewrite):
    """Kasa's device list answer, passed through ``rewrite`` before the client reads it."""
    get = KasaClient._get

    def rewritten(self, path, *args, **kw):
        data = get(self, path, *args, **kw)
        return rewrite(data) if path == "/devices" else data

    monkeypatch.setattr(KasaClient, "_get", rewritten)


def test_a_listed_device_that_cannot_be_mapped_is_not_deleted(services, installed, sim, monkeypatch):  # noqa: F811
    plug = installed.ext("HS100")
    poll_account(services, installed.account_id)
    before = kept_snapshot(services, installed.account_id)

    def garble_plug(data):
        for raw in data["devices"]:
            if f"kasa:{raw['id']}" == plug:
                raw["capability"] = 7  # traits no mapping can read
        return data

    with monkeypatch.context() as m:
        kasa_answers(m, garble_plug)
        found = poll_account(services, installed.account_id)
    assert plug not in {r.external_id for r in found.results}
    assert kept_snapshot(services, installed.account_id)[plug] == before[plug]
    drain(services)
    assert plug not in sim.cloud.deleted_devices()
    # Readable again, it is the same device: not announced as a new one.
    found = poll_account(services, installed.account_id)
    assert plug not in [d.external_id for d in found.new_devices]


@pytest.mark.parametrize("answer", [{"accountId": "x"}, {"accountId": "x", "devices": None}],
                         ids=["no-devices-key", "devices-not-a-list"])
def test_a_malformed_device_list_fails_the_poll_and_deletes_nothing(services, installed, sim, monkeypatch, answer):  # noqa: F811
    poll_account(services, installed.account_id)
    before = kept_snapshot(services, installed.account_id)
    kasa_answers(monkeypatch, lambda data: answer)
    with pytest.raises(MalformedDeviceList):
        poll_account(services, installed.account_id)
    assert kept_snapshot(services, installed.account_id) == before
    drain(services)
    assert sim.cloud.deleted_devices() == set()


def test_a_command_after_the_read_wins_over_the_polled_value(services, installed, sim, kasa, monkeypatch):  # noqa: F811
    plug = installed.ext("HS100")
    poll_account(services, installed.account_id)  # baseline: the plug is off
    kasa.cloud.change_state(kasa_id(plug), {"powered": True})
    backend = services.backends["kasa"]
    read = backend.refresh

    def read_then_command(external_id, ctx):
        result = read(external_id, ctx)  # the poll reads "on" ...
        if external_id == plug:  # ... then a SmartThings command turns the plug off
            kasa.cloud.change_state(kasa_id(plug), {"powered": False})
            publishing.publish(services, installed.account_id, [switch(plug, "off")])
        return result

    # Whatever is published from now on is stamped clearly later than the poll's reads.
    later = itertools.count(publishing.now_ms() + 60_000, 1_000)
    monkeypatch.setattr(publishing, "now_ms", lambda: next(later))
    monkeypatch.setattr(backend, "refresh", read_then_command)
    poll_account(services, installed.account_id)
    drain(services)
    assert latest(sim, plug, "st.switch", "switch") == "off"


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
