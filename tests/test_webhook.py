"""POST /st-schema: every interaction type and every protocol error path."""
from __future__ import annotations

import io
import json

import pytest

from connector import interactions, schema, stclient
from tests.conftest import ST_CLIENT_ID

CALLBACK_BASE = "https://c2c-us.smartthings.com"


def post(client, payload, **kw):
    data = payload if isinstance(payload, (bytes, str)) else json.dumps(payload)
    resp = client.post("/st-schema", data=data, content_type="application/json", **kw)
    return resp, resp.get_json()


def assert_valid(body):
    assert schema.validate_outbound(body) == [], body


def global_error(body):
    return (body.get("globalError") or {}).get("errorEnum")


# -- the interactions ------------------------------------------------------------------


def test_discovery_echoes_request_id_and_answers_discovery_response(client, account):
    _, tokens = account
    payload = stclient.discovery(tokens.access_token)
    resp, body = post(client, payload)
    assert resp.status_code == 200
    assert body["headers"]["interactionType"] == "discoveryResponse"
    assert body["headers"]["requestId"] == payload["headers"]["requestId"]
    assert body["devices"] == []  # no partner linked yet
    assert "globalError" not in body
    assert_valid(body)


def test_state_refresh_answers_unknown_devices_as_deleted_in_request_order(client, account):
    _, tokens = account
    ids = ["kasa:nope", "elsewhere:x", "no-namespace"]
    resp, body = post(client, stclient.state_refresh(tokens.access_token, ids))
    assert body["headers"]["interactionType"] == "stateRefreshResponse"
    assert [d["externalDeviceId"] for d in body["deviceState"]] == ids
    for device in body["deviceState"]:
        assert device["deviceError"][0]["errorEnum"] == "DEVICE-DELETED"
    assert_valid(body)


def test_command_for_unknown_device_is_device_deleted(client, account):
    _, tokens = account
    payload = stclient.command(tokens.access_token, "kasa:nope",
                               [stclient.parse_command("switch.on")])
    _, body = post(client, payload)
    assert body["headers"]["interactionType"] == "commandResponse"
    assert body["deviceState"][0]["deviceError"][0]["errorEnum"] == "DEVICE-DELETED"
    assert_valid(body)


def test_grant_callback_access_stores_callback_data(client, account, services):
    _, tokens = account
    payload = stclient.grant_callback_access(tokens.access_token, ST_CLIENT_ID, "code-123", CALLBACK_BASE)
    _, body = post(client, payload)
    assert body == {"headers": {**payload["headers"]}}
    grant = services.accounts.callback_grant(tokens.installation_id)
    assert grant["code"] == "code-123"
    assert grant["callback_urls"] == {"oauthToken": f"{CALLBACK_BASE}/oauth/token",
                                      "stateCallback": f"{CALLBACK_BASE}/device/events"}


def test_grant_with_wrong_client_id_is_invalid_client(client, account, services):
    _, tokens = account
    payload = stclient.grant_callback_access(tokens.access_token, "someone-else", "c", CALLBACK_BASE)
    _, body = post(client, payload)
    assert global_error(body) == "INVALID-CLIENT"
    assert body["headers"]["interactionType"] == "grantCallbackAccess"
    assert services.accounts.callback_grant(tokens.installation_id) is None
    assert_valid(body)


@pytest.mark.parametrize("base", ["https://evil.example.com", "http://c2c-us.smartthings.com",
                                  "https://smartthings.com.evil.example", "https://user:pw@c2c-us.smartthings.com"])
def test_grant_with_callback_outside_allow_list_is_refused(client, account, services, base):
    _, tokens = account
    payload = stclient.grant_callback_access(tokens.access_token, ST_CLIENT_ID, "c", base)
    _, body = post(client, payload)
    assert global_error(body) == "BAD-REQUEST"
    assert "allowed host" in body["globalError"]["detail"]
    assert services.accounts.callback_grant(tokens.installation_id) is None


def test_integration_deleted_removes_installation_and_is_idempotent(client, account, services):
    account_id, tokens = account
    payload = stclient.integration_deleted(tokens.access_token)
    _, body = post(client, payload)
    assert body == {"headers": payload["headers"]}
    assert services.accounts.installations(account_id) == []
    # Sent again (SmartThings retries): still a success.
    _, again = post(client, stclient.integration_deleted(tokens.access_token))
    assert "globalError" not in again
    # And the token now tells SmartThings the integration is gone.
    _, body = post(client, stclient.discovery(tokens.access_token))
    assert global_error(body) == "INTEGRATION-DELETED"


def test_integration_deleted_succeeds_for_unknown_token(client):
    _, body = post(client, stclient.integration_deleted("never-issued"))
    assert "globalError" not in body
    assert body["headers"]["interactionType"] == "integrationDeleted"


def test_integration_deleted_with_expired_token_still_removes(app, config, services):
    account_id = services.accounts.create()
    tokens = services.accounts.issue_tokens(account_id, access_ttl=1)
    services.accounts.clock = lambda: 10**11  # far future: the token has expired
    _, body = post(app.test_client(), stclient.integration_deleted(tokens.access_token))
    assert "globalError" not in body
    assert services.accounts.installations(account_id) == []


def test_interaction_result_is_accepted_without_authentication(client):
    payload = stclient.interaction_result(None, "discoveryRequest", "manufacturerName missing")
    payload["deviceState"] = [{"externalDeviceId": "kasa:1",
                               "deviceError": [{"errorEnum": "BAD-RESPONSE", "detail": "x"}]}]
    _, body = post(client, payload)
    assert body == {"headers": payload["headers"]}


def test_interaction_result_with_bad_token_is_still_accepted(client):
    _, body = post(client, stclient.interaction_result("bogus", "commandRequest", "late"))
    assert "globalError" not in body


# -- protocol errors ---------------------------------------------------------------------


@pytest.mark.parametrize("raw", [b"", b"not json", b"{", b"[1,2]", b'"string"', b"42", b"null",
                                 b'{"headers": NaN}', b"\xff\xfe\x00garbage", b"[" * 100_000])
def test_body_that_is_not_a_json_object_is_bad_request(client, raw):
    resp, body = post(client, raw)
    assert resp.status_code == 200
    assert global_error(body) == "BAD-REQUEST"
    assert_valid(body)


@pytest.mark.parametrize("mutate", [
    lambda p: p.pop("headers"),
    lambda p: p.pop("authentication"),
    lambda p: p["headers"].update(schema="not-st-schema"),
    lambda p: p["headers"].update(version="2.0"),
    lambda p: p["headers"].pop("requestId"),
    lambda p: p.update(authentication="Bearer x"),
    lambda p: p["authentication"].pop("token"),
], ids=["no-headers", "no-authentication", "wrong-schema", "wrong-version", "no-requestId",
        "authentication-not-object", "no-token"])
def test_malformed_envelope_is_bad_request(client, account, mutate):
    payload = stclient.discovery(account[1].access_token)
    mutate(payload)
    resp, body = post(client, payload)
    assert resp.status_code == 200
    assert global_error(body) == "BAD-REQUEST"
    assert_valid(body)


def test_bad_request_keeps_the_matching_response_type_and_request_id(client):
    payload = stclient.state_refresh("t", ["kasa:1"])
    payload.pop("authentication")
    _, body = post(client, payload)
    assert body["headers"]["interactionType"] == "stateRefreshResponse"
    assert body["headers"]["requestId"] == payload["headers"]["requestId"]


@pytest.mark.parametrize("kind", ["somethingElse", "discoveryResponse", "stateCallback", "accessTokenRequest"])
def test_unknown_interaction_type_is_invalid_interaction_type(client, account, kind):
    payload = stclient.envelope(kind, account[1].access_token)
    _, body = post(client, payload)
    assert global_error(body) == "INVALID-INTERACTION-TYPE"
    assert body["headers"]["requestId"] == payload["headers"]["requestId"]
    assert_valid(body)


def test_unknown_token_is_invalid_token(client):
    _, body = post(client, stclient.discovery("never-issued"))
    assert global_error(body) == "INVALID-TOKEN"
    assert body["headers"]["interactionType"] == "discoveryResponse"
    assert_valid(body)


def test_expired_token_is_token_expired(client, services):
    tokens = services.accounts.issue_tokens(services.accounts.create())
    services.accounts.clock = lambda: 10**11
    _, body = post(client, stclient.state_refresh(tokens.access_token, ["kasa:1"]))
    assert global_error(body) == "TOKEN-EXPIRED"
    assert_valid(body)


def test_removed_account_is_integration_deleted(client, account, services):
    account_id, tokens = account
    services.accounts.delete(account_id)
    _, body = post(client, stclient.command(tokens.access_token, "kasa:1", [stclient.parse_command("switch.on")]))
    assert global_error(body) == "INTEGRATION-DELETED"
    assert_valid(body)


def test_oversized_body_is_refused_cleanly(client, account, services):
    payload = stclient.discovery(account[1].access_token)
    payload["padding"] = "x" * (services.settings.max_body_bytes + 1)
    resp, body = post(client, payload)
    assert resp.status_code == 200
    assert global_error(body) == "BAD-REQUEST"
    assert "exceeds" in body["globalError"]["detail"]


def chunked(client, raw: bytes):
    """POST ``raw`` without a Content-Length, as gunicorn hands over a chunked body."""
    resp = client.post("/st-schema", input_stream=io.BytesIO(raw), content_type="application/json",
                       headers={"Transfer-Encoding": "chunked"},
                       environ_overrides={"wsgi.input_terminated": True})
    return resp, resp.get_json()


def test_an_oversized_chunked_body_is_refused_not_cut_short(client, account, services):
    limit = services.settings.max_body_bytes
    valid = json.dumps(stclient.discovery(account[1].access_token)).encode()
    resp, body = chunked(client, valid + b" " * (limit - len(valid)) + b"trailing junk")
    assert resp.status_code == 200 and global_error(body) == "BAD-REQUEST"
    assert "exceeds" in body["globalError"]["detail"]
    # A chunked body within the limit is read whole.
    resp, body = chunked(client, valid)
    assert body["headers"]["interactionType"] == "discoveryResponse"


def test_a_body_of_exactly_the_limit_is_answered_over_a_real_socket(app, account, services):
    import requests

    from connector.sandbox.server import ServerThread

    limit = services.settings.max_body_bytes
    valid = json.dumps(stclient.discovery(account[1].access_token)).encode()
    body = valid + b" " * (limit - len(valid))  # Content-Length == the limit
    with ServerThread(app) as server:
        resp = requests.post(server.url + "/st-schema", data=body, timeout=5,
                             headers={"Content-Type": "application/json"})
    assert resp.json()["headers"]["interactionType"] == "discoveryResponse"


def test_errors_never_echo_the_token(client, account):
    token = account[1].access_token
    for payload in (stclient.envelope("bogusType", token),
                    {**stclient.discovery(token), "headers": {"schema": "st-schema", "version": "1.0",
                                                              "interactionType": "discoveryRequest",
                                                              "requestId": token + "!!"}},
                    stclient.grant_callback_access(token, "wrong", "c", CALLBACK_BASE)):
        resp, _ = post(client, payload)
        assert token not in resp.get_data(as_text=True)


# -- faults -------------------------------------------------------------------------------


def test_unexpected_error_is_a_500_without_stack_trace(client, account, monkeypatch):
    def explode(req, services):
        raise RuntimeError("secret internal detail")

    monkeypatch.setitem(interactions.HANDLERS, "discoveryRequest", explode)
    resp, body = post(client, stclient.discovery(account[1].access_token))
    assert resp.status_code == 500
    text = resp.get_data(as_text=True)
    assert "Traceback" not in text and "secret internal detail" not in text
    assert body["headers"]["interactionType"] == "discoveryResponse"


def test_redis_down_is_a_503(config):
    from connector import create_app

    app = create_app({**config, "redis_url": "redis://127.0.0.1:1/0"})
    resp, body = post(app.test_client(), stclient.discovery("token"))
    assert resp.status_code == 503
    assert body["error"] == "service temporarily unavailable"


def test_healthz_and_readyz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/readyz").get_json() == {"status": "ok", "redis": "ok"}


def test_readyz_fails_when_redis_is_unreachable(config):
    from connector import create_app

    app = create_app({**config, "redis_url": "redis://127.0.0.1:1/0"})
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 503
    assert resp.get_json()["redis"] == "unreachable"


def test_get_on_webhook_is_method_not_allowed(client):
    assert client.get("/st-schema").status_code == 405
