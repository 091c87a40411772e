"""Kasa end to end: SmartThings request → webhook → Kasa backend → simulated Kasa cloud (HTTP)."""
from __future__ import annotations

import json
import threading
import time

import pytest

from connector import stclient


def states_of(body, external_id):
    (entry,) = [d for d in body["deviceState"] if d["externalDeviceId"] == external_id]
    return entry


def value(entry, capability, attribute):
    for state in entry.get("states", []):
        if state["capability"] == capability and state["attribute"] == attribute:
            return state["value"]
    raise KeyError((capability, attribute))


def cmd(spec):
    return stclient.parse_command(spec)


def sim_device(kasa, external_id):
    return kasa.cloud.device(external_id.split(":", 1)[1])


# -- discovery ------------------------------------------------------------------------------


def test_discovery_lists_every_device_with_its_handler_type(webhook, linked):
    body = webhook(stclient.discovery(linked.token))
    by_id = {d["externalDeviceId"]: d for d in body["devices"]}
    assert set(by_id) == set(linked.devices.values())
    expected = {"HS100": "c2c-switch", "HS110": "c2c-switch-power-energy",
                "KP115": "c2c-switch-power-energy", "HS220": "c2c-dimmer",
                "KL120": "c2c-color-temperature-bulb", "KL130": "c2c-rgbw-color-bulb",
                "HS200": "c2c-switch"}
    for model, handler in expected.items():
        device = by_id[linked.ext(model)]
        assert device["deviceHandlerType"] == handler, model
        assert device["manufacturerInfo"]["manufacturerName"] == "TP-Link"
        assert device["manufacturerInfo"]["modelName"].startswith(model)
        assert device["manufacturerInfo"]["hwVersion"] and device["manufacturerInfo"]["swVersion"]
    mac = sim_device_mac = by_id[linked.ext("KL130")].get("deviceUniqueId")
    assert mac and len(sim_device_mac.split(":")) == 6


def test_discovery_sends_the_smartthings_request_id_to_kasa(webhook, linked, kasa):
    payload = stclient.discovery(linked.token)
    webhook(payload)
    (listed,) = kasa.cloud.requests(path="/devices$", method="GET")
    assert listed.request_id == payload["headers"]["requestId"]
    assert listed.headers["X-Api-Key"] and listed.headers["X-Client-Id"] == kasa.cloud.client_id


# -- state refresh ---------------------------------------------------------------------------


def test_refresh_mixing_healthy_offline_and_unknown_devices(webhook, linked):
    ids = [linked.ext("HS100"), linked.ext("HS200"), "kasa:NOSUCHDEVICE", linked.ext("KL130")]
    body = webhook(stclient.state_refresh(linked.token, ids))
    assert [d["externalDeviceId"] for d in body["deviceState"]] == ids
    plug = states_of(body, ids[0])
    assert value(plug, "st.switch", "switch") == "off"
    assert value(plug, "st.healthCheck", "healthStatus") == "online"
    offline = states_of(body, ids[1])
    assert offline["deviceError"][0]["errorEnum"] == "DEVICE-UNAVAILABLE"
    assert value(offline, "st.healthCheck", "healthStatus") == "offline"
    assert states_of(body, ids[2])["deviceError"][0]["errorEnum"] == "DEVICE-DELETED"
    assert value(states_of(body, ids[3]), "st.switch", "switch") == "on"


def test_refresh_converts_colour_level_and_energy(webhook, linked):
    ids = [linked.ext("KL130"), linked.ext("KL120"), linked.ext("HS220"), linked.ext("KP115")]
    body = webhook(stclient.state_refresh(linked.token, ids))
    bulb = states_of(body, ids[0])
    assert value(bulb, "st.colorControl", "hue") == round(240 / 3.6)  # Kasa 240° → 67 %
    assert value(bulb, "st.colorControl", "saturation") == 75
    assert value(bulb, "st.switchLevel", "level") == 60
    with pytest.raises(KeyError):  # colour mode reports 0 K: not sent as a temperature
        value(bulb, "st.colorTemperature", "colorTemperature")
    assert value(states_of(body, ids[1]), "st.colorTemperature", "colorTemperature") == 2700
    assert value(states_of(body, ids[2]), "st.switchLevel", "level") == 70
    meter = states_of(body, ids[3])
    power = [s for s in meter["states"] if s["attribute"] == "power"][0]
    energy = [s for s in meter["states"] if s["attribute"] == "energy"][0]
    assert power["unit"] == "W" and power["value"] == pytest.approx(65, rel=0.2)
    assert energy["unit"] == "kWh" and energy["value"] >= 0


def test_refresh_sees_a_change_made_in_the_kasa_app(webhook, linked, kasa):
    plug = linked.ext("HS100")
    kasa.cloud.change_state(plug.split(":", 1)[1], {"powered": True})
    body = webhook(stclient.state_refresh(linked.token, [plug]))
    assert value(states_of(body, plug), "st.switch", "switch") == "on"


def test_slow_device_gets_its_own_error_within_the_deadline(webhook, linked, kasa, services):
    slow, fast = linked.ext("HS220"), linked.ext("HS100")
    kasa.cloud.set_latency(services.settings.request_deadline + 2, device_id=slow.split(":", 1)[1])
    started = time.monotonic()
    body = webhook(stclient.state_refresh(linked.token, [slow, fast]))
    elapsed = time.monotonic() - started
    assert states_of(body, slow)["deviceError"][0]["errorEnum"] == "DEVICE-UNAVAILABLE"
    assert value(states_of(body, fast), "st.switch", "switch") == "off"
    assert elapsed < services.settings.request_deadline + 1


def test_a_429_is_retried_within_the_deadline(webhook, linked, kasa):
    kasa.cloud.fail_next(1, 429, path=r"/devices/[^/]+$")
    plug = linked.ext("HS100")
    body = webhook(stclient.state_refresh(linked.token, [plug]))
    assert value(states_of(body, plug), "st.switch", "switch") == "off"


def test_a_kasa_outage_is_device_unavailable(webhook, linked, kasa):
    kasa.cloud.fail_next(20, 503)
    plug = linked.ext("HS100")
    body = webhook(stclient.state_refresh(linked.token, [plug]))
    assert states_of(body, plug)["deviceError"][0]["errorEnum"] == "DEVICE-UNAVAILABLE"


# -- commands -------------------------------------------------------------------------------


def test_switch_on_and_off_reach_the_device(webhook, linked, kasa):
    plug = linked.ext("HS100")
    body = webhook(stclient.command(linked.token, plug, [cmd("switch.on")]))
    assert value(states_of(body, plug), "st.switch", "switch") == "on"
    assert sim_device(kasa, plug).powered is True
    body = webhook(stclient.command(linked.token, plug, [cmd("switch.off")]))
    assert value(states_of(body, plug), "st.switch", "switch") == "off"
    assert sim_device(kasa, plug).powered is False


def test_set_level_zero_turns_a_dimmer_off(webhook, linked, kasa):
    dimmer = linked.ext("HS220")
    body = webhook(stclient.command(linked.token, dimmer, [cmd("switchLevel.setLevel:0")]))
    assert value(states_of(body, dimmer), "st.switch", "switch") == "off"
    assert sim_device(kasa, dimmer).powered is False


def test_set_color_converts_hue_to_degrees(webhook, linked, kasa):
    bulb = linked.ext("KL130")
    body = webhook(stclient.command(linked.token, bulb,
                                    [cmd('colorControl.setColor:{"hue": 50, "saturation": 40}')]))
    device = sim_device(kasa, bulb)
    assert device.hue == 180 and device.saturation == 40
    entry = states_of(body, bulb)
    assert value(entry, "st.colorControl", "hue") == 50
    assert value(entry, "st.colorControl", "saturation") == 40


def test_level_colour_and_on_coalesce_into_few_kasa_calls(webhook, linked, kasa):
    bulb = linked.ext("KL130")
    kasa.cloud.clear_requests()
    webhook(stclient.command(linked.token, bulb, [
        cmd("switchLevel.setLevel:30"), cmd("colorControl.setHue:25"),
        cmd("colorControl.setSaturation:90"), cmd("switch.on")]))
    writes = kasa.cloud.requests(method="POST")
    assert [r.path.rsplit("/", 1)[1] for r in writes] in (["color"], ["color", "power"])
    device = sim_device(kasa, bulb)
    assert (device.hue, device.saturation, device.brightness, device.powered) == (90, 90, 30, True)


def test_colour_temperature_is_clamped_to_the_bulb_range(webhook, linked, kasa):
    bulb = linked.ext("KL120")  # 2700–5000 K
    body = webhook(stclient.command(linked.token, bulb, [cmd("colorTemperature.setColorTemperature:6500")]))
    assert sim_device(kasa, bulb).color_temperature == 5000
    assert value(states_of(body, bulb), "st.colorTemperature", "colorTemperature") == 5000


@pytest.mark.parametrize("model, spec, enum", [
    ("HS100", 'colorControl.setColor:{"hue": 10, "saturation": 10}', "CAPABILITY-NOT-SUPPORTED"),
    ("HS100", "switchLevel.setLevel:50", "CAPABILITY-NOT-SUPPORTED"),
    ("HS220", "switchLevel.setLevel:150", "RESOURCE-CONSTRAINT-VIOLATION"),
    ("KL130", "colorControl.setHue:101", "RESOURCE-CONSTRAINT-VIOLATION"),
    ("KL120", "colorTemperature.setColorTemperature:40000", "RESOURCE-CONSTRAINT-VIOLATION"),
])
def test_refused_commands_never_reach_kasa_writes(webhook, linked, kasa, model, spec, enum):
    device = linked.ext(model)
    kasa.cloud.clear_requests()
    body = webhook(stclient.command(linked.token, device, [cmd(spec)]))
    assert states_of(body, device)["deviceError"][0]["errorEnum"] == enum
    assert kasa.cloud.requests(method="POST") == []


def test_command_to_an_offline_device_reports_it_offline(webhook, linked):
    porch = linked.ext("HS200")
    body = webhook(stclient.command(linked.token, porch, [cmd("switch.on")]))
    entry = states_of(body, porch)
    assert entry["deviceError"][0]["errorEnum"] == "DEVICE-UNAVAILABLE"
    assert value(entry, "st.healthCheck", "healthStatus") == "offline"


def test_refresh_command_reads_the_device_back(webhook, linked, kasa):
    plug = linked.ext("HS100")
    kasa.cloud.change_state(plug.split(":", 1)[1], {"powered": True})
    body = webhook(stclient.command(linked.token, plug, [cmd("refresh.refresh")]))
    assert value(states_of(body, plug), "st.switch", "switch") == "on"


# -- tokens ---------------------------------------------------------------------------------


def test_expired_kasa_token_is_refreshed_and_persisted(webhook, linked, kasa, services):
    kasa.cloud.expire_token(linked.kasa_access)
    plug = linked.ext("HS100")
    body = webhook(stclient.state_refresh(linked.token, [plug]))
    assert value(states_of(body, plug), "st.switch", "switch") == "off"
    link = services.accounts.link(linked.account_id, "kasa")
    assert link.access_token != linked.kasa_access and not link.needs_relink
    assert kasa.cloud.count(path="/oauth/access_token") == 1


def test_concurrent_requests_refresh_the_token_once(app, linked, kasa, services):
    kasa.cloud.expire_token(linked.kasa_access)
    plug = linked.ext("HS100")
    results = []

    def refresh():
        client = app.test_client()
        resp = client.post("/st-schema", json=stclient.state_refresh(linked.token, [plug]))
        results.append(resp.get_json())

    threads = [threading.Thread(target=refresh) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(value(states_of(r, plug), "st.switch", "switch") == "off" for r in results)
    assert kasa.cloud.count(path="/oauth/access_token") == 1


def test_dead_refresh_token_is_token_expired_and_marks_the_link(webhook, linked, kasa, services):
    kasa.cloud.expire_token(linked.kasa_access)
    kasa.cloud.revoke_refresh_token(linked.kasa_refresh)
    body = webhook(stclient.state_refresh(linked.token, [linked.ext("HS100")]))
    assert body["globalError"]["errorEnum"] == "TOKEN-EXPIRED"
    assert services.accounts.link(linked.account_id, "kasa").needs_relink
    # Later requests fail fast without asking Kasa again.
    kasa.cloud.clear_requests()
    assert webhook(stclient.discovery(linked.token))["globalError"]["errorEnum"] == "TOKEN-EXPIRED"
    assert kasa.cloud.count() == 0


# -- admin commands -------------------------------------------------------------------------


@pytest.fixture
def cli_env(config, services):
    """The environment under which `connector …` sees the same store and Kasa cloud."""
    env_names = {"redis_url": "REDIS_URL", "secret_key": "CONNECTOR_SECRET_KEY",
                 "kasa_api_url": "KASA_API_URL", "kasa_oauth_url": "KASA_OAUTH_URL",
                 "kasa_api_key": "KASA_API_KEY", "kasa_client_id": "KASA_CLIENT_ID",
                 "kasa_client_secret": "KASA_CLIENT_SECRET"}
    return {env: str(config[name]) for name, env in env_names.items()} | {"LOG_LEVEL": "WARNING"}


def kasa_cli(args, env, expect=0):
    from click.testing import CliRunner

    from connector.cli import main

    result = CliRunner().invoke(main, ["kasa", *args], env=env, catch_exceptions=False)
    assert result.exit_code == expect, result.output
    return result


def test_admin_sees_the_devices_kasa_reports(cli_env, linked):
    out = kasa_cli(["devices", "--account", linked.account_id], cli_env).stdout
    listed = {d["id"] for d in json.loads(out)["devices"]}
    assert listed == {ext.split(":", 1)[1] for ext in linked.devices.values()}
    assert linked.kasa_access not in out


def test_admin_sees_energy_runtime_and_schedules(cli_env, linked):
    plug = linked.ext("KP115")
    day = json.loads(kasa_cli(["energy", "--account", linked.account_id, "--device", plug], cli_env).stdout)
    assert day["energyStats"]
    month = json.loads(kasa_cli(["runtime", "--account", linked.account_id, "--device", plug,
                                 "--by", "month"], cli_env).stdout)
    assert month["runtimeStats"]
    live = json.loads(kasa_cli(["energy", "--account", linked.account_id, "--device", plug, "--realtime"],
                               cli_env).stdout)
    assert live
    schedules = json.loads(kasa_cli(["schedules", "--account", linked.account_id, "--device", plug],
                                    cli_env).stdout)
    assert "schedules" in schedules


def test_admin_command_reports_a_kasa_error_cleanly(cli_env, linked):
    result = kasa_cli(["energy", "--account", linked.account_id, "--device", linked.ext("HS200")],
                      cli_env, expect=1)
    assert "Kasa:" in result.output and "Traceback" not in result.output


def test_admin_command_for_an_unlinked_account_says_so(cli_env, services):
    account_id = services.accounts.create()
    result = kasa_cli(["devices", "--account", account_id], cli_env, expect=1)
    assert "no Kasa link" in result.output
