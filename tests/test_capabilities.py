"""Tests for connector.capabilities: the capability table and its validator."""
from __future__ import annotations

import pytest

from connector import capabilities as caps
from connector.capabilities import (
    CAPABILITIES,
    CapabilityError,
    CapabilityNotSupported,
    ConstraintViolation,
    InvalidState,
    validate_command,
    validate_state,
)
from connector.model import Command, DeviceError, DeviceErrorEnum, State

NOW = "2024-05-01T12:30:00.000Z"

# ----------------------------------------------------------------------- tables
# (capability, attribute, value, unit): one or more valid states for every attribute.
VALID_STATES = [
    ("st.switch", "switch", "on", None),
    ("st.switch", "switch", "off", None),
    ("st.switchLevel", "level", 0, "%"),
    ("st.switchLevel", "level", 100, "%"),
    ("st.switchLevel", "level", 55, None),
    ("st.colorControl", "hue", 0, None),
    ("st.colorControl", "hue", 100, None),
    ("st.colorControl", "hue", 33.3, None),
    ("st.colorControl", "saturation", 0.0, None),
    ("st.colorControl", "saturation", 100, None),
    ("st.colorControl", "color", "#FF0000", None),
    ("st.colorTemperature", "colorTemperature", 1, "K"),
    ("st.colorTemperature", "colorTemperature", 30000, "K"),
    ("st.colorTemperature", "colorTemperature", 2700, None),
    ("st.powerMeter", "power", 0.4, "W"),
    ("st.powerMeter", "power", 1200, None),
    ("st.energyMeter", "energy", 1.25, "kWh"),
    ("st.energyMeter", "energy", 1250, "Wh"),
    ("st.energyMeter", "energy", 3, "mWh"),
    ("st.energyMeter", "energy", 3, "kVAh"),
    ("st.energyMeter", "energy", 0, None),
    ("st.powerConsumptionReport", "powerConsumption",
     {"start": "2024-05-01T12:00:00Z", "end": NOW, "energy": 15000, "deltaEnergy": 12.5,
      "power": 40, "powerEnergy": 1.0, "energySaved": 0, "persistedEnergy": 0,
      "persistedSavedEnergy": 0}, None),
    ("st.powerConsumptionReport", "powerConsumption", {"energy": 15000}, None),
    ("st.healthCheck", "healthStatus", "online", None),
    ("st.healthCheck", "healthStatus", "offline", None),
    ("st.healthCheck", "DeviceWatch-DeviceStatus", "online", None),
    ("st.healthCheck", "checkInterval", 0, "s"),
    ("st.healthCheck", "checkInterval", 604800, None),
    ("st.healthCheck", "DeviceWatch-Enroll", {"protocol": "cloud", "scheme": "untracked"}, None),
    ("st.temperatureMeasurement", "temperature", 21.5, "C"),
    ("st.temperatureMeasurement", "temperature", -460, "F"),
    ("st.temperatureMeasurement", "temperature", 10000, "F"),
    ("st.thermostatCoolingSetpoint", "coolingSetpoint", 37, "F"),
    ("st.thermostatHeatingSetpoint", "heatingSetpoint", 120, "F"),
    ("st.thermostatMode", "thermostatMode", "emergency heat", None),
    ("st.thermostatMode", "supportedThermostatModes", ["off", "cool", "heat"], None),
    ("st.thermostatMode", "supportedThermostatModes", [], None),
    ("st.thermostatOperatingState", "thermostatOperatingState", "fan only", None),
    ("st.airConditionerMode", "airConditionerMode", "fanOnly", None),
    ("st.airConditionerMode", "supportedAcModes", ["cool", "dry", "energySaver"], None),
    ("st.airConditionerFanMode", "fanMode", "auto", None),
    ("st.airConditionerFanMode", "supportedAcFanModes", ["low", "medium", "high"], None),
    ("st.fanSpeed", "fanSpeed", 0, None),
    ("st.fanSpeed", "fanSpeed", 4, None),
    ("st.contactSensor", "contact", "closed", None),
    ("st.doorControl", "door", "opening", None),
    ("st.waterSensor", "water", "wet", None),
    ("st.temperatureAlarm", "temperatureAlarm", "rateOfRise", None),
    ("st.remoteControlStatus", "remoteControlEnabled", "true", None),
    ("st.remoteControlStatus", "remoteControlEnabled", "false", None),
    ("st.washerOperatingState", "machineState", "run", None),
    ("st.washerOperatingState", "supportedMachineStates", ["pause", "run", "stop"], None),
    ("st.washerOperatingState", "washerJobState", "weightSensing", None),
    ("st.washerOperatingState", "completionTime", NOW, None),
    ("st.washerOperatingState", "completionTime", "2024-02-29T23:59:59+05:30", None),
    ("st.washerMode", "washerMode", "spinDry", None),
    ("st.dryerOperatingState", "machineState", "pause", None),
    ("st.dryerOperatingState", "supportedMachineStates", ["run", "stop"], None),
    ("st.dryerOperatingState", "dryerJobState", "finished", None),
    ("st.dryerOperatingState", "completionTime", "2024-05-01T12:30:00-0700", None),
    ("st.dryerMode", "dryerMode", "lowHeat", None),
    ("st.dishwasherOperatingState", "machineState", "stop", None),
    ("st.dishwasherOperatingState", "supportedMachineStates", ["run"], None),
    ("st.dishwasherOperatingState", "dishwasherJobState", "preDrain", None),
    ("st.dishwasherOperatingState", "completionTime", "2024-05-01T12:30:00+01", None),
    ("st.dishwasherMode", "dishwasherMode", "intense", None),
    ("st.ovenOperatingState", "machineState", "running", None),
    ("st.ovenOperatingState", "supportedMachineStates", ["ready", "running", "paused"], None),
    ("st.ovenOperatingState", "ovenJobState", "preheat", None),
    ("st.ovenOperatingState", "completionTime", NOW, None),
    ("st.ovenOperatingState", "operationTime", 0, None),
    ("st.ovenOperatingState", "progress", 100, "%"),
    ("st.ovenMode", "ovenMode", "ConvectionBake", None),
    ("st.ovenMode", "supportedOvenModes", ["Bake", "Broil", "Others"], None),
    ("st.ovenSetpoint", "ovenSetpoint", 350, None),
    ("st.refrigeration", "rapidCooling", "on", None),
    ("st.refrigeration", "rapidFreezing", "off", None),
    ("st.refrigeration", "defrost", "off", None),
    ("st.refrigerationSetpoint", "refrigerationSetpoint", -18, "C"),
    ("st.rapidCooling", "rapidCooling", "on", None),
    ("st.filterStatus", "filterStatus", "replace", None),
    ("st.operatingState", "machineState", "paused", None),
    ("st.operatingState", "supportedMachineStates", ["ready"], None),
]

# (capability, attribute, value, unit, why): states validate_state must refuse.
INVALID_STATES = [
    ("st.switch", "switch", "ON", None, "enum is case-sensitive"),
    ("st.switch", "switch", True, None, "bool is not a string"),
    ("st.switch", "switch", "on", "%", "switch takes no unit"),
    ("st.switchLevel", "level", 101, "%", "level above 100"),
    ("st.switchLevel", "level", -1, "%", "level below 0"),
    ("st.switchLevel", "level", 50.0, "%", "float where integer (states are strict)"),
    ("st.switchLevel", "level", "50", "%", "numeric string"),
    ("st.switchLevel", "level", True, "%", "bool where integer"),
    ("st.switchLevel", "level", 50, "percent", "unit not allowed"),
    ("st.colorControl", "hue", 100.01, None, "hue above 100"),
    ("st.colorControl", "hue", -0.5, None, "hue below 0"),
    ("st.colorControl", "hue", 360, None, "hue in degrees"),
    ("st.colorControl", "saturation", 101, None, "saturation above 100"),
    ("st.colorControl", "saturation", False, None, "bool where number"),
    ("st.colorControl", "hue", 50, "%", "hue takes no unit"),
    ("st.colorControl", "color", "", None, "empty string"),
    ("st.colorControl", "color", "x" * 256, None, "string longer than 255"),
    ("st.colorTemperature", "colorTemperature", 0, "K", "kelvin below 1"),
    ("st.colorTemperature", "colorTemperature", 30001, "K", "kelvin above 30000"),
    ("st.colorTemperature", "colorTemperature", 2700, "C", "kelvin unit is K"),
    ("st.powerMeter", "power", "12", "W", "numeric string"),
    ("st.powerMeter", "power", float("nan"), "W", "NaN"),
    ("st.powerMeter", "power", float("inf"), "W", "infinity"),
    ("st.powerMeter", "power", 12, "kW", "power unit is W"),
    ("st.energyMeter", "energy", 1.0, "kW", "kW is not an energy unit"),
    ("st.powerConsumptionReport", "powerConsumption", 15000, None, "not an object"),
    ("st.powerConsumptionReport", "powerConsumption", {"energy": "1"}, None, "field type"),
    ("st.powerConsumptionReport", "powerConsumption", {"bogus": 1}, None, "unknown field"),
    ("st.powerConsumptionReport", "powerConsumption", {"start": "yesterday"}, None, "bad date"),
    ("st.powerConsumptionReport", "powerConsumption", {"energy": 1}, "Wh", "takes no unit"),
    ("st.healthCheck", "healthStatus", "unhealthy", None, "not an enum value"),
    ("st.healthCheck", "checkInterval", 604801, "s", "above a week"),
    ("st.healthCheck", "checkInterval", 60, "min", "interval unit is s"),
    ("st.healthCheck", "DeviceWatch-Enroll", "cloud", None, "not an object"),
    ("st.temperatureMeasurement", "temperature", 21, None, "temperature needs a unit"),
    ("st.temperatureMeasurement", "temperature", 21, "K", "temperature unit F or C"),
    ("st.temperatureMeasurement", "temperature", 21, "f", "unit is case-sensitive"),
    ("st.temperatureMeasurement", "temperature", -460.5, "F", "below -460"),
    ("st.temperatureMeasurement", "temperature", 10000.5, "F", "above 10000"),
    ("st.temperatureMeasurement", "temperature", "21", "C", "numeric string"),
    ("st.thermostatCoolingSetpoint", "coolingSetpoint", 37, None, "setpoint needs a unit"),
    ("st.thermostatHeatingSetpoint", "heatingSetpoint", True, "F", "bool where number"),
    ("st.refrigerationSetpoint", "refrigerationSetpoint", 4, None, "setpoint needs a unit"),
    ("st.thermostatMode", "thermostatMode", "turbo", None, "not a thermostat mode"),
    ("st.thermostatMode", "supportedThermostatModes", ["cool", "turbo"], None, "bad item"),
    ("st.thermostatMode", "supportedThermostatModes", "cool", None, "string, not list"),
    ("st.thermostatOperatingState", "thermostatOperatingState", "fanOnly", None, "not enum"),
    ("st.airConditionerMode", "airConditionerMode", 3, None, "int where string"),
    ("st.airConditionerMode", "supportedAcModes", ["cool", 1], None, "bad item"),
    ("st.airConditionerFanMode", "supportedAcFanModes", {"low": 1}, None, "dict, not list"),
    ("st.fanSpeed", "fanSpeed", -1, None, "negative speed"),
    ("st.fanSpeed", "fanSpeed", 1.5, None, "fractional speed"),
    ("st.contactSensor", "contact", "ajar", None, "not enum"),
    ("st.doorControl", "door", "locked", None, "not enum"),
    ("st.waterSensor", "water", "damp", None, "not enum"),
    ("st.temperatureAlarm", "temperatureAlarm", "hot", None, "not enum"),
    ("st.remoteControlStatus", "remoteControlEnabled", True, None, "bool, not 'true'"),
    ("st.remoteControlStatus", "remoteControlEnabled", "True", None, "case-sensitive"),
    ("st.washerOperatingState", "machineState", "running", None, "oven state on washer"),
    ("st.washerOperatingState", "washerJobState", "finished", None, "dryer job on washer"),
    ("st.washerOperatingState", "completionTime", "2024-05-01 12:30:00Z", None, "no T"),
    ("st.washerOperatingState", "completionTime", "2024-05-01T12:30:00", None, "no zone"),
    ("st.washerOperatingState", "completionTime", "2023-02-29T12:30:00Z", None, "no such day"),
    ("st.washerOperatingState", "completionTime", "2024-05-01T24:00:00Z", None, "hour 24"),
    ("st.washerOperatingState", "completionTime", "2024-05-01T12:30:00.5Z", None, "1-digit ms"),
    ("st.washerOperatingState", "completionTime", "2024-05-01T12:30:00+25:00", None, "offset"),
    ("st.washerOperatingState", "completionTime", 1714566600000, None, "epoch, not ISO"),
    ("st.washerMode", "washerMode", "delicate", None, "not a washer mode"),
    ("st.dryerOperatingState", "dryerJobState", "finish", None, "washer job on dryer"),
    ("st.dryerMode", "dryerMode", "regular ", None, "trailing space"),
    ("st.dishwasherOperatingState", "supportedMachineStates", ["run", "go"], None, "bad item"),
    ("st.dishwasherMode", "dishwasherMode", "heavy", None, "not a dishwasher mode"),
    ("st.ovenOperatingState", "machineState", "run", None, "washer state on oven"),
    ("st.ovenOperatingState", "ovenJobState", "baking", None, "not enum"),
    ("st.ovenOperatingState", "operationTime", -5, None, "negative time"),
    ("st.ovenOperatingState", "progress", 101, "%", "progress above 100"),
    ("st.ovenMode", "ovenMode", "bake", None, "oven modes are case-sensitive"),
    ("st.ovenSetpoint", "ovenSetpoint", 350, "F", "oven setpoint takes no unit"),
    ("st.ovenSetpoint", "ovenSetpoint", 350.5, None, "fractional setpoint"),
    ("st.refrigeration", "defrost", "yes", None, "not on/off"),
    ("st.rapidCooling", "rapidCooling", 1, None, "int, not on/off"),
    ("st.filterStatus", "filterStatus", "expired", None, "not enum"),
    ("st.operatingState", "machineState", "stop", None, "washer state on generic"),
]


def _state_id(row):
    return f"{row[0]}.{row[1]}={row[2]!r}"[:60]


# (capability, command, arguments, expected normalised arguments)
VALID_COMMANDS = [
    ("st.switch", "on", (), ()),
    ("st.switch", "off", [], ()),
    ("st.switchLevel", "setLevel", (0,), (0,)),
    ("st.switchLevel", "setLevel", (100,), (100,)),
    ("st.switchLevel", "setLevel", (50.0,), (50,)),
    ("st.switchLevel", "setLevel", (50, 0), (50, 0)),
    ("st.switchLevel", "setLevel", (50, 3), (50, 3)),
    ("st.switchLevel", "setLevel", (50, None), (50,)),
    ("st.colorControl", "setHue", (0,), (0,)),
    ("st.colorControl", "setHue", (100,), (100,)),
    ("st.colorControl", "setHue", (33.3,), (33.3,)),
    ("st.colorControl", "setSaturation", (0.0,), (0.0,)),
    ("st.colorControl", "setSaturation", (100,), (100,)),
    ("st.colorControl", "setColor", ({"hue": 0, "saturation": 100},),
     ({"hue": 0, "saturation": 100},)),
    ("st.colorControl", "setColor",
     ({"hue": 66.7, "saturation": 50, "hex": "#00ff80", "level": 80.0, "switch": "on"},),
     ({"hue": 66.7, "saturation": 50, "hex": "#00ff80", "level": 80, "switch": "on"},)),
    ("st.colorTemperature", "setColorTemperature", (1,), (1,)),
    ("st.colorTemperature", "setColorTemperature", (30000,), (30000,)),
    ("st.colorTemperature", "setColorTemperature", (2700.0,), (2700,)),
    ("st.energyMeter", "resetEnergyMeter", (), ()),
    ("st.healthCheck", "ping", (), ()),
    ("st.refresh", "refresh", (), ()),
    ("st.thermostatCoolingSetpoint", "setCoolingSetpoint", (-460,), (-460,)),
    ("st.thermostatCoolingSetpoint", "setCoolingSetpoint", (10000,), (10000,)),
    ("st.thermostatCoolingSetpoint", "setCoolingSetpoint", (22.5,), (22.5,)),
    ("st.thermostatHeatingSetpoint", "setHeatingSetpoint", (120,), (120,)),
    ("st.thermostatMode", "setThermostatMode", ("cool",), ("cool",)),
    ("st.thermostatMode", "setThermostatMode", ("emergency heat",), ("emergency heat",)),
    ("st.thermostatMode", "off", (), ()),
    ("st.thermostatMode", "heat", (), ()),
    ("st.thermostatMode", "cool", (), ()),
    ("st.thermostatMode", "auto", (), ()),
    ("st.thermostatMode", "emergencyHeat", (), ()),
    ("st.airConditionerMode", "setAirConditionerMode", ("dry",), ("dry",)),
    ("st.airConditionerFanMode", "setFanMode", ("high",), ("high",)),
    ("st.fanSpeed", "setFanSpeed", (0,), (0,)),
    ("st.fanSpeed", "setFanSpeed", (4.0,), (4,)),
    ("st.doorControl", "open", (), ()),
    ("st.doorControl", "close", (), ()),
    ("st.washerOperatingState", "setMachineState", ("run",), ("run",)),
    ("st.washerMode", "setWasherMode", ("heavy",), ("heavy",)),
    ("st.dryerOperatingState", "setMachineState", ("pause",), ("pause",)),
    ("st.dryerMode", "setDryerMode", ("highHeat",), ("highHeat",)),
    ("st.dishwasherOperatingState", "setMachineState", ("stop",), ("stop",)),
    ("st.dishwasherMode", "setDishwasherMode", ("eco",), ("eco",)),
    ("st.ovenOperatingState", "setMachineState", ("stop",), ("stop",)),
    ("st.ovenOperatingState", "stop", (), ()),
    ("st.ovenOperatingState", "start", (), ()),
    ("st.ovenOperatingState", "start", ("Bake",), ("Bake",)),
    ("st.ovenOperatingState", "start", ("Bake", 3600, 350), ("Bake", 3600, 350)),
    ("st.ovenOperatingState", "start", (None, 1800.0), (None, 1800)),
    ("st.ovenOperatingState", "start", ("Broil", None, None), ("Broil",)),
    ("st.ovenMode", "setOvenMode", ("ConvectionRoast",), ("ConvectionRoast",)),
    ("st.ovenSetpoint", "setOvenSetpoint", (0,), (0,)),
    ("st.ovenSetpoint", "setOvenSetpoint", (425,), (425,)),
    ("st.refrigeration", "setRapidCooling", ("on",), ("on",)),
    ("st.refrigeration", "setRapidFreezing", ("off",), ("off",)),
    ("st.refrigeration", "setDefrost", ("on",), ("on",)),
    ("st.refrigerationSetpoint", "setRefrigerationSetpoint", (-18.5,), (-18.5,)),
    ("st.rapidCooling", "setRapidCooling", ("off",), ("off",)),
    ("st.operatingState", "setMachineState", ("running",), ("running",)),
]

# (capability, command, arguments, why): ConstraintViolation expected.
INVALID_COMMANDS = [
    ("st.switch", "on", ("now",), "too many arguments"),
    ("st.switchLevel", "setLevel", (), "missing level"),
    ("st.switchLevel", "setLevel", (None,), "level is not optional"),
    ("st.switchLevel", "setLevel", (101,), "level above 100"),
    ("st.switchLevel", "setLevel", (-1,), "level below 0"),
    ("st.switchLevel", "setLevel", ("50",), "numeric string"),
    ("st.switchLevel", "setLevel", (True,), "bool where integer"),
    ("st.switchLevel", "setLevel", (50.5,), "fractional level"),
    ("st.switchLevel", "setLevel", (50, -1), "negative rate"),
    ("st.switchLevel", "setLevel", (50, 1.5), "fractional rate"),
    ("st.switchLevel", "setLevel", (50, 2, 3), "too many arguments"),
    ("st.colorControl", "setHue", (100.5,), "hue above 100"),
    ("st.colorControl", "setHue", (-1,), "hue below 0"),
    ("st.colorControl", "setHue", (False,), "bool where number"),
    ("st.colorControl", "setSaturation", ("50",), "numeric string"),
    ("st.colorControl", "setSaturation", (float("nan"),), "NaN"),
    ("st.colorControl", "setColor", ({"saturation": 50},), "COLOR_MAP without hue"),
    ("st.colorControl", "setColor", ({"hue": 50},), "COLOR_MAP without saturation"),
    ("st.colorControl", "setColor", ({"hue": 150, "saturation": 50},), "hue above 100"),
    ("st.colorControl", "setColor", ({"hue": 50, "saturation": 50, "level": 101},), "level"),
    ("st.colorControl", "setColor", ({"hue": 50, "saturation": 50, "switch": "dim"},), "switch"),
    ("st.colorControl", "setColor", ({"hue": 50, "saturation": 50, "hex": "red"},), "hex"),
    ("st.colorControl", "setColor", ({"hue": 50, "saturation": 50, "x": 1},), "unknown key"),
    ("st.colorControl", "setColor", ({"hue": True, "saturation": 50},), "bool hue"),
    ("st.colorControl", "setColor", ("#FF0000",), "string, not COLOR_MAP"),
    ("st.colorTemperature", "setColorTemperature", (0,), "kelvin below 1"),
    ("st.colorTemperature", "setColorTemperature", (30001,), "kelvin above 30000"),
    ("st.colorTemperature", "setColorTemperature", (2700.5,), "fractional kelvin"),
    ("st.colorTemperature", "setColorTemperature", ("2700",), "numeric string"),
    ("st.thermostatCoolingSetpoint", "setCoolingSetpoint", (-460.1,), "below -460"),
    ("st.thermostatCoolingSetpoint", "setCoolingSetpoint", (10000.1,), "above 10000"),
    ("st.thermostatCoolingSetpoint", "setCoolingSetpoint", ("72",), "numeric string"),
    ("st.thermostatCoolingSetpoint", "setCoolingSetpoint", (), "missing setpoint"),
    ("st.thermostatHeatingSetpoint", "setHeatingSetpoint", (True,), "bool where number"),
    ("st.refrigerationSetpoint", "setRefrigerationSetpoint", ({"value": 4},), "object"),
    ("st.thermostatMode", "setThermostatMode", ("turbo",), "not a mode"),
    ("st.thermostatMode", "off", ("now",), "too many arguments"),
    ("st.airConditionerMode", "setAirConditionerMode", ("",), "empty mode"),
    ("st.airConditionerMode", "setAirConditionerMode", (1,), "int where string"),
    ("st.airConditionerFanMode", "setFanMode", ("x" * 256,), "longer than 255"),
    ("st.fanSpeed", "setFanSpeed", (-1,), "negative speed"),
    ("st.fanSpeed", "setFanSpeed", ("2",), "numeric string"),
    ("st.washerOperatingState", "setMachineState", ("running",), "oven state on washer"),
    ("st.washerOperatingState", "setMachineState", ("RUN",), "case-sensitive"),
    ("st.washerMode", "setWasherMode", ("delicate",), "not a washer mode"),
    ("st.dryerOperatingState", "setMachineState", ("paused",), "oven state on dryer"),
    ("st.dishwasherOperatingState", "setMachineState", (), "missing state"),
    ("st.dryerMode", "setDryerMode", ("heavy",), "washer mode on dryer"),
    ("st.dishwasherMode", "setDishwasherMode", (None,), "mode is not optional"),
    ("st.ovenOperatingState", "setMachineState", ("running",), "only stop is allowed"),
    ("st.ovenOperatingState", "start", ("bake",), "oven modes are case-sensitive"),
    ("st.ovenOperatingState", "start", ("Bake", -1), "negative time"),
    ("st.ovenOperatingState", "start", ("Bake", 60, "350"), "numeric string setpoint"),
    ("st.ovenOperatingState", "start", ("Bake", 60, 350, 1), "too many arguments"),
    ("st.ovenMode", "setOvenMode", ("Pizza",), "not an oven mode"),
    ("st.ovenSetpoint", "setOvenSetpoint", (-10,), "negative setpoint"),
    ("st.ovenSetpoint", "setOvenSetpoint", (350.5,), "fractional setpoint"),
    ("st.refrigeration", "setRapidCooling", (True,), "bool, not on/off"),
    ("st.refrigeration", "setDefrost", ("yes",), "not on/off"),
    ("st.refrigeration", "setRapidFreezing", ("on", "off"), "too many arguments"),
    ("st.rapidCooling", "setRapidCooling", (), "missing argument"),
    ("st.operatingState", "setMachineState", ("stop",), "washer state on generic"),
]

# (capability, command): CapabilityNotSupported expected.
UNSUPPORTED_COMMANDS = [
    ("st.lock", "lock"),  # a real SmartThings capability we do not use
    ("switch", "on"),  # the id must carry its "st." prefix
    ("st.Switch", "on"),  # ids are case-sensitive
    ("", "on"),
    ("st.switch", "toggle"),
    ("st.switch", "On"),
    ("st.switchLevel", "setHue"),  # a command of another capability
    ("st.powerMeter", "reset"),  # a capability without commands
    ("st.temperatureMeasurement", "setTemperature"),
    ("st.washerOperatingState", "start"),
]


def _command_id(row):
    return f"{row[0]}.{row[1]}{tuple(row[2])!r}"[:60]


# --------------------------------------------------------------- the table itself


def test_registry_holds_every_capability_the_connector_uses():
    expected = {
        "switch", "switchLevel", "colorControl", "colorTemperature", "powerMeter",
        "energyMeter", "powerConsumptionReport", "healthCheck", "refresh",
        "temperatureMeasurement", "thermostatCoolingSetpoint", "thermostatHeatingSetpoint",
        "thermostatMode", "thermostatOperatingState", "airConditionerMode",
        "airConditionerFanMode", "fanSpeed", "contactSensor", "doorControl", "waterSensor",
        "temperatureAlarm", "remoteControlStatus", "washerOperatingState", "washerMode",
        "dryerOperatingState", "dryerMode", "dishwasherOperatingState", "dishwasherMode",
        "ovenOperatingState", "ovenMode", "ovenSetpoint", "refrigeration",
        "refrigerationSetpoint", "rapidCooling", "filterStatus", "operatingState",
    }
    assert set(CAPABILITIES) == {f"st.{name}" for name in expected}


def test_registry_keys_are_the_capability_ids():
    for key, capability in CAPABILITIES.items():
        assert key == capability.id
        assert capability.status in ("live", "proposed")
        for name, attribute in capability.attributes.items():
            assert name == attribute.name
        for name, command in capability.commands.items():
            assert name == command.name


def test_registry_is_read_only():
    with pytest.raises(TypeError):
        CAPABILITIES["st.new"] = CAPABILITIES["st.switch"]  # type: ignore[index]
    with pytest.raises(TypeError):
        CAPABILITIES["st.switch"].commands["toggle"] = None  # type: ignore[index]


def test_get_returns_the_definition_and_raises_keyerror_when_unknown():
    assert caps.get("st.switchLevel") is CAPABILITIES["st.switchLevel"]
    assert caps.get("st.switchLevel").commands["setLevel"].arguments[0].name == "level"
    with pytest.raises(KeyError):
        caps.get("st.lock")


def test_optional_arguments_only_follow_required_ones():
    for capability in CAPABILITIES.values():
        for command in capability.commands.values():
            flags = [argument.optional for argument in command.arguments]
            assert flags == sorted(flags), f"{capability.id}.{command.name}"


def test_every_default_unit_is_an_allowed_unit():
    for capability in CAPABILITIES.values():
        for attribute in capability.attributes.values():
            if attribute.units:
                assert attribute.default_unit in attribute.units or attribute.unit_required
            else:
                assert attribute.default_unit is None and not attribute.unit_required


def test_temperature_attributes_require_f_or_c():
    temperature_attributes = {
        (cid, name)
        for cid, capability in CAPABILITIES.items()
        for name, attribute in capability.attributes.items()
        if attribute.units == caps.TEMPERATURE_UNITS
    }
    assert temperature_attributes == {
        ("st.temperatureMeasurement", "temperature"),
        ("st.thermostatCoolingSetpoint", "coolingSetpoint"),
        ("st.thermostatHeatingSetpoint", "heatingSetpoint"),
        ("st.refrigerationSetpoint", "refrigerationSetpoint"),
    }
    for cid, name in temperature_attributes:
        attribute = CAPABILITIES[cid].attributes[name]
        assert attribute.unit_required
        assert (attribute.type.minimum, attribute.type.maximum) == (-460, 10000)


def test_unit_constants():
    assert caps.TEMPERATURE_UNITS == ("F", "C")
    assert (caps.FAHRENHEIT, caps.CELSIUS) == ("F", "C")
    assert set(caps.ENERGY_UNITS) == {"Wh", "kWh", "mWh", "kVAh"}
    assert (caps.PERCENT, caps.KELVIN, caps.WATT, caps.KILOWATT_HOUR) == ("%", "K", "W", "kWh")


@pytest.mark.parametrize("cid, name, units, default", [
    ("st.switchLevel", "level", ("%",), "%"),
    ("st.colorTemperature", "colorTemperature", ("K",), "K"),
    ("st.powerMeter", "power", ("W",), "W"),
    ("st.energyMeter", "energy", ("Wh", "kWh", "mWh", "kVAh"), "kWh"),
    ("st.ovenOperatingState", "progress", ("%",), "%"),
    ("st.healthCheck", "checkInterval", ("s",), "s"),
])
def test_units_of_measured_attributes_are_optional_with_a_default(cid, name, units, default):
    attribute = caps.get(cid).attributes[name]
    assert attribute.units == units
    assert attribute.default_unit == default
    assert not attribute.unit_required


def test_value_type_refuses_an_unknown_kind():
    with pytest.raises(ValueError):
        caps.ValueType("boolean")


# ------------------------------------------------------------------------- states


def test_valid_state_table_covers_every_attribute():
    covered = {(row[0], row[1]) for row in VALID_STATES}
    every = {(cid, name) for cid, c in CAPABILITIES.items() for name in c.attributes}
    assert every - covered == set()


def test_invalid_state_table_covers_every_capability_with_attributes():
    covered = {row[0] for row in INVALID_STATES}
    every = {cid for cid, c in CAPABILITIES.items() if c.attributes}
    assert every - covered == set()


@pytest.mark.parametrize("cid, attribute, value, unit", VALID_STATES, ids=[_state_id(r) for r in VALID_STATES])
def test_validate_state_accepts_valid_state(cid, attribute, value, unit):
    assert validate_state(State(cid, attribute, value, unit=unit)) is None


@pytest.mark.parametrize(
    "cid, attribute, value, unit, why", INVALID_STATES, ids=[r[4] + ":" + r[0] for r in INVALID_STATES]
)
def test_validate_state_rejects_invalid_state(cid, attribute, value, unit, why):
    with pytest.raises(InvalidState):
        validate_state(State(cid, attribute, value, unit=unit))


def test_invalid_state_is_a_value_error_that_names_the_attribute():
    with pytest.raises(ValueError) as excinfo:
        validate_state(State("st.switchLevel", "level", 101, unit="%"))
    assert isinstance(excinfo.value, InvalidState)
    assert "st.switchLevel.level" in str(excinfo.value)


@pytest.mark.parametrize("cid, attribute", [
    ("st.lock", "lock"),
    ("switch", "switch"),
    ("st.switch", "level"),
    ("st.switch", "Switch"),
    ("st.refresh", "refresh"),
])
def test_validate_state_rejects_unknown_capability_or_attribute(cid, attribute):
    with pytest.raises(InvalidState):
        validate_state(State(cid, attribute, "on"))


@pytest.mark.parametrize("unit", ["F", "C"])
def test_temperature_state_with_unit_is_valid(unit):
    validate_state(State("st.temperatureMeasurement", "temperature", 20, unit=unit))


def test_temperature_state_without_unit_is_invalid():
    with pytest.raises(InvalidState, match="unit required"):
        validate_state(State("st.temperatureMeasurement", "temperature", 20))


def test_state_unit_forbidden_where_attribute_has_none():
    with pytest.raises(InvalidState, match="takes no unit"):
        validate_state(State("st.contactSensor", "contact", "open", unit="F"))


@pytest.mark.parametrize("value, ok", [(-460, True), (-460.0001, False), (10000, True), (10000.0001, False)])
def test_temperature_value_boundaries(value, ok):
    state = State("st.thermostatCoolingSetpoint", "coolingSetpoint", value, unit="C")
    if ok:
        validate_state(state)
    else:
        with pytest.raises(InvalidState):
            validate_state(state)


def test_state_list_accepts_tuple_of_valid_items():
    validate_state(State("st.washerOperatingState", "supportedMachineStates", ("run", "stop")))


def test_long_enum_detail_stays_short():
    with pytest.raises(InvalidState) as excinfo:
        validate_state(State("st.thermostatMode", "thermostatMode", "turbo"))
    assert len(str(excinfo.value)) < 120
    assert "ThermostatMode" in str(excinfo.value)


# ----------------------------------------------------------------------- commands


def test_valid_command_table_covers_every_command():
    covered = {(row[0], row[1]) for row in VALID_COMMANDS}
    every = {(cid, name) for cid, c in CAPABILITIES.items() for name in c.commands}
    assert every - covered == set()


def test_invalid_command_table_covers_every_command_with_arguments():
    covered = {(row[0], row[1]) for row in INVALID_COMMANDS}
    every = {
        (cid, name)
        for cid, c in CAPABILITIES.items()
        for name, spec in c.commands.items()
        if spec.arguments
    }
    assert every - covered == set()


@pytest.mark.parametrize("cid, command, arguments, expected", VALID_COMMANDS, ids=[_command_id(r) for r in VALID_COMMANDS])
def test_validate_command_accepts_and_normalises_valid_command(cid, command, arguments, expected):
    result = validate_command(Command(cid, command, arguments, component="freezer"))
    assert result == Command(cid, command, expected, component="freezer")
    assert type(result.arguments) is tuple
    for got, want in zip(result.arguments, expected):
        assert type(got) is type(want)


@pytest.mark.parametrize(
    "cid, command, arguments, why", INVALID_COMMANDS, ids=[r[3] + ":" + r[1] for r in INVALID_COMMANDS]
)
def test_validate_command_rejects_invalid_arguments_as_constraint_violation(cid, command, arguments, why):
    with pytest.raises(ConstraintViolation) as excinfo:
        validate_command(Command(cid, command, arguments))
    assert excinfo.value.enum == DeviceErrorEnum.RESOURCE_CONSTRAINT_VIOLATION


@pytest.mark.parametrize("cid, command", UNSUPPORTED_COMMANDS)
def test_validate_command_rejects_unknown_capability_or_command_as_not_supported(cid, command):
    with pytest.raises(CapabilityNotSupported) as excinfo:
        validate_command(Command(cid, command))
    assert excinfo.value.enum == DeviceErrorEnum.CAPABILITY_NOT_SUPPORTED


def test_float_with_integer_value_becomes_int():
    result = validate_command(Command("st.switchLevel", "setLevel", (50.0, 2.0)))
    assert result.arguments == (50, 2)
    assert all(type(a) is int for a in result.arguments)


def test_float_normalisation_reaches_inside_color_map():
    color = {"hue": 10, "saturation": 20, "level": 30.0}
    result = validate_command(Command("st.colorControl", "setColor", [color]))
    assert type(result.arguments[0]["level"]) is int
    assert color["level"] == 30.0  # the caller's dict is not modified


def test_number_arguments_keep_their_type():
    result = validate_command(Command("st.thermostatCoolingSetpoint", "setCoolingSetpoint", (21.0,)))
    assert result.arguments == (21.0,)
    assert type(result.arguments[0]) is float


@pytest.mark.parametrize("arguments", [(True,), (False,)])
def test_bool_is_not_a_number(arguments):
    for cid, command in [("st.switchLevel", "setLevel"), ("st.colorControl", "setHue"),
                         ("st.thermostatCoolingSetpoint", "setCoolingSetpoint")]:
        with pytest.raises(ConstraintViolation, match="got bool"):
            validate_command(Command(cid, command, arguments))


@pytest.mark.parametrize("cid, command, low, high", [
    ("st.switchLevel", "setLevel", 0, 100),
    ("st.colorControl", "setHue", 0, 100),
    ("st.colorControl", "setSaturation", 0, 100),
    ("st.colorTemperature", "setColorTemperature", 1, 30000),
    ("st.thermostatCoolingSetpoint", "setCoolingSetpoint", -460, 10000),
    ("st.thermostatHeatingSetpoint", "setHeatingSetpoint", -460, 10000),
    ("st.refrigerationSetpoint", "setRefrigerationSetpoint", -460, 10000),
])
def test_command_range_boundaries_are_inclusive(cid, command, low, high):
    assert validate_command(Command(cid, command, (low,))).arguments == (low,)
    assert validate_command(Command(cid, command, (high,))).arguments == (high,)
    for outside in (low - 1, high + 1):
        with pytest.raises(ConstraintViolation):
            validate_command(Command(cid, command, (outside,)))


def test_arguments_may_be_none_for_a_command_without_arguments():
    assert validate_command(Command("st.switch", "on", None)).arguments == ()  # type: ignore[arg-type]


def test_arguments_must_be_a_list():
    with pytest.raises(ConstraintViolation, match="must be a list"):
        validate_command(Command("st.switchLevel", "setLevel", 50))  # type: ignore[arg-type]


def test_too_many_arguments_detail_says_how_many():
    with pytest.raises(ConstraintViolation, match="at most 2 argument"):
        validate_command(Command("st.switchLevel", "setLevel", (1, 2, 3)))


def test_missing_argument_detail_names_it():
    with pytest.raises(ConstraintViolation, match="missing argument 'level'"):
        validate_command(Command("st.switchLevel", "setLevel", ()))


# ------------------------------------------------------------ supported filtering


def test_supported_allows_the_devices_capabilities():
    command = Command("st.switch", "on")
    assert validate_command(command, supported=["st.switch", "st.healthCheck"]) == command


def test_supported_refuses_other_known_capabilities():
    with pytest.raises(CapabilityNotSupported, match="does not support st.switchLevel"):
        validate_command(Command("st.switchLevel", "setLevel", (50,)), supported=["st.switch"])


def test_supported_empty_refuses_everything():
    with pytest.raises(CapabilityNotSupported):
        validate_command(Command("st.switch", "on"), supported=[])


def test_supported_accepts_any_iterable_once():
    supported = (cid for cid in ["st.healthCheck", "st.switch"])
    assert validate_command(Command("st.switch", "off"), supported=supported).command == "off"


def test_supported_may_be_a_single_id_string():
    assert validate_command(Command("st.switch", "on"), supported="st.switch").command == "on"
    with pytest.raises(CapabilityNotSupported):
        validate_command(Command("st.switch", "on"), supported="st.switchLevel")


def test_supported_does_not_admit_unknown_capabilities():
    with pytest.raises(CapabilityNotSupported, match="unknown capability"):
        validate_command(Command("st.lock", "lock"), supported=["st.lock"])


def test_none_supported_means_any_known_capability():
    assert validate_command(Command("st.refresh", "refresh"), supported=None).command == "refresh"


# ---------------------------------------------------------------------- exceptions


def test_exception_tree_and_enums():
    assert issubclass(CapabilityNotSupported, CapabilityError)
    assert issubclass(ConstraintViolation, CapabilityError)
    assert issubclass(InvalidState, ValueError)
    assert not issubclass(InvalidState, CapabilityError)
    assert CapabilityNotSupported("x").enum == DeviceErrorEnum.CAPABILITY_NOT_SUPPORTED
    assert ConstraintViolation("x").enum == DeviceErrorEnum.RESOURCE_CONSTRAINT_VIOLATION
    assert CapabilityError("x", enum=DeviceErrorEnum.DEVICE_UNAVAILABLE).enum == "DEVICE-UNAVAILABLE"
    assert ConstraintViolation("x").enum in DeviceErrorEnum.ALL


def test_error_becomes_device_error():
    with pytest.raises(CapabilityError) as excinfo:
        validate_command(Command("st.switchLevel", "setLevel", (150,)))
    error = excinfo.value.to_device_error()
    assert error == DeviceError("RESOURCE-CONSTRAINT-VIOLATION", excinfo.value.detail)
    assert "st.switchLevel.setLevel" in error.detail and "100" in error.detail


def test_detail_is_short_even_for_huge_input():
    huge = "x" * 10_000
    for command in [Command(huge, "on"), Command("st.switch", huge),
                    Command("st.airConditionerMode", "setAirConditionerMode", (huge,)),
                    Command("st.thermostatMode", "setThermostatMode", (huge,))]:
        with pytest.raises(CapabilityError) as excinfo:
            validate_command(command)
        assert len(excinfo.value.detail) <= caps.MAX_DETAIL
        assert huge not in excinfo.value.detail
    assert len(CapabilityError("y" * 1000).detail) == caps.MAX_DETAIL
