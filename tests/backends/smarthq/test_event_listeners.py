"""Sharing the Event Streams among ``connector events`` processes: leases in a real Redis,
fair shares, a clean hand-over on shutdown, and a SIGKILLed process's accounts taken over
by another one within the bound, after which changes reach SmartThings again."""
from __future__ import annotations

import dataclasses
import signal
import subprocess
import sys
import threading
import time

import pytest
import redis

from connector.accounts import PartnerLink
from connector.backends.smarthq import events
from connector.backends.smarthq.events import EventListeners, listening_accounts, status
from connector.backends.smarthq.leases import Leases, lease_key
from tests.backends.smarthq.conftest import process_env
from tests.backends.smarthq.test_events import QUICK, arrives, door
from tests.waiting import wait_for
from tests.callbacks.conftest import drain, fast, grant, sim, st_server  # noqa: F401  (fixtures)


# -- leases ----------------------------------------------------------------------------------


def test_a_lease_has_one_holder(redis_client):
    a, b = Leases(redis_client, "a", 5), Leases(redis_client, "b", 5)
    assert a.claim("acct")
    assert not b.claim("acct")
    assert b.holders(["acct", "other"]) == {"acct": "a", "other": None}


def test_only_the_holder_renews_or_releases(redis_client):
    a, b = Leases(redis_client, "a", 5), Leases(redis_client, "b", 5)
    a.claim("acct")
    assert b.renew(["acct"]) == {"acct"}  # not b's
    assert b.release(["acct"]) == 0
    assert a.renew(["acct"]) == set()
    assert a.release(["acct"]) == 1
    assert b.claim("acct")


def test_a_lease_not_renewed_lapses(redis_client):
    a, b = Leases(redis_client, "a", 0.2), Leases(redis_client, "b", 5)
    a.claim("acct")
    assert not b.claim("acct")
    time.sleep(0.3)
    assert b.claim("acct")
    assert a.renew(["acct"]) == {"acct"}  # a learns it lost it, and cannot take it back


def test_heartbeats_count_the_live_listeners(redis_client):
    a, b = Leases(redis_client, "a", 0.2), Leases(redis_client, "b", 5)
    assert a.heartbeat() == 1
    assert b.heartbeat() == 2
    time.sleep(0.3)
    assert b.heartbeat() == 1  # a stopped beating
    b.leave()
    assert b.listeners() == []


# -- the process's share ---------------------------------------------------------------------


class QuietListener:
    """Stands in for AccountListener where only the sharing is under test: no socket."""

    def __init__(self, services, account_id, config):
        self.account_id = account_id
        self.alive = False
        self.link_expired = False

    def start(self):
        self.alive = True
        return self

    def signal_stop(self):
        self.alive = False

    def join(self, timeout=None):
        pass


def link_accounts(services, count: int) -> list[str]:
    return [services.accounts.create([PartnerLink("smarthq", f"token-{i}", f"refresh-{i}",
                                                  time.time() + 3600, f"user-{i}")])
            for i in range(count)]


def test_only_accounts_with_a_live_smarthq_link_are_listened_to(services):
    kasa_only = services.accounts.create([PartnerLink("kasa", "k", "r", time.time() + 3600, "k1")])
    linked, relink = link_accounts(services, 2)
    link = services.accounts.link(relink, "smarthq")
    services.accounts.set_link(relink, dataclasses.replace(link, needs_relink=True))
    assert listening_accounts(services) == [linked]
    assert kasa_only not in listening_accounts(services)


def test_two_processes_split_the_accounts_and_a_newcomer_gets_its_share(services):
    accounts = set(link_accounts(services, 6))
    first = EventListeners(services, QUICK, owner="first", listener=QuietListener)
    first.tick()
    assert set(first.running) == accounts  # alone: every account
    second = EventListeners(services, QUICK, owner="second", listener=QuietListener)
    second.tick()  # sees two listeners; nothing is free yet
    first.tick()  # gives up its surplus
    second.tick()  # and the newcomer claims it
    assert len(first.running) == len(second.running) == 3
    assert set(first.running) | set(second.running) == accounts
    holders = status(services)["accounts"]
    assert {holders[a] for a in first.running} == {"first"}
    assert sorted(status(services)["listeners"]) == ["first", "second"]


def test_max_accounts_caps_a_process(services):
    link_accounts(services, 5)
    listeners = EventListeners(services, QUICK.replace(max_accounts=2), listener=QuietListener)
    listeners.tick()
    assert len(listeners.running) == 2


def test_shutdown_hands_the_accounts_over_at_once(services):
    accounts = set(link_accounts(services, 3))
    first = EventListeners(services, QUICK, owner="first", listener=QuietListener)
    first.tick()
    first.shutdown()
    assert status(services)["listeners"] == []
    second = EventListeners(services, QUICK, owner="second", listener=QuietListener)
    second.tick()  # no lease to wait for
    assert set(second.running) == accounts


def test_an_unlinked_account_is_let_go(services):
    account, = link_accounts(services, 1)
    listeners = EventListeners(services, QUICK, listener=QuietListener)
    listeners.tick()
    assert account in listeners.running
    services.accounts.remove_link(account, "smarthq")
    listeners.tick()  # at once: unlinking changed the links version
    assert listeners.running == {}
    assert status(services)["accounts"] == {}


def test_a_new_link_is_listened_to_at_the_next_tick_not_the_next_scan(services):
    listeners = EventListeners(services, QUICK.replace(scan_seconds=3600), listener=QuietListener)
    listeners.tick()
    assert listeners.running == {}
    account, = link_accounts(services, 1)
    listeners.tick()
    assert list(listeners.running) == [account]


def test_a_token_refresh_does_not_count_as_a_link_change(services):
    account, = link_accounts(services, 1)
    before = services.accounts.links_version("smarthq")
    link = services.accounts.link(account, "smarthq")
    services.accounts.set_link(account, dataclasses.replace(link, access_token="refreshed"))
    assert services.accounts.links_version("smarthq") == before
    services.accounts.set_link(account, dataclasses.replace(link, needs_relink=True))
    assert services.accounts.links_version("smarthq") > before


def test_an_account_whose_listener_ended_is_released_until_linked_again(services):
    account, = link_accounts(services, 1)
    listeners = EventListeners(services, QUICK, listener=QuietListener)
    listeners.tick()
    listeners.running[account].alive = False  # its link died
    listeners.tick()
    assert account not in listeners.running
    assert Leases(services.redis, "x", 1).holders([account]) == {account: None}


def test_an_unreadable_link_skips_its_account_and_not_the_others(services):
    broken, healthy = link_accounts(services, 2)
    # As after a secret-key rotation that dropped the old key: the record cannot be opened.
    services.redis.hset(services.accounts._k("acct", broken, "links"), "smarthq", "not-a-fernet-token")
    assert listening_accounts(services) == [healthy]
    listeners = EventListeners(services, QUICK, listener=QuietListener)
    listeners.tick()
    assert list(listeners.running) == [healthy]


def test_a_crashing_tick_costs_one_tick_not_the_process(services):
    account, = link_accounts(services, 1)
    starts = []

    def flaky(*args):
        starts.append(args)
        if len(starts) == 1:
            raise RuntimeError("a bug in starting a listener")
        return QuietListener(*args)

    listeners = EventListeners(services, QUICK.replace(tick_seconds=0.05), listener=flaky)
    thread = threading.Thread(target=listeners.run, daemon=True)
    thread.start()
    try:
        assert wait_for(lambda: account in listeners.running)
        assert thread.is_alive() and len(starts) >= 2
    finally:
        listeners.stop()
        thread.join(5)
    assert not thread.is_alive() and listeners.running == {}


class StuckListener(QuietListener):
    """A listener whose thread is stuck in a partner call: it never ends when asked."""
    waits: list

    def signal_stop(self):
        pass

    def join(self, timeout=None):
        self.waits.append(timeout)
        time.sleep(timeout)


def test_letting_go_waits_a_bounded_time_in_all_however_many_listeners_are_stuck(
        services, monkeypatch):
    monkeypatch.setattr(events, "STOP_WAIT_SECONDS", 0.3)
    accounts = link_accounts(services, 6)
    waits = []
    StuckListener.waits = waits
    listeners = EventListeners(services, QUICK, owner="first", listener=StuckListener)
    listeners.tick()
    listeners.shutdown()
    # One shared deadline: the first join takes it all, the others wait no more.
    assert len(waits) == 6 and sum(waits) <= 0.3
    assert Leases(services.redis, "x", 1).holders(accounts) == {a: None for a in accounts}


def test_leases_are_renewed_even_when_the_account_scan_fails(services, monkeypatch):
    account, = link_accounts(services, 1)
    listeners = EventListeners(services, QUICK, owner="first", listener=QuietListener)
    listeners.tick()
    services.redis.pexpire(lease_key(account), 100)  # about to lapse

    def unreachable(*_):
        raise redis.ConnectionError("scan failed")

    monkeypatch.setattr(services.accounts, "links_version", unreachable)
    with pytest.raises(redis.ConnectionError):
        listeners.tick()
    assert services.redis.pttl(lease_key(account)) > 1000  # renewed to a whole lease first


# -- a killed process -----------------------------------------------------------------------


@pytest.fixture
def installed(client, sim, services, linked, fast):  # noqa: F811
    grant(client, sim, linked.token)
    drain(services)
    return linked


def test_a_killed_listener_is_taken_over_within_the_bound(services, installed, sim, smarthq, config):  # noqa: F811
    account = installed.account_id
    proc = subprocess.Popen([sys.executable, "-m", "connector.cli", "events"], env=process_env(config, events=QUICK),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        holder = wait_for(lambda: status(services)["accounts"].get(account), timeout=20)
        assert holder and holder.split(":")[1] == str(proc.pid)
        assert wait_for(lambda: len(smarthq.cloud.sockets(installed.user)) == 1, timeout=20)
        proc.send_signal(signal.SIGKILL)
        proc.wait(5)
        killed_at = time.monotonic()
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stderr.close()

    survivor = EventListeners(services, QUICK, owner="survivor")
    try:
        while survivor.running.get(account) is None and time.monotonic() - killed_at < 10:
            survivor.tick()
            time.sleep(QUICK.tick_seconds)
        taken_after = time.monotonic() - killed_at
        assert account in survivor.running
        assert taken_after <= QUICK.takeover_bound + 1.0, taken_after
        assert survivor.running[account].ready.wait(10)
        # The dead process's socket is gone; the survivor's carries the events now.
        fridge = installed.ext("refrigerator")
        door(smarthq, installed, True)
        assert arrives(services, sim, fridge, "st.contactSensor", "contact", "open")
    finally:
        survivor.shutdown()
