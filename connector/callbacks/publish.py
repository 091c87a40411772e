"""The one way in for new states: ``publish`` (and ``publish_devices`` for new devices).

Whoever learns something (the Kasa poller, the SmartHQ event listener, a command whose
effect other installations should see) calls these. They only write to Redis — the
pending entries of every installation of the account, coalesced so that the latest
value of each attribute wins — and make sure one flush job is queued per installation.
Delivery happens in the worker (:mod:`.flush`). Cheap enough to call on a request path.
"""
from __future__ import annotations

import time
from typing import Iterable

import redis

from connector import capabilities, logs
from connector.model import Device, DeviceResult

from . import batch, queues
from .pending import PARKED, Pending
from .policy import DeliveryPolicy

log = logs.get_logger(__name__)


def now_ms() -> int:
    return int(time.time() * 1000)


def publish(services, account_id: str, results: Iterable[DeviceResult], *,
            exclude_installation: str | None = None,
            policy: DeliveryPolicy | None = None) -> list[str]:
    """Queue new states (and device errors such as DEVICE-DELETED) for SmartThings.

    Each state is stamped with its time (epoch ms) unless it carries one; the latest
    timestamp per device/component/capability/attribute wins. Every installation of
    the account gets the change except ``exclude_installation``. Returns the
    installations it was queued for. States SmartThings would refuse are dropped
    here, with an error in the log, so one bad value cannot block a whole callback.
    """
    entries = batch.encode_results(_valid(results), now_ms())
    return _fan_out(services, account_id, entries, exclude_installation, policy)


def publish_devices(services, account_id: str, devices: Iterable[Device], *,
                    exclude_installation: str | None = None,
                    policy: DeliveryPolicy | None = None) -> list[str]:
    """Queue a discoveryCallback announcing ``devices`` (sent before pending states)."""
    stamp = now_ms()
    entries = [batch.encode_device(device, stamp) for device in devices]
    return _fan_out(services, account_id, entries, exclude_installation, policy)


def publish_command_results(services, account_id: str, installation_id: str,
                            results: Iterable[DeviceResult]) -> None:
    """After a command: tell the account's other installations; never fails the command.

    The commanding installation already has the states in its commandResponse, and
    errors of a command are that request's business, so only states travel.
    """
    changed = [DeviceResult(r.external_id, list(r.states)) for r in results if r.states]
    if not changed:
        return
    try:
        publish(services, account_id, changed, exclude_installation=installation_id)
    except (redis.RedisError, OSError) as exc:
        log.error("could not queue command results for other installations", error=str(exc))


def resume(services, installation_id: str, policy: DeliveryPolicy | None = None) -> str | None:
    """Start a flush if entries wait and none is alive (parked ones included).

    Used after new credentials arrive, by ``connector callbacks retry`` and by the
    worker's sweep. Returns the new job's id, or None when nothing needed one.
    """
    policy = policy or DeliveryPolicy.from_settings(services.settings)
    store = Pending(services.redis)
    job_id = queues.new_job_id("flush")
    previous = store.kick(installation_id, job_id, policy.lease)
    if previous is None:
        return None
    enqueue_flush(services, installation_id, job_id, policy)
    if previous.startswith(PARKED):
        # The new job delivers what the parked one could not: its failure is history.
        queues.forget_failed(services, previous[len(PARKED):])
        store.note(installation_id, parked_reason="")
    log.info("callback flush resumed", installation=installation_id,
             was=("parked" if previous else "orphaned"))
    return job_id


def enqueue_flush(services, installation_id: str, job_id: str, policy: DeliveryPolicy, *,
                  attempt: int = 0, delay: float = 0.0):
    return queues.enqueue(
        services, queues.DEFAULT, queues.FLUSH_JOB, job_id=job_id,
        installation_id=installation_id, kind="flush", timeout=policy.job_timeout, delay=delay,
        kwargs={"installation_id": installation_id, "attempt": attempt,
                "policy": policy.to_dict()})


def _fan_out(services, account_id: str, entries: list[batch.Encoded],
             exclude_installation: str | None, policy: DeliveryPolicy | None) -> list[str]:
    if not entries:
        return []
    policy = policy or DeliveryPolicy.from_settings(services.settings)
    store = Pending(services.redis)
    targets = [inst for inst in services.accounts.installations(account_id)
               if inst != exclude_installation]
    for inst in targets:
        job_id = queues.new_job_id("flush")
        if store.add(inst, entries, job_id, policy.lease):
            enqueue_flush(services, inst, job_id, policy)
    return targets


def _valid(results: Iterable[DeviceResult]) -> list[DeviceResult]:
    checked = []
    for result in results:
        states = []
        for state in result.states:
            try:
                capabilities.validate_state(state)
            except capabilities.InvalidState as exc:
                log.error("dropping invalid state", device=result.external_id, state=state.key,
                          problem=str(exc))
            else:
                states.append(state)
        checked.append(DeviceResult(result.external_id, states, list(result.errors)))
    return checked
