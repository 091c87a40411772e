"""The appliance kinds the simulator can create, and the set every new user gets.

Each kind names its deviceType, a real GE model, and how to build its services and
behaviour units. The refrigerator follows the real PVD28BYNIFS dump of
smarthq-api.md §2.3.5 service by service.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from . import names
from .appliances import Appliance, Unit
from .climate import Thermostat, ac_services
from .cooking import OvenCavity, cavity_services
from .dishwasher import DishwasherUnit, dishwasher_services
from .laundry import LaundryUnit, laundry_services
from .services import Service


def fridge_services() -> list[Service]:
    m = Service.make
    drawer_modes = {3: ("Meat", 29), 4: ("Beverages", 33), 5: ("Snacks", 37), 6: ("Wine", 42)}
    filter_modes = ["good", "bypass", "leak", "expiringsoon", "expired", "error"]
    out = [
        m("toggle", "controls.lock", "appliance", ["toggle.set"], {"on": False}),
        m("toggle", "sabbath", "appliance", ["toggle.set"], {"on": False}),
        m("firmware.v1", "appliance", "appliance", [],
          {"upgradeStatus": "idle", "versionCurrent": "3.1.7"}),
        m("toggle", "full", "icemaker.1", [], {"on": False}),
        m("string", "location", "icemaker.1", [], {"stringValue": "Fresh Food"}),
        m("toggle", "power", "icemaker.1", ["toggle.set"], {"on": True}),
        m("meter", "energy", "refrigerator", [], {"meterValue": 65488, "meterValueDelta": 17},
          {"meterUnits": "kwh", "measurement": "cumulative", "reading": "estimated"}),
        m("mode", "demandresponse", "refrigerator", [],
          {"mode": names.type_("mode", "off")},
          {"supportedModes": [names.type_("mode", "off"), names.type_("mode", "on")],
           "ordered": False}),
        m("mode", "temperatureunits", "refrigerator", ["mode.set"],
          {"mode": names.type_("mode", "fahrenheit")},
          {"supportedModes": [names.type_("mode", "fahrenheit"), names.type_("mode", "celsius")],
           "ordered": False}),
        m("door", "door", "refrigerator", [],
          {"topLeftOpen": False, "topRightOpen": False, "topRightDoorInDoorOpen": False,
           "middleOpen": False, "bottomOpen": False}),
        m("integer", "brightness.light", "refrigerator", ["integer.set", "integer.adjust"],
          {"value": 100}, {"minimum": 0, "maximum": 100, "integerUnits": "percent",
                           "label": "Interior Light"}),
        m("mode", "mode.selection", "refrigerator.convertibledrawer", ["mode.set"],
          {"mode": names.type_("mode", "convertibledrawer.mode4")},
          {"supportedModes": [names.type_("mode", f"convertibledrawer.mode{n}")
                              for n in drawer_modes], "ordered": True}),
    ]
    for n, (label, f) in drawer_modes.items():
        c = round((f - 32) * 5 / 9)
        out.append(m("temperature", "setpoint", f"refrigerator.convertibledrawer.mode{n}", [],
                     {"fahrenheit": f, "celsius": c},
                     {"label": label, "fahrenheitDefault": f, "celsiusDefault": c}))
    out += [
        m("delaywindow", "defrost", "refrigerator.defrostdelay", [],
          {"startTime": "2024-01-01T02:00:00.000Z", "endTime": "2024-01-01T05:00:00.000Z"}),
        m("toggle", "activate.motion", "refrigerator.dispenser.light", ["toggle.set"], {"on": True}),
        m("temperature", "setpoint", "refrigerator.freezer", ["temperature.set"],
          {"fahrenheit": 0, "celsius": -18, "disabled": False},
          {"fahrenheitMinimum": -6, "fahrenheitMaximum": 5, "fahrenheitDefault": 0,
           "celsiusMinimum": -21, "celsiusMaximum": -15, "celsiusDefault": -18}),
        m("toggle", "turbo", "refrigerator.freezer", ["toggle.set"], {"on": False, "disabled": False}),
        m("temperature", "setpoint", "refrigerator.freshfood", ["temperature.set"],
          {"fahrenheit": 37, "celsius": 3, "disabled": False},
          {"fahrenheitMinimum": 34, "fahrenheitMaximum": 42, "fahrenheitDefault": 37,
           "celsiusMinimum": 1, "celsiusMaximum": 6, "celsiusDefault": 3}),
        m("toggle", "turbo", "refrigerator.freshfood", ["toggle.set"], {"on": False, "disabled": False}),
        m("string", "model", "refrigerator.waterfilter", [], {"stringValue": "XWFE"}),
        m("integer", "percent.usage.remaining", "refrigerator.waterfilter", [], {"value": 71},
          {"minimum": 0, "maximum": 100, "integerUnits": "percent"}),
        m("mode", "state", "refrigerator.waterfilter", [], {"mode": names.type_("mode", "good")},
          {"supportedModes": [names.type_("mode", x) for x in filter_modes], "ordered": False}),
        m("firmware.v1", "wifi", "wifi", [], {"upgradeStatus": "idle", "versionCurrent": "1.4.2"}),
        m("integer", "rssi", "wifi", [], {"value": -55}, {"integerUnits": "dBm"}),
    ]
    return out


def freezer_services() -> list[Service]:
    m = Service.make
    return [
        m("temperature", "setpoint", "freezer", ["temperature.set"],
          {"fahrenheit": 0, "celsius": -18, "disabled": False},
          {"fahrenheitMinimum": -6, "fahrenheitMaximum": 5, "fahrenheitDefault": 0,
           "celsiusMinimum": -21, "celsiusMaximum": -15, "celsiusDefault": -18}),
        m("toggle", "turbo", "freezer", ["toggle.set"], {"on": False, "disabled": False}),
        m("door", "door", "freezer", [], {"singleOpen": False}),
    ]


def _laundry_pair() -> list[Service]:
    return (laundry_services("washer", "washer", 20110)
            + laundry_services("dryer", "dryer", 90400))


@dataclass(frozen=True)
class Kind:
    device_type: str
    nickname: str
    model: str
    brand: str
    room: str
    alert_types: tuple[str, ...]
    services: Callable[[], list[Service]]
    units: Callable[[Appliance], list[Unit]]
    removable: bool = True


def _alerts(*short: str) -> tuple[str, ...]:
    return tuple(names.alert(s) for s in short)


WASHER_ALERTS = ("washer.endofcycle", "washeroutofbalance", "washer.startofcycle",
                 "washer.endofcycle.minutesleft.5")
DRYER_ALERTS = ("dryer.endofcycle", "dryer.startofcycle", "dryer.endofcycle.minutesleft.5")

KINDS: dict[str, Kind] = {
    "washer": Kind("washer", "Laundry Washer", "PFW870SPVDS", "GE Profile", "Laundry",
                   _alerts(*WASHER_ALERTS), lambda: laundry_services("washer", "washer"),
                   lambda d: [LaundryUnit(d, names.device("washer"), "washer")]),
    "dryer": Kind("dryer", "Laundry Dryer", "PFD87ESPVRS", "GE Profile", "Laundry",
                  _alerts(*DRYER_ALERTS), lambda: laundry_services("dryer", "dryer", 88120),
                  lambda d: [LaundryUnit(d, names.device("dryer"), "dryer")]),
    "laundrycenter": Kind("laundrycenter", "Laundry Center", "GUD27ESPMWW", "GE", "Hall Closet",
                          _alerts(*WASHER_ALERTS, *DRYER_ALERTS), _laundry_pair,
                          lambda d: [LaundryUnit(d, names.device("washer"), "washer"),
                                     LaundryUnit(d, names.device("dryer"), "dryer")]),
    "dishwasher": Kind("dishwasher", "Kitchen Dishwasher", "PDT785SYNFS", "GE Profile", "Kitchen",
                       _alerts("dishwasher.endofcycle", "dishwasher.pausedcycle",
                               "dishwasher.rinseaid.low", "dishwasher.leakdetected"),
                       dishwasher_services,
                       lambda d: [DishwasherUnit(d, names.device("dishwasher"))]),
    "refrigerator": Kind("refrigerator", "Kitchen Refrigerator", "PVD28BYNIFS", "GE Profile",
                         "Kitchen", _alerts("ota.update"), fridge_services, lambda d: [],
                         removable=False),
    "oven": Kind("oven", "Wall Oven", "PTD9000SNSS", "GE Profile", "Kitchen", (),
                 lambda: (cavity_services("oven.upper", "upper", "full")
                          + cavity_services("oven.lower", "lower", "enable")),
                 lambda d: [OvenCavity(d, names.device("oven.upper"), "upper"),
                            OvenCavity(d, names.device("oven.lower"), "lower")]),
    "airconditioner": Kind("airconditioner", "Bedroom AC", "AHY08LZ", "GE", "Bedroom", (),
                           ac_services,
                           lambda d: [Thermostat(d, names.device("airconditioner"))]),
    "freezer": Kind("freezer", "Garage Freezer", "FCM16DLWW", "GE", "Garage", (),
                    freezer_services, lambda d: []),
}

# (kind, overrides) of the appliances a new user gets when none are given.
DEFAULT_APPLIANCES: tuple[tuple[str, dict], ...] = (
    ("washer", {}),
    ("dryer", {}),
    ("laundrycenter", {}),
    ("dishwasher", {}),
    ("refrigerator", {}),
    ("oven", {}),
    ("airconditioner", {}),
    ("freezer", {"presence": "OFFLINE"}),
)


def lookup(kind: str) -> Kind:
    try:
        return KINDS[kind]
    except KeyError:
        raise KeyError(f"unknown appliance kind {kind!r} (known: {', '.join(KINDS)})") from None
