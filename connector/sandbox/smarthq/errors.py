"""Errors of the simulated cloud, each in the shape its surface answers with.

* ``ApiError``: a Digital Twin error, ``{"kind":"error","code":N,"message":..,"reason":..}``.
  The document (§4) says v2 probably uses v1's envelope; we use it for every status.
* ``OAuthError``: the identity server's ``{"error":..,"error_description":..}`` (§1.2-1.3).
* ``SimError``: a knob or provisioning call the simulator cannot do (admin answers 400).
"""
from __future__ import annotations

# The message of each status when the route has nothing more specific to say.
MESSAGES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    409: "Conflict",
    412: "Precondition Failed",
    413: "Payload Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}

# §4's v1 429 body, the only rate-limit body the document has.
RATE_LIMIT_MESSAGE = ("The server is refusing to service the request because the user has "
                      "sent too many requests in a given amount of time.")
OFFLINE_REASON = "Gateway or device is offline, or service state is unknown"


class ApiError(Exception):
    def __init__(self, status: int, reason: str, *, message: str | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(f"{status}: {reason}")
        self.status = status
        self.reason = reason
        self.message = message or MESSAGES.get(status, "Error")
        self.headers = headers or {}

    def body(self) -> dict:
        return {"kind": "error", "code": self.status, "message": self.message,
                "reason": self.reason}


def bad_request(reason: str) -> ApiError:
    return ApiError(400, reason)


class OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400):
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status

    def body(self) -> dict:
        return {"error": self.error, "error_description": self.description}


class SimError(ValueError):
    """A knob or provisioning call was given something the simulator can't do."""
