"""How a SmartHQ Digital Twin answer becomes an exception of the partner taxonomy.

SmartHQ speaks through the HTTP status (smarthq-api.md §4); the JSON error body
(``{"kind":"error","code":..,"message":..,"reason":..}``, the v1 envelope that v2
probably shares) only adds words for the detail. The whole policy::

    status / outcome                      raised
    401                                   ReauthRequired      (transport refreshes once)
    403                                   FatalError          (a permission the app's policy
                                                               lacks, or not the user's device:
                                                               a new token cannot fix either)
    404 on a device path                  DeviceNotFound
    404 elsewhere                         FatalError          (unknown service, correlationId)
    408                                   DeviceNotResponding (retryable)
    409                                   FatalError          (device not removable)
    412                                   DeviceOffline       (gateway/device offline)
    400 on a command                      CommandRejected     (bad parameters, unknown triple)
    400 elsewhere                         FatalError          (our request was malformed)
    429                                   RateLimited         (Retry-After honoured)
    5xx                                   RetryableError
    anything else                         FatalError

A command answered with HTTP 200 is only done when ``success`` is not false and the
``outcome`` is ``cloud.smarthq.outcome.success`` (§2.4)::

    outcome servicedisabled               ServiceDisabled     → DEVICE-UNAVAILABLE
    outcome timeout                       CommandTimedOut     (retryable; not repeated)
    any other failure                     CommandFailed       → DEVICE-UNAVAILABLE

Details are safe to show and log: partner text is truncated and secrets are cut out.
"""
from __future__ import annotations

import re
import time
from email.utils import parsedate_to_datetime
from typing import Iterable, Mapping

from connector.backends.base import (
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

OUTCOME_SUCCESS = "cloud.smarthq.outcome.success"
OUTCOME_TIMEOUT = "cloud.smarthq.outcome.timeout"
OUTCOME_DISABLED = "cloud.smarthq.outcome.servicedisabled"

REDACTED = "[redacted]"
_MSG_LIMIT = 200
_BEARER = re.compile(r"(?i)bearer\s+\S+")
# The WebSocket endpoint carries the access token in its query string (§2.5).
_TOKEN_PARAM = re.compile(r"(?i)((?:access_)?token=)[^&\s\"']+")


class ConnectFailed(RetryableError):
    """The request never reached SmartHQ (connect error or connect timeout)."""


class ServiceDisabled(FatalError):
    """SmartHQ refused a command because the service is disabled right now.

    Typically remote control is off on the appliance (Remote Start not armed). Not a
    ``CommandRejected``: the command is fine, the appliance is not accepting it yet, so
    SmartThings hears DEVICE-UNAVAILABLE rather than a constraint violation.
    """


class CommandTimedOut(DeviceNotResponding):
    """SmartHQ accepted a command but the appliance did not confirm it in time."""


class CommandFailed(FatalError):
    """A command answered 200 with ``success: false`` and an outcome we do not know."""


def scrub(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` without the given secrets, bearer credentials or token parameters."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    text = _BEARER.sub("Bearer " + REDACTED, text)
    text = _TOKEN_PARAM.sub(lambda m: m.group(1) + REDACTED, text)
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
    return isinstance(exc, ReauthRequired) and exc.status == 401


def error_for(
    status: int,
    body: Mapping | None,
    headers: Mapping[str, str] | None = None,
    *,
    command: bool = False,
    on_device: bool = True,
    secrets: Iterable[str | None] = (),
) -> PartnerError:
    """The exception for one failed Digital Twin answer.

    Args:
        status: the HTTP status.
        body: the decoded JSON body, if it was a JSON object.
        headers: the response headers (for Retry-After).
        command: the call was ``POST /v2/command`` (a 400 means the command was refused).
        on_device: the path names a device, so 404 means the device is gone.
        secrets: strings that must not appear in the detail (the access token).
    """
    body = body if isinstance(body, Mapping) else {}
    words = [w for w in (body.get("message"), body.get("reason")) if isinstance(w, str) and w]
    text = ": ".join(dict.fromkeys(words))  # the two are often the same sentence
    detail = scrub(f"SmartHQ HTTP {status}" + (f": {text}" if text else ""), secrets)
    kw = {"code": str(status), "status": status}

    if status == 401:
        return ReauthRequired(detail, **kw)
    if status == 403:
        return FatalError(detail if text else detail + ": permission refused", **kw)
    if status == 404:
        return (DeviceNotFound if on_device else FatalError)(detail, **kw)
    if status == 408:
        return DeviceNotResponding(detail, **kw)
    if status == 412:
        return DeviceOffline(detail, **kw)
    if status == 429:
        retry_after = parse_retry_after((headers or {}).get("Retry-After"))
        return RateLimited(detail, retry_after=retry_after, **kw)
    if status == 400:
        return (CommandRejected if command else FatalError)(detail, **kw)
    if status >= 500:
        return RetryableError(detail, **kw)
    return FatalError(detail, **kw)


def command_failure(answer: Mapping) -> PartnerError | None:
    """The error a 200 ``service#command`` answer stands for, or None if it succeeded."""
    success = answer.get("success")
    outcome = answer.get("outcome")
    if success is not False and outcome in (None, OUTCOME_SUCCESS):
        return None
    shown = outcome.rsplit(".", 1)[-1] if isinstance(outcome, str) else "none"
    kw = {"code": outcome if isinstance(outcome, str) else None, "status": 200}
    if outcome == OUTCOME_DISABLED:
        return ServiceDisabled(
            "SmartHQ: the appliance is not accepting remote commands now (service disabled; "
            "remote control may be off on its panel)", **kw)
    if outcome == OUTCOME_TIMEOUT:
        return CommandTimedOut("SmartHQ: the appliance did not confirm the command in time",
                               **kw)
    return CommandFailed(f"SmartHQ did not carry out the command (outcome {shown})", **kw)
