"""The simulated SmartHQ cloud's Digital Twin API, over real HTTP on 127.0.0.1.

Each test gets a fresh simulator whose clock stands still (``frozen``) until the test
moves it with ``cloud.advance``: an accepted command takes effect after
``COMMAND_DELAY`` simulated seconds, so tests call ``settle()`` to let it happen.
The fixtures and the small Event Stream client here are shared by the other
``test_smarthq_*`` files.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from datetime import datetime, timezone

import pytest
import requests
from simple_websocket import Client, ConnectionClosed

from connector.sandbox.smarthq import (DEFAULT_APPLIANCES, SimClock, SimulatedSmartHQ,
                                       SmartHQCloud)

START = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc).timestamp()
REDIRECT = "https://c2c-us.smartthings.com/oauth/callback"
P = "cloud.smarthq"


def dev_(x):
    return f"{P}.device.{x}"


def svc_(x):
    return f"{P}.service.{x}"


def dom_(x):
    return f"{P}.domain.{x}"


def cmd_(x):
    return f"{P}.command.{x}"


class Api:
    """Calls the Digital Twin API with a bearer token."""

    def __init__(self, sim: SimulatedSmartHQ, token: str):
        self.sim, self.token = sim, token
        self.session = requests.Session()

    def request(self, method, path, *, token=None, **kw):
        headers = self.sim.headers(token or self.token)
        headers.update(kw.pop("headers", {}))
        return self.session.request(method, self.sim.api_url + path, headers=headers,
                                    timeout=10, **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, json=None, **kw):
        return self.request("POST", path, json=json, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def command(self, device_id, stype, dom, sdt, **command):
        """POST /v2/command to the service with the short-named triple."""
        return self.post("/v2/command", {
            "kind": "service#command", "deviceId": device_id, "serviceType": svc_(stype),
            "domainType": dom_(dom), "serviceDeviceType": dev_(sdt),
            "command": {"commandType": cmd_(command.pop("type")), **command}})

    def service(self, device_id, stype, dom, sdt) -> dict:
        item = self.get(f"/v2/device/{device_id}").json()
        return next(s for s in item["services"]
                    if (s["serviceType"], s["domainType"], s["serviceDeviceType"])
                    == (svc_(stype), dom_(dom), dev_(sdt)))


class WsClient(Client):
    """simple-websocket's client, minus a race: when the server's first message comes in
    the same read as the handshake answer, the stock client leaves it parsed but
    undelivered until more data arrives. Deliver it right after the handshake."""

    def handshake(self):
        super().handshake()
        self.connected = self._handle_events()


class Stream:
    """A test-side Event Stream client: connects to the URL GET /v2/websocket returns,
    and reads messages with a timeout, optionally skipping those that don't match."""

    def __init__(self, api: Api):
        endpoint = api.get("/v2/websocket").json()["endpoint"]
        self.ws = WsClient.connect(endpoint)
        self.connect = self.next()

    def send(self, message: dict) -> None:
        self.ws.send(json.dumps(message))

    def next(self, kind: str | None = None, timeout: float = 3.0, **match) -> dict:
        """The next message of ``kind`` whose fields equal ``match`` (others skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            text = self.ws.receive(timeout=max(0.0, left)) if left > 0 else None
            if text is None:
                raise AssertionError(f"no {kind or 'message'} {match} within {timeout}s")
            message = json.loads(text)
            if (kind is None or message.get("kind") == kind) and all(
                    message.get(k) == v for k, v in match.items()):
                return message

    def drain(self, quiet: float = 0.15) -> list[dict]:
        """Every message that arrives until ``quiet`` seconds pass without one."""
        out = []
        while (text := self.ws.receive(timeout=quiet)) is not None:
            out.append(json.loads(text))
        return out

    def subscribe(self, device_id: str | None = None, **flags) -> dict:
        flags = flags or {f: True for f in ("services", "presence", "alerts", "commands")}
        message = {"kind": "websocket#pubsub", "action": "pubsub", **flags}
        if device_id is None:
            message["pubsub"] = True
        else:
            message["deviceId"] = device_id
        self.send(message)
        return self.next("websocket#pubsub")

    def closed(self, timeout: float = 3.0) -> tuple[int, str | None]:
        """Wait for the server to close; (close code, reason)."""
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                self.ws.receive(timeout=0.05)
                if not self.ws.connected:
                    break
        except ConnectionClosed:
            pass
        assert not self.ws.connected, "the socket is still open"
        return self.ws.close_reason, self.ws.close_message

    def close(self) -> None:
        try:
            self.ws.close()
        except ConnectionClosed:
            pass


@pytest.fixture
def clock():
    return SimClock(START, frozen=True)


@pytest.fixture
def cloud(clock):
    return SmartHQCloud(clock=clock, command_timeout=0.2)


@pytest.fixture
def sim(cloud):
    with SimulatedSmartHQ(cloud) as running:
        yield running


@pytest.fixture
def user(cloud):
    return cloud.create_user("ann@example.com", "ann-password")


@pytest.fixture
def tokens(cloud, user):
    """Long-lived, so tests can move the clock by days (expiry has its own tests)."""
    return cloud.issue_tokens(user, access_ttl=30 * 86400)


@pytest.fixture
def api(sim, tokens):
    return Api(sim, tokens[0])


@pytest.fixture
def ids(user):
    """Device ids of the default set by kind: ids["washer"]."""
    return {d.kind: d.device_id for d in user.devices.values()}


@pytest.fixture
def settle(cloud):
    """Let accepted commands take effect (and nothing much else happen)."""
    return lambda: cloud.advance(1)


@pytest.fixture
def stream(api):
    opened = []

    def open_(client_api: Api | None = None) -> Stream:
        s = Stream(client_api or api)
        opened.append(s)
        return s

    yield open_
    for s in opened:
        s.close()


def assert_error(response, status: int, reason: str | None = None) -> dict:
    """An API error answer: the status and the ``kind: error`` envelope."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["kind"] == "error" and body["code"] == status
    assert set(body) == {"kind", "code", "message", "reason"}
    if reason is not None:
        assert reason in body["reason"], body
    return body


# -- authentication -------------------------------------------------------------------------

def test_requests_without_a_valid_bearer_token_are_401_with_the_error_envelope(api):
    assert_error(requests.get(api.sim.api_url + "/v2/device", timeout=5), 401)
    assert_error(api.get("/v2/device", token="not-a-token"), 401)
    response = requests.get(api.sim.api_url + "/v2/device", timeout=5,
                            headers={"Authorization": "Basic abc"})
    assert_error(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_unknown_paths_are_404_and_wrong_methods_405_with_the_envelope(api):
    assert_error(api.get("/v2/nothing"), 404)
    assert_error(api.request("PUT", "/v2/device"), 405)


# -- devices ----------------------------------------------------------------------------------

def test_device_list_has_the_envelope_and_entries_without_services(api, user):
    body = api.get("/v2/device").json()
    assert body["kind"] == "device#list"
    assert (body["userId"], body["page"], body["perpage"], body["total"]) == (user.user_id, 1, 50, 8)
    entry = body["devices"][0]
    assert "services" not in entry
    assert set(entry) == {"deviceId", "deviceType", "nickname", "model", "serial", "manufacturer",
                          "brand", "macAddress", "presence", "room", "icon", "adapterId",
                          "gatewayId", "lastSyncTime", "lastPresenceTime", "createdDateTime"}
    assert entry["lastSyncTime"] == "2024-05-01T12:00:00.000Z"
    assert re.fullmatch(r"D8:28:C9(:[0-9A-F]{2}){3}", entry["macAddress"])


def test_device_list_pages_with_page_and_perpage(api):
    pages = [api.get(f"/v2/device?perpage=3&page={n}").json() for n in (1, 2, 3, 4)]
    assert [len(p["devices"]) for p in pages] == [3, 3, 2, 0]
    assert all(p["total"] == 8 and p["perpage"] == 3 for p in pages)
    seen = [d["deviceId"] for p in pages for d in p["devices"]]
    assert len(set(seen)) == 8


@pytest.mark.parametrize("query", ["perpage=101", "perpage=0", "page=0", "page=x",
                                   "order=up", "sort=colour"])
def test_device_list_refuses_bad_paging_and_sorting_with_400(api, query):
    assert_error(api.get(f"/v2/device?{query}"), 400)


@pytest.mark.parametrize("spec, kinds", [
    (f"{P}.device.washer,{P}.device.dryer", {"washer", "dryer"}),
    (f"^{P}.device.washer", {"dryer", "laundrycenter", "dishwasher", "refrigerator", "oven",
                             "airconditioner", "freezer"}),
    (f"{P}.device.*er", {"washer", "dryer", "laundrycenter", "dishwasher", "airconditioner",
                         "freezer"}),
    ("*.d?yer", {"dryer"}),
])
def test_device_type_filter_takes_lists_negation_and_wildcards(api, spec, kinds):
    devices = api.get("/v2/device", params={"deviceType": spec}).json()["devices"]
    assert {d["deviceType"].rsplit(".", 1)[1] for d in devices} == kinds


def test_device_list_sorts_and_orders_and_filters_by_other_fields(api):
    names = [d["nickname"] for d in api.get("/v2/device?sort=nickname&order=desc").json()["devices"]]
    assert names == sorted(names, reverse=True)
    kitchen = api.get("/v2/device?room=Kitchen").json()
    assert kitchen["total"] == 3 and all(d["room"] == "Kitchen" for d in kitchen["devices"])


def test_device_count_groups_by_device_type(api):
    body = api.get("/v2/device/count?groupBy=deviceType").json()
    assert body["kind"] == "device#count"
    assert {d["deviceType"]: d["count"] for d in body["devices"]}[dev_("washer")] == 1
    assert sum(d["count"] for d in body["devices"]) == 8


def test_device_item_has_services_addressed_by_triples(api, ids, user):
    body = api.get(f"/v2/device/{ids['washer']}").json()
    assert body["kind"] == "device#item" and body["userId"] == user.user_id
    assert body["removable"] is True
    assert f"{P}.alert.washer.endofcycle" in body["alertTypes"]
    triples = [(s["serviceType"], s["domainType"], s["serviceDeviceType"]) for s in body["services"]]
    assert len(set(triples)) == len(triples)
    for service in body["services"]:
        assert re.fullmatch(r"[A-Za-z0-9.\-]{1,64}", service["serviceId"])
        assert set(service) == {"serviceId", "serviceType", "domainType", "serviceDeviceType",
                                "supportedCommands", "state", "config", "lastSyncTime",
                                "lastStateTime"}
    state = api.service(ids["washer"], "laundry.state.v1", "laundry", "washer")
    assert state["supportedCommands"] == []  # read-only (§2.3.2)
    assert state["state"]["runStatus"] == f"{P}.type.runstatus.idle"


def test_another_users_device_is_403_and_an_unknown_device_404(api, cloud):
    other = cloud.create_user("bob@example.com", "bob-password", ["washer"])
    theirs = next(iter(other.devices))
    assert_error(api.get(f"/v2/device/{theirs}"), 403)
    assert_error(api.get("/v2/device/0000"), 404)
    assert api.get("/v2/device").json()["total"] == 8


def test_one_service_is_wrapped_with_kind_and_device_id_and_unknown_is_404(api, ids):
    item = api.get(f"/v2/device/{ids['refrigerator']}").json()
    first = item["services"][0]
    body = api.get(f"/v2/device/{ids['refrigerator']}/service/{first['serviceId']}").json()
    assert body["kind"] == "service#item" and body["deviceId"] == ids["refrigerator"]
    assert {k: v for k, v in body.items() if k not in ("kind", "deviceId")} == first
    assert_error(api.get(f"/v2/device/{ids['refrigerator']}/service/nope"), 404)


# -- the appliance set ----------------------------------------------------------------------------

def test_default_set_has_every_kind_and_one_offline_appliance(api):
    devices = api.get("/v2/device").json()["devices"]
    assert [d["deviceType"] for d in devices] == [dev_(k) for k, _ in DEFAULT_APPLIANCES]
    assert [d["deviceType"] for d in devices if d["presence"] != "ONLINE"] == [dev_("freezer")]


def test_refrigerator_is_shaped_like_the_pvd28_dump(api, ids):
    fridge = ids["refrigerator"]
    ff = api.service(fridge, "temperature", "setpoint", "refrigerator.freshfood")
    assert ff["state"]["fahrenheit"] == 37
    assert (ff["config"]["fahrenheitMinimum"], ff["config"]["fahrenheitMaximum"]) == (34, 42)
    fz = api.service(fridge, "temperature", "setpoint", "refrigerator.freezer")
    assert (fz["config"]["fahrenheitMinimum"], fz["config"]["fahrenheitMaximum"]) == (-6, 5)
    for sdt in ("refrigerator.freshfood", "refrigerator.freezer"):
        turbo = api.service(fridge, "toggle", "turbo", sdt)
        assert turbo["supportedCommands"] == [cmd_("toggle.set")]
    door = api.service(fridge, "door", "door", "refrigerator")
    assert set(door["state"]) == {"topLeftOpen", "topRightOpen", "topRightDoorInDoorOpen",
                                  "middleOpen", "bottomOpen"}
    assert api.service(fridge, "integer", "percent.usage.remaining",
                       "refrigerator.waterfilter")["state"]["value"] == 71
    drawer = api.service(fridge, "temperature", "setpoint", "refrigerator.convertibledrawer.mode3")
    assert drawer["config"]["label"] == "Meat" and drawer["state"]["fahrenheit"] == 29


def test_laundry_center_has_washer_and_dryer_sub_devices(api, ids):
    item = api.get(f"/v2/device/{ids['laundrycenter']}").json()
    sdts = {s["serviceDeviceType"] for s in item["services"]}
    assert sdts == {dev_("washer"), dev_("dryer")}
    for sdt in ("washer", "dryer"):
        api.service(ids["laundrycenter"], "laundry.state.v1", "laundry", sdt)


def test_oven_remote_is_full_on_upper_and_stop_only_on_lower(api, ids):
    upper = api.service(ids["oven"], "cooking.state.v1", "cooking", "oven.upper")
    lower = api.service(ids["oven"], "cooking.state.v1", "cooking", "oven.lower")
    assert upper["config"]["supportedRemote"] == f"{P}.type.cookingremote.full"
    assert lower["config"]["supportedRemote"] == f"{P}.type.cookingremote.enable"
    assert lower["supportedCommands"] == [cmd_("cooking.state.v1.stop")]
    bake = api.service(ids["oven"], "cooking.mode.v1", "cooking.bake", "oven.lower")
    assert bake["supportedCommands"] == []


# -- commands -----------------------------------------------------------------------------------

def test_command_is_accepted_at_once_and_applied_asynchronously(api, ids, settle):
    response = api.command(ids["refrigerator"], "temperature", "setpoint",
                           "refrigerator.freshfood", type="temperature.set", fahrenheit=40)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"kind", "success", "correlationId", "services", "outcome"}
    assert (body["kind"], body["success"], body["services"], body["outcome"]) == (
        "service#command", True, [], f"{P}.outcome.success")
    before = api.service(ids["refrigerator"], "temperature", "setpoint", "refrigerator.freshfood")
    assert before["state"]["fahrenheit"] == 37
    settle()
    after = api.service(ids["refrigerator"], "temperature", "setpoint", "refrigerator.freshfood")
    assert (after["state"]["fahrenheit"], after["state"]["celsius"]) == (40, 4)


def test_celsius_setpoint_updates_both_units(api, ids, settle):
    api.command(ids["refrigerator"], "temperature", "setpoint", "refrigerator.freezer",
                type="temperature.set", celsius=-20)
    settle()
    state = api.service(ids["refrigerator"], "temperature", "setpoint", "refrigerator.freezer")["state"]
    assert (state["celsius"], state["fahrenheit"]) == (-20, -4)


def test_command_outcome_lookup_and_summary(api, ids, settle):
    cid = api.command(ids["refrigerator"], "toggle", "turbo", "refrigerator.freshfood",
                      type="toggle.set", on=True).json()["correlationId"]
    settle()
    body = api.get(f"/v2/command/{cid}").json()
    assert body["kind"] == "command#outcomes" and body["correlationId"] == cid
    assert body["command"] == {"commandType": cmd_("toggle.set"), "on": True}
    assert (body["page"], body["perpage"], body["total"]) == (1, 50, 1)
    outcome = body["outcomes"][0]
    assert outcome["outcome"] == f"{P}.outcome.success"
    assert outcome["deviceType"] == dev_("refrigerator")
    assert outcome["serviceDeviceType"] == dev_("refrigerator.freshfood")
    summary = api.get(f"/v2/command/{cid}/summary").json()
    assert summary == {"kind": "command#summary", "success": 1, "failed": 0, "timeout": 0,
                       "unknown": 0, "total": 1,
                       "outcomes": [{"outcome": f"{P}.outcome.success", "count": 1}]}
    assert_error(api.get("/v2/command/not-a-correlation-id"), 404)
    assert api.get("/v2/command").json()["commands"][0]["correlationId"] == cid


def _body(ids, **over):
    body = {"kind": "service#command", "deviceId": ids["refrigerator"],
            "serviceType": svc_("temperature"), "domainType": dom_("setpoint"),
            "serviceDeviceType": dev_("refrigerator.freshfood"),
            "command": {"commandType": cmd_("temperature.set"), "fahrenheit": 38}}
    for key, value in over.items():
        if value is None:
            body.pop(key)
        else:
            body[key] = value
    return body


@pytest.mark.parametrize("change, reason", [
    ({"kind": "service#commands"}, "kind"),
    ({"deviceId": None}, "deviceId"),
    ({"command": None}, "command is required"),
    ({"serviceDeviceType": dev_("refrigerator.freezer"), "serviceType": svc_("toggle")},
     "No service matches"),
    ({"command": {"commandType": cmd_("toggle.set"), "on": True}}, "not supported"),
    ({"command": {"commandType": cmd_("temperature.set"), "fahrenheit": 50}}, "outside"),
    ({"command": {"commandType": cmd_("temperature.set"), "fahrenheit": 38, "celsius": 3}},
     "exactly one"),
    ({"command": {"commandType": cmd_("temperature.set"), "kelvin": 300}}, "Unsupported"),
    ({"command": {"commandType": cmd_("temperature.set"), "fahrenheit": "38"}}, "number"),
    ({"extra": 1}, "Unknown field"),
])
def test_command_validation_answers_400(api, ids, change, reason):
    assert_error(api.post("/v2/command", _body(ids, **change)), 400, reason)


def test_command_body_must_be_json(api):
    assert_error(api.post("/v2/command", data="kind=service#command",
                          headers={"Content-Type": "application/x-www-form-urlencoded"}), 400)
    assert_error(api.post("/v2/command", data="{", headers={"Content-Type": "application/json"}), 400)


@pytest.mark.parametrize("stype, dom, sdt, command", [
    ("toggle", "turbo", "refrigerator.freezer", {"type": "toggle.set", "on": 1}),
    ("mode", "temperatureunits", "refrigerator", {"type": "mode.set", "mode": "kelvin"}),
    ("integer", "brightness.light", "refrigerator", {"type": "integer.set", "value": 101}),
    ("integer", "brightness.light", "refrigerator", {"type": "integer.adjust", "delta": 1}),
])
def test_command_values_are_checked_against_config(api, ids, stype, dom, sdt, command):
    assert_error(api.command(ids["refrigerator"], stype, dom, sdt, **command), 400)


def test_integer_adjust_and_mode_set_apply(api, ids, settle):
    api.command(ids["refrigerator"], "integer", "brightness.light", "refrigerator",
                type="integer.adjust", delta=-30)
    api.command(ids["refrigerator"], "mode", "temperatureunits", "refrigerator",
                type="mode.set", mode=f"{P}.type.mode.celsius")
    settle()
    assert api.service(ids["refrigerator"], "integer", "brightness.light",
                       "refrigerator")["state"]["value"] == 70
    assert api.service(ids["refrigerator"], "mode", "temperatureunits",
                       "refrigerator")["state"]["mode"] == f"{P}.type.mode.celsius"


def test_command_to_an_offline_appliance_is_412(api, ids):
    response = api.command(ids["freezer"], "toggle", "turbo", "freezer", type="toggle.set", on=True)
    assert_error(response, 412, "offline")


def test_washer_start_without_remote_start_armed_answers_servicedisabled(api, ids, settle):
    response = api.command(ids["washer"], "trigger", "start", "washer", type="trigger.do")
    assert response.status_code == 200
    body = response.json()
    assert (body["success"], body["outcome"]) == (False, f"{P}.outcome.servicedisabled")
    settle()
    state = api.service(ids["washer"], "laundry.state.v1", "laundry", "washer")["state"]
    assert state["runStatus"] == f"{P}.type.runstatus.idle"
    summary = api.get(f"/v2/command/{body['correlationId']}/summary").json()
    assert (summary["failed"], summary["total"]) == (1, 1)


def test_missing_permissions_answer_403(api, cloud, ids):
    cloud.set_permissions(["device:read"])
    assert_error(api.command(ids["refrigerator"], "toggle", "turbo", "refrigerator.freezer",
                             type="toggle.set", on=True), 403, "service:command")
    assert_error(api.get(f"/v2/device/{ids['washer']}/service/x"), 403, "service:read")
    assert api.get("/v2/device").status_code == 200


def test_batch_command_reaches_every_matching_device_and_404_when_none(api, ids, settle):
    response = api.post("/v2/commands?deviceType=" + dev_("washer") + "," + dev_("laundrycenter"), {
        "kind": "service#commands", "serviceType": svc_("remotecycleselection"),
        "domainType": dom_("laundry.remotecycleselect"), "serviceDeviceType": dev_("washer"),
        "command": {"commandType": cmd_("remotecycleselection.set"),
                    "mode": dom_("laundry.quickwash")}})
    body = response.json()
    assert (body["kind"], body["total"]) == ("service#commands", 2)
    outcomes = api.get(f"/v2/command/{body['correlationId']}").json()["outcomes"]
    assert {o["deviceId"] for o in outcomes} == {ids["washer"], ids["laundrycenter"]}
    assert all(o["outcome"] == f"{P}.outcome.servicedisabled" for o in outcomes)  # not armed
    none = api.post("/v2/commands?deviceType=" + dev_("oven"), {
        "kind": "service#commands", "serviceType": svc_("toggle"), "domainType": dom_("turbo"),
        "serviceDeviceType": dev_("washer"), "command": {"commandType": cmd_("toggle.set"), "on": True}})
    assert_error(none, 404)


def test_thermostat_set_takes_partial_state_and_checks_config(api, ids, settle):
    ac = ids["airconditioner"]
    api.command(ac, "thermostat.v1", "thermostat", "airconditioner", type="thermostat.v1.set",
                mode=f"{P}.type.thermostatmode.dry", coolFahrenheit=75)
    settle()
    state = api.service(ac, "thermostat.v1", "thermostat", "airconditioner")["state"]
    assert (state["mode"], state["coolFahrenheit"], state["coolCelsius"], state["on"]) == (
        f"{P}.type.thermostatmode.dry", 75, 24, True)
    api.command(ac, "thermostat.v1", "thermostat", "airconditioner", type="thermostat.v1.set.maximum")
    settle()
    assert api.service(ac, "thermostat.v1", "thermostat", "airconditioner")["state"]["coolFahrenheit"] == 86
    for bad in ({"coolFahrenheit": 90}, {"heatFahrenheit": 70}, {"swing": True},
                {"fanSpeed": f"{P}.type.fanspeed.turbo"}, {}):
        assert_error(api.command(ac, "thermostat.v1", "thermostat", "airconditioner",
                                 type="thermostat.v1.set", **bad), 400)


def test_dishwasher_cycle_selection_and_remote_start_run_to_completion(api, ids, cloud, settle):
    dw = ids["dishwasher"]
    api.command(dw, "dishwasher.mode.v1", "dishwasher.express", "dishwasher",
                type="dishwasher.mode.v1.set", washTemp="sani", heatedDry="maxdry")
    settle()
    assert api.service(dw, "dishwasher.state.v1", "dishwasher", "dishwasher")["state"]["mode"] == \
        dom_("dishwasher.express")
    assert_error(api.command(dw, "dishwasher.mode.v1", "dishwasher.rinse", "dishwasher",
                             type="dishwasher.mode.v1.set", heatedDry="maxdry"), 400)
    api.command(dw, "dishwasher.state.v1", "dishwasher", "dishwasher", type="dishwasher.state.v1.start")
    settle()
    timer = api.service(dw, "cycletimer", "cycle", "dishwasher")["state"]
    assert timer["secondsInitial"] == 3600
    cloud.advance(3600)
    state = api.service(dw, "dishwasher.state.v1", "dishwasher", "dishwasher")["state"]
    assert state["runStatus"] == f"{P}.type.runstatus.complete"
    alerts = api.get(f"/v2/device/{dw}/alert").json()["alerts"]
    assert [a["alertType"] for a in alerts] == [f"{P}.alert.dishwasher.endofcycle"]


def test_oven_start_preheats_to_the_setpoint_and_stop_ends_it(api, ids, cloud, settle):
    oven = ids["oven"]
    api.command(oven, "cooking.mode.v1", "cooking.bake", "oven.upper", type="cooking.mode.v1.start",
                cavityFahrenheit=350, cookTimeSeconds=1800)
    settle()
    state = api.service(oven, "cooking.state.v1", "cooking", "oven.upper")["state"]
    assert (state["mode"], state["runStatus"]) == (dom_("cooking.bake"), f"{P}.type.runstatus.in.progress")
    cloud.advance(12 * 60)
    assert api.service(oven, "temperature", "cooking.cavity.upper", "oven.upper")["state"]["fahrenheit"] == 350
    assert api.service(oven, "cooking.state.v1", "cooking", "oven.upper")["state"]["cookingStatus"] == \
        f"{P}.type.cookingstatus.cooking"
    api.command(oven, "cooking.state.v1", "cooking", "oven.upper", type="cooking.state.v1.stop")
    settle()
    assert api.service(oven, "cooking.state.v1", "cooking", "oven.upper")["state"]["runStatus"] == \
        f"{P}.type.runstatus.idle"
    assert_error(api.command(oven, "cooking.mode.v1", "cooking.bake", "oven.upper",
                             type="cooking.mode.v1.start"), 400, "required")
    assert_error(api.command(oven, "cooking.mode.v1", "cooking.bake", "oven.lower",
                             type="cooking.mode.v1.start", cavityFahrenheit=350), 400)


def test_oven_commands_answer_servicedisabled_when_remote_is_off_on_the_panel(api, ids, cloud):
    cloud.set_remote_control(ids["oven"], False, "oven.upper")
    body = api.command(ids["oven"], "cooking.state.v1", "cooking", "oven.upper",
                       type="cooking.state.v1.stop").json()
    assert body["outcome"] == f"{P}.outcome.servicedisabled"


# -- delete, pub/sub, websocket, gateway, alerts, history ----------------------------------

def test_delete_device_is_204_or_409_not_removable_or_412_offline(api, ids):
    assert api.delete(f"/v2/device/{ids['dryer']}").status_code == 204
    assert_error(api.get(f"/v2/device/{ids['dryer']}"), 404)
    assert_error(api.delete(f"/v2/device/{ids['refrigerator']}"), 409)
    assert_error(api.delete(f"/v2/device/{ids['freezer']}"), 412)


def test_websocket_endpoint_is_a_ws_url_carrying_the_token(api, sim, tokens):
    body = api.get("/v2/websocket").json()
    assert body["kind"] == "websocket#endpoint"
    assert body["endpoint"].startswith(f"ws://127.0.0.1:{sim.port}/")
    assert f"access_token={tokens[0]}" in body["endpoint"]


def test_user_pubsub_can_be_set_read_and_deleted(api):
    assert api.get("/v2/pubsub").json()["pubsub"] is False
    answer = api.post("/v2/pubsub", {"kind": "user#pubsub", "pubsub": True, "services": True,
                                     "presence": True})
    assert answer.json() == {"kind": "user#pubsub", "success": True}
    assert api.get("/v2/pubsub").json() == {"kind": "user#pubsub", "pubsub": True, "services": True,
                                            "presence": True, "alerts": False, "commands": False}
    assert api.delete("/v2/pubsub").status_code == 204
    assert api.get("/v2/pubsub").json()["pubsub"] is False
    assert_error(api.post("/v2/pubsub", {"kind": "user#pubsub"}), 400, "pubsub")


def test_device_pubsub_needs_user_pubsub_first_and_404s_unknown_devices(api, ids):
    body = {"kind": "device#pubsub", "pubsub": True, "services": True}
    assert_error(api.post(f"/v2/device/{ids['washer']}/pubsub", body), 412)
    api.post("/v2/pubsub", {"kind": "user#pubsub", "pubsub": True})
    assert api.post(f"/v2/device/{ids['washer']}/pubsub", body).json()["success"] is True
    got = api.get(f"/v2/device/{ids['washer']}/pubsub").json()
    assert (got["kind"], got["services"], got["presence"]) == ("device#pubsub", True, False)
    assert_error(api.post("/v2/device/unknown/pubsub", body), 404)
    assert api.delete(f"/v2/device/{ids['washer']}/pubsub").status_code == 204
    assert api.get(f"/v2/device/{ids['washer']}/pubsub").json()["services"] is False


def test_gateway_provisioning_listing_and_schema_names(api, cloud):
    token = api.post("/v2/gateway", {"kind": "gateway#provision"}).json()["gatewayProvisioningToken"]
    assert token.startswith("aue1v")
    assert_error(api.post("/v2/gateway", {"kind": "gateway#list"}), 400)
    assert api.get("/v2/gateway").json()["total"] == 8
    cloud.set_permissions(["device:read"])
    assert_error(api.get("/v2/gateway"), 403, "gateway:list")
    assert "client.post.serviceCommand" in api.get("/v2/schema").json()["schemas"]


def test_alerts_are_listed_recent_and_per_device_and_can_be_cleared(api, ids, cloud):
    cloud.fire_alert(ids["dishwasher"], "dishwasher.rinseaid.low")
    recent = api.get("/v2/alert/recent?after=1d").json()
    assert recent["kind"] == "alert#report" and recent["total"] == 1
    row = recent["alerts"][0]
    assert (row["deviceId"], row["alertType"], row["model"]) == (
        ids["dishwasher"], f"{P}.alert.dishwasher.rinseaid.low", "PDT785SYNFS")
    kind = f"{P}.alert.dishwasher.rinseaid.low"
    one = api.get(f"/v2/device/{ids['dishwasher']}/alert/{kind}").json()
    assert one["kind"] == "device#alert" and one["history"][0]["alertId"] == row["lastAlertId"]
    assert api.delete(f"/v2/device/{ids['dishwasher']}/alert/{kind}").status_code == 204
    listed = api.get(f"/v2/device/{ids['dishwasher']}/alert").json()
    assert listed["totalTriggeredAlerts"] == 0 and listed["alerts"][0]["clear"] is True
    assert api.get(f"/v2/device/{ids['dishwasher']}/alert?onlyTriggered=true").json()["alerts"] == []
    cloud.advance(2 * 86400)
    assert api.get("/v2/alert/recent?after=1d").json()["total"] == 0
    assert_error(api.get("/v2/alert/recent?after=soon"), 400)


def test_service_and_presence_history(api, ids, cloud, settle):
    fridge = ids["refrigerator"]
    sid = api.service(fridge, "toggle", "turbo", "refrigerator.freshfood")["serviceId"]
    for on in (True, False, True):
        api.command(fridge, "toggle", "turbo", "refrigerator.freshfood", type="toggle.set", on=on)
        settle()
    body = api.get(f"/v2/device/{fridge}/service/{sid}/history?pageSize=2").json()
    assert body["kind"] == "service#history" and body["total"] == 4
    assert [h["state"]["on"] for h in body["history"]] == [True, False]
    after = api.get(f"/v2/device/{fridge}/service/{sid}/history",
                    params={"timeFrame": "after:2024-05-01T12:00:00.100Z"}).json()
    assert after["total"] == 3
    assert_error(api.get(f"/v2/device/{fridge}/service/{sid}/history?pageSize=201"), 400)
    cloud.set_presence(fridge, "OFFLINE")
    presence = api.get(f"/v2/device/{fridge}/presence").json()
    assert [h["presence"] for h in presence["history"]] == ["OFFLINE", "ONLINE"]


# -- the runner ---------------------------------------------------------------------------

def test_runner_serves_every_surface_and_restarts_on_the_same_port(cloud, user):
    sim = SimulatedSmartHQ(cloud)
    with pytest.raises(RuntimeError):
        sim.api_url
    with sim:
        port = sim.port
        assert sim.api_url.endswith("/client") and sim.oauth_url.endswith("/accounts")
        assert requests.get(sim.admin_url + "/config", timeout=5).json()["client_id"] == cloud.client_id
    with sim:
        assert sim.port == port
        access = cloud.issue_tokens(user)[0]
        assert requests.get(sim.api_url + "/v2/device", headers=sim.headers(access),
                            timeout=5).status_code == 200


def test_module_runs_on_its_own_and_prints_json():
    proc = subprocess.Popen([sys.executable, "-m", "connector.sandbox.smarthq"],
                            stdout=subprocess.PIPE, text=True)
    try:
        lines = []
        while not lines or lines[-1] != "}\n":
            lines.append(proc.stdout.readline())
        info = json.loads("".join(lines))
        response = requests.get(info["api_url"] + "/v2/device", timeout=5,
                                headers={"Authorization": f"Bearer {info['access_token']}"})
        assert response.json()["total"] == 8
        assert set(info["appliances"]) == {k for k, _ in DEFAULT_APPLIANCES}
    finally:
        proc.terminate()
        proc.wait(timeout=5)
