"""SmartThings commands → SmartHQ service commands: what is produced, every refusal with
its ST enum, coalescing, and the optimistic states a commandResponse reports."""
from __future__ import annotations

import copy
import inspect

import pytest

from connector import capabilities
from connector.backends.smarthq import mapping as m
from connector.backends.smarthq.client import SmartHQClient
from connector.model import Command, DeviceErrorEnum

from .payloads import (
    AC,
    DISHDRAWER,
    DISHWASHER,
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
    with_state,
)

CNS = DeviceErrorEnum.CAPABILITY_NOT_SUPPORTED
RCV = DeviceErrorEnum.RESOURCE_CONSTRAINT_VIOLATION
UNAVAILABLE = DeviceErrorEnum.DEVICE_UNAVAILABLE
NOW = 1714564800.0  # 2024-05-01T12:00:00Z


def cmd(capability, command, *arguments, component="main"):
    return Command(f"st.{capability}", command, tuple(arguments), component)


def planned(device, *commands):
    """[(short serviceType, short domainType, short serviceDeviceType, command)] of a plan."""
    plan = m.plan_commands(device, commands)
    return [(c.service_type.removeprefix("cloud.smarthq.service."),
             c.domain_type.removeprefix("cloud.smarthq.domain."),
             c.service_device_type.removeprefix("cloud.smarthq.device."),
             {k: v.removeprefix("cloud.smarthq.command.") if k == "commandType" else v
              for k, v in c.command.items()})
            for c in plan.commands]


def refused(device, *commands):
    with pytest.raises(m.MappingError) as err:
        m.plan_commands(device, commands)
    return err.value.enum, err.value.detail


def predicted(device, *commands, now=NOW):
    plan = m.plan_commands(device, commands)
    found = m.predicted_states(device, plan, now)
    for state in found:
        capabilities.validate_state(state)
    return {(s.component, s.capability.removeprefix("st."), s.attribute): s.value for s in found}


# -- refrigerator ------------------------------------------------------------------------


def test_fridge_and_freezer_setpoints_go_to_their_compartments():
    assert planned(load(FRIDGE), cmd("thermostatCoolingSetpoint", "setCoolingSetpoint", 38),
                   cmd("thermostatCoolingSetpoint", "setCoolingSetpoint", -2, component="freezer")) == [
        ("temperature", "setpoint", "refrigerator.freshfood",
         {"commandType": "temperature.set", "fahrenheit": 38}),
        ("temperature", "setpoint", "refrigerator.freezer",
         {"commandType": "temperature.set", "fahrenheit": -2}),
    ]


def test_setpoints_are_whole_degrees_in_the_unit_shown():
    assert planned(load(FRIDGE), cmd("thermostatCoolingSetpoint", "setCoolingSetpoint", 37.6)) \
        [0][3] == {"commandType": "temperature.set", "fahrenheit": 38}
    celsius = with_state(FRIDGE, "mode", "temperatureunits", mode="cloud.smarthq.type.mode.celsius")
    assert planned(celsius, cmd("thermostatCoolingSetpoint", "setCoolingSetpoint", 4))[0][3] == \
        {"commandType": "temperature.set", "celsius": 4}


@pytest.mark.parametrize("component, degrees", [("main", 43), ("main", 33), ("freezer", 6),
                                                ("freezer", -7)])
def test_setpoints_outside_the_range_are_refused(component, degrees):
    enum, detail = refused(load(FRIDGE), cmd("thermostatCoolingSetpoint", "setCoolingSetpoint",
                                             degrees, component=component))
    assert enum == RCV and "°F" in detail


def test_rapid_cooling_and_freezing_toggle_the_turbos():
    assert planned(load(FRIDGE), cmd("refrigeration", "setRapidCooling", "on"),
                   cmd("refrigeration", "setRapidFreezing", "off")) == [
        ("toggle", "turbo", "refrigerator.freshfood", {"commandType": "toggle.set", "on": True}),
        ("toggle", "turbo", "refrigerator.freezer", {"commandType": "toggle.set", "on": False}),
    ]


def test_defrost_is_not_offered():
    assert refused(load(FRIDGE), cmd("refrigeration", "setDefrost", "on"))[0] == CNS


def test_ice_maker_switch():
    assert planned(load(FRIDGE), cmd("switch", "off", component="icemaker")) == [
        ("toggle", "power", "icemaker.1", {"commandType": "toggle.set", "on": False})]


def test_a_disabled_service_is_unavailable():
    device = with_state(FRIDGE, "temperature", "setpoint", "refrigerator.freshfood", disabled=True)
    enum, detail = refused(device, cmd("thermostatCoolingSetpoint", "setCoolingSetpoint", 38))
    assert enum == UNAVAILABLE and "disabled" in detail


def test_a_command_the_service_does_not_list_is_not_supported():
    device = load(FRIDGE)
    service(device, "toggle", "turbo", "refrigerator.freshfood")["supportedCommands"] = []
    assert refused(device, cmd("refrigeration", "setRapidCooling", "on"))[0] == CNS


def test_a_missing_service_is_not_supported():
    device = load(FRIDGE)
    device["services"] = [s for s in device["services"]
                          if not s["domainType"].endswith("turbo")]
    assert refused(device, cmd("refrigeration", "setRapidFreezing", "on"))[0] == CNS


# -- laundry -----------------------------------------------------------------------------


def test_remote_start_needs_it_armed_on_the_panel():
    assert planned(armed_washer(), cmd("washerOperatingState", "setMachineState", "run")) == [
        ("trigger", "start", "washer", {"commandType": "trigger.do"})]
    enum, detail = refused(idle_washer(), cmd("washerOperatingState", "setMachineState", "run"))
    assert enum == UNAVAILABLE and "Remote Start" in detail


def test_running_washer_pauses_and_stops():
    assert planned(load(WASHER), cmd("washerOperatingState", "setMachineState", "pause")) == [
        ("trigger", "cycle.pause", "washer", {"commandType": "trigger.do"})]
    assert planned(load(WASHER), cmd("washerOperatingState", "setMachineState", "stop")) == [
        ("trigger", "stop", "washer", {"commandType": "trigger.do"})]


def test_asking_for_the_current_state_plans_nothing():
    assert planned(load(WASHER), cmd("washerOperatingState", "setMachineState", "run")) == []
    assert planned(idle_washer(), cmd("washerOperatingState", "setMachineState", "stop")) == []


def test_a_paused_washer_resumes_with_the_start_trigger():
    device = with_state(WASHER, "laundry.state.v1", runStatus=runstatus("paused"))
    service(device, "trigger", "start")["state"]["disabled"] = False
    assert planned(device, cmd("washerOperatingState", "setMachineState", "run"))[0][1] == "start"


def test_a_dryer_without_a_pause_trigger_cannot_pause():
    assert refused(load(DRYER), cmd("dryerOperatingState", "setMachineState", "pause"))[0] == CNS


def test_laundry_center_halves_are_addressed_by_component():
    device = load(LAUNDRY_CENTER)
    service(device, "trigger", "start", "washer")["state"]["disabled"] = False
    assert planned(device, cmd("washerOperatingState", "setMachineState", "run",
                               component="washer")) == [
        ("trigger", "start", "washer", {"commandType": "trigger.do"})]
    enum, detail = refused(device, cmd("dryerOperatingState", "setMachineState", "run",
                                       component="dryer"))
    assert enum == UNAVAILABLE and "dryer" in detail
    # the washer component has no dryer capability, and main has neither
    assert refused(device, cmd("dryerOperatingState", "setMachineState", "run",
                               component="washer"))[0] == CNS
    assert refused(device, cmd("washerOperatingState", "setMachineState", "run"))[0] == CNS


def test_washer_mode_selects_a_remote_cycle():
    assert planned(armed_washer(), cmd("washerMode", "setWasherMode", "heavy")) == [
        ("remotecycleselection", "laundry.remotecycleselect", "washer",
         {"commandType": "remotecycleselection.set",
          "mode": "cloud.smarthq.domain.laundry.heavyduty"})]


def test_washer_mode_refusals():
    assert refused(armed_washer(), cmd("washerMode", "setWasherMode", "rinse"))[0] == RCV
    assert refused(idle_washer(), cmd("washerMode", "setWasherMode", "heavy"))[0] == UNAVAILABLE
    device = armed_washer()
    device["services"] = [s for s in device["services"]
                          if not s["serviceType"].endswith("remotecycleselection")]
    assert refused(device, cmd("washerMode", "setWasherMode", "heavy"))[0] == CNS


def test_dryer_mode_is_read_only():
    enum, detail = refused(load(DRYER), cmd("dryerMode", "setDryerMode", "lowHeat"))
    assert enum == CNS and "panel" in detail


def test_select_then_start_keeps_the_order():
    assert [p[1] for p in planned(armed_washer(), cmd("washerMode", "setWasherMode", "heavy"),
                                  cmd("washerOperatingState", "setMachineState", "run"))] == \
        ["laundry.remotecycleselect", "start"]


# -- dishwashers -------------------------------------------------------------------------


def test_dishwasher_cycle_control():
    assert planned(load(DISHWASHER), cmd("dishwasherOperatingState", "setMachineState", "pause")) == [
        ("dishwasher.state.v1", "dishwasher", "dishwasher",
         {"commandType": "dishwasher.state.v1.pause"})]
    idle = with_state(DISHWASHER, "dishwasher.state.v1", runStatus=runstatus("idle"))
    assert planned(idle, cmd("dishwasherOperatingState", "setMachineState", "run"))[0][3] == \
        {"commandType": "dishwasher.state.v1.start"}


def test_dishwasher_remote_off_and_no_remote_start():
    off = with_state(DISHWASHER, "dishwasher.state.v1", runStatus=runstatus("idle"), disabled=True)
    enum, detail = refused(off, cmd("dishwasherOperatingState", "setMachineState", "run"))
    assert enum == UNAVAILABLE and "remote control is off" in detail
    unsupported = with_state(DISHWASHER, "dishwasher.state.v1", runStatus=runstatus("idle"))
    service(unsupported, "dishwasher.state.v1")["config"]["remoteStartSupported"] = False
    assert refused(unsupported, cmd("dishwasherOperatingState", "setMachineState", "run"))[0] == CNS


@pytest.mark.parametrize("mode, domain", [("auto", "dishwasher.autosense"),
                                          ("eco", "dishwasher.hydrosave"),
                                          ("intense", "dishwasher.heavy"),
                                          ("quick", "dishwasher.express")])
def test_dishwasher_mode_sets_the_cycles_service(mode, domain):
    assert planned(load(DISHWASHER), cmd("dishwasherMode", "setDishwasherMode", mode)) == [
        ("dishwasher.mode.v1", domain, "dishwasher", {"commandType": "dishwasher.mode.v1.set"})]


def test_dishwasher_mode_refusals():
    assert refused(load(DISHWASHER), cmd("dishwasherMode", "setDishwasherMode", "dry"))[0] == RCV
    assert refused(load(DISHWASHER), cmd("dishwasherMode", "setDishwasherMode", "rinse"))[0] == RCV
    off = with_state(DISHWASHER, "dishwasher.state.v1", disabled=True)
    assert refused(off, cmd("dishwasherMode", "setDishwasherMode", "eco"))[0] == UNAVAILABLE
    busy = with_state(DISHWASHER, "dishwasher.mode.v1", "dishwasher.hydrosave", disabled=True)
    assert refused(busy, cmd("dishwasherMode", "setDishwasherMode", "eco"))[0] == UNAVAILABLE


def test_dish_drawers():
    assert refused(load(DISHDRAWER), cmd("dishwasherOperatingState", "setMachineState", "run",
                                         component="upper"))[0] == UNAVAILABLE
    assert planned(load(DISHDRAWER), cmd("dishwasherOperatingState", "setMachineState", "run",
                                         component="lower")) == [
        ("dishwasher.state.v1", "dishdrawer", "dishdrawer.lower",
         {"commandType": "dishwasher.state.v1.start"})]
    assert refused(load(DISHDRAWER), cmd("dishwasherMode", "setDishwasherMode", "eco",
                                         component="lower"))[0] == CNS


# -- ovens -------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [cmd("ovenOperatingState", "stop"),
                                     cmd("ovenOperatingState", "setMachineState", "stop")])
def test_oven_stop(command):
    assert planned(load(OVEN), command) == [
        ("cooking.state.v1", "cooking", "oven.upper", {"commandType": "cooking.state.v1.stop"})]


def test_oven_start_with_mode_time_and_setpoint():
    assert planned(load(OVEN), cmd("ovenOperatingState", "start", "Bake", 1800, 400)) == [
        ("cooking.mode.v1", "cooking.bake", "oven.upper",
         {"commandType": "cooking.mode.v1.start", "cavityFahrenheit": 400, "cookTimeSeconds": 1800})]


def test_oven_start_defaults():
    # no mode: the current one; a required temperature: the mode's default
    assert planned(load(OVEN), cmd("ovenOperatingState", "start"))[0][1:] == (
        "cooking.convection.bake", "oven.upper",
        {"commandType": "cooking.mode.v1.start", "cavityFahrenheit": 325})
    # a defaulted temperature is left to the oven
    assert planned(load(OVEN), cmd("ovenOperatingState", "start", "Broil"))[0][3] == \
        {"commandType": "cooking.mode.v1.start"}


def test_oven_start_in_celsius_sends_fahrenheit():
    device = load(OVEN)
    device["services"].append({
        "serviceType": "cloud.smarthq.service.mode", "domainType": "cloud.smarthq.domain.temperatureunits",
        "serviceDeviceType": "cloud.smarthq.device.oven", "supportedCommands": [],
        "state": {"mode": "cloud.smarthq.type.mode.celsius"}, "config": {}})
    assert planned(device, cmd("ovenOperatingState", "start", "Bake", None, 200))[0][3] == \
        {"commandType": "cooking.mode.v1.start", "cavityFahrenheit": 392}


@pytest.mark.parametrize("arguments, enum", [
    (("Bake", None, 600), RCV),  # above 550 °F
    (("Bake", None, 100), RCV),
    (("Broil", 600), RCV),  # broil takes no cook time
    (("Others",), RCV),
    (("Microwave",), RCV),
])
def test_oven_start_refusals(arguments, enum):
    assert refused(load(OVEN), cmd("ovenOperatingState", "start", *arguments))[0] == enum


def test_lower_oven_allows_only_stop_and_needs_remote_enable():
    enum, detail = refused(load(OVEN), cmd("ovenOperatingState", "start", "Bake", component="lower"))
    assert enum == CNS and "full remote control" in detail
    running = with_state(OVEN, "cooking.state.v1", sub_device="oven.lower",
                         runStatus=runstatus("in.progress"))
    enum, detail = refused(running, cmd("ovenOperatingState", "stop", component="lower"))
    assert enum == UNAVAILABLE and "remote control is off" in detail
    assert planned(load(OVEN), cmd("ovenOperatingState", "stop", component="lower")) == []  # idle


def test_oven_remote_disabled_on_the_panel():
    off = with_state(OVEN, "cooking.state.v1", sub_device="oven.upper", remoteEnable=False)
    assert refused(off, cmd("ovenOperatingState", "stop"))[0] == UNAVAILABLE
    assert refused(off, cmd("ovenOperatingState", "start", "Bake"))[0] == UNAVAILABLE


def test_oven_without_remote_control():
    device = load(OVEN)
    service(device, "cooking.state.v1", sub_device="oven.upper")["config"]["supportedRemote"] = \
        "cloud.smarthq.type.cookingremote.none"
    assert refused(device, cmd("ovenOperatingState", "stop"))[0] == CNS


def test_oven_mode_and_setpoint_alone_are_not_offered():
    assert refused(load(OVEN), cmd("ovenMode", "setOvenMode", "Bake"))[0] == CNS
    assert refused(load(OVEN), cmd("ovenSetpoint", "setOvenSetpoint", 400))[0] == CNS


# -- air conditioner ---------------------------------------------------------------------


def test_ac_commands_coalesce_into_one_set():
    assert planned(load(AC), cmd("switch", "on"),
                   cmd("airConditionerMode", "setAirConditionerMode", "cool"),
                   cmd("airConditionerFanMode", "setFanMode", "high"),
                   cmd("thermostatCoolingSetpoint", "setCoolingSetpoint", 70)) == [
        ("thermostat.v1", "thermostat", "airconditioner",
         {"commandType": "thermostat.v1.set", "on": True,
          "mode": "cloud.smarthq.type.thermostatmode.cool",
          "fanSpeed": "cloud.smarthq.type.fanspeed.high", "coolFahrenheit": 70})]


def test_ac_last_command_wins():
    assert planned(load(AC), cmd("switch", "on"), cmd("switch", "off"))[0][3] == \
        {"commandType": "thermostat.v1.set", "on": False}


@pytest.mark.parametrize("command", [
    cmd("airConditionerMode", "setAirConditionerMode", "heat"),
    cmd("airConditionerMode", "setAirConditionerMode", "wind"),
    cmd("airConditionerFanMode", "setFanMode", "turbo"),
    cmd("thermostatCoolingSetpoint", "setCoolingSetpoint", 90),
    cmd("thermostatCoolingSetpoint", "setCoolingSetpoint", 60),
])
def test_ac_values_outside_its_config_are_refused(command):
    assert refused(load(AC), command)[0] == RCV


def test_ac_mode_names_map_back_to_smarthq():
    assert planned(load(AC), cmd("airConditionerMode", "setAirConditionerMode", "energySaver"))[0][3]["mode"] \
        == "cloud.smarthq.type.thermostatmode.cool.energysaver"
    assert planned(load(AC), cmd("airConditionerMode", "setAirConditionerMode", "fanOnly"))[0][3]["mode"] \
        == "cloud.smarthq.type.thermostatmode.fanonly"


# -- hood, water heater, generic ---------------------------------------------------------


def test_hood_fan_and_light():
    assert planned(load(HOOD), cmd("fanSpeed", "setFanSpeed", 4)) == [
        ("integer", "speed", "hood.fan", {"commandType": "integer.set", "value": 4})]
    assert refused(load(HOOD), cmd("fanSpeed", "setFanSpeed", 5))[0] == RCV
    assert refused(load(HOOD), cmd("fanSpeed", "setFanSpeed", 10**400))[0] == RCV  # no float holds it
    assert planned(load(HOOD), cmd("switchLevel", "setLevel", 100, component="light"))[0][3] == \
        {"commandType": "integer.set", "value": 5}
    assert planned(load(HOOD), cmd("switchLevel", "setLevel", 5, component="light"))[0][3] == \
        {"commandType": "integer.set", "value": 1}  # above zero stays lit


def test_hood_switches():
    assert planned(load(HOOD), cmd("switch", "off"))[0][3] == {"commandType": "integer.set", "value": 0}
    assert planned(load(HOOD), cmd("switch", "on"))[0][3] == {"commandType": "integer.set", "value": 2}
    dark = with_state(HOOD, "integer", "brightness", value=0)
    assert planned(dark, cmd("switch", "on", component="light"))[0][3] == \
        {"commandType": "integer.set", "value": 5}
    still = with_state(HOOD, "integer", "speed", value=0)
    assert planned(still, cmd("switch", "on"))[0][3] == {"commandType": "integer.set", "value": 1}


def test_water_heater_setpoint():
    assert planned(load(WATER_HEATER), cmd("thermostatHeatingSetpoint", "setHeatingSetpoint", 130)) == [
        ("waterheater.v1", "waterheater", "waterheater",
         {"commandType": "waterheater.v1.set", "setpointFahrenheit": 130})]
    assert refused(load(WATER_HEATER),
                   cmd("thermostatHeatingSetpoint", "setHeatingSetpoint", 150))[0] == RCV


def test_generic_freezer_commands():
    assert planned(load(FREEZER), cmd("thermostatCoolingSetpoint", "setCoolingSetpoint", -2),
                   cmd("refrigeration", "setRapidFreezing", "on")) == [
        ("temperature", "setpoint", "freezer", {"commandType": "temperature.set", "fahrenheit": -2}),
        ("toggle", "turbo", "freezer", {"commandType": "toggle.set", "on": True})]
    # a cold setpoint is no heating setpoint, and there is no power switch
    assert refused(load(FREEZER), cmd("thermostatHeatingSetpoint", "setHeatingSetpoint", 0))[0] == CNS
    assert refused(load(FREEZER), cmd("switch", "on"))[0] == CNS


def test_generic_warming_drawer_commands():
    assert planned(load(WARMING_DRAWER), cmd("thermostatHeatingSetpoint", "setHeatingSetpoint", 180),
                   cmd("switch", "off")) == [
        ("temperature", "setpoint", "warmingdrawer", {"commandType": "temperature.set", "fahrenheit": 180}),
        ("toggle", "power", "warmingdrawer", {"commandType": "toggle.set", "on": False})]


# -- every refusal path, and the batch ---------------------------------------------------


@pytest.mark.parametrize("name, command", [
    (WASHER, cmd("switch", "on")),  # not in the washer's profile
    (WASHER, cmd("washerOperatingState", "setMachineState", "run", component="freezer")),
    (FRIDGE, cmd("ovenOperatingState", "stop")),
    (FRIDGE, cmd("contactSensor", "open")),  # no such command
    (FRIDGE, cmd("thermostatCoolingSetpoint", "setCoolingSetpoint", 38, component="icemaker")),
    (AC, cmd("healthCheck", "reboot")),
])
def test_unsupported_commands_are_refused(name, command):
    assert refused(load(name), command)[0] == CNS


@pytest.mark.parametrize("name, command", [
    (FRIDGE, cmd("refrigeration", "setRapidCooling", "maybe")),
    (FRIDGE, cmd("thermostatCoolingSetpoint", "setCoolingSetpoint", "38")),
    (FRIDGE, cmd("thermostatCoolingSetpoint", "setCoolingSetpoint")),
    (WASHER, cmd("washerOperatingState", "setMachineState", "dance")),
    (DISHWASHER, cmd("dishwasherOperatingState", "setMachineState", "dance")),
    (OVEN, cmd("ovenOperatingState", "setMachineState", "running")),
    (HOOD, cmd("switchLevel", "setLevel", 101, component="light")),
])
def test_bad_arguments_are_constraint_violations(name, command):
    assert refused(load(name), command)[0] == RCV


def test_one_bad_command_rejects_the_whole_batch():
    with pytest.raises(m.MappingError):
        m.plan_commands(load(AC), [cmd("switch", "on"),
                                   cmd("thermostatCoolingSetpoint", "setCoolingSetpoint", 99)])


@pytest.mark.parametrize("command", [cmd("refresh", "refresh"), cmd("healthCheck", "ping")])
def test_refresh_and_ping_plan_a_read_back(command):
    plan = m.plan_commands(load(WASHER), [command])
    assert plan.commands == () and plan.refresh


def test_every_planned_command_fits_the_client():
    plans = [
        m.plan_commands(load(AC), [cmd("switch", "off")]),
        m.plan_commands(armed_washer(), [cmd("washerOperatingState", "setMachineState", "run")]),
        m.plan_commands(load(OVEN), [cmd("ovenOperatingState", "start", "Bake", 60, 350)]),
    ]
    for plan in plans:
        for command in plan.commands:
            inspect.signature(SmartHQClient.send_command).bind(None, **command.kwargs())
            assert command.device_id == plan.device_id


def test_planning_does_not_change_its_input():
    device = load(AC)
    before = copy.deepcopy(device)
    m.plan_commands(device, [cmd("switch", "off"), cmd("thermostatCoolingSetpoint",
                                                       "setCoolingSetpoint", 70)])
    assert device == before


# -- predicted states --------------------------------------------------------------------


def test_predicted_fridge_setpoint():
    found = predicted(load(FRIDGE), cmd("thermostatCoolingSetpoint", "setCoolingSetpoint", 40))
    assert found[("main", "thermostatCoolingSetpoint", "coolingSetpoint")] == 40
    assert found[("freezer", "thermostatCoolingSetpoint", "coolingSetpoint")] == 0


def test_predicted_ac_after_one_coalesced_set():
    found = predicted(load(AC), cmd("airConditionerMode", "setAirConditionerMode", "dry"),
                      cmd("thermostatCoolingSetpoint", "setCoolingSetpoint", 75), cmd("switch", "off"))
    assert found[("main", "airConditionerMode", "airConditionerMode")] == "dry"
    assert found[("main", "thermostatCoolingSetpoint", "coolingSetpoint")] == 75
    assert found[("main", "switch", "switch")] == "off"


def test_predicted_remote_start_runs_and_counts_from_now():
    found = predicted(armed_washer(), cmd("washerOperatingState", "setMachineState", "run"))
    assert found[("main", "washerOperatingState", "machineState")] == "run"
    assert found[("main", "washerOperatingState", "completionTime")] == "2024-05-01T12:55:00.000Z"


def test_predicted_pause_and_stop():
    paused = predicted(load(WASHER), cmd("washerOperatingState", "setMachineState", "pause"))
    assert paused[("main", "washerOperatingState", "machineState")] == "pause"
    assert ("main", "washerOperatingState", "completionTime") not in paused
    stopped = predicted(load(WASHER), cmd("washerOperatingState", "setMachineState", "stop"))
    assert stopped[("main", "washerOperatingState", "machineState")] == "stop"
    assert stopped[("main", "washerOperatingState", "washerJobState")] == "none"


def test_predicted_washer_mode():
    found = predicted(armed_washer(), cmd("washerMode", "setWasherMode", "heavy"))
    assert found[("main", "washerMode", "washerMode")] == "heavy"


def test_predicted_dishwasher_mode_and_pause():
    found = predicted(load(DISHWASHER), cmd("dishwasherMode", "setDishwasherMode", "eco"),
                      cmd("dishwasherOperatingState", "setMachineState", "pause"))
    assert found[("main", "dishwasherMode", "dishwasherMode")] == "eco"
    assert found[("main", "dishwasherOperatingState", "machineState")] == "pause"


def test_predicted_oven_start_and_stop():
    found = predicted(load(OVEN), cmd("ovenOperatingState", "start", "Bake", 3600, 425))
    assert found[("main", "ovenMode", "ovenMode")] == "Bake"
    assert found[("main", "ovenSetpoint", "ovenSetpoint")] == 425
    assert found[("main", "ovenOperatingState", "machineState")] == "running"
    assert found[("main", "ovenOperatingState", "completionTime")] == "2024-05-01T13:00:00.000Z"
    stopped = predicted(load(OVEN), cmd("ovenOperatingState", "stop"))
    assert stopped[("main", "ovenOperatingState", "machineState")] == "ready"


def test_predicted_hood_and_heater():
    assert predicted(load(HOOD), cmd("switch", "off"))[("main", "switch", "switch")] == "off"
    heater = predicted(load(WATER_HEATER), cmd("thermostatHeatingSetpoint", "setHeatingSetpoint", 125))
    assert heater[("main", "thermostatHeatingSetpoint", "heatingSetpoint")] == 125


def test_predicted_celsius_setpoint_fills_both_units():
    device = with_state(FRIDGE, "mode", "temperatureunits", mode="cloud.smarthq.type.mode.celsius")
    plan = m.plan_commands(device, [cmd("thermostatCoolingSetpoint", "setCoolingSetpoint", 5)])
    after = m.apply_commands(device, plan.commands, NOW)
    state = service(after, "temperature", "setpoint", "refrigerator.freshfood")["state"]
    assert state["celsius"] == 5 and state["fahrenheit"] == 41
    assert service(after, "temperature", "setpoint", "refrigerator.freshfood")["lastStateTime"] == \
        "2024-05-01T12:00:00.000Z"


def test_predicted_states_from_the_commands_that_were_accepted():
    device = load(FRIDGE)
    plan = m.plan_commands(device, [cmd("refrigeration", "setRapidCooling", "on"),
                                    cmd("refrigeration", "setRapidFreezing", "off")])
    found = {(s.capability, s.attribute): s.value
             for s in m.predicted_states(device, plan.commands[:1], NOW)}
    assert found[("st.refrigeration", "rapidCooling")] == "on"
    assert found[("st.refrigeration", "rapidFreezing")] == "on"  # that one failed


@pytest.mark.parametrize("name", FIXTURES)
def test_applying_no_commands_changes_nothing(name):
    device = load(name)
    assert m.apply_commands(device, ()) == device
    assert m.predicted_states(device, (), NOW) == m.to_states(device, NOW)
