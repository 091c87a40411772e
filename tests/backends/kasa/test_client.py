"""KasaClient against a scripted Kasa API (``responses``): wire format, errors, retries."""
from __future__ import annotations

import inspect
import json
import uuid
from urllib.parse import parse_qs, urlparse

import pytest
import requests
import responses

from connector.backends.base import (
    CapabilityNotSupported,
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
)
from connector.backends.kasa.client import KasaClient, RetryPolicy, StaticTokens, TokenSource
from connector.backends.kasa.errors import ConnectFailed, parse_retry_after

API = "https://kasa.test/v1"
DEV = "8006A1B2C3D4E5F60718293A4B5C6D7E8F901A2B"
TOKEN, NEW_TOKEN, API_KEY = "tok-AAA-secret", "tok-BBB-secret", "key-123-secret"
SCHEDULE = {
    "name": "Turn on Lights",
    "enabled": True,
    "frequency": {"repeating": {"weekdays": ["MONDAY", "FRIDAY"], "timeOfDay": "1800"}},
    "state": {"powered": True, "brightness": 100, "mode": "CUSTOMIZE_PRESET"},
    "timeOption": "TIME",
}


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
    return KasaClient(API, API_KEY, "client-9", tokens, clock=fake_time.clock,
                      sleep=fake_time.sleep)


def ok(data=None):
    body = {"requestId": "r-1", "responseTime": 110}
    if data is not None:
        body["data"] = data
    return body


def error(code, msg="something went wrong"):
    return {"requestId": "r-1", "code": code, "msg": msg}


# -- wire format -------------------------------------------------------------------------


def test_every_call_sends_the_documented_headers(rsps, client):
    rsps.get(API + "/devices", json=ok({"devices": []}))
    client.list_devices(request_id="st-req-42")
    headers = rsps.calls[0].request.headers
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["X-Api-Key"] == API_KEY
    assert headers["X-Client-Id"] == "client-9"
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Request-Id"] == "st-req-42"


def test_request_id_defaults_to_a_fresh_uuid4(rsps, client):
    rsps.get(API + "/devices", json=ok({"devices": []}))
    client.list_devices()
    client.list_devices()
    ids = [c.request.headers["X-Request-Id"] for c in rsps.calls]
    assert uuid.UUID(ids[0]).version == 4 and ids[0] != ids[1]


def test_retries_keep_the_request_id(rsps, client):
    rsps.get(API + "/devices", status=503)
    rsps.get(API + "/devices", json=ok({"devices": []}))
    client.list_devices(request_id="same")
    assert [c.request.headers["X-Request-Id"] for c in rsps.calls] == ["same", "same"]


def test_a_body_for_commands_none_for_reads(rsps, client):
    rsps.get(API + f"/devices/{DEV}", json=ok({"device": {}, "state": {}}))
    rsps.post(API + f"/devices/{DEV}/power", json=ok())
    client.device_info(DEV)
    client.set_power(DEV, True)
    assert rsps.calls[0].request.body is None
    assert json.loads(rsps.calls[1].request.body) == {"data": {"powered": True}}


ENDPOINTS = [
    # (method, args, kwargs, HTTP method, path, query, body)
    ("list_devices", (), {}, "GET", "/devices", {}, None),
    ("device_info", (DEV,), {}, "GET", f"/devices/{DEV}", {}, None),
    ("set_power", (DEV, True), {"transition_period": 500}, "POST", f"/devices/{DEV}/power", {},
     {"data": {"powered": True, "transitionPeriod": 500}}),
    ("set_brightness", (DEV, 40), {"transition_period": 0}, "POST",
     f"/devices/{DEV}/brightness", {}, {"data": {"brightness": 40, "transitionPeriod": 0}}),
    ("set_color", (DEV, 120, 80, 56), {"transition_period": 10000}, "POST",
     f"/devices/{DEV}/color", {},
     {"data": {"color": {"hsb": {"hue": 120, "saturation": 80, "brightness": 56}},
               "transitionPeriod": 10000}}),
    ("set_color_temperature", (DEV, 4000), {}, "POST", f"/devices/{DEV}/color-temperature",
     {}, {"data": {"colorTemperature": 4000}}),
    ("energy_by_day", (DEV, 2019, 2), {}, "GET", f"/devices/{DEV}/energy-consumption",
     {"month": ["2"], "year": ["2019"], "groupBy": ["day"]}, None),
    ("energy_by_month", (DEV, 2018), {}, "GET", f"/devices/{DEV}/energy-consumption",
     {"year": ["2018"], "groupBy": ["month"]}, None),
    ("delete_energy_stats", (DEV,), {}, "DELETE", f"/devices/{DEV}/energy-consumption", {},
     None),
    ("realtime_energy", (DEV,), {}, "GET", f"/devices/{DEV}/realtime-energy-consumption", {},
     None),
    ("runtime_by_day", (DEV, 2019, 3), {}, "GET", f"/devices/{DEV}/runtime",
     {"month": ["3"], "year": ["2019"], "groupBy": ["day"]}, None),
    ("runtime_by_month", (DEV, 2019), {"month": 6}, "GET", f"/devices/{DEV}/runtime",
     {"month": ["6"], "year": ["2019"], "groupBy": ["month"]}, None),
    ("list_schedules", (DEV,), {}, "GET", f"/devices/{DEV}/schedules", {}, None),
    ("get_schedule", (DEV, "s1"), {}, "GET", f"/devices/{DEV}/schedules/s1", {}, None),
    ("next_schedule", (DEV,), {}, "GET", f"/devices/{DEV}/schedules/next", {}, None),
    ("create_schedule", (DEV, SCHEDULE), {}, "POST", f"/devices/{DEV}/schedules", {},
     {"data": {"schedule": SCHEDULE}}),
    ("update_schedule", (DEV, "s1", SCHEDULE), {}, "POST", f"/devices/{DEV}/schedules/s1", {},
     {"data": {"schedule": {**SCHEDULE, "id": "s1"}}}),
    ("delete_schedule", (DEV, "s1"), {}, "DELETE", f"/devices/{DEV}/schedules/s1", {}, None),
    ("delete_schedules", (DEV,), {}, "DELETE", f"/devices/{DEV}/schedules", {}, None),
    ("account_timezone", (), {}, "GET", "/account/timezone", {}, None),
    ("device_timezone", (DEV,), {}, "GET", f"/devices/{DEV}/timezone", {}, None),
    ("sync_device_timezone", (DEV,), {}, "POST", f"/devices/{DEV}/timezone", {},
     {"data": {}}),
    ("unlink_account", (), {}, "POST", "/account/unlink", {}, {"data": {}}),
]


def test_the_table_covers_every_public_method():
    public = {name for name, _ in inspect.getmembers(KasaClient, inspect.isfunction)
              if not name.startswith("_")}
    assert public == {row[0] for row in ENDPOINTS}


@pytest.mark.parametrize("name, args, kwargs, method, path, query, body", ENDPOINTS,
                         ids=[f"{row[0]}-{i}" for i, row in enumerate(ENDPOINTS)])
def test_endpoint_wire_format(rsps, client, name, args, kwargs, method, path, query, body):
    answer = {"answer": name, "devices": []}  # a device list always carries its array
    rsps.add(method, API + path, json=ok(answer))
    result = getattr(client, name)(*args, **kwargs, request_id="r", deadline=None)
    assert result == answer
    sent = rsps.calls[0].request
    url = urlparse(sent.url)
    assert sent.method == method
    assert url.path == "/v1" + path
    assert parse_qs(url.query) == query
    assert (json.loads(sent.body) if sent.body else None) == body


@pytest.mark.parametrize("data", [None, {}, {"devices": None}])
def test_a_device_list_without_its_devices_array_is_malformed(rsps, client, data):
    # Taken for an empty list, it would make every device look removed.
    rsps.get(API + "/devices", json=ok(data))
    with pytest.raises(MalformedDeviceList):
        client.list_devices()


def test_data_less_answers_become_an_empty_dict(rsps, client):
    rsps.post(API + f"/devices/{DEV}/power", json=ok())
    rsps.delete(API + f"/devices/{DEV}/schedules", body="")
    assert client.set_power(DEV, False) == {}
    assert client.delete_schedules(DEV) == {}


def test_runtime_by_month_names_its_list_runtime_stats(rsps, client):
    # The document's sample calls it "energyStats"; its schema says "runtimeStats".
    stats = [{"month": 3, "usageMins": 57}]
    rsps.get(API + f"/devices/{DEV}/runtime", json=ok({"energyStats": stats}))
    assert client.runtime_by_month(DEV, 2019) == {"runtimeStats": stats}


def test_ids_are_quoted_into_one_path_segment(rsps, client):
    rsps.get(API + "/devices/a%2F..%2Fb", json=ok({}))
    client.device_info("a/../b")
    assert urlparse(rsps.calls[0].request.url).path == "/v1/devices/a%2F..%2Fb"


@pytest.mark.parametrize("call", [
    lambda c: c.set_power(DEV, 1),
    lambda c: c.set_power(DEV, True, transition_period=10001),
    lambda c: c.set_power(DEV, True, transition_period=-1),
    lambda c: c.set_brightness(DEV, 101),
    lambda c: c.set_color(DEV, 361, 50, 50),
    lambda c: c.set_color(DEV, 10, 101, 50),
    lambda c: c.set_color_temperature(DEV, 0),
    lambda c: c.energy_by_day(DEV, 2019, 13),
    lambda c: c.create_schedule(DEV, {**SCHEDULE, "id": "s1"}),
    lambda c: c.create_schedule(DEV, {**SCHEDULE, "name": "x" * 33}),
])
def test_bad_arguments_fail_before_any_request(rsps, client, call):
    with pytest.raises(ValueError):
        call(client)
    assert len(rsps.calls) == 0


# -- errors ------------------------------------------------------------------------------

ERRORS = [
    # (status, body, call, expected)
    (500, error("DEVICE_NOT_RESPONDING"), "read", DeviceNotResponding),
    (200, error("DEVICE_NOT_RESPONDING"), "command", DeviceNotResponding),
    (429, error("TOO_MANY_REQUESTS"), "read", RateLimited),
    (429, None, "command", RateLimited),
    (500, None, "read", RetryableError),
    (503, {"msg": "maintenance"}, "command", RetryableError),
    (400, error("DEVICE_OFFLINE"), "read", DeviceOffline),
    (200, error("DEVICE_OFFLINE"), "command", DeviceOffline),
    (404, error("NOT_FOUND"), "read", DeviceNotFound),
    (404, None, "command", DeviceNotFound),
    (400, error("CAPABILITY_NOT_SUPPORTED"), "command", CapabilityNotSupported),
    (400, error("BAD_REQUEST"), "command", CommandRejected),
    (400, None, "command", CommandRejected),
    (400, error("OUT_OF_RANGE_EXCEPTION"), "read", CommandRejected),
    (403, error("INVALID_HEADER"), "read", FatalError),
    (403, None, "read", ReauthRequired),
    (302, None, "read", FatalError),
    (418, error("TEAPOT"), "read", FatalError),
]


def _do(client, kind):
    return client.device_info(DEV) if kind == "read" else client.set_power(DEV, True)


@pytest.mark.parametrize("status, body, kind, expected", ERRORS)
def test_error_codes_become_typed_errors(rsps, client, status, body, kind, expected):
    path = f"/devices/{DEV}" + ("" if kind == "read" else "/power")
    rsps.add("GET" if kind == "read" else "POST", API + path, status=status,
             json=body, headers={"Location": "https://elsewhere.test/"} if status == 302 else {})
    with pytest.raises(expected) as err:
        _do(client, kind)
    assert type(err.value) is expected  # not a sibling or a looser parent
    assert err.value.status == status
    if body and body.get("code"):
        assert err.value.code == body["code"]


@pytest.mark.parametrize("code", ["CAPABILITY_NOT_SUPPORTED", "BAD_REQUEST"])
def test_refusals_of_a_read_are_fatal_not_command_rejections(rsps, client, code):
    rsps.get(API + f"/devices/{DEV}/realtime-energy-consumption", status=400, json=error(code))
    with pytest.raises(FatalError) as err:
        client.realtime_energy(DEV)
    assert not isinstance(err.value, CommandRejected)


def test_schedule_conflict_is_a_rejected_command(rsps, client):
    rsps.post(API + f"/devices/{DEV}/schedules", status=400, json=error("SCHEDULE_CONFLICT"))
    with pytest.raises(CommandRejected):
        client.create_schedule(DEV, SCHEDULE)


def test_a_missing_schedule_is_not_a_missing_device(rsps, client):
    rsps.get(API + f"/devices/{DEV}/schedules/gone", status=404, json=error("NOT_FOUND"))
    with pytest.raises(FatalError) as err:
        client.get_schedule(DEV, "gone")
    assert not isinstance(err.value, DeviceNotFound)


def test_invalid_header_says_it_is_our_misconfiguration(rsps, client):
    rsps.get(API + "/devices", status=403, json=error("INVALID_HEADER", "Invalid ApiKey"))
    with pytest.raises(FatalError) as err:
        client.list_devices()
    assert "KASA_API_KEY" in str(err.value) and "configuration" in str(err.value)
    assert len(rsps.calls) == 1  # never retried


def test_a_200_that_is_not_json_is_retryable(rsps, client):
    rsps.get(API + "/devices", body="<html>proxy</html>")
    with pytest.raises(RetryableError):
        client.list_devices()


def test_partner_message_is_in_the_detail(rsps, client):
    rsps.post(API + f"/devices/{DEV}/power", status=400,
              json=error("DEVICE_OFFLINE", "Device is offline"))
    with pytest.raises(DeviceOffline) as err:
        client.set_power(DEV, True)
    assert err.value.detail == "Kasa DEVICE_OFFLINE: Device is offline"


@pytest.mark.parametrize("exc, expected, code", [
    (requests.ConnectTimeout("connect timed out"), ConnectFailed, "CONNECT"),
    (requests.ReadTimeout("read timed out"), RetryableError, "TIMEOUT"),
    (requests.ConnectionError("Connection aborted"), RetryableError, "CONNECTION"),
])
def test_transport_failures_are_retryable(rsps, client, fake_time, exc, expected, code):
    rsps.get(API + "/devices", body=exc)
    with pytest.raises(expected) as err:
        client.list_devices()
    assert type(err.value) is expected and err.value.code == code
    assert len(rsps.calls) == 3 and len(fake_time.sleeps) == 2


# -- retries -----------------------------------------------------------------------------


def test_retryable_errors_back_off_exponentially_with_jitter(rsps, client, fake_time):
    rsps.get(API + "/devices", status=503)
    with pytest.raises(RetryableError):
        client.list_devices()
    assert len(rsps.calls) == 3  # RetryPolicy.attempts
    first, second = fake_time.sleeps
    assert 0.1 <= first <= 0.2 and 0.2 <= second <= 0.4


def test_a_retry_that_succeeds_returns_the_data(rsps, client):
    rsps.get(API + f"/devices/{DEV}", status=200, json=error("DEVICE_NOT_RESPONDING"))
    rsps.get(API + f"/devices/{DEV}", json=ok({"device": {"id": DEV}}))
    assert client.device_info(DEV) == {"device": {"id": DEV}}


def test_no_retry_when_the_deadline_leaves_no_room(rsps, client, fake_time):
    rsps.get(API + "/devices", status=503)
    with pytest.raises(RetryableError):
        client.list_devices(deadline=fake_time.now + 0.55)
    assert len(rsps.calls) == 1 and fake_time.sleeps == []


def test_fatal_errors_are_not_retried(rsps, client, fake_time):
    rsps.get(API + f"/devices/{DEV}", status=400, json=error("DEVICE_OFFLINE"))
    with pytest.raises(DeviceOffline):
        client.device_info(DEV)
    assert len(rsps.calls) == 1 and fake_time.sleeps == []


def test_retry_policy_is_configurable(rsps, tokens, fake_time):
    client = KasaClient(API, API_KEY, "c", tokens, retry=RetryPolicy(attempts=1),
                        clock=fake_time.clock, sleep=fake_time.sleep)
    rsps.get(API + "/devices", status=503)
    with pytest.raises(RetryableError):
        client.list_devices()
    assert len(rsps.calls) == 1


def test_rate_limit_waits_retry_after_within_the_deadline(rsps, client, fake_time):
    rsps.get(API + "/devices", status=429, json=error("TOO_MANY_REQUESTS"),
             headers={"Retry-After": "2"})
    rsps.get(API + "/devices", json=ok({"devices": []}))
    assert client.list_devices(deadline=fake_time.now + 5) == {"devices": []}
    assert fake_time.sleeps == [2.0]


def test_rate_limit_beyond_the_deadline_raises_at_once(rsps, client, fake_time):
    rsps.get(API + "/devices", status=429, json=error("TOO_MANY_REQUESTS"),
             headers={"Retry-After": "30"})
    with pytest.raises(RateLimited) as err:
        client.list_devices(deadline=fake_time.now + 5)
    assert err.value.retry_after == 30.0
    assert len(rsps.calls) == 1 and fake_time.sleeps == []


def test_rate_limit_that_just_fits_leaves_time_for_the_retry(rsps, client, fake_time):
    # 4.6 s of wait + 0.5 s minimum attempt > 5 s: not worth waiting.
    rsps.get(API + "/devices", status=429, headers={"Retry-After": "4.6"})
    with pytest.raises(RateLimited):
        client.list_devices(deadline=fake_time.now + 5)
    assert fake_time.sleeps == []


def test_rate_limit_without_a_deadline_waits_only_briefly(rsps, client, fake_time):
    rsps.get(API + "/devices", status=429, headers={"Retry-After": "5"})
    rsps.get(API + "/devices", json=ok({"devices": []}))
    client.list_devices()
    assert fake_time.sleeps == [5.0]
    rsps.replace("GET", API + "/devices", status=429, headers={"Retry-After": "600"})
    with pytest.raises(RateLimited):
        client.list_devices()
    assert fake_time.sleeps == [5.0]


def test_rate_limit_without_retry_after_backs_off(rsps, client, fake_time):
    rsps.get(API + "/devices", status=429)
    rsps.get(API + "/devices", json=ok({"devices": []}))
    client.list_devices()
    assert len(fake_time.sleeps) == 1 and 0.1 <= fake_time.sleeps[0] <= 0.2


@pytest.mark.parametrize("value, seconds", [
    ("7", 7.0), ("1.5", 1.5), ("-3", 0.0), ("", None), (None, None), ("soon", None),
    ("Wed, 21 Oct 2015 07:28:30 GMT", 30.0),
])
def test_parse_retry_after(value, seconds):
    from email.utils import parsedate_to_datetime
    now = parsedate_to_datetime("Wed, 21 Oct 2015 07:28:00 GMT").timestamp()
    assert parse_retry_after(value, now=now) == seconds


def test_non_idempotent_calls_are_retried_only_when_kasa_never_saw_them(rsps, client):
    rsps.post(API + f"/devices/{DEV}/schedules", status=503)
    with pytest.raises(RetryableError):
        client.create_schedule(DEV, SCHEDULE)
    assert len(rsps.calls) == 1

    rsps.replace("POST", API + f"/devices/{DEV}/schedules", body=requests.ConnectTimeout())
    with pytest.raises(ConnectFailed):
        client.create_schedule(DEV, SCHEDULE)
    assert len(rsps.calls) == 1 + 3


def test_unlink_is_not_repeated_after_an_ambiguous_failure(rsps, client):
    rsps.post(API + "/account/unlink", body=requests.ReadTimeout())
    with pytest.raises(RetryableError):
        client.unlink_account()
    assert len(rsps.calls) == 1


# -- deadline and timeouts ---------------------------------------------------------------


def test_default_timeouts_without_a_deadline(rsps, client):
    rsps.get(API + "/devices", json=ok({"devices": []}))
    client.list_devices()
    assert rsps.calls[0].request.req_kwargs["timeout"] == (3.05, 6)


@pytest.mark.parametrize("left, expected", [(5.0, (3.05, 5.0)), (1.5, (1.5, 1.5)),
                                            (30.0, (3.05, 6))])
def test_the_deadline_caps_timeouts(rsps, client, fake_time, left, expected):
    rsps.get(API + "/devices", json=ok({"devices": []}))
    client.list_devices(deadline=fake_time.now + left)
    assert rsps.calls[0].request.req_kwargs["timeout"] == pytest.approx(expected)


def test_custom_timeouts(rsps, tokens, fake_time):
    client = KasaClient(API, API_KEY, "c", tokens, timeout=(1, 2), clock=fake_time.clock)
    rsps.get(API + "/devices", json=ok({"devices": []}))
    client.list_devices()
    assert rsps.calls[0].request.req_kwargs["timeout"] == (1, 2)


def test_a_passed_deadline_makes_no_request(rsps, client, fake_time):
    with pytest.raises(RetryableError) as err:
        client.list_devices(deadline=fake_time.now - 1)
    assert err.value.code == "DEADLINE"
    assert len(rsps.calls) == 0


def test_no_redirects_are_followed(rsps, client):
    rsps.get(API + "/devices", status=302, headers={"Location": "https://evil.test/steal"})
    with pytest.raises(FatalError):
        client.list_devices()
    assert len(rsps.calls) == 1


def test_an_injected_session_is_used(tokens):
    session = requests.Session()
    client = KasaClient(API, API_KEY, "c", tokens, session=session)
    with responses.RequestsMock() as mock:
        mock.get(API + "/devices", json=ok({"devices": []}))
        client.list_devices()
    assert client._http._session is session


# -- tokens ------------------------------------------------------------------------------


def test_unauthorized_refreshes_once_and_retries(rsps, client, tokens):
    rsps.get(API + "/devices", status=401, json=error("UNAUTHORIZED"))
    rsps.get(API + "/devices", json=ok({"devices": []}))
    assert client.list_devices() == {"devices": []}
    assert tokens.refreshes == [TOKEN]
    assert [c.request.headers["Authorization"] for c in rsps.calls] == [
        f"Bearer {TOKEN}", f"Bearer {NEW_TOKEN}"]


def test_unauthorized_code_in_any_status_refreshes(rsps, client, tokens):
    rsps.post(API + f"/devices/{DEV}/power", status=400, json=error("UNAUTHORIZED"))
    rsps.post(API + f"/devices/{DEV}/power", json=ok())
    client.set_power(DEV, True)
    assert tokens.refreshes == [TOKEN]


def test_still_unauthorized_after_refresh_needs_reauth(rsps, client, tokens):
    rsps.get(API + "/devices", status=401, json=error("UNAUTHORIZED"))
    with pytest.raises(ReauthRequired) as err:
        client.list_devices()
    assert not isinstance(err.value, LinkExpired)
    assert tokens.refreshes == [TOKEN] and len(rsps.calls) == 2


def test_refresh_failure_propagates_link_expired(rsps, tokens, fake_time):
    tokens.fail = LinkExpired("refresh token revoked")
    client = KasaClient(API, API_KEY, "c", tokens, clock=fake_time.clock, sleep=fake_time.sleep)
    rsps.get(API + "/devices", status=401, json=error("UNAUTHORIZED"))
    with pytest.raises(LinkExpired):
        client.list_devices()
    assert len(rsps.calls) == 1


def test_static_tokens_cannot_refresh(rsps):
    client = KasaClient(API, API_KEY, "c", StaticTokens(TOKEN))
    rsps.get(API + "/devices", status=401, json=error("UNAUTHORIZED"))
    with pytest.raises(LinkExpired):
        client.list_devices()
    assert isinstance(StaticTokens(TOKEN), TokenSource)
    assert TOKEN not in repr(StaticTokens(TOKEN))


def test_forbidden_without_a_code_does_not_refresh(rsps, client, tokens):
    rsps.get(API + "/devices", status=403)
    with pytest.raises(ReauthRequired):
        client.list_devices()
    assert tokens.refreshes == []


# -- secrets -----------------------------------------------------------------------------


@pytest.mark.parametrize("status, body", [
    (401, error("UNAUTHORIZED", f"token {TOKEN} is invalid")),
    (500, error("SERVER_ERROR", f"upstream said Authorization: Bearer {TOKEN}")),
    (400, error("BAD_REQUEST", f"bad X-Api-Key {API_KEY}")),
    (403, error("INVALID_HEADER", f"X-Api-Key {API_KEY} unknown")),
])
def test_no_secret_in_exceptions_or_logs(rsps, client, tokens, status, body, capsys, caplog):
    tokens.token = TOKEN
    rsps.post(API + f"/devices/{DEV}/power", status=status, json=body)
    with pytest.raises(PartnerError) as err:
        client.set_power(DEV, True)
    exc = err.value
    text = " ".join([str(exc), repr(exc), exc.detail, repr(client)])
    captured = capsys.readouterr()
    text += captured.out + captured.err + caplog.text
    for secret in (TOKEN, NEW_TOKEN, API_KEY):
        assert secret not in text


def test_partner_messages_are_truncated(rsps, client):
    rsps.get(API + "/devices", status=400, json=error("BAD_REQUEST", "x" * 5000))
    with pytest.raises(FatalError) as err:
        client.list_devices()
    assert len(err.value.detail) < 300
