"""The simulated SmartHQ Event Stream (smarthq-api.md §3) over a real WebSocket, and the
appliances whose changes it carries."""
from __future__ import annotations

import time

import pytest
import requests
from flask import Flask, request
from simple_websocket import Client
from simple_websocket.errors import ConnectionError as WsConnectionError

from connector.sandbox.server import ServerThread

from .test_smarthq_sim import (P, Api, Stream, api, assert_error, clock, cloud, dev_,  # noqa: F401
                               dom_, ids, settle, sim, stream, svc_, tokens, user)

ALL = {"services": True, "presence": True, "alerts": True, "commands": True}


def rs(x):
    return f"{P}.type.runstatus.{x}"


def test_socket_opens_with_connect_and_acks_an_account_subscription(stream):
    s = stream()
    assert s.connect == {"kind": "websocket#connect", "success": True}
    assert s.subscribe() == {"kind": "websocket#pubsub", "success": True}


def test_ping_is_answered_with_a_pong_echoing_its_id(stream):
    s = stream()
    s.send({"kind": "websocket#ping", "action": "ping", "id": "keepalive-1"})
    assert s.next() == {"kind": "websocket#pong", "id": "keepalive-1"}


def test_a_socket_url_with_a_bad_or_expired_token_is_refused(api, sim, cloud):
    endpoint = api.get("/v2/websocket").json()["endpoint"]
    with pytest.raises(WsConnectionError) as refused:
        Client.connect(endpoint.split("access_token=")[0] + "access_token=nope")
    assert refused.value.status_code == 401
    cloud.expire_token(api.token)
    with pytest.raises(WsConnectionError):
        Client.connect(endpoint)


def test_a_plain_http_request_to_the_socket_url_is_400(api):
    endpoint = api.get("/v2/websocket").json()["endpoint"]
    assert requests.get("http" + endpoint.removeprefix("ws"), timeout=5).status_code == 400


def test_only_subscribed_categories_are_sent(stream, cloud, ids):
    s = stream()
    s.subscribe(services=True, pubsub=True)
    cloud.set_presence(ids["dryer"], "OFFLINE")
    cloud.change_state(ids["refrigerator"], "refrigerator/door/door", {"bottomOpen": True})
    kinds = [m["kind"] for m in s.drain()]
    assert kinds == ["pubsub#service"]


def test_without_a_subscription_nothing_is_sent(stream, cloud, ids):
    s = stream()
    cloud.change_state(ids["refrigerator"], "refrigerator/door/door", {"bottomOpen": True})
    cloud.set_presence(ids["dryer"], "OFFLINE")
    assert s.drain() == []


def test_a_device_subscription_limits_events_to_that_device(stream, cloud, ids):
    s = stream()
    ack = s.subscribe(ids["refrigerator"], services=True)
    assert ack == {"kind": "websocket#pubsub", "success": True, "deviceId": ids["refrigerator"]}
    cloud.change_state(ids["dishwasher"], "dishwasher/door/door", {"singleOpen": True})
    cloud.change_state(ids["refrigerator"], "refrigerator/door/door", {"bottomOpen": True})
    cloud.set_presence(ids["refrigerator"], "OFFLINE")  # presence not subscribed
    events = s.drain()
    assert [(e["kind"], e["deviceId"]) for e in events] == [("pubsub#service", ids["refrigerator"])]
    assert s.subscribe("not-mine", services=True)["success"] is False


def test_a_command_brings_a_service_event_with_state_previous_then_a_command_event(
        stream, api, ids, settle, user):
    s = stream()
    s.subscribe()
    cid = api.command(ids["refrigerator"], "toggle", "turbo", "refrigerator.freezer",
                      type="toggle.set", on=True).json()["correlationId"]
    assert s.drain(0.1) == []  # nothing until the appliance acts
    settle()
    service = s.next("pubsub#service")
    assert (service["userId"], service["deviceId"], service["deviceType"]) == (
        user.user_id, ids["refrigerator"], dev_("refrigerator"))
    assert (service["serviceType"], service["domainType"], service["serviceDeviceType"]) == (
        svc_("toggle"), dom_("turbo"), dev_("refrigerator.freezer"))
    assert service["state"]["on"] is True and service["statePrevious"]["on"] is False
    assert service["adapterId"] and service["lastStateTime"] == "2024-05-01T12:00:00.200Z"
    command = s.next("pubsub#command")
    assert (command["correlationId"], command["outcome"]) == (cid, f"{P}.outcome.success")
    assert command["command"] == {"commandType": f"{P}.command.toggle.set", "on": True}
    assert command["serviceId"] == service["serviceId"]


def test_command_events_go_only_to_the_app_that_sent_the_command(stream, sim, cloud, user, ids,
                                                                   api, settle):
    with cloud.lock:
        other_token = cloud.tokens.issue(user.username, "another-app", cloud.now(), 3600, None)[0]
    mine, theirs = stream(), stream(Api(sim, other_token))
    mine.subscribe()
    theirs.subscribe()
    api.command(ids["refrigerator"], "toggle", "sabbath", "appliance", type="toggle.set", on=True)
    settle()
    assert [m["kind"] for m in mine.drain()] == ["pubsub#service", "pubsub#command"]
    assert [m["kind"] for m in theirs.drain()] == ["pubsub#service"]


def test_a_washer_cycle_runs_from_remote_start_to_end_of_cycle(stream, api, cloud, ids, settle):
    washer = ids["washer"]
    s = stream()
    s.subscribe(washer, **ALL)
    cloud.set_remote_control(washer, True)  # the user arms Remote Start on the panel
    armed = s.next("pubsub#service", serviceType=svc_("laundry.state.v1"))
    assert armed["state"]["runStatus"] == rs("delayed")
    start = api.service(washer, "trigger", "start", "washer")
    assert start["state"]["disabled"] is False
    api.command(washer, "trigger", "start", "washer", type="trigger.do")
    settle()
    cloud.advance(2100)  # the normal cycle's 35 minutes
    events = s.drain()
    states = [e["state"] for e in events if e["kind"] == "pubsub#service"
              and e["serviceType"] == svc_("laundry.state.v1")]
    subcycles = []
    for st in states:
        sub = st.get("subCycle", "").rsplit(".", 1)[-1]
        if st["runStatus"] == rs("in.progress") and (not subcycles or subcycles[-1] != sub):
            subcycles.append(sub)
    assert subcycles == ["sensing", "fill", "wash", "rinse", "spin"]  # load.sensing → "sensing"
    assert states[-1]["runStatus"] == rs("complete")
    timers = [e["state"]["secondsRemaining"] for e in events if e["kind"] == "pubsub#service"
              and e["serviceType"] == svc_("cycletimer")]
    assert timers[0] == 2100 and timers[-1] == 0 and timers == sorted(timers, reverse=True)
    alerts = [e["alertType"] for e in events if e["kind"] == "pubsub#alert"]
    assert alerts == [f"{P}.alert.washer.startofcycle", f"{P}.alert.washer.endofcycle.minutesleft.5",
                      f"{P}.alert.washer.endofcycle"]
    end = next(e for e in events if e.get("alertType") == f"{P}.alert.washer.endofcycle")
    assert end["services"][0]["state"]["runStatus"] == rs("complete")
    assert any(e["kind"] == "pubsub#command" for e in events)
    meter = api.service(washer, "meter", "energy", "washer")["state"]
    assert meter["meterValueDelta"] == 310


def test_a_running_washer_pauses_resumes_and_stops(api, cloud, ids, settle):
    washer = ids["washer"]
    cloud.start_cycle(washer, cycle="quickwash")  # started on the panel
    cloud.advance(120)
    api.command(washer, "trigger", "cycle.pause", "washer", type="trigger.do")
    settle()
    paused = api.service(washer, "cycletimer", "cycle", "washer")["state"]
    assert paused["paused"] is True
    cloud.advance(600)
    assert api.service(washer, "cycletimer", "cycle", "washer")["state"] == paused
    api.command(washer, "trigger", "start", "washer", type="trigger.do")  # resume
    settle()
    cloud.advance(60)
    assert api.service(washer, "cycletimer", "cycle", "washer")["state"]["secondsRemaining"] == \
        paused["secondsRemaining"] - 60
    api.command(washer, "trigger", "stop", "washer", type="trigger.do")
    settle()
    state = api.service(washer, "laundry.state.v1", "laundry", "washer")["state"]
    assert (state["runStatus"], state["subCycle"]) == (rs("idle"), f"{P}.type.subcycle.na")


def test_remote_cycle_selection_sets_the_cycle_while_armed(api, cloud, ids, settle):
    dryer = ids["dryer"]
    cloud.set_remote_control(dryer, True)
    api.command(dryer, "remotecycleselection", "laundry.remotecycleselect", "dryer",
                type="remotecycleselection.set", mode=dom_("laundry.timeddry"))
    settle()
    assert api.service(dryer, "laundry.state.v1", "laundry", "dryer")["state"]["cycle"] == \
        dom_("laundry.timeddry")
    assert api.service(dryer, "cycletimer", "cycle", "dryer")["state"]["secondsInitial"] == 2040


def test_laundry_center_halves_run_independently(api, cloud, ids):
    center = ids["laundrycenter"]
    cloud.start_cycle(center, "dryer")
    cloud.advance(60)
    washer = api.service(center, "laundry.state.v1", "laundry", "washer")["state"]
    dryer = api.service(center, "laundry.state.v1", "laundry", "dryer")["state"]
    assert (washer["runStatus"], dryer["runStatus"]) == (rs("idle"), rs("in.progress"))


def test_presence_changes_are_published_and_gate_commands(stream, api, cloud, ids):
    s = stream()
    s.subscribe(presence=True, pubsub=True)
    cloud.set_presence(ids["dishwasher"], "OFFLINE")
    event = s.next("pubsub#presence")
    assert (event["deviceId"], event["presence"], event["deviceType"]) == (
        ids["dishwasher"], "OFFLINE", dev_("dishwasher"))
    assert_error(api.command(ids["dishwasher"], "dishwasher.state.v1", "dishwasher", "dishwasher",
                             type="dishwasher.state.v1.start"), 412)
    assert api.get(f"/v2/device/{ids['dishwasher']}").json()["presence"] == "OFFLINE"
    cloud.set_presence(ids["freezer"], "ONLINE")
    assert s.next("pubsub#presence", deviceId=ids["freezer"])["presence"] == "ONLINE"


def test_the_socket_closes_when_its_token_expires(stream, sim, cloud, user):
    access = cloud.issue_tokens(user)[0]  # the standard hour
    s = stream(Api(sim, access))
    cloud.advance(3599)
    s.send({"kind": "websocket#ping", "action": "ping", "id": "still-here"})
    assert s.next("websocket#pong")["id"] == "still-here"
    cloud.advance(1)
    assert s.closed() == (1008, "Access token expired")


def test_expiring_the_token_by_knob_closes_the_socket(stream, cloud, api):
    s = stream()
    cloud.expire_token(api.token)
    assert s.closed()[0] == 1008


def test_drop_sockets_closes_cleanly_or_abruptly(stream, cloud, user):
    clean, rough = stream(), stream()
    del rough
    assert cloud.drop_sockets(user) == 2
    assert clean.closed() == (1001, "Server going away")
    again = stream()
    cloud.drop_sockets(abrupt=True)
    code, _ = again.closed()
    assert code != 1001  # no close frame arrived
    deadline = time.monotonic() + 2  # the server's socket threads finish on their own time
    while cloud.sockets() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert cloud.sockets() == []


def test_random_drops_end_sockets_without_a_close_frame(stream, cloud):
    cloud.set_random_drops(0.05)
    s = stream()
    code, _ = s.closed(timeout=3)
    assert code == 1005


def test_an_idle_socket_is_closed_but_pings_keep_it_open(stream, cloud):
    cloud.set_ws_idle_timeout(0.3)
    quiet, chatty = stream(), stream()
    for n in range(4):
        chatty.send({"kind": "websocket#ping", "action": "ping", "id": str(n)})
        chatty.next("websocket#pong")
        time.sleep(0.12)
    assert quiet.closed() == (1001, "Idle timeout")
    assert chatty.ws.connected


def test_events_are_not_replayed_to_a_new_socket(stream, cloud, ids):
    first = stream()
    first.subscribe()
    cloud.change_state(ids["refrigerator"], "refrigerator/door/door", {"topLeftOpen": True})
    assert len(first.drain()) == 1
    first.close()
    cloud.change_state(ids["refrigerator"], "refrigerator/door/door", {"topLeftOpen": False})
    second = stream()
    second.subscribe()
    assert second.drain() == []


def test_appliances_added_and_removed_publish_device_events(stream, cloud, user, api):
    s = stream()
    s.subscribe(pubsub=True)  # account-wide, no flags: device events still come
    dev = cloud.add_appliance(user, "washer", nickname="Basement Washer")
    added = s.next("pubsub#device")
    assert (added["event"], added["deviceId"], added["deviceType"]) == ("added", dev.device_id,
                                                                         dev_("washer"))
    assert added["services"] and added["gatewayId"] == dev.gateway_id
    assert api.get(f"/v2/device/{dev.device_id}").json()["nickname"] == "Basement Washer"
    api.delete(f"/v2/device/{dev.device_id}")
    removed = s.next("pubsub#device")
    assert (removed["event"], removed["services"]) == ("removed", [])


def test_fired_alerts_and_app_changes_are_published(stream, cloud, ids):
    s = stream()
    s.subscribe()
    cloud.fire_alert(ids["washer"], "washeroutofbalance")
    alert = s.next("pubsub#alert")
    assert (alert["alertType"], alert["deviceId"]) == (f"{P}.alert.washeroutofbalance", ids["washer"])
    cloud.change_state(ids["refrigerator"], "refrigerator.freshfood/temperature/setpoint",
                       {"fahrenheit": 39, "celsius": 4})
    event = s.next("pubsub#service")
    assert (event["statePrevious"]["fahrenheit"], event["state"]["fahrenheit"]) == (37, 39)


def test_the_api_can_be_called_over_the_socket(stream, ids):
    s = stream()
    s.send({"kind": "websocket#api", "action": "api", "id": "get-1", "method": "GET",
            "path": f"/v2/device/{ids['washer']}"})
    answer = s.next("websocket#api")
    assert (answer["id"], answer["code"], answer["body"]["kind"]) == ("get-1", 200, "device#item")


def test_a_timeout_outcome_holds_the_post_and_changes_nothing(stream, api, cloud, ids, settle):
    s = stream()
    s.subscribe()
    cloud.fail_next_commands(1, "timeout")
    began = time.monotonic()
    body = api.command(ids["refrigerator"], "toggle", "turbo", "refrigerator.freezer",
                       type="toggle.set", on=True).json()
    assert time.monotonic() - began >= 0.2  # command_timeout of the test cloud
    assert (body["success"], body["outcome"]) == (False, f"{P}.outcome.timeout")
    settle()
    assert [(e["kind"], e["outcome"]) for e in s.drain()] == [("pubsub#command", f"{P}.outcome.timeout")]
    assert api.service(ids["refrigerator"], "toggle", "turbo",
                       "refrigerator.freezer")["state"]["on"] is False
    summary = api.get(f"/v2/command/{body['correlationId']}/summary").json()
    assert (summary["timeout"], summary["total"]) == (1, 1)


def test_https_pubsub_posts_subscribed_events_to_the_callback_url(api, cloud, ids, settle):
    received = []
    receiver = Flask("receiver")

    @receiver.post("/smarthq-events")
    def collect():
        received.append(request.get_json())
        return "", 204

    with ServerThread(receiver) as web:
        cloud.set_callback_url(web.url + "/smarthq-events")
        api.post("/v2/pubsub", {"kind": "user#pubsub", "pubsub": True, "presence": True})
        api.post(f"/v2/device/{ids['refrigerator']}/pubsub",
                 {"kind": "device#pubsub", "pubsub": True, "services": True})
        cloud.set_presence(ids["washer"], "OFFLINE")
        cloud.change_state(ids["refrigerator"], "refrigerator/door/door", {"middleOpen": True})
        cloud.change_state(ids["dishwasher"], "dishwasher/door/door", {"singleOpen": True})
        deadline = time.monotonic() + 3
        while len(cloud.deliveries) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.1)
    assert [(e["kind"], e["deviceId"]) for e in received] == [
        ("pubsub#presence", ids["washer"]), ("pubsub#service", ids["refrigerator"])]
    assert all(d["status"] == 204 for d in cloud.deliveries)
    with pytest.raises(ValueError):
        cloud.set_callback_url("https://example.com/hook")

