"""The simulated SmartThings cloud, exercised over real HTTP on 127.0.0.1."""
from __future__ import annotations

import threading
import time
import uuid

import pytest
import requests

from connector.sandbox.smartthings import SimulatedSmartThings

CLIENT_ID = "st-client-id"
CLIENT_SECRET = "st-client-secret"
START = 1_700_000_000.0


class Clock:
    """A hand-driven clock, so expiry needs no sleeping."""

    def __init__(self):
        self.now = START

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="module")
def server_clock():
    return Clock()


@pytest.fixture(scope="module")
def server(server_clock):
    # One server for the module: stopping a werkzeug server takes up to half a second.
    with SimulatedSmartThings(CLIENT_ID, CLIENT_SECRET, clock=server_clock) as sim:
        yield sim


@pytest.fixture
def clock(server_clock):
    server_clock.now = START
    return server_clock


@pytest.fixture
def sim(server, clock):
    """The module's cloud, fresh: no tokens, records or faults, default settings."""
    server.cloud.reset()
    server.cloud.access_token_ttl = 86400
    server.cloud.code_ttl = 600
    server.cloud.rotate_refresh_tokens = False
    yield server
    server.cloud.reset()


@pytest.fixture
def make_sim(sim):
    """The fresh cloud with some settings changed."""

    def make(**settings):
        for name, value in settings.items():
            assert hasattr(sim.cloud, name), name
            setattr(sim.cloud, name, value)
        return sim

    return make


# ----------------------------------------------------------------------- builders


def headers(kind: str, request_id: str | None = None) -> dict:
    return {"schema": "st-schema", "version": "1.0", "interactionType": kind,
            "requestId": request_id or str(uuid.uuid4())}


def post_token(sim, kind: str = "accessTokenRequest", **credentials) -> requests.Response:
    body = {"headers": headers(kind), "callbackAuthentication": credentials}
    return requests.post(sim.callback_urls()["oauthToken"], json=body, timeout=5)


def exchange_code(sim, code: str, **overrides) -> requests.Response:
    credentials = {"grantType": "authorization_code", "code": code,
                   "clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET, **overrides}
    return post_token(sim, "accessTokenRequest", **credentials)


def refresh(sim, refresh_token: str, **overrides) -> requests.Response:
    credentials = {"grantType": "refresh_token", "refreshToken": refresh_token,
                   "clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET, **overrides}
    return post_token(sim, "refreshAccessTokens", **credentials)


def tokens(sim, installation: str = "installation-1") -> dict:
    """Mint a code and exchange it: the accessTokenResponse's callbackAuthentication."""
    response = exchange_code(sim, sim.cloud.mint_code(installation))
    assert response.status_code == 200, response.text
    return response.json()["callbackAuthentication"]


def state(capability="st.switch", attribute="switch", value="on", **extra) -> dict:
    return {"component": "main", "capability": capability, "attribute": attribute,
            "value": value, **extra}


def state_callback(token: str, *entries: dict, **header_overrides) -> dict:
    return {"headers": {**headers("stateCallback"), **header_overrides},
            "authentication": {"tokenType": "Bearer", "token": token},
            "deviceState": list(entries)}


def device_state(external_id="kasa:plug-1", *states: dict, **extra) -> dict:
    return {"externalDeviceId": external_id, "states": list(states) or [state()], **extra}


def discovered(external_id="kasa:plug-2", **overrides) -> dict:
    return {"externalDeviceId": external_id, "friendlyName": "Kitchen Plug",
            "manufacturerInfo": {"manufacturerName": "TP-Link", "modelName": "KP115"},
            "deviceHandlerType": "c2c-switch-power-energy", **overrides}


def discovery_callback(token: str, *devices: dict) -> dict:
    return {"headers": headers("discoveryCallback"),
            "authentication": {"tokenType": "Bearer", "token": token},
            "devices": list(devices)}


def post_callback(sim, body) -> requests.Response:
    return requests.post(sim.callback_urls()["stateCallback"], json=body, timeout=5)


def global_error(response: requests.Response) -> dict:
    return response.json()["globalError"]


# ------------------------------------------------------------------ token endpoint


def test_code_exchange_returns_access_token_response(sim):
    request_id = str(uuid.uuid4())
    body = {"headers": headers("accessTokenRequest", request_id),
            "callbackAuthentication": {"grantType": "authorization_code",
                                       "code": sim.cloud.mint_code("installation-1"),
                                       "clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET}}
    response = requests.post(sim.callback_urls()["oauthToken"], json=body, timeout=5)
    assert response.status_code == 200
    answer = response.json()
    assert answer["headers"] == headers("accessTokenResponse", request_id)
    granted = answer["callbackAuthentication"]
    assert granted["tokenType"] == "Bearer"
    assert granted["expiresIn"] == 86400
    assert granted["accessToken"] and granted["refreshToken"]
    assert granted["accessToken"] != granted["refreshToken"]
    [grant] = sim.cloud.token_grants()
    assert (grant.interaction_type, grant.grant_type, grant.installation_id) == (
        "accessTokenRequest", "authorization_code", "installation-1")


def test_expires_in_is_configurable(make_sim):
    sim = make_sim(access_token_ttl=120)
    assert tokens(sim)["expiresIn"] == 120


def test_code_is_single_use(sim):
    code = sim.cloud.mint_code()
    assert exchange_code(sim, code).status_code == 200
    again = exchange_code(sim, code)
    assert again.status_code == 400
    assert global_error(again)["errorEnum"] == "INVALID-CODE"


def test_unknown_code_is_invalid_code(sim):
    response = exchange_code(sim, "never-issued")
    assert response.status_code == 400
    assert global_error(response)["errorEnum"] == "INVALID-CODE"
    assert response.json()["headers"]["interactionType"] == "accessTokenResponse"


def test_expired_code_is_invalid_code(make_sim, clock):
    sim = make_sim(code_ttl=60)
    code = sim.cloud.mint_code()
    clock.advance(61)
    response = exchange_code(sim, code)
    assert response.status_code == 400
    assert global_error(response) == {"errorEnum": "INVALID-CODE", "detail": "code expired"}


def test_wrong_client_id_is_invalid_client_with_401(sim):
    response = exchange_code(sim, sim.cloud.mint_code(), clientId="someone-else")
    assert response.status_code == 401
    assert global_error(response)["errorEnum"] == "INVALID-CLIENT"


def test_wrong_client_secret_is_invalid_client_secret_with_401(sim):
    response = exchange_code(sim, sim.cloud.mint_code(), clientSecret="wrong")
    assert response.status_code == 401
    assert global_error(response)["errorEnum"] == "INVALID-CLIENT-SECRET"


def test_bad_client_credentials_do_not_spend_the_code(sim):
    code = sim.cloud.mint_code()
    assert exchange_code(sim, code, clientSecret="wrong").status_code == 401
    assert exchange_code(sim, code).status_code == 200


def test_unknown_grant_type_is_unsupported_grant_type(sim):
    response = exchange_code(sim, sim.cloud.mint_code(), grantType="password")
    assert response.status_code == 400
    assert global_error(response)["errorEnum"] == "UNSUPPORTED-GRANT-TYPE"


def test_form_encoded_token_request_is_bad_request(sim):
    form = {"grant_type": "authorization_code", "code": sim.cloud.mint_code(),
            "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    response = requests.post(sim.callback_urls()["oauthToken"], data=form, timeout=5)
    assert response.status_code == 400
    assert global_error(response)["errorEnum"] == "BAD-REQUEST"
    assert "application/json" in global_error(response)["detail"]


@pytest.mark.parametrize("body, named", [
    ({"callbackAuthentication": {}}, "headers"),
    ({"headers": headers("stateCallback"), "callbackAuthentication": {}}, "interactionType"),
    ({"headers": headers("accessTokenRequest")}, "callbackAuthentication"),
])
def test_malformed_token_request_is_bad_request(sim, body, named):
    response = requests.post(sim.callback_urls()["oauthToken"], json=body, timeout=5)
    assert response.status_code == 400
    assert global_error(response)["errorEnum"] == "BAD-REQUEST"
    assert named in global_error(response)["detail"]
    assert sim.cloud.counts()["token_requests_rejected"] == 1


def test_static_refresh_keeps_refresh_token_and_issues_new_access_token(sim):
    first = tokens(sim)
    response = refresh(sim, first["refreshToken"])
    assert response.status_code == 200
    assert response.json()["headers"]["interactionType"] == "accessTokenResponse"
    second = response.json()["callbackAuthentication"]
    assert second["refreshToken"] == first["refreshToken"]
    assert second["accessToken"] != first["accessToken"]
    assert refresh(sim, first["refreshToken"]).status_code == 200  # still usable


def test_rotating_refresh_issues_new_refresh_token_and_rejects_old(make_sim):
    sim = make_sim(rotate_refresh_tokens=True)
    first = tokens(sim)
    response = refresh(sim, first["refreshToken"])
    assert response.status_code == 200
    second = response.json()["callbackAuthentication"]
    assert second["refreshToken"] != first["refreshToken"]
    old = refresh(sim, first["refreshToken"])
    assert old.status_code == 400
    assert global_error(old)["errorEnum"] == "INVALID-TOKEN"
    assert refresh(sim, second["refreshToken"]).status_code == 200


def test_refreshed_access_token_is_accepted_by_the_callback_receiver(sim):
    first = tokens(sim)
    second = refresh(sim, first["refreshToken"]).json()["callbackAuthentication"]
    response = post_callback(sim, state_callback(second["accessToken"], device_state()))
    assert response.status_code == 200


def test_unknown_refresh_token_is_invalid_token(sim):
    response = refresh(sim, "never-issued")
    assert response.status_code == 400
    assert global_error(response)["errorEnum"] == "INVALID-TOKEN"


def test_refresh_checks_client_credentials(sim):
    refresh_token = tokens(sim)["refreshToken"]
    response = refresh(sim, refresh_token, clientSecret="wrong")
    assert response.status_code == 401
    assert global_error(response)["errorEnum"] == "INVALID-CLIENT-SECRET"


def test_new_grant_supersedes_the_installations_refresh_token(sim):
    old = tokens(sim, "installation-1")
    other = tokens(sim, "installation-2")
    tokens(sim, "installation-1")  # SmartThings sent a new grantCallbackAccess
    assert refresh(sim, old["refreshToken"]).status_code == 400
    assert refresh(sim, other["refreshToken"]).status_code == 200


def test_refresh_grant_sent_as_access_token_request_is_served_and_recorded(sim):
    refresh_token = tokens(sim)["refreshToken"]
    response = post_token(sim, "accessTokenRequest", grantType="refresh_token",
                          refreshToken=refresh_token, clientId=CLIENT_ID,
                          clientSecret=CLIENT_SECRET)
    assert response.status_code == 200
    last = sim.cloud.token_grants()[-1]
    assert (last.interaction_type, last.grant_type) == ("accessTokenRequest", "refresh_token")


# --------------------------------------------------------------- callback receiver


def test_state_callback_is_accepted_and_recorded(sim, clock):
    token = tokens(sim, "installation-1")["accessToken"]
    body = state_callback(token, device_state(
        "kasa:plug-1", state(value="off", timestamp=1_700_000_000_500),
        state("st.powerMeter", "power", 0.4, unit="W")))
    response = post_callback(sim, body)
    assert response.status_code == 200
    assert response.json()["headers"]["requestId"] == body["headers"]["requestId"]
    [delivery] = sim.cloud.deliveries()
    assert delivery.interaction_type == "stateCallback"
    assert delivery.request_id == body["headers"]["requestId"]
    assert delivery.installation_id == "installation-1"
    assert delivery.received_at == START
    assert [s["value"] for s in delivery.states] == ["off", 0.4]
    power = sim.cloud.latest_state("kasa:plug-1", "st.powerMeter", "power")
    assert (power.value, power.unit, power.timestamp) == (0.4, "W", int(START * 1000))
    assert sim.cloud.latest_state("kasa:plug-1", "st.switch", "switch").value == "off"
    assert sim.cloud.counts()["callbacks_accepted"] == 1


def test_discovery_callback_is_accepted_and_recorded(sim):
    token = tokens(sim)["accessToken"]
    response = post_callback(sim, discovery_callback(token, discovered("kasa:plug-2")))
    assert response.status_code == 200
    [delivery] = sim.cloud.deliveries("discoveryCallback")
    assert delivery.devices[0]["externalDeviceId"] == "kasa:plug-2"
    assert set(sim.cloud.discovered_devices()) == {"kasa:plug-2"}


def test_device_error_is_accepted_and_device_deleted_drops_the_device(sim):
    token = tokens(sim)["accessToken"]
    post_callback(sim, discovery_callback(token, discovered("kasa:plug-2")))
    error = {"errorEnum": "DEVICE-DELETED", "detail": "gone from the partner account"}
    response = post_callback(sim, state_callback(
        token, {"externalDeviceId": "kasa:plug-2", "deviceError": [error]}))
    assert response.status_code == 200
    assert sim.cloud.device_errors("kasa:plug-2") == [error]
    assert sim.cloud.deleted_devices() == {"kasa:plug-2"}
    assert sim.cloud.discovered_devices() == {}


def test_callback_without_headers_is_rejected(sim):
    token = tokens(sim)["accessToken"]
    body = state_callback(token, device_state())
    del body["headers"]
    response = post_callback(sim, body)
    assert response.status_code == 400
    assert global_error(response)["errorEnum"] == "BAD-REQUEST"
    assert "headers" in global_error(response)["detail"]


@pytest.mark.parametrize("override, named", [
    ({"schema": "other"}, "headers.schema"),
    ({"version": "2.0"}, "headers.version"),
    ({"requestId": None}, "headers.requestId"),
    ({"requestId": "has spaces"}, "headers.requestId"),
    ({"requestId": "x" * 129}, "headers.requestId"),
])
def test_callback_with_bad_header_field_is_rejected(sim, override, named):
    token = tokens(sim)["accessToken"]
    response = post_callback(sim, state_callback(token, device_state(), **override))
    assert response.status_code == 400
    assert global_error(response)["errorEnum"] == "BAD-REQUEST"
    assert named in global_error(response)["detail"]


@pytest.mark.parametrize("interaction_type", ["callback", "commandResponse", None])
def test_callback_with_wrong_interaction_type_is_rejected(sim, interaction_type):
    token = tokens(sim)["accessToken"]
    body = state_callback(token, device_state(), interactionType=interaction_type)
    response = post_callback(sim, body)
    assert response.status_code == 400
    assert global_error(response)["errorEnum"] == "BAD-REQUEST"
    assert "headers.interactionType" in global_error(response)["detail"]


def test_invalid_state_value_is_rejected(sim):
    token = tokens(sim)["accessToken"]
    response = post_callback(sim, state_callback(token, device_state("kasa:plug-1",
                                                                     state(value="dim"))))
    assert response.status_code == 400
    detail = global_error(response)["detail"]
    assert detail.startswith("deviceState.0.states.0: st.switch.switch:")
    assert "'dim'" in detail


@pytest.mark.parametrize("bad_state, named", [
    (state("st.switchLevel", "level", 150, unit="%"), "above the maximum"),
    (state("st.temperatureMeasurement", "temperature", 21.5), "unit required"),
    (state("st.motionSensor", "motion", "active"), "unknown capability"),
    (state(timestamp=1.5), "timestamp"),
    ({"component": "main", "capability": "st.switch", "attribute": "switch"}, "value"),
    ({"capability": "st.switch", "value": "on"}, "attribute"),
])
def test_state_breaking_the_protocol_is_rejected(sim, bad_state, named):
    token = tokens(sim)["accessToken"]
    response = post_callback(sim, state_callback(token, device_state("kasa:plug-1", bad_state)))
    assert response.status_code == 400
    assert named in global_error(response)["detail"]


@pytest.mark.parametrize("entry, named", [
    ({"externalDeviceId": "kasa:1", "deviceError": {"errorEnum": "DEVICE-DELETED"}},
     "deviceState.0.deviceError"),
    ({"externalDeviceId": "kasa:1", "deviceError": [{"errorEnum": "OFFLINE"}]},
     "deviceState.0.deviceError.0.errorEnum"),
    ({"externalDeviceId": "kasa:1",
      "deviceError": [{"errorEnum": "DEVICE-UNAVAILABLE", "detail": "x" * 300}]},
     "deviceState.0.deviceError.0.detail"),
])
def test_bad_device_error_is_rejected(sim, entry, named):
    token = tokens(sim)["accessToken"]
    response = post_callback(sim, state_callback(token, entry))
    assert response.status_code == 400
    assert named in global_error(response)["detail"]


@pytest.mark.parametrize("entries, named", [
    ((), "deviceState: must not be empty"),
    (({"states": [state()]},), "externalDeviceId"),
    (({"externalDeviceId": "kasa:1"},), "needs states or deviceError"),
])
def test_state_callback_without_devices_to_report_is_rejected(sim, entries, named):
    token = tokens(sim)["accessToken"]
    response = post_callback(sim, state_callback(token, *entries))
    assert response.status_code == 400
    assert named in global_error(response)["detail"]


@pytest.mark.parametrize("device, named", [
    (discovered(manufacturerInfo={"manufacturerName": "TP-Link"}), "modelName"),
    (discovered(friendlyName=""), "friendlyName"),
    (discovered(deviceHandlerType="switch"), "deviceHandlerType"),
    (discovered(deviceContext={"groups": "Lamps"}), "deviceContext.groups"),
])
def test_discovery_callback_breaking_the_protocol_is_rejected(sim, device, named):
    token = tokens(sim)["accessToken"]
    response = post_callback(sim, discovery_callback(token, device))
    assert response.status_code == 400
    assert named in global_error(response)["detail"]


def test_state_with_a_misspelt_key_is_rejected(sim):
    token = tokens(sim)["accessToken"]
    misspelt = {"component": "main", "capability": "st.switch", "attribute": "switch",
                "valeu": "on"}
    response = post_callback(sim, state_callback(token, device_state("kasa:1", misspelt)))
    assert response.status_code == 400
    assert "valeu" in global_error(response)["detail"]


def test_state_callback_carrying_only_a_global_error_is_accepted(sim):
    token = tokens(sim)["accessToken"]
    body = state_callback(token)
    body["globalError"] = {"errorEnum": "INTEGRATION-DELETED", "detail": "partner link gone"}
    assert post_callback(sim, body).status_code == 200
    assert sim.cloud.deliveries()[0].payload["globalError"]["errorEnum"] == "INTEGRATION-DELETED"


def test_discovery_callback_accepts_a_device_profile_uuid(sim):
    token = tokens(sim)["accessToken"]
    device = discovered("smarthq:washer:1", deviceHandlerType=str(uuid.uuid4()))
    assert post_callback(sim, discovery_callback(token, device)).status_code == 200


def test_rejected_callback_records_nothing_but_the_rejection(sim):
    token = tokens(sim)["accessToken"]
    body = state_callback(token, device_state("kasa:plug-1", state(value="dim")))
    post_callback(sim, body)
    assert sim.cloud.deliveries() == []
    assert sim.cloud.latest_states() == {}
    [rejection] = sim.cloud.rejections("callback")
    assert (rejection.status, rejection.enum) == (400, "BAD-REQUEST")
    assert rejection.payload == body
    assert sim.cloud.counts()["callbacks_rejected"] == 1


def test_expired_access_token_gets_401(sim, clock):
    token = tokens(sim)["accessToken"]
    clock.advance(86400)
    response = post_callback(sim, state_callback(token, device_state()))
    assert response.status_code == 401
    assert global_error(response)["errorEnum"] == "TOKEN-EXPIRED"
    assert sim.cloud.counts()["callbacks_unauthorized"] == 1


def test_access_token_is_live_until_it_expires(sim, clock):
    token = tokens(sim)["accessToken"]
    clock.advance(86399)
    assert post_callback(sim, state_callback(token, device_state())).status_code == 200


def test_unknown_access_token_gets_401(sim):
    response = post_callback(sim, state_callback("never-issued", device_state()))
    assert response.status_code == 401
    assert global_error(response)["errorEnum"] == "INVALID-TOKEN"


def test_callback_without_authentication_gets_401(sim):
    body = state_callback("unused", device_state())
    del body["authentication"]
    response = post_callback(sim, body)
    assert response.status_code == 401
    assert global_error(response)["errorEnum"] == "INVALID-TOKEN"


def test_older_timestamp_does_not_overwrite_newer_state(sim):
    token = tokens(sim)["accessToken"]
    post_callback(sim, state_callback(token, device_state("kasa:1", state(value="on",
                                                                          timestamp=2000))))
    late = post_callback(sim, state_callback(token, device_state("kasa:1", state(
        value="off", timestamp=1000))))
    assert late.status_code == 200  # accepted, just not applied
    held = sim.cloud.latest_state("kasa:1", "st.switch", "switch")
    assert (held.value, held.timestamp) == ("on", 2000)
    assert sim.cloud.counts()["states_stale"] == 1
    assert len(sim.cloud.deliveries()) == 2


def test_newer_timestamp_overwrites_older_state(sim):
    token = tokens(sim)["accessToken"]
    for value, stamp in (("on", 1000), ("off", 2000)):
        post_callback(sim, state_callback(token, device_state("kasa:1", state(
            value=value, timestamp=stamp))))
    assert sim.cloud.latest_state("kasa:1", "st.switch", "switch").value == "off"


def test_state_without_timestamp_is_ordered_by_time_received(sim, clock):
    token = tokens(sim)["accessToken"]
    post_callback(sim, state_callback(token, device_state("kasa:1", state(value="on"))))
    stale = int(START * 1000) - 1
    post_callback(sim, state_callback(token, device_state("kasa:1", state(
        value="off", timestamp=stale))))
    assert sim.cloud.latest_state("kasa:1", "st.switch", "switch").value == "on"
    clock.advance(1)
    post_callback(sim, state_callback(token, device_state("kasa:1", state(value="off"))))
    assert sim.cloud.latest_state("kasa:1", "st.switch", "switch").value == "off"


def test_timestamp_ordering_is_per_attribute(sim):
    token = tokens(sim)["accessToken"]
    post_callback(sim, state_callback(token, device_state("kasa:1", state(timestamp=2000))))
    post_callback(sim, state_callback(token, device_state("kasa:1", state(
        "st.switchLevel", "level", 40, unit="%", timestamp=1000))))
    assert sim.cloud.latest_state("kasa:1", "st.switchLevel", "level").value == 40


# ---------------------------------------------------------------------- fault knobs


@pytest.mark.parametrize("status", [401, 429, 500, 503])
def test_fail_next_answers_n_callbacks_with_the_status(sim, status):
    token = tokens(sim)["accessToken"]
    sim.cloud.fail_next(status, 2)
    body = state_callback(token, device_state())
    assert [post_callback(sim, body).status_code for _ in range(3)] == [status, status, 200]
    assert len(sim.cloud.deliveries()) == 1
    assert sim.cloud.counts()["callbacks_faulted"] == 2


def test_429_carries_retry_after(sim):
    token = tokens(sim)["accessToken"]
    sim.cloud.fail_next(429)
    assert post_callback(sim, state_callback(token, device_state())).headers[
        "Retry-After"] == "1"
    sim.cloud.fail_next(429, retry_after=7)
    assert post_callback(sim, state_callback(token, device_state())).headers[
        "Retry-After"] == "7"


def test_fail_next_token_calls_leaves_callbacks_alone(sim):
    token = tokens(sim)["accessToken"]
    sim.cloud.fail_next(503, target="token")
    assert post_callback(sim, state_callback(token, device_state())).status_code == 200
    code = sim.cloud.mint_code()
    assert exchange_code(sim, code).status_code == 503
    assert exchange_code(sim, code).status_code == 200  # the fault did not spend the code
    assert sim.cloud.counts()["token_requests_faulted"] == 1


def test_fail_next_for_all_targets_hits_whichever_comes_first(sim):
    token = tokens(sim)["accessToken"]
    sim.cloud.fail_next(500, 2, target="all")
    assert exchange_code(sim, sim.cloud.mint_code()).status_code == 500
    assert post_callback(sim, state_callback(token, device_state())).status_code == 500
    assert post_callback(sim, state_callback(token, device_state())).status_code == 200


def test_down_answers_503_for_everything_until_up(sim):
    token = tokens(sim)["accessToken"]
    sim.cloud.set_down()
    assert post_callback(sim, state_callback(token, device_state())).status_code == 503
    assert exchange_code(sim, sim.cloud.mint_code()).status_code == 503
    assert requests.get(f"{sim.url}/__sim/counts", timeout=5).status_code == 200
    sim.cloud.set_down(False)
    assert post_callback(sim, state_callback(token, device_state())).status_code == 200
    assert sim.cloud.counts()["refused_while_down"] == 2


def test_latency_delays_answers_to_its_target(sim):
    token = tokens(sim)["accessToken"]
    sim.cloud.set_latency(0.3, target="callback")
    began = time.monotonic()
    assert post_callback(sim, state_callback(token, device_state())).status_code == 200
    assert time.monotonic() - began >= 0.3
    began = time.monotonic()
    tokens(sim)
    assert time.monotonic() - began < 0.3


def test_expire_access_tokens_makes_callbacks_401(sim):
    token = tokens(sim)["accessToken"]
    sim.cloud.expire_access_tokens()
    response = post_callback(sim, state_callback(token, device_state()))
    assert response.status_code == 401
    assert global_error(response)["errorEnum"] == "TOKEN-EXPIRED"


def test_expired_access_token_recovers_through_refresh(sim):
    granted = tokens(sim)
    sim.cloud.expire_access_tokens()
    fresh = refresh(sim, granted["refreshToken"]).json()["callbackAuthentication"]
    assert post_callback(sim, state_callback(fresh["accessToken"],
                                             device_state())).status_code == 200


def test_revoke_refresh_tokens_rejects_refresh(sim):
    refresh_token = tokens(sim)["refreshToken"]
    sim.cloud.revoke_refresh_tokens()
    response = refresh(sim, refresh_token)
    assert response.status_code == 400
    assert global_error(response)["errorEnum"] == "INVALID-TOKEN"


def test_reset_faults_clears_pending_faults_down_and_latency(sim):
    token = tokens(sim)["accessToken"]
    sim.cloud.fail_next(500, 5)
    sim.cloud.set_down()
    sim.cloud.set_latency(5)
    sim.cloud.reset_faults()
    began = time.monotonic()
    assert post_callback(sim, state_callback(token, device_state())).status_code == 200
    assert time.monotonic() - began < 1


def test_fault_knobs_refuse_nonsense(sim):
    with pytest.raises(ValueError):
        sim.cloud.fail_next(200)
    with pytest.raises(ValueError):
        sim.cloud.fail_next(500, target="webhook")
    with pytest.raises(ValueError):
        sim.cloud.set_latency(-1)


# ------------------------------------------------------------------------ admin API


def admin(sim, method: str, path: str, body=None) -> requests.Response:
    return requests.request(method, f"{sim.url}/__sim/{path}", json=body, timeout=5)


def test_admin_fault_endpoint_injects_429_with_retry_after(sim):
    token = tokens(sim)["accessToken"]
    assert admin(sim, "POST", "faults", {"status": 429, "count": 1, "target": "callback",
                                         "retryAfter": 3}).status_code == 200
    response = post_callback(sim, state_callback(token, device_state()))
    assert (response.status_code, response.headers["Retry-After"]) == (429, "3")


def test_admin_fault_endpoint_refuses_bad_arguments(sim):
    assert admin(sim, "POST", "faults", {"status": "500"}).status_code == 400
    assert admin(sim, "POST", "faults", {"status": 500, "target": "x"}).status_code == 400
    assert admin(sim, "POST", "latency", {"seconds": "1"}).status_code == 400


def test_admin_down_and_reset_endpoints(sim):
    token = tokens(sim)["accessToken"]
    admin(sim, "POST", "down", {"down": True})
    assert post_callback(sim, state_callback(token, device_state())).status_code == 503
    admin(sim, "DELETE", "faults")
    assert post_callback(sim, state_callback(token, device_state())).status_code == 200


def test_admin_latency_endpoint(sim):
    admin(sim, "POST", "latency", {"seconds": 0.2, "target": "token"})
    began = time.monotonic()
    tokens(sim)
    assert time.monotonic() - began >= 0.2


def test_admin_token_endpoints_expire_and_revoke(sim):
    granted = tokens(sim)
    admin(sim, "POST", "expire-access-tokens")
    assert post_callback(sim, state_callback(granted["accessToken"],
                                             device_state())).status_code == 401
    admin(sim, "POST", "revoke-refresh-tokens")
    assert refresh(sim, granted["refreshToken"]).status_code == 400


def test_admin_codes_endpoint_mints_an_exchangeable_code(sim):
    answer = admin(sim, "POST", "codes", {"installationId": "location-9"}).json()
    assert answer["installationId"] == "location-9"
    assert answer["clientId"] == CLIENT_ID
    assert answer["callbackUrls"] == sim.callback_urls()
    assert exchange_code(sim, answer["code"]).status_code == 200
    assert sim.cloud.token_grants()[0].installation_id == "location-9"


def test_admin_reset_endpoint_forgets_tokens(sim):
    token = tokens(sim)["accessToken"]
    assert admin(sim, "POST", "reset").status_code == 200
    assert post_callback(sim, state_callback(token, device_state())).status_code == 401


def test_admin_query_endpoints_report_deliveries_states_and_counts(sim):
    token = tokens(sim)["accessToken"]
    post_callback(sim, state_callback(token, device_state("kasa:1", state(timestamp=5))))
    post_callback(sim, discovery_callback(token, discovered("kasa:2")))
    post_callback(sim, state_callback(token, device_state("kasa:1", state(value="dim"))))
    deliveries = admin(sim, "GET", "deliveries").json()
    assert [d["interaction_type"] for d in deliveries] == ["stateCallback", "discoveryCallback"]
    [stored] = admin(sim, "GET", "states").json()
    assert (stored["external_id"], stored["value"], stored["timestamp"]) == ("kasa:1", "on", 5)
    assert list(admin(sim, "GET", "devices").json()) == ["kasa:2"]
    assert len(admin(sim, "GET", "rejections").json()) == 1
    counts = admin(sim, "GET", "counts").json()
    assert (counts["callbacks_accepted"], counts["callbacks_rejected"]) == (2, 1)
    admin(sim, "POST", "clear")
    assert admin(sim, "GET", "deliveries").json() == []


# ------------------------------------------------------------ query helpers, runner


def test_wait_for_returns_once_a_delivery_arrives(sim):
    token = tokens(sim)["accessToken"]
    sender = threading.Timer(0.1, post_callback, (sim, state_callback(token, device_state())))
    sender.start()
    try:
        deliveries = sim.cloud.wait_for(lambda: sim.cloud.deliveries(), timeout=5)
    finally:
        sender.join()
    assert len(deliveries) == 1


def test_wait_for_raises_timeout_error(sim):
    began = time.monotonic()
    with pytest.raises(TimeoutError):
        sim.cloud.wait_for(lambda: sim.cloud.deliveries(), timeout=0.2)
    assert time.monotonic() - began >= 0.2


def test_deliveries_filter_by_type_and_installation(sim):
    one = tokens(sim, "installation-1")["accessToken"]
    two = tokens(sim, "installation-2")["accessToken"]
    post_callback(sim, state_callback(one, device_state()))
    post_callback(sim, discovery_callback(two, discovered()))
    assert [d.installation_id for d in sim.cloud.deliveries("stateCallback")] == [
        "installation-1"]
    assert [d.interaction_type for d in sim.cloud.deliveries(
        installation_id="installation-2")] == ["discoveryCallback"]


def test_callback_urls_point_at_the_running_cloud(sim):
    assert sim.url.startswith("http://127.0.0.1:")
    assert sim.callback_urls() == {"oauthToken": f"{sim.url}/oauth/token",
                                   "stateCallback": f"{sim.url}/device/events"}


def test_grant_callback_access_carries_an_exchangeable_code(sim):
    grant = sim.grant_callback_access("partner-token", "installation-7")
    assert grant["headers"]["interactionType"] == "grantCallbackAccess"
    assert grant["authentication"]["token"] == "partner-token"
    assert grant["callbackAuthentication"]["clientId"] == CLIENT_ID
    assert grant["callbackUrls"] == sim.callback_urls()
    assert exchange_code(sim, grant["callbackAuthentication"]["code"]).status_code == 200


def test_cloud_needs_the_connectors_client_credentials():
    with pytest.raises(ValueError):
        SimulatedSmartThings(CLIENT_ID, "")


def test_context_manager_serves_then_stops():
    with SimulatedSmartThings(CLIENT_ID, CLIENT_SECRET) as sim:
        url = sim.url
        assert requests.get(f"{url}/__sim/counts", timeout=5).status_code == 200
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/__sim/counts", timeout=2)
    with pytest.raises(RuntimeError):
        sim.url
