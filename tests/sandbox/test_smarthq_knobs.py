"""The simulated SmartHQ cloud's fault knobs, request recording, clock and admin client."""
from __future__ import annotations

import time

import pytest
import requests

from connector.sandbox.smarthq import SimClock, SimError, SimulatedSmartHQ, SmartHQCloud, SmartHQSimAdmin

from .test_smarthq_sim import (P, Api, Stream, api, assert_error, clock, cloud, ids,  # noqa: F401
                               settle, sim, stream, tokens, user)


def test_latency_delays_every_request_and_device_latency_adds_to_it(api, cloud, ids):
    cloud.set_latency(0.15)
    began = time.monotonic()
    api.get("/v2/device")
    assert time.monotonic() - began >= 0.15
    cloud.set_latency(0)
    cloud.set_latency(0.2, ids["washer"])
    began = time.monotonic()
    api.get(f"/v2/device/{ids['dryer']}")
    fast = time.monotonic() - began
    api.get(f"/v2/device/{ids['washer']}")
    assert fast < 0.15 and time.monotonic() - began >= 0.2


def test_fail_next_fails_that_many_matching_requests_then_recovers(api, cloud):
    cloud.fail_next(2, 503, path=r"/v2/device$", method="GET")
    assert api.get("/v2/device/count").status_code == 200  # path does not match
    first = api.get("/v2/device")
    assert_error(first, 503, "Injected")
    assert first.headers["Retry-After"] == "1"
    assert_error(api.get("/v2/device"), 503)
    assert api.get("/v2/device").status_code == 200


def test_injected_429_carries_retry_after(api, cloud):
    cloud.fail_next(1, 429, retry_after=7)
    response = api.get("/v2/device")
    assert_error(response, 429)
    assert response.headers["Retry-After"] == "7"


def test_injected_failures_can_have_a_raw_body_and_hit_the_token_endpoint(sim, cloud, api):
    cloud.fail_next(1, 502, body="<html>Bad Gateway</html>")
    response = api.get("/v2/device")
    assert (response.status_code, response.text) == (502, "<html>Bad Gateway</html>")
    cloud.fail_next(1, 500, path="oauth2/token")
    answer = requests.post(sim.oauth_url + "/oauth2/token", data={}, timeout=5)
    assert answer.status_code == 500 and answer.json()["error"] == "server_error"


def test_rate_limit_answers_429_with_the_documented_body_per_app_and_user(api, cloud, sim):
    cloud.set_rate_limit(3)
    for _ in range(3):
        assert api.get("/v2/device").status_code == 200
    response = api.get("/v2/device")
    body = assert_error(response, 429)
    assert body["reason"] == "Exceeded limit of 3 requests per minute per appId per userId."
    assert body["message"].startswith("The server is refusing to service the request")
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    other = cloud.create_user("bob@example.com", "pw", ["washer"])
    assert Api(sim, cloud.issue_tokens(other)[0]).get("/v2/device").status_code == 200
    cloud.set_rate_limit(None)
    assert api.get("/v2/device").status_code == 200


def test_the_default_rate_limit_is_600_per_minute_and_clear_faults_restores_it(cloud):
    assert cloud.faults.rate_limit == 600
    cloud.set_rate_limit(5)
    cloud.set_latency(1)
    cloud.fail_next(3)
    cloud.fail_next_commands(2)
    cloud.clear_faults()
    snap = cloud.snapshot()["faults"]
    assert snap == {"latency": 0.0, "deviceLatency": {}, "pending": [], "rateLimit": 600,
                    "commandOutcomes": []}


def test_knobs_refuse_what_the_simulator_cannot_do(cloud, user, ids):
    for call in (lambda: cloud.fail_next(0), lambda: cloud.fail_next(1, 302),
                 lambda: cloud.fail_next(1, path="("), lambda: cloud.set_latency(-1),
                 lambda: cloud.set_rate_limit(0), lambda: cloud.add_appliance(user, "toaster"),
                 lambda: cloud.set_presence(ids["washer"], "GONE"),
                 lambda: cloud.fail_next_commands(1, "success"),
                 lambda: cloud.start_cycle(ids["refrigerator"]),
                 lambda: cloud.start_cycle(ids["washer"], cycle="spaceship"),
                 lambda: cloud.change_state(ids["washer"], "nope", {"on": True}),
                 lambda: cloud.expire_token("nope"), lambda: cloud.revoke_refresh_token("nope"),
                 lambda: cloud.create_user("ann@example.com", "again"),
                 lambda: cloud.set_permissions(["root"]), lambda: cloud.advance(-1)):
        with pytest.raises(SimError):
            call()


def test_requests_are_recorded_with_the_authorization_masked(api, cloud, ids):
    api.get("/v2/device?perpage=5", headers={"X-Trace": "t-1"})
    api.command(ids["refrigerator"], "toggle", "turbo", "refrigerator.freezer", type="toggle.set", on=True)
    listed, sent = cloud.requests(r"/v2/device$")[0], cloud.requests("/v2/command", "POST")[0]
    assert listed.headers["Authorization"] == "Bearer [redacted]"
    assert listed.headers["X-Trace"] == "t-1" and listed.query == {"perpage": "5"}
    assert sent.body["command"] == {"commandType": f"{P}.command.toggle.set", "on": True}
    assert sent.status == 200
    assert_error(api.get("/v2/device/missing"), 404)
    assert cloud.requests("missing")[0].reason == "Device missing not found"
    cloud.clear_requests()
    assert cloud.count() == 0


def test_socket_opens_are_recorded_with_the_token_masked(stream, cloud):
    s = stream()
    s.send({"kind": "websocket#ping", "action": "ping", "id": "p"})
    s.next("websocket#pong")
    [opened] = cloud.requests("/stream/")
    assert (opened.status, opened.query["access_token"]) == (101, "[redacted]")
    [sent] = cloud.socket_messages()
    assert sent["message"] == {"kind": "websocket#ping", "action": "ping", "id": "p"}
    assert sent["socket"] == cloud.sockets()[0].id
    s.send({"kind": "websocket#pubsub", "action": "pubsub", "pubsub": True, "services": True})
    s.next("websocket#pubsub")
    assert [m["message"]["services"] for m in cloud.socket_messages("websocket#pubsub")] == [True]


def test_a_running_clock_can_be_accelerated():
    clock = SimClock(1_700_000_000, speed=1.0)
    cloud = SmartHQCloud(clock=clock)
    user = cloud.create_user("fast@example.com", "pw", ["washer"])
    washer = next(iter(user.devices))
    cloud.start_cycle(washer)
    with SimulatedSmartHQ(cloud):
        cloud.set_speed(6000)  # 35 simulated minutes in about 0.35 s
        deadline = time.monotonic() + 5
        state = cloud.device(washer).services[0].state
        while state["runStatus"] != f"{P}.type.runstatus.complete" and time.monotonic() < deadline:
            time.sleep(0.02)
    assert state["runStatus"] == f"{P}.type.runstatus.complete"


def test_the_admin_client_drives_a_simulator_in_another_process(sim, cloud):
    admin = SmartHQSimAdmin(sim.admin_url)
    assert admin.config()["client_id"] == cloud.client_id
    created = admin.create_user("eve@example.com", "pw", ["washer", "refrigerator"])
    washer, fridge = (d["deviceId"] for d in created["devices"])
    access, refresh, expires_in = admin.issue_tokens("eve@example.com", access_ttl=86400)
    assert expires_in == 86400
    api = Api(sim, access)
    s = Stream(api)
    try:
        s.subscribe()
        admin.set_remote_control(washer, True)
        assert s.next("pubsub#service", deviceId=washer)["state"]["runStatus"] == f"{P}.type.runstatus.delayed"
        admin.start_cycle(washer, cycle="quickwash")
        assert admin.advance(1080) > 0
        assert api.service(washer, "laundry.state.v1", "laundry", "washer")["state"]["runStatus"] == \
            f"{P}.type.runstatus.complete"
        admin.set_presence(fridge, "OFFLINE")
        assert s.next("pubsub#presence")["presence"] == "OFFLINE"
        assert admin.change_state(fridge, "refrigerator/door/door", {"topLeftOpen": True})["topLeftOpen"]
        admin.fire_alert(fridge, "ota.update")
        assert s.next("pubsub#alert")["alertType"] == f"{P}.alert.ota.update"
        added = admin.add_appliance("eve@example.com", "airconditioner", nickname="Den AC")
        assert s.next("pubsub#device")["deviceId"] == added["deviceId"]
        admin.update_appliance(added["deviceId"], room="Den")
        assert s.next("pubsub#device", event="updated")["deviceId"] == added["deviceId"]
        assert admin.socket_messages("websocket#pubsub")[0]["message"]["pubsub"] is True
        admin.remove_appliance(added["deviceId"])
        assert [x["userId"] for x in admin.sockets("eve@example.com")] == [created["userId"]]
        admin.fail_next(1, 500, path="/v2/device$")
        assert_error(api.get("/v2/device"), 500)
        assert admin.count(r"/v2/device$") == 1
        admin.set_latency(0)
        admin.set_rate_limit(1000)
        admin.set_presence(fridge, "ONLINE")
        admin.fail_next_commands(1, "servicedisabled")
        body = api.command(fridge, "toggle", "turbo", "refrigerator.freezer", type="toggle.set",
                           on=True).json()
        assert body["outcome"] == f"{P}.outcome.servicedisabled"
    finally:
        s.close()


def test_the_admin_client_expires_revokes_and_drops(sim, cloud, user):
    admin = SmartHQSimAdmin(sim.admin_url)
    access, refresh, _ = admin.issue_tokens(user.username)
    s = Stream(Api(sim, access))
    admin.expire_token(access)
    assert s.closed()[0] == 1008
    assert admin.revoke_refresh_tokens(user.username) == 1
    access2 = admin.issue_tokens(user.username)[0]
    s2 = Stream(Api(sim, access2))
    assert admin.drop_sockets(user.username, code=1012, reason="restart") == 1
    assert s2.closed() == (1012, "restart")
    assert admin.expire_tokens(user.username) == 1
    admin.set_refresh_rotation("keep")
    assert cloud.refresh_rotation == "keep"
    admin.set_command_timing(delay=0, timeout=0.1)
    assert (cloud.command_delay, cloud.command_timeout) == (0.0, 0.1)
    admin.set_speed(2)
    assert cloud.clock.speed == 2
    admin.set_permissions(["device:read"])
    admin.set_random_drops(None)
    admin.set_ws_idle_timeout(None)
    admin.set_callback_url(None)
    assert admin.deliveries() == []
    assert admin.state()["users"][0]["username"] == user.username
    admin.clear_faults()
    admin.clear_requests()
    with pytest.raises(SimError, match="no device"):
        admin.set_presence("nope", "OFFLINE")
    with pytest.raises(SimError, match="missing field"):
        admin._call("POST", "/users", {"username": "x"})


def test_command_delay_zero_applies_before_the_answer(api, cloud, ids):
    cloud.set_command_timing(delay=0)
    api.command(ids["refrigerator"], "toggle", "turbo", "refrigerator.freezer", type="toggle.set", on=True)
    assert api.service(ids["refrigerator"], "toggle", "turbo", "refrigerator.freezer")["state"]["on"] is True


def test_remote_control_knob_gates_dishwasher_and_plain_services(api, cloud, ids):
    cloud.set_remote_control(ids["dishwasher"], False)
    body = api.command(ids["dishwasher"], "dishwasher.state.v1", "dishwasher", "dishwasher",
                       type="dishwasher.state.v1.start").json()
    assert body["outcome"] == f"{P}.outcome.servicedisabled"
    cloud.set_remote_control(ids["refrigerator"], False, "refrigerator.freezer")
    turbo = api.command(ids["refrigerator"], "toggle", "turbo", "refrigerator.freezer",
                        type="toggle.set", on=True).json()
    assert turbo["outcome"] == f"{P}.outcome.servicedisabled"
    fresh = api.command(ids["refrigerator"], "toggle", "turbo", "refrigerator.freshfood",
                        type="toggle.set", on=True).json()
    assert fresh["success"] is True
