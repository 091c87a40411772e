"""One Digital Twin call on the wire: headers, timeouts, deadline, retries, token refresh.

``SmartHQTransport.request`` is the only place that talks HTTP to the Digital Twin API.
It

* sends ``Authorization: Bearer <token>`` and JSON headers. The API documents no
  request-id header, so none is invented; the caller's request id goes to our logs;
* caps the connect/read timeouts by the caller's ``deadline`` (a ``time.monotonic()``
  instant) so a call never outlives the request it serves;
* on 401 asks the token source for a fresh token once and retries once;
* retries retryable failures a few times with exponential back-off and jitter, but
  only while the deadline leaves room for another attempt (a 429 waits its
  Retry-After when that fits, otherwise it is raised at once);
* returns the decoded JSON object (``{}`` for an empty answer such as a 204).

SmartHQ's own guidance is to keep a user's calls few (§4: a per-app-per-user budget),
so the retry policy is deliberately short.
"""
from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

from connector import logs
from connector.backends.base import (PartnerError, RateLimited, ReauthRequired, RetryableError,
                                     timeouts_within)
from connector.backends.smarthq import errors

if TYPE_CHECKING:
    from connector.backends.smarthq.client import TokenSource

log = logs.get_logger(__name__)

DEFAULT_TIMEOUT = (3.05, 6.0)
"""(connect, read) seconds for one attempt, before the deadline cap."""

POOL_SIZE = 32
"""Connections kept per host when we build the session: at least the fan-out width."""


@dataclass(frozen=True)
class RetryPolicy:
    """How hard one call tries before it gives up (all waits also bow to the deadline)."""

    attempts: int = 3
    """Tries in all, the first one included (a token refresh retry is extra)."""
    backoff: float = 0.2
    """First back-off in seconds; doubled for each further retry."""
    backoff_max: float = 2.0
    """Longest single back-off."""
    max_retry_after: float = 10.0
    """Longest Retry-After waited in-process when the caller set no deadline."""
    min_attempt: float = 0.5
    """Retry only if at least this many seconds would be left for the retry itself."""


_MIN_TIMEOUT = 0.01  # below this an attempt cannot succeed; treat as deadline reached


class SmartHQTransport:
    """Authenticated JSON calls to the Digital Twin API with the retry and deadline policy."""

    def __init__(
        self,
        api_url: str,
        tokens: "TokenSource",
        session: requests.Session | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        *,
        retry: RetryPolicy = RetryPolicy(),
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ):
        self.api_url = api_url.rstrip("/")
        self._tokens = tokens
        self._session = session or new_session()
        self._timeout = timeout
        self._retry = retry
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()

    def __repr__(self) -> str:
        return f"SmartHQTransport({self.api_url!r})"

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
        request_id: str | None = None,
        deadline: float | None = None,
        command: bool = False,
        idempotent: bool = True,
        on_device: bool = True,
    ) -> dict:
        """Call ``method path`` and return the decoded JSON object ({} if none).

        Args:
            params: query string.
            body: JSON body.
            request_id: correlates our log lines; a fresh uuid4 when not given.
            deadline: ``time.monotonic()`` instant after which we must not be waiting.
            command: the call is ``POST /v2/command`` (a 400 is a refused command).
            idempotent: repeating the call is harmless; if False only failures that
                surely did not reach SmartHQ (connect errors, 429) are retried.
            on_device: the path names a device (404 means DeviceNotFound).
        """
        request_id = request_id or str(uuid.uuid4())
        token = self._tokens.access_token(deadline)
        refreshed = False
        attempt = 1
        while True:
            try:
                return self._once(method, path, params, body, token, deadline,
                                  command=command, on_device=on_device)
            except PartnerError as exc:
                if errors.is_unauthorized(exc):
                    if refreshed:
                        raise ReauthRequired(
                            "SmartHQ refused a freshly refreshed access token",
                            code=exc.code, status=exc.status) from None
                    # LinkExpired (refresh impossible) propagates from here on purpose.
                    token = self._tokens.refresh(token, deadline)
                    refreshed = True
                    continue
                wait = self._retry_wait(exc, attempt, deadline, idempotent)
                if wait is None:
                    raise
                log.info("smarthq call retried", method=method, path=path, requestId=request_id,
                         attempt=attempt, wait=round(wait, 3), error=type(exc).__name__,
                         status=exc.status)
                self._sleep(wait)
                attempt += 1

    # -- one attempt --------------------------------------------------------------------

    def _once(self, method, path, params, body, token, deadline, *, command, on_device):
        headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
        }
        if body is not None:
            headers["Content-Type"] = "application/json"
        timeout = self._timeouts(deadline)
        try:
            resp = self._session.request(
                method, self.api_url + path, params=params, json=body, headers=headers,
                timeout=timeout, allow_redirects=False)
        except requests.RequestException as exc:
            raise _transport_error(exc) from exc

        decoded = _json(resp)
        if 200 <= resp.status_code < 300:
            if not isinstance(decoded, dict):
                raise RetryableError("SmartHQ answered with a body that is not a JSON object",
                                     status=resp.status_code)
            return decoded
        raise errors.error_for(resp.status_code, decoded, resp.headers, command=command,
                               on_device=on_device, secrets=(token,))

    def _timeouts(self, deadline: float | None) -> tuple[float, float]:
        if deadline is None:
            return self._timeout
        left = deadline - self._clock()
        if left < _MIN_TIMEOUT:
            raise RetryableError("deadline reached before calling SmartHQ", code="DEADLINE")
        return timeouts_within(self._timeout, left)

    def _retry_wait(self, exc: PartnerError, attempt: int, deadline: float | None,
                    idempotent: bool) -> float | None:
        """Seconds to sleep before the next attempt, or None to give up now."""
        policy = self._retry
        if not isinstance(exc, RetryableError) or exc.code == "DEADLINE":
            return None
        if attempt >= policy.attempts:
            return None
        if not idempotent and not isinstance(exc, (errors.ConnectFailed, RateLimited)):
            return None  # SmartHQ may have acted on it; a repeat could act twice
        left = None if deadline is None else deadline - self._clock() - policy.min_attempt

        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            limit = policy.max_retry_after if left is None else left
            return exc.retry_after if exc.retry_after <= limit else None

        base = min(policy.backoff_max, policy.backoff * 2 ** (attempt - 1))
        wait = base / 2 + self._rng.uniform(0, base / 2)  # "equal jitter"
        if left is not None and wait > left:
            return None
        return wait


def new_session(pool_size: int = POOL_SIZE) -> requests.Session:
    """A keep-alive session; share one per process so TLS is set up once, not per call."""
    session = requests.Session()
    # Retries are ours (they must respect the deadline), so urllib3's stay off.
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def _json(resp: requests.Response):
    if not resp.content:
        return {}
    try:
        return resp.json()
    except ValueError:
        return None


def _transport_error(exc: requests.RequestException) -> RetryableError:
    """A transport failure as a retryable error that says whether the request left us."""
    name = type(exc).__name__
    if isinstance(exc, requests.ConnectTimeout) or _never_connected(exc):
        return errors.ConnectFailed(f"could not connect to SmartHQ ({name})", code="CONNECT")
    if isinstance(exc, requests.Timeout):
        return RetryableError(f"SmartHQ did not answer in time ({name})", code="TIMEOUT")
    return RetryableError(f"SmartHQ connection failed ({name})", code="CONNECTION")


def _never_connected(exc: requests.RequestException) -> bool:
    if not isinstance(exc, requests.ConnectionError):
        return False
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, (NewConnectionError, ConnectTimeoutError, NameResolutionError))
