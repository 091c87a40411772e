"""The Backend protocol and the partner error taxonomy.

Exception tree (every partner client raises only these)::

    PartnerError                 anything a partner cloud did wrong
    ├── RetryableError           try again later: timeouts, 5xx, busy devices
    │   ├── RateLimited          429; carries retry_after seconds when the partner says
    │   └── DeviceNotResponding  the cloud is up but the device did not answer in time
    ├── ReauthRequired           the access token was refused; refresh once and retry
    │   └── LinkExpired          the refresh token is dead too: the user must re-link
    └── FatalError               retrying will not help
        ├── DeviceOffline        the partner reports the device unreachable
        ├── DeviceNotFound       the device is not (or no longer) in the account
        └── CommandRejected      the partner refused the command's arguments
            └── CapabilityNotSupported  … or the command itself, for this device

Interactions turn these into ST Schema errors with :func:`device_error_for`; only
``LinkExpired`` becomes a global error (the whole account needs re-linking).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from connector.model import Device, DeviceError, DeviceErrorEnum, DeviceRequest, DeviceResult


class PartnerError(Exception):
    """Base of every error a partner client raises. ``detail`` is safe to show."""

    def __init__(self, detail: str = "", *, code: str | None = None, status: int | None = None):
        super().__init__(detail or self.__class__.__name__)
        self.detail = detail or self.__class__.__name__
        self.code = code  # the partner's own error code, when it sent one
        self.status = status  # the HTTP status, when there was a response


class RetryableError(PartnerError):
    pass


class RateLimited(RetryableError):
    def __init__(self, detail: str = "rate limited", *, retry_after: float | None = None, **kw):
        super().__init__(detail, **kw)
        self.retry_after = retry_after


class DeviceNotResponding(RetryableError):
    pass


class MalformedDeviceList(RetryableError):
    """A device list without its array of devices: the read fails, and nothing is taken
    for deleted (an empty list would be); the next read tries again."""


class ReauthRequired(PartnerError):
    pass


class LinkExpired(ReauthRequired):
    pass


class FatalError(PartnerError):
    pass


class DeviceOffline(FatalError):
    pass


class DeviceNotFound(FatalError):
    pass


class CommandRejected(FatalError):
    pass


class CapabilityNotSupported(CommandRejected):
    pass


def device_error_for(exc: PartnerError) -> DeviceError:
    """The ST device error that best tells SmartThings what happened to one device."""
    if isinstance(exc, DeviceNotFound):
        enum = DeviceErrorEnum.DEVICE_DELETED
    elif isinstance(exc, CapabilityNotSupported):
        enum = DeviceErrorEnum.CAPABILITY_NOT_SUPPORTED
    elif isinstance(exc, CommandRejected):
        enum = DeviceErrorEnum.RESOURCE_CONSTRAINT_VIOLATION
    else:
        # Offline, not responding, rate limited, partner down, token trouble: all are
        # "temporarily unavailable for a known reason" from SmartThings' point of view.
        enum = DeviceErrorEnum.DEVICE_UNAVAILABLE
    return DeviceError(enum, exc.detail[:256])


def timeouts_within(timeout: tuple[float, float], seconds_left: float | None) -> tuple[float, float]:
    """A (connect, read) timeout shortened to fit ``seconds_left`` (None: no limit)."""
    if seconds_left is None:
        return timeout
    return (min(timeout[0], seconds_left), min(timeout[1], seconds_left))


@dataclass
class CallContext:
    """What a backend needs to know about the request it is serving."""

    account_id: str
    request_id: str | None = None
    deadline: float = field(default_factory=lambda: time.monotonic() + 8.0)

    def remaining(self) -> float:
        """Seconds left before the interaction must answer (never negative)."""
        return max(0.0, self.deadline - time.monotonic())


@runtime_checkable
class Backend(Protocol):
    """A partner cloud as interactions see it.

    ``name`` is the externalDeviceId namespace (``kasa`` for ``kasa:…``). Methods work
    on one device at a time; interactions own the concurrency and the deadline.
    """

    name: str

    def is_linked(self, account_id: str) -> bool: ...

    def discover(self, ctx: CallContext) -> list[Device]: ...

    def refresh(self, external_id: str, ctx: CallContext) -> DeviceResult: ...

    def command(self, request: DeviceRequest, ctx: CallContext) -> DeviceResult: ...
