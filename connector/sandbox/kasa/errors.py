"""The cloud's error codes and the HTTP status each one travels with.

The API document lists the custom codes and the HTTP statuses the cloud uses, but not
which status goes with which code. The pairing below is ours, chosen from the status
descriptions in the document and kept inside the statuses it lists (so 404 and 409
never appear):

* 400 Bad Request for anything the caller must change before trying again: invalid
  argument or Content-Type, an id that does not exist, a trait the device lacks, a
  month out of range, a clashing schedule, and a device that is offline.
* 401 for a missing, unknown or expired bearer token ("requires user authentication").
* 403 for a wrong X-Api-Key / X-Client-Id: the request was understood but the client
  is refused, which is also what an API gateway answers for a bad API key.
* 429 for rate limiting, 503 when the device exists and is online but does not answer
  (temporary, worth retrying).
"""
from __future__ import annotations

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

ERROR_STATUS = {
    BAD_REQUEST: 400,
    NOT_FOUND: 400,
    CAPABILITY_NOT_SUPPORTED: 400,
    OUT_OF_RANGE_EXCEPTION: 400,
    SCHEDULE_CONFLICT: 400,
    DEVICE_OFFLINE: 400,
    UNAUTHORIZED: 401,
    INVALID_HEADER: 403,
    TOO_MANY_REQUESTS: 429,
    DEVICE_NOT_RESPONDING: 503,
}

# Codes for statuses the document gives no code for; only injected faults use them.
FAULT_CODES = {
    400: BAD_REQUEST,
    401: UNAUTHORIZED,
    403: INVALID_HEADER,
    429: TOO_MANY_REQUESTS,
    500: "INTERNAL_SERVER_ERROR",
    502: "BAD_GATEWAY",
    503: "SERVICE_UNAVAILABLE",
    504: "GATEWAY_TIMEOUT",
}


class KasaError(Exception):
    """An API error answer: ``{requestId, msg, code}`` with the code's HTTP status."""

    def __init__(self, code: str, msg: str, *, status: int | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(f"{code}: {msg}")
        self.code = code
        self.msg = msg
        self.status = status or ERROR_STATUS.get(code, 400)
        self.headers = headers or {}


def bad_request(msg: str) -> KasaError:
    return KasaError(BAD_REQUEST, msg)


class OAuthError(Exception):
    """An RFC 6749 error from the token endpoint: ``{error_description, error}``."""

    def __init__(self, error: str, description: str, status: int = 400):
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status


class SimError(ValueError):
    """A fault knob or provisioning call was given something the simulator can't do."""
