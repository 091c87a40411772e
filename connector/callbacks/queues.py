"""RQ plumbing for the callback jobs: connections, queues, enqueueing, the process's services.

Two queues, listened to in this order: ``high`` (callback token exchanges: the code
may be short-lived) and ``default`` (flushes). RQ stores pickled jobs, so it gets its
own binary connection to the same Redis as the (text) store.

A job runs in a worker process that has no Flask app; it asks :func:`current_services`
for the process's Services: the ones ``connector worker`` (or a test) installed, else
built once from the environment.
"""
from __future__ import annotations

import math
import uuid
from datetime import datetime, timezone
from functools import lru_cache

import redis
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.registry import FailedJobRegistry

HIGH, DEFAULT, POLL = "high", "default", "poll"
# Listened to in this order: a callback never waits behind a partner poll.
QUEUES = (HIGH, DEFAULT, POLL)
RESULT_TTL = 600  # finished jobs are only of passing interest
FAILURE_TTL = 30 * 24 * 3600  # failed ones stay visible (and replayable) for a month

FLUSH_JOB = "connector.callbacks.jobs.flush"
EXCHANGE_JOB = "connector.callbacks.jobs.exchange"

_services = None


def install(services) -> None:
    """Make ``services`` the ones this process's jobs use (None: build from the environment)."""
    global _services
    _services = services


def current_services():
    global _services
    if _services is None:
        from connector import logs
        from connector.services import Services
        from connector.settings import Settings

        settings = Settings.from_env()
        logs.configure(settings.log_level)
        _services = Services.build(settings)
    return _services


@lru_cache(maxsize=8)
def _binary_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=30,
                                health_check_interval=30)


def connection(services) -> redis.Redis:
    """A binary (``decode_responses=False``) client on the store's Redis, for RQ."""
    pool = services.redis.connection_pool
    if pool.connection_kwargs.get("server") is not None:  # fakeredis (sandbox): same server
        import fakeredis

        return fakeredis.FakeRedis(server=pool.connection_kwargs["server"])
    return _binary_client(services.settings.redis_url)


def queue(services, name: str) -> Queue:
    return Queue(name, connection=connection(services))


def new_job_id(kind: str) -> str:
    return f"stc-{kind}-{uuid.uuid4().hex}"


def _when(delay: float) -> datetime:
    # RQ's scheduled registry counts whole seconds and would run a job up to a second
    # early; rounding up keeps a Retry-After honoured.
    return datetime.fromtimestamp(math.ceil(datetime.now(timezone.utc).timestamp() + delay),
                                  tz=timezone.utc)


def enqueue(services, name: str, func: str, *, job_id: str, installation_id: str, kind: str,
            kwargs: dict, timeout: int, delay: float = 0.0):
    """Enqueue (or, after ``delay`` seconds, schedule) one callback job."""
    q = queue(services, name)
    options = dict(job_id=job_id, kwargs=kwargs, result_ttl=RESULT_TTL, failure_ttl=FAILURE_TTL,
                   meta={"installation": installation_id, "kind": kind},
                   description=f"callback {kind} for installation {installation_id}")
    if delay > 0:
        return q.enqueue_at(_when(delay), func, job_timeout=timeout, **options)
    return q.enqueue_call(func, timeout=timeout, **options)


def forget_failed(services, job_id: str) -> bool:
    """Drop a job from the failed registries (it was retried, or made moot)."""
    removed = False
    for name in QUEUES:
        removed |= bool(FailedJobRegistry(queue=queue(services, name)).remove(job_id))
    if removed:
        try:
            Job.fetch(job_id, connection=connection(services)).delete()
        except NoSuchJobError:
            pass
    return removed
