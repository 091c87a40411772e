"""``connector events`` (Procfile ``events``): this process's share of the Event Streams.

Every ``tick_seconds`` the process renews its heartbeat and its accounts' leases, reads
the list of linked accounts again if a link was made or lost (or ``scan_seconds`` went
by), stops the listeners whose lease was lost or whose account is gone, and claims free
accounts up to its fair share (linked accounts ÷ live listeners, at most ``max_accounts``),
starting an ``AccountListener`` for each. Holding more than the fair share (another
process just started) releases the surplus, which the newcomer claims on its own next
tick: the accounts spread out without any coordinator. A listener that dies stops
renewing; within ``config.takeover_bound`` seconds its accounts are listening again
elsewhere, and their re-read publishes whatever changed meanwhile.

An account takes part while it has a SmartHQ link that does not need re-linking; a
listener whose link died ends, and the account waits for the user to link again.
"""
from __future__ import annotations

import math
import random
import signal
import threading
import time
from typing import Callable

import click
import redis

from connector import logs
from connector.backends.smarthq.events_config import ListenerConfig
from connector.backends.smarthq.leases import Leases, new_owner_id
from connector.backends.smarthq.listener import AccountListener

log = logs.get_logger(__name__)

BACKEND = "smarthq"
STOP_WAIT_SECONDS = 5.0  # how long letting listeners go waits for their threads, in all


def listening_accounts(services) -> list[str]:
    """Accounts whose SmartHQ link can be listened to (linked, not waiting for a re-link)."""
    accounts = services.accounts
    eligible = []
    for account_id in accounts.list():
        try:
            link = accounts.link(account_id, BACKEND)
        except redis.RedisError:
            raise
        except Exception as exc:  # one unreadable link (old key, corrupt record) skips one account
            log.error("smarthq link unreadable: account not listened to", account=account_id,
                      error=type(exc).__name__)
            continue
        if link is not None and not link.needs_relink:
            eligible.append(account_id)
    return eligible


class EventListeners:
    """The listeners of one process. ``run`` until ``stop``; ``tick`` does one round."""

    def __init__(self, services, config: ListenerConfig | None = None, *, owner: str | None = None,
                 listener: Callable[..., AccountListener] = AccountListener):
        self.services = services
        self.config = config or ListenerConfig.from_env()
        self.leases = Leases(services.redis, owner or new_owner_id(), self.config.lease_seconds)
        self.running: dict[str, AccountListener] = {}
        self._new_listener = listener
        self._eligible: list[str] = []
        self._scanned_at = -math.inf
        self._links_version = None  # Accounts.links_version at the last scan
        self._stop = threading.Event()

    @property
    def owner(self) -> str:
        return self.leases.owner

    def run(self) -> None:
        cfg = self.config
        log.info("smarthq event listeners started", listener=self.owner,
                 lease_seconds=cfg.lease_seconds, takeover_bound=cfg.takeover_bound)
        try:
            while not self._stop.is_set():
                try:
                    self.tick()
                except redis.RedisError as exc:
                    # Listeners keep running; their leases are renewed on the next tick
                    # that reaches Redis (a lease lost meanwhile stops its listener then).
                    log.warning("smarthq event listeners tick failed", error=type(exc).__name__,
                                detail=str(exc))
                except Exception:  # a bug costs one tick, never every stream of the process
                    log.exception("smarthq event listeners tick crashed", listener=self.owner)
                self._stop.wait(cfg.tick_seconds)
        finally:
            self.shutdown()

    def stop(self) -> None:
        self._stop.set()

    def tick(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        live = self.leases.heartbeat()
        lost = self.leases.renew(self.running)  # first: a slow scan must not let leases lapse
        version = self.services.accounts.links_version(BACKEND)
        if version != self._links_version or now - self._scanned_at >= self.config.scan_seconds:
            self._eligible = listening_accounts(self.services)
            self._scanned_at, self._links_version = now, version
        self._drop_ended()
        eligible = set(self._eligible)
        self._let_go([a for a in self.running if a in lost or a not in eligible])
        share = min(self.config.max_accounts, math.ceil(len(self._eligible) / max(live, 1)))
        if len(self.running) > share:
            self._let_go(random.sample(sorted(self.running), len(self.running) - share))
        self._claim(share - len(self.running))

    def shutdown(self) -> None:
        """Stop every listener and hand its account over at once (SIGTERM on a deploy)."""
        self._let_go(list(self.running))
        try:
            self.leases.leave()
        except redis.RedisError:
            pass  # the heartbeat lapses on its own
        log.info("smarthq event listeners stopped", listener=self.owner)

    # ------------------------------------------------------------------------------------

    def _claim(self, room: int) -> None:
        free = [a for a in self._eligible if a not in self.running]
        random.shuffle(free)  # processes starting together do not race for the same accounts
        for account_id in free:
            if room <= 0:
                return
            if self.leases.claim(account_id):
                self.running[account_id] = self._new_listener(
                    self.services, account_id, self.config).start()
                room -= 1
                log.info("smarthq account claimed", account=account_id, listener=self.owner)

    def _drop_ended(self) -> None:
        """A listener thread ends only when its link died: skip the account until a scan
        finds it linked again."""
        for account_id in [a for a, lst in self.running.items() if not lst.alive]:
            self._eligible = [a for a in self._eligible if a != account_id]
            self._let_go([account_id])

    def _let_go(self, account_ids: list[str]) -> None:
        """Stop these listeners and release their leases. The wait is bounded as a whole
        (a thread stuck in a partner call ends after it), so a deploy's SIGTERM hands
        every account over in seconds however many listeners are slow to stop."""
        listeners = [self.running.pop(a) for a in account_ids if a in self.running]
        for listener in listeners:
            listener.signal_stop()
        deadline = time.monotonic() + STOP_WAIT_SECONDS
        for listener in listeners:
            listener.join(max(0.0, deadline - time.monotonic()))
        if account_ids:
            try:
                self.leases.release(account_ids)
            except redis.RedisError:
                pass  # they lapse within one lease


def status(services) -> dict:
    """The live listeners and who listens to each eligible account (None: nobody yet)."""
    leases = Leases(services.redis, "status", 1)
    return {"listeners": leases.listeners(),
            "accounts": leases.holders(listening_accounts(services))}


@click.command("events")
@click.option("--status", "show_status", is_flag=True,
              help="Print the live listeners and each account's listener, then exit.")
def events_command(show_status: bool):
    """Keep this process's share of the SmartHQ Event Streams open (Procfile events)."""
    import json

    from connector.cli import _services

    services = _services()
    if show_status:
        click.echo(json.dumps(status(services), indent=2))
        return
    try:
        config = ListenerConfig.from_env()
    except ValueError as exc:
        raise click.ClickException(f"SmartHQ event listener settings: {exc}") from None
    listeners = EventListeners(services, config)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: listeners.stop())
    listeners.run()
