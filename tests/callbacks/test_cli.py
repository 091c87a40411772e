"""``connector callbacks pending|failed|retry``: what waits is visible, what failed replayable."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from connector.callbacks import publish as publishing
from connector.cli import main
from tests.callbacks.conftest import FAST, ST_CLIENT_SECRET, drain, failed, grant, switch
from tests.conftest import ST_CLIENT_ID


@pytest.fixture
def env(config, redis_url):
    return {"REDIS_URL": redis_url, "CONNECTOR_SECRET_KEY": config["secret_key"],
            "ST_CLIENT_ID": ST_CLIENT_ID, "ST_CLIENT_SECRET": ST_CLIENT_SECRET,
            "CALLBACK_ALLOWED_HOSTS": "127.0.0.1", "LOG_LEVEL": "WARNING"}


def run(args, env):
    result = CliRunner().invoke(main, args, env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture
def given_up(granted, services, sim):
    """SmartThings was down through the whole retry budget: one failed job (a retry is
    scheduled all the same)."""
    account_id, inst, _ = granted
    sim.cloud.set_down(True)
    publishing.publish(services, account_id, [switch("kasa:PLUG1", "on")], policy=FAST)
    drain(services, until=lambda: failed(services))
    assert len(failed(services)) == 1
    return account_id, inst


def test_pending_shows_what_waits_per_installation_and_why(given_up, env, services):
    _, inst = given_up
    text = run(["callbacks", "pending"], env)
    assert inst in text and "1 pending (states=1" in text and "parked" not in text
    assert "HTTP 503" in text
    [row] = json.loads(run(["callbacks", "pending", "--json"], env))
    assert (row["installation"], row["states"]) == (inst, 1)
    assert row["attempt"] >= FAST.retry_budget and row["failed_job"] == failed(services)[0]


def test_pending_shows_a_parked_installation(granted, env, services, sim):
    account_id, inst, _ = granted
    sim.cloud.fail_next(400, 1)  # refused: retrying cannot help
    publishing.publish(services, account_id, [switch("kasa:PLUG1", "on")], policy=FAST)
    drain(services)
    [row] = json.loads(run(["callbacks", "pending", "--json"], env))
    assert row["flush"].startswith("parked") and "HTTP 400" in row["parked_reason"]


def test_pending_says_so_when_nothing_waits(granted, env):
    assert run(["callbacks", "pending"], env).strip() == "nothing pending"


def test_failed_lists_the_job_with_its_reason(given_up, env, services):
    _, inst = given_up
    [job_id] = failed(services)
    [row] = json.loads(run(["callbacks", "failed", "--json"], env))
    assert (row["job"], row["kind"], row["installation"]) == (job_id, "flush", inst)
    assert "DeliveryFailed" in row["reason"] and "HTTP 503" in row["reason"]
    assert "entries kept pending" in run(["callbacks", "failed"], env)


def test_retry_replays_failed_jobs_and_delivers_what_waited(given_up, env, services, sim):
    account_id, inst = given_up
    publishing.publish(services, account_id, [switch("kasa:PLUG1", "off")], policy=FAST)
    sim.cloud.set_down(False)
    text = run(["callbacks", "retry"], env)
    assert f"flush  installation={inst}" in text
    drain(services)
    assert sim.cloud.latest_state("kasa:PLUG1", "st.switch", "switch").value == "off"
    assert failed(services) == []
    assert run(["callbacks", "failed"], env).strip() == "no failed callback jobs"
    assert run(["callbacks", "pending"], env).strip() == "nothing pending"


def test_retry_during_the_outage_keeps_its_report(given_up, env, services, sim):
    [job_id] = failed(services)
    run(["callbacks", "retry"], env)  # SmartThings is still down; a flush keeps retrying
    assert failed(services) == [job_id]
    sim.cloud.set_down(False)
    drain(services)  # delivered at last: the report clears itself
    assert failed(services) == []


def test_retry_of_one_job_by_id(given_up, env, services, sim):
    [job_id] = failed(services)
    sim.cloud.set_down(False)
    assert job_id in run(["callbacks", "retry", job_id], env)
    drain(services)
    assert sim.cloud.counts()["callbacks_accepted"] == 1


def test_retry_of_a_failed_exchange_obtains_the_tokens(client, account, env, services, sim, fast):
    _, issued = account
    sim.cloud.fail_next(503, fast.exchange_retry_budget, target="token")
    grant(client, sim, issued.access_token)
    drain(services)
    [row] = json.loads(run(["callbacks", "failed", "--json"], env))
    assert row["kind"] == "exchange"
    run(["callbacks", "retry"], env)
    drain(services)
    assert services.accounts.callback_tokens(issued.installation_id)
    assert failed(services) == []


def test_retry_with_nothing_failed(granted, env):
    assert run(["callbacks", "retry"], env).strip() == "nothing to retry"


def test_retry_of_an_unknown_job_says_so(granted, env):
    result = CliRunner().invoke(main, ["callbacks", "retry", "no-such-job"], env=env)
    assert result.exit_code == 1 and "not in the failed registry: no-such-job" in result.output
