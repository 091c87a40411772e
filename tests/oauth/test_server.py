"""Our OAuth server for SmartThings: the authorize request and the token endpoint.

Every refusal is RFC 6749's error with its status code, and none leaves a token that
still works (checked through ``Accounts.resolve``, what the webhook uses).
"""
from __future__ import annotations

import base64

import pytest

from connector import stclient
from connector.accounts import AuthError
from connector.oauth.codes import CODE_TTL
from connector.oauth.server import REFRESH_REUSE_GRACE

from .conftest import (
    ST_OAUTH_CLIENT_ID,
    ST_OAUTH_CLIENT_SECRET,
    ST_REDIRECT,
    ST_REDIRECT_EU,
    exchange,
    query,
    refresh,
)


def usable(services, token, kind="access") -> bool:
    try:
        services.accounts.resolve(token, kind)
    except AuthError:
        return False
    return True


def oauth_error(resp, status, error):
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.get_json()["error"] == error
    assert resp.headers["Cache-Control"] == "no-store"


@pytest.fixture
def clock(services, monkeypatch):
    """Move our token clock: ``clock.advance(seconds)``."""

    class Clock:
        offset = 0.0

        def advance(self, seconds):
            self.offset += seconds

    clock = Clock()
    real = services.accounts.clock
    monkeypatch.setattr(services.accounts, "clock", lambda: real() + clock.offset)
    return clock


@pytest.fixture
def code(linker, kasa_user):
    return linker.link(kasa_user)["code"]


@pytest.fixture
def tokens(client, code):
    resp = exchange(client, code)
    assert resp.status_code == 200
    return resp.get_json()


# -- the authorize request ----------------------------------------------------------------


@pytest.mark.parametrize("params, why", [
    ({"client_id": "someone-else"}, "unknown client"),
    ({"client_id": None}, "no client"),
    ({"redirect_uri": "https://evil.example/oauth/callback"}, "redirect URI not allowed"),
    ({"redirect_uri": ST_REDIRECT + "/more"}, "redirect URI must match exactly"),
    ({"redirect_uri": None}, "redirect URI missing"),
])
def test_an_untrusted_client_or_redirect_gets_a_page_never_a_redirect(linker, params, why):
    resp = linker.authorize(**params)
    assert resp.status_code == 400, why
    assert "Location" not in resp.headers
    assert "not valid" in resp.get_data(as_text=True)
    assert "stc_link" not in resp.headers.get("Set-Cookie", "")


def test_a_bad_response_type_is_redirected_with_the_error_and_state(linker):
    resp = linker.authorize(response_type="token", state="s-42")
    assert resp.status_code == 302
    answer = query(resp.headers["Location"])
    assert resp.headers["Location"].startswith(ST_REDIRECT + "?")
    assert answer["error"] == "unsupported_response_type" and answer["state"] == "s-42"


def test_every_allowed_redirect_uri_works_and_the_code_is_bound_to_it(linker, kasa_user, client):
    assert linker.authorize(redirect_uri=ST_REDIRECT_EU, state="eu").status_code == 303
    linker.connect_kasa(kasa_user)
    resp = linker.allow()
    assert resp.headers["Location"].startswith(ST_REDIRECT_EU + "?")
    answer = query(resp.headers["Location"])
    assert answer["state"] == "eu"
    assert exchange(client, answer["code"], redirect_uri=ST_REDIRECT_EU).status_code == 200


# -- the token endpoint: success -----------------------------------------------------------


def test_the_code_buys_a_bearer_pair_that_serves_discovery(client, code, services, kasa_user):
    resp = exchange(client, code)
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "no-store"
    body = resp.get_json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == services.settings.access_token_ttl
    assert body["access_token"] and body["refresh_token"]
    listed = client.post("/st-schema", json=stclient.discovery(body["access_token"])).get_json()
    assert {d["externalDeviceId"] for d in listed["devices"]} == {
        f"kasa:{device_id}" for device_id in kasa_user.devices}


def test_client_credentials_may_come_as_http_basic(client, code):
    resp = exchange(client, code, basic=True)
    assert resp.status_code == 200 and resp.get_json()["access_token"]


def test_tokens_are_stored_only_as_digests(client, code, redis_client):
    body = exchange(client, code).get_json()
    dump = " ".join(f"{key} {redis_client.dump(key)!r}" for key in redis_client.keys("*"))
    assert body["access_token"] not in dump and body["refresh_token"] not in dump
    assert code not in dump


def test_a_refresh_rotates_the_refresh_token(client, tokens, services):
    resp = refresh(client, tokens["refresh_token"])
    assert resp.status_code == 200
    fresh = resp.get_json()
    assert fresh["refresh_token"] != tokens["refresh_token"]
    assert fresh["access_token"] != tokens["access_token"]
    assert usable(services, fresh["access_token"])
    assert usable(services, fresh["refresh_token"], "refresh")
    # Same installation: SmartThings' link does not change when its tokens do.
    assert (services.accounts.resolve(fresh["access_token"]).id
            == services.accounts.resolve(tokens["access_token"]).id)


def test_one_retry_of_a_rotated_refresh_token_is_honoured_within_the_grace(
        client, tokens, services, clock):
    lost = refresh(client, tokens["refresh_token"]).get_json()  # the answer SmartThings lost
    clock.advance(REFRESH_REUSE_GRACE / 2)
    retry = refresh(client, tokens["refresh_token"])
    assert retry.status_code == 200
    fresh = retry.get_json()
    assert usable(services, fresh["access_token"])
    assert usable(services, fresh["refresh_token"], "refresh")
    # The pair nobody received is void.
    assert not usable(services, lost["access_token"])
    assert not usable(services, lost["refresh_token"], "refresh")
    # And a refreshed chain goes on.
    assert refresh(client, fresh["refresh_token"]).status_code == 200


# -- the token endpoint: refusals -------------------------------------------------------


def test_a_reused_code_is_refused_and_voids_the_first_tokens(client, code, services):
    first = exchange(client, code).get_json()
    assert usable(services, first["access_token"])
    oauth_error(exchange(client, code), 400, "invalid_grant")
    assert not usable(services, first["access_token"])
    assert not usable(services, first["refresh_token"], "refresh")
    oauth_error(refresh(client, first["refresh_token"]), 400, "invalid_grant")


def test_an_expired_code_is_refused(client, code, clock):
    clock.advance(CODE_TTL + 1)
    oauth_error(exchange(client, code), 400, "invalid_grant")


def test_a_code_works_until_just_before_it_expires(client, code, clock):
    clock.advance(CODE_TTL - 5)
    assert exchange(client, code).status_code == 200


def test_a_code_with_another_redirect_uri_is_refused_and_spent(client, code, services):
    oauth_error(exchange(client, code, redirect_uri=ST_REDIRECT_EU), 400, "invalid_grant")
    oauth_error(exchange(client, code), 400, "invalid_grant")  # single use, even then
    assert services.accounts.installations(services.accounts.list()[0]) == []


@pytest.mark.parametrize("basic", [False, True], ids=["form", "basic"])
def test_a_wrong_client_secret_is_refused_with_401_and_a_basic_challenge(
        client, code, services, basic):
    resp = exchange(client, code, secret="not-the-secret", basic=basic)
    oauth_error(resp, 401, "invalid_client")
    assert resp.headers["WWW-Authenticate"].startswith("Basic ")
    assert services.accounts.installations(services.accounts.list()[0]) == []


def test_an_unknown_client_is_refused_with_401(client, code):
    resp = client.post("/oauth/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": ST_REDIRECT,
        "client_id": "someone-else", "client_secret": ST_OAUTH_CLIENT_SECRET})
    oauth_error(resp, 401, "invalid_client")


def test_missing_client_credentials_are_refused_with_401(client, code):
    resp = client.post("/oauth/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": ST_REDIRECT})
    oauth_error(resp, 401, "invalid_client")


def test_basic_credentials_that_do_not_decode_are_an_invalid_client(client, code):
    undecodable = base64.b64encode(b"\xff\xfe:\xff").decode()
    resp = client.post("/oauth/token", headers={"Authorization": f"Basic {undecodable}"}, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": ST_REDIRECT})
    oauth_error(resp, 401, "invalid_client")


def test_a_token_request_over_the_body_limit_is_an_invalid_request(client, services):
    resp = client.post("/oauth/token", data={
        "grant_type": "refresh_token", "client_id": ST_OAUTH_CLIENT_ID,
        "refresh_token": "x" * (services.settings.max_body_bytes + 1)})
    oauth_error(resp, 400, "invalid_request")


def test_an_unknown_grant_type_is_refused(client):
    resp = client.post("/oauth/token", data={
        "grant_type": "password", "username": "u", "password": "p",
        "client_id": ST_OAUTH_CLIENT_ID, "client_secret": ST_OAUTH_CLIENT_SECRET})
    oauth_error(resp, 400, "unsupported_grant_type")


def test_a_code_grant_without_a_code_is_an_invalid_request(client):
    resp = client.post("/oauth/token", data={
        "grant_type": "authorization_code", "redirect_uri": ST_REDIRECT,
        "client_id": ST_OAUTH_CLIENT_ID, "client_secret": ST_OAUTH_CLIENT_SECRET})
    oauth_error(resp, 400, "invalid_request")


def test_the_token_endpoint_takes_only_post(client):
    assert client.get("/oauth/token").status_code == 405


def test_an_unknown_refresh_token_is_refused(client):
    oauth_error(refresh(client, "no-such-token"), 400, "invalid_grant")


def test_an_access_token_is_no_refresh_token(client, tokens):
    oauth_error(refresh(client, tokens["access_token"]), 400, "invalid_grant")


def test_a_refresh_needs_the_client_secret_too(client, tokens, services):
    oauth_error(refresh(client, tokens["refresh_token"], secret="wrong"), 401, "invalid_client")
    assert usable(services, tokens["refresh_token"], "refresh")  # not spent by a stranger


def test_a_revoked_refresh_token_is_refused(client, tokens, services):
    # integrationDeleted revokes the installation's tokens.
    client.post("/st-schema", json=stclient.integration_deleted(tokens["access_token"]))
    oauth_error(refresh(client, tokens["refresh_token"]), 400, "invalid_grant")
    assert not usable(services, tokens["access_token"])
    assert not usable(services, tokens["refresh_token"], "refresh")


def test_an_expired_refresh_token_is_refused(client, tokens, services, clock):
    clock.advance(services.settings.refresh_token_ttl + 1)
    oauth_error(refresh(client, tokens["refresh_token"]), 400, "invalid_grant")


def test_a_refresh_token_replayed_after_the_grace_revokes_the_whole_link(
        client, tokens, services, clock):
    fresh = refresh(client, tokens["refresh_token"]).get_json()
    clock.advance(REFRESH_REUSE_GRACE + 1)
    oauth_error(refresh(client, tokens["refresh_token"]), 400, "invalid_grant")
    # A replay means someone else holds the token: nothing of this link works any more.
    for token, kind in ((fresh["access_token"], "access"), (fresh["refresh_token"], "refresh"),
                        (tokens["access_token"], "access")):
        assert not usable(services, token, kind)
    oauth_error(refresh(client, fresh["refresh_token"]), 400, "invalid_grant")


def test_a_second_retry_within_the_grace_is_a_replay(client, tokens, services):
    refresh(client, tokens["refresh_token"])
    retry = refresh(client, tokens["refresh_token"]).get_json()
    oauth_error(refresh(client, tokens["refresh_token"]), 400, "invalid_grant")
    assert not usable(services, retry["access_token"])
    assert not usable(services, retry["refresh_token"], "refresh")


def test_a_retry_after_the_new_token_was_used_is_a_replay(client, tokens, services):
    fresh = refresh(client, tokens["refresh_token"]).get_json()
    newer = refresh(client, fresh["refresh_token"]).get_json()  # SmartThings got `fresh`
    oauth_error(refresh(client, tokens["refresh_token"]), 400, "invalid_grant")
    assert not usable(services, newer["access_token"])


def test_a_revoked_access_token_answers_token_expired_to_the_webhook(
        client, tokens, services, clock):
    refresh(client, tokens["refresh_token"])
    clock.advance(REFRESH_REUSE_GRACE + 1)
    refresh(client, tokens["refresh_token"])  # replay: everything revoked
    body = client.post("/st-schema", json=stclient.discovery(tokens["access_token"])).get_json()
    assert body["globalError"]["errorEnum"] == "TOKEN-EXPIRED"


def test_the_server_needs_https_behind_a_proxy(app, linker):
    # The request arrives over plain http from the router, which says the client used https.
    resp = linker.client.get("/oauth/authorize", base_url="http://connector.example",
                             headers={"X-Forwarded-Proto": "https"}, query_string={
                                 "client_id": ST_OAUTH_CLIENT_ID, "response_type": "code",
                                 "redirect_uri": ST_REDIRECT, "state": "x"})
    assert resp.status_code == 303
    # Without that header a non-loopback http URL is refused, not served.
    resp = linker.client.post("/oauth/token", base_url="http://connector.example",
                              data={"grant_type": "refresh_token", "refresh_token": "r"})
    oauth_error(resp, 400, "insecure_transport")
