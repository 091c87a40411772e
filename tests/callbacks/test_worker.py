"""The worker: a real ``connector worker`` process killed mid-flush loses nothing, and the
sweep restarts flushes whose owner died."""
from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from connector.callbacks import publish as publishing
from connector.callbacks import queues
from tests.callbacks.conftest import FAST, ST_CLIENT_SECRET, drain, level, switch
from tests.conftest import ST_CLIENT_ID
from tests.waiting import wait_for


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (RQ's work horse runs in a process group of its own)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if parent == pid:
            child = int(stat.parent.name)
            found += [child, *descendants(child)]
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie is dead, only not yet reaped by its new parent


def kill_all(pid: int) -> None:
    """SIGKILL a worker and everything it started at once, as a machine or container dies."""
    for victim in [*descendants(pid), pid]:  # collected first: orphans get a new parent
        try:
            os.kill(victim, signal.SIGKILL)
        except ProcessLookupError:
            pass


def connector_command() -> list[str]:
    script = Path(sys.executable).with_name("connector")
    return [str(script)] if script.exists() else [shutil.which("connector") or "connector"]


@pytest.fixture
def worker_env(config, redis_url):
    """The environment of a production worker process pointed at the test Redis."""
    return {**os.environ, "REDIS_URL": redis_url, "CONNECTOR_SECRET_KEY": config["secret_key"],
            "ST_CLIENT_ID": ST_CLIENT_ID, "ST_CLIENT_SECRET": ST_CLIENT_SECRET,
            "CALLBACK_ALLOWED_HOSTS": "*.smartthings.com,127.0.0.1", "LOG_LEVEL": "WARNING"}


def test_worker_killed_with_sigkill_mid_flush_loses_nothing(granted, services, sim, store,
                                                           worker_env):
    account_id, inst, _ = granted
    policy = dataclasses.replace(FAST, lease=2.0)
    published = [switch("kasa:PLUG1", "on"), level("kasa:BULB", 70)]
    publishing.publish(services, account_id, published, policy=policy)
    before = store.snapshot(inst)
    sim.cloud.set_latency(3.0, target="callback")  # the callback hangs in flight

    worker = subprocess.Popen(connector_command() + ["worker"], env=worker_env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: store.status(inst).get("in_flight"), timeout=20)
        horses = descendants(worker.pid)
        kill_all(worker.pid)
    finally:
        if worker.poll() is None:
            kill_all(worker.pid)
        worker.wait(timeout=10)
    assert horses  # the work horse (and RQ's scheduler) ...
    assert wait_for(lambda: not [pid for pid in horses if alive(pid)], timeout=5)  # ... died too

    assert store.snapshot(inst) == before  # nothing was acknowledged, nothing lost
    sim.cloud.set_latency(0)
    assert wait_for(lambda: store.owner(inst) is None, timeout=5)  # the dead owner's lease lapses
    drain(services)  # a new worker: its sweep restarts the flush

    assert store.snapshot(inst) == {}
    latest = {(s.external_id, s.attribute): s.value for s in sim.cloud.latest_states().values()}
    assert latest == {("kasa:PLUG1", "switch"): "on", ("kasa:BULB", "level"): 70}
    # At least once: the killed request may also have landed, but nothing beyond it.
    deliveries = sim.cloud.deliveries("stateCallback")
    assert 1 <= len(deliveries) <= 2
    assert all(len(d.states) == 2 for d in deliveries)


def test_sweep_restarts_a_flush_whose_owner_vanished(granted, services, sim, store):
    account_id, inst, _ = granted
    publishing.publish(services, account_id, [switch("kasa:PLUG1", "on")], policy=FAST)
    # The job is lost (a publisher died before enqueueing, or Redis lost the queue).
    queues.queue(services, queues.DEFAULT).empty()
    store.r.delete(f"stc:cb:flush:{inst}")  # ... and its lease lapsed
    drain(services)
    assert sim.cloud.latest_state("kasa:PLUG1", "st.switch", "switch").value == "on"


def test_a_job_that_lost_its_lease_steps_aside(granted, services, sim, store):
    account_id, inst, _ = granted
    publishing.publish(services, account_id, [switch("kasa:PLUG1", "on")], policy=FAST)
    store.r.set(f"stc:cb:flush:{inst}", "someone-else")  # a newer owner took over
    drain(services)
    assert sim.cloud.deliveries() == []
    assert len(store.snapshot(inst)) == 1  # left for the owner


def test_connector_worker_burst_delivers_pending_callbacks(granted, services, sim, worker_env):
    account_id, _, _ = granted
    publishing.publish(services, account_id, [switch("kasa:PLUG1", "off")], policy=FAST)
    done = subprocess.run(connector_command() + ["worker", "--burst"], env=worker_env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert sim.cloud.latest_state("kasa:PLUG1", "st.switch", "switch").value == "off"
