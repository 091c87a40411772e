"""``connector worker``: an RQ worker on the callback queues, with RQ's scheduler.

The scheduler moves back-off retries (``enqueue_at``) into their queue when they are
due; any one worker holding its lock does it for all. Our addition to RQ's periodic
maintenance is the sweep (:func:`.jobs.recover`), which restarts flushes whose worker
died; it runs when the worker starts and every ``SWEEP_INTERVAL`` seconds after.
"""
from __future__ import annotations

from rq import SimpleWorker, Worker

from connector import logs

from . import queues
from .jobs import recover

SWEEP_INTERVAL = 60  # seconds; RQ's own default maintenance interval is 10 minutes

log = logs.get_logger(__name__)


class _Sweeping:
    def run_maintenance_tasks(self):
        super().run_maintenance_tasks()
        try:
            recover(queues.current_services())
        except Exception:  # the sweep must never take the worker down
            log.exception("callback sweep failed")


class CallbackWorker(_Sweeping, Worker):
    """Forks a work horse per job: a crashing or hanging job cannot take the worker along."""


class SimpleCallbackWorker(_Sweeping, SimpleWorker):
    """Runs jobs in its own process (the sandbox and tests; no fork)."""


def build_worker(services, *, names=queues.QUEUES, simple: bool = False,
                 maintenance_interval: int = SWEEP_INTERVAL, name: str | None = None) -> Worker:
    """A worker whose jobs use ``services``, listening to ``names`` in priority order."""
    queues.install(services)
    cls = SimpleCallbackWorker if simple else CallbackWorker
    connection = queues.connection(services)
    return cls([queues.queue(services, n) for n in names], connection=connection, name=name,
               maintenance_interval=maintenance_interval)


def run_worker(services, *, burst: bool = False, simple: bool = False, names=queues.QUEUES,
               maintenance_interval: int = SWEEP_INTERVAL) -> bool:
    worker = build_worker(services, names=names, simple=simple,
                          maintenance_interval=maintenance_interval)
    return worker.work(burst=burst, with_scheduler=True,
                       logging_level=services.settings.log_level)
