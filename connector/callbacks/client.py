"""The HTTP leg to SmartThings: POST one JSON envelope, classify the answer.

Every URL is checked against the allow-list right before it is used, not only when the
grant stored it: the list may have been narrowed since, and a stored URL must never
become a way to make us call elsewhere. Redirects are not followed for the same reason.
Nothing here logs a payload (it carries the token).
"""
from __future__ import annotations

import email.utils
import time
from urllib.parse import urlsplit

import requests

from connector import logs

from .errors import RateLimited, Rejected, ServerError, Unauthorized, Unreachable, UrlRefused
from .urls import is_allowed

log = logs.get_logger(__name__)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


def _global_error(resp: requests.Response) -> tuple[str | None, str]:
    try:
        body = resp.json()
    except ValueError:
        return None, ""
    error = body.get("globalError") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None, ""
    enum, detail = error.get("errorEnum"), error.get("detail")
    return (enum if isinstance(enum, str) else None), (detail if isinstance(detail, str) else "")


def classify(resp: requests.Response) -> dict:
    """The JSON body of a 2xx answer ({} when empty); raise what any other status means."""
    status = resp.status_code
    if 200 <= status < 300:
        try:
            body = resp.json()
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}
    if status == 429:
        raise RateLimited(parse_retry_after(resp.headers.get("Retry-After")))
    if status >= 500:
        raise ServerError(status)
    if status == 408:
        raise Unreachable("HTTP 408 Request Timeout")
    enum, detail = _global_error(resp)
    if status == 401:
        raise Unauthorized(status, enum, detail)
    raise Rejected(status, enum, detail)


class SmartThingsClient:
    """Posts envelopes to SmartThings' callback URLs; one per job (it owns a session)."""

    def __init__(self, allowed_hosts: tuple[str, ...], *, connect_timeout: float = 5.0,
                 read_timeout: float = 15.0, session: requests.Session | None = None):
        self.allowed_hosts = tuple(allowed_hosts)
        self.timeout = (connect_timeout, read_timeout)
        self.session = session or requests.Session()

    def post(self, url: str, payload: dict) -> dict:
        if not is_allowed(url, self.allowed_hosts):
            host = urlsplit(url).hostname if isinstance(url, str) else None
            log.warning("callback URL refused: host not allow-listed", host=host)
            raise UrlRefused(f"{host or 'the URL'} is not an allow-listed SmartThings host")
        try:
            resp = self.session.post(url, json=payload, timeout=self.timeout,
                                     allow_redirects=False)
        except requests.Timeout:
            raise Unreachable("SmartThings did not answer in time") from None
        except requests.RequestException as exc:
            raise Unreachable(f"cannot reach SmartThings ({type(exc).__name__})") from None
        return classify(resp)

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> "SmartThingsClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
