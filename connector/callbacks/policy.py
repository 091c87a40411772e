"""How hard, how fast and in what portions we deliver callbacks: one frozen policy object.

Defaults are named constants here; ``DeliveryPolicy.from_settings`` picks up the
matching Settings fields once they exist (``callback_retry_budget`` …), so production
tuning needs no code change. A policy travels with each job (as a dict), which lets a
test give a worker in another process short back-offs.

Pure: no I/O.
"""
from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass
from typing import Callable

from .errors import Retryable

# Consecutive failed attempts before a flush reports failure (a failed job, for alerts):
# with the back-off below that is roughly 40 minutes of outage. Transient errors are
# retried on after that (back-off at most BACKOFF_CAP); others park the installation.
RETRY_BUDGET = 16
EXCHANGE_RETRY_BUDGET = 6  # the code's lifetime is undocumented: give up sooner
BACKOFF_BASE = 2.0  # seconds before the first retry (before jitter)
BACKOFF_CAP = 300.0  # no back-off grows beyond this
MAX_RETRY_AFTER = 3600.0  # a Retry-After beyond this is treated as this
INLINE_WAIT = 1.0  # shorter waits sleep in the job; longer ones go through RQ's scheduler
LEASE = 120.0  # a flush owner that stops renewing for this long is presumed dead
SLICE_SECONDS = 30.0  # one job delivers for at most this long, then hands over
# No documented payload maximum (st-schema-protocol §6). 200 states is a few dozen
# devices' worth (~40 KB), so an account's burst goes out in one call while a storm
# of changes is still cut into requests SmartThings answers quickly.
MAX_STATES_PER_CALLBACK = 200
MAX_DEVICES_PER_CALLBACK = 100
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 15.0
REFRESH_LEEWAY = 300.0  # refresh the callback token this long before it expires


@dataclass(frozen=True)
class DeliveryPolicy:
    retry_budget: int = RETRY_BUDGET
    exchange_retry_budget: int = EXCHANGE_RETRY_BUDGET
    backoff_base: float = BACKOFF_BASE
    backoff_cap: float = BACKOFF_CAP
    max_retry_after: float = MAX_RETRY_AFTER
    inline_wait: float = INLINE_WAIT
    lease: float = LEASE
    slice_seconds: float = SLICE_SECONDS
    max_states: int = MAX_STATES_PER_CALLBACK
    max_devices: int = MAX_DEVICES_PER_CALLBACK
    connect_timeout: float = CONNECT_TIMEOUT
    read_timeout: float = READ_TIMEOUT
    refresh_leeway: float = REFRESH_LEEWAY

    def __post_init__(self):
        if self.retry_budget < 1 or self.exchange_retry_budget < 1:
            raise ValueError("retry budgets must be at least 1")
        if self.max_states < 1 or self.max_devices < 1:
            raise ValueError("batch bounds must be at least 1")
        if self.lease <= 0:
            raise ValueError("lease must be positive")

    @classmethod
    def from_settings(cls, settings) -> "DeliveryPolicy":
        """Defaults overridden by ``settings.callback_<field>`` where such a setting exists."""
        values = {}
        for f in dataclasses.fields(cls):
            value = getattr(settings, f"callback_{f.name}", None)
            if value is not None:
                values[f.name] = value
        return cls(**values)

    @classmethod
    def from_dict(cls, data: dict | None) -> "DeliveryPolicy":
        return cls(**(data or {}))

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @property
    def job_timeout(self) -> int:
        """RQ's hard limit for one flush: its slice plus a few requests in flight."""
        return int(self.slice_seconds + 4 * (self.connect_timeout + self.read_timeout) + 30)

    def backoff(self, attempt: int, rng: Callable[[], float] = random.random) -> float:
        """Exponential back-off with "equal jitter": half fixed, half random.

        ``attempt`` counts failures so far (1 for the first retry). The fixed half keeps
        retries from hammering; the random half spreads many installations apart.
        """
        doublings = min(max(0, attempt - 1), 32)  # retries go on for ever: 2**1024 overflows
        ceiling = min(self.backoff_cap, self.backoff_base * 2 ** doublings)
        return ceiling / 2 + rng() * ceiling / 2

    def delay(self, attempt: int, error: Exception,
              rng: Callable[[], float] = random.random) -> float:
        """How long to wait before the next attempt after ``error``.

        A Retry-After from SmartThings is honoured as given (capped); everything
        else backs off exponentially.
        """
        retry_after = error.retry_after if isinstance(error, Retryable) else None
        if retry_after is not None:
            return min(max(0.0, retry_after), self.max_retry_after)
        return self.backoff(attempt, rng)
