"""The callback leg's test bench: the simulated SmartThings cloud over HTTP, real Redis,
real RQ workers (in-process SimpleWorker in burst mode), and a fast delivery policy."""
from __future__ import annotations

import time

import pytest
from rq import Queue
from rq.registry import FailedJobRegistry, ScheduledJobRegistry

from connector.callbacks import policy as policy_module
from connector.callbacks import queues
from connector.callbacks.pending import Pending
from connector.callbacks.policy import DeliveryPolicy
from connector.callbacks.worker import SWEEP_INTERVAL, SimpleCallbackWorker
from connector.model import DeviceResult, State
from connector.sandbox.smartthings import SimulatedSmartThings
from tests.conftest import ST_CLIENT_ID

ST_CLIENT_SECRET = "st-client-secret-for-tests"

# Short waits everywhere: a test's back-off is milliseconds, its lease a few seconds.
FAST = DeliveryPolicy(retry_budget=5, exchange_retry_budget=3, backoff_base=0.02,
                      backoff_cap=0.1, lease=5.0, read_timeout=2.0, connect_timeout=1.0)


@pytest.fixture(scope="session")
def st_server():
    # One server for the session: stopping a werkzeug server takes a moment.
    with SimulatedSmartThings(ST_CLIENT_ID, ST_CLIENT_SECRET) as sim:
        yield sim


@pytest.fixture
def sim(st_server):
    """The simulated SmartThings cloud, fresh for each test."""
    st_server.cloud.reset()
    st_server.cloud.access_token_ttl = 86400
    st_server.cloud.rotate_refresh_tokens = False
    yield st_server
    st_server.cloud.reset()


@pytest.fixture
def fast(monkeypatch):
    """The fast policy, also for jobs the webhook starts (they read the settings)."""
    monkeypatch.setattr(policy_module.DeliveryPolicy, "from_settings",
                        classmethod(lambda cls, settings: FAST))
    return FAST


@pytest.fixture(autouse=True)
def no_installed_services():
    yield
    queues.install(None)


@pytest.fixture
def store(services):
    return Pending(services.redis)


class BurstWorker(SimpleCallbackWorker):
    """The in-process worker, without the pub/sub listener for ``rq`` control commands:
    nobody sends those in a test, and stopping its thread costs up to a second a run."""

    def subscribe(self):
        self.pubsub_thread = None

    def unsubscribe(self):
        pass


def run_burst(services, names=queues.QUEUES) -> None:
    queues.install(services)
    worker = BurstWorker([queues.queue(services, n) for n in names],
                         connection=queues.connection(services),
                         maintenance_interval=SWEEP_INTERVAL)
    worker.work(burst=True, with_scheduler=True, logging_level="WARNING")


def busy(services) -> bool:
    """True while a callback job is queued or scheduled."""
    for name in queues.QUEUES:
        q = queues.queue(services, name)
        if q.count or ScheduledJobRegistry(queue=q).count:
            return True
    return False


def drain(services, *, timeout: float = 15.0, until=None) -> None:
    """Run burst workers until no job is queued or scheduled, or until ``until()`` holds.

    A burst worker stops as soon as its queues are empty, so jobs scheduled for later
    (back-off retries) need another round once they are due.
    """
    deadline = time.monotonic() + timeout
    while True:
        run_burst(services)
        if until() if until is not None else not busy(services):
            return
        if time.monotonic() > deadline:
            raise TimeoutError("callback jobs still pending")
        time.sleep(0.05)


def failed(services) -> list:
    jobs = []
    for name in queues.QUEUES:
        jobs += FailedJobRegistry(queue=queues.queue(services, name)).get_job_ids()
    return jobs


def queued(services, name: str = queues.DEFAULT) -> list[str]:
    return Queue(name, connection=queues.connection(services)).get_job_ids()


def grant(client, sim, partner_token: str) -> dict:
    """SmartThings sends grantCallbackAccess to the webhook, as after account linking."""
    payload = sim.grant_callback_access(partner_token)
    resp = client.post("/st-schema", json=payload)
    assert "globalError" not in resp.get_json(), resp.get_json()
    return payload


@pytest.fixture
def granted(client, sim, services, account, fast):
    """An installation with callback tokens: (account_id, installation_id, partner token)."""
    account_id, issued = account
    grant(client, sim, issued.access_token)
    drain(services)
    assert services.accounts.callback_tokens(issued.installation_id)
    return account_id, issued.installation_id, issued.access_token


def switch(device: str, value: str, timestamp: int | None = None) -> DeviceResult:
    return DeviceResult(device, [State("st.switch", "switch", value, timestamp=timestamp)])


def level(device: str, value: int, timestamp: int | None = None) -> DeviceResult:
    return DeviceResult(device, [State("st.switchLevel", "level", value, unit="%",
                                       timestamp=timestamp)])
