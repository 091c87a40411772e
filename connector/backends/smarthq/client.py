"""Client for the SmartHQ Digital Twin v2 endpoints the connector uses (smarthq-api.md §2).

Each method is one documented endpoint and returns the decoded JSON object as a plain
dict (``{}`` for a 204); ``mapping`` turns those dicts into the model. Every method
takes two keyword-only arguments besides its own:

* ``request_id`` — correlates our log lines (SmartHQ documents no request-id header);
* ``deadline`` — a ``time.monotonic()`` instant; timeouts and retry waits are capped so
  the call never outlives its caller.

``send_command`` checks ``success`` and ``outcome``, not just the HTTP status: a 200
that did not work raises (see ``smarthq.errors``). Failures raise the taxonomy of
``connector.backends.base``. Configuration is explicit: nothing here reads settings.
"""
from __future__ import annotations

import time
from typing import Any, Callable, Mapping, Protocol, runtime_checkable
from urllib.parse import quote

import requests

from connector.backends.base import FatalError, LinkExpired, MalformedDeviceList
from connector.backends.smarthq import errors
from connector.backends.smarthq.transport import DEFAULT_TIMEOUT, RetryPolicy, SmartHQTransport

__all__ = ["PAGE_SIZE_MAX", "RetryPolicy", "SmartHQClient", "StaticTokens", "TokenSource"]

PAGE_SIZE_MAX = 100  # §2.1: perpage is at most 100
MAX_PAGES = 100  # 10 000 appliances: a loop guard, not a real limit
PUBSUB_FLAGS = ("services", "presence", "alerts", "commands")


@runtime_checkable
class TokenSource(Protocol):
    """Where a ``SmartHQClient`` gets the user's SmartHQ access token.

    The same protocol as Kasa's (``connector.oauth.tokens.StoredTokens`` implements
    it): ``access_token()`` at the start of every call; when SmartHQ answers 401,
    ``refresh(stale_token)`` once and a retry with whatever comes back. ``refresh``
    raises ``LinkExpired`` when the user must link again. Neither may log a token.
    """

    def access_token(self, deadline: float | None = None) -> str: ...

    def refresh(self, stale_token: str, deadline: float | None = None) -> str: ...


class StaticTokens:
    """A fixed access token that cannot be refreshed (admin scripts and tests)."""

    def __init__(self, access_token: str):
        self._token = access_token

    def __repr__(self) -> str:
        return "StaticTokens(<hidden>)"

    def access_token(self, deadline: float | None = None) -> str:
        return self._token

    def refresh(self, stale_token: str, deadline: float | None = None) -> str:
        raise LinkExpired("the SmartHQ access token was refused and cannot be refreshed here")


def _path(*parts: str) -> str:
    # Ids are quoted whole, so an id can never reach another endpoint ("../", "/").
    return "".join("/" + quote(str(p), safe="") for p in parts)


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _flags(**flags: bool) -> dict:
    for name, value in flags.items():
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be a bool")
    return flags


class SmartHQClient:
    """The Digital Twin API for one linked user (one token source)."""

    def __init__(
        self,
        api_url: str,
        tokens: TokenSource,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        *,
        retry: RetryPolicy = RetryPolicy(),
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._http = SmartHQTransport(api_url, tokens, session, timeout, retry=retry,
                                      sleep=sleep, clock=clock)

    def __repr__(self) -> str:
        return f"SmartHQClient({self._http.api_url!r})"

    def _get(self, path: str, params=None, **opts) -> dict:
        return self._http.request("GET", path, params=params, **opts)

    # -- devices ------------------------------------------------------------------------

    def device_page(self, page: int = 1, perpage: int = 50, *,
                    filters: Mapping[str, str] | None = None, request_id=None,
                    deadline=None) -> dict:
        """GET /v2/device → one ``device#list`` page (entries carry no services)."""
        if not _whole(page) or page < 1:
            raise ValueError("page starts at 1")
        if not _whole(perpage) or not 1 <= perpage <= PAGE_SIZE_MAX:
            raise ValueError(f"perpage must be 1–{PAGE_SIZE_MAX}")
        params = {**(filters or {}), "page": page, "perpage": perpage}
        return self._get("/v2/device", params, on_device=False, request_id=request_id,
                         deadline=deadline)

    def list_devices(self, *, filters: Mapping[str, str] | None = None, request_id=None,
                     deadline=None) -> list[dict]:
        """Every device of the user: all ``device#list`` pages, in order.

        Stops at ``total`` or at the first short or empty page, whichever comes first,
        so a ``total`` that is missing or wrong can neither loop nor cut the list short.
        """
        devices: list[dict] = []
        for page in range(1, MAX_PAGES + 1):
            body = self.device_page(page, PAGE_SIZE_MAX, filters=filters,
                                    request_id=request_id, deadline=deadline)
            if not isinstance(body.get("devices"), list):
                raise MalformedDeviceList(f"SmartHQ device list page {page} has no devices array")
            batch = [d for d in body["devices"] if isinstance(d, dict)]
            devices.extend(batch)
            total = body.get("total")
            if len(batch) < PAGE_SIZE_MAX or (isinstance(total, int) and len(devices) >= total):
                return devices
        raise FatalError(f"SmartHQ device list longer than {MAX_PAGES} pages")

    def device(self, device_id: str, *, request_id=None, deadline=None) -> dict:
        """GET /v2/device/{deviceId} → ``device#item`` with its ``services``."""
        return self._get(_path("v2", "device", device_id), request_id=request_id,
                         deadline=deadline)

    def service(self, device_id: str, service_id: str, *, request_id=None,
                deadline=None) -> dict:
        """GET /v2/device/{deviceId}/service/{serviceId} → one service (with ``deviceId``)."""
        return self._get(_path("v2", "device", device_id, "service", service_id),
                         on_device=False, request_id=request_id, deadline=deadline)

    # -- commands -----------------------------------------------------------------------

    def send_command(self, device_id: str, service_type: str, domain_type: str,
                     service_device_type: str, command: Mapping[str, Any], *,
                     request_id=None, deadline=None) -> dict:
        """POST /v2/command to the service named by its triple → ``service#command``.

        ``command`` holds ``commandType`` and its parameters. Raises ``DeviceOffline``
        on 412, ``CommandRejected`` on 400, and for a 200 that did not work
        ``ServiceDisabled``, ``CommandTimedOut`` or ``CommandFailed``. Not repeated
        after an ambiguous failure: a trigger or an adjust would act twice.
        """
        if not isinstance(command, Mapping) or not command.get("commandType"):
            raise ValueError("command needs a commandType")
        body = {
            "kind": "service#command",
            "deviceId": device_id,
            "serviceType": service_type,
            "domainType": domain_type,
            "serviceDeviceType": service_device_type,
            "command": dict(command),
        }
        answer = self._http.request("POST", "/v2/command", body=body, command=True,
                                    idempotent=False, request_id=request_id, deadline=deadline)
        failure = errors.command_failure(answer)
        if failure is not None:
            raise failure
        return answer

    def command_outcomes(self, correlation_id: str, *, request_id=None, deadline=None) -> dict:
        """GET /v2/command/{correlationId} → ``command#outcomes`` (per-service outcomes)."""
        return self._get(_path("v2", "command", correlation_id), on_device=False,
                         request_id=request_id, deadline=deadline)

    def command_summary(self, correlation_id: str, *, request_id=None, deadline=None) -> dict:
        """GET /v2/command/{correlationId}/summary → ``command#summary`` (counts)."""
        return self._get(_path("v2", "command", correlation_id, "summary"), on_device=False,
                         request_id=request_id, deadline=deadline)

    # -- event stream bootstrap ---------------------------------------------------------

    def websocket_endpoint(self, *, request_id=None, deadline=None) -> str:
        """GET /v2/websocket → the per-user ``wss://`` URL (it embeds the access token,
        so it is a secret: never log it)."""
        body = self._get("/v2/websocket", on_device=False, request_id=request_id,
                         deadline=deadline)
        endpoint = body.get("endpoint")
        if not isinstance(endpoint, str) or not endpoint:
            raise FatalError("SmartHQ answered /v2/websocket without an endpoint")
        return endpoint

    # -- pub/sub (HTTPS callback channel) -----------------------------------------------

    def pubsub(self, *, request_id=None, deadline=None) -> dict:
        """GET /v2/pubsub → the user-level ``user#pubsub`` settings."""
        return self._get("/v2/pubsub", on_device=False, request_id=request_id,
                         deadline=deadline)

    def set_pubsub(self, *, services: bool = True, presence: bool = True, alerts: bool = True,
                   commands: bool = True, request_id=None, deadline=None) -> dict:
        """POST /v2/pubsub: turn user-level pub/sub on with these categories."""
        body = {"kind": "user#pubsub", "pubsub": True,
                **_flags(services=services, presence=presence, alerts=alerts, commands=commands)}
        return self._http.request("POST", "/v2/pubsub", body=body, on_device=False,
                                  request_id=request_id, deadline=deadline)

    def delete_pubsub(self, *, request_id=None, deadline=None) -> dict:
        """DELETE /v2/pubsub (204)."""
        return self._http.request("DELETE", "/v2/pubsub", on_device=False,
                                  request_id=request_id, deadline=deadline)

    def device_pubsub(self, device_id: str, *, request_id=None, deadline=None) -> dict:
        """GET /v2/device/{deviceId}/pubsub → ``device#pubsub`` settings."""
        return self._get(_path("v2", "device", device_id, "pubsub"), request_id=request_id,
                         deadline=deadline)

    def set_device_pubsub(self, device_id: str, *, services: bool = True, presence: bool = True,
                          alerts: bool = False, commands: bool = False, request_id=None,
                          deadline=None) -> dict:
        """POST /v2/device/{deviceId}/pubsub (user-level pub/sub must be on first)."""
        body = {"kind": "device#pubsub", "pubsub": True,
                **_flags(services=services, presence=presence, alerts=alerts, commands=commands)}
        return self._http.request("POST", _path("v2", "device", device_id, "pubsub"), body=body,
                                  request_id=request_id, deadline=deadline)

    def delete_device_pubsub(self, device_id: str, *, request_id=None, deadline=None) -> dict:
        """DELETE /v2/device/{deviceId}/pubsub (204)."""
        return self._http.request("DELETE", _path("v2", "device", device_id, "pubsub"),
                                  request_id=request_id, deadline=deadline)
