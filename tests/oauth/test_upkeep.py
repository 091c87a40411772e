"""``connector refresh-tokens``: partner tokens expiring soon are refreshed, failures named."""
from __future__ import annotations

import time

import pytest
from click.testing import CliRunner

from connector.accounts import PartnerLink
from connector.cli import main
from connector.oauth.upkeep import parse_duration

HOUR = 3600


@pytest.mark.parametrize("text, seconds", [
    ("90", 90), ("90s", 90), ("30m", 1800), ("2h", 7200), ("1d", 86400), ("1.5h", 5400)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "2 weeks", "h", "-1h", "1w"])
def test_bad_durations(text):
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.fixture
def env(config, monkeypatch):
    """The CLI reads the environment: point it at the test Redis, key and Kasa sim."""
    values = {"REDIS_URL": config["redis_url"], "CONNECTOR_SECRET_KEY": config["secret_key"],
              "KASA_API_URL": config["kasa_api_url"], "KASA_OAUTH_URL": config["kasa_oauth_url"],
              "KASA_API_KEY": config["kasa_api_key"], "KASA_CLIENT_ID": config["kasa_client_id"],
              "KASA_CLIENT_SECRET": config["kasa_client_secret"], "LOG_LEVEL": "WARNING",
              "SMARTHQ_API_URL": config["smarthq_api_url"],
              "SMARTHQ_OAUTH_URL": config["smarthq_oauth_url"],
              "SMARTHQ_CLIENT_ID": config["smarthq_client_id"],
              "SMARTHQ_CLIENT_SECRET": config["smarthq_client_secret"]}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def kasa_link(kasa, user, expires_in):
    access, refresh, _ = kasa.cloud.issue_tokens(user)
    return PartnerLink("kasa", access, refresh, time.time() + expires_in, user.account_id)


def run(*args):
    return CliRunner().invoke(main, ["refresh-tokens", *args])


def test_refreshes_what_expires_within_the_window(env, services, kasa, kasa_user):
    soon = services.accounts.create([kasa_link(kasa, kasa_user, HOUR)])
    later = services.accounts.create([kasa_link(kasa, kasa_user, 5 * HOUR)])
    before = services.accounts.link(soon, "kasa")

    result = run("--within", "2h")
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.stdout.splitlines()}
    assert lines[soon].endswith("refreshed") and lines[later].endswith("ok")
    after = services.accounts.link(soon, "kasa")
    assert after.access_token != before.access_token and after.expires_at > before.expires_at
    assert kasa.cloud.count("oauth/access_token") == 1


def test_a_dead_refresh_token_fails_and_exits_non_zero(env, services, kasa, kasa_user):
    link = kasa_link(kasa, kasa_user, 60)
    kasa.cloud.revoke_refresh_token(link.refresh_token)
    account_id = services.accounts.create([link])

    result = run("--within", "30m")
    assert result.exit_code == 1
    assert f"{account_id}  kasa     failed: needs re-link" in result.stdout
    assert services.accounts.link(account_id, "kasa").needs_relink


def test_a_link_already_needing_relink_is_reported_without_calling_kasa(env, services, kasa):
    services.accounts.create([PartnerLink("kasa", "a", "r", time.time() + 60, "K", True)])
    result = run()
    assert result.exit_code == 1 and "failed: needs re-link" in result.stdout
    assert kasa.cloud.count("oauth/access_token") == 0


def test_a_transient_failure_is_a_failure_too(env, services, kasa, kasa_user):
    account_id = services.accounts.create([kasa_link(kasa, kasa_user, 60)])
    kasa.cloud.fail_next(1, 503, path="oauth/access_token")
    result = run("--within", "1h")
    assert result.exit_code == 1
    assert f"{account_id}  kasa     failed:" in result.stdout and "try again" in result.stdout
    assert not services.accounts.link(account_id, "kasa").needs_relink


def test_nothing_to_do_is_success(env, services):
    result = run("--within", "1d")
    assert result.exit_code == 0 and result.stdout == ""


def test_a_bad_window_is_a_usage_error(env):
    result = run("--within", "soon")
    assert result.exit_code == 2 and "not a duration" in result.output


def test_smarthq_tokens_are_refreshed_and_rotated(env, services, smarthq, smarthq_user):
    access, refresh, _ = smarthq.cloud.issue_tokens(smarthq_user)
    account_id = services.accounts.create([PartnerLink(
        "smarthq", access, refresh, time.time() + 120, smarthq_user.user_id)])
    result = run("--within", "10m")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().endswith("refreshed")
    link = services.accounts.link(account_id, "smarthq")
    assert link.access_token != access and link.refresh_token
