"""How a Kasa answer becomes an exception of the partner taxonomy (``backends.base``).

Kasa reports a failure twice: an HTTP status, and a custom ``code`` (with a human
``msg``) in the JSON body. The code is the more precise of the two, so it decides;
the status decides only when there is no code we know. The table below is the whole
policy::

    code / status                          raised
    DEVICE_NOT_RESPONDING                  DeviceNotResponding  (retryable)
    TOO_MANY_REQUESTS, 429                 RateLimited          (retryable; Retry-After)
    5xx without a known code               RetryableError
    UNAUTHORIZED, 401                      ReauthRequired       (transport refreshes once)
    403 without a known code               ReauthRequired       (refreshing cannot help)
    INVALID_HEADER                         FatalError           (our configuration)
    DEVICE_OFFLINE                         DeviceOffline
    NOT_FOUND, 404                         DeviceNotFound on a device path, else FatalError
    CAPABILITY_NOT_SUPPORTED               CapabilityNotSupported on a command, else FatalError
    BAD_REQUEST, 400                       CommandRejected on a command, else FatalError
    OUT_OF_RANGE_EXCEPTION,                CommandRejected      (the arguments were refused)
      SCHEDULE_CONFLICT
    anything else                          FatalError

Transport failures (no answer at all) are ``RetryableError``; when the request surely
never left us (connect error or connect timeout) the subclass ``ConnectFailed`` says
so, which makes even a non-idempotent call safe to retry.

Details are safe to show and log: partner text is truncated and any secret the caller
names is cut out of it.
"""
from __future__ import annotations

import re
import time
from email.utils import parsedate_to_datetime
from typing import Iterable, Mapping

from connector.backends.base import (
    CapabilityNotSupported,
    CommandRejected,
    DeviceNotFound,
    DeviceNotResponding,
    DeviceOffline,
    FatalError,
    PartnerError,
    RateLimited,
    ReauthRequired,
    RetryableError,
)

from connector.backends.kasa.codes import (  # noqa: F401  (re-exported)
    BAD_REQUEST,
    CAPABILITY_NOT_SUPPORTED,
    DEVICE_NOT_RESPONDING,
    DEVICE_OFFLINE,
    INVALID_HEADER,
    NOT_FOUND,
    OUT_OF_RANGE_EXCEPTION,
    SCHEDULE_CONFLICT,
    TOO_MANY_REQUESTS,
    UNAUTHORIZED,
)

KNOWN_CODES = frozenset({
    DEVICE_NOT_RESPONDING, DEVICE_OFFLINE, UNAUTHORIZED, TOO_MANY_REQUESTS, INVALID_HEADER,
    CAPABILITY_NOT_SUPPORTED, BAD_REQUEST, NOT_FOUND, OUT_OF_RANGE_EXCEPTION, SCHEDULE_CONFLICT,
})

REDACTED = "[redacted]"
_MSG_LIMIT = 200
_BEARER = re.compile(r"(?i)bearer\s+\S+")

INVALID_HEADER_DETAIL = (
    "Kasa refused our X-Api-Key/X-Client-Id (INVALID_HEADER): the connector's "
    "KASA_API_KEY or KASA_CLIENT_ID is wrong; this is our configuration, not the user's"
)


class ConnectFailed(RetryableError):
    """The request never reached Kasa (connect error or connect timeout)."""


def scrub(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` without the given secrets or anything shaped like a bearer credential."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    text = _BEARER.sub("Bearer " + REDACTED, text)
    return text if len(text) <= _MSG_LIMIT else text[:_MSG_LIMIT] + "…"


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


def is_unauthorized(exc: PartnerError) -> bool:
    """The access token itself was refused: the one case a token refresh can fix."""
    return isinstance(exc, ReauthRequired) and (exc.code == UNAUTHORIZED or exc.status == 401)


def error_for(
    status: int,
    body: Mapping | None,
    headers: Mapping[str, str] | None = None,
    *,
    command: bool = False,
    on_device: bool = True,
    secrets: Iterable[str | None] = (),
) -> PartnerError:
    """The exception for one failed Kasa answer.

    Args:
        status: the HTTP status.
        body: the decoded JSON body, if it was a JSON object.
        headers: the response headers (for Retry-After).
        command: the call changes device state (refusals become ``CommandRejected``).
        on_device: the path names a device, so NOT_FOUND means the device is gone.
        secrets: strings that must not appear in the detail (tokens, API key).
    """
    body = body if isinstance(body, Mapping) else {}
    raw_code = body.get("code")
    code = raw_code if isinstance(raw_code, str) and raw_code in KNOWN_CODES else None
    msg = body.get("msg") if isinstance(body.get("msg"), str) else ""
    label = code or (raw_code if isinstance(raw_code, str) else None) or f"HTTP {status}"
    detail = scrub(f"Kasa {label}: {msg}" if msg else f"Kasa {label}", secrets)
    kw = {"code": raw_code if isinstance(raw_code, str) else None, "status": status}

    if code == INVALID_HEADER:
        return FatalError(INVALID_HEADER_DETAIL, **kw)
    if code == TOO_MANY_REQUESTS or (code is None and status == 429):
        retry_after = parse_retry_after((headers or {}).get("Retry-After"))
        return RateLimited(detail, retry_after=retry_after, **kw)
    if code == DEVICE_NOT_RESPONDING:
        return DeviceNotResponding(detail, **kw)
    if code == DEVICE_OFFLINE:
        return DeviceOffline(detail, **kw)
    if code == UNAUTHORIZED or (code is None and status in (401, 403)):
        return ReauthRequired(detail, **kw)
    if code == NOT_FOUND or (code is None and status == 404):
        return (DeviceNotFound if on_device else FatalError)(detail, **kw)
    if code in (OUT_OF_RANGE_EXCEPTION, SCHEDULE_CONFLICT):
        return CommandRejected(detail, **kw)
    if code == CAPABILITY_NOT_SUPPORTED:
        return (CapabilityNotSupported if command else FatalError)(detail, **kw)
    if code == BAD_REQUEST or (code is None and status == 400):
        return (CommandRejected if command else FatalError)(detail, **kw)
    if code is None and status >= 500:
        return RetryableError(detail, **kw)
    return FatalError(detail, **kw)
