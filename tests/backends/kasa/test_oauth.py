"""KasaOAuth: the authorize URL and the token endpoint's two grants."""
from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
import requests
import responses

from connector.backends.base import FatalError, LinkExpired, RateLimited, RetryableError
from connector.backends.kasa.errors import ConnectFailed
from connector.backends.kasa.oauth import DEFAULT_LIFETIME, KasaOAuth, KasaToken

OAUTH = "https://auth.kasa.test"
TOKEN_URL = OAUTH + "/oauth/access_token"
SECRET = "client-secret-XYZ"
NOW = 1_700_000_000.0


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def oauth():
    return KasaOAuth(OAUTH + "/", "client-9", SECRET, clock=lambda: NOW)


def granted(**extra):
    return {"access_token": "AT-1", "refresh_token": "RT-1", "token_type": "Bearer",
            "expires_in": 2592000, **extra}


def sent_query(rsps, index=0):
    return {k: v[0] for k, v in parse_qs(urlparse(rsps.calls[index].request.url).query).items()}


def test_authorize_url(oauth):
    url = urlparse(oauth.authorize_url("https://us.example/cb?x=1", "st&ate"))
    assert f"{url.scheme}://{url.netloc}{url.path}" == OAUTH + "/oauth/authorize"
    assert {k: v[0] for k, v in parse_qs(url.query).items()} == {
        "client_id": "client-9", "response_type": "code", "state": "st&ate",
        "scope": "device_control", "redirect_uri": "https://us.example/cb?x=1"}
    assert SECRET not in oauth.authorize_url("https://cb", "s")


def test_exchange_code(rsps, oauth):
    rsps.post(TOKEN_URL, json=granted())
    token = oauth.exchange_code("CODE-1", "https://cb")
    assert token == KasaToken("AT-1", "RT-1", NOW + 2592000, "Bearer")
    assert rsps.calls[0].request.method == "POST"
    assert sent_query(rsps) == {"client_id": "client-9", "grant_type": "authorization_code",
                                "code": "CODE-1", "redirect_uri": "https://cb",
                                "client_secret": SECRET}


def test_refresh_sends_the_refresh_grant_and_keeps_a_rotated_token(rsps, oauth):
    rsps.post(TOKEN_URL, json=granted(access_token="AT-2", refresh_token="RT-2"))
    token = oauth.refresh("RT-1")
    assert (token.access_token, token.refresh_token) == ("AT-2", "RT-2")
    assert sent_query(rsps) == {"client_id": "client-9", "grant_type": "refresh_token",
                                "refresh_token": "RT-1", "client_secret": SECRET}


def test_refresh_keeps_the_old_refresh_token_when_not_rotated(rsps, oauth):
    body = granted(access_token="AT-2")
    del body["refresh_token"]
    rsps.post(TOKEN_URL, json=body)
    assert oauth.refresh("RT-1").refresh_token == "RT-1"


@pytest.mark.parametrize("expires_in, lifetime", [("1296000", 1296000), (None, DEFAULT_LIFETIME),
                                                  ("soon", DEFAULT_LIFETIME)])
def test_expires_in_may_be_a_string_or_missing(rsps, oauth, expires_in, lifetime):
    body = granted(expires_in=expires_in)
    if expires_in is None:
        del body["expires_in"]
    rsps.post(TOKEN_URL, json=body)
    assert oauth.exchange_code("C", "https://cb").expires_at == NOW + lifetime


def test_refresh_without_a_refresh_token_is_link_expired(rsps, oauth):
    with pytest.raises(LinkExpired):
        oauth.refresh("")
    assert len(rsps.calls) == 0


@pytest.mark.parametrize("status, body, headers, expected", [
    (400, {"error": "invalid_grant", "error_description": "Refresh token expired"}, {},
     LinkExpired),
    (401, {"error": "invalid_client"}, {}, FatalError),
    (400, {"error": "invalid_request", "error_description": "Missing parameters: client_secret"},
     {}, FatalError),
    (429, {}, {"Retry-After": "12"}, RateLimited),
    (503, None, {}, RetryableError),
    (200, {"token_type": "Bearer"}, {}, RetryableError),
])
def test_token_errors(rsps, oauth, status, body, headers, expected):
    rsps.post(TOKEN_URL, status=status, json=body, headers=headers)
    with pytest.raises(expected) as err:
        oauth.refresh("RT-1")
    assert type(err.value) is expected
    if expected is RateLimited:
        assert err.value.retry_after == 12.0
    assert len(rsps.calls) == 1  # never repeated: a grant may be single-use


def test_invalid_client_blames_our_configuration(rsps, oauth):
    rsps.post(TOKEN_URL, status=401, json={"error": "invalid_client"})
    with pytest.raises(FatalError, match="KASA_CLIENT_SECRET"):
        oauth.exchange_code("C", "https://cb")


@pytest.mark.parametrize("exc, expected", [(requests.ConnectTimeout(TOKEN_URL + "?x"), ConnectFailed),
                                           (requests.ReadTimeout(TOKEN_URL), RetryableError),
                                           (requests.ConnectionError("reset"), RetryableError)])
def test_transport_errors_hide_the_secret_url(rsps, oauth, exc, expected):
    rsps.post(TOKEN_URL, body=exc)
    with pytest.raises(expected) as err:
        oauth.refresh("RT-secret")
    assert err.value.__cause__ is None and err.value.__suppress_context__
    for secret in (SECRET, "RT-secret", "access_token?"):
        assert secret not in str(err.value)


def test_error_descriptions_are_scrubbed(rsps, oauth):
    rsps.post(TOKEN_URL, status=400, json={"error": "invalid_grant",
                                           "error_description": f"bad RT-secret for {SECRET}"})
    with pytest.raises(LinkExpired) as err:
        oauth.refresh("RT-secret")
    assert "RT-secret" not in str(err.value) and SECRET not in str(err.value)


def test_token_hides_secrets_and_round_trips():
    token = KasaToken("AT-1", "RT-1", NOW + 100)
    assert "AT-1" not in repr(token) and "RT-1" not in repr(token)
    assert KasaToken.from_dict(token.to_dict()) == token
    assert token.expires_in(now=NOW) == 100
    assert not token.is_expired(leeway=60, now=NOW)
    assert token.is_expired(leeway=60, now=NOW + 41)
    assert SECRET not in repr(KasaOAuth(OAUTH, "c", SECRET))
