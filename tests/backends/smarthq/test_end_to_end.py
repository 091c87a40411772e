"""SmartHQ end to end: SmartThings request → webhook → SmartHQ backend → simulated SmartHQ
cloud (HTTP), for every appliance kind the simulator has."""
from __future__ import annotations

import time
import uuid

import pytest

from connector import stclient
from connector.backends.smarthq import mapping as m

from tests.waiting import wait_for

from .conftest import FRIDGE_PROFILE, WASHER_PROFILE

ROOT = "cloud.smarthq."


def states_of(body, external_id):
    (entry,) = [d for d in body["deviceState"] if d["externalDeviceId"] == external_id]
    return entry


def value(entry, capability, attribute, component="main"):
    for state in entry.get("states", []):
        if (state["component"], state["capability"], state["attribute"]) == \
                (component, capability, attribute):
            return state["value"]
    raise KeyError((component, capability, attribute))


def error_of(entry):
    return entry["deviceError"][0]["errorEnum"]


def cmd(spec):
    return stclient.parse_command(spec)


def sim_state(smarthq, linked, kind, sub_device, service_type, domain):
    dev = smarthq.cloud.device(linked.id(kind))
    svc = dev.find(f"{ROOT}service.{service_type}", f"{ROOT}domain.{domain}",
                   f"{ROOT}device.{sub_device}")
    return svc.state


def commands_sent(smarthq):
    return smarthq.cloud.requests(path=r"/v2/command$", method="POST")


# -- discovery ------------------------------------------------------------------------------

SIM_KINDS = {  # the simulator's appliance kinds → our profile kinds
    "washer": "washer", "dryer": "dryer", "laundrycenter": "laundrycenter",
    "dishwasher": "dishwasher", "refrigerator": "refrigerator", "oven": "oven",
    "airconditioner": "airconditioner", "freezer": "generic",
}


def test_discovery_lists_every_appliance_with_its_profile_id(webhook, linked):
    body = webhook(stclient.discovery(linked.token))
    by_id = {d["externalDeviceId"]: d for d in body["devices"]}
    assert set(by_id) == set(linked.devices.values())
    assert set(linked.devices) == set(SIM_KINDS)
    for sim_kind, kind in SIM_KINDS.items():
        device = by_id[linked.ext(sim_kind)]
        handler = device["deviceHandlerType"]
        assert uuid.UUID(handler), sim_kind
        expected = {"washer": WASHER_PROFILE, "refrigerator": FRIDGE_PROFILE}.get(
            kind, m.placeholder_profile_id(kind))
        assert handler == expected, sim_kind
        assert device["manufacturerInfo"]["manufacturerName"] == "GE Appliances"
        assert device["manufacturerInfo"]["modelName"]
        assert device["deviceContext"]["roomName"]
        assert len(device["deviceUniqueId"].split(":")) == 6
    assert by_id[linked.ext("washer")]["friendlyName"] == "Laundry Washer"
    assert by_id[linked.ext("freezer")]["deviceContext"]["categories"] == ["others"]


def test_discovery_reads_the_list_only(webhook, linked, smarthq):
    smarthq.cloud.clear_requests()
    webhook(stclient.discovery(linked.token))
    assert smarthq.cloud.count(path=r"/v2/device$", method="GET") == 1
    assert smarthq.cloud.count(path=r"/v2/device/") == 0
    listed = smarthq.cloud.requests(path=r"/v2/device$")[0]
    assert listed.query.get("perpage") == "100"
    assert listed.headers["Authorization"] == "Bearer [redacted]"


def test_discovery_warns_once_per_kind_without_a_profile_id(webhook, linked, caplog):
    webhook(stclient.discovery(linked.token))
    webhook(stclient.discovery(linked.token))
    warned = [r for r in caplog.records if "no device profile id configured" in r.getMessage()]
    unconfigured = set(SIM_KINDS.values()) - {"washer", "refrigerator"}
    assert len(warned) == len(unconfigured)
    assert all(any(k in r.getMessage() for k in unconfigured) for r in warned)


# -- state refresh ---------------------------------------------------------------------------


def test_refresh_of_every_appliance_with_its_components(webhook, linked):
    ids = list(linked.devices.values()) + ["smarthq:NOSUCHDEVICE"]
    body = webhook(stclient.state_refresh(linked.token, ids))
    assert [d["externalDeviceId"] for d in body["deviceState"]] == ids

    washer = states_of(body, linked.ext("washer"))
    assert value(washer, "st.washerOperatingState", "machineState") == "stop"
    assert value(washer, "st.remoteControlStatus", "remoteControlEnabled") == "false"
    assert value(washer, "st.healthCheck", "healthStatus") == "online"

    center = states_of(body, linked.ext("laundrycenter"))
    assert value(center, "st.washerOperatingState", "machineState", "washer") == "stop"
    assert value(center, "st.dryerOperatingState", "machineState", "dryer") == "stop"

    fridge = states_of(body, linked.ext("refrigerator"))
    assert value(fridge, "st.thermostatCoolingSetpoint", "coolingSetpoint") == 37
    assert value(fridge, "st.thermostatCoolingSetpoint", "coolingSetpoint", "freezer") == 0
    assert value(fridge, "st.switch", "switch", "icemaker") == "on"
    assert value(fridge, "st.filterStatus", "filterStatus") == "normal"

    oven = states_of(body, linked.ext("oven"))
    assert value(oven, "st.ovenOperatingState", "machineState") == "ready"
    assert value(oven, "st.ovenOperatingState", "machineState", "lower") == "ready"

    ac = states_of(body, linked.ext("airconditioner"))
    assert value(ac, "st.airConditionerMode", "airConditionerMode") == "cool"
    assert [s for s in ac["states"] if s["attribute"] == "coolingSetpoint"][0]["unit"] == "F"

    dishwasher = states_of(body, linked.ext("dishwasher"))
    assert value(dishwasher, "st.dishwasherMode", "dishwasherMode") == "auto"

    freezer = states_of(body, linked.ext("freezer"))  # the simulator's freezer is OFFLINE
    assert error_of(freezer) == "DEVICE-UNAVAILABLE"
    assert value(freezer, "st.healthCheck", "healthStatus") == "offline"

    assert error_of(states_of(body, "smarthq:NOSUCHDEVICE")) == "DEVICE-DELETED"


def test_the_generic_mapping_serves_an_online_unknown_appliance(webhook, linked, smarthq):
    smarthq.cloud.set_presence(linked.id("freezer"), "ONLINE")
    freezer = linked.ext("freezer")
    body = webhook(stclient.state_refresh(linked.token, [freezer]))
    entry = states_of(body, freezer)
    assert value(entry, "st.thermostatCoolingSetpoint", "coolingSetpoint") == 0
    assert value(entry, "st.refrigeration", "rapidFreezing") == "off"
    assert value(entry, "st.contactSensor", "contact") == "closed"


def test_refresh_sees_a_change_made_at_the_appliance(webhook, linked, smarthq):
    smarthq.cloud.change_state(linked.id("refrigerator"), "refrigerator/door/door",
                               {"topLeftOpen": True})
    fridge = linked.ext("refrigerator")
    body = webhook(stclient.state_refresh(linked.token, [fridge]))
    assert value(states_of(body, fridge), "st.contactSensor", "contact") == "open"


def test_refresh_of_a_running_cycle_has_a_completion_time(webhook, linked, smarthq):
    smarthq.cloud.start_cycle(linked.id("washer"))
    washer = linked.ext("washer")
    entry = states_of(webhook(stclient.state_refresh(linked.token, [washer])), washer)
    assert value(entry, "st.washerOperatingState", "machineState") == "run"
    assert value(entry, "st.washerOperatingState", "washerJobState") == "weightSensing"
    done = value(entry, "st.washerOperatingState", "completionTime")
    assert done > time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() + 1800))


def test_a_429_is_retried_within_the_deadline(webhook, linked, smarthq):
    smarthq.cloud.fail_next(1, 429, path=r"/v2/device/[^/]+$", retry_after=0.2)
    fridge = linked.ext("refrigerator")
    body = webhook(stclient.state_refresh(linked.token, [fridge]))
    assert value(states_of(body, fridge), "st.healthCheck", "healthStatus") == "online"


def test_a_smarthq_outage_is_device_unavailable(webhook, linked, smarthq):
    smarthq.cloud.fail_next(20, 503)
    fridge = linked.ext("refrigerator")
    body = webhook(stclient.state_refresh(linked.token, [fridge]))
    assert error_of(states_of(body, fridge)) == "DEVICE-UNAVAILABLE"


# -- commands accepted ------------------------------------------------------------------------


def test_fridge_setpoint_is_sent_and_reported_at_once(webhook, linked, smarthq):
    fridge = linked.ext("refrigerator")
    body = webhook(stclient.command(linked.token, fridge, [
        cmd("thermostatCoolingSetpoint.setCoolingSetpoint:40"),
        cmd("freezer/thermostatCoolingSetpoint.setCoolingSetpoint:-2")]))
    entry = states_of(body, fridge)
    assert "deviceError" not in entry
    assert value(entry, "st.thermostatCoolingSetpoint", "coolingSetpoint") == 40
    assert value(entry, "st.thermostatCoolingSetpoint", "coolingSetpoint", "freezer") == -2
    assert wait_for(lambda: sim_state(smarthq, linked, "refrigerator", "refrigerator.freshfood",
                                      "temperature", "setpoint")["fahrenheit"] == 40)
    assert wait_for(lambda: sim_state(smarthq, linked, "refrigerator", "refrigerator.freezer",
                                      "temperature", "setpoint")["fahrenheit"] == -2)
    sent = [r.body for r in commands_sent(smarthq)]
    assert sent[0]["command"] == {"commandType": ROOT + "command.temperature.set", "fahrenheit": 40}


def test_rapid_freezing_and_ice_maker(webhook, linked, smarthq):
    fridge = linked.ext("refrigerator")
    body = webhook(stclient.command(linked.token, fridge, [
        cmd("refrigeration.setRapidFreezing:\"on\""), cmd("icemaker/switch.off")]))
    entry = states_of(body, fridge)
    assert value(entry, "st.refrigeration", "rapidFreezing") == "on"
    assert value(entry, "st.switch", "switch", "icemaker") == "off"
    assert wait_for(lambda: sim_state(smarthq, linked, "refrigerator", "icemaker.1",
                                      "toggle", "power")["on"] is False)


def test_ac_commands_become_one_smarthq_command(webhook, linked, smarthq):
    ac = linked.ext("airconditioner")
    body = webhook(stclient.command(linked.token, ac, [
        cmd('airConditionerMode.setAirConditionerMode:"dry"'),
        cmd('airConditionerFanMode.setFanMode:"high"'),
        cmd("thermostatCoolingSetpoint.setCoolingSetpoint:75")]))
    entry = states_of(body, ac)
    assert value(entry, "st.airConditionerMode", "airConditionerMode") == "dry"
    assert value(entry, "st.airConditionerFanMode", "fanMode") == "high"
    assert value(entry, "st.thermostatCoolingSetpoint", "coolingSetpoint") == 75
    assert len(commands_sent(smarthq)) == 1
    assert wait_for(lambda: sim_state(smarthq, linked, "airconditioner", "airconditioner",
                                      "thermostat.v1", "thermostat")["coolFahrenheit"] == 75)


def test_remote_start_after_arming_it_on_the_panel(webhook, linked, smarthq):
    smarthq.cloud.set_remote_control(linked.id("washer"), True)
    washer = linked.ext("washer")
    body = webhook(stclient.command(linked.token, washer, [
        cmd('washerMode.setWasherMode:"heavy"'),
        cmd('washerOperatingState.setMachineState:"run"')]))
    entry = states_of(body, washer)
    assert "deviceError" not in entry
    assert value(entry, "st.washerOperatingState", "machineState") == "run"
    assert value(entry, "st.washerMode", "washerMode") == "heavy"
    assert wait_for(lambda: sim_state(smarthq, linked, "washer", "washer", "laundry.state.v1",
                                      "laundry")["runStatus"].endswith("in.progress"))
    assert wait_for(lambda: sim_state(smarthq, linked, "washer", "washer", "laundry.state.v1",
                                      "laundry")["cycle"].endswith("heavyduty"))


def test_dishwasher_cycle_and_start(webhook, linked, smarthq):
    dishwasher = linked.ext("dishwasher")
    body = webhook(stclient.command(linked.token, dishwasher, [
        cmd('dishwasherMode.setDishwasherMode:"eco"'),
        cmd('dishwasherOperatingState.setMachineState:"run"')]))
    entry = states_of(body, dishwasher)
    assert value(entry, "st.dishwasherMode", "dishwasherMode") == "eco"
    assert value(entry, "st.dishwasherOperatingState", "machineState") == "run"
    assert wait_for(lambda: sim_state(smarthq, linked, "dishwasher", "dishwasher",
                                      "dishwasher.state.v1", "dishwasher")["runStatus"]
                    .endswith("in.progress"))


def test_oven_start_and_stop(webhook, linked, smarthq):
    oven = linked.ext("oven")
    body = webhook(stclient.command(linked.token, oven, [
        cmd('ovenOperatingState.start:["Bake", 1800, 400]')]))
    entry = states_of(body, oven)
    assert value(entry, "st.ovenOperatingState", "machineState") == "running"
    assert value(entry, "st.ovenSetpoint", "ovenSetpoint") == 400
    assert wait_for(lambda: sim_state(smarthq, linked, "oven", "oven.upper", "cooking.state.v1",
                                      "cooking")["runStatus"].endswith("in.progress"))
    body = webhook(stclient.command(linked.token, oven, [cmd("ovenOperatingState.stop")]))
    assert value(states_of(body, oven), "st.ovenOperatingState", "machineState") == "ready"


def test_refresh_command_reads_the_appliance(webhook, linked, smarthq):
    smarthq.cloud.change_state(linked.id("refrigerator"), "refrigerator.freshfood/temperature/setpoint",
                               {"fahrenheit": 35, "celsius": 2})
    fridge = linked.ext("refrigerator")
    body = webhook(stclient.command(linked.token, fridge, [cmd("refresh.refresh")]))
    assert value(states_of(body, fridge), "st.thermostatCoolingSetpoint", "coolingSetpoint") == 35
    assert commands_sent(smarthq) == []


# -- commands refused -------------------------------------------------------------------------


@pytest.mark.parametrize("kind, spec, enum", [
    # remote control off: Remote Start not armed, the oven's panel not enabled
    ("washer", 'washerOperatingState.setMachineState:"run"', "DEVICE-UNAVAILABLE"),
    ("laundrycenter", 'dryer/dryerOperatingState.setMachineState:"run"', "DEVICE-UNAVAILABLE"),
    # unsupported
    ("dryer", 'dryerMode.setDryerMode:"lowHeat"', "CAPABILITY-NOT-SUPPORTED"),
    ("oven", 'lower/ovenOperatingState.start:["Bake"]', "CAPABILITY-NOT-SUPPORTED"),
    ("refrigerator", 'refrigeration.setDefrost:"on"', "CAPABILITY-NOT-SUPPORTED"),
    ("airconditioner", "switchLevel.setLevel:50", "CAPABILITY-NOT-SUPPORTED"),
    # out of range
    ("refrigerator", "thermostatCoolingSetpoint.setCoolingSetpoint:50", "RESOURCE-CONSTRAINT-VIOLATION"),
    ("airconditioner", 'airConditionerMode.setAirConditionerMode:"heat"', "RESOURCE-CONSTRAINT-VIOLATION"),
    ("oven", 'ovenOperatingState.start:["Bake", 0, 900]', "RESOURCE-CONSTRAINT-VIOLATION"),
    ("dishwasher", 'dishwasherMode.setDishwasherMode:"dry"', "RESOURCE-CONSTRAINT-VIOLATION"),
])
def test_refused_commands_never_reach_smarthq(webhook, linked, smarthq, kind, spec, enum):
    device = linked.ext(kind)
    body = webhook(stclient.command(linked.token, device, [cmd(spec)]))
    entry = states_of(body, device)
    assert error_of(entry) == enum, entry
    assert commands_sent(smarthq) == []


def test_remote_control_off_says_what_to_do(webhook, linked):
    washer = linked.ext("washer")
    body = webhook(stclient.command(linked.token, washer, [
        cmd('washerOperatingState.setMachineState:"run"')]))
    assert "Remote Start" in states_of(body, washer)["deviceError"][0]["detail"]


def test_oven_panel_disabled_is_unavailable(webhook, linked, smarthq):
    smarthq.cloud.set_remote_control(linked.id("oven"), False, sub_device="oven.upper")
    oven = linked.ext("oven")
    body = webhook(stclient.command(linked.token, oven, [cmd('ovenOperatingState.start:["Bake"]')]))
    assert error_of(states_of(body, oven)) == "DEVICE-UNAVAILABLE"
    assert commands_sent(smarthq) == []


def test_smarthq_refusing_a_disabled_service_is_unavailable(webhook, linked, smarthq):
    # remote control was switched off between our read and the command
    smarthq.cloud.fail_next_commands(1, "servicedisabled")
    fridge = linked.ext("refrigerator")
    body = webhook(stclient.command(linked.token, fridge, [cmd("thermostatCoolingSetpoint.setCoolingSetpoint:38")]))
    entry = states_of(body, fridge)
    assert error_of(entry) == "DEVICE-UNAVAILABLE"
    assert "remote" in entry["deviceError"][0]["detail"]


def test_a_command_timing_out_is_unavailable(webhook, linked, smarthq):
    smarthq.cloud.set_command_timing(timeout=0.3)
    smarthq.cloud.fail_next_commands(1, "timeout")
    fridge = linked.ext("refrigerator")
    body = webhook(stclient.command(linked.token, fridge, [cmd("refrigeration.setRapidCooling:\"on\"")]))
    entry = states_of(body, fridge)
    assert error_of(entry) == "DEVICE-UNAVAILABLE"
    assert "did not confirm" in entry["deviceError"][0]["detail"]
    assert len(commands_sent(smarthq)) == 1  # an outcome is never retried


def test_a_command_holding_past_the_deadline_answers_in_time(webhook, linked, smarthq, services):
    smarthq.cloud.set_command_timing(timeout=services.settings.request_deadline + 3)
    smarthq.cloud.fail_next_commands(1, "timeout")
    fridge = linked.ext("refrigerator")
    started = time.monotonic()
    body = webhook(stclient.command(linked.token, fridge, [cmd("refrigeration.setRapidCooling:\"on\"")]))
    assert error_of(states_of(body, fridge)) == "DEVICE-UNAVAILABLE"
    assert time.monotonic() - started < services.settings.request_deadline + 1


def test_one_refused_command_fails_only_its_device(webhook, linked):
    fridge, ac = linked.ext("refrigerator"), linked.ext("airconditioner")
    payload = stclient.command(linked.token, fridge, [cmd("thermostatCoolingSetpoint.setCoolingSetpoint:99")])
    payload["devices"].append({"externalDeviceId": ac, "deviceCookie": {},
                               "commands": [cmd("switch.off")]})
    body = webhook(payload)
    assert error_of(states_of(body, fridge)) == "RESOURCE-CONSTRAINT-VIOLATION"
    assert value(states_of(body, ac), "st.switch", "switch") == "off"


# -- offline ------------------------------------------------------------------------------------


def test_command_to_an_offline_appliance(webhook, linked, smarthq):
    freezer = linked.ext("freezer")  # OFFLINE in the simulator
    body = webhook(stclient.command(linked.token, freezer, [cmd("refrigeration.setRapidFreezing:\"on\"")]))
    entry = states_of(body, freezer)
    assert error_of(entry) == "DEVICE-UNAVAILABLE"
    assert value(entry, "st.healthCheck", "healthStatus") == "offline"
    assert commands_sent(smarthq) == []


def test_appliance_going_offline_under_a_command(webhook, linked, smarthq):
    smarthq.cloud.fail_next(1, 412, path=r"/v2/command$")
    fridge = linked.ext("refrigerator")
    body = webhook(stclient.command(linked.token, fridge, [cmd("thermostatCoolingSetpoint.setCoolingSetpoint:38")]))
    entry = states_of(body, fridge)
    assert error_of(entry) == "DEVICE-UNAVAILABLE"
    assert value(entry, "st.healthCheck", "healthStatus") == "offline"


@pytest.mark.parametrize("interaction", ["refresh", "command"])
def test_a_412_on_reading_the_appliance_reports_it_offline(webhook, linked, smarthq, interaction):
    fridge = linked.ext("refrigerator")
    smarthq.cloud.fail_next(1, 412, path=rf"/v2/device/{linked.id('refrigerator')}$")
    payload = (stclient.state_refresh(linked.token, [fridge]) if interaction == "refresh" else
               stclient.command(linked.token, fridge, [cmd("thermostatCoolingSetpoint.setCoolingSetpoint:38")]))
    entry = states_of(webhook(payload), fridge)
    assert error_of(entry) == "DEVICE-UNAVAILABLE"
    assert value(entry, "st.healthCheck", "healthStatus") == "offline"


def test_appliance_back_online(webhook, linked, smarthq):
    smarthq.cloud.set_presence(linked.id("dishwasher"), "OFFLINE")
    dishwasher = linked.ext("dishwasher")
    body = webhook(stclient.state_refresh(linked.token, [dishwasher]))
    assert value(states_of(body, dishwasher), "st.healthCheck", "healthStatus") == "offline"
    smarthq.cloud.set_presence(linked.id("dishwasher"), "ONLINE")
    body = webhook(stclient.state_refresh(linked.token, [dishwasher]))
    assert value(states_of(body, dishwasher), "st.healthCheck", "healthStatus") == "online"


# -- tokens ---------------------------------------------------------------------------------------


def test_expired_smarthq_token_is_refreshed_and_persisted(webhook, linked, smarthq, services):
    smarthq.cloud.expire_token(linked.smarthq_access)
    fridge = linked.ext("refrigerator")
    body = webhook(stclient.state_refresh(linked.token, [fridge]))
    assert value(states_of(body, fridge), "st.healthCheck", "healthStatus") == "online"
    link = services.accounts.link(linked.account_id, "smarthq")
    assert link.access_token != linked.smarthq_access and not link.needs_relink
    assert smarthq.cloud.count(path="/oauth2/token") == 1


def test_dead_refresh_token_is_token_expired(webhook, linked, smarthq, services):
    smarthq.cloud.expire_token(linked.smarthq_access)
    smarthq.cloud.revoke_refresh_token(linked.smarthq_refresh)
    body = webhook(stclient.state_refresh(linked.token, [linked.ext("refrigerator")]))
    assert body["globalError"]["errorEnum"] == "TOKEN-EXPIRED"
    assert services.accounts.link(linked.account_id, "smarthq").needs_relink
