"""The flush job against a misbehaving SmartThings: 401, 429, 5xx, timeouts, outages."""
from __future__ import annotations

import dataclasses
import threading
import time

from rq.registry import FinishedJobRegistry

from connector import stclient
from connector.callbacks import batch
from connector.callbacks import publish as publishing
from connector.callbacks import queues
from connector.callbacks.client import SmartThingsClient
from connector.callbacks.pending import PARKED
from connector.model import DeviceResult, State
from connector.store import Vault
from tests.callbacks.conftest import FAST, drain, failed, grant, level, queued, run_burst, switch


def publish(services, account_id, results, policy=FAST):
    return publishing.publish(services, account_id, results, policy=policy)


def delivered_values(sim) -> dict:
    return {(s.external_id, s.attribute): s.value for s in sim.cloud.latest_states().values()}


def test_token_expiry_mid_stream_refreshes_and_retries_once(granted, services, sim):
    account_id, _, _ = granted
    publish(services, account_id, [switch("kasa:PLUG1", "on")])
    drain(services)
    sim.cloud.expire_access_tokens()
    publish(services, account_id, [switch("kasa:PLUG1", "off")])
    drain(services)
    counts = sim.cloud.counts()
    assert counts["callbacks_unauthorized"] == 1 and counts["callbacks_accepted"] == 2
    assert [g.interaction_type for g in sim.cloud.token_grants()] == [
        "accessTokenRequest", "refreshAccessTokens"]
    assert delivered_values(sim) == {("kasa:PLUG1", "switch"): "off"}


def test_a_second_401_after_refreshing_counts_as_a_failed_attempt(granted, services, sim, store):
    account_id, inst, _ = granted
    sim.cloud.fail_next(401, 2)
    publish(services, account_id, [switch("kasa:PLUG1", "on")])
    drain(services)
    assert sim.cloud.counts()["callbacks_faulted"] == 2
    assert delivered_values(sim) == {("kasa:PLUG1", "switch"): "on"}  # the next attempt worked
    assert failed(services) == []


def test_429_honours_retry_after(granted, services, sim):
    account_id, _, _ = granted
    sim.cloud.fail_next(429, 1, retry_after=1)
    publish(services, account_id, [switch("kasa:PLUG1", "on")])
    started = time.time()
    drain(services)
    [delivery] = sim.cloud.deliveries("stateCallback")
    assert delivery.received_at - started >= 1.0


def test_429_with_a_long_retry_after_goes_through_the_scheduler(granted, services, sim, store):
    account_id, inst, _ = granted
    policy = dataclasses.replace(FAST, inline_wait=0.0)  # every wait is scheduled
    sim.cloud.fail_next(429, 1, retry_after=1)
    publish(services, account_id, [switch("kasa:PLUG1", "on")], policy=policy)
    first_job = store.owner(inst)
    started = time.time()
    drain(services)
    [delivery] = sim.cloud.deliveries("stateCallback")
    assert delivery.received_at - started >= 1.0
    assert store.owner(inst) is None and store.status(inst) == {
        "last_delivered_at": store.status(inst)["last_delivered_at"]}
    assert first_job not in queued(services)


def test_a_5xx_storm_backs_off_and_delivers_once_it_passes(granted, services, sim, store):
    account_id, inst, _ = granted
    sim.cloud.fail_next(500, 2)
    sim.cloud.fail_next(503, 2)
    publish(services, account_id, [switch("kasa:PLUG1", "on"), level("kasa:BULB", 30)])
    drain(services)
    counts = sim.cloud.counts()
    assert counts["callbacks_faulted"] == 4 and counts["callbacks_accepted"] == 1
    assert store.snapshot(inst) == {} and failed(services) == []


def test_a_429_storm_is_ridden_out(granted, services, sim):
    account_id, _, _ = granted
    sim.cloud.fail_next(429, 3, retry_after=0)
    for value in range(10):
        publish(services, account_id, [level("kasa:BULB", value)])
    drain(services)
    assert sim.cloud.counts()["callbacks_faulted"] == 3
    assert delivered_values(sim) == {("kasa:BULB", "level"): 9}


def test_a_timeout_is_retried(granted, services, sim):
    account_id, _, _ = granted
    policy = dataclasses.replace(FAST, read_timeout=0.2)
    sim.cloud.set_latency(0.5, target="callback")
    threading.Timer(0.3, sim.cloud.set_latency, (0,)).start()  # SmartThings recovers
    publish(services, account_id, [switch("kasa:PLUG1", "on")], policy=policy)
    drain(services)
    assert sim.cloud.wait_for(lambda: delivered_values(sim) == {("kasa:PLUG1", "switch"): "on"})
    # A timed-out request may still land: at least once, never lost.
    assert 1 <= sim.cloud.counts()["callbacks_accepted"] <= 3
    assert failed(services) == []


def test_smartthings_down_for_a_while_gets_the_latest_states_coalesced_after_recovery(
        granted, services, sim, store):
    account_id, inst, _ = granted
    policy = dataclasses.replace(FAST, inline_wait=0.0, retry_budget=20)
    sim.cloud.set_down(True)
    publish(services, account_id, [switch("kasa:PLUG1", "on"), level("kasa:BULB", 10)],
            policy=policy)
    drain(services, until=lambda: int(store.status(inst).get("attempt", 0)) >= 1)
    for value in (20, 30, 40):  # changes while SmartThings is away: no new flush job
        publish(services, account_id, [level("kasa:BULB", value)], policy=policy)
    publish(services, account_id, [switch("kasa:PLUG1", "off")], policy=policy)
    assert queued(services) == []  # the scheduled retry owns the installation
    sim.cloud.set_down(False)
    drain(services)
    [delivery] = sim.cloud.deliveries("stateCallback")
    assert {s["attribute"]: s["value"] for s in delivery.states} == {"level": 40, "switch": "off"}
    assert sim.cloud.counts()["refused_while_down"] >= 1


def test_large_backlogs_are_split_into_bounded_callbacks(granted, services, sim):
    account_id, _, _ = granted
    policy = dataclasses.replace(FAST, max_states=10)
    results = [DeviceResult(f"kasa:PLUG{n:02}", [State("st.switch", "switch", "on"),
                                                 State("st.powerMeter", "power", 1.5, unit="W")])
               for n in range(12)]
    publish(services, account_id, results, policy=policy)
    drain(services)
    sizes = [len(d.states) for d in sim.cloud.deliveries("stateCallback")]
    assert sizes == [10, 10, 4]
    assert len(sim.cloud.latest_states()) == 24


def test_changes_while_a_callback_is_in_flight_are_kept_for_the_next_one(
        granted, services, sim, store, monkeypatch):
    account_id, inst, _ = granted
    publish(services, account_id, [switch("kasa:PLUG1", "on")])
    original_post = SmartThingsClient.post
    changed = []

    def post_then_change(self, url, payload):
        answer = original_post(self, url, payload)
        if not changed:  # the partner changes again before the flush acknowledges
            changed.append(publish(services, account_id, [switch("kasa:PLUG1", "off")]))
        return answer

    monkeypatch.setattr(SmartThingsClient, "post", post_then_change)
    drain(services)
    values = [d.states[0]["value"] for d in sim.cloud.deliveries("stateCallback")]
    assert values == ["on", "off"]
    assert store.snapshot(inst) == {}


def test_state_callback_url_outside_the_allow_list_is_refused_at_use_time(
        granted, services, sim, store, caplog):
    account_id, inst, _ = granted
    services.settings = services.settings.replace(callback_allowed_hosts=("*.smartthings.com",))
    publish(services, account_id, [switch("kasa:PLUG1", "on")])
    drain(services)
    assert sim.cloud.counts()["callbacks_accepted"] == 0
    assert any("not allow-listed" in str(r.msg) for r in caplog.records)
    assert len(failed(services)) == 1 and store.owner(inst).startswith(PARKED)
    assert services.accounts.callback_grant_needed(inst)  # a new grant brings new URLs
    assert len(store.snapshot(inst)) == 1  # kept, not dropped


def test_an_outage_beyond_the_retry_budget_is_reported_and_still_ends_with_delivery(
        granted, services, sim, store):
    account_id, inst, _ = granted
    sim.cloud.set_down(True)
    publish(services, account_id, [switch("kasa:PLUG1", "on")])
    drain(services, until=lambda: failed(services))
    [job_id] = failed(services)  # reported, for alerting ...
    assert store.status(inst)["failed_job"] == job_id
    assert not store.owner(inst).startswith(PARKED)  # ... but not parked: a retry owns it
    drain(services, until=lambda: int(store.status(inst)["attempt"]) > FAST.retry_budget + 1)
    assert failed(services) == [job_id]  # retries past the budget report nothing new
    publish(services, account_id, [switch("kasa:PLUG1", "off")])
    sim.cloud.set_down(False)
    drain(services)  # no admin involved
    assert delivered_values(sim) == {("kasa:PLUG1", "switch"): "off"}
    assert failed(services) == [] and store.owner(inst) is None
    assert "failed_job" not in store.status(inst)


def test_a_refused_payload_still_parks_at_once(granted, services, sim, store):
    account_id, inst, _ = granted
    sim.cloud.fail_next(400, 1)
    publish(services, account_id, [switch("kasa:PLUG1", "on")])
    drain(services)
    [job_id] = failed(services)
    assert store.owner(inst) == PARKED + job_id
    # Parked: later changes coalesce in Redis, no job is queued for them.
    publish(services, account_id, [switch("kasa:PLUG1", "off")])
    assert queued(services) == [] and len(store.snapshot(inst)) == 1


def test_unreadable_stored_credentials_park_at_once(granted, services, sim, store, monkeypatch):
    account_id, inst, _ = granted
    # CONNECTOR_SECRET_KEY replaced without keeping the old key: no retry can help.
    monkeypatch.setattr(services.accounts, "vault", Vault(Vault.generate_key()))
    publish(services, account_id, [switch("kasa:PLUG1", "on")])
    drain(services)
    [job_id] = failed(services)
    assert store.owner(inst) == PARKED + job_id
    assert store.status(inst)["parked_reason"].startswith("VaultError")
    assert sim.cloud.deliveries() == [] and len(store.snapshot(inst)) == 1


def test_an_unexpected_error_counts_as_a_failed_attempt_and_is_retried(
        granted, services, sim, store, monkeypatch, caplog):
    account_id, inst, _ = granted
    to_payload, seen = batch.to_payload, []

    def buggy(item, token):
        seen.append(store.status(inst).get("last_error"))
        if len(seen) <= 2:
            raise KeyError("deviceState")  # a bug in building the payload
        return to_payload(item, token)

    monkeypatch.setattr(batch, "to_payload", buggy)
    publish(services, account_id, [switch("kasa:PLUG1", "on")])
    drain(services)
    assert delivered_values(sim) == {("kasa:PLUG1", "switch"): "on"}
    assert failed(services) == [] and store.owner(inst) is None
    assert seen[1:] == ["unexpected KeyError (see the worker log)"] * 2  # counted, type only
    logged = [r for r in caplog.records if "unexpected error" in str(r.msg)]
    assert len(logged) == 2 and all("Traceback" in str(r.msg) for r in logged)


def test_an_unexpected_error_that_persists_spends_the_budget_like_an_outage(
        granted, services, sim, store, monkeypatch):
    account_id, inst, _ = granted

    def buggy(item, token):
        raise KeyError("deviceState")

    monkeypatch.setattr(batch, "to_payload", buggy)
    publish(services, account_id, [switch("kasa:PLUG1", "on")])
    drain(services, until=lambda: failed(services))
    [job_id] = failed(services)
    assert store.status(inst)["failed_job"] == job_id  # reported after the budget ...
    assert int(store.status(inst)["attempt"]) >= FAST.retry_budget
    assert not store.owner(inst).startswith(PARKED)  # ... and retried on


def test_refresh_impossible_during_a_flush_parks_until_a_new_grant_arrives(
        client, granted, services, sim, store):
    account_id, inst, partner_token = granted
    sim.cloud.expire_access_tokens()
    sim.cloud.revoke_refresh_tokens()
    publish(services, account_id, [switch("kasa:PLUG1", "on")])
    drain(services)
    assert len(failed(services)) == 1 and store.owner(inst).startswith(PARKED)
    discovery = client.post("/st-schema", json=stclient.discovery(partner_token)).get_json()
    assert discovery["requestGrantCallbackAccess"] is True

    grant(client, sim, partner_token)
    drain(services)
    assert delivered_values(sim) == {("kasa:PLUG1", "switch"): "on"}
    assert failed(services) == []  # the new delivery made the old failure moot
    assert store.owner(inst) is None


def test_a_flush_before_the_token_exchange_waits_for_it_without_asking_for_a_new_grant(
        client, account, services, sim, store, fast):
    account_id, issued = account
    policy = dataclasses.replace(FAST, inline_wait=0.0)
    grant(client, sim, issued.access_token)
    publish(services, account_id, [switch("kasa:PLUG1", "on")], policy=policy)
    # A worker on the default queue only: the flush runs before the exchange.
    run_burst(services, names=("default",))
    assert "token exchange is pending" in store.status(issued.installation_id)["last_error"]
    assert services.accounts.callback_grant_needed(issued.installation_id) is None
    drain(services)
    assert delivered_values(sim) == {("kasa:PLUG1", "switch"): "on"}


def test_a_long_backlog_is_handed_from_job_to_job(granted, services, sim):
    account_id, _, _ = granted
    policy = dataclasses.replace(FAST, max_states=1, slice_seconds=0.0)
    publish(services, account_id, [switch("kasa:PLUG1", "on"), switch("kasa:PLUG2", "on"),
                                   switch("kasa:PLUG3", "on")], policy=policy)
    drain(services)
    assert len(sim.cloud.deliveries("stateCallback")) == 3
    # One batch per slice: other installations' jobs get the worker in between.
    assert FinishedJobRegistry(queue=queues.queue(services, queues.DEFAULT)).count == 3
