"""The pure Kasa ⇄ model mapping, driven by the recorded payloads in fixtures/."""
from __future__ import annotations

import ast
import copy
import inspect
from pathlib import Path

import pytest

from connector import capabilities
from connector.backends.kasa import mapping as m
from connector.backends.kasa.client import KasaClient
from connector.model import Command, DeviceErrorEnum, State

from .payloads import FIXTURES, info, load, realtime

HS100 = "HS100(US)_2.0_1.5.6"
HS110_OLD = "HS110(US)_1.0_1.2.5"
HS110_DOC = "HS110(US)_4.0_1.0.4"
KP115 = "KP115(US)_1.0_1.0.18"
HS220 = "HS220(US)_1.0_1.5.7"
KL120 = "KL120(US)_1.0_1.8.6"
KL130_COLOR = "KL130(US)_1.0_1.8.8_color"
KL130_WHITE = "KL130(US)_1.0_1.8.8_white"
OFFLINE = "HS200(US)_5.0_1.0.2_offline"

CNS = DeviceErrorEnum.CAPABILITY_NOT_SUPPORTED
RCV = DeviceErrorEnum.RESOURCE_CONSTRAINT_VIOLATION


def cmd(capability, command, *arguments, component="main"):
    return Command(f"st.{capability}", command, tuple(arguments), component)


def with_state(name, **state):
    data = copy.deepcopy(info(name))
    data["state"].update(state)
    return data


def states(states_list):
    return {(s.capability, s.attribute): (s.value, s.unit) for s in states_list}


def calls(plan):
    return [(c.method, {k: v for k, v in c.kwargs.items() if k != "device_id"})
            for c in plan.calls]


# -- fixtures and devices ----------------------------------------------------------------


def test_every_fixture_is_covered():
    assert set(FIXTURES) == set(HANDLERS)


HANDLERS = {
    HS100: "c2c-switch",
    HS110_OLD: "c2c-switch-power-energy",
    HS110_DOC: "c2c-switch-power-energy",
    KP115: "c2c-switch-power-energy",
    HS220: "c2c-dimmer",
    KL120: "c2c-color-temperature-bulb",
    KL130_COLOR: "c2c-rgbw-color-bulb",
    KL130_WHITE: "c2c-rgbw-color-bulb",
    OFFLINE: "c2c-switch",
}


@pytest.mark.parametrize("name", FIXTURES)
def test_handler_type_per_model(name):
    assert m.handler_type(info(name)["device"]) == HANDLERS[name]
    assert m.to_device(info(name)["device"]).handler_type == HANDLERS[name]


@pytest.mark.parametrize("trait_set, handler", [
    ([], "c2c-switch"),
    (["traits.devices.OnOff"], "c2c-switch"),
    (["traits.devices.OnOff", "traits.devices.EnergyMonitoring"], "c2c-switch-power-energy"),
    (["traits.devices.Brightness"], "c2c-dimmer"),
    (["traits.devices.Brightness", "traits.devices.EnergyMonitoring"], "c2c-dimmer-power-energy"),
    (["traits.devices.ColorTemperature"], "c2c-color-temperature-bulb"),
    (["traits.devices.ColorSpectrum"], "c2c-rgb-color-bulb"),
    (["traits.devices.ColorSpectrum", "traits.devices.ColorTemperature"], "c2c-rgbw-color-bulb"),
    # A metering bulb is still a bulb: the bulb handler types have no meter.
    (["traits.devices.ColorSpectrum", "traits.devices.EnergyMonitoring"], "c2c-rgb-color-bulb"),
])
def test_handler_type_by_traits(trait_set, handler):
    assert m.handler_type({"capability": trait_set}) == handler
    assert set(m.HANDLER_CAPABILITIES[handler]) <= m.capabilities({"capability": trait_set})


def test_to_device_from_a_recorded_bulb():
    device = m.to_device(info(KL130_COLOR)["device"])
    assert device.external_id == "kasa:8012F1A2B3C4D5E6F708192A3B4C5D6E7F809102"
    assert device.friendly_name == "Bedroom light"
    assert device.manufacturer.manufacturer_name == "TP-Link"
    assert device.manufacturer.model_name == "KL130(US)"
    assert device.manufacturer.hw_version == "1.0"
    assert device.manufacturer.sw_version == "1.8.8 Build 190613 Rel.123436"
    assert device.unique_id == "1C:3B:F3:AA:BB:CC"
    assert device.categories == ("light",)
    assert device.cookie is None


@pytest.mark.parametrize("name, category, unique_id", [
    (HS100, "smartplug", "50:C7:BF:1A:2B:3C"),
    (HS110_OLD, "smartplug", "50:C7:BF:0A:1B:2C"),
    (HS110_DOC, "smartplug", None),
    (KP115, "smartplug", "1C:3B:F3:44:55:66"),
    (HS220, "switch", "B0:BE:76:01:02:03"),
])
def test_to_device_categories_and_mac(name, category, unique_id):
    device = m.to_device(info(name)["device"])
    assert device.categories == (category,)
    assert device.unique_id == unique_id


def test_to_device_without_name_or_model():
    device = m.to_device({"id": "abc"})
    assert device.friendly_name == "Kasa Kasa device"
    assert device.manufacturer.model_name == "Kasa device"
    assert device.handler_type == "c2c-switch"
    with pytest.raises(ValueError):
        m.to_device({"name": "no id"})


@pytest.mark.parametrize("mac, expected", [
    ("50:c7:bf:1a:2b:3c", "50:C7:BF:1A:2B:3C"),
    ("50-C7-BF-1A-2B-3C", "50:C7:BF:1A:2B:3C"),
    ("50C7BF1A2B3C", "50:C7:BF:1A:2B:3C"),
    ("50C7.BF1A.2B3C", "50:C7:BF:1A:2B:3C"),
    ("not-a-mac", None),
    ("50C7BF1A2B", None),
    ("50:C7:BF:1A:2B:3Z", None),
    (None, None),
    (1234, None),
])
def test_normalize_mac(mac, expected):
    assert m.normalize_mac(mac) == expected


def test_external_ids_round_trip_and_are_namespaced():
    assert m.external_id("8006ABC") == "kasa:8006ABC"
    assert m.device_id("kasa:8006ABC") == "8006ABC"
    assert m.device_id(m.external_id("a:b")) == "a:b"  # only the first colon splits
    for bad in ("8006ABC", "smarthq:8006ABC", "kasa:", ""):
        with pytest.raises(ValueError):
            m.device_id(bad)
    with pytest.raises(ValueError):
        m.external_id("")


# -- states ------------------------------------------------------------------------------

EXPECTED_STATES = {
    HS100: {("st.switch", "switch"): ("off", None),
            ("st.healthCheck", "healthStatus"): ("online", None)},
    HS110_OLD: {("st.switch", "switch"): ("on", None),
                ("st.powerMeter", "power"): (8.6, "W"),
                ("st.energyMeter", "energy"): (2.367, "kWh"),
                ("st.healthCheck", "healthStatus"): ("online", None)},
    HS110_DOC: {("st.switch", "switch"): ("on", None),
                ("st.powerMeter", "power"): (8.6, "W"),
                ("st.energyMeter", "energy"): (2.367, "kWh"),
                ("st.healthCheck", "healthStatus"): ("online", None)},
    KP115: {("st.switch", "switch"): ("on", None),
            ("st.powerMeter", "power"): (215.4, "W"),
            ("st.energyMeter", "energy"): (48.213, "kWh"),
            ("st.healthCheck", "healthStatus"): ("online", None)},
    HS220: {("st.switch", "switch"): ("on", None),
            ("st.switchLevel", "level"): (65, "%"),
            ("st.healthCheck", "healthStatus"): ("online", None)},
    KL120: {("st.switch", "switch"): ("on", None),
            ("st.switchLevel", "level"): (80, "%"),
            ("st.colorTemperature", "colorTemperature"): (3500, "K"),
            ("st.healthCheck", "healthStatus"): ("online", None)},
    # Colour mode: colorTemperature 0 is left out, hue 240° is 67 %.
    KL130_COLOR: {("st.switch", "switch"): ("on", None),
                  ("st.switchLevel", "level"): (50, "%"),
                  ("st.colorControl", "hue"): (67, None),
                  ("st.colorControl", "saturation"): (100, None),
                  ("st.healthCheck", "healthStatus"): ("online", None)},
    KL130_WHITE: {("st.switch", "switch"): ("on", None),
                  ("st.switchLevel", "level"): (90, "%"),
                  ("st.colorControl", "hue"): (0, None),
                  ("st.colorControl", "saturation"): (0, None),
                  ("st.colorTemperature", "colorTemperature"): (4000, "K"),
                  ("st.healthCheck", "healthStatus"): ("online", None)},
    # Offline: only the health state; the stale "powered" is not reported.
    OFFLINE: {("st.healthCheck", "healthStatus"): ("offline", None)},
}


@pytest.mark.parametrize("name", FIXTURES)
def test_states_from_recorded_payloads(name):
    result = m.to_states(info(name), realtime(name))
    assert states(result) == EXPECTED_STATES[name]
    assert len(result) == len(EXPECTED_STATES[name])  # no duplicates
    assert all(s.component == "main" for s in result)


def test_a_value_no_number_can_hold_is_left_out_not_a_crash():
    # JSON carries 1e999 and NaN as floats; neither is a hue or a level.
    data = with_state(KL130_COLOR, brightness=float("nan"),
                      color={"hsb": {"hue": float("inf"), "saturation": 100,
                                     "brightness": float("nan")}})
    got = states(m.to_states(data, None))
    assert ("st.colorControl", "hue") not in got and ("st.switchLevel", "level") not in got
    assert got[("st.colorControl", "saturation")] == (100, None)
    huge = with_state(KL130_COLOR, brightness=10**400,
                      color={"hsb": {"hue": 10**400, "saturation": 100, "brightness": 10**400}})
    got = states(m.to_states(huge, None))
    assert ("st.colorControl", "hue") not in got and ("st.switchLevel", "level") not in got


@pytest.mark.parametrize("name", FIXTURES)
def test_states_only_use_the_devices_capabilities(name):
    caps = m.capabilities(info(name)["device"])
    assert {s.capability for s in m.to_states(info(name), realtime(name))} <= caps


@pytest.mark.parametrize("name", FIXTURES)
def test_every_state_passes_the_capability_validator(name):
    for state in m.to_states(info(name), realtime(name)):
        capabilities.validate_state(state)


def test_colour_mode_never_reports_zero_kelvin():
    for name in FIXTURES:
        for s in m.to_states(info(name), realtime(name)):
            if s.attribute == "colorTemperature":
                assert 1 <= s.value <= 30000


@pytest.mark.parametrize("name", FIXTURES)
def test_reports_energy_exactly_for_fixtures_with_a_meter(name):
    assert m.reports_energy(info(name)["device"]) == (realtime(name) is not None)


def test_metering_plug_without_a_reading_reports_no_power():
    assert ("st.powerMeter", "power") not in states(m.to_states(info(KP115)))
    assert ("st.powerMeter", "power") not in states(m.to_states(info(KP115), {}))


def test_meter_reading_is_ignored_for_devices_without_a_meter():
    result = states(m.to_states(info(KL130_COLOR), realtime(KP115)))
    assert ("st.powerMeter", "power") not in result


def test_level_falls_back_to_hsb_brightness():
    data = with_state(KL130_COLOR)
    del data["state"]["brightness"]
    assert states(m.to_states(data))[("st.switchLevel", "level")] == (50, "%")


def test_device_without_online_field_counts_as_online():
    data = copy.deepcopy(info(HS100))
    del data["device"]["online"]
    assert states(m.to_states(data))[("st.healthCheck", "healthStatus")] == ("online", None)


def test_health_state():
    assert m.health_state(False) == State("st.healthCheck", "healthStatus", "offline")


# -- conversions -------------------------------------------------------------------------


def test_every_smartthings_hue_survives_a_round_trip():
    for percent in range(101):
        assert m.hue_to_st(m.hue_to_kasa(percent)) == percent


def test_kasa_hue_settles_after_one_trip_within_two_degrees():
    for degrees in range(361):
        once = m.hue_to_kasa(m.hue_to_st(degrees))
        assert abs(once - degrees) <= 2  # 1.8° per % plus rounding to whole degrees
        assert m.hue_to_kasa(m.hue_to_st(once)) == once  # no drift on later trips


@pytest.mark.parametrize("degrees, percent", [(0, 0), (120, 33), (240, 67), (359, 100),
                                              (360, 100), (400, 100), (-5, 0)])
def test_hue_to_st(degrees, percent):
    assert m.hue_to_st(degrees) == percent


@pytest.mark.parametrize("percent, degrees", [(0, 0), (33.3, 120), (50, 180), (100, 360)])
def test_hue_to_kasa(percent, degrees):
    assert m.hue_to_kasa(percent) == degrees


@pytest.mark.parametrize("stat, power, energy, volts, amps", [
    ({"powerWatts": 8.5, "totalKWs": 2.0, "VoltageVolts": 120.0, "currentAmps": 0.07},
     8.5, 2.0, 120.0, 0.07),
    ({"power_mw": 8500, "total_wh": 2000, "voltage_mv": 120000, "current_ma": 70},
     8.5, 2.0, 120.0, 0.07),
    ({"power": 8.5, "total": 2.0, "voltage": 120.0, "current": 0.07}, 8.5, 2.0, 120.0, 0.07),
    # Firmware that sends both spellings: the unit-explicit one, never scaled twice.
    ({"power_mw": 8500, "power": 8.5, "total_wh": 2000, "total": 2.0}, 8.5, 2.0, None, None),
    # Garbage and negative glitches are dropped rather than reported.
    ({"powerWatts": -3, "totalKWs": "n/a", "power": None}, None, None, None, None),
    ({"powerWatts": True, "totalKWs": float("nan")}, None, None, None, None),
    ({}, None, None, None, None),
])
def test_energy_reading_normalises_firmware_variants(stat, power, energy, volts, amps):
    def close(actual, expected):
        return actual is None if expected is None else actual == pytest.approx(expected)

    for wrapped in (stat, {"realTimeStat": stat}):
        reading = m.energy_reading(wrapped)
        assert close(reading.power_w, power)
        assert close(reading.energy_kwh, energy)
        assert close(reading.voltage_v, volts)
        assert close(reading.current_a, amps)


def test_recorded_meter_variants_agree():
    old, doc = m.energy_reading(realtime(HS110_OLD)), m.energy_reading(realtime(HS110_DOC))
    assert old == doc
    assert m.energy_reading(None) == m.EnergyReading()


@pytest.mark.parametrize("device, expected", [
    ({"metadata": {"minColorTemperature": 2500, "maxColorTemperature": 9000}}, (2500, 9000)),
    ({"model": "KL130(US)", "metadata": {"minColorTemperature": 2700,
                                         "maxColorTemperature": 6500}}, (2700, 6500)),
    ({"model": "KL120(US)"}, (2700, 5000)),
    ({"model": "KL120(EU)"}, (2700, 6500)),
    ({"model": "KL125(US)"}, (2500, 6500)),
    ({"model": "LB130(EU)"}, (2500, 9000)),
    ({"model": "KL430(US)", "metadata": {"minColorTemperature": 0,
                                         "maxColorTemperature": 0}}, (2500, 9000)),
    ({"model": "KL999(US)"}, m.KELVIN_DEFAULT),
    ({}, m.KELVIN_DEFAULT),
])
def test_kelvin_range_prefers_metadata_then_model_table(device, expected):
    assert m.kelvin_range(device) == expected


# -- command plans -----------------------------------------------------------------------


def test_switch_commands_on_a_plug():
    assert calls(m.plan_commands(info(HS100), [cmd("switch", "on")])) == [
        ("set_power", {"powered": True})]
    assert calls(m.plan_commands(info(HS100), [cmd("switch", "off")])) == [
        ("set_power", {"powered": False})]
    plan = m.plan_commands(info(HS100), [cmd("switch", "on")])
    assert plan.device_id == info(HS100)["device"]["id"]
    assert plan.calls[0].kwargs["device_id"] == plan.device_id


def test_explicit_on_is_sent_even_when_already_on():
    assert calls(m.plan_commands(info(HS220), [cmd("switch", "on")])) == [
        ("set_power", {"powered": True})]


def test_last_switch_command_wins():
    plan = m.plan_commands(info(HS100), [cmd("switch", "on"), cmd("switch", "off")])
    assert calls(plan) == [("set_power", {"powered": False})]


def test_set_level_on_a_lit_dimmer_is_one_call():
    assert calls(m.plan_commands(info(HS220), [cmd("switchLevel", "setLevel", 40)])) == [
        ("set_brightness", {"brightness": 40})]


def test_set_level_on_a_dark_dimmer_also_switches_it_on_last():
    plan = m.plan_commands(with_state(HS220, powered=False), [cmd("switchLevel", "setLevel", 40)])
    assert calls(plan) == [("set_brightness", {"brightness": 40}),
                           ("set_power", {"powered": True})]


def test_set_level_plus_on_is_brightness_then_power():
    # The API does not say /brightness switches a device on, so power is its own call.
    plan = m.plan_commands(with_state(HS220, powered=False),
                           [cmd("switchLevel", "setLevel", 56), cmd("switch", "on")])
    assert calls(plan) == [("set_brightness", {"brightness": 56}),
                           ("set_power", {"powered": True})]


def test_set_level_zero_means_off_and_keeps_the_brightness():
    data = info(HS220)
    plan = m.plan_commands(data, [cmd("switchLevel", "setLevel", 0)])
    assert calls(plan) == [("set_power", {"powered": False})]
    predicted = states(m.predicted_states(data, plan))
    assert predicted[("st.switch", "switch")] == ("off", None)
    assert predicted[("st.switchLevel", "level")] == (65, "%")


def test_off_then_set_level_ends_on():
    plan = m.plan_commands(with_state(HS220, powered=False),
                           [cmd("switch", "off"), cmd("switchLevel", "setLevel", 30)])
    assert calls(plan) == [("set_brightness", {"brightness": 30}),
                           ("set_power", {"powered": True})]


def test_set_level_then_off_sets_brightness_and_ends_off():
    plan = m.plan_commands(info(HS220), [cmd("switchLevel", "setLevel", 30),
                                         cmd("switch", "off")])
    assert calls(plan) == [("set_brightness", {"brightness": 30}),
                           ("set_power", {"powered": False})]


def test_level_colour_and_on_coalesce_into_one_colour_call():
    # The commandRequest example of st-schema-protocol §2.3.
    commands = [cmd("switchLevel", "setLevel", 56),
                cmd("colorControl", "setColor", {"hue": 33.3, "saturation": 80}),
                cmd("switch", "on")]
    plan = m.plan_commands(with_state(KL130_COLOR, powered=False), commands)
    assert calls(plan) == [("set_color", {"hue": 120, "saturation": 80, "brightness": 56}),
                           ("set_power", {"powered": True})]


def test_hue_and_saturation_coalesce_with_the_current_brightness():
    plan = m.plan_commands(info(KL130_COLOR), [cmd("colorControl", "setHue", 50),
                                               cmd("colorControl", "setSaturation", 40)])
    assert calls(plan) == [("set_color", {"hue": 180, "saturation": 40, "brightness": 50})]


def test_lone_set_hue_keeps_the_current_saturation():
    plan = m.plan_commands(info(KL130_COLOR), [cmd("colorControl", "setHue", 0)])
    assert calls(plan) == [("set_color", {"hue": 0, "saturation": 100, "brightness": 50})]


def test_lone_set_hue_on_a_white_bulb_shows_a_colour():
    # The white-mode hsb holds saturation 0: reusing it would leave the bulb white.
    plan = m.plan_commands(info(KL130_WHITE), [cmd("colorControl", "setHue", 33)])
    assert calls(plan) == [("set_color", {"hue": 119, "saturation": 100, "brightness": 90})]


def test_lone_set_saturation_keeps_the_current_hue():
    plan = m.plan_commands(info(KL130_COLOR), [cmd("colorControl", "setSaturation", 20)])
    assert calls(plan) == [("set_color", {"hue": 240, "saturation": 20, "brightness": 50})]


def test_colour_on_a_dark_bulb_switches_it_on():
    plan = m.plan_commands(with_state(KL130_COLOR, powered=False),
                           [cmd("colorControl", "setColor", {"hue": 0, "saturation": 100})])
    assert calls(plan) == [("set_color", {"hue": 0, "saturation": 100, "brightness": 50}),
                           ("set_power", {"powered": True})]


def test_set_color_with_level_and_switch():
    plan = m.plan_commands(info(KL130_COLOR), [cmd("colorControl", "setColor",
                                                   {"hue": 25, "saturation": 50, "level": 10,
                                                    "switch": "on"})])
    assert calls(plan) == [("set_color", {"hue": 90, "saturation": 50, "brightness": 10}),
                           ("set_power", {"powered": True})]


def test_set_color_with_switch_off():
    plan = m.plan_commands(info(KL130_COLOR), [cmd("colorControl", "setColor",
                                                   {"hue": 25, "saturation": 50,
                                                    "switch": "off"})])
    assert calls(plan) == [("set_color", {"hue": 90, "saturation": 50, "brightness": 50}),
                           ("set_power", {"powered": False})]


def test_set_color_with_level_zero_turns_off():
    plan = m.plan_commands(info(KL130_COLOR), [cmd("colorControl", "setColor",
                                                   {"hue": 25, "saturation": 50, "level": 0})])
    assert calls(plan) == [("set_color", {"hue": 90, "saturation": 50, "brightness": 50}),
                           ("set_power", {"powered": False})]


def test_set_color_from_hex_only():
    plan = m.plan_commands(info(KL130_COLOR), [cmd("colorControl", "setColor",
                                                   {"hex": "#00FF00"})])
    assert calls(plan) == [("set_color", {"hue": 120, "saturation": 100, "brightness": 50})]


def test_set_color_temperature_is_clamped_into_the_device_range():
    # KL120(US) advertises 2700–5000 K.
    for asked, sent in [(6500, 5000), (1000, 2700), (4000, 4000), (2700, 2700)]:
        plan = m.plan_commands(info(KL120), [cmd("colorTemperature", "setColorTemperature",
                                                 asked)])
        assert calls(plan) == [("set_color_temperature", {"kelvin": sent})]


def test_set_color_temperature_uses_the_model_table_without_metadata():
    data = copy.deepcopy(info(KL120))
    del data["device"]["metadata"]
    plan = m.plan_commands(data, [cmd("colorTemperature", "setColorTemperature", 9000)])
    assert calls(plan) == [("set_color_temperature", {"kelvin": 5000})]


def test_temperature_plus_level_needs_two_calls():
    plan = m.plan_commands(info(KL120), [cmd("colorTemperature", "setColorTemperature", 3000),
                                         cmd("switchLevel", "setLevel", 20)])
    assert calls(plan) == [("set_brightness", {"brightness": 20}),
                           ("set_color_temperature", {"kelvin": 3000})]


def test_last_lighting_mode_wins():
    colour = cmd("colorControl", "setColor", {"hue": 10, "saturation": 90})
    white = cmd("colorTemperature", "setColorTemperature", 3000)
    assert calls(m.plan_commands(info(KL130_COLOR), [colour, white])) == [
        ("set_color_temperature", {"kelvin": 3000})]
    assert calls(m.plan_commands(info(KL130_WHITE), [white, colour])) == [
        ("set_color", {"hue": 36, "saturation": 90, "brightness": 90})]


def test_set_level_on_a_colour_bulb_in_white_mode_is_a_brightness_call():
    assert calls(m.plan_commands(info(KL130_WHITE), [cmd("switchLevel", "setLevel", 30)])) == [
        ("set_brightness", {"brightness": 30})]


def test_refresh_plans_no_call_and_asks_for_a_read_back():
    plan = m.plan_commands(info(HS100), [cmd("refresh", "refresh")])
    assert plan.calls == () and plan.refresh is True
    assert m.plan_commands(info(HS100), [cmd("switch", "on")]).refresh is False


def test_numeric_strings_and_floats_are_accepted():
    assert calls(m.plan_commands(info(HS220), [cmd("switchLevel", "setLevel", "40")])) == [
        ("set_brightness", {"brightness": 40})]
    assert calls(m.plan_commands(info(HS220), [cmd("switchLevel", "setLevel", 40.6)])) == [
        ("set_brightness", {"brightness": 41})]


def test_no_commands_no_calls():
    assert m.plan_commands(info(HS100), []).calls == ()


def test_planning_does_not_change_its_input():
    data = info(KL130_COLOR)
    before = copy.deepcopy(data)
    plan = m.plan_commands(data, [cmd("colorControl", "setHue", 10)])
    m.predicted_states(data, plan)
    assert data == before


@pytest.mark.parametrize("name, command", [
    (HS100, cmd("switchLevel", "setLevel", 50)),
    (HS100, cmd("colorControl", "setHue", 50)),
    (HS110_OLD, cmd("energyMeter", "resetEnergyMeter")),
    (HS110_OLD, cmd("powerMeter", "setPower", 5)),
    (HS220, cmd("colorTemperature", "setColorTemperature", 3000)),
    (HS220, cmd("colorControl", "setColor", {"hue": 1, "saturation": 1})),
    (KL120, cmd("colorControl", "setHue", 50)),
    (KL130_COLOR, cmd("switch", "toggle")),
    (KL130_COLOR, cmd("switch", "on", component="outlet1")),
    (KL130_COLOR, cmd("thermostatMode", "heat")),
    (KL130_COLOR, cmd("healthCheck", "ping")),
])
def test_unsupported_commands_are_rejected(name, command):
    with pytest.raises(m.MappingError) as err:
        m.plan_commands(info(name), [command])
    assert err.value.enum == CNS
    assert err.value.detail


@pytest.mark.parametrize("name, command", [
    (HS220, cmd("switchLevel", "setLevel", 101)),
    (HS220, cmd("switchLevel", "setLevel", -1)),
    (HS220, cmd("switchLevel", "setLevel", "bright")),
    (HS220, cmd("switchLevel", "setLevel", None)),
    (HS220, cmd("switchLevel", "setLevel", True)),
    (HS220, cmd("switchLevel", "setLevel", float("nan"))),
    (HS220, cmd("switchLevel", "setLevel")),
    (KL130_COLOR, cmd("colorControl", "setHue", 100.5)),
    (KL130_COLOR, cmd("colorControl", "setHue", -0.1)),
    (KL130_COLOR, cmd("colorControl", "setSaturation", 150)),
    (KL130_COLOR, cmd("colorControl", "setColor", "red")),
    (KL130_COLOR, cmd("colorControl", "setColor", {})),
    (KL130_COLOR, cmd("colorControl", "setColor", {"hue": 120, "saturation": 50})),
    (KL130_COLOR, cmd("colorControl", "setColor", {"hue": 10, "level": 101})),
    (KL130_COLOR, cmd("colorControl", "setColor", {"hex": "green"})),
    (KL130_COLOR, cmd("colorControl", "setColor", {"hue": 10, "switch": "maybe"})),
    (KL130_COLOR, cmd("colorControl", "setColor")),
    (KL120, cmd("colorTemperature", "setColorTemperature", 0)),
    (KL120, cmd("colorTemperature", "setColorTemperature", 30001)),
    (KL120, cmd("colorTemperature", "setColorTemperature", "warm")),
])
def test_out_of_range_arguments_are_rejected(name, command):
    with pytest.raises(m.MappingError) as err:
        m.plan_commands(info(name), [command])
    assert err.value.enum == RCV


def test_one_bad_command_rejects_the_whole_batch_before_any_call():
    with pytest.raises(m.MappingError):
        m.plan_commands(info(HS220), [cmd("switch", "on"), cmd("switchLevel", "setLevel", 500)])
    with pytest.raises(m.MappingError):
        m.plan_commands(info(HS220), [cmd("switch", "on"), cmd("colorControl", "setHue", 5)])


def test_every_planned_call_fits_a_client_method():
    plans = [
        m.plan_commands(with_state(KL130_COLOR, powered=False),
                        [cmd("switchLevel", "setLevel", 56),
                         cmd("colorControl", "setColor", {"hue": 33, "saturation": 80})]),
        m.plan_commands(with_state(KL120, powered=False),
                        [cmd("colorTemperature", "setColorTemperature", 3000),
                         cmd("switchLevel", "setLevel", 20)]),
    ]
    methods = set()
    for plan in plans:
        for call in plan.calls:
            inspect.signature(getattr(KasaClient, call.method)).bind(None, **call.kwargs)
            methods.add(call.method)
    assert methods == {"set_color", "set_brightness", "set_color_temperature", "set_power"}


# -- predicted states --------------------------------------------------------------------


def test_predicted_states_after_colour():
    data = with_state(KL130_WHITE, powered=False)
    plan = m.plan_commands(data, [cmd("colorControl", "setColor", {"hue": 50, "saturation": 60}),
                                  cmd("switchLevel", "setLevel", 70)])
    assert states(m.predicted_states(data, plan)) == {
        ("st.switch", "switch"): ("on", None),
        ("st.switchLevel", "level"): (70, "%"),
        ("st.colorControl", "hue"): (50, None),
        ("st.colorControl", "saturation"): (60, None),
        # now in colour mode: no colour temperature reported
        ("st.healthCheck", "healthStatus"): ("online", None),
    }


def test_predicted_states_after_temperature():
    data = info(KL130_COLOR)
    plan = m.plan_commands(data, [cmd("colorTemperature", "setColorTemperature", 2000)])
    predicted = states(m.predicted_states(data, plan))
    assert predicted[("st.colorTemperature", "colorTemperature")] == (2500, "K")
    assert predicted[("st.colorControl", "hue")] == (67, None)


def test_predicted_states_from_the_calls_that_succeeded():
    data = with_state(HS220, powered=False)
    plan = m.plan_commands(data, [cmd("switchLevel", "setLevel", 10), cmd("switch", "on")])
    partial = m.predicted_states(data, plan.calls[:1])  # the power call failed
    assert states(partial)[("st.switch", "switch")] == ("off", None)
    assert states(partial)[("st.switchLevel", "level")] == (10, "%")


def test_predicted_states_of_a_metering_plug_leave_power_to_the_meter():
    data = info(KP115)
    plan = m.plan_commands(data, [cmd("switch", "off")])
    assert states(m.predicted_states(data, plan)) == {
        ("st.switch", "switch"): ("off", None),
        ("st.healthCheck", "healthStatus"): ("online", None),
    }


def test_apply_calls_ignores_reads():
    assert m.apply_calls({"powered": True}, [m.KasaCall("device_info", {})]) == {"powered": True}


# -- purity ------------------------------------------------------------------------------


def test_mapping_imports_no_io_library():
    tree = ast.parse(Path(m.__file__).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module)
    assert imported <= {"__future__", "colorsys", "math", "re", "dataclasses", "typing",
                        "connector.model"}


def test_fixture_files_hold_recorded_response_envelopes():
    for name in FIXTURES:
        recorded = load(name)
        for body in recorded.values():
            assert set(body) == {"requestId", "data", "responseTime"}
