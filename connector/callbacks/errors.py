"""What can go wrong on the callback leg, as one small exception tree.

::

    CallbackError               anything on the way to SmartThings
    ├── Retryable               try again later; ``retry_after`` is SmartThings' own hint
    │   ├── RateLimited         HTTP 429 (honour Retry-After)
    │   ├── ServerError         HTTP 5xx
    │   └── Unreachable         timeout, connection refused/reset, DNS
    ├── Rejected                another 4xx: SmartThings refuses this request as sent
    │   └── Unauthorized        HTTP 401: refresh the callback token and retry once
    ├── UrlRefused              the URL is not an allow-listed SmartThings host
    └── GrantRequired           no usable credentials: a new grantCallbackAccess is needed
    DeliveryFailed              raised by a job to land it in RQ's failed registry

Messages never carry a token: they end up in logs and in the failed registry.
"""
from __future__ import annotations


class CallbackError(Exception):
    """Base of every callback-leg failure."""


class Retryable(CallbackError):
    """A transient failure; ``retry_after`` (seconds) when SmartThings said how long to wait."""

    retry_after: float | None = None


class RateLimited(Retryable):
    def __init__(self, retry_after: float | None):
        shown = f"; Retry-After {retry_after:g} s" if retry_after is not None else ""
        super().__init__(f"HTTP 429 Too Many Requests{shown}")
        self.retry_after = retry_after


class ServerError(Retryable):
    def __init__(self, status: int):
        super().__init__(f"HTTP {status}")
        self.status = status


class Unreachable(Retryable):
    """No HTTP answer at all (timeout, refused connection, broken connection)."""


class Rejected(CallbackError):
    """A 4xx answer; ``enum`` is the globalError SmartThings gave, when it gave one."""

    def __init__(self, status: int, enum: str | None = None, detail: str = ""):
        text = f"HTTP {status}" + (f" {enum}" if enum else "") + (f": {detail}" if detail else "")
        super().__init__(text)
        self.status, self.enum, self.detail = status, enum, detail


class Unauthorized(Rejected):
    """HTTP 401 on a callback: the access token expired or was revoked."""


class UrlRefused(CallbackError):
    """A callback URL outside CALLBACK_ALLOWED_HOSTS (checked at grant time and again at use)."""


class GrantRequired(CallbackError):
    """The installation's callback credentials are missing or cannot be refreshed."""


class DeliveryFailed(Exception):
    """A callback job gave up; the message is the reason shown by ``connector callbacks failed``."""
