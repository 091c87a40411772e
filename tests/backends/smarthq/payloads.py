"""SmartHQ ``device#item`` payloads (fixtures/*.json) for the SmartHQ tests.

Each fixture is one ``GET /v2/device/{deviceId}`` answer, written from the data model of
smarthq-api.md §2.3 (the refrigerator follows the PVD28BYNIFS dump of §2.3.5).
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

FIXTURE_DIR = Path(__file__).parent / "fixtures"
FIXTURES = sorted(p.stem for p in FIXTURE_DIR.glob("*.json"))

WASHER = "washer_PFW870SPVDS_running"
DRYER = "dryer_PFD87ESPVRS_cooldown"
LAUNDRY_CENTER = "laundrycenter_GUD27ESPMWW"
DISHWASHER = "dishwasher_PDT785SYNFS_running"
DISHWASHER_OFFLINE = "dishwasher_GDT665SSNSS_offline"
DISHDRAWER = "dishdrawer_PDD825SSNSS"
FRIDGE = "refrigerator_PVD28BYNIFS"
OVEN = "oven_PTD9000SNSS_baking"
AC = "airconditioner_AHY08LZ"
HOOD = "hood_UVW9361SLSS"
WATER_HEATER = "waterheater_GEH50DFEJSR"
FREEZER = "freezer_FCM16DLWW_generic"
WARMING_DRAWER = "warmingdrawer_generic"

PREFIX = "cloud.smarthq."


def load(name: str) -> dict:
    """A fresh copy of one fixture (tests may change it)."""
    return json.loads((FIXTURE_DIR / f"{name}.json").read_text())


def service(device: dict, service_type: str, domain: str | None = None,
            sub_device: str | None = None) -> dict:
    """The service of ``device`` with this (short) type, domain and sub-device."""
    for svc in device["services"]:
        if svc["serviceType"] != f"{PREFIX}service.{service_type}":
            continue
        if domain is not None and svc["domainType"] != f"{PREFIX}domain.{domain}":
            continue
        if sub_device is not None and svc["serviceDeviceType"] != f"{PREFIX}device.{sub_device}":
            continue
        return svc
    raise KeyError((service_type, domain, sub_device))


def with_state(name: str, service_type: str, domain: str | None = None,
               sub_device: str | None = None, **state) -> dict:
    """A fixture with one service's state changed."""
    device = load(name)
    service(device, service_type, domain, sub_device)["state"].update(state)
    return device


def runstatus(value: str) -> str:
    return f"{PREFIX}type.runstatus.{value}"


def subcycle(value: str) -> str:
    return f"{PREFIX}type.subcycle.{value}"


def armed_washer() -> dict:
    """The washer idle with Remote Start armed on its panel (runStatus delayed)."""
    device = load(WASHER)
    service(device, "laundry.state.v1")["state"].update(
        runStatus=runstatus("delayed"), subCycle=subcycle("na"))
    service(device, "cycletimer")["state"].update(secondsRemaining=3300, secondsInitial=3300)
    service(device, "trigger", "start")["state"]["disabled"] = False
    service(device, "trigger", "stop")["state"]["disabled"] = True
    service(device, "trigger", "cycle.pause")["state"]["disabled"] = True
    service(device, "remotecycleselection")["state"]["disabled"] = False
    return device


def idle_washer() -> dict:
    """The washer idle, Remote Start not armed: every control disabled."""
    device = armed_washer()
    service(device, "laundry.state.v1")["state"]["runStatus"] = runstatus("idle")
    service(device, "trigger", "start")["state"]["disabled"] = True
    service(device, "remotecycleselection")["state"]["disabled"] = True
    return device


def copy_of(device: dict) -> dict:
    return copy.deepcopy(device)
