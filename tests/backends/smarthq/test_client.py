"""SmartHQClient against a scripted Digital Twin API (``responses``): wire format, errors,
command outcomes, paging, retries, deadlines and token refresh."""
from __future__ import annotations

import json
import logging
from urllib.parse import parse_qs, urlparse

import pytest
import requests
import responses
from responses import matchers

from connector.backends.base import (
    CommandRejected,
    DeviceNotFound,
    DeviceNotResponding,
    DeviceOffline,
    FatalError,
    LinkExpired,
    MalformedDeviceList,
    PartnerError,
    RateLimited,
    ReauthRequired,
    RetryableError,
    device_error_for,
)
from connector.backends.smarthq.client import (
    PAGE_SIZE_MAX,
    RetryPolicy,
    SmartHQClient,
    StaticTokens,
    TokenSource,
)
from connector.backends.smarthq.errors import (
    CommandFailed,
    CommandTimedOut,
    ConnectFailed,
    ServiceDisabled,
    parse_retry_after,
    scrub,
)
from connector.model import DeviceErrorEnum
from connector.oauth.tokens import StoredTokens

API = "https://smarthq.test"
DEV = "3b1c0f2e9a7d4c11"
TOKEN, NEW_TOKEN = "jwt-AAA-secret", "jwt-BBB-secret"
TRIPLE = ("cloud.smarthq.service.toggle", "cloud.smarthq.domain.turbo",
          "cloud.smarthq.device.refrigerator.freshfood")
TOGGLE = {"commandType": "cloud.smarthq.command.toggle.set", "on": True}


class FakeTokens:
    """A token source whose refresh hands out the next token (or fails as told)."""

    def __init__(self, fail: Exception | None = None):
        self.token = TOKEN
        self.refreshes: list[str] = []
        self.fail = fail

    def access_token(self, deadline=None) -> str:
        return self.token

    def refresh(self, stale_token: str, deadline=None) -> str:
        self.refreshes.append(stale_token)
        if self.fail:
            raise self.fail
        self.token = NEW_TOKEN
        return self.token


class FakeTime:
    """A monotonic clock that only moves when the client sleeps."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def fake_time():
    return FakeTime()


@pytest.fixture
def tokens():
    return FakeTokens()


@pytest.fixture
def client(tokens, fake_time):
    return SmartHQClient(API, tokens, clock=fake_time.clock, sleep=fake_time.sleep)


def error(code, reason="something went wrong", message=None):
    return {"kind": "error", "code": code, "message": message or "Error", "reason": reason}


def accepted(outcome="cloud.smarthq.outcome.success", success=True):
    return {"kind": "service#command", "success": success, "correlationId": "6f1f6c2e-7d0a",
            "services": [], "outcome": outcome}


def send(client, **kw):
    return client.send_command(DEV, *TRIPLE, TOGGLE, **kw)


# -- wire format -------------------------------------------------------------------------


def test_calls_send_the_bearer_token_and_json_headers(rsps, client):
    rsps.get(API + f"/v2/device/{DEV}", json={"kind": "device#item", "deviceId": DEV})
    client.device(DEV, request_id="st-req-42")
    headers = rsps.calls[0].request.headers
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["Accept"] == "application/json"
    assert "Content-Type" not in headers  # no body on a GET
    # SmartHQ documents no request-id header; none is invented.
    assert not [h for h in headers if "request" in h.lower()]


def test_a_command_is_addressed_by_its_service_triple(rsps, client):
    rsps.post(API + "/v2/command", json=accepted())
    answer = send(client)
    body = json.loads(rsps.calls[0].request.body)
    assert body == {"kind": "service#command", "deviceId": DEV, "serviceType": TRIPLE[0],
                    "domainType": TRIPLE[1], "serviceDeviceType": TRIPLE[2], "command": TOGGLE}
    assert rsps.calls[0].request.headers["Content-Type"] == "application/json"
    assert answer["correlationId"] == "6f1f6c2e-7d0a"


ENDPOINTS = [
    # (method name, args, kwargs, HTTP method, path, query, body)
    ("device", (DEV,), {}, "GET", f"/v2/device/{DEV}", {}, None),
    ("service", (DEV, "s-1"), {}, "GET", f"/v2/device/{DEV}/service/s-1", {}, None),
    ("device_page", (2, 25), {"filters": {"deviceType": "cloud.smarthq.device.washer"}}, "GET",
     "/v2/device", {"page": ["2"], "perpage": ["25"], "deviceType": ["cloud.smarthq.device.washer"]},
     None),
    ("command_outcomes", ("6f1f",), {}, "GET", "/v2/command/6f1f", {}, None),
    ("command_summary", ("6f1f",), {}, "GET", "/v2/command/6f1f/summary", {}, None),
    ("pubsub", (), {}, "GET", "/v2/pubsub", {}, None),
    ("set_pubsub", (), {"alerts": False}, "POST", "/v2/pubsub", {},
     {"kind": "user#pubsub", "pubsub": True, "services": True, "presence": True, "alerts": False,
      "commands": True}),
    ("delete_pubsub", (), {}, "DELETE", "/v2/pubsub", {}, None),
    ("device_pubsub", (DEV,), {}, "GET", f"/v2/device/{DEV}/pubsub", {}, None),
    ("set_device_pubsub", (DEV,), {}, "POST", f"/v2/device/{DEV}/pubsub", {},
     {"kind": "device#pubsub", "pubsub": True, "services": True, "presence": True,
      "alerts": False, "commands": False}),
    ("delete_device_pubsub", (DEV,), {}, "DELETE", f"/v2/device/{DEV}/pubsub", {}, None),
]


@pytest.mark.parametrize("name, args, kwargs, method, path, query, body", ENDPOINTS,
                         ids=[e[0] for e in ENDPOINTS])
def test_endpoint_wire_format(rsps, client, name, args, kwargs, method, path, query, body):
    rsps.add(method, API + path, json={"kind": "x"})
    assert getattr(client, name)(*args, **kwargs) == {"kind": "x"}
    request = rsps.calls[0].request
    assert request.method == method
    assert request.path_url.split("?")[0] == path
    assert parse_qs(urlparse(request.url).query) == query
    assert (json.loads(request.body) if request.body else None) == body


def test_a_204_is_an_empty_dict(rsps, client):
    rsps.delete(API + "/v2/pubsub", status=204)
    assert client.delete_pubsub() == {}


def test_ids_are_quoted_into_one_path_segment(rsps, client):
    rsps.get(API + "/v2/device/a%2F..%2Fb", json={"kind": "device#item"})
    client.device("a/../b")
    assert rsps.calls[0].request.path_url == "/v2/device/a%2F..%2Fb"


def test_websocket_endpoint_is_a_get_and_returns_the_url(rsps, client):
    rsps.get(API + "/v2/websocket", json={"kind": "websocket#endpoint",
                                          "endpoint": "wss://ws.test/ws?access_token=zzz"})
    assert client.websocket_endpoint() == "wss://ws.test/ws?access_token=zzz"
    assert rsps.calls[0].request.method == "GET"  # smarthq-api.md corrects the overview's POST


def test_websocket_answer_without_endpoint_is_fatal(rsps, client):
    rsps.get(API + "/v2/websocket", json={"kind": "websocket#endpoint"})
    with pytest.raises(FatalError):
        client.websocket_endpoint()


@pytest.mark.parametrize("call", [
    lambda c: c.device_page(0),
    lambda c: c.device_page(1, PAGE_SIZE_MAX + 1),
    lambda c: c.device_page(1, 0),
    lambda c: c.send_command(DEV, *TRIPLE, {"on": True}),
    lambda c: c.set_pubsub(services="yes"),
])
def test_bad_arguments_fail_before_any_request(rsps, client, call):
    with pytest.raises(ValueError):
        call(client)
    assert len(rsps.calls) == 0


# -- paging ------------------------------------------------------------------------------


def page(n, count, total):
    start = (n - 1) * PAGE_SIZE_MAX
    return {"kind": "device#list", "page": n, "perpage": PAGE_SIZE_MAX, "total": total,
            "devices": [{"deviceId": f"d{start + i}"} for i in range(count)]}


def test_list_devices_reads_every_page(rsps, client):
    for n, count in ((1, 100), (2, 100), (3, 17)):
        rsps.get(API + "/v2/device", json=page(n, count, 217),
                 match=[matchers.query_param_matcher({"page": str(n), "perpage": "100"})])
    devices = client.list_devices()
    assert [d["deviceId"] for d in devices] == [f"d{i}" for i in range(217)]
    assert len(rsps.calls) == 3


def test_list_devices_stops_at_total_without_an_empty_page(rsps, client):
    rsps.get(API + "/v2/device", json=page(1, 100, 100))
    assert len(client.list_devices()) == 100
    assert len(rsps.calls) == 1


def test_list_devices_stops_at_a_short_page_even_if_total_says_more(rsps, client):
    rsps.get(API + "/v2/device", json=page(1, 3, 999))
    assert len(client.list_devices()) == 3
    assert len(rsps.calls) == 1


def test_list_devices_without_total_reads_until_an_empty_page(rsps, client):
    full = {"kind": "device#list", "devices": [{"deviceId": f"d{i}"} for i in range(100)]}
    rsps.get(API + "/v2/device", json=full,
             match=[matchers.query_param_matcher({"page": "1", "perpage": "100"})])
    rsps.get(API + "/v2/device", json={"kind": "device#list", "devices": []},
             match=[matchers.query_param_matcher({"page": "2", "perpage": "100"})])
    assert len(client.list_devices()) == 100


def test_list_devices_never_loops_forever(rsps, client):
    full = {"kind": "device#list", "devices": [{"deviceId": "same"}] * 100}
    rsps.get(API + "/v2/device", json=full)
    with pytest.raises(FatalError):
        client.list_devices()


@pytest.mark.parametrize("answer", [{"kind": "device#list"}, {"kind": "device#list", "devices": None}])
def test_a_page_without_a_devices_array_fails_rather_than_listing_nothing(rsps, client, answer):
    # An empty list would make every appliance look removed.
    rsps.get(API + "/v2/device", json=answer)
    with pytest.raises(MalformedDeviceList):
        client.list_devices()


def test_list_devices_passes_filters(rsps, client):
    rsps.get(API + "/v2/device", json=page(1, 0, 0))
    client.list_devices(filters={"deviceType": "^cloud.smarthq.device.wifi"})
    assert "deviceType=%5Ecloud.smarthq.device.wifi" in rsps.calls[0].request.url


# -- command outcomes --------------------------------------------------------------------


@pytest.mark.parametrize("answer, expected, enum", [
    (accepted("cloud.smarthq.outcome.servicedisabled", success=False), ServiceDisabled,
     DeviceErrorEnum.DEVICE_UNAVAILABLE),
    (accepted("cloud.smarthq.outcome.timeout", success=False), CommandTimedOut,
     DeviceErrorEnum.DEVICE_UNAVAILABLE),
    (accepted("cloud.smarthq.outcome.timeout", success=True), CommandTimedOut,
     DeviceErrorEnum.DEVICE_UNAVAILABLE),
    (accepted("cloud.smarthq.outcome.somethingnew", success=False), CommandFailed,
     DeviceErrorEnum.DEVICE_UNAVAILABLE),
    ({"kind": "service#command", "success": False}, CommandFailed,
     DeviceErrorEnum.DEVICE_UNAVAILABLE),
])
def test_a_200_is_checked_for_success_and_outcome(rsps, client, answer, expected, enum):
    rsps.post(API + "/v2/command", json=answer)
    with pytest.raises(expected) as err:
        send(client)
    assert type(err.value) is expected
    assert device_error_for(err.value).enum == enum
    assert len(rsps.calls) == 1  # an outcome is an answer: never repeated


def test_a_200_without_outcome_counts_as_accepted(rsps, client):
    rsps.post(API + "/v2/command", json={"kind": "service#command", "correlationId": "c"})
    assert send(client)["correlationId"] == "c"


def test_service_disabled_says_remote_control_may_be_off(rsps, client):
    rsps.post(API + "/v2/command", json=accepted("cloud.smarthq.outcome.servicedisabled", False))
    with pytest.raises(ServiceDisabled) as err:
        send(client)
    assert "remote control" in err.value.detail


# -- errors ------------------------------------------------------------------------------

ERRORS = [
    # (status, body, call, expected)
    (412, error(412, "Gateway or device is offline, or service state is unknown"), "command",
     DeviceOffline),
    (400, error(400, "service not found for the triple"), "command", CommandRejected),
    (400, None, "read", FatalError),
    (401, error(401, "Unauthorized"), "read", ReauthRequired),
    (403, error(403, "Forbidden"), "command", FatalError),
    (403, None, "read", FatalError),
    (404, error(404, "Not Found"), "read", DeviceNotFound),
    (408, None, "read", DeviceNotResponding),
    (409, None, "read", FatalError),
    (429, error(429, "Exceeded limit of 600 requests per minute per appId per userId."), "read",
     RateLimited),
    (500, None, "read", RetryableError),
    (503, error(503, "maintenance"), "command", RetryableError),
    (302, None, "read", FatalError),
    (418, None, "read", FatalError),
]


def _do(client, kind):
    return client.device(DEV) if kind == "read" else send(client)


@pytest.mark.parametrize("status, body, kind, expected", ERRORS)
def test_statuses_become_typed_errors(rsps, client, tokens, status, body, kind, expected):
    if status == 401:
        tokens.fail = LinkExpired("dead")  # keep the refresh out of this test
        expected = LinkExpired
    path = f"/v2/device/{DEV}" if kind == "read" else "/v2/command"
    rsps.add("GET" if kind == "read" else "POST", API + path, status=status, json=body,
             headers={"Location": "https://elsewhere.test/"} if status == 302 else {})
    with pytest.raises(expected) as err:
        _do(client, kind)
    assert type(err.value) is expected  # not a sibling or a looser parent
    if status != 401:
        assert err.value.status == status


def test_a_missing_service_or_correlation_id_is_not_a_missing_device(rsps, client):
    rsps.get(API + f"/v2/device/{DEV}/service/gone", status=404, json=error(404))
    rsps.get(API + "/v2/command/nope", status=404, json=error(404))
    with pytest.raises(FatalError) as err:
        client.service(DEV, "gone")
    assert not isinstance(err.value, DeviceNotFound)
    with pytest.raises(FatalError) as err:
        client.command_outcomes("nope")
    assert not isinstance(err.value, DeviceNotFound)


def test_offline_command_maps_to_device_unavailable(rsps, client):
    rsps.post(API + "/v2/command", status=412, json=error(412, "Gateway or device is offline"))
    with pytest.raises(DeviceOffline) as err:
        send(client)
    assert device_error_for(err.value).enum == DeviceErrorEnum.DEVICE_UNAVAILABLE
    assert "offline" in err.value.detail


def test_a_refused_command_is_a_constraint_violation(rsps, client):
    rsps.post(API + "/v2/command", status=400, json=error(400, "fahrenheit 50 is outside 34..42"))
    with pytest.raises(CommandRejected) as err:
        send(client)
    assert device_error_for(err.value).enum == DeviceErrorEnum.RESOURCE_CONSTRAINT_VIOLATION
    assert "34..42" in err.value.detail


def test_partner_words_are_in_the_detail_once(rsps, client):
    rsps.get(API + f"/v2/device/{DEV}", status=409,
             json=error(409, "Device not removable", message="Device not removable"))
    with pytest.raises(FatalError) as err:
        client.device(DEV)
    assert err.value.detail == "SmartHQ HTTP 409: Device not removable"


def test_a_200_that_is_not_json_is_retryable(rsps, client):
    rsps.get(API + f"/v2/device/{DEV}", body="<html>proxy</html>")
    with pytest.raises(RetryableError):
        client.device(DEV)


def test_a_200_with_a_json_list_is_retryable(rsps, client):
    rsps.get(API + f"/v2/device/{DEV}", json=[1, 2])
    with pytest.raises(RetryableError):
        client.device(DEV)


@pytest.mark.parametrize("exc, expected, code", [
    (requests.ConnectTimeout("connect timed out"), ConnectFailed, "CONNECT"),
    (requests.ReadTimeout("read timed out"), RetryableError, "TIMEOUT"),
    (requests.ConnectionError("Connection aborted"), RetryableError, "CONNECTION"),
])
def test_transport_failures_are_retryable(rsps, client, fake_time, exc, expected, code):
    rsps.get(API + f"/v2/device/{DEV}", body=exc)
    with pytest.raises(expected) as err:
        client.device(DEV)
    assert err.value.code == code
    assert len(rsps.calls) == 3  # retried to the policy's limit


# -- retries and deadlines ---------------------------------------------------------------


def test_retryable_errors_back_off_exponentially_with_jitter(rsps, client, fake_time):
    rsps.get(API + f"/v2/device/{DEV}", status=503)
    with pytest.raises(RetryableError):
        client.device(DEV)
    first, second = fake_time.sleeps
    assert 0.1 <= first <= 0.2 and 0.2 <= second <= 0.4


def test_a_retry_that_succeeds_returns_the_answer(rsps, client):
    rsps.get(API + f"/v2/device/{DEV}", status=500)
    rsps.get(API + f"/v2/device/{DEV}", json={"kind": "device#item"})
    assert client.device(DEV) == {"kind": "device#item"}


def test_fatal_errors_are_not_retried(rsps, client, fake_time):
    rsps.get(API + f"/v2/device/{DEV}", status=404, json=error(404))
    with pytest.raises(DeviceNotFound):
        client.device(DEV)
    assert len(rsps.calls) == 1 and fake_time.sleeps == []


def test_no_retry_when_the_deadline_leaves_no_room(rsps, client, fake_time):
    rsps.get(API + f"/v2/device/{DEV}", status=503)
    with pytest.raises(RetryableError):
        client.device(DEV, deadline=fake_time.now + 0.3)
    assert len(rsps.calls) == 1


def test_retry_policy_is_configurable(rsps, tokens, fake_time):
    client = SmartHQClient(API, tokens, retry=RetryPolicy(attempts=5), clock=fake_time.clock,
                           sleep=fake_time.sleep)
    rsps.get(API + f"/v2/device/{DEV}", status=503)
    with pytest.raises(RetryableError):
        client.device(DEV)
    assert len(rsps.calls) == 5


def test_rate_limit_waits_retry_after_within_the_deadline(rsps, client, fake_time):
    rsps.get(API + f"/v2/device/{DEV}", status=429, json=error(429), headers={"Retry-After": "2"})
    rsps.get(API + f"/v2/device/{DEV}", json={"kind": "device#item"})
    assert client.device(DEV, deadline=fake_time.now + 5) == {"kind": "device#item"}
    assert fake_time.sleeps == [2.0]


def test_rate_limit_beyond_the_deadline_raises_at_once(rsps, client, fake_time):
    rsps.get(API + f"/v2/device/{DEV}", status=429, headers={"Retry-After": "30"})
    with pytest.raises(RateLimited) as err:
        client.device(DEV, deadline=fake_time.now + 5)
    assert err.value.retry_after == 30.0
    assert len(rsps.calls) == 1 and fake_time.sleeps == []


@pytest.mark.parametrize("value, seconds", [("3", 3.0), ("0", 0.0), ("soon", None), (None, None),
                                            ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0)])
def test_parse_retry_after(value, seconds):
    assert parse_retry_after(value, now=1445412480.0 + 10) == seconds


def test_commands_are_repeated_only_when_smarthq_never_saw_them(rsps, client):
    rsps.post(API + "/v2/command", status=503)
    with pytest.raises(RetryableError):
        send(client)
    assert len(rsps.calls) == 1  # a trigger.do must not fire twice
    rsps.replace("POST", API + "/v2/command", body=requests.ConnectTimeout("no route"))
    with pytest.raises(ConnectFailed):
        send(client)
    assert len(rsps.calls) == 4  # 1 + 3 attempts that surely never arrived


def test_a_429_on_a_command_is_retried(rsps, client, fake_time):
    rsps.post(API + "/v2/command", status=429, headers={"Retry-After": "1"})
    rsps.post(API + "/v2/command", json=accepted())
    assert send(client, deadline=fake_time.now + 5)["success"] is True


@pytest.mark.parametrize("left, expected", [(5.0, (3.05, 5.0)), (1.5, (1.5, 1.5))])
def test_the_deadline_caps_timeouts(rsps, client, fake_time, left, expected, monkeypatch):
    seen = {}
    real = requests.Session.request

    def spy(self, *args, **kwargs):
        seen["timeout"] = kwargs["timeout"]
        return real(self, *args, **kwargs)

    monkeypatch.setattr(requests.Session, "request", spy)
    rsps.get(API + f"/v2/device/{DEV}", json={})
    client.device(DEV, deadline=fake_time.now + left)
    assert seen["timeout"] == expected


def test_a_passed_deadline_makes_no_request(rsps, client, fake_time):
    with pytest.raises(RetryableError) as err:
        client.device(DEV, deadline=fake_time.now - 1)
    assert err.value.code == "DEADLINE"
    assert len(rsps.calls) == 0


def test_no_redirects_are_followed(rsps, client):
    rsps.get(API + f"/v2/device/{DEV}", status=302, headers={"Location": "https://evil.test/"})
    with pytest.raises(FatalError):
        client.device(DEV)
    assert len(rsps.calls) == 1


# -- tokens ------------------------------------------------------------------------------


def test_unauthorized_refreshes_once_and_retries(rsps, client, tokens):
    rsps.get(API + f"/v2/device/{DEV}", status=401, json=error(401))
    rsps.get(API + f"/v2/device/{DEV}", json={"kind": "device#item"})
    assert client.device(DEV) == {"kind": "device#item"}
    assert tokens.refreshes == [TOKEN]
    assert rsps.calls[1].request.headers["Authorization"] == f"Bearer {NEW_TOKEN}"


def test_still_unauthorized_after_refresh_needs_reauth(rsps, client, tokens):
    rsps.get(API + f"/v2/device/{DEV}", status=401, json=error(401))
    with pytest.raises(ReauthRequired) as err:
        client.device(DEV)
    assert not isinstance(err.value, LinkExpired)
    assert len(rsps.calls) == 2 and tokens.refreshes == [TOKEN]


def test_a_refused_refresh_propagates_link_expired(rsps, fake_time):
    tokens = FakeTokens(fail=LinkExpired("re-link"))
    client = SmartHQClient(API, tokens, clock=fake_time.clock, sleep=fake_time.sleep)
    rsps.get(API + f"/v2/device/{DEV}", status=401)
    with pytest.raises(LinkExpired):
        client.device(DEV)


def test_forbidden_does_not_refresh(rsps, client, tokens):
    rsps.get(API + f"/v2/device/{DEV}", status=403, json=error(403))
    with pytest.raises(FatalError):
        client.device(DEV)
    assert tokens.refreshes == []


def test_static_tokens_cannot_refresh(rsps):
    client = SmartHQClient(API, StaticTokens(TOKEN))
    rsps.get(API + f"/v2/device/{DEV}", status=401)
    with pytest.raises(LinkExpired):
        client.device(DEV)
    assert TOKEN not in repr(StaticTokens(TOKEN))


def test_stored_tokens_implement_the_token_source_protocol():
    assert issubclass(StoredTokens, TokenSource)
    assert isinstance(StaticTokens(TOKEN), TokenSource)


@pytest.mark.parametrize("status, body", [
    (401, error(401, f"token {TOKEN} expired")),
    (400, error(400, f"bad Bearer {TOKEN}")),
])
def test_no_secret_in_exceptions_or_logs(rsps, client, tokens, status, body, caplog):
    tokens.fail = LinkExpired("re-link")
    rsps.add("GET", API + f"/v2/device/{DEV}", status=status, json=body)
    rsps.add("POST", API + "/v2/command", status=status, json=body)
    caplog.set_level(logging.DEBUG)
    for call in (lambda: client.device(DEV), lambda: send(client)):
        with pytest.raises(PartnerError) as err:
            call()
        assert TOKEN not in str(err.value) and TOKEN not in err.value.detail
    assert TOKEN not in caplog.text


def test_scrub_cuts_tokens_out_of_websocket_urls():
    text = scrub("wss://ws.test/socket?access_token=abc.def.ghi&x=1")
    assert "abc.def.ghi" not in text and "x=1" in text


def test_partner_messages_are_truncated(rsps, client):
    rsps.get(API + f"/v2/device/{DEV}", status=409, json=error(409, "x" * 5000))
    with pytest.raises(FatalError) as err:
        client.device(DEV)
    assert len(err.value.detail) < 260


def test_an_injected_session_is_used(tokens):
    session = requests.Session()
    with responses.RequestsMock() as mock:
        mock.get(API + f"/v2/device/{DEV}", json={})
        SmartHQClient(API, tokens, session=session).device(DEV)
        assert len(mock.calls) == 1
