"""Fault injection: latency, scripted failures and a per-token rate limit.

Not thread-safe on its own: KasaCloud calls it under its lock. Paths are regular
expressions searched in the request path (``/v1/devices/ABC/power``), so ``/power$``
or ``access_token`` both work.
"""
from __future__ import annotations

import math
import re
from collections import deque
from dataclasses import dataclass

from .errors import FAULT_CODES


@dataclass
class FailRule:
    remaining: int
    status: int
    code: str
    msg: str
    path: str | None = None
    method: str | None = None
    retry_after: float | None = None
    body: str | None = None  # raw, non-JSON body (e.g. a proxy's HTML page)

    def matches(self, method: str, path: str) -> bool:
        return ((self.method is None or self.method.upper() == method.upper())
                and (self.path is None or re.search(self.path, path) is not None))

    def as_dict(self) -> dict:
        return dict(self.__dict__)


class Faults:
    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.latency = 0.0
        self.device_latency: dict[str, float] = {}
        self.rules: list[FailRule] = []
        self.rate_limit: float | None = None
        self._hits: dict[str, deque[float]] = {}  # access token -> recent request times

    def delay_for(self, device_id: str | None) -> float:
        return self.latency + (self.device_latency.get(device_id, 0.0) if device_id else 0.0)

    def add_rule(self, count: int, status: int, code: str | None, msg: str | None, *,
                 path: str | None, method: str | None, retry_after: float | None,
                 body: str | None) -> FailRule:
        if count < 1:
            raise ValueError("count must be at least 1")
        if not 400 <= status <= 599:
            raise ValueError("status must be a 4xx or 5xx status")
        if path is not None:
            re.compile(path)  # fail now, not at the next request
        if retry_after is None and status == 429:
            retry_after = 1
        code = code or FAULT_CODES.get(status, "INTERNAL_SERVER_ERROR")
        rule = FailRule(count, status, code, msg or f"Injected failure ({code})",
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

    def check_rate(self, key: str, now: float) -> int | None:
        """None if the request may pass, else the Retry-After seconds (sliding 1 s)."""
        if not self.rate_limit:
            return None
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - 1.0:
            hits.popleft()
        if len(hits) >= self.rate_limit:
            return max(1, math.ceil(hits[0] + 1.0 - now))
        hits.append(now)
        return None
