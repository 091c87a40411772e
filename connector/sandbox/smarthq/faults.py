"""Fault injection: latency, scripted HTTP failures, the per-app-per-user rate limit and
command outcomes that time out. Not thread-safe on its own: the cloud holds its lock.

Paths are regular expressions searched in the request path as served
(``/client/v2/device/abc``), so ``/v2/command$`` or ``oauth2/token`` both work.
Rate-limit windows use the wall clock: a limit is about how fast a client calls, not
about simulated appliance time.
"""
from __future__ import annotations

import math
import re
from collections import deque
from dataclasses import dataclass

from .errors import MESSAGES

DEFAULT_RATE_LIMIT = 600  # per minute per appId per userId: the v1 figure (§4)
WINDOW = 60.0


@dataclass
class FailRule:
    remaining: int
    status: int
    reason: str
    path: str | None = None
    method: str | None = None
    retry_after: float | None = None
    body: str | None = None  # raw, non-JSON body (a proxy's HTML page)

    def matches(self, method: str, path: str) -> bool:
        return ((self.method is None or self.method.upper() == method.upper())
                and (self.path is None or re.search(self.path, path) is not None))

    def as_dict(self) -> dict:
        return dict(self.__dict__)


class Faults:
    def __init__(self, rate_limit: int | None = DEFAULT_RATE_LIMIT) -> None:
        self.default_rate_limit = rate_limit
        self.clear()

    def clear(self) -> None:
        self.latency = 0.0
        self.device_latency: dict[str, float] = {}
        self.rules: list[FailRule] = []
        self.rate_limit: int | None = self.default_rate_limit
        self._hits: dict[tuple[str, str], deque[float]] = {}
        self.command_outcomes: deque[str] = deque()  # outcomes the next commands get

    def delay_for(self, device_id: str | None) -> float:
        return self.latency + (self.device_latency.get(device_id, 0.0) if device_id else 0.0)

    def add_rule(self, count: int, status: int, reason: str | None, *, path: str | None,
                 method: str | None, retry_after: float | None, body: str | None) -> FailRule:
        if count < 1:
            raise ValueError("count must be at least 1")
        if not 400 <= status <= 599:
            raise ValueError("status must be a 4xx or 5xx status")
        if path is not None:
            re.compile(path)  # fail now, not at the next request
        if retry_after is None and status in (429, 503):
            retry_after = 1
        rule = FailRule(count, status, reason or f"Injected failure ({MESSAGES.get(status, status)})",
                        path, method, retry_after, body)
        self.rules.append(rule)
        return rule

    def take(self, method: str, path: str) -> FailRule | None:
        """The first rule matching this request, counting it down."""
        for rule in self.rules:
            if rule.matches(method, path):
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self.rules.remove(rule)
                return rule
        return None

    def check_rate(self, key: tuple[str, str], now: float) -> int | None:
        """None if the request may pass, else the Retry-After seconds (sliding minute)."""
        if not self.rate_limit:
            return None
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - WINDOW:
            hits.popleft()
        if len(hits) >= self.rate_limit:
            return max(1, math.ceil(hits[0] + WINDOW - now))
        hits.append(now)
        return None
