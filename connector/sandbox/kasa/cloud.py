"""KasaCloud: the whole state of the simulated cloud, and the knobs to steer it.

One instance is shared by the HTTP threads and the test (or another process through
``/__sim``). Everything goes through ``self.lock``; the HTTP layer takes it too while it
reads or changes devices, so each request sees and leaves a consistent state.
"""
from __future__ import annotations

import threading
from datetime import datetime, timezone
from typing import Any, Callable, Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import catalog, validate
from .accounts import DEFAULT_DEVICES, DEFAULT_TIMEZONE, HISTORY_DAYS, SimUser
from .devices import SimDevice, device_id
from .errors import NOT_FOUND, KasaError, OAuthError, SimError
from .faults import FailRule, Faults
from .recording import Recorder, RecordedRequest
from .tokens import TokenStore

ACCESS_TOKEN_TTL = 15 * 24 * 3600  # "The issued access token is valid for 15 days"
CODE_TTL = 600  # RFC 6749 §4.1.2: codes should live at most 10 minutes
SCOPE = "device_control"
DEFAULT_CLIENT_ID = "kasa-sim-client-id"
DEFAULT_CLIENT_SECRET = "kasa-sim-client-secret"
DEFAULT_API_KEY = "kasa-sim-api-key"


def _check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise SimError(f"unknown timezone {name!r}") from None
    return name


class KasaCloud:
    """Accounts, devices, tokens, faults and recorded requests of one simulated cloud.

    Args:
        client_id, client_secret, api_key: the one registered OAuth client and the API
            key it must send as X-Api-Key.
        access_ttl: access-token lifetime in seconds (the document's 15 days).
        refresh_ttl: refresh-token lifetime; None (default) means they never expire.
        redirect_uris: registered redirect URIs; None accepts any http(s) URI, which
            suits a sandbox whose connector URL is only known at run time.
        rotate_refresh_tokens: a refresh grant returns a new refresh token and revokes
            the old one (default), or returns the same one.
        clock: returns the current aware datetime; stats, schedules and tokens use it.
    """

    def __init__(self, *, client_id: str = DEFAULT_CLIENT_ID,
                 client_secret: str = DEFAULT_CLIENT_SECRET, api_key: str = DEFAULT_API_KEY,
                 client_name: str = "SmartThings", access_ttl: float = ACCESS_TOKEN_TTL,
                 refresh_ttl: float | None = None, code_ttl: float = CODE_TTL,
                 redirect_uris: Iterable[str] | None = None, rotate_refresh_tokens: bool = True,
                 clock: Callable[[], datetime] | None = None, max_recorded: int = 10_000):
        self.lock = threading.RLock()
        self.client_id, self.client_secret, self.api_key = client_id, client_secret, api_key
        self.client_name = client_name
        self.access_ttl, self.refresh_ttl, self.code_ttl = access_ttl, refresh_ttl, code_ttl
        self.redirect_uris = None if redirect_uris is None else set(redirect_uris)
        self.rotate_refresh_tokens = rotate_refresh_tokens
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.users: dict[str, SimUser] = {}
        self._owner: dict[str, str] = {}  # device id -> username
        self.tokens = TokenStore()
        self.faults = Faults()
        self.recorder = Recorder(max_recorded)

    def now(self) -> datetime:
        return self.clock()

    def _ts(self) -> float:
        return self.now().timestamp()

    # -- accounts ---------------------------------------------------------------

    def create_user(self, username: str, password: str, devices: Iterable | None = None, *,
                    timezone: str = DEFAULT_TIMEZONE) -> SimUser:
        """A Kasa account with ``devices`` (model names or dicts with model, name, id,
        online, state, history_days), or the default set when None."""
        with self.lock:
            if username in self.users:
                raise SimError(f"user {username!r} exists")
            user = SimUser(username, password, _check_timezone(timezone))
            self.users[username] = user
            try:
                if devices is None:
                    for model, name, state, online in DEFAULT_DEVICES:
                        self.add_device(user, model, name=name, state=state, online=online,
                                        history_days=HISTORY_DAYS)
                else:
                    for item in devices:
                        spec = {"model": item} if isinstance(item, str) else dict(item)
                        self.add_device(user, spec.pop("model"), **spec)
            except Exception:
                self._drop_user(user)
                raise
            return user

    def _drop_user(self, user: SimUser) -> None:
        for dev_id in list(user.devices):
            self._owner.pop(dev_id, None)
        self.users.pop(user.username, None)

    def user(self, user: SimUser | str) -> SimUser:
        with self.lock:
            name = user.username if isinstance(user, SimUser) else user
            if name not in self.users:
                raise SimError(f"no user {name!r}")
            return self.users[name]

    def authenticate(self, username: str, password: str) -> SimUser | None:
        with self.lock:
            user = self.users.get(username)
            return user if user is not None and user.password == password else None

    def set_account_timezone(self, user: SimUser | str, timezone_id: str) -> None:
        with self.lock:
            self.user(user).timezone = _check_timezone(timezone_id)

    # -- OAuth --------------------------------------------------------------------

    def issue_tokens(self, user: SimUser | str, access_ttl: float | None = None
                     ) -> tuple[str, str, int]:
        """Mint (access_token, refresh_token, expires_in) as if the user had linked."""
        with self.lock:
            user = self.user(user)
            ttl = self.access_ttl if access_ttl is None else access_ttl
            return self.tokens.issue(user.username, self.client_id, self._ts(), ttl,
                                     self.refresh_ttl)

    def redirect_allowed(self, uri: str) -> bool:
        if self.redirect_uris is not None:
            return uri in self.redirect_uris
        return uri.startswith(("http://", "https://"))

    def new_code(self, user: SimUser, client_id: str, redirect_uri: str) -> str:
        with self.lock:
            return self.tokens.new_code(user.username, client_id, redirect_uri, self._ts(),
                                        self.code_ttl)

    def token_grant(self, grant_type: str, params: dict[str, str]) -> dict[str, Any]:
        """The token endpoint's answer for checked parameters; raises OAuthError."""
        with self.lock:
            if params["client_id"] != self.client_id or params["client_secret"] != self.client_secret:
                raise OAuthError("invalid_client", "Client authentication failed", 401)
            now = self._ts()
            keep = None
            if grant_type == "authorization_code":
                username = self.tokens.redeem_code(params["code"], params["client_id"],
                                                   params["redirect_uri"], now)
            else:
                old = params["refresh_token"]
                username = self.tokens.use_refresh(old, params["client_id"], now,
                                                   rotate=self.rotate_refresh_tokens)
                keep = None if self.rotate_refresh_tokens else old
            if username not in self.users:
                raise OAuthError("invalid_grant", "The account no longer exists")
            access, refresh, expires_in = self.tokens.issue(
                username, params["client_id"], now, self.access_ttl, self.refresh_ttl,
                keep_refresh=keep)
            return {"access_token": access, "refresh_token": refresh,
                    "token_type": "Bearer", "expires_in": expires_in}

    def user_for_token(self, token: str) -> SimUser | None:
        with self.lock:
            found = self.tokens.valid_access(token, self._ts())
            return self.users.get(found.username) if found else None

    def unlink(self, user: SimUser) -> None:
        with self.lock:
            self.tokens.revoke_user(user.username, self.client_id)

    def expire_token(self, access_token: str) -> None:
        """Knob: this access token is expired from now on (401 UNAUTHORIZED)."""
        with self.lock:
            if not self.tokens.expire_access(access_token, self._ts()):
                raise SimError("unknown access token")

    def expire_tokens(self, user: SimUser | str) -> int:
        """Knob: every access token of the user expires now; returns how many."""
        with self.lock:
            return self.tokens.expire_user(self.user(user).username, self._ts())

    def revoke_refresh_token(self, refresh_token: str) -> None:
        """Knob: the refresh grant now answers invalid_grant for this token."""
        with self.lock:
            if not self.tokens.revoke_refresh(refresh_token):
                raise SimError("unknown refresh token")

    # -- devices --------------------------------------------------------------------

    def add_device(self, user: SimUser | str, model: str, *, name: str | None = None,
                   id: str | None = None, online: bool = True, state: dict | None = None,
                   history_days: int = 0) -> SimDevice:
        """Knob: a device appears in the account (as if set up in the Kasa app)."""
        with self.lock:
            user = self.user(user)
            try:
                spec = catalog.lookup(model)
            except KeyError as exc:
                raise SimError(exc.args[0]) from None
            dev_id = id or device_id(f"{user.username}/{user.next_slot}")
            user.next_slot += 1
            if dev_id in self._owner:
                raise SimError(f"device id {dev_id} exists")
            dev = SimDevice(dev_id, name or spec.description, spec, user.timezone, self.now(),
                            history_days=history_days, online=online)
            if state:
                self._apply(dev, state)
            user.devices[dev_id] = dev
            self._owner[dev_id] = user.username
            return dev

    def remove_device(self, device_id: str) -> None:
        """Knob: the device leaves the account (NOT_FOUND from then on)."""
        with self.lock:
            dev = self.device(device_id)
            del self.users[self._owner.pop(dev.id)].devices[dev.id]

    def device(self, device_id: str) -> SimDevice:
        """Any user's device, for knobs and tests."""
        with self.lock:
            if device_id not in self._owner:
                raise SimError(f"no device {device_id}")
            return self.users[self._owner[device_id]].devices[device_id]

    def owned_device(self, user: SimUser, device_id: str, trait: str | None = None) -> SimDevice:
        """The API's lookup: NOT_FOUND unless the caller owns it, then the trait check."""
        with self.lock:
            dev = user.devices.get(device_id)
            if dev is None:
                raise KasaError(NOT_FOUND, f"Device {device_id} not found")
            if trait:
                validate.require_trait(dev.spec, trait)
            return dev

    def set_online(self, device_id: str, online: bool = True) -> None:
        """Knob: the device drops off (DEVICE_OFFLINE) or comes back."""
        with self.lock:
            dev = self.device(device_id)
            dev.accrue(self.now())
            dev.online = online

    def set_responding(self, device_id: str, responding: bool = True) -> None:
        """Knob: the device stays listed online but stops answering
        (DEVICE_NOT_RESPONDING), as when its heartbeat is lost."""
        with self.lock:
            self.device(device_id).responding = responding

    def change_state(self, device_id: str, state: dict) -> dict:
        """Knob: a change made in the Kasa app or at the device; a partial State object
        (powered, brightness, color, colorTemperature). Returns the new state."""
        with self.lock:
            dev = self.device(device_id)
            self._apply(dev, state)
            return dev.state_json()

    def _apply(self, dev: SimDevice, state: dict) -> None:
        try:
            checked = validate.state(state, dev.spec, powered_required=False)
        except KasaError as exc:
            raise SimError(exc.msg) from None
        checked.pop("mode", None)
        dev.apply_state(checked, self.now())

    def set_device_timezone(self, device_id: str, timezone_id: str) -> None:
        with self.lock:
            self.device(device_id).set_timezone(_check_timezone(timezone_id), self.now())

    # -- faults -----------------------------------------------------------------------

    def set_latency(self, seconds: float, device_id: str | None = None) -> None:
        """Knob: every request (or every request about one device) waits this long;
        0 removes it. Device latency adds to the global one."""
        with self.lock:
            if seconds < 0:
                raise SimError("latency must not be negative")
            if device_id is None:
                self.faults.latency = float(seconds)
            elif seconds:
                self.device(device_id)
                self.faults.device_latency[device_id] = float(seconds)
            else:
                self.faults.device_latency.pop(device_id, None)

    def fail_next(self, count: int = 1, status: int = 500, code: str | None = None,
                  msg: str | None = None, *, path: str | None = None, method: str | None = None,
                  retry_after: float | None = None, body: str | None = None) -> FailRule:
        """Knob: the next ``count`` requests (matching the ``path`` regex and ``method``,
        if given) fail with ``status`` and ``code`` (default: one per status, e.g.
        TOO_MANY_REQUESTS with Retry-After 1 for 429). ``body`` sends that raw text
        instead of the JSON error. Rules queue up in order."""
        with self.lock:
            try:
                return self.faults.add_rule(count, status, code, msg, path=path,
                                            method=method, retry_after=retry_after, body=body)
            except Exception as exc:
                raise SimError(str(exc)) from None

    def set_rate_limit(self, per_second: float | None) -> None:
        """Knob: at most ``per_second`` API requests per access token in any one-second
        window, then 429 TOO_MANY_REQUESTS with Retry-After; None removes the limit."""
        with self.lock:
            if per_second is not None and per_second <= 0:
                raise SimError("rate limit must be positive (or None)")
            self.faults.rate_limit = per_second

    def clear_faults(self) -> None:
        """Remove latency, pending failures and the rate limit."""
        with self.lock:
            self.faults.clear()

    # -- recorded requests ----------------------------------------------------------

    def record(self, item: RecordedRequest) -> None:
        with self.lock:
            self.recorder.add(item)

    def requests(self, path: str | None = None, method: str | None = None) -> list[RecordedRequest]:
        """Recorded requests, oldest first; ``path`` is a regex searched in the path."""
        with self.lock:
            return self.recorder.select(path, method)

    def count(self, path: str | None = None, method: str | None = None) -> int:
        return len(self.requests(path, method))

    def clear_requests(self) -> None:
        with self.lock:
            self.recorder.clear()

    # -- inspection -------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Users and their devices as the API would show them, plus the active faults."""
        with self.lock:
            return {
                "users": [{
                    "username": u.username, "accountId": u.account_id, "timezoneId": u.timezone,
                    "devices": [{"device": d.device_json(), "state": d.state_json(),
                                 "responding": d.responding, "timezoneId": d.timezone,
                                 "schedules": list(d.schedules.values())}
                                for d in u.devices.values()],
                } for u in self.users.values()],
                "faults": {
                    "latency": self.faults.latency,
                    "deviceLatency": dict(self.faults.device_latency),
                    "pending": [r.as_dict() for r in self.faults.rules],
                    "rateLimit": self.faults.rate_limit,
                },
            }
