"""SmartHQOAuth against smarthq-api.md §1, with the token endpoint played by ``responses``."""
from __future__ import annotations

from urllib.parse import parse_qs

import pytest
import responses

from connector.backends.base import FatalError, LinkExpired, RateLimited, RetryableError
from connector.backends.smarthq.oauth import DEFAULT_LIFETIME, SmartHQOAuth

from .conftest import query

BASE = "https://accounts.example.test"
TOKEN_URL = BASE + "/oauth2/token"


@pytest.fixture
def oauth():
    return SmartHQOAuth(BASE + "/", "hq-client", "hq-secret", clock=lambda: 1000.0)


def sent_form(call) -> dict:
    return {k: v[0] for k, v in parse_qs(call.request.body).items()}


def test_the_authorize_url_asks_for_offline_access_and_no_scope(oauth):
    url = oauth.authorize_url("https://us.example/link/smarthq/callback", "st4te")
    assert url.startswith(BASE + "/oauth2/auth?")
    assert query(url) == {"response_type": "code", "client_id": "hq-client",
                          "redirect_uri": "https://us.example/link/smarthq/callback",
                          "access_type": "offline", "state": "st4te"}


@responses.activate
def test_the_code_is_exchanged_form_encoded_with_the_client_in_the_body(oauth):
    responses.post(TOKEN_URL, json={"token_type": "Bearer", "expires_in": 3600,
                                    "access_token": "A1", "refresh_token": "R1"})
    token = oauth.exchange_code("the-code", "https://us.example/cb")
    assert (token.access_token, token.refresh_token, token.expires_at) == ("A1", "R1", 4600.0)
    call = responses.calls[0]
    assert call.request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert sent_form(call) == {"grant_type": "authorization_code", "code": "the-code",
                               "redirect_uri": "https://us.example/cb",
                               "client_id": "hq-client", "client_secret": "hq-secret"}
    assert "the-code" not in call.request.url  # secrets stay out of the URL


@responses.activate
def test_a_refresh_keeps_the_refresh_token_unless_a_new_one_comes(oauth):
    responses.post(TOKEN_URL, json={"access_token": "A2"})
    token = oauth.refresh("R1")
    assert (token.access_token, token.refresh_token) == ("A2", "R1")
    assert token.expires_at == 1000.0 + DEFAULT_LIFETIME
    assert sent_form(responses.calls[0])["grant_type"] == "refresh_token"


@responses.activate
def test_a_rotated_refresh_token_is_returned(oauth):
    responses.post(TOKEN_URL, json={"access_token": "A2", "refresh_token": "R2",
                                    "expires_in": 60})
    assert oauth.refresh("R1").refresh_token == "R2"


@pytest.mark.parametrize("status, body, error", [
    (400, {"error": "invalid_grant"}, LinkExpired),
    (400, {"error": "invalid_request", "error_description": "Invalid code parameter"}, LinkExpired),
    (401, {"error": "invalid_request", "error_description": "ClientSecret is Invalid"}, FatalError),
    (429, {"kind": "error", "code": 429}, RateLimited),
    (503, None, RetryableError),
])
@responses.activate
def test_token_errors_map_to_the_partner_taxonomy(oauth, status, body, error):
    if body is None:
        responses.post(TOKEN_URL, status=status, body="unavailable")
    else:
        responses.post(TOKEN_URL, status=status, json=body)
    with pytest.raises(error) as raised:
        oauth.refresh("secret-refresh")
    assert "secret-refresh" not in str(raised.value)
    assert "hq-secret" not in str(raised.value)


@responses.activate
def test_a_transport_failure_is_retryable_and_names_no_secret(oauth):
    import requests

    responses.post(TOKEN_URL, body=requests.ConnectionError("boom hq-secret"))
    with pytest.raises(RetryableError) as raised:
        oauth.exchange_code("c", "https://us.example/cb")
    assert "hq-secret" not in str(raised.value)
    assert raised.value.__cause__ is None


def test_no_refresh_token_means_relink(oauth):
    with pytest.raises(LinkExpired):
        oauth.refresh(None)
