"""The settings of ``connector events``: one frozen object with explicit defaults.

Read from the environment (the variables below) and overridable per field, so tests
and the benchmark pass short leases and back-offs. Takeover bound: a dead listener's
accounts are claimed by another within ``lease_seconds + tick_seconds`` of its death
(its leases lapse at most ``lease_seconds`` after its last renewal; every other
listener looks for free accounts each ``tick_seconds``), plus the reconnect itself.
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import Any, Mapping

from connector.backends.smarthq.backoff import Backoff

ENV = {  # field → environment variable
    "lease_seconds": "SMARTHQ_EVENTS_LEASE_SECONDS",
    "tick_seconds": "SMARTHQ_EVENTS_TICK_SECONDS",
    "scan_seconds": "SMARTHQ_EVENTS_SCAN_SECONDS",
    "ping_seconds": "SMARTHQ_EVENTS_PING_SECONDS",
    "backoff_base": "SMARTHQ_EVENTS_BACKOFF_BASE_SECONDS",
    "backoff_cap": "SMARTHQ_EVENTS_BACKOFF_CAP_SECONDS",
    "max_accounts": "SMARTHQ_EVENTS_MAX_ACCOUNTS",
}


@dataclass(frozen=True)
class ListenerConfig:
    lease_seconds: float = 30.0
    """A claimed account's lease lives this long unless renewed."""
    tick_seconds: float = 5.0
    """How often leases are renewed and free accounts claimed."""
    scan_seconds: float = 30.0
    """How often the list of linked accounts is read again (new links, unlinks)."""
    ping_seconds: float = 30.0
    """A ``websocket#ping`` goes out when we have sent nothing for this long."""
    pong_seconds: float = 15.0
    """A socket that stays silent this long after a ping is presumed dead."""
    resubscribe_seconds: float = 300.0
    """Subscriptions are sent again this often (GE's integration does the same)."""
    backoff_base: float = 1.0
    backoff_cap: float = 60.0
    stable_seconds: float = 60.0
    """A socket that stayed up this long resets the back-off."""
    connect_seconds: float = 10.0
    """Handshake and first message (``websocket#connect``) must come within this."""
    request_seconds: float = 30.0
    """Deadline of one Digital Twin call made by the listener."""
    max_accounts: int = 5000
    """Most accounts one process listens to, whatever its fair share."""

    def __post_init__(self):
        for f in dataclasses.fields(self):
            if not getattr(self, f.name) > 0:
                raise ValueError(f"{f.name} must be positive")
        if self.lease_seconds < 2 * self.tick_seconds:
            raise ValueError("lease_seconds must be at least twice tick_seconds, so a lease "
                             "gets two chances to be renewed before it lapses")
        if self.backoff_cap < self.backoff_base:
            raise ValueError("backoff_cap must not be below backoff_base")

    @property
    def backoff(self) -> Backoff:
        return Backoff(self.backoff_base, self.backoff_cap)

    @property
    def takeover_bound(self) -> float:
        """Seconds within which a dead listener's accounts are claimed by another."""
        return self.lease_seconds + self.tick_seconds

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> "ListenerConfig":
        """Defaults, then the ENV variables that are set, then ``overrides``."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name, var in ENV.items():
            raw = environ.get(var, "").strip()
            if raw:
                kind = int if name == "max_accounts" else float
                try:
                    values[name] = kind(raw)
                except ValueError:
                    raise ValueError(f"{var}: not a number: {raw!r}") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def replace(self, **changes: Any) -> "ListenerConfig":
        return dataclasses.replace(self, **changes)
