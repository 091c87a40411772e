"""``connector smarthq devices|service|outcome``: what SmartHQ reports for an account, read
through the account's own link from the simulated SmartHQ cloud, never showing a token."""
from __future__ import annotations

import json

from click.testing import CliRunner

from connector.cli import main

from .conftest import process_env


def smarthq_cli(args, env, expect=0):
    result = CliRunner().invoke(main, ["smarthq", *args], env=env, catch_exceptions=False)
    assert result.exit_code == expect, result.output
    return result


def test_admin_sees_the_appliances_smarthq_reports(config, linked):
    out = smarthq_cli(["devices", "--account", linked.account_id], process_env(config)).stdout
    assert {d["deviceId"] for d in json.loads(out)} == {linked.id(k) for k in linked.devices}
    assert linked.smarthq_access not in out


def test_admin_reads_one_appliance_and_one_service(config, linked):
    env = process_env(config)
    item = json.loads(smarthq_cli(["devices", "--account", linked.account_id,
                                   "--device", linked.ext("refrigerator")], env).stdout)
    assert item["deviceId"] == linked.id("refrigerator")
    service_id = item["services"][0]["serviceId"]
    shown = json.loads(smarthq_cli(["service", "--account", linked.account_id, "--device",
                                    linked.id("refrigerator"), "--service", service_id], env).stdout)
    assert shown["serviceId"] == service_id


def test_unknown_appliance_and_unlinked_account_are_one_line_failures(config, linked, services):
    env = process_env(config)
    result = smarthq_cli(["devices", "--account", linked.account_id, "--device", "NOSUCH"], env,
                         expect=1)
    assert result.output.startswith("Error: SmartHQ:") and "Traceback" not in result.output
    other = services.accounts.create()
    result = smarthq_cli(["devices", "--account", other], env, expect=1)
    assert f"account {other} has no SmartHQ link" in result.output
