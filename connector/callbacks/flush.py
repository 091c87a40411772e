"""The flush: deliver everything pending for one installation, at least once.

Run by the ``flush`` job (:mod:`.jobs`). The job owns the installation through the
marker in :mod:`.pending`; while it owns it, it reads what is pending, sends it as few
callbacks as :func:`.batch.plan` allows, and acknowledges each callback only after
SmartThings accepted it. A crash anywhere before the ack leaves the entries in Redis
(SmartThings may then see a callback twice — at-least-once — but never misses one).

Failures:

* 401 → refresh the callback token and resend once (:class:`.credentials.Credentials`);
* 429 → wait as long as Retry-After says; 5xx, timeouts, a second 401 → exponential
  back-off with jitter. Short waits sleep here; longer ones hand the installation to a
  new job scheduled through RQ, so a worker is never blocked for long;
* after ``policy.retry_budget`` transient failures in a row, the job fails into RQ's
  failed registry (for operators and alerts) but hands the installation to a successor
  first: an outage of any length ends with delivery, retried at the back-off cap. The
  first delivery after it removes that failed job again;
* at once for what retrying cannot fix (SmartThings refuses the payload, credentials
  are gone or unreadable, the URL is not allow-listed), and after the budget for a 401
  that even a fresh token gets, the installation is *parked*: its entries stay
  pending, new ones keep coalescing, and the job fails into RQ's failed registry with
  the reason, until ``connector callbacks retry`` or a new grantCallbackAccess resumes it;
* anything else (a bug, Redis hiccups) counts as a transient failure, logged in full.
"""
from __future__ import annotations

import random
import time
from datetime import datetime, timezone

from connector import logs
from connector.store import VaultError

from . import batch, queues
from .client import SmartThingsClient
from .credentials import Credentials
from .errors import DeliveryFailed, GrantRequired, Rejected, Retryable, Unauthorized, UrlRefused
from .pending import Pending
from .policy import DeliveryPolicy
from .publish import enqueue_flush

log = logs.get_logger(__name__)

NOT_OWNER = "not the owner"


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).isoformat(timespec="seconds")


class Flusher:
    """One flush job's work for one installation; ``run`` returns the job's result."""

    def __init__(self, services, installation_id: str, job_id: str, policy: DeliveryPolicy, *,
                 client: SmartThingsClient | None = None, sleep=time.sleep, clock=time.time,
                 rng=random.random):
        self.services = services
        self.inst = installation_id
        self.job_id = job_id
        self.policy = policy
        self.client = client or SmartThingsClient(
            services.settings.callback_allowed_hosts, connect_timeout=policy.connect_timeout,
            read_timeout=policy.read_timeout)
        self.creds = Credentials(services, installation_id, self.client, policy, clock=clock)
        self.store = Pending(services.redis, clock=clock)
        self.sleep, self.clock, self.rng = sleep, clock, rng
        self.attempt = 0
        self.sent = 0  # callbacks this job delivered

    def run(self, attempt: int = 0) -> str:
        """Deliver until nothing is pending; returns what happened (the job's result)."""
        if not self.store.claim(self.inst, self.job_id, self.policy.lease):
            return NOT_OWNER  # a newer job took over after our lease lapsed
        if not self.services.accounts.installation_exists(self.inst):
            count = self.store.discard(self.inst)
            log.info("installation removed: its pending callbacks are discarded",
                     installation=self.inst, entries=count)
            return "installation removed"
        self.attempt = attempt
        started = time.monotonic()
        try:
            while True:
                try:
                    return self._drain(started)
                except Unauthorized as exc:  # even a freshly refreshed token was refused
                    outcome = self._failed(exc)
                except (GrantRequired, UrlRefused, Rejected, VaultError) as exc:
                    self._give_up(exc)
                except Retryable as exc:
                    outcome = self._failed(exc)
                except Exception as exc:
                    # Left unhandled, it would keep the lease and never count an attempt.
                    log.exception("unexpected error in a callback flush", installation=self.inst)
                    # Its text may quote data: status and failed registry get the type only.
                    outcome = self._failed(Retryable(f"unexpected {type(exc).__name__} "
                                                     f"(see the worker log)"))
                if outcome is not None:
                    return outcome
        finally:
            self.client.close()

    # -- delivering ---------------------------------------------------------------------

    def _drain(self, started: float) -> str:
        while True:
            entries = self.store.snapshot(self.inst)
            if not entries:
                released = self.store.release(self.inst, self.job_id)
                if released == 1:
                    self.store.note(self.inst, attempt="", in_flight="", next_attempt_at="",
                                    last_error="", last_error_at="")
                    return "delivered"
                if released == -1:
                    return NOT_OWNER
                continue  # something arrived between the read and the release
            batches, broken = batch.plan(entries, self.policy.max_states, self.policy.max_devices)
            if broken:
                log.error("unreadable pending callback entries removed", installation=self.inst,
                          count=len(broken))
                self.store.ack(self.inst, broken)
            for item in batches:
                if self.sent and time.monotonic() - started > self.policy.slice_seconds:
                    # Let other installations' jobs have the worker; a successor goes on.
                    return self._hand_over(0.0, "handed over to a new job")
                if not self.store.claim(self.inst, self.job_id, self.policy.lease):
                    return NOT_OWNER
                self._send(item)
                self.store.ack(self.inst, item.sent)
                self.sent += 1
                if self.sent == 1:
                    self._forget_reported_failure()
                self.attempt = 0  # progress: the budget counts failures in a row
                self.store.note(self.inst, attempt="", in_flight="",
                                last_delivered_at=_iso(self.clock()))

    def _send(self, item: batch.Batch) -> None:
        url = self.creds.urls()["stateCallback"]
        token = self.creds.access_token()
        self.store.note(self.inst, in_flight=f"{item.interaction_type} with {item.size} entries "
                                             f"since {_iso(self.clock())}")
        try:
            self._post(url, item, token)
        except Unauthorized:
            log.info("callback token refused (401): refreshing once", installation=self.inst)
            self._post(url, item, self.creds.refresh(token))
        log.info("callback delivered", installation=self.inst,
                 interactionType=item.interaction_type, entries=item.size)

    def _post(self, url: str, item: batch.Batch, token: str) -> None:
        try:
            self.client.post(url, batch.to_payload(item, token))
        except UrlRefused:
            self.creds.require_grant("the stateCallback URL is not an allow-listed host")

    # -- failing ------------------------------------------------------------------------

    def _failed(self, exc: Exception) -> str | None:
        """Count a failed attempt; None to try again now, else how the job ends."""
        self.attempt += 1
        self.store.note(self.inst, attempt=self.attempt, in_flight="", last_error=str(exc),
                        last_error_at=_iso(self.clock()))
        spent = self.attempt >= self.policy.retry_budget
        if spent and not isinstance(exc, Retryable):
            self._give_up(exc)  # a 401 that even fresh tokens get will not go away
        delay = self.policy.delay(self.attempt, exc, self.rng)
        if self.attempt == self.policy.retry_budget:
            return self._report_outage(exc, delay)
        log.warning("callback delivery failed; retrying", installation=self.inst, error=str(exc),
                    attempt=self.attempt, delay=round(delay, 2))
        if delay <= self.policy.inline_wait and not spent:
            # Past the budget every retry is a job of its own: an outage never holds a worker.
            self.sleep(delay)
            return None if self.store.claim(self.inst, self.job_id, self.policy.lease) else NOT_OWNER
        return self._hand_over(delay, f"retry scheduled in {delay:.1f} s")

    def _hand_over(self, delay: float, outcome: str) -> str:
        """Give the installation to a new job, due in ``delay`` seconds."""
        successor = queues.new_job_id("flush")
        if not self.store.transfer(self.inst, self.job_id, successor, delay + self.policy.lease):
            return NOT_OWNER
        enqueue_flush(self.services, self.inst, successor, self.policy, attempt=self.attempt,
                      delay=delay)
        self.store.note(self.inst, next_attempt_at=_iso(self.clock() + delay) if delay else "")
        return outcome

    def _report_outage(self, exc: Exception, delay: float) -> str:
        """Out of budget on a transient error: fail this job so operators see it, but
        leave the installation to a successor that goes on, its back-off at most the cap."""
        if self._hand_over(delay, "") == NOT_OWNER:
            return NOT_OWNER
        self.store.note(self.inst, failed_job=self.job_id)  # for the successor to clear
        waiting = len(self.store.snapshot(self.inst))
        log.error("callback delivery keeps failing; still retrying", installation=self.inst,
                  error=str(exc), attempts=self.attempt, pending=waiting, delay=round(delay, 2))
        raise DeliveryFailed(f"installation {self.inst}: {type(exc).__name__}: {exc} after "
                             f"{self.attempt} failed attempts; {waiting} entries kept pending, "
                             f"still retrying") from None

    def _forget_reported_failure(self) -> None:
        """Delivering again: the job that reported the outage is history."""
        failed_job = self.store.status(self.inst).get("failed_job")
        if failed_job:
            queues.forget_failed(self.services, failed_job)
            self.store.note(self.inst, failed_job="")

    def _give_up(self, exc: Exception):
        reason = f"{type(exc).__name__}: {exc}"
        self.store.park(self.inst, self.job_id, reason)
        self.store.note(self.inst, last_error=str(exc), last_error_at=_iso(self.clock()))
        waiting = len(self.store.snapshot(self.inst))
        log.error("callback delivery failed; installation parked until retried",
                  installation=self.inst, reason=reason, attempts=self.attempt, pending=waiting)
        tries = f" after {self.attempt} failed attempts" if self.attempt > 1 else ""
        raise DeliveryFailed(f"installation {self.inst}: {reason}{tries}; "
                             f"{waiting} entries kept pending") from None
