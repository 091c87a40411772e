"""What operators see and do about callbacks: pending, failed, retry (``connector callbacks``).

Views never include a token or a state's payload beyond counts and times: an operator
needs to know *what waits and why*, not the values.
"""
from __future__ import annotations

from datetime import datetime, timezone

from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.registry import FailedJobRegistry

from . import batch, queues
from .credentials import request_exchange_of
from .pending import PARKED, Pending
from .policy import DeliveryPolicy
from .publish import resume


def _iso_ms(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, tz=timezone.utc).isoformat(timespec="seconds")


def _flush_state(services, owner: str | None) -> tuple[str, str | None]:
    """(what the installation's flush is doing, its job id)."""
    if owner is None:
        return "none (the worker's sweep will start one)", None
    if owner.startswith(PARKED):
        return "parked (connector callbacks retry)", owner[len(PARKED):]
    try:
        job = Job.fetch(owner, connection=queues.connection(services))
    except NoSuchJobError:
        return "lost (restarted when its lease lapses)", owner
    return job.get_status().value, owner


def pending_report(services) -> list[dict]:
    """One row per installation with entries waiting to be delivered."""
    store = Pending(services.redis)
    rows = []
    for inst in store.installations():
        entries = store.snapshot(inst)
        if not entries:
            continue
        items = []
        for field_, raw in entries.items():
            try:
                items.append(batch.decode(field_, raw))
            except (ValueError, TypeError, KeyError):
                pass
        kinds = [item.kind for item in items]
        flush, job_id = _flush_state(services, store.owner(inst))
        status = store.status(inst)
        rows.append({
            "installation": inst,
            "entries": len(entries),
            "states": kinds.count(batch.STATE),
            "device_errors": kinds.count(batch.ERROR),
            "devices": kinds.count(batch.DEVICE),
            "oldest": _iso_ms(min(item.timestamp for item in items)) if items else None,
            "flush": flush,
            "job": job_id,
            "attempt": int(status.get("attempt", 0) or 0),
            "last_error": status.get("last_error"),
            "next_attempt_at": status.get("next_attempt_at"),
            "in_flight": status.get("in_flight"),
            "parked_reason": status.get("parked_reason"),
            "failed_job": status.get("failed_job"),
            "grant_needed": services.accounts.callback_grant_needed(inst),
        })
    return rows


def _reason(job: Job) -> str:
    result = job.latest_result()
    text = (result.exc_string if result is not None else None) or ""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "(no reason recorded)"


def failed_jobs(services) -> list[dict]:
    """The callback jobs in RQ's failed registries, newest first, each with its reason."""
    rows = []
    connection = queues.connection(services)
    for name in queues.QUEUES:
        registry = FailedJobRegistry(queue=queues.queue(services, name))
        for job in Job.fetch_many(registry.get_job_ids(), connection=connection):
            if job is None:
                continue
            rows.append({
                "job": job.id,
                "queue": name,
                "kind": job.meta.get("kind", job.func_name),
                "installation": job.meta.get("installation"),
                "failed_at": job.ended_at.isoformat(timespec="seconds") if job.ended_at else None,
                "reason": _reason(job),
            })
    rows.sort(key=lambda row: row["failed_at"] or "", reverse=True)
    return rows


def retry(services, job_ids: list[str] | None = None) -> list[dict]:
    """Re-enqueue failed callback jobs (all when ``job_ids`` is None) with a fresh budget.

    A failed flush resumes its installation (with everything pending by now); a failed
    exchange is tried again with the same grant. With no ids, parked installations
    whose failed job has expired from the registry are resumed too.
    """
    wanted = None if job_ids is None else set(job_ids)
    done = []
    connection = queues.connection(services)
    for name in queues.QUEUES:
        registry = FailedJobRegistry(queue=queues.queue(services, name))
        for job in Job.fetch_many(registry.get_job_ids(), connection=connection):
            if job is None or (wanted is not None and job.id not in wanted):
                continue
            row = _retry_one(services, job)
            if _settled(services, row):
                queues.forget_failed(services, job.id)
            done.append(row)
    if wanted is None:
        for inst in Pending(services.redis).parked():
            new = resume(services, inst)
            if new:
                done.append({"job": None, "kind": "flush", "installation": inst, "new_job": new})
    return done


def _settled(services, row: dict) -> bool:
    """Whether a retried job's failure is history: a fresh job replaced it, or (a flush)
    nothing waits any more. A flush still retrying an outage keeps its report."""
    if row["kind"] == "exchange":
        return True
    if row["kind"] == "flush":
        return bool(row["new_job"]) or not Pending(services.redis).snapshot(row["installation"])
    return False


def _retry_one(services, job: Job) -> dict:
    kind = job.meta.get("kind")
    inst = job.meta.get("installation")
    policy = DeliveryPolicy.from_dict(job.kwargs.get("policy"))
    if kind == "exchange":
        new = request_exchange_of(services, inst, job.kwargs["grant"], policy).id
    elif kind == "flush":
        new = resume(services, inst, policy)  # None: nothing waits, or a flush is alive
    else:
        new = FailedJobRegistry(queue=queues.queue(services, job.origin)).requeue(job).id
    return {"job": job.id, "kind": kind, "installation": inst, "new_job": new}
