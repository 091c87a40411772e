"""Kasa change detection: read an account's devices, publish what changed.

Kasa has no push channel, so a scheduled poll per account (``connector clock`` queues
them, the worker runs them) reads the device list and every device's state, compares
the reading with the last one kept in Redis (``connector.changes``) and publishes only
the difference: changed attributes, a discoveryCallback for new devices, DEVICE-DELETED
for vanished ones, healthStatus when reachability changes. Every Kasa request of every
poll draws from one token bucket, because Kasa rate-limits the app as a whole.
"""
from __future__ import annotations

import json
import time

from connector import changes, logs
from connector.backends.base import CallContext, LinkExpired, PartnerError, RetryableError
from connector.backends.kasa import mapping
from connector.callbacks.publish import publish, publish_devices
from connector.ratelimit import TokenBucket

SNAPSHOT_TTL = 7 * 24 * 3600  # a reading older than a week is no baseline anymore
POLL_DEADLINE = 60.0  # seconds one account's poll may take, waits for the budget included

log = logs.get_logger(__name__)


def snapshot_key(account_id: str) -> str:
    return f"stc:kasa:snapshot:{account_id}"


def request_budget(services) -> TokenBucket:
    settings = services.settings
    return TokenBucket(services.redis, "kasa", settings.kasa_rate_limit, settings.kasa_rate_burst)


def poll_account(services, account_id: str, *, budget: TokenBucket | None = None) -> changes.Changes:
    """One poll of one account; returns what it published."""
    backend = services.backends["kasa"]
    budget = budget or request_budget(services)
    ctx = CallContext(account_id, None, time.monotonic() + POLL_DEADLINE)
    client = backend.client(account_id)

    _spend(budget, 1, ctx)
    raw_devices = client.list_devices(deadline=ctx.deadline).get("devices") or []
    devices, readings = [], {}
    for raw in raw_devices:
        try:
            device = mapping.to_device(raw)
        except (KeyError, TypeError, ValueError):
            continue  # discovery logs these; a poll need not repeat it
        devices.append(device)
        if raw.get("online") is False:  # the list already says so: no need to ask again
            readings[device.external_id] = [mapping.health_state(False)]
            continue
        _spend(budget, 2 if mapping.reports_energy(raw) else 1, ctx)
        try:
            result = backend.refresh(device.external_id, ctx)
        except LinkExpired:
            raise
        except PartnerError as exc:  # this device keeps its last values until next time
            log.info("poll could not read a device", device=device.external_id, error=exc.detail)
            continue
        readings[device.external_id] = result.states

    previous = _load(services, account_id)
    found = changes.diff(previous, devices, readings)
    if found.new_devices:
        publish_devices(services, account_id, found.new_devices)
    if found.results:
        publish(services, account_id, found.results)
    services.redis.set(snapshot_key(account_id), json.dumps(found.snapshot), ex=SNAPSHOT_TTL)
    log.info("kasa poll", account=account_id, devices=len(devices), changed=len(found.results),
             new=len(found.new_devices))
    return found


def _spend(budget: TokenBucket, count: int, ctx: CallContext) -> None:
    if not budget.take(count, timeout=ctx.remaining()):
        raise PollBudgetExhausted("the shared Kasa request budget ran out for this poll")


def _load(services, account_id: str) -> changes.Snapshot | None:
    raw = services.redis.get(snapshot_key(account_id))
    return json.loads(raw) if raw else None


class PollBudgetExhausted(RetryableError):
    """The app-wide Kasa budget could not serve this poll in time; the next one will."""
