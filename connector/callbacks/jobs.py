"""The RQ jobs of the callback leg, and the sweep that restarts orphaned flushes.

Thin: each job takes plain arguments (RQ pickles them), finds the process's Services,
and hands over to :mod:`.flush` or :mod:`.credentials`. Retries are ours rather than
RQ's ``Retry``: a wait depends on the answer (Retry-After), and a retry must take the
installation's ownership with it.
"""
from __future__ import annotations

import time

from rq import get_current_job

from connector import logs

from . import queues
from .client import SmartThingsClient
from .credentials import Credentials, request_exchange_of
from .errors import DeliveryFailed, GrantRequired, Retryable
from .flush import Flusher
from .pending import Pending
from .policy import DeliveryPolicy
from .publish import resume

log = logs.get_logger(__name__)


def flush(installation_id: str, attempt: int = 0, policy: dict | None = None) -> str:
    """Deliver what is pending for one installation (queue ``default``)."""
    job = get_current_job()
    _log_context(job.id, installation_id)
    services = queues.current_services()
    return Flusher(services, installation_id, job.id, DeliveryPolicy.from_dict(policy)).run(attempt)


def exchange(installation_id: str, grant: str, attempt: int = 0, policy: dict | None = None,
             *, sleep=time.sleep) -> str:
    """Trade a grantCallbackAccess code for callback tokens (queue ``high``)."""
    job = get_current_job()
    _log_context(job.id if job else None, installation_id)
    services = queues.current_services()
    policy_ = DeliveryPolicy.from_dict(policy)
    client = SmartThingsClient(services.settings.callback_allowed_hosts,
                               connect_timeout=policy_.connect_timeout,
                               read_timeout=policy_.read_timeout)
    creds = Credentials(services, installation_id, client, policy_)
    with client:
        while True:
            try:
                outcome = creds.exchange(grant)
                break
            except GrantRequired as exc:
                raise DeliveryFailed(f"installation {installation_id}: token exchange "
                                     f"impossible: {exc}") from None
            except Retryable as exc:
                attempt += 1
                if attempt >= policy_.exchange_retry_budget:
                    try:  # the code has probably expired by now: ask for a new grant
                        creds.require_grant(f"token exchange kept failing ({exc})")
                    except GrantRequired:
                        pass
                    raise DeliveryFailed(f"installation {installation_id}: token exchange "
                                         f"failed after {attempt} attempts: {exc}") from None
                delay = policy_.delay(attempt, exc)
                log.warning("callback token exchange failed; retrying",
                            installation=installation_id, error=str(exc), attempt=attempt)
                if delay <= policy_.inline_wait:
                    sleep(delay)
                    continue
                request_exchange_of(services, installation_id, grant, policy_,
                                    attempt=attempt, delay=delay)
                return f"retry scheduled in {delay:.1f} s"
    if outcome == "exchanged":
        resume(services, installation_id, policy_)  # deliver what waited for credentials
    return outcome


def _log_context(job_id: str | None, installation_id: str) -> None:
    # A job's lines name the job and installation, never a request it did not serve.
    logs.clear_request()
    logs.bind_request(job=job_id, installation=installation_id)


def recover(services, policy: DeliveryPolicy | None = None) -> list[str]:
    """Start flushes for installations whose entries wait with no live owner.

    An owner disappears without releasing only when its worker died (or a publisher
    died between writing and enqueueing); its lease then lapses and this finds it.
    Parked installations are left to ``connector callbacks retry``.
    """
    started = []
    for inst in Pending(services.redis).orphans():
        job_id = resume(services, inst, policy)
        if job_id:
            started.append(job_id)
    if started:
        log.info("orphaned callback flushes restarted", count=len(started))
    return started
