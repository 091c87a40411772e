"""Client for every endpoint of the Kasa cloud API (kasa-cloud-api.txt).

Each method is one documented endpoint and returns the answer's ``data`` object as a
plain dict (``{}`` when the endpoint returns none); ``mapping`` turns those dicts into
the model. Every method takes two keyword-only arguments besides its own:

* ``request_id`` — sent as X-Request-Id (pass SmartThings' requestId when serving one;
  a fresh uuid4 otherwise);
* ``deadline`` — a ``time.monotonic()`` instant; timeouts and retry waits are capped so
  the call never outlives its caller.

Failures raise the taxonomy of ``connector.backends.base`` (see ``kasa.errors`` for the
mapping of Kasa's codes). Configuration is explicit: nothing here reads settings.
"""
from __future__ import annotations

import time
from typing import Any, Callable, Mapping, Protocol, runtime_checkable
from urllib.parse import quote

import requests

from connector.backends.base import LinkExpired, MalformedDeviceList
from connector.backends.kasa.oauth import KasaOAuth, KasaToken
from connector.backends.kasa.transport import DEFAULT_TIMEOUT, KasaTransport, RetryPolicy

__all__ = ["KasaClient", "KasaOAuth", "KasaToken", "RetryPolicy", "StaticTokens", "TokenSource"]

TRANSITION_MAX_MS = 10_000
SCHEDULE_NAME_MAX = 32


@runtime_checkable
class TokenSource(Protocol):
    """Where a ``KasaClient`` gets the user's Kasa access token.

    The client calls ``access_token()`` at the start of every call. When Kasa refuses
    that token (401/UNAUTHORIZED) it calls ``refresh(stale_token)`` once and retries
    with whatever comes back.

    An implementation for the service must make ``refresh`` single-flight across
    threads and processes: under a lock per account, re-read the stored token; if it
    already differs from ``stale_token`` someone else refreshed, so return it without
    calling Kasa; otherwise refresh with the refresh token (``KasaOAuth.refresh``),
    persist the new pair, and return the new access token. When refreshing is
    impossible (no refresh token, or Kasa rejects it) it raises ``LinkExpired``; a
    transient OAuth failure may surface as ``RetryableError``. ``access_token`` may
    refresh proactively shortly before expiry. Neither method may log a token.
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
        raise LinkExpired("the Kasa access token was refused and cannot be refreshed here")


def _path(*parts: str) -> str:
    # Ids are quoted whole, so an id can never reach another endpoint ("../", "/").
    return "".join("/" + quote(str(p), safe="") for p in parts)


def _transition(data: dict, transition_period: int | None) -> dict:
    if transition_period is not None:
        if isinstance(transition_period, bool) or not 0 <= transition_period <= TRANSITION_MAX_MS:
            raise ValueError(f"transition_period must be 0–{TRANSITION_MAX_MS} ms")
        data["transitionPeriod"] = int(transition_period)
    return data


def _in_range(name: str, value: float, low: float, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise ValueError(f"{name} must be a number in {low}–{high}, got {value!r}")


def _period(year: int, month: int | None, group_by: str) -> dict:
    if month is not None:
        _in_range("month", month, 1, 12)
    params = {"year": int(year), "groupBy": group_by}
    if month is not None:
        params["month"] = int(month)
    return params


class KasaClient:
    """The Kasa cloud API for one linked user (one token source)."""

    def __init__(
        self,
        api_url: str,
        api_key: str,
        client_id: str,
        tokens: TokenSource,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        *,
        retry: RetryPolicy = RetryPolicy(),
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._http = KasaTransport(api_url, api_key, client_id, tokens, session, timeout,
                                   retry=retry, sleep=sleep, clock=clock)

    def __repr__(self) -> str:
        return f"KasaClient({self._http.api_url!r})"

    def _get(self, path, params=None, **opts) -> dict:
        return self._http.request("GET", path, params=params, **opts)

    def _command(self, device_id: str, endpoint: str, data: dict, **opts) -> dict:
        return self._http.request("POST", _path("devices", device_id, endpoint),
                                  body={"data": data}, command=True, **opts)

    # -- devices ------------------------------------------------------------------------

    def list_devices(self, *, request_id=None, deadline=None) -> dict:
        """GET /devices → ``{"accountId", "devices": [Device…]}``.

        An answer without its devices array raises ``MalformedDeviceList``: taken for
        an empty list, it would make every device look removed.
        """
        data = self._get("/devices", request_id=request_id, deadline=deadline, on_device=False)
        if not isinstance(data.get("devices"), list):
            raise MalformedDeviceList("the Kasa device list has no devices array")
        return data

    def device_info(self, device_id: str, *, request_id=None, deadline=None) -> dict:
        """GET /devices/{id} → ``{"device": Device, "state": State}``."""
        return self._get(_path("devices", device_id), request_id=request_id, deadline=deadline)

    # -- control (absolute values, so safe to retry) -----------------------------------

    def set_power(self, device_id: str, powered: bool, *, transition_period: int | None = None,
                  request_id=None, deadline=None) -> dict:
        """POST /devices/{id}/power."""
        if not isinstance(powered, bool):
            raise ValueError("powered must be a bool")
        data = _transition({"powered": powered}, transition_period)
        return self._command(device_id, "power", data, request_id=request_id, deadline=deadline)

    def set_brightness(self, device_id: str, brightness: int, *,
                       transition_period: int | None = None, request_id=None,
                       deadline=None) -> dict:
        """POST /devices/{id}/brightness (0–100)."""
        _in_range("brightness", brightness, 0, 100)
        data = _transition({"brightness": int(brightness)}, transition_period)
        return self._command(device_id, "brightness", data, request_id=request_id,
                             deadline=deadline)

    def set_color(self, device_id: str, hue: float, saturation: float, brightness: int, *,
                  transition_period: int | None = None, request_id=None,
                  deadline=None) -> dict:
        """POST /devices/{id}/color with HSB (hue 0–360°, saturation 0–100, brightness 0–100)."""
        _in_range("hue", hue, 0, 360)
        _in_range("saturation", saturation, 0, 100)
        _in_range("brightness", brightness, 0, 100)
        hsb = {"hue": hue, "saturation": saturation, "brightness": int(brightness)}
        data = _transition({"color": {"hsb": hsb}}, transition_period)
        return self._command(device_id, "color", data, request_id=request_id, deadline=deadline)

    def set_color_temperature(self, device_id: str, kelvin: int, *,
                              transition_period: int | None = None, request_id=None,
                              deadline=None) -> dict:
        """POST /devices/{id}/color-temperature (Kelvin; device range in its metadata)."""
        _in_range("kelvin", kelvin, 1, 30_000)
        data = _transition({"colorTemperature": int(kelvin)}, transition_period)
        return self._command(device_id, "color-temperature", data, request_id=request_id,
                             deadline=deadline)

    # -- energy -------------------------------------------------------------------------

    def energy_by_day(self, device_id: str, year: int, month: int, *, request_id=None,
                      deadline=None) -> dict:
        """GET energy-consumption grouped by day (past 30 days only) → ``{"energyStats"}``."""
        return self._get(_path("devices", device_id, "energy-consumption"),
                         _period(year, month, "day"), request_id=request_id, deadline=deadline)

    def energy_by_month(self, device_id: str, year: int, month: int | None = None, *,
                        request_id=None, deadline=None) -> dict:
        """GET energy-consumption grouped by month (past 12 months; month optional)."""
        return self._get(_path("devices", device_id, "energy-consumption"),
                         _period(year, month, "month"), request_id=request_id,
                         deadline=deadline)

    def delete_energy_stats(self, device_id: str, *, request_id=None, deadline=None) -> dict:
        """DELETE /devices/{id}/energy-consumption: erases the device's energy history."""
        return self._http.request("DELETE", _path("devices", device_id, "energy-consumption"),
                                  command=True, request_id=request_id, deadline=deadline)

    def realtime_energy(self, device_id: str, *, request_id=None, deadline=None) -> dict:
        """GET realtime-energy-consumption → ``{"realTimeStat": {...}}`` (see mapping)."""
        return self._get(_path("devices", device_id, "realtime-energy-consumption"),
                         request_id=request_id, deadline=deadline)

    # -- runtime ------------------------------------------------------------------------

    def runtime_by_day(self, device_id: str, year: int, month: int, *, request_id=None,
                       deadline=None) -> dict:
        """GET runtime grouped by day → ``{"runtimeStats": [{"day", "usageMins"}…]}``."""
        return _runtime(self._get(_path("devices", device_id, "runtime"),
                                  _period(year, month, "day"), request_id=request_id,
                                  deadline=deadline))

    def runtime_by_month(self, device_id: str, year: int, month: int | None = None, *,
                         request_id=None, deadline=None) -> dict:
        """GET runtime grouped by month → ``{"runtimeStats": [{"month", "usageMins"}…]}``."""
        return _runtime(self._get(_path("devices", device_id, "runtime"),
                                  _period(year, month, "month"), request_id=request_id,
                                  deadline=deadline))

    # -- schedules ----------------------------------------------------------------------

    def list_schedules(self, device_id: str, *, request_id=None, deadline=None) -> dict:
        """GET /devices/{id}/schedules → ``{"schedules": [...]}``."""
        return self._get(_path("devices", device_id, "schedules"), request_id=request_id,
                         deadline=deadline)

    def get_schedule(self, device_id: str, schedule_id: str, *, request_id=None,
                     deadline=None) -> dict:
        """GET /devices/{id}/schedules/{scheduleId} → ``{"schedule": {...}}``."""
        return self._get(_path("devices", device_id, "schedules", schedule_id),
                         request_id=request_id, deadline=deadline, on_device=False)

    def next_schedule(self, device_id: str, *, request_id=None, deadline=None) -> dict:
        """GET /devices/{id}/schedules/next → ``{"schedule": {...}}``."""
        return self._get(_path("devices", device_id, "schedules", "next"),
                         request_id=request_id, deadline=deadline)

    def create_schedule(self, device_id: str, schedule: Mapping[str, Any], *,
                        request_id=None, deadline=None) -> dict:
        """POST /devices/{id}/schedules → ``{"schedule": {"id": …}}``.

        Not idempotent (a repeat would create a second schedule), so it is retried
        only when Kasa surely never saw it.
        """
        if "id" in schedule:
            raise ValueError("a new schedule has no id")
        _check_schedule(schedule)
        return self._http.request("POST", _path("devices", device_id, "schedules"),
                                  body={"data": {"schedule": dict(schedule)}}, command=True,
                                  idempotent=False, request_id=request_id, deadline=deadline)

    def update_schedule(self, device_id: str, schedule_id: str, schedule: Mapping[str, Any], *,
                        request_id=None, deadline=None) -> dict:
        """POST /devices/{id}/schedules/{scheduleId} (the body carries the id too)."""
        _check_schedule(schedule)
        body = {"data": {"schedule": {**schedule, "id": schedule_id}}}
        return self._http.request("POST", _path("devices", device_id, "schedules", schedule_id),
                                  body=body, command=True, on_device=False,
                                  request_id=request_id, deadline=deadline)

    def delete_schedule(self, device_id: str, schedule_id: str, *, request_id=None,
                        deadline=None) -> dict:
        """DELETE /devices/{id}/schedules/{scheduleId}."""
        return self._http.request("DELETE",
                                  _path("devices", device_id, "schedules", schedule_id),
                                  command=True, on_device=False, request_id=request_id,
                                  deadline=deadline)

    def delete_schedules(self, device_id: str, *, request_id=None, deadline=None) -> dict:
        """DELETE /devices/{id}/schedules: removes every schedule of the device."""
        return self._http.request("DELETE", _path("devices", device_id, "schedules"),
                                  command=True, request_id=request_id, deadline=deadline)

    # -- time zones ---------------------------------------------------------------------

    def account_timezone(self, *, request_id=None, deadline=None) -> dict:
        """GET /account/timezone → ``{"timezoneId"}``."""
        return self._get("/account/timezone", request_id=request_id, deadline=deadline,
                         on_device=False)

    def device_timezone(self, device_id: str, *, request_id=None, deadline=None) -> dict:
        """GET /devices/{id}/timezone → ``{"timezoneId"}``."""
        return self._get(_path("devices", device_id, "timezone"), request_id=request_id,
                         deadline=deadline)

    def sync_device_timezone(self, device_id: str, *, request_id=None, deadline=None) -> dict:
        """POST /devices/{id}/timezone: copy the account's zone to the device → ``{"timezoneId"}``."""
        return self._http.request("POST", _path("devices", device_id, "timezone"),
                                  body={"data": {}}, command=True, request_id=request_id,
                                  deadline=deadline)

    # -- account ------------------------------------------------------------------------

    def unlink_account(self, *, request_id=None, deadline=None) -> dict:
        """POST /account/unlink: ends this integration's access to the user's account.

        Not retried after an ambiguous failure: once it worked, the token is dead and a
        repeat would only report UNAUTHORIZED.
        """
        return self._http.request("POST", "/account/unlink", body={"data": {}}, command=True,
                                  idempotent=False, on_device=False, request_id=request_id,
                                  deadline=deadline)


def _runtime(data: dict) -> dict:
    # The document's runtime-by-month sample names the list "energyStats" while its
    # schema says "runtimeStats"; hand callers one name whichever arrives.
    if "runtimeStats" not in data and "energyStats" in data:
        data = {**data, "runtimeStats": data["energyStats"]}
        del data["energyStats"]
    return data


def _check_schedule(schedule: Mapping[str, Any]) -> None:
    name = schedule.get("name")
    if name is not None and len(name) > SCHEDULE_NAME_MAX:
        raise ValueError(f"schedule name is limited to {SCHEDULE_NAME_MAX} characters")
