"""The pure SmartHQ → model mapping (devices, handler types, states), driven by the
``device#item`` fixtures in fixtures/."""
from __future__ import annotations

import ast
import copy
import uuid
from pathlib import Path

import pytest

from connector import capabilities
from connector.backends.smarthq import appliance as appliance_module
from connector.backends.smarthq import commands as commands_module
from connector.backends.smarthq import effects as effects_module
from connector.backends.smarthq import enums as enums_module
from connector.backends.smarthq import kinds
from connector.backends.smarthq import mapping as m

from .payloads import (
    AC,
    DISHDRAWER,
    DISHWASHER,
    DISHWASHER_OFFLINE,
    DRYER,
    FIXTURES,
    FREEZER,
    FRIDGE,
    HOOD,
    LAUNDRY_CENTER,
    OVEN,
    WARMING_DRAWER,
    WASHER,
    WATER_HEATER,
    armed_washer,
    idle_washer,
    load,
    runstatus,
    service,
    subcycle,
    with_state,
)

NOW = 1714564800.0  # 2024-05-01T12:00:00Z


def states(device, now=NOW):
    """{(component, capability, attribute): (value, unit)} of a device's states."""
    return {(s.component, s.capability.removeprefix("st."), s.attribute): (s.value, s.unit)
            for s in m.to_states(device, now)}


def value(device, component, capability, attribute, now=NOW):
    return states(device, now)[(component, capability, attribute)][0]


# -- fixtures, kinds and devices ---------------------------------------------------------

KIND = {
    WASHER: kinds.WASHER, DRYER: kinds.DRYER, LAUNDRY_CENTER: kinds.LAUNDRY_CENTER,
    DISHWASHER: kinds.DISHWASHER, DISHWASHER_OFFLINE: kinds.DISHWASHER,
    DISHDRAWER: kinds.DISHDRAWER, FRIDGE: kinds.REFRIGERATOR, OVEN: kinds.OVEN,
    AC: kinds.AIR_CONDITIONER, HOOD: kinds.HOOD, WATER_HEATER: kinds.WATER_HEATER,
    FREEZER: kinds.GENERIC, WARMING_DRAWER: kinds.GENERIC,
}


def test_every_fixture_is_covered_and_every_kind_has_one():
    assert set(FIXTURES) == set(KIND)
    assert set(KIND.values()) == set(kinds.KINDS)


@pytest.mark.parametrize("name", FIXTURES)
def test_kind_per_fixture(name):
    assert m.kind(load(name)) == KIND[name]


@pytest.mark.parametrize("device_type, kind", [
    ("cloud.smarthq.device.washer", "washer"),
    ("cloud.smarthq.device.combilaundry", "laundrycenter"),
    ("cloud.smarthq.device.range.electric", "oven"),
    ("cloud.smarthq.device.range.gas", "oven"),
    ("cloud.smarthq.device.toasteroven", "oven"),
    ("cloud.smarthq.device.ptac", "airconditioner"),
    ("cloud.smarthq.device.dehumidifier", "airconditioner"),
    ("cloud.smarthq.device.freezer", "generic"),
    ("cloud.smarthq.device.coffeebrewer", "generic"),
    ("CLOUD.SMARTHQ.DEVICE.Dryer", "dryer"),
    ("", "generic"),
    (None, "generic"),
    (42, "generic"),
])
def test_kind_of_device_types(device_type, kind):
    assert kinds.kind_of(device_type) == kind


@pytest.mark.parametrize("name", FIXTURES)
def test_every_state_passes_the_capability_validator(name):
    for state in m.to_states(load(name), NOW):
        capabilities.validate_state(state)


@pytest.mark.parametrize("name", FIXTURES)
def test_states_stay_inside_the_kinds_layout(name):
    layout = kinds.LAYOUTS[KIND[name]]
    for state in m.to_states(load(name), NOW):
        assert state.capability in layout[state.component], state


@pytest.mark.parametrize("name", FIXTURES)
def test_health_comes_last_and_only_once(name):
    found = m.to_states(load(name), NOW)
    health = [s for s in found if s.capability == "st.healthCheck"]
    assert health == [found[-1]] and health[0].component == "main"


def test_to_device_from_a_list_entry():
    entry = {k: v for k, v in load(WASHER).items() if k != "services"}
    device = m.to_device(entry)
    assert device.external_id == "smarthq:3b1c0f2e9a7d4c11"
    assert device.friendly_name == "Laundry Washer"
    assert device.manufacturer.manufacturer_name == "GE Appliances"
    assert device.manufacturer.model_name == "PFW870SPVDS"
    assert device.room_name == "Laundry"
    assert device.categories == ("washer",)
    assert device.unique_id == "D8:28:C9:00:00:01"
    assert device.cookie is None
    assert uuid.UUID(device.handler_type)


@pytest.mark.parametrize("name, friendly, mac", [
    (DRYER, "Laundry Dryer", "D8:28:C9:00:00:02"),
    (LAUNDRY_CENTER, "Hall Laundry Center", "D8:28:C9:00:00:03"),
    (WARMING_DRAWER, "GE Appliance", None),  # empty nickname: a name from the kind
    (DISHWASHER_OFFLINE, "Basement Dishwasher", None),
])
def test_to_device_names_and_macs(name, friendly, mac):
    device = m.to_device(load(name))
    assert device.friendly_name == friendly
    assert device.unique_id == mac


def test_to_device_needs_a_device_id():
    with pytest.raises(ValueError):
        m.to_device({"deviceType": "cloud.smarthq.device.washer"})


def test_to_device_without_model_or_name():
    device = m.to_device({"deviceId": "x1", "deviceType": "cloud.smarthq.device.hood"})
    assert device.friendly_name == "GE Hood"
    assert device.manufacturer.model_name == "SmartHQ appliance"
    assert device.categories == ("rangehood",)


def test_external_ids_round_trip_and_are_namespaced():
    assert m.external_id("abc") == "smarthq:abc"
    assert m.device_id("smarthq:abc") == "abc"
    assert m.device_id(m.external_id("a:b")) == "a:b"
    for bad in ("abc", "kasa:abc", "smarthq:", ""):
        with pytest.raises(ValueError):
            m.device_id(bad)


# -- handler types (device profile ids) --------------------------------------------------

WASHER_PROFILE = "5d2f0b6c-1a8e-4c3b-9f7d-2e6a4b8c0d11"


def test_configured_profile_id_is_the_handler_type():
    handler = m.handler_type(load(WASHER), {"washer": WASHER_PROFILE})
    assert handler == m.HandlerType("washer", WASHER_PROFILE, placeholder=False)
    assert m.to_device(load(WASHER), {"washer": WASHER_PROFILE}).handler_type == WASHER_PROFILE


@pytest.mark.parametrize("key", ["Washer", " washer ", "WASHER"])
def test_profile_id_keys_are_normalised(key):
    assert m.handler_type(load(WASHER), {key: WASHER_PROFILE}).profile_id == WASHER_PROFILE


def test_laundry_center_key_spellings():
    ids = {"laundry_center": WASHER_PROFILE}
    assert m.handler_type(load(LAUNDRY_CENTER), ids).profile_id == WASHER_PROFILE


@pytest.mark.parametrize("name", FIXTURES)
def test_without_configuration_every_kind_gets_a_flagged_placeholder_uuid(name):
    handler = m.handler_type(load(name), {})
    assert handler.placeholder
    assert handler.profile_id == str(uuid.uuid5(m.PROFILE_NAMESPACE, f"smarthq-profile:{KIND[name]}"))
    assert m.handler_type(load(name), None) == handler  # deterministic


def test_placeholders_differ_per_kind():
    ids = {m.placeholder_profile_id(k) for k in kinds.KINDS}
    assert len(ids) == len(kinds.KINDS)


def test_a_configured_value_that_is_not_a_uuid_falls_back_to_the_placeholder():
    handler = m.handler_type(load(WASHER), {"washer": "not-a-uuid"})
    assert handler.placeholder and uuid.UUID(handler.profile_id)


def test_another_kinds_id_is_not_used():
    assert m.handler_type(load(DRYER), {"washer": WASHER_PROFILE}).placeholder


# -- states per appliance ----------------------------------------------------------------


def test_washer_running():
    assert states(load(WASHER)) == {
        ("main", "washerOperatingState", "machineState"): ("run", None),
        ("main", "washerOperatingState", "washerJobState"): ("rinse", None),
        # the timer's lastStateTime 12:00:00 + 1860 s
        ("main", "washerOperatingState", "completionTime"): ("2024-05-01T12:31:00.000Z", None),
        ("main", "washerOperatingState", "supportedMachineStates"): (["run", "pause", "stop"], None),
        ("main", "washerMode", "washerMode"): ("regular", None),
        ("main", "remoteControlStatus", "remoteControlEnabled"): ("true", None),
        ("main", "contactSensor", "contact"): ("closed", None),
        ("main", "powerConsumptionReport", "powerConsumption"): ({"energy": 41230}, None),
        ("main", "healthCheck", "healthStatus"): ("online", None),
    }


def test_washer_armed_for_remote_start():
    found = states(armed_washer())
    assert found[("main", "washerOperatingState", "machineState")] == ("stop", None)
    assert found[("main", "washerOperatingState", "washerJobState")] == ("delayWash", None)
    assert found[("main", "remoteControlStatus", "remoteControlEnabled")] == ("true", None)
    assert ("main", "washerOperatingState", "completionTime") not in found


def test_washer_idle_without_remote_control():
    found = states(idle_washer())
    assert found[("main", "washerOperatingState", "machineState")] == ("stop", None)
    assert found[("main", "washerOperatingState", "washerJobState")] == ("none", None)
    assert found[("main", "remoteControlStatus", "remoteControlEnabled")] == ("false", None)


def test_dryer_cooling_down():
    assert states(load(DRYER)) == {
        ("main", "dryerOperatingState", "machineState"): ("run", None),
        ("main", "dryerOperatingState", "dryerJobState"): ("cooling", None),
        ("main", "dryerOperatingState", "completionTime"): ("2024-05-01T12:03:00.000Z", None),
        ("main", "dryerOperatingState", "supportedMachineStates"): (["run", "stop"], None),
        ("main", "dryerMode", "dryerMode"): ("highHeat", None),
        ("main", "remoteControlStatus", "remoteControlEnabled"): ("true", None),
        ("main", "contactSensor", "contact"): ("closed", None),
        ("main", "powerConsumptionReport", "powerConsumption"): ({"energy": 88120.5}, None),
        ("main", "healthCheck", "healthStatus"): ("online", None),
    }


def test_laundry_center_has_a_washer_and_a_dryer_component():
    found = states(load(LAUNDRY_CENTER))
    assert {c for c, _, _ in found} == {"main", "washer", "dryer"}
    assert found[("washer", "washerOperatingState", "machineState")] == ("stop", None)
    assert found[("washer", "washerOperatingState", "washerJobState")] == ("none", None)
    assert found[("washer", "washerMode", "washerMode")] == ("heavy", None)
    assert found[("washer", "contactSensor", "contact")] == ("open", None)
    assert found[("washer", "remoteControlStatus", "remoteControlEnabled")] == ("false", None)
    assert found[("dryer", "dryerOperatingState", "machineState")] == ("stop", None)
    assert found[("dryer", "dryerOperatingState", "dryerJobState")] == ("finished", None)
    assert found[("dryer", "dryerMode", "dryerMode")] == ("lowHeat", None)
    assert found[("dryer", "powerConsumptionReport", "powerConsumption")] == ({"energy": 90400}, None)
    # health and refresh live on main only
    assert [k for k in found if k[0] == "main"] == [("main", "healthCheck", "healthStatus")]


@pytest.mark.parametrize("run, sub, machine, job", [
    ("in.progress", "fill", "run", "wash"),
    ("active", "soak", "run", "wash"),
    ("running.720p", "sanitizing", "run", "wash"),
    ("in.progress", "prewash", "run", "preWash"),
    ("in.progress", "extrarinse", "run", "rinse"),
    ("in.progress", "drain", "run", "spin"),
    ("in.progress", "extraspin", "run", "spin"),
    ("in.progress", "load.sensing", "run", "weightSensing"),
    ("in.progress", "soil.sensing", "run", "weightSensing"),
    ("in.progress", "wrinkle.free", "run", "wrinklePrevent"),
    ("in.progress", "cooldown", "run", "cooling"),
    ("in.progress", "na", "run", None),  # unknown phase: SmartThings keeps the last one
    ("paused", "spin", "pause", "spin"),
    ("delay.pause", "na", "pause", None),
    ("delayed", "na", "stop", "delayWash"),
    ("complete", "na", "stop", "finish"),
    ("endofcycle", "spin", "stop", "finish"),
    ("idle", "na", "stop", "none"),
    ("off", "na", "stop", "none"),
    ("standby", "na", "stop", "none"),
    ("stopped", "na", "stop", "none"),
    ("unknown", "na", "stop", "none"),
    ("feeding", "na", None, None),  # not a laundry status: nothing is claimed
])
def test_washer_run_status_and_sub_cycle(run, sub, machine, job):
    found = states(with_state(WASHER, "laundry.state.v1", runStatus=runstatus(run),
                              subCycle=subcycle(sub)))
    assert found.get(("main", "washerOperatingState", "machineState"), (None,))[0] == machine
    assert found.get(("main", "washerOperatingState", "washerJobState"), (None,))[0] == job


@pytest.mark.parametrize("sub, job", [
    ("drying", "drying"), ("tumble", "drying"), ("damp", "drying"), ("airfluff", "drying"),
    ("force.cooling", "cooling"), ("extendedtumble", "wrinklePrevent"),
    ("wrinkle.free", "wrinklePrevent"), ("steaming", "refreshing"), ("ultra.fresh", "refreshing"),
    ("sanitizing", "sanitizing"), ("sensing", "weightSensing"), ("pet.hair", None),
])
def test_dryer_sub_cycles(sub, job):
    found = states(with_state(DRYER, "laundry.state.v1", subCycle=subcycle(sub)))
    assert found.get(("main", "dryerOperatingState", "dryerJobState"), (None,))[0] == job


def test_dryer_finished_and_delayed():
    done = with_state(DRYER, "laundry.state.v1", runStatus=runstatus("complete"))
    assert value(done, "main", "dryerOperatingState", "dryerJobState") == "finished"
    armed = with_state(DRYER, "laundry.state.v1", runStatus=runstatus("delayed"))
    assert value(armed, "main", "dryerOperatingState", "dryerJobState") == "delayWash"


@pytest.mark.parametrize("cycle, mode", [
    ("normal", "regular"), ("colors", "regular"), ("heavyduty", "heavy"), ("bulky", "heavy"),
    ("rinseandspin", "rinse"), ("drainandspin", "spinDry"), ("spin", "spinDry"),
    ("delicates", None), ("quickwash", None),
])
def test_washer_mode_from_the_cycle(cycle, mode):
    found = states(with_state(WASHER, "laundry.state.v1",
                              cycle=f"cloud.smarthq.domain.laundry.{cycle}"))
    assert found.get(("main", "washerMode", "washerMode"), (None,))[0] == mode


@pytest.mark.parametrize("heat, mode", [("noheat", "lowHeat"), ("low", "lowHeat"),
                                        ("medium", "regular"), ("high", "highHeat"),
                                        ("extrahigh", None)])
def test_dryer_mode_from_the_heat(heat, mode):
    found = states(with_state(DRYER, "laundry.state.v1",
                              laundryTemperature=f"cloud.smarthq.type.laundrytemperature.{heat}"))
    assert found.get(("main", "dryerMode", "dryerMode"), (None,))[0] == mode


# -- completionTime ----------------------------------------------------------------------


def test_completion_time_counts_from_the_timers_last_state_time():
    device = load(WASHER)
    service(device, "cycletimer")["lastStateTime"] = "2024-05-01T12:10:30.000Z"
    assert value(device, "main", "washerOperatingState", "completionTime") == \
        "2024-05-01T12:41:30.000Z"


def test_completion_time_falls_back_to_now():
    device = load(WASHER)
    del service(device, "cycletimer")["lastStateTime"]
    assert value(device, "main", "washerOperatingState", "completionTime", now=NOW + 60) == \
        "2024-05-01T12:32:00.000Z"
    assert ("main", "washerOperatingState", "completionTime") not in states(device, now=None)


def test_completion_time_is_left_alone_while_paused():
    paused_timer = with_state(WASHER, "cycletimer", paused=True)
    assert ("main", "washerOperatingState", "completionTime") not in states(paused_timer)
    paused_cycle = with_state(WASHER, "laundry.state.v1", runStatus=runstatus("paused"))
    assert ("main", "washerOperatingState", "completionTime") not in states(paused_cycle)


def test_completion_time_needs_a_timer():
    device = load(WASHER)
    device["services"] = [s for s in device["services"] if not s["serviceType"].endswith("cycletimer")]
    assert ("main", "washerOperatingState", "completionTime") not in states(device)


# -- dishwashers -------------------------------------------------------------------------


def test_dishwasher_running():
    assert states(load(DISHWASHER)) == {
        ("main", "dishwasherOperatingState", "machineState"): ("run", None),
        ("main", "dishwasherOperatingState", "dishwasherJobState"): ("unknown", None),
        ("main", "dishwasherOperatingState", "completionTime"): ("2024-05-01T20:50:00.000Z", None),
        ("main", "dishwasherOperatingState", "supportedMachineStates"): (["run", "pause", "stop"], None),
        ("main", "dishwasherMode", "dishwasherMode"): ("auto", None),  # autosense
        ("main", "remoteControlStatus", "remoteControlEnabled"): ("true", None),
        ("main", "contactSensor", "contact"): ("closed", None),
        ("main", "powerConsumptionReport", "powerConsumption"): ({"energy": 120400}, None),
        ("main", "healthCheck", "healthStatus"): ("online", None),
    }


def test_dishwasher_remote_control_follows_disabled_and_remote_start_support():
    off = with_state(DISHWASHER, "dishwasher.state.v1", disabled=True)
    assert value(off, "main", "remoteControlStatus", "remoteControlEnabled") == "false"
    unsupported = load(DISHWASHER)
    service(unsupported, "dishwasher.state.v1")["config"]["remoteStartSupported"] = False
    assert value(unsupported, "main", "remoteControlStatus", "remoteControlEnabled") == "false"


def test_dishwasher_finished():
    done = with_state(DISHWASHER, "dishwasher.state.v1", runStatus=runstatus("complete"))
    assert value(done, "main", "dishwasherOperatingState", "dishwasherJobState") == "finish"
    assert value(done, "main", "dishwasherOperatingState", "machineState") == "stop"


@pytest.mark.parametrize("cycle, mode", [
    ("auto", "auto"), ("smart", "auto"), ("eco", "eco"), ("hydrosave", "eco"),
    ("heavyduty", "intense"), ("pots", "intense"), ("express", "quick"),
    ("timed.minutes.30", "quick"), ("timesaver", "quick"), ("preprinse", "rinse"),
    ("china", None), ("steam", None),
])
def test_dishwasher_mode_from_the_cycle(cycle, mode):
    found = states(with_state(DISHWASHER, "dishwasher.state.v1",
                              mode=f"cloud.smarthq.domain.dishwasher.{cycle}"))
    assert found.get(("main", "dishwasherMode", "dishwasherMode"), (None,))[0] == mode


def test_dish_drawer_has_upper_and_lower_components():
    found = states(load(DISHDRAWER))
    assert found[("upper", "dishwasherOperatingState", "dishwasherJobState")] == ("finish", None)
    assert found[("upper", "remoteControlStatus", "remoteControlEnabled")] == ("false", None)
    assert found[("upper", "dishwasherMode", "dishwasherMode")] == ("quick", None)
    assert found[("lower", "dishwasherOperatingState", "machineState")] == ("pause", None)
    assert ("lower", "dishwasherOperatingState", "completionTime") not in found  # paused
    assert found[("main", "powerConsumptionReport", "powerConsumption")] == ({"energy": 5300.2}, None)


def test_offline_appliance_reports_only_that():
    assert m.to_states(load(DISHWASHER_OFFLINE)) == [m.health_state(False)]


@pytest.mark.parametrize("presence, online", [("ONLINE", True), ("online", True),
                                              ("OFFLINE", False), ("UNKNOWN", False),
                                              (None, False)])
def test_presence_is_health(presence, online):
    device = load(WATER_HEATER)
    device["presence"] = presence
    assert m.to_states(device)[-1] == m.health_state(online)


# -- refrigerators -----------------------------------------------------------------------


def test_refrigerator_like_the_pvd28_dump():
    assert states(load(FRIDGE)) == {
        ("main", "thermostatCoolingSetpoint", "coolingSetpoint"): (37, "F"),
        ("main", "contactSensor", "contact"): ("closed", None),
        ("main", "refrigeration", "rapidCooling"): ("off", None),
        ("main", "refrigeration", "rapidFreezing"): ("on", None),  # the freezer's turbo
        ("main", "powerConsumptionReport", "powerConsumption"): ({"energy": 65488}, None),
        ("main", "filterStatus", "filterStatus"): ("replace", None),  # expiring soon
        ("freezer", "thermostatCoolingSetpoint", "coolingSetpoint"): (0, "F"),
        ("icemaker", "switch", "switch"): ("on", None),
        ("main", "healthCheck", "healthStatus"): ("online", None),
    }


def test_refrigerator_has_no_measured_temperature_without_such_a_service():
    # The v2 PVD28 exposes setpoints only (smarthq-api.md §2.3.5): none is invented.
    assert not [k for k in states(load(FRIDGE)) if k[1] == "temperatureMeasurement"]


def test_refrigerator_in_celsius_reports_celsius():
    device = with_state(FRIDGE, "mode", "temperatureunits",
                        mode="cloud.smarthq.type.mode.celsius")
    found = states(device)
    assert found[("main", "thermostatCoolingSetpoint", "coolingSetpoint")] == (3, "C")
    assert found[("freezer", "thermostatCoolingSetpoint", "coolingSetpoint")] == (-18, "C")


def test_a_missing_unit_field_is_converted_and_clamped():
    device = load(FRIDGE)
    state = service(device, "temperature", "setpoint", "refrigerator.freshfood")["state"]
    del state["fahrenheit"]
    state["celsius"] = 4
    assert value(device, "main", "thermostatCoolingSetpoint", "coolingSetpoint") == 39.2
    state["celsius"] = 20  # 68 °F: outside 34..42
    assert value(device, "main", "thermostatCoolingSetpoint", "coolingSetpoint") == 42


@pytest.mark.parametrize("flag", ["topLeftOpen", "topRightDoorInDoorOpen", "middleOpen",
                                  "bottomOpen"])
def test_any_open_door_opens_the_contact(flag):
    device = with_state(FRIDGE, "door", "door", **{flag: True})
    assert value(device, "main", "contactSensor", "contact") == "open"


@pytest.mark.parametrize("condition, status", [
    ("good", "normal"), ("bypass", "normal"), ("expiringsoon", "replace"),
    ("expired", "replace"), ("error", "replace"), ("leak", "replace"), ("weird", None),
])
def test_water_filter_status(condition, status):
    device = with_state(FRIDGE, "mode", "state", "refrigerator.waterfilter",
                        mode=f"cloud.smarthq.type.mode.{condition}")
    assert states(device).get(("main", "filterStatus", "filterStatus"), (None,))[0] == status


def test_ignored_sub_devices_never_leak_in():
    # The convertible drawer's setpoints (29 °F, 33 °F) must not become the fridge's.
    found = states(load(FRIDGE))
    assert found[("main", "thermostatCoolingSetpoint", "coolingSetpoint")][0] == 37
    assert {c for c, _, _ in found} == {"main", "freezer", "icemaker"}


# -- ovens -------------------------------------------------------------------------------


def test_double_oven():
    assert states(load(OVEN)) == {
        ("main", "ovenOperatingState", "machineState"): ("running", None),
        ("main", "ovenOperatingState", "ovenJobState"): ("preheat", None),
        ("main", "ovenOperatingState", "completionTime"): ("2024-05-01T18:15:00.000Z", None),
        ("main", "ovenOperatingState", "operationTime"): (2700, None),
        ("main", "ovenOperatingState", "progress"): (33, "%"),
        ("main", "ovenMode", "ovenMode"): ("ConvectionBake", None),
        ("main", "ovenMode", "supportedOvenModes"): (["Bake", "ConvectionBake", "Broil", "Others"], None),
        ("main", "ovenSetpoint", "ovenSetpoint"): (375, None),
        ("main", "remoteControlStatus", "remoteControlEnabled"): ("true", None),
        ("main", "contactSensor", "contact"): ("closed", None),
        ("main", "temperatureMeasurement", "temperature"): (250, "F"),
        ("lower", "ovenOperatingState", "machineState"): ("ready", None),
        ("lower", "ovenOperatingState", "ovenJobState"): ("ready", None),
        ("lower", "ovenMode", "supportedOvenModes"): (["Bake"], None),
        ("lower", "remoteControlStatus", "remoteControlEnabled"): ("false", None),
        ("lower", "contactSensor", "contact"): ("open", None),
        ("lower", "temperatureMeasurement", "temperature"): (75, "F"),  # not the .offset service
        ("main", "healthCheck", "healthStatus"): ("online", None),
    }


@pytest.mark.parametrize("run, status, machine, job", [
    ("in.progress", "cooking", "running", "cooking"),
    ("active", "warming", "running", "warming"),
    ("in.progress", "selfclean", "running", "cleaning"),
    ("paused", "cooking", "paused", "cooking"),
    ("complete", "done", "ready", "finished"),
    ("delayed", "off", "ready", "scheduledStart"),
    ("idle", "off", "ready", "ready"),
])
def test_oven_states(run, status, machine, job):
    device = with_state(OVEN, "cooking.state.v1", sub_device="oven.upper",
                        runStatus=runstatus(run),
                        cookingStatus=f"cloud.smarthq.type.cookingstatus.{status}")
    assert value(device, "main", "ovenOperatingState", "machineState") == machine
    assert value(device, "main", "ovenOperatingState", "ovenJobState") == job


def test_oven_remote_control_needs_remote_enable_and_a_remote_level():
    off = with_state(OVEN, "cooking.state.v1", sub_device="oven.upper", remoteEnable=False)
    assert value(off, "main", "remoteControlStatus", "remoteControlEnabled") == "false"
    none = load(OVEN)
    service(none, "cooking.state.v1", sub_device="oven.upper")["config"]["supportedRemote"] = \
        "cloud.smarthq.type.cookingremote.none"
    assert value(none, "main", "remoteControlStatus", "remoteControlEnabled") == "false"


def test_oven_mode_off_is_not_reported_and_unknown_modes_are_others():
    found = states(load(OVEN))
    assert ("lower", "ovenMode", "ovenMode") not in found  # cooking.off
    airfry = with_state(OVEN, "cooking.state.v1", sub_device="oven.upper",
                        mode="cloud.smarthq.domain.cooking.airfry")
    assert value(airfry, "main", "ovenMode", "ovenMode") == "Others"


# -- climate, hood, water heater, generic ------------------------------------------------


def test_air_conditioner():
    assert states(load(AC)) == {
        ("main", "switch", "switch"): ("on", None),
        ("main", "airConditionerMode", "airConditionerMode"): ("energySaver", None),
        ("main", "airConditionerMode", "supportedAcModes"): (["cool", "energySaver", "dry", "fanOnly"], None),
        ("main", "airConditionerFanMode", "fanMode"): ("auto", None),
        ("main", "airConditionerFanMode", "supportedAcFanModes"): (["auto", "low", "medium", "high"], None),
        ("main", "thermostatCoolingSetpoint", "coolingSetpoint"): (72, "F"),
        ("main", "temperatureMeasurement", "temperature"): (78, "F"),
        ("main", "healthCheck", "healthStatus"): ("online", None),
    }


def test_air_conditioner_setpoint_is_clamped_to_its_config():
    device = with_state(AC, "thermostat.v1", coolFahrenheit=90)
    assert value(device, "main", "thermostatCoolingSetpoint", "coolingSetpoint") == 86


def test_air_conditioner_off_mode_is_just_the_switch():
    device = with_state(AC, "thermostat.v1", on=False,
                        mode="cloud.smarthq.type.thermostatmode.off")
    found = states(device)
    assert found[("main", "switch", "switch")] == ("off", None)
    assert ("main", "airConditionerMode", "airConditionerMode") not in found


def test_hood_fan_and_light():
    assert states(load(HOOD)) == {
        ("main", "fanSpeed", "fanSpeed"): (2, None),
        ("main", "switch", "switch"): ("on", None),
        ("light", "switchLevel", "level"): (60, "%"),  # 3 of 5
        ("light", "switch", "switch"): ("on", None),
        ("main", "healthCheck", "healthStatus"): ("online", None),
    }


def test_hood_stopped_fan_and_dark_light_are_off():
    device = with_state(HOOD, "integer", "speed", value=0)
    service(device, "integer", "brightness")["state"]["value"] = 0
    found = states(device)
    assert found[("main", "switch", "switch")] == ("off", None)
    assert found[("light", "switch", "switch")] == ("off", None)
    assert found[("light", "switchLevel", "level")] == (0, "%")


def test_water_heater():
    assert states(load(WATER_HEATER)) == {
        ("main", "thermostatHeatingSetpoint", "heatingSetpoint"): (120, "F"),
        ("main", "healthCheck", "healthStatus"): ("online", None),
    }


def test_unknown_freezer_gets_a_generic_mapping_from_its_services():
    assert states(load(FREEZER)) == {
        ("main", "thermostatCoolingSetpoint", "coolingSetpoint"): (5, "F"),  # 9 °F clamped to -6..5
        ("main", "contactSensor", "contact"): ("open", None),
        ("main", "refrigeration", "rapidFreezing"): ("off", None),
        ("main", "healthCheck", "healthStatus"): ("online", None),
    }


def test_unknown_warming_drawer_heats():
    assert states(load(WARMING_DRAWER)) == {
        ("main", "thermostatHeatingSetpoint", "heatingSetpoint"): (170, "F"),
        ("main", "temperatureMeasurement", "temperature"): (160.7, "F"),  # from 71.5 °C
        ("main", "switch", "switch"): ("on", None),
        ("main", "powerConsumptionReport", "powerConsumption"): ({"energy": 1234}, None),
        ("main", "healthCheck", "healthStatus"): ("online", None),
    }


def test_generic_setpoint_without_a_range_is_not_guessed():
    device = load(WARMING_DRAWER)
    service(device, "temperature", "setpoint")["config"] = {}
    found = states(device)
    assert not [k for k in found if "Setpoint" in k[1]]


def test_device_without_services_is_still_an_online_appliance():
    device = {"deviceId": "x", "deviceType": "cloud.smarthq.device.mixer", "presence": "ONLINE"}
    assert m.to_states(device) == [m.health_state(True)]


def test_malformed_services_are_skipped():
    device = load(FREEZER)
    device["services"] += [None, "junk", {"serviceType": 3}, {"state": "x"}]
    service(device, "door")["state"]["singleOpen"] = "yes"  # not a bool: ignored
    found = states(device)
    assert ("main", "contactSensor", "contact") not in found
    assert found[("main", "refrigeration", "rapidFreezing")] == ("off", None)


def test_mapping_does_not_change_its_input():
    device = load(OVEN)
    before = copy.deepcopy(device)
    m.to_states(device, NOW)
    m.to_device(device)
    assert device == before


# -- purity ------------------------------------------------------------------------------

PURE = (m, appliance_module, commands_module, effects_module, enums_module, kinds)


@pytest.mark.parametrize("module", PURE, ids=lambda mod: mod.__name__.rsplit(".", 1)[-1])
def test_mapping_modules_import_no_io_library(module):
    tree = ast.parse(Path(module.__file__).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module)
    allowed = {"__future__", "copy", "dataclasses", "datetime", "math", "re", "typing", "uuid",
               "connector.model"}
    local = {f"connector.backends.smarthq.{n}"
             for n in ("appliance", "commands", "effects", "enums", "kinds")}
    assert imported <= allowed | local | {"connector.backends.smarthq"}
