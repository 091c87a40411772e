"""The simulated Kasa cloud, exercised over real HTTP on 127.0.0.1 with requests.

Each test talks to a fresh simulator. ``Api`` adds the headers the document requires;
tests that check the header rules build their requests by hand.
"""
from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import requests

from connector.sandbox.kasa import (ACCESS_TOKEN_TTL, DEFAULT_DEVICES, KasaCloud, KasaSimAdmin,
                                    SimError, SimulatedKasa)

LA = ZoneInfo("America/Los_Angeles")
REDIRECT = "https://c2c-us.smartthings.com/oauth/callback"
ALL_WEEK = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]


class Clock:
    """A settable clock for KasaCloud(clock=...)."""

    def __init__(self, local: datetime):
        self.now = local.replace(tzinfo=LA).astimezone(timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


class Api:
    """Calls the simulated API the way a well-behaved client does."""

    def __init__(self, sim: SimulatedKasa, token: str):
        self.sim, self.token = sim, token
        self.session = requests.Session()

    def request(self, method, path, data=None, *, token=None, headers=None, body=None, **kw):
        """``data`` goes in the document's {"data": ...} envelope; ``body`` is sent raw."""
        h = self.sim.headers(token or self.token)
        if data is not None:
            kw["json"] = {"data": data}
        if body is not None:
            kw["data"] = body
        h.update(headers or {})
        return self.session.request(method, self.sim.url + path, headers=h, timeout=10, **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, data=None, **kw):
        return self.request("POST", path, data, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


def error_of(response, status: int) -> str:
    """The error code of an error answer, after checking its status and shape."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"requestId", "msg", "code"}
    assert body["msg"]
    return body["code"]


@pytest.fixture
def clock():
    return Clock(datetime(2019, 3, 1, 12, 0))


@pytest.fixture
def cloud():
    return KasaCloud()


@pytest.fixture
def sim(cloud):
    with SimulatedKasa(cloud) as running:
        yield running


@pytest.fixture
def user(cloud):
    return cloud.create_user("ann@example.com", "ann-password")


@pytest.fixture
def token(cloud, user):
    return cloud.issue_tokens(user)[0]


@pytest.fixture
def api(sim, token):
    return Api(sim, token)


@pytest.fixture
def ids(user):
    """Device ids of the default set by model number: ids["KL130"]."""
    return {d.spec.model.split("(")[0]: d.id for d in user.devices.values()}


@pytest.fixture
def clocked_at():
    """Start a simulator whose clock reads a given local time in Los Angeles; returns
    (simulator, Api for a user with the default devices, that user, the clock)."""
    running = []

    def start(local: datetime):
        clock = Clock(local)
        cloud = KasaCloud(clock=clock)
        user = cloud.create_user("bob@example.com", "pw")
        sim = SimulatedKasa(cloud).start()
        running.append(sim)
        return sim, Api(sim, cloud.issue_tokens(user)[0]), user, clock

    yield start
    for sim in running:
        sim.stop()


@pytest.fixture
def clocked(clocked_at):
    """A simulator whose clock reads Friday March 1st 2019, noon in Los Angeles."""
    return clocked_at(datetime(2019, 3, 1, 12, 0))[:3]


def state_of(api, device_id):
    response = api.get(f"/devices/{device_id}")
    assert response.status_code == 200
    return response.json()["data"]["state"]


# -- envelope and required headers ----------------------------------------------------

def test_success_envelope_has_request_id_data_and_response_time(api):
    body = api.get("/devices").json()
    assert list(body) == ["requestId", "data", "responseTime"]
    assert isinstance(body["responseTime"], int)


def test_request_id_echoes_the_x_request_id_header(api):
    response = api.get("/devices", headers={"X-Request-Id": "req-123"})
    assert response.json()["requestId"] == "req-123"


def test_request_id_is_generated_when_none_is_sent(api):
    first, second = api.get("/devices").json(), api.get("/devices").json()
    assert first["requestId"] and first["requestId"] != second["requestId"]


def test_error_answer_echoes_request_id(api):
    response = api.get("/devices/nope", headers={"X-Request-Id": "err-1"})
    assert response.json()["requestId"] == "err-1"


def test_command_answer_has_no_data(api, ids):
    body = api.post(f"/devices/{ids['HS100']}/power", {"powered": True}).json()
    assert list(body) == ["requestId", "responseTime"]


@pytest.mark.parametrize("drop", ["X-Api-Key", "X-Client-Id"])
def test_missing_api_header_is_invalid_header_403(sim, token, drop):
    headers = sim.headers(token)
    del headers[drop]
    response = requests.get(sim.url + "/devices", headers=headers, timeout=5)
    assert error_of(response, 403) == "INVALID_HEADER"


@pytest.mark.parametrize("header", ["X-Api-Key", "X-Client-Id"])
def test_wrong_api_header_is_invalid_header_403(sim, token, header):
    response = requests.get(sim.url + "/devices", timeout=5,
                            headers=sim.headers(token, **{header: "wrong"}))
    assert error_of(response, 403) == "INVALID_HEADER"


def test_missing_bearer_token_is_unauthorized_401(sim):
    response = requests.get(sim.url + "/devices", headers=sim.headers(), timeout=5)
    assert error_of(response, 401) == "UNAUTHORIZED"


def test_unknown_bearer_token_is_unauthorized_401(api):
    assert error_of(api.get("/devices", token="not-a-token"), 401) == "UNAUTHORIZED"


def test_non_bearer_authorization_is_unauthorized_401(sim, token):
    response = requests.get(sim.url + "/devices", timeout=5,
                            headers=sim.headers(Authorization=f"Basic {token}"))
    assert error_of(response, 401) == "UNAUTHORIZED"


def test_access_token_expires_after_its_lifetime(clock):
    cloud = KasaCloud(clock=clock, access_ttl=60)
    user = cloud.create_user("eve@example.com", "pw")
    with SimulatedKasa(cloud) as sim:
        api = Api(sim, cloud.issue_tokens(user)[0])
        assert api.get("/devices").status_code == 200
        clock.advance(seconds=61)
        assert error_of(api.get("/devices"), 401) == "UNAUTHORIZED"


def test_issue_tokens_defaults_to_fifteen_days(cloud, user):
    assert cloud.issue_tokens(user)[2] == ACCESS_TOKEN_TTL == 15 * 24 * 3600


def test_body_without_json_content_type_is_bad_request(api, ids):
    response = api.post(f"/devices/{ids['HS100']}/power", body='{"data": {"powered": true}}',
                        headers={"Content-Type": "text/plain"})
    assert error_of(response, 400) == "BAD_REQUEST"


def test_json_content_type_with_charset_is_accepted(api, ids):
    response = api.post(f"/devices/{ids['HS100']}/power", body='{"data": {"powered": true}}',
                        headers={"Content-Type": "application/json; charset=utf-8"})
    assert response.status_code == 200


@pytest.mark.parametrize("raw", ['{"data": {"powered": tru', '{"powered": true}', '[1]',
                                 '{"data": 5}', '{"data": {"powered": NaN}}'])
def test_body_must_be_json_with_a_data_object(api, ids, raw):
    response = api.post(f"/devices/{ids['HS100']}/power", body=raw,
                        headers={"Content-Type": "application/json"})
    assert error_of(response, 400) == "BAD_REQUEST"


def test_unknown_endpoint_is_not_found(api):
    assert error_of(api.get("/nothing-here"), 400) == "NOT_FOUND"


def test_wrong_method_is_bad_request(api, ids):
    assert error_of(api.get(f"/devices/{ids['HS100']}/power"), 400) == "BAD_REQUEST"


# -- discovery and device info ------------------------------------------------------

def test_device_list_has_account_id_and_the_default_devices(api, user):
    data = api.get("/devices").json()["data"]
    assert data["accountId"] == user.account_id
    models = [d["model"] for d in data["devices"]]
    assert models == [m for m, *_ in DEFAULT_DEVICES]
    for device in data["devices"]:
        assert set(device) >= {"id", "name", "description", "model", "type", "online",
                               "capability", "hardwareVersion", "softwareVersion", "macAddress"}
        assert "state" not in device  # state comes with device info only


def test_device_list_types_traits_and_metadata_follow_the_models(api):
    by_model = {d["model"]: d for d in api.get("/devices").json()["data"]["devices"]}
    assert by_model["HS110(US)"]["type"] == "devices.types.Outlet"
    assert "traits.devices.EnergyMonitoring" in by_model["KP115(US)"]["capability"]
    assert "traits.devices.EnergyMonitoring" not in by_model["HS100(US)"]["capability"]
    assert by_model["HS220(US)"]["type"] == "devices.types.Switch"
    assert "traits.devices.Brightness" in by_model["HS220(US)"]["capability"]
    assert by_model["KL120(US)"]["metadata"] == {"minColorTemperature": 2700,
                                                 "maxColorTemperature": 5000}
    assert "traits.devices.ColorSpectrum" not in by_model["KL120(US)"]["capability"]
    assert by_model["KL130(US)"]["metadata"] == {"minColorTemperature": 2500,
                                                 "maxColorTemperature": 9000}
    assert "traits.devices.ColorSpectrum" in by_model["KL130(US)"]["capability"]
    assert "metadata" not in by_model["HS110(US)"]
    assert [d["online"] for d in by_model.values()].count(False) == 1
    assert by_model["HS200(US)"]["online"] is False


def test_device_info_returns_device_and_state(api, ids):
    data = api.get(f"/devices/{ids['KL130']}").json()["data"]
    assert data["device"]["id"] == ids["KL130"]
    assert data["state"] == {"powered": True,
                             "color": {"hsb": {"hue": 240, "saturation": 75, "brightness": 60}},
                             "colorTemperature": 0, "brightness": 60}


def test_device_info_of_offline_device_says_offline_with_last_state(api, ids):
    data = api.get(f"/devices/{ids['HS200']}").json()["data"]
    assert data["device"]["online"] is False
    assert data["state"] == {"powered": False}


def test_device_info_of_unknown_device_is_not_found(api):
    assert error_of(api.get("/devices/0000"), 400) == "NOT_FOUND"


def test_another_accounts_device_is_not_found(api, cloud):
    other = cloud.create_user("zed@example.com", "pw")
    assert error_of(api.get(f"/devices/{next(iter(other.devices))}"), 400) == "NOT_FOUND"


def test_device_ids_are_stable_for_a_username():
    first = KasaCloud().create_user("same@example.com", "pw")
    second = KasaCloud().create_user("same@example.com", "pw")
    assert list(first.devices) == list(second.devices)
    assert all(len(i) == 40 for i in first.devices)


# -- control ------------------------------------------------------------------------

def test_power_turns_device_on_and_off(api, ids):
    assert api.post(f"/devices/{ids['HS100']}/power", {"powered": True}).status_code == 200
    assert state_of(api, ids["HS100"]) == {"powered": True}
    api.post(f"/devices/{ids['HS100']}/power", {"powered": False, "transitionPeriod": 0})
    assert state_of(api, ids["HS100"]) == {"powered": False}


def test_power_keeps_the_transition_period(api, ids, cloud):
    api.post(f"/devices/{ids['KL120']}/power", {"powered": True, "transitionPeriod": 10000})
    assert cloud.device(ids["KL120"]).last_transition == 10000


@pytest.mark.parametrize("data", [{}, {"powered": "yes"}, {"powered": 1}])
def test_power_needs_a_boolean(api, ids, data):
    assert error_of(api.post(f"/devices/{ids['HS100']}/power", data), 400) == "BAD_REQUEST"


COMMANDS = {
    "power": {"powered": True},
    "brightness": {"brightness": 50},
    "color": {"color": {"hsb": {"hue": 120, "saturation": 50, "brightness": 50}}},
    "color-temperature": {"colorTemperature": 4000},
}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("period", [-1, 10001, "fast", 2.5])
def test_transition_period_outside_0_to_10000_is_bad_request(api, ids, command, period):
    data = {**COMMANDS[command], "transitionPeriod": period}
    assert error_of(api.post(f"/devices/{ids['KL130']}/{command}", data), 400) == "BAD_REQUEST"


@pytest.mark.parametrize("command", COMMANDS)
def test_commands_accept_transition_period_within_range(api, ids, command):
    data = {**COMMANDS[command], "transitionPeriod": 250}
    assert api.post(f"/devices/{ids['KL130']}/{command}", data).status_code == 200


@pytest.mark.parametrize("command", ["power", "brightness", "color", "color-temperature"])
def test_command_for_offline_device_is_device_offline(api, ids, cloud, command):
    cloud.set_online(ids["KL130"], False)
    response = api.post(f"/devices/{ids['KL130']}/{command}", COMMANDS[command])
    assert error_of(response, 400) == "DEVICE_OFFLINE"


def test_command_for_unresponsive_device_is_device_not_responding_503(api, ids, cloud):
    cloud.set_responding(ids["HS110"], False)
    response = api.post(f"/devices/{ids['HS110']}/power", {"powered": False})
    assert error_of(response, 503) == "DEVICE_NOT_RESPONDING"
    assert api.get("/devices").json()["data"]["devices"][1]["online"] is True


def test_command_for_unknown_device_is_not_found(api):
    assert error_of(api.post("/devices/0000/power", {"powered": True}), 400) == "NOT_FOUND"


def test_brightness_sets_level_and_turns_a_bulb_on(api, ids):
    assert api.post(f"/devices/{ids['KL120']}/brightness", {"brightness": 35}).status_code == 200
    state = state_of(api, ids["KL120"])
    assert state["brightness"] == 35 and state["powered"] is True


def test_brightness_zero_turns_a_bulb_off_and_keeps_its_level(api, ids):
    api.post(f"/devices/{ids['KL130']}/brightness", {"brightness": 0})
    state = state_of(api, ids["KL130"])
    assert state["powered"] is False and state["brightness"] == 60


def test_dimmer_brightness_zero_becomes_one_and_keeps_power(api, ids):
    api.post(f"/devices/{ids['HS220']}/brightness", {"brightness": 0})
    assert state_of(api, ids["HS220"]) == {"powered": True, "brightness": 1}


@pytest.mark.parametrize("value", [-1, 101, 50.5, True, "50", None])
def test_brightness_outside_0_to_100_is_bad_request(api, ids, value):
    response = api.post(f"/devices/{ids['HS220']}/brightness", {"brightness": value})
    assert error_of(response, 400) == "BAD_REQUEST"


@pytest.mark.parametrize("command", ["brightness", "color", "color-temperature"])
def test_light_commands_on_a_plain_plug_are_capability_not_supported(api, ids, command):
    response = api.post(f"/devices/{ids['HS100']}/{command}", COMMANDS[command])
    assert error_of(response, 400) == "CAPABILITY_NOT_SUPPORTED"


def test_color_sets_hsb_and_colour_mode(api, ids):
    api.post(f"/devices/{ids['KL130']}/color-temperature", {"colorTemperature": 6500})
    hsb = {"hue": 359.5, "saturation": 12.5, "brightness": 80}
    assert api.post(f"/devices/{ids['KL130']}/color", {"color": {"hsb": hsb}}).status_code == 200
    assert state_of(api, ids["KL130"]) == {"powered": True, "color": {"hsb": hsb},
                                           "colorTemperature": 0, "brightness": 80}


@pytest.mark.parametrize("hsb", [
    {"hue": 361, "saturation": 50, "brightness": 50},
    {"hue": -1, "saturation": 50, "brightness": 50},
    {"hue": 10, "saturation": 101, "brightness": 50},
    {"hue": 10, "saturation": 50, "brightness": 101},
    {"hue": 10, "saturation": 50},
    {"hue": "red", "saturation": 50, "brightness": 50},
])
def test_color_outside_documented_ranges_is_bad_request(api, ids, hsb):
    response = api.post(f"/devices/{ids['KL130']}/color", {"color": {"hsb": hsb}})
    assert error_of(response, 400) == "BAD_REQUEST"


def test_color_without_hsb_object_is_bad_request(api, ids):
    assert error_of(api.post(f"/devices/{ids['KL130']}/color", {"color": {}}), 400) == "BAD_REQUEST"


def test_color_on_a_tunable_white_bulb_is_capability_not_supported(api, ids):
    response = api.post(f"/devices/{ids['KL120']}/color", COMMANDS["color"])
    assert error_of(response, 400) == "CAPABILITY_NOT_SUPPORTED"


def test_color_temperature_within_the_device_range_is_applied(api, ids):
    api.post(f"/devices/{ids['KL120']}/color-temperature", {"colorTemperature": 5000})
    state = state_of(api, ids["KL120"])
    assert state["colorTemperature"] == 5000 and state["powered"] is True


@pytest.mark.parametrize("model,kelvin", [("KL120", 2600), ("KL120", 5001), ("KL130", 9001),
                                          ("KL130", 0), ("KL130", 2499)])
def test_color_temperature_outside_the_device_range_is_bad_request(api, ids, model, kelvin):
    response = api.post(f"/devices/{ids[model]}/color-temperature", {"colorTemperature": kelvin})
    assert error_of(response, 400) == "BAD_REQUEST"


def test_kl130_accepts_kelvin_beyond_the_kl120_range(api, ids):
    api.post(f"/devices/{ids['KL130']}/color-temperature", {"colorTemperature": 9000})
    assert state_of(api, ids["KL130"])["colorTemperature"] == 9000


def test_color_temperature_on_a_dimmer_is_capability_not_supported(api, ids):
    response = api.post(f"/devices/{ids['HS220']}/color-temperature", {"colorTemperature": 3000})
    assert error_of(response, 400) == "CAPABILITY_NOT_SUPPORTED"


# -- energy -----------------------------------------------------------------------------

def _energy(api, device_id, **params):
    return api.get(f"/devices/{device_id}/energy-consumption", params=params)


def test_energy_by_day_for_the_previous_month_lists_all_its_days(clocked):
    _, api, user = clocked  # today: March 1st 2019 (document's case 1)
    dev = next(d.id for d in user.devices.values() if d.spec.model == "HS110(US)")
    stats = _energy(api, dev, month=2, year=2019, groupBy="day").json()["data"]["energyStats"]
    assert [s["day"] for s in stats] == list(range(1, 29))
    assert all(set(s) == {"day", "energyWattHour"} for s in stats)
    assert 0 < sum(s["energyWattHour"] for s in stats) / 28 < 8.6 * 24


def test_energy_by_day_two_months_back_only_lists_days_within_30_days(clocked):
    _, api, user = clocked  # document's case 2
    dev = next(d.id for d in user.devices.values() if d.spec.model == "HS110(US)")
    stats = _energy(api, dev, month=1, year=2019, groupBy="day").json()["data"]["energyStats"]
    assert [s["day"] for s in stats] == [31]


def test_energy_by_day_for_this_month_stops_at_today(clocked):
    _, api, user = clocked  # document's case 3
    dev = next(d.id for d in user.devices.values() if d.spec.model == "HS110(US)")
    stats = _energy(api, dev, month=3, year=2019, groupBy="day").json()["data"]["energyStats"]
    assert [s["day"] for s in stats] == [1]


@pytest.mark.parametrize("month,year", [(12, 2018), (4, 2019), (3, 2020)])
def test_energy_by_day_outside_30_days_is_out_of_range(clocked, month, year):
    _, api, user = clocked
    dev = next(d.id for d in user.devices.values() if d.spec.model == "HS110(US)")
    response = _energy(api, dev, month=month, year=year, groupBy="day")
    assert error_of(response, 400) == "OUT_OF_RANGE_EXCEPTION"


def test_energy_by_month_for_last_year_lists_months_within_12(clocked_at):
    _, api, user, _ = clocked_at(datetime(2019, 2, 15, 12))  # document's case 1: February 2019
    dev = next(d.id for d in user.devices.values() if d.spec.model == "KP115(US)")
    stats = _energy(api, dev, year=2018, groupBy="month").json()["data"]["energyStats"]
    assert [s["month"] for s in stats] == list(range(3, 13))
    assert all(set(s) == {"month", "energyWattHour"} for s in stats)


def test_energy_by_month_with_a_month_lists_that_month_only(clocked_at):
    _, api, user, _ = clocked_at(datetime(2019, 2, 15, 12))  # document's case 2
    dev = next(d.id for d in user.devices.values() if d.spec.model == "KP115(US)")
    stats = _energy(api, dev, month=9, year=2018, groupBy="month").json()["data"]["energyStats"]
    assert [s["month"] for s in stats] == [9]


def test_energy_by_month_for_this_year_stops_at_this_month(clocked_at):
    _, api, user, _ = clocked_at(datetime(2019, 6, 10, 12))  # document's case 3
    dev = next(d.id for d in user.devices.values() if d.spec.model == "KP115(US)")
    stats = _energy(api, dev, year=2019, groupBy="month").json()["data"]["energyStats"]
    assert [s["month"] for s in stats] == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize("params", [{"year": 2017}, {"year": 2018, "month": 2},
                                    {"year": 2019, "month": 4}, {"year": 2020}])
def test_energy_by_month_outside_12_months_is_out_of_range(clocked, params):
    _, api, user = clocked
    dev = next(d.id for d in user.devices.values() if d.spec.model == "KP115(US)")
    response = _energy(api, dev, groupBy="month", **params)
    assert error_of(response, 400) == "OUT_OF_RANGE_EXCEPTION"


def test_monthly_energy_is_the_sum_of_its_days(clocked):
    _, api, user = clocked
    dev = next(d.id for d in user.devices.values() if d.spec.model == "KP115(US)")
    days = _energy(api, dev, month=2, year=2019, groupBy="day").json()["data"]["energyStats"]
    month = _energy(api, dev, month=2, year=2019, groupBy="month").json()["data"]["energyStats"]
    total = sum(d["energyWattHour"] for d in days)
    assert abs(month[0]["energyWattHour"] - total) <= len(days)  # per-day rounding only


def test_energy_history_is_the_same_on_every_query(clocked):
    _, api, user = clocked
    dev = next(d.id for d in user.devices.values() if d.spec.model == "KP115(US)")
    query = dict(month=2, year=2019, groupBy="day")
    assert _energy(api, dev, **query).json()["data"] == _energy(api, dev, **query).json()["data"]


@pytest.mark.parametrize("params", [
    {"month": 2, "year": 2019},                       # no groupBy
    {"month": 2, "year": 2019, "groupBy": "week"},
    {"year": 2019, "groupBy": "day"},                 # by day needs a month
    {"month": 2, "groupBy": "day"},                   # no year
    {"month": 13, "year": 2019, "groupBy": "day"},
    {"month": "feb", "year": 2019, "groupBy": "day"},
    {"month": 2, "year": "-1", "groupBy": "day"},
])
def test_energy_query_parameters_are_checked(clocked, params):
    _, api, user = clocked
    dev = next(d.id for d in user.devices.values() if d.spec.model == "HS110(US)")
    assert error_of(_energy(api, dev, **params), 400) == "BAD_REQUEST"


@pytest.mark.parametrize("path", ["energy-consumption?month=2&year=2019&groupBy=day",
                                  "realtime-energy-consumption"])
def test_energy_on_a_plug_without_monitoring_is_capability_not_supported(api, ids, path):
    response = api.get(f"/devices/{ids['HS100']}/{path}")
    assert error_of(response, 400) == "CAPABILITY_NOT_SUPPORTED"


def test_energy_of_an_offline_device_is_device_offline(api, ids, cloud):
    cloud.set_online(ids["HS110"], False)
    response = api.get(f"/devices/{ids['HS110']}/realtime-energy-consumption")
    assert error_of(response, 400) == "DEVICE_OFFLINE"


def test_realtime_energy_reports_draw_while_on(api, ids):
    stat = api.get(f"/devices/{ids['KP115']}/realtime-energy-consumption").json()["data"]
    stat = stat["realTimeStat"]
    assert set(stat) == {"currentAmps", "VoltageVolts", "powerWatts", "totalKWs"}
    assert 60 < stat["powerWatts"] < 70
    assert 115 < stat["VoltageVolts"] < 125
    assert stat["currentAmps"] == pytest.approx(stat["powerWatts"] / stat["VoltageVolts"], rel=1e-3)
    assert stat["totalKWs"] > 0


def test_realtime_energy_reports_zero_watts_while_off(api, ids):
    api.post(f"/devices/{ids['KP115']}/power", {"powered": False})
    stat = api.get(f"/devices/{ids['KP115']}/realtime-energy-consumption").json()["data"]
    assert stat["realTimeStat"]["powerWatts"] == 0


def test_energy_accrues_only_while_the_plug_is_on(clocked_at):
    _, api, user, clock = clocked_at(datetime(2019, 3, 1, 12, 0))
    dev = next(d.id for d in user.devices.values() if d.spec.model == "KP115(US)")

    def total():
        path = f"/devices/{dev}/realtime-energy-consumption"
        return api.get(path).json()["data"]["realTimeStat"]["totalKWs"]

    before = total()
    clock.advance(hours=2)  # 65 W for two hours
    assert total() - before == pytest.approx(0.130, abs=0.002)
    api.post(f"/devices/{dev}/power", {"powered": False})
    off = total()
    clock.advance(hours=2)
    assert total() == off


def test_delete_energy_erases_history_and_resets_total(clocked):
    _, api, user = clocked
    dev = next(d.id for d in user.devices.values() if d.spec.model == "HS110(US)")
    assert api.delete(f"/devices/{dev}/energy-consumption").json().keys() == {
        "requestId", "responseTime"}
    assert _energy(api, dev, month=2, year=2019, groupBy="day").json()["data"] == {
        "energyStats": []}
    stat = api.get(f"/devices/{dev}/realtime-energy-consumption").json()["data"]["realTimeStat"]
    assert stat["totalKWs"] == 0


def test_delete_energy_on_a_plug_without_monitoring_is_capability_not_supported(api, ids):
    response = api.delete(f"/devices/{ids['HS100']}/energy-consumption")
    assert error_of(response, 400) == "CAPABILITY_NOT_SUPPORTED"


# -- runtime ------------------------------------------------------------------------

def test_runtime_by_day_lists_usage_minutes(clocked):
    _, api, user = clocked
    dev = next(d.id for d in user.devices.values() if d.spec.model == "KL130(US)")
    response = api.get(f"/devices/{dev}/runtime", params=dict(month=2, year=2019, groupBy="day"))
    stats = response.json()["data"]["runtimeStats"]
    assert [s["day"] for s in stats] == list(range(1, 29))
    assert all(set(s) == {"day", "usageMins"} and 0 <= s["usageMins"] <= 1440 for s in stats)


def test_runtime_by_month_lists_usage_minutes_per_month(clocked):
    _, api, user = clocked
    dev = next(d.id for d in user.devices.values() if d.spec.model == "HS220(US)")
    response = api.get(f"/devices/{dev}/runtime", params=dict(year=2018, groupBy="month"))
    stats = response.json()["data"]["runtimeStats"]
    assert [s["month"] for s in stats] == list(range(4, 13))  # March 2019: Apr-Dec 2018
    assert all(set(s) == {"month", "usageMins"} for s in stats)


def test_runtime_outside_the_window_is_out_of_range(clocked):
    _, api, user = clocked
    dev = next(d.id for d in user.devices.values() if d.spec.model == "HS220(US)")
    response = api.get(f"/devices/{dev}/runtime", params=dict(year=2016, groupBy="month"))
    assert error_of(response, 400) == "OUT_OF_RANGE_EXCEPTION"


def test_new_device_has_no_history_before_it_was_added(clocked):
    sim, api, user = clocked
    dev = sim.cloud.add_device(user, "HS110", name="New plug")
    response = api.get(f"/devices/{dev.id}/runtime", params=dict(month=2, year=2019, groupBy="day"))
    assert response.json()["data"]["runtimeStats"] == []


# -- schedules -----------------------------------------------------------------------

def _weekly(time_of_day="1800", days=None, name="Evening", **extra):
    return {"name": name, "enabled": True,
            "frequency": {"repeating": {"weekdays": ALL_WEEK if days is None else days,
                                          "timeOfDay": time_of_day}},
            "state": {"powered": True}, "timeOption": "TIME", **extra}


def _create(api, device_id, schedule):
    return api.post(f"/devices/{device_id}/schedules", {"schedule": schedule})


def test_schedule_create_get_list_update_and_delete(api, ids):
    dev = ids["KL130"]
    schedule = _weekly(state={"powered": True, "brightness": 100, "mode": "CUSTOMIZE_PRESET",
                              "color": {"hsb": {"hue": 100, "saturation": 100, "brightness": 100}},
                              "colorTemperature": 4500})
    created = _create(api, dev, schedule).json()["data"]["schedule"]
    assert list(created) == ["id"]
    sid = created["id"]

    got = api.get(f"/devices/{dev}/schedules/{sid}").json()["data"]["schedule"]
    assert got == {"id": sid, **schedule}
    assert api.get(f"/devices/{dev}/schedules").json()["data"]["schedules"] == [got]

    update = {"id": sid, "name": "Updated Name", "frequency": {"oneTime": {
        "scheduleTime": (datetime.now(LA) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")}}}
    response = api.post(f"/devices/{dev}/schedules/{sid}", {"schedule": update})
    assert response.json().keys() == {"requestId", "responseTime"}
    got = api.get(f"/devices/{dev}/schedules/{sid}").json()["data"]["schedule"]
    assert got["name"] == "Updated Name" and "oneTime" in got["frequency"]
    assert got["state"] == schedule["state"]  # fields left out keep their values

    assert api.delete(f"/devices/{dev}/schedules/{sid}").status_code == 200
    assert error_of(api.get(f"/devices/{dev}/schedules/{sid}"), 400) == "NOT_FOUND"


def test_delete_all_schedules_empties_the_list(api, ids):
    _create(api, ids["HS100"], _weekly("0700", name="Morning"))
    _create(api, ids["HS100"], _weekly("2200", name="Night"))
    assert api.delete(f"/devices/{ids['HS100']}/schedules").status_code == 200
    assert api.get(f"/devices/{ids['HS100']}/schedules").json()["data"]["schedules"] == []


def test_next_schedule_is_the_earliest_upcoming_enabled_one(clocked):
    _, api, user = clocked  # Friday, March 1st 2019, 12:00
    dev = next(d.id for d in user.devices.values() if d.spec.model == "HS100(US)")
    _create(api, dev, _weekly("1100", days=["FRIDAY"], name="passed today"))
    _create(api, dev, _weekly("1300", days=["FRIDAY"], name="disabled", enabled=False))
    soon = _create(api, dev, _weekly("0900", days=["SATURDAY"], name="tomorrow")).json()
    _create(api, dev, {"name": "once", "frequency": {"oneTime": {"scheduleTime": "2019-03-03T08:00"}},
                       "state": {"powered": False}})
    got = api.get(f"/devices/{dev}/schedules/next").json()["data"]["schedule"]
    assert got["id"] == soon["data"]["schedule"]["id"]


def test_next_schedule_when_none_is_upcoming_is_not_found(api, ids):
    assert error_of(api.get(f"/devices/{ids['HS100']}/schedules/next"), 400) == "NOT_FOUND"


def test_schedule_at_the_same_time_is_a_conflict(api, ids):
    _create(api, ids["HS100"], _weekly("1800", days=["MONDAY", "TUESDAY"]))
    response = _create(api, ids["HS100"], _weekly("1800", days=["TUESDAY"], name="clash"))
    assert error_of(response, 400) == "SCHEDULE_CONFLICT"


def test_one_time_schedule_on_a_repeating_day_and_time_is_a_conflict(clocked):
    _, api, user = clocked  # March 2nd 2019 is a Saturday
    dev = next(d.id for d in user.devices.values() if d.spec.model == "HS100(US)")
    _create(api, dev, _weekly("0800", days=["SATURDAY"]))
    once = {"name": "once", "frequency": {"oneTime": {"scheduleTime": "2019-03-02T08:00"}},
            "state": {"powered": False}}
    assert error_of(_create(api, dev, once), 400) == "SCHEDULE_CONFLICT"
    once["frequency"]["oneTime"]["scheduleTime"] = "2019-03-03T08:00"  # a Sunday
    assert _create(api, dev, once).status_code == 200


def test_disabled_or_different_time_schedules_do_not_conflict(api, ids):
    _create(api, ids["HS100"], _weekly("1800"))
    assert _create(api, ids["HS100"], _weekly("1801", name="later")).status_code == 200
    assert _create(api, ids["HS100"], _weekly("1800", name="off", enabled=False)).status_code == 200


def test_updating_a_schedule_does_not_conflict_with_itself(api, ids):
    sid = _create(api, ids["HS100"], _weekly("1800")).json()["data"]["schedule"]["id"]
    response = api.post(f"/devices/{ids['HS100']}/schedules/{sid}",
                        {"schedule": {"id": sid, "name": "Renamed"}})
    assert response.status_code == 200


def test_enabling_a_clashing_schedule_is_a_conflict(api, ids):
    _create(api, ids["HS100"], _weekly("1800"))
    sid = _create(api, ids["HS100"], _weekly("1800", name="off", enabled=False)).json()
    sid = sid["data"]["schedule"]["id"]
    response = api.post(f"/devices/{ids['HS100']}/schedules/{sid}",
                        {"schedule": {"id": sid, "enabled": True}})
    assert error_of(response, 400) == "SCHEDULE_CONFLICT"


@pytest.mark.parametrize("schedule", [
    _weekly(days=["FUNDAY"]),
    _weekly(days=[]),
    _weekly(time_of_day="2460"),
    _weekly(time_of_day="6pm"),
    _weekly(name="x" * 33),
    _weekly(timeOption="NOON"),
    {**_weekly(), "id": "chosen-by-client"},
    {k: v for k, v in _weekly().items() if k != "state"},
    {k: v for k, v in _weekly().items() if k != "frequency"},
    {**_weekly(), "state": {"brightness": 50}},  # powered is required
    {**_weekly(), "frequency": {"oneTime": {"scheduleTime": "2001-01-01T10:00"}}},
    {**_weekly(), "frequency": {"oneTime": {"scheduleTime": "tomorrow"}}},
    {**_weekly(), "frequency": {}},
])
def test_invalid_schedule_is_bad_request(api, ids, schedule):
    assert error_of(_create(api, ids["KL130"], schedule), 400) == "BAD_REQUEST"


@pytest.mark.parametrize("state", [{"powered": True, "brightness": 50},
                                   {"powered": True, "mode": "CIRCADIAN"}])
def test_schedule_state_the_device_cannot_take_is_capability_not_supported(api, ids, state):
    response = _create(api, ids["HS100"], {**_weekly(), "state": state})
    assert error_of(response, 400) == "CAPABILITY_NOT_SUPPORTED"


def test_schedules_on_a_device_without_the_trait_are_capability_not_supported(api, ids, cloud, user):
    # Every catalogue model schedules; give one device a spec without the trait.
    from dataclasses import replace
    dev = cloud.device(ids["HS100"])
    dev.spec = replace(dev.spec, traits=("traits.devices.OnOff",))
    response = api.get(f"/devices/{ids['HS100']}/schedules")
    assert error_of(response, 400) == "CAPABILITY_NOT_SUPPORTED"


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_unknown_schedule_is_not_found(api, ids, method):
    data = {"schedule": {"name": "x"}} if method == "POST" else None
    response = api.request(method, f"/devices/{ids['HS100']}/schedules/NOPE", data)
    assert error_of(response, 400) == "NOT_FOUND"


def test_schedule_update_with_another_id_in_the_body_is_bad_request(api, ids):
    sid = _create(api, ids["HS100"], _weekly()).json()["data"]["schedule"]["id"]
    response = api.post(f"/devices/{ids['HS100']}/schedules/{sid}",
                        {"schedule": {"id": "OTHER", "name": "x"}})
    assert error_of(response, 400) == "BAD_REQUEST"


def test_schedules_of_an_offline_device_are_device_offline(api, ids):
    assert error_of(api.get(f"/devices/{ids['HS200']}/schedules"), 400) == "DEVICE_OFFLINE"


# -- timezones and unlink -------------------------------------------------------------

def test_account_timezone_is_the_users(api, cloud, user):
    assert api.get("/account/timezone").json()["data"] == {"timezoneId": "America/Los_Angeles"}
    cloud.set_account_timezone(user, "Asia/Shanghai")
    assert api.get("/account/timezone").json()["data"] == {"timezoneId": "Asia/Shanghai"}


def test_device_timezone_sync_copies_the_account_timezone(api, ids, cloud):
    cloud.set_device_timezone(ids["HS110"], "Europe/Paris")
    path = f"/devices/{ids['HS110']}/timezone"
    assert api.get(path).json()["data"] == {"timezoneId": "Europe/Paris"}
    assert api.post(path).json()["data"] == {"timezoneId": "America/Los_Angeles"}
    assert api.get(path).json()["data"] == {"timezoneId": "America/Los_Angeles"}


def test_device_timezone_of_offline_device_is_device_offline(api, ids):
    assert error_of(api.get(f"/devices/{ids['HS200']}/timezone"), 400) == "DEVICE_OFFLINE"


def test_unlink_answers_empty_data_and_revokes_the_tokens(sim, cloud, user):
    access, refresh, _ = cloud.issue_tokens(user)
    api = Api(sim, access)
    body = api.post("/account/unlink").json()
    assert body["data"] == {}
    assert error_of(api.get("/devices"), 401) == "UNAUTHORIZED"
    response = requests.post(sim.oauth_url + "/oauth/access_token", timeout=5, params={
        "client_id": cloud.client_id, "client_secret": cloud.client_secret,
        "grant_type": "refresh_token", "refresh_token": refresh})
    assert response.json()["error"] == "invalid_grant"


# -- OAuth -------------------------------------------------------------------------

class FormParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.inputs, self.buttons, self.forms, self.scripts = {}, [], [], 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input":
            self.inputs[attrs["name"]] = attrs
        elif tag == "button":
            self.buttons.append(attrs)
        elif tag == "form":
            self.forms.append(attrs)
        elif tag == "script" or any(k.startswith("on") for k in attrs):
            self.scripts += 1


def authorize_params(cloud, **over):
    params = {"client_id": cloud.client_id, "response_type": "code", "state": "st-42",
              "scope": "device_control", "redirect_uri": REDIRECT}
    params.update(over)
    return {k: v for k, v in params.items() if v is not None}


def login(sim, params, username="ann@example.com", password="ann-password", decision="allow"):
    form = {**params, "username": username, "password": password, "decision": decision}
    return requests.post(sim.oauth_url + "/oauth/authorize", data=form, allow_redirects=False,
                         timeout=5)


def redirect_query(response) -> dict:
    assert response.status_code == 302, response.text
    location = response.headers["Location"]
    assert location.startswith(REDIRECT + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def token_call(sim, *, body=False, **params):
    url = sim.oauth_url + "/oauth/access_token"
    if body:
        return requests.post(url, data=params, timeout=5)
    return requests.post(url, params=params, timeout=5)


def test_authorize_page_is_a_login_and_consent_form_without_javascript(sim, cloud):
    response = requests.get(sim.oauth_url + "/oauth/authorize", params=authorize_params(cloud),
                            timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    page = FormParser()
    page.feed(response.text)
    assert page.forms == [{"method": "post", "action": "/oauth/authorize"}]
    assert page.inputs["username"]["type"] == "text"
    assert page.inputs["password"]["type"] == "password"
    assert page.inputs["state"]["value"] == "st-42"
    assert page.inputs["redirect_uri"]["value"] == REDIRECT
    assert {"type": "submit", "name": "decision", "value": "allow"} in page.buttons
    assert page.scripts == 0


def test_authorize_page_escapes_the_state(sim, cloud):
    params = authorize_params(cloud, state='"><script>alert(1)</script>')
    response = requests.get(sim.oauth_url + "/oauth/authorize", params=params, timeout=5)
    page = FormParser()
    page.feed(response.text)
    assert page.scripts == 0
    assert page.inputs["state"]["value"] == params["state"]


def test_authorize_with_unknown_client_shows_an_error_and_does_not_redirect(sim, cloud):
    response = requests.get(sim.oauth_url + "/oauth/authorize", allow_redirects=False, timeout=5,
                            params=authorize_params(cloud, client_id="intruder"))
    assert response.status_code == 400 and "Location" not in response.headers


def test_authorize_with_unregistered_redirect_uri_does_not_redirect():
    cloud = KasaCloud(redirect_uris=[REDIRECT])
    with SimulatedKasa(cloud) as sim:
        params = authorize_params(cloud, redirect_uri="https://evil.example/cb")
        response = requests.get(sim.oauth_url + "/oauth/authorize", params=params,
                                allow_redirects=False, timeout=5)
        assert response.status_code == 400 and "Location" not in response.headers


@pytest.mark.parametrize("over,error", [({"scope": "everything"}, "invalid_scope"),
                                        ({"response_type": "token"}, "unsupported_response_type"),
                                        ({"state": None}, "invalid_request")])
def test_authorize_with_bad_parameters_redirects_an_error(sim, cloud, over, error):
    response = requests.get(sim.oauth_url + "/oauth/authorize", allow_redirects=False, timeout=5,
                            params=authorize_params(cloud, **over))
    query = redirect_query(response)
    assert query["error"] == error and query["error_description"]
    assert query.get("state") == over.get("state", "st-42")


def test_allow_redirects_with_code_and_state_and_the_code_buys_tokens(sim, cloud, user):
    query = redirect_query(login(sim, authorize_params(cloud)))
    assert query["state"] == "st-42" and query["code"]
    response = token_call(sim, client_id=cloud.client_id, grant_type="authorization_code",
                          code=query["code"], redirect_uri=REDIRECT,
                          client_secret=cloud.client_secret)
    assert response.status_code == 200
    tokens = response.json()
    assert set(tokens) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 15 * 24 * 3600
    assert Api(sim, tokens["access_token"]).get("/devices").status_code == 200


def test_deny_redirects_access_denied_with_state(sim, cloud, user):
    query = redirect_query(login(sim, authorize_params(cloud), decision="deny"))
    assert query["error"] == "access_denied" and query["state"] == "st-42"
    assert "code" not in query


def test_wrong_password_shows_the_form_again_with_401(sim, cloud, user):
    response = login(sim, authorize_params(cloud), password="wrong")
    assert response.status_code == 401
    assert "Incorrect" in response.text and "Location" not in response.headers


def test_token_endpoint_accepts_a_form_body(sim, cloud, user):
    code = redirect_query(login(sim, authorize_params(cloud)))["code"]
    response = token_call(sim, body=True, client_id=cloud.client_id, code=code,
                          grant_type="authorization_code", redirect_uri=REDIRECT,
                          client_secret=cloud.client_secret)
    assert response.status_code == 200 and response.json()["access_token"]


def test_authorization_code_works_once(sim, cloud, user):
    code = redirect_query(login(sim, authorize_params(cloud)))["code"]
    params = dict(client_id=cloud.client_id, grant_type="authorization_code", code=code,
                  redirect_uri=REDIRECT, client_secret=cloud.client_secret)
    assert token_call(sim, **params).status_code == 200
    second = token_call(sim, **params)
    assert second.status_code == 400 and second.json()["error"] == "invalid_grant"


def test_authorization_code_needs_the_same_redirect_uri(sim, cloud, user):
    code = redirect_query(login(sim, authorize_params(cloud)))["code"]
    response = token_call(sim, client_id=cloud.client_id, grant_type="authorization_code",
                          code=code, redirect_uri=REDIRECT + "/other",
                          client_secret=cloud.client_secret)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_authorization_code_expires(clock):
    cloud = KasaCloud(clock=clock)
    cloud.create_user("ann@example.com", "ann-password")
    with SimulatedKasa(cloud) as sim:
        code = redirect_query(login(sim, authorize_params(cloud)))["code"]
        clock.advance(minutes=11)
        response = token_call(sim, client_id=cloud.client_id, grant_type="authorization_code",
                              code=code, redirect_uri=REDIRECT, client_secret=cloud.client_secret)
        assert response.json()["error"] == "invalid_grant"


def test_token_endpoint_names_missing_parameters(sim, cloud):
    response = token_call(sim, client_id=cloud.client_id, grant_type="refresh_token",
                          refresh_token="r")
    assert response.status_code == 400
    assert response.json() == {"error_description": "Missing parameters: client_secret",
                               "error": "invalid_request"}


def test_token_endpoint_rejects_a_wrong_client_secret(sim, cloud, user):
    _, refresh, _ = cloud.issue_tokens(user)
    response = token_call(sim, client_id=cloud.client_id, grant_type="refresh_token",
                          refresh_token=refresh, client_secret="wrong")
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_token_endpoint_answers_wrong_methods_with_an_oauth_error(sim):
    response = requests.get(sim.oauth_url + "/oauth/access_token", timeout=5)
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def test_token_endpoint_rejects_other_grant_types(sim, cloud):
    response = token_call(sim, client_id=cloud.client_id, grant_type="password",
                          client_secret=cloud.client_secret)
    assert response.status_code == 400 and response.json()["error"] == "unsupported_grant_type"


def test_refresh_grant_rotates_the_refresh_token(sim, cloud, user):
    old_access, old_refresh, _ = cloud.issue_tokens(user)
    params = dict(client_id=cloud.client_id, grant_type="refresh_token",
                  client_secret=cloud.client_secret)
    tokens = token_call(sim, refresh_token=old_refresh, **params).json()
    assert tokens["refresh_token"] != old_refresh and tokens["access_token"] != old_access
    assert Api(sim, tokens["access_token"]).get("/devices").status_code == 200
    assert Api(sim, old_access).get("/devices").status_code == 200  # lives until it expires
    again = token_call(sim, refresh_token=old_refresh, **params)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert token_call(sim, refresh_token=tokens["refresh_token"], **params).status_code == 200


def test_refresh_grant_without_rotation_keeps_the_refresh_token():
    cloud = KasaCloud(rotate_refresh_tokens=False)
    user = cloud.create_user("ann@example.com", "pw")
    with SimulatedKasa(cloud) as sim:
        _, refresh, _ = cloud.issue_tokens(user)
        params = dict(client_id=cloud.client_id, grant_type="refresh_token",
                      refresh_token=refresh, client_secret=cloud.client_secret)
        assert token_call(sim, **params).json()["refresh_token"] == refresh
        assert token_call(sim, **params).status_code == 200


def test_refresh_grant_revives_an_expired_access_token(sim, cloud, user):
    access, refresh, _ = cloud.issue_tokens(user)
    cloud.expire_token(access)
    assert error_of(Api(sim, access).get("/devices"), 401) == "UNAUTHORIZED"
    tokens = token_call(sim, client_id=cloud.client_id, grant_type="refresh_token",
                        refresh_token=refresh, client_secret=cloud.client_secret).json()
    assert Api(sim, tokens["access_token"]).get("/devices").status_code == 200


# -- fault knobs ------------------------------------------------------------------------

def test_global_latency_delays_every_request(api, cloud):
    cloud.set_latency(0.3)
    started = time.monotonic()
    assert api.get("/devices").status_code == 200
    assert time.monotonic() - started >= 0.3
    assert api.get("/devices").json()["responseTime"] >= 300


def test_device_latency_delays_only_that_device(api, cloud, ids):
    cloud.set_latency(0.4, device_id=ids["KL130"])
    started = time.monotonic()
    api.get(f"/devices/{ids['HS100']}")
    assert time.monotonic() - started < 0.3
    started = time.monotonic()
    api.post(f"/devices/{ids['KL130']}/power", {"powered": False})
    assert time.monotonic() - started >= 0.4
    cloud.set_latency(0, device_id=ids["KL130"])
    started = time.monotonic()
    api.get(f"/devices/{ids['KL130']}")
    assert time.monotonic() - started < 0.3


def test_fail_next_fails_exactly_n_requests(api, cloud):
    cloud.fail_next(2, status=503)
    assert error_of(api.get("/devices"), 503) == "SERVICE_UNAVAILABLE"
    assert error_of(api.get("/devices"), 503) == "SERVICE_UNAVAILABLE"
    assert api.get("/devices").status_code == 200


def test_fail_next_only_hits_matching_path_and_method(api, cloud, ids):
    cloud.fail_next(1, status=500, code="INTERNAL_ERROR", path=r"/power$", method="POST")
    assert api.get("/devices").status_code == 200
    assert api.get(f"/devices/{ids['HS100']}").status_code == 200
    response = api.post(f"/devices/{ids['HS100']}/power", {"powered": True})
    assert error_of(response, 500) == "INTERNAL_ERROR"
    assert api.post(f"/devices/{ids['HS100']}/power", {"powered": True}).status_code == 200


def test_fail_next_429_is_too_many_requests_with_retry_after(api, cloud):
    cloud.fail_next(status=429, retry_after=7)
    response = api.get("/devices")
    assert error_of(response, 429) == "TOO_MANY_REQUESTS"
    assert response.headers["Retry-After"] == "7"


def test_fail_next_can_send_a_non_json_body(api, cloud):
    cloud.fail_next(status=502, body="<html>Bad Gateway</html>")
    response = api.get("/devices")
    assert response.status_code == 502 and response.text == "<html>Bad Gateway</html>"


def test_fail_next_applies_to_the_token_endpoint(sim, cloud, user):
    _, refresh, _ = cloud.issue_tokens(user)
    cloud.fail_next(status=503, path="/oauth/access_token")
    params = dict(client_id=cloud.client_id, grant_type="refresh_token",
                  refresh_token=refresh, client_secret=cloud.client_secret)
    assert token_call(sim, **params).status_code == 503
    assert token_call(sim, **params).status_code == 200


def test_fail_next_rejects_nonsense(cloud):
    with pytest.raises(SimError):
        cloud.fail_next(0)
    with pytest.raises(SimError):
        cloud.fail_next(status=200)
    with pytest.raises(SimError):
        cloud.fail_next(path="(")


def test_rate_limit_answers_429_per_token(sim, cloud, user, api):
    other = Api(sim, cloud.issue_tokens(user)[0])
    cloud.set_rate_limit(3)
    assert [api.get("/devices").status_code for _ in range(3)] == [200] * 3
    limited = api.get("/devices")
    assert error_of(limited, 429) == "TOO_MANY_REQUESTS"
    assert limited.headers["Retry-After"] == "1"
    assert other.get("/devices").status_code == 200  # another token has its own budget
    time.sleep(1.05)
    assert api.get("/devices").status_code == 200
    cloud.set_rate_limit(None)
    assert all(api.get("/devices").status_code == 200 for _ in range(5))


def test_expire_token_knob_makes_the_token_unauthorized(api, cloud, token):
    cloud.expire_token(token)
    assert error_of(api.get("/devices"), 401) == "UNAUTHORIZED"


def test_expire_tokens_knob_expires_all_of_a_users_tokens(sim, cloud, user):
    apis = [Api(sim, cloud.issue_tokens(user)[0]) for _ in range(2)]
    assert cloud.expire_tokens(user) == 2
    assert [a.get("/devices").status_code for a in apis] == [401, 401]


def test_revoke_refresh_token_knob_makes_refresh_fail(sim, cloud, user):
    _, refresh, _ = cloud.issue_tokens(user)
    cloud.revoke_refresh_token(refresh)
    response = token_call(sim, client_id=cloud.client_id, grant_type="refresh_token",
                          refresh_token=refresh, client_secret=cloud.client_secret)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_set_online_knob_takes_a_device_offline_and_back(api, cloud, ids):
    cloud.set_online(ids["HS110"], False)
    assert api.get(f"/devices/{ids['HS110']}").json()["data"]["device"]["online"] is False
    assert error_of(api.post(f"/devices/{ids['HS110']}/power", {"powered": False}),
                    400) == "DEVICE_OFFLINE"
    cloud.set_online(ids["HS110"], True)
    assert api.post(f"/devices/{ids['HS110']}/power", {"powered": False}).status_code == 200


def test_change_state_knob_is_seen_by_the_api(api, cloud, ids):
    cloud.change_state(ids["KL130"], {"powered": False, "colorTemperature": 3000,
                                      "brightness": 20})
    assert state_of(api, ids["KL130"]) == {
        "powered": False, "color": {"hsb": {"hue": 240, "saturation": 75, "brightness": 20}},
        "colorTemperature": 3000, "brightness": 20}


def test_change_state_knob_refuses_values_the_device_cannot_take(cloud, ids):
    with pytest.raises(SimError):
        cloud.change_state(ids["HS100"], {"brightness": 10})
    with pytest.raises(SimError):
        cloud.change_state(ids["KL120"], {"colorTemperature": 9000})


def test_add_device_knob_adds_a_device_to_the_account(api, cloud, user):
    dev = cloud.add_device(user, "KL125", name="Kitchen", state={"powered": True})
    listed = api.get("/devices").json()["data"]["devices"]
    assert listed[-1]["id"] == dev.id and listed[-1]["model"] == "KL125(US)"
    assert listed[-1]["metadata"] == {"minColorTemperature": 2500, "maxColorTemperature": 6500}
    assert state_of(api, dev.id)["powered"] is True


def test_remove_device_knob_makes_the_device_not_found(api, cloud, ids):
    cloud.remove_device(ids["KP115"])
    assert ids["KP115"] not in [d["id"] for d in api.get("/devices").json()["data"]["devices"]]
    assert error_of(api.get(f"/devices/{ids['KP115']}"), 400) == "NOT_FOUND"


def test_create_user_with_a_chosen_device_list(cloud):
    user = cloud.create_user("few@example.com", "pw", devices=[
        "HS103", {"model": "KL120(EU)", "name": "Lamp", "id": "CUSTOM1", "online": False}])
    assert [d.spec.model for d in user.devices.values()] == ["HS103(US)", "KL120(EU)"]
    assert cloud.device("CUSTOM1").online is False
    assert cloud.device("CUSTOM1").spec.ct_range == (2700, 6500)
    with pytest.raises(SimError):
        cloud.create_user("few@example.com", "pw")
    with pytest.raises(SimError):
        cloud.create_user("bad@example.com", "pw", devices=["XX999"])
    assert "bad@example.com" not in cloud.users


# -- recording ------------------------------------------------------------------------

def test_requests_are_recorded_with_secrets_masked(api, cloud, ids):
    api.post(f"/devices/{ids['HS100']}/power", {"powered": True},
             headers={"X-Request-Id": "rec-1"})
    api.get("/devices/0000")
    first, second = cloud.requests()
    assert (first.method, first.path, first.status) == ("POST", f"/v1/devices/{ids['HS100']}/power", 200)
    assert first.headers["X-Request-Id"] == "rec-1" and first.request_id == "rec-1"
    assert first.headers["Authorization"] == "Bearer [redacted]"
    assert first.headers["X-Api-Key"] == "[redacted]"
    assert first.headers["X-Client-Id"] == cloud.client_id
    assert first.body == {"data": {"powered": True}}
    assert (second.status, second.code) == (400, "NOT_FOUND")


def test_recorded_requests_can_be_counted_per_path_and_method(api, cloud, ids):
    for _ in range(3):
        api.get("/devices")
    api.post(f"/devices/{ids['HS100']}/power", {"powered": True})
    assert cloud.count(r"/devices$") == 3
    assert cloud.count("/power", method="POST") == 1
    assert cloud.count(method="GET") == 3
    cloud.clear_requests()
    assert cloud.count() == 0


def test_token_endpoint_secrets_are_not_recorded(sim, cloud, user):
    _, refresh, _ = cloud.issue_tokens(user)
    token_call(sim, body=True, client_id=cloud.client_id, grant_type="refresh_token",
               refresh_token=refresh, client_secret=cloud.client_secret)
    record = cloud.requests("/oauth/access_token")[0]
    assert record.form["client_secret"] == "[redacted]"
    assert record.form["refresh_token"] == "[redacted]"
    assert record.form["grant_type"] == "refresh_token"


# -- admin endpoint and runner ------------------------------------------------------------

def test_admin_endpoint_drives_the_knobs_from_another_process(sim):
    admin = KasaSimAdmin(sim.admin_url)
    created = admin.create_user("remote@example.com", "pw", devices=["HS110", "KL130"])
    dev_ids = [d["id"] for d in created["devices"]]
    access, refresh, expires_in = admin.issue_tokens("remote@example.com")
    api = Api(sim, access)

    admin.change_state(dev_ids[1], {"powered": False})
    assert state_of(api, dev_ids[1])["powered"] is False
    admin.set_online(dev_ids[0], False)
    assert error_of(api.post(f"/devices/{dev_ids[0]}/power", {"powered": True}),
                    400) == "DEVICE_OFFLINE"
    admin.fail_next(status=503, path="/devices$")
    assert api.get("/devices").status_code == 503
    assert admin.count("/devices$") == 1
    added = admin.add_device("remote@example.com", "HS100", name="Extra")
    admin.remove_device(added["device"]["id"])
    admin.set_rate_limit(100)
    admin.set_latency(0.01)
    admin.clear_faults()
    state = admin.state()
    assert state["faults"] == {"latency": 0.0, "deviceLatency": {}, "pending": [],
                               "rateLimit": None}
    assert state["users"][0]["username"] == "remote@example.com"
    admin.expire_token(access)
    assert api.get("/devices").status_code == 401
    admin.revoke_refresh_token(refresh)
    assert admin.config()["client_id"] == sim.cloud.client_id
    with pytest.raises(SimError):
        admin.set_online("NO-SUCH-DEVICE")


def test_admin_requests_are_not_recorded_or_failed(sim, cloud):
    cloud.fail_next(status=500)
    admin = KasaSimAdmin(sim.admin_url)
    admin.state()
    assert cloud.count() == 0 and len(cloud.faults.rules) == 1


def test_runner_exposes_api_and_oauth_bases_on_loopback(sim):
    assert sim.url == f"http://127.0.0.1:{sim.port}/v1"
    assert sim.oauth_url == f"http://127.0.0.1:{sim.port}"
    assert sim.admin_url == f"http://127.0.0.1:{sim.port}/__sim"
    assert sim.port > 0


def test_runner_refuses_non_loopback_hosts():
    with pytest.raises(ValueError):
        SimulatedKasa(host="0.0.0.0")


def test_stop_closes_the_port_and_kept_alive_connections(cloud, user):
    sim = SimulatedKasa(cloud).start()
    api = Api(sim, cloud.issue_tokens(user)[0])
    assert api.get("/devices").status_code == 200  # leaves a pooled connection open
    url = sim.url
    sim.stop()
    with pytest.raises(requests.ConnectionError):
        api.session.get(url + "/devices", headers=sim.headers(api.token), timeout=2)
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/devices", timeout=2)


def test_restart_after_stop_serves_the_same_url_and_state(cloud, user):
    sim = SimulatedKasa(cloud).start()
    api = Api(sim, cloud.issue_tokens(user)[0])
    url = sim.url
    sim.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/devices", timeout=2)
    sim.start()
    try:
        assert sim.url == url
        assert api.get("/devices").status_code == 200
    finally:
        sim.stop()


def test_concurrent_commands_are_all_served(sim, cloud, user, ids):
    tokens = [cloud.issue_tokens(user)[0] for _ in range(8)]
    results = []

    def worker(token, powered):
        api = Api(sim, token)
        for _ in range(10):
            results.append(api.post(f"/devices/{ids['HS110']}/power", {"powered": powered}).status_code)

    threads = [threading.Thread(target=worker, args=(t, i % 2 == 0)) for i, t in enumerate(tokens)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200] * 80
    assert cloud.count("/power") == 80
