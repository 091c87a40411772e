"""Kasa change detection: read an account's devices, publish what changed.

Kasa has no push channel, so a scheduled poll per account (``connector clock`` queues
them, the worker runs them) reads the device list and every device's state, compares
the reading with the last one kept in Redis (``connector.changes``) and publishes only
the difference: changed attributes, a discoveryCallback for new devices, DEVICE-DELETED
for vanished ones, healthStatus when reachability changes. Every Kasa request of every
poll draws from one token bucket, because Kasa rate-limits the app as a whole.
"""
from __future__ import annotations

import dataclasses
import json
import time

from connector import changes, logs
from connector.backends.base import CallContext, LinkExpired, PartnerError, RetryableError
from connector.backends.kasa import mapping
from connector.callbacks.publish import now_ms, publish, publish_devices
from connector.model import MAPPING_ERRORS, State
from connector.ratelimit import TokenBucket
from connector.settings import KASA_METERED_READ_REQUESTS

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

    # Kasa states carry no time of their own, and publish would stamp them when they are
    # published: each reading is stamped with the time just before its read instead, so
    # a change SmartThings learns of meanwhile (a command) is not overwritten by it.
    _spend(budget, 1, ctx)
    listed_at = now_ms()
    raw_devices = client.list_devices(deadline=ctx.deadline)["devices"]
    devices, readings, unread = [], {}, set()
    for raw in raw_devices:
        try:
            device = mapping.to_device(raw)
        except MAPPING_ERRORS as exc:
            # Still listed, only unreadable: keeps its last values and is not deleted.
            ext_id = _listed_id(raw)
            if ext_id is not None:
                unread.add(ext_id)
            log.warning("poll could not map a listed Kasa device", device=ext_id, error=str(exc))
            continue
        devices.append(device)
        if raw.get("online") is False:  # the list already says so: no need to ask again
            readings[device.external_id] = _stamped([mapping.health_state(False)], listed_at)
            continue
        _spend(budget, KASA_METERED_READ_REQUESTS if mapping.reports_energy(raw) else 1, ctx)
        read_at = now_ms()
        try:
            result = backend.refresh(device.external_id, ctx)
        except LinkExpired:
            raise
        except PartnerError as exc:  # this device keeps its last values until next time
            log.info("poll could not read a device", device=device.external_id, error=exc.detail)
            continue
        readings[device.external_id] = _stamped(result.states, read_at)

    previous = _load(services, account_id)
    found = changes.diff(previous, devices, readings, unread)
    if found.new_devices:
        publish_devices(services, account_id, found.new_devices)
    if found.results:
        publish(services, account_id, found.results)
    services.redis.set(snapshot_key(account_id), json.dumps(found.snapshot), ex=SNAPSHOT_TTL)
    log.info("kasa poll", account=account_id, devices=len(devices), changed=len(found.results),
             new=len(found.new_devices))
    return found


def _listed_id(raw) -> str | None:
    """The externalDeviceId a list entry names, if it names one (as ``to_device`` reads it)."""
    kasa_id = raw.get("id") if isinstance(raw, dict) else None
    return mapping.external_id(str(kasa_id)) if kasa_id else None


def _stamped(states: list[State], at_ms: int) -> list[State]:
    return [dataclasses.replace(state, timestamp=at_ms) for state in states]


def _spend(budget: TokenBucket, count: int, ctx: CallContext) -> None:
    if not budget.take(count, timeout=ctx.remaining()):
        raise PollBudgetExhausted("the shared Kasa request budget ran out for this poll")


def _load(services, account_id: str) -> changes.Snapshot | None:
    raw = services.redis.get(snapshot_key(account_id))
    return json.loads(raw) if raw else None


class PollBudgetExhausted(RetryableError):
    """The app-wide Kasa budget could not serve this poll in time; the next one will."""
