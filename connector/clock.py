"""``connector clock`` (Procfile ``clock``): queues each account's Kasa poll on time.

Every Kasa-linked account has a due time in a Redis sorted set. Each tick claims the
accounts that are due (atomically, so several clock processes never queue one poll
twice), sets their next due time one interval on, with ±10 % jitter so accounts linked
together do not poll together, and queues a poll job that the worker runs. A poll still
queued or running is not queued again: a slow Kasa only makes polls later, never piles
them up.
"""
from __future__ import annotations

import random
import threading
import time

import click
from rq.exceptions import NoSuchJobError
from rq.job import Job

from connector import logs

DUE_KEY = "stc:kasa:due"
POLL_JOB = "connector.clock.poll_job"
TICK_SECONDS = 1.0
SYNC_SECONDS = 60.0  # how often the set of polled accounts follows linking/unlinking
JITTER = 0.1

log = logs.get_logger(__name__)

# KEYS[1] due set; ARGV: now, interval, jitter, limit, seed. Claims due members and
# reschedules them; the seed comes from the caller so the jitter is random per call.
_CLAIM = """
math.randomseed(tonumber(ARGV[5]))
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[4]))
for i, member in ipairs(due) do
  local spread = tonumber(ARGV[2]) * tonumber(ARGV[3]) * (2 * math.random() - 1)
  redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]) + spread, member)
end
return due
"""


def kasa_accounts(services) -> list[str]:
    accounts = services.accounts
    return [a for a in accounts.list() if accounts.has_link(a, "kasa")]


def sync(services, now: float | None = None) -> None:
    """Add newly linked accounts (due somewhere in the next interval), drop unlinked ones."""
    now = time.time() if now is None else now
    interval = services.settings.kasa_poll_seconds
    linked = set(kasa_accounts(services))
    scheduled = set(services.redis.zrange(DUE_KEY, 0, -1))
    if linked - scheduled:
        services.redis.zadd(DUE_KEY, {a: now + random.uniform(0, interval) for a in linked - scheduled}, nx=True)
    if scheduled - linked:
        services.redis.zrem(DUE_KEY, *(scheduled - linked))


def claim_due(services, now: float | None = None, limit: int = 1000) -> list[str]:
    now = time.time() if now is None else now
    script = services.redis.register_script(_CLAIM)
    return list(script(keys=[DUE_KEY], args=[now, services.settings.kasa_poll_seconds, JITTER, limit,
                                                random.randrange(2**31)]))


def tick(services, now: float | None = None) -> list[str]:
    """Queue the polls that are due; returns the accounts queued."""
    from connector.callbacks import queues

    queue = queues.queue(services, queues.POLL)
    queued = []
    for account_id in claim_due(services, now):
        job_id = f"stc-kasa-poll-{account_id}"
        try:
            if Job.fetch(job_id, connection=queue.connection).get_status() in ("queued", "started", "scheduled"):
                continue
        except NoSuchJobError:
            pass
        queue.enqueue(POLL_JOB, account_id, job_id=job_id, result_ttl=0, failure_ttl=24 * 3600,
                      job_timeout=300)
        queued.append(account_id)
    return queued


def run(services, stop: threading.Event | None = None) -> None:
    stop = stop or threading.Event()
    last_sync = 0.0
    log.info("clock started", poll_seconds=services.settings.kasa_poll_seconds)
    while not stop.is_set():
        now = time.time()
        try:
            if now - last_sync >= SYNC_SECONDS:
                sync(services, now)
                last_sync = now
            tick(services, now)
        except Exception:  # a Redis hiccup must not stop the schedule for good
            log.exception("clock tick failed")
        stop.wait(TICK_SECONDS)


def poll_job(account_id: str) -> dict:
    """The RQ job: one Kasa poll of one account."""
    from connector.backends.kasa.poller import poll_account
    from connector.callbacks import queues

    services = queues.current_services()
    found = poll_account(services, account_id)
    return {"changed": len(found.results), "new": len(found.new_devices)}


@click.command("clock")
def clock_command():
    """Queue every Kasa-linked account's poll each KASA_POLL_SECONDS (Procfile clock)."""
    from connector.cli import _services

    run(_services())
