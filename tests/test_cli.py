"""The ``connector`` command: provisioning, admin views, check-config, playing SmartThings."""
from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time

import pytest
import requests
from click.testing import CliRunner
from flask import Flask, jsonify

from connector.cli import main
from connector.sandbox.server import ServerThread
from connector.store import Vault
from tests.test_settings import PRODUCTION_ENV


@pytest.fixture
def env(redis_url, redis_client):
    return {"REDIS_URL": redis_url, "CONNECTOR_SECRET_KEY": Vault.generate_key(), "LOG_LEVEL": "WARNING"}


def run(args, env, expect=0):
    result = CliRunner().invoke(main, args, env=env, catch_exceptions=False)
    assert result.exit_code == expect, result.output
    return result


def test_accounts_create_prints_account_and_token_usable_by_the_webhook(env, config):
    out = run(["accounts", "create", "--kasa-access-token", "kasa-secret-token",
               "--kasa-refresh-token", "kasa-secret-refresh"], env).stdout
    created = json.loads(out)
    assert set(created) >= {"account_id", "access_token"}
    assert created["links"] == ["kasa"]

    from connector import create_app, stclient

    app = create_app({**config, "secret_key": env["CONNECTOR_SECRET_KEY"]})
    resp = app.test_client().post("/st-schema", json=stclient.discovery(created["access_token"]))
    assert "globalError" not in resp.get_json()


def test_accounts_list_show_delete_never_print_secrets(env):
    created = json.loads(run(["accounts", "create", "--kasa-access-token", "kasa-secret-token",
                              "--smarthq-access-token", "shq-secret", "--smarthq-refresh-token",
                              "shq-refresh-secret"], env).stdout)
    account_id = created["account_id"]
    listing = run(["accounts", "list"], env).stdout
    assert account_id in listing and "partners=kasa,smarthq" in listing
    shown = run(["accounts", "show", account_id], env).stdout
    assert json.loads(shown)["account_id"] == account_id
    for text in (listing, shown):
        for secret in ("kasa-secret-token", "shq-secret", "shq-refresh-secret", created["access_token"]):
            assert secret not in text
    assert f"deleted {account_id}" in run(["accounts", "delete", account_id], env).stdout
    assert "no account" in run(["accounts", "show", account_id], env, expect=1).output


def test_accounts_create_refuses_half_a_smarthq_link(env):
    result = run(["accounts", "create", "--smarthq-access-token", "x"], env, expect=2)
    assert "go together" in result.output


def test_check_config_fails_for_an_incomplete_environment(env):
    result = run(["check-config"], {"REDIS_URL": "", "CONNECTOR_SECRET_KEY": ""}, expect=1)
    assert "CONNECTOR_SECRET_KEY: not set" in result.output


def test_check_config_passes_and_masks_secrets(monkeypatch):
    for key in list(os.environ):
        if key in PRODUCTION_ENV:
            monkeypatch.delenv(key)
    result = run(["check-config"], PRODUCTION_ENV)
    assert "ready for production" in result.output
    for secret in ("hunter2", "st-secret-value", "kasa-secret-value", PRODUCTION_ENV["CONNECTOR_SECRET_KEY"]):
        assert secret not in result.output


def test_check_config_names_malformed_variables(env):
    result = run(["check-config"], {**env, "KASA_POLL_SECONDS": "soon"}, expect=1)
    assert "KASA_POLL_SECONDS" in result.output


def test_check_config_names_malformed_event_listener_variables():
    env = {**PRODUCTION_ENV, "SMARTHQ_EVENTS_LEASE_SECONDS": "4", "SMARTHQ_EVENTS_TICK_SECONDS": "3"}
    result = run(["check-config"], env, expect=1)
    assert "lease_seconds must be at least twice tick_seconds" in result.output


def test_events_refuses_to_start_with_malformed_settings(env):
    result = CliRunner().invoke(main, ["events"], env={**env, "SMARTHQ_EVENTS_PING_SECONDS": "often"})
    assert result.exit_code == 1
    assert "SMARTHQ_EVENTS_PING_SECONDS: not a number" in result.output
    assert "Traceback" not in result.output


def test_events_status_shows_listeners_and_accounts(env):
    created = json.loads(run(["accounts", "create", "--smarthq-access-token", "t",
                              "--smarthq-refresh-token", "r"], env).stdout)
    shown = json.loads(run(["events", "--status"], env).stdout)
    assert shown == {"listeners": [], "accounts": {created["account_id"]: None}}


def test_st_discovery_validates_a_real_webhook(app, account):
    with ServerThread(app) as server:
        result = run(["st", "discovery", "--url", f"{server.url}/st-schema", "--token",
                      account[1].access_token], {})
    assert json.loads(result.stdout)["headers"]["interactionType"] == "discoveryResponse"
    assert "valid ST Schema response" in result.stderr


def test_st_command_exits_non_zero_on_an_invalid_response():
    broken = Flask("broken")

    @broken.post("/st-schema")
    def answer():
        return jsonify(headers={"schema": "st-schema", "version": "1.0",
                                "interactionType": "commandResponse", "requestId": "wrong"},
                       deviceState=[{"externalDeviceId": "x", "deviceError": {"errorEnum": "NOPE"}}])

    with ServerThread(broken) as server:
        result = run(["st", "command", "--url", f"{server.url}/st-schema", "--token", "t",
                      "--device", "x", "--command", "switch.on"], {}, expect=1)
    assert "INVALID" in result.stderr
    assert "requestId not echoed" in result.stderr


def test_st_command_rejects_a_malformed_command_spec():
    result = run(["st", "command", "--url", "http://127.0.0.1:1/st-schema", "--token", "t",
                  "--device", "x", "--command", "nodot"], {}, expect=2)
    assert "capability.command" in result.output


def test_sandbox_walkthrough_printed_for_a_newcomer_works():
    """The README's promise, as a user runs it: the console script in two terminals.

    Every ``connector st`` command the sandbox prints is run as printed: discovery lists
    the simulated Kasa devices, the bulb turns on, its colour is set, a refresh reads it.
    """
    exe = shutil.which("connector") or os.path.join(os.path.dirname(sys.executable), "connector")
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env["LOG_LEVEL"] = "WARNING"
    proc = subprocess.Popen([exe, "sandbox", "--port", str(_free_port())], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        lines = _read_until(proc, "Ctrl-C stops it.")
        commands = [shlex.split(line.strip()) for line in lines if line.strip().startswith("connector st ")]
        assert [c[2] for c in commands] == ["discovery", "command", "command", "refresh"]
        outputs = []
        for argv in commands:
            argv[0] = exe
            result = subprocess.run(argv, capture_output=True, text=True, timeout=30, env=env)
            assert result.returncode == 0, (argv, result.stderr)
            outputs.append(json.loads(result.stdout))
        discovered = {d["deviceHandlerType"] for d in outputs[0]["devices"]}
        assert {"c2c-rgbw-color-bulb", "c2c-switch-power-energy", "c2c-dimmer"} <= discovered
        bulb_states = {s["attribute"]: s["value"] for s in outputs[3]["deviceState"][0]["states"]}
        assert bulb_states["switch"] == "on" and bulb_states["hue"] == 50 and bulb_states["saturation"] == 100

        # The printed link URL starts SmartThings' account-linking flow (a browser test
        # walks the whole flow in tests/oauth).
        (link,) = [line.strip() for line in lines if "/oauth/authorize?" in line]
        page = requests.get(link, timeout=5)
        assert page.status_code == 200 and "Connect Kasa" in page.text

        # The printed curl lines: a change "in the Kasa app", then SmartThings' view of it.
        curls = [shlex.split(line.strip()) for line in lines if line.strip().startswith("curl ")]
        change, watch, start_washer, _ = curls
        requests.post(change[-1], data=change[change.index("-d") + 1],
                      headers={"Content-Type": "application/json"}, timeout=5).raise_for_status()
        plug = change[-1].rsplit("/", 2)[-2]
        _wait_for_state(watch[-1], f"kasa:{plug}", "switch", "on")

        # The washer started at the appliance: its Event Stream pushes the cycle.
        requests.post(start_washer[-1], timeout=5).raise_for_status()
        washer = start_washer[-1].rsplit("/", 2)[-2]
        _wait_for_state(watch[-1], f"smarthq:{washer}", "machineState", "run")
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)


def _wait_for_state(states_url, external_id, attribute, value, timeout=30):
    """Until the simulated SmartThings holds ``value`` for the device's attribute."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = requests.get(states_url, timeout=5).json()
        if any(s["external_id"] == external_id and s["attribute"] == attribute and s["value"] == value
               for s in states):
            return
        time.sleep(0.5)
    raise AssertionError(f"{external_id} {attribute}={value} never reached SmartThings: {states}")


def _free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _read_until(proc, needle, timeout=30):
    lines, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        lines.append(line)
        if needle in line:
            return lines
        if not line and proc.poll() is not None:
            break
    raise AssertionError(f"sandbox never printed {needle!r}: {lines}")
