"""The fan-out: per-device isolation, the deadline, capability checks before the partner.

A small scripted backend stands in for a partner here because what is under test is
the interactions layer's own mechanism; the partner backends have their own
end-to-end tests against the simulated clouds.
"""
from __future__ import annotations

import json
import threading
import time

import pytest

from connector import create_app, schema, stclient
from connector.backends.base import DeviceOffline, LinkExpired
from connector.model import Device, DeviceResult, ManufacturerInfo, State


class ScriptedBackend:
    name = "test"

    def __init__(self):
        self.commands = []
        self.release = threading.Event()

    def is_linked(self, account_id):
        return True

    def discover(self, ctx):
        return [Device("test:1", "One", ManufacturerInfo("Acme", "M1"), "c2c-switch")]

    def refresh(self, external_id, ctx):
        behaviour = external_id.split(":")[1]
        if behaviour == "offline":
            raise DeviceOffline("device is offline")
        if behaviour == "slow":
            self.release.wait(5)
        if behaviour == "crash":
            raise ZeroDivisionError("bug")
        if behaviour == "expired":
            raise LinkExpired("refresh token refused")
        if behaviour == "invalid":
            return DeviceResult(external_id, [State("st.switchLevel", "level", 250, unit="%")])
        return DeviceResult(external_id, [State("st.switch", "switch", "on")])

    def command(self, request, ctx):
        self.commands.append(request)
        return DeviceResult(request.external_id, [State("st.switch", "switch", "on")])


@pytest.fixture
def backend():
    return ScriptedBackend()


@pytest.fixture
def app(config, backend):
    from connector.services import Services
    from connector.settings import Settings

    settings = Settings.from_env({}, **{**config, "request_deadline": 0.5})
    services = Services.build(settings, backends={"test": backend})
    return create_app(settings, services=services)


def post(app, payload):
    resp = app.test_client().post("/st-schema", data=json.dumps(payload), content_type="application/json")
    body = resp.get_json()
    assert schema.validate_outbound(body) == [], body
    return body


class CrashingBackend(ScriptedBackend):
    name = "broken"

    def discover(self, ctx):
        raise AttributeError("'NoneType' object has no attribute 'get'")  # a bug on odd data


def by_id(body):
    return {d["externalDeviceId"]: d for d in body["deviceState"]}


def test_discovery_lists_linked_backends_devices(app, account):
    body = post(app, stclient.discovery(account[1].access_token))
    assert [d["externalDeviceId"] for d in body["devices"]] == ["test:1"]


def test_failing_devices_never_break_their_neighbours(app, account, backend):
    ids = ["test:ok", "test:offline", "test:crash", "test:slow", "kasa:unlinked"]
    started = time.monotonic()
    body = post(app, stclient.state_refresh(account[1].access_token, ids))
    elapsed = time.monotonic() - started
    backend.release.set()
    states = by_id(body)
    assert [d["externalDeviceId"] for d in body["deviceState"]] == ids
    assert states["test:ok"]["states"][0]["value"] == "on"
    assert states["test:offline"]["deviceError"][0]["errorEnum"] == "DEVICE-UNAVAILABLE"
    assert states["test:crash"]["deviceError"] == [{"errorEnum": "DEVICE-UNAVAILABLE", "detail": "internal error"}]
    assert states["test:slow"]["deviceError"][0]["errorEnum"] == "DEVICE-UNAVAILABLE"
    assert "in time" in states["test:slow"]["deviceError"][0]["detail"]
    assert states["kasa:unlinked"]["deviceError"][0]["errorEnum"] == "DEVICE-DELETED"
    assert elapsed < 2  # answered at the 0.5 s deadline, not after the 5 s slow device


def test_link_expired_for_every_device_is_token_expired(app, account):
    body = post(app, stclient.state_refresh(account[1].access_token, ["test:expired"]))
    assert body["globalError"]["errorEnum"] == "TOKEN-EXPIRED"


def test_duplicate_device_ids_are_answered_once(app, account):
    body = post(app, stclient.state_refresh(account[1].access_token, ["test:ok", "test:ok"]))
    assert [d["externalDeviceId"] for d in body["deviceState"]] == ["test:ok"]


@pytest.mark.allow_invalid_states
def test_invalid_state_from_a_backend_is_dropped_not_emitted(app, account):
    body = post(app, stclient.state_refresh(account[1].access_token, ["test:invalid"]))
    assert "states" not in body["deviceState"][0]


@pytest.mark.parametrize("spec, enum", [
    ("fooBar.explode", "CAPABILITY-NOT-SUPPORTED"),
    ("switch.explode", "CAPABILITY-NOT-SUPPORTED"),
    ("switchLevel.setLevel:150", "RESOURCE-CONSTRAINT-VIOLATION"),
    ('switchLevel.setLevel:"50"', "RESOURCE-CONSTRAINT-VIOLATION"),
    ("colorTemperature.setColorTemperature:[]", "RESOURCE-CONSTRAINT-VIOLATION"),
])
def test_invalid_commands_are_refused_before_the_partner_hears(app, account, backend, spec, enum):
    payload = stclient.command(account[1].access_token, "test:ok",
                               [stclient.parse_command("switch.on"), stclient.parse_command(spec)])
    body = post(app, payload)
    assert body["deviceState"][0]["deviceError"][0]["errorEnum"] == enum
    assert backend.commands == []


def test_valid_commands_reach_the_backend_normalised(app, account, backend):
    payload = stclient.command(account[1].access_token, "test:ok",
                               [stclient.parse_command("switchLevel.setLevel:40.0")])
    body = post(app, payload)
    assert body["deviceState"][0]["states"][0]["value"] == "on"
    (request,) = backend.commands
    assert request.commands[0].arguments == (40,)


def test_a_backend_crashing_in_discovery_does_not_hide_the_others(config, backend, account):
    from connector.services import Services
    from connector.settings import Settings

    settings = Settings.from_env({}, **{**config, "request_deadline": 0.5})
    services = Services.build(settings, backends={"broken": CrashingBackend(), "test": backend})
    body = post(create_app(settings, services=services), stclient.discovery(account[1].access_token))
    assert [d["externalDeviceId"] for d in body["devices"]] == ["test:1"]

