"""Callback credentials: the code exchange, refreshing, and asking for a new grant."""
from __future__ import annotations

import threading

import pytest

from connector import stclient
from connector.callbacks import queues
from connector.callbacks.client import SmartThingsClient
from connector.callbacks.credentials import Credentials, grant_id
from connector.callbacks.errors import GrantRequired, UrlRefused
from connector.callbacks.policy import DeliveryPolicy
from tests.callbacks.conftest import FAST, ST_CLIENT_SECRET, drain, failed, grant, queued


def credentials(services, inst, policy=FAST) -> Credentials:
    client = SmartThingsClient(services.settings.callback_allowed_hosts, read_timeout=2)
    return Credentials(services, inst, client, policy)


def discovery(client, partner_token) -> dict:
    return client.post("/st-schema", json=stclient.discovery(partner_token)).get_json()


def test_grant_queues_a_high_priority_exchange_that_stores_sealed_tokens(
        client, sim, services, account, fast, redis_client):
    _, issued = account
    grant(client, sim, issued.access_token)
    assert len(queued(services, queues.HIGH)) == 1  # queued by the webhook, not run inline
    assert services.accounts.callback_tokens(issued.installation_id) is None

    drain(services)

    [issued_by_st] = sim.cloud.token_grants()
    assert issued_by_st.interaction_type == "accessTokenRequest"
    tokens = services.accounts.callback_tokens(issued.installation_id)
    assert tokens["access_token"] == issued_by_st.access_token
    assert tokens["refresh_token"] == issued_by_st.refresh_token
    raw = redis_client.hget(f"stc:inst:{issued.installation_id}", "callback_tokens")
    assert issued_by_st.access_token not in raw and issued_by_st.refresh_token not in raw


def test_exchange_is_retried_through_the_queue_while_smartthings_is_unreachable(
        client, sim, services, account, fast):
    _, issued = account
    sim.cloud.fail_next(503, 2, target="token")
    grant(client, sim, issued.access_token)
    drain(services)
    assert sim.cloud.counts()["token_requests_faulted"] == 2
    assert services.accounts.callback_tokens(issued.installation_id)
    assert failed(services) == []


def test_exchange_that_keeps_failing_lands_in_failed_registry_and_asks_for_a_new_grant(
        client, sim, services, account, fast):
    _, issued = account
    sim.cloud.set_down(True)
    grant(client, sim, issued.access_token)
    drain(services)
    assert len(failed(services)) == 1
    assert services.accounts.callback_grant_needed(issued.installation_id)
    assert discovery(client, issued.access_token)["requestGrantCallbackAccess"] is True


def test_a_refused_code_marks_the_installation_at_once(client, sim, services, account, fast):
    _, issued = account
    payload = grant(client, sim, issued.access_token)
    # Spend the code elsewhere first: SmartThings answers INVALID-CODE.
    sim.cloud.issue_tokens({"grantType": "authorization_code", "clientId": sim.cloud.client_id,
                            "clientSecret": ST_CLIENT_SECRET,
                            "code": payload["callbackAuthentication"]["code"]},
                           "accessTokenRequest")
    drain(services)
    assert sim.cloud.counts()["token_requests_rejected"] == 1  # no retry of a dead code
    assert "INVALID-CODE" in services.accounts.callback_grant_needed(issued.installation_id)


def test_exchange_runs_once_per_grant_even_if_its_job_runs_twice(granted, services, sim):
    _, inst, _ = granted
    code = services.accounts.callback_grant(inst)["code"]
    assert credentials(services, inst).exchange(grant_id(code)) == "already exchanged"
    assert credentials(services, inst).exchange("an-older-grant") == "superseded by a newer grant"
    assert len(sim.cloud.token_grants()) == 1


def test_a_new_grant_replaces_the_tokens(client, granted, services, sim):
    _, inst, partner_token = granted
    before = services.accounts.callback_tokens(inst)["access_token"]
    grant(client, sim, partner_token)
    drain(services)
    assert services.accounts.callback_tokens(inst)["access_token"] != before


def test_token_about_to_expire_is_refreshed_before_use(granted, services, sim):
    _, inst, _ = granted
    sim.cloud.access_token_ttl = 60
    creds = credentials(services, inst, DeliveryPolicy(refresh_leeway=300))
    first = creds.refresh(creds.tokens().access_token)  # now expires within the leeway
    assert creds.access_token() != first
    grants = [g.interaction_type for g in sim.cloud.token_grants()]
    assert grants == ["accessTokenRequest", "refreshAccessTokens", "refreshAccessTokens"]


def test_refresh_keeps_the_refresh_token_unless_smartthings_rotates_it(granted, services, sim):
    _, inst, _ = granted
    creds = credentials(services, inst)
    original = creds.tokens().refresh_token
    creds.refresh(creds.tokens().access_token)
    assert creds.tokens().refresh_token == original
    sim.cloud.rotate_refresh_tokens = True
    creds.refresh(creds.tokens().access_token)
    assert creds.tokens().refresh_token not in (original, None)


def test_concurrent_refreshes_of_one_token_make_one_request(granted, services, sim):
    _, inst, _ = granted
    stale = credentials(services, inst).tokens().access_token
    sim.cloud.set_latency(0.2, target="token")
    results = []
    threads = [threading.Thread(target=lambda: results.append(
        credentials(services, inst).refresh(stale))) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1 and stale not in results
    refreshes = [g for g in sim.cloud.token_grants() if g.interaction_type == "refreshAccessTokens"]
    assert len(refreshes) == 1


def test_refused_refresh_marks_installation_and_discovery_requests_a_grant(
        client, granted, services, sim):
    _, inst, partner_token = granted
    assert "requestGrantCallbackAccess" not in discovery(client, partner_token)
    sim.cloud.revoke_refresh_tokens()
    creds = credentials(services, inst)
    with pytest.raises(GrantRequired):
        creds.refresh(creds.tokens().access_token)
    assert "INVALID-TOKEN" in services.accounts.callback_grant_needed(inst)
    assert discovery(client, partner_token)["requestGrantCallbackAccess"] is True

    grant(client, sim, partner_token)  # SmartThings answers the flag with a new grant
    drain(services)
    assert services.accounts.callback_grant_needed(inst) is None
    assert "requestGrantCallbackAccess" not in discovery(client, partner_token)


def test_token_url_outside_the_allow_list_is_refused_at_use_time(
        client, sim, services, account, fast, caplog):
    _, issued = account
    grant(client, sim, issued.access_token)  # allowed when it arrived
    services.settings = services.settings.replace(callback_allowed_hosts=("*.smartthings.com",))
    drain(services)
    assert sim.cloud.counts()["token_requests_ok"] == 0  # no request left the connector
    assert services.accounts.callback_tokens(issued.installation_id) is None
    assert services.accounts.callback_grant_needed(issued.installation_id)
    assert any("not allow-listed" in str(r.msg) for r in caplog.records)


def test_client_refuses_hosts_outside_the_allow_list_before_connecting():
    client = SmartThingsClient(("*.smartthings.com",))
    for url in ("https://evil.example/device/events", "http://c2c-us.smartthings.com/x",
                "https://smartthings.com.evil.example/x"):
        with pytest.raises(UrlRefused):
            client.post(url, {})


def test_no_token_or_code_is_ever_logged(client, granted, services, sim, caplog):
    _, inst, _ = granted
    creds = credentials(services, inst)
    creds.refresh(creds.tokens().access_token)
    secrets = {g.access_token for g in sim.cloud.token_grants()}
    secrets |= {g.refresh_token for g in sim.cloud.token_grants()}
    secrets.add(services.accounts.callback_grant(inst)["code"])
    logged = " ".join(str(r.msg) + str(r.args) for r in caplog.records)
    assert logged and not [s for s in secrets if s in logged]


def test_tokens_without_a_refresh_token_serve_until_a_refresh_is_needed(granted, services):
    _, inst, _ = granted
    creds = credentials(services, inst)
    stored = services.accounts.callback_tokens(inst)
    services.accounts.store_callback_tokens(inst, {**stored, "refresh_token": ""})
    assert creds.access_token() == stored["access_token"]
    with pytest.raises(GrantRequired):
        creds.refresh(stored["access_token"])
    assert services.accounts.callback_grant_needed(inst) == "SmartThings gave no refresh token"


def test_a_refused_early_refresh_keeps_using_the_still_valid_token(granted, services, sim):
    _, inst, _ = granted
    creds = credentials(services, inst, DeliveryPolicy(refresh_leeway=10**6))  # always early
    stored = services.accounts.callback_tokens(inst)
    sim.cloud.revoke_refresh_tokens()
    assert creds.access_token() == stored["access_token"]  # valid for a while yet
    assert services.accounts.callback_grant_needed(inst)  # and a new grant is asked for
    refused = sim.cloud.counts()["token_requests_rejected"]
    assert refused >= 1
    assert creds.access_token() == stored["access_token"]
    assert sim.cloud.counts()["token_requests_rejected"] == refused  # not asked at every send
    services.accounts.store_callback_tokens(inst, {**stored, "expires_at": 0})
    with pytest.raises(GrantRequired):  # once it has really expired, nothing is left
        creds.access_token()


def test_an_exchange_waits_for_a_refresh_in_flight(client, granted, services, sim, monkeypatch):
    from connector.callbacks import credentials as module
    from connector.callbacks.errors import Retryable

    _, inst, partner_token = granted
    grant(client, sim, partner_token)  # a new code, its exchange not run yet
    code = services.accounts.callback_grant(inst)["code"]
    before = services.accounts.callback_tokens(inst)
    monkeypatch.setattr(module, "LOCK_TIMEOUT", 0.2)
    refreshing = services.redis.lock(f"stc:lock:cbrefresh:{inst}", timeout=5)
    assert refreshing.acquire()
    try:
        with pytest.raises(Retryable):  # the job is retried once the refresh is done
            credentials(services, inst).exchange(grant_id(code))
        assert services.accounts.callback_tokens(inst) == before
    finally:
        refreshing.release()
    assert credentials(services, inst).exchange(grant_id(code)) == "exchanged"

