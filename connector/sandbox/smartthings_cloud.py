"""The state of the simulated SmartThings cloud, behind one lock.

What SmartThings keeps on its side of the callback leg (st-schema-protocol §2.4–2.8):
the callback codes it handed out in ``grantCallbackAccess``, the access and refresh
tokens it issued, every callback it accepted, and the latest state of each device
attribute. Plus the fault knobs a test turns. HTTP lives in :mod:`.smartthings_app`;
this module only decides.

Choices where the protocol notes are silent (§2.5–2.6, §6):

* A callback code lives ``code_ttl`` seconds (default 600) and is spent by the first
  exchange that reaches it (after client authentication), successful or not.
* Redeeming a code starts a new grant for its installation: earlier refresh tokens of
  that installation stop working ("static until a new grantCallbackAccess").
* Refresh tokens are static by default; with ``rotate_refresh_tokens`` each refresh
  returns a new one and the old one is refused. Access tokens already issued stay
  valid until they expire either way.
* A refused refresh token is ``INVALID-TOKEN`` (the token-specific enums name no
  refresh-token error; INVALID-TOKEN is the protocol's "token unknown/revoked").
* A state without ``timestamp`` is stamped with the time it was received, so it and a
  timestamped state are ordered on one clock.
* Latest states are keyed by (externalDeviceId, component, capability, attribute)
  across installations; deliveries remember which installation sent them.
"""
from __future__ import annotations

import copy
import hmac
import secrets
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from connector.model import MAIN, DeviceErrorEnum, GlobalErrorEnum

from .smartthings_validate import STATE_CALLBACK, state_from

DEFAULT_ACCESS_TOKEN_TTL = 86400  # expiresIn in every sample (§6)
DEFAULT_CODE_TTL = 600
DEFAULT_RETRY_AFTER = 1  # seconds, sent with an injected 429 unless told otherwise

CALLBACK, TOKEN, ALL = "callback", "token", "all"
TARGETS = (CALLBACK, TOKEN, ALL)

AUTHORIZATION_CODE, REFRESH_TOKEN = "authorization_code", "refresh_token"

#: The keys of :meth:`SmartThingsCloud.counts`.
COUNT_NAMES = (
    "callbacks_accepted", "callbacks_rejected", "callbacks_unauthorized", "callbacks_faulted",
    "states_received", "states_stale",
    "token_requests_ok", "token_requests_rejected", "token_requests_faulted",
    "refused_while_down",
)

StateKey = tuple[str, str, str, str]  # externalDeviceId, component, capability, attribute


class Refused(Exception):
    """SmartThings refuses a request: HTTP ``status`` with a globalError ``enum``."""

    def __init__(self, status: int, enum: str, detail: str):
        super().__init__(detail)
        self.status, self.enum, self.detail = status, enum, detail


@dataclass(frozen=True)
class Delivery:
    """One accepted stateCallback or discoveryCallback, as received."""

    received_at: float
    interaction_type: str
    request_id: str
    installation_id: str
    payload: dict

    @property
    def device_state(self) -> list[dict]:
        return self.payload.get("deviceState") or []

    @property
    def devices(self) -> list[dict]:
        return self.payload.get("devices") or []

    @property
    def states(self) -> list[dict]:
        """Every state of the delivery, each with its ``externalDeviceId`` added."""
        return [{"externalDeviceId": entry["externalDeviceId"], **state}
                for entry in self.device_state for state in entry.get("states") or []]


@dataclass(frozen=True)
class StoredState:
    """The latest value SmartThings holds for one attribute of one device."""

    external_id: str
    component: str
    capability: str
    attribute: str
    value: Any
    unit: str | None
    data: dict | None
    timestamp: int  # epoch ms: the state's own, or the time it was received
    request_id: str
    installation_id: str


@dataclass(frozen=True)
class Rejection:
    """A request the cloud refused with 4xx (injected faults are only counted)."""

    received_at: float
    target: str
    status: int
    enum: str
    problems: tuple[str, ...]
    payload: Any


@dataclass(frozen=True)
class TokenGrant:
    """A successful accessTokenRequest or refreshAccessTokens."""

    received_at: float
    interaction_type: str
    grant_type: str
    installation_id: str
    access_token: str
    refresh_token: str


@dataclass
class _Fault:
    status: int
    remaining: int
    target: str
    retry_after: int | None


class SmartThingsCloud:
    """Tokens, deliveries, latest states and fault knobs; every method is thread-safe.

    ``access_token_ttl``, ``code_ttl`` and ``rotate_refresh_tokens`` may be changed
    while running; they apply to the next token request.
    """

    def __init__(self, client_id: str, client_secret: str, *,
                 access_token_ttl: int = DEFAULT_ACCESS_TOKEN_TTL,
                 code_ttl: float = DEFAULT_CODE_TTL,
                 rotate_refresh_tokens: bool = False,
                 clock: Callable[[], float] = time.time):
        if not client_id or not client_secret:
            raise ValueError("the connector's ST client id and secret are required")
        self.client_id, self._client_secret = client_id, client_secret
        self.access_token_ttl = int(access_token_ttl)
        self.code_ttl = code_ttl
        self.rotate_refresh_tokens = rotate_refresh_tokens
        self._clock = clock
        # RLock so wait_for predicates may call the query helpers.
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._codes: dict[str, tuple[str, float]] = {}  # code -> (installation, expires_at)
        self._access: dict[str, tuple[str, float]] = {}  # token -> (installation, expires_at)
        self._refresh: dict[str, str] = {}  # token -> installation
        self._faults: list[_Fault] = []
        self._down = False
        self._latency = {CALLBACK: 0.0, TOKEN: 0.0}
        self._clear_records()

    # ------------------------------------------------------------- token endpoint

    def mint_code(self, installation_id: str | None = None) -> str:
        """A callback code for ``installation_id``, as sent in grantCallbackAccess."""
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = (installation_id or str(uuid.uuid4()),
                                 self._clock() + self.code_ttl)
        return code

    def issue_tokens(self, credentials: dict, interaction_type: str) -> dict:
        """Answer a token request's ``callbackAuthentication``; raises :class:`Refused`.

        Returns the ``callbackAuthentication`` of the accessTokenResponse. The grant
        type decides, not the interactionType: one connector reportedly refreshes with
        accessTokenRequest + refresh_token and SmartThings serves it (§2.6).
        """
        with self._lock:
            self._authenticate_client(credentials)
            grant_type = credentials.get("grantType")
            if grant_type == AUTHORIZATION_CODE:
                installation, refresh = self._redeem_code(credentials.get("code"))
            elif grant_type == REFRESH_TOKEN:
                installation, refresh = self._redeem_refresh(credentials.get("refreshToken"))
            else:
                raise Refused(400, GlobalErrorEnum.UNSUPPORTED_GRANT_TYPE,
                              f"grantType {grant_type!r} is not supported")
            now = self._clock()
            access = secrets.token_urlsafe(32)
            self._access[access] = (installation, now + self.access_token_ttl)
            self._grants.append(TokenGrant(now, interaction_type, grant_type, installation,
                                           access, refresh))
            self._counts["token_requests_ok"] += 1
            self._changed.notify_all()
        return {"tokenType": "Bearer", "accessToken": access, "refreshToken": refresh,
                "expiresIn": self.access_token_ttl}

    def _authenticate_client(self, credentials: dict) -> None:
        if credentials.get("clientId") != self.client_id:
            raise Refused(401, GlobalErrorEnum.INVALID_CLIENT, "unknown clientId")
        secret = credentials.get("clientSecret")
        if not isinstance(secret, str) or not hmac.compare_digest(
                secret.encode(), self._client_secret.encode()):
            raise Refused(401, GlobalErrorEnum.INVALID_CLIENT_SECRET, "wrong clientSecret")

    def _redeem_code(self, code: Any) -> tuple[str, str]:
        entry = self._codes.pop(code, None) if isinstance(code, str) else None
        if entry is None:
            raise Refused(400, GlobalErrorEnum.INVALID_CODE, "unknown or already used code")
        installation, expires_at = entry
        if self._clock() >= expires_at:
            raise Refused(400, GlobalErrorEnum.INVALID_CODE, "code expired")
        # A new grant supersedes the installation's earlier refresh tokens.
        for token in [t for t, inst in self._refresh.items() if inst == installation]:
            del self._refresh[token]
        refresh = secrets.token_urlsafe(32)
        self._refresh[refresh] = installation
        return installation, refresh

    def _redeem_refresh(self, token: Any) -> tuple[str, str]:
        installation = self._refresh.get(token) if isinstance(token, str) else None
        if installation is None:
            raise Refused(400, GlobalErrorEnum.INVALID_TOKEN,
                          "unknown, revoked or superseded refreshToken")
        if not self.rotate_refresh_tokens:
            return installation, token
        del self._refresh[token]
        fresh = secrets.token_urlsafe(32)
        self._refresh[fresh] = installation
        return installation, fresh

    # ---------------------------------------------------------- callback receiver

    def authenticate(self, token: Any) -> str:
        """The installation a live callback access token belongs to; raises :class:`Refused`."""
        with self._lock:
            entry = self._access.get(token) if isinstance(token, str) else None
            if entry is None:
                raise Refused(401, GlobalErrorEnum.INVALID_TOKEN, "unknown access token")
            installation, expires_at = entry
            if self._clock() >= expires_at:
                raise Refused(401, GlobalErrorEnum.TOKEN_EXPIRED, "access token expired")
            return installation

    def record(self, body: dict, installation_id: str) -> Delivery:
        """Keep an accepted callback and apply it to the devices' state."""
        body = copy.deepcopy(body)
        with self._lock:
            now = self._clock()
            headers = body["headers"]
            delivery = Delivery(now, headers["interactionType"], headers["requestId"],
                                installation_id, body)
            self._deliveries.append(delivery)
            self._counts["callbacks_accepted"] += 1
            if delivery.interaction_type == STATE_CALLBACK:
                for entry in delivery.device_state:
                    self._apply_device_state(entry, delivery, round(now * 1000))
            else:
                for device in delivery.devices:
                    self._discovered[device["externalDeviceId"]] = device
                    self._deleted.discard(device["externalDeviceId"])
            self._changed.notify_all()
        return delivery

    def _apply_device_state(self, entry: dict, delivery: Delivery, now_ms: int) -> None:
        external_id = entry["externalDeviceId"]
        for raw in entry.get("states") or []:
            self._counts["states_received"] += 1
            state = state_from(raw)
            stamp = state.timestamp if state.timestamp is not None else now_ms
            key = (external_id, state.component, state.capability, state.attribute)
            held = self._latest.get(key)
            if held is not None and stamp < held.timestamp:
                self._counts["states_stale"] += 1  # late arrival: SmartThings keeps the newer
                continue
            self._latest[key] = StoredState(external_id, *key[1:], state.value, state.unit,
                                            state.data, stamp, delivery.request_id,
                                            delivery.installation_id)
        errors = entry.get("deviceError") or []
        if errors:
            self._device_errors[external_id] = errors
        if any(e["errorEnum"] == DeviceErrorEnum.DEVICE_DELETED for e in errors):
            # SmartThings drops a device reported deleted (§2.11).
            self._deleted.add(external_id)
            self._discovered.pop(external_id, None)

    def note_rejection(self, target: str, refused: Refused, payload: Any,
                       problems: list[str] | None = None) -> None:
        with self._lock:
            self._rejections.append(Rejection(self._clock(), target, refused.status,
                                              refused.enum,
                                              tuple(problems or [refused.detail]),
                                              copy.deepcopy(payload)))
            kind = "unauthorized" if refused.status == 401 and target == CALLBACK else "rejected"
            self._counts[f"{_plural(target)}_{kind}"] += 1
            self._changed.notify_all()

    # ---------------------------------------------------------------- fault knobs

    def fail_next(self, status: int, count: int = 1, *, target: str = CALLBACK,
                  retry_after: int | None = None) -> None:
        """Answer the next ``count`` requests to ``target`` with HTTP ``status``."""
        if not 400 <= status <= 599:
            raise ValueError("status must be a 4xx or 5xx code")
        if count < 1:
            raise ValueError("count must be at least 1")
        _check_target(target)
        if status == 429 and retry_after is None:
            retry_after = DEFAULT_RETRY_AFTER
        with self._lock:
            self._faults.append(_Fault(status, count, target, retry_after))

    def take_fault(self, target: str) -> tuple[int, int | None] | None:
        """The injected (status, Retry-After) for this request, if one is pending."""
        with self._lock:
            for fault in self._faults:
                if fault.target in (target, ALL):
                    fault.remaining -= 1
                    if not fault.remaining:
                        self._faults.remove(fault)
                    self._counts[f"{_plural(target)}_faulted"] += 1
                    return fault.status, fault.retry_after
        return None

    def set_down(self, down: bool = True) -> None:
        """While down every request but the admin API gets 503."""
        with self._lock:
            self._down = bool(down)

    @property
    def is_down(self) -> bool:
        with self._lock:
            return self._down

    def note_down_refusal(self) -> None:
        with self._lock:
            self._counts["refused_while_down"] += 1

    def set_latency(self, seconds: float, *, target: str = ALL) -> None:
        """Delay every answer to ``target`` by ``seconds`` before handling it."""
        if seconds < 0:
            raise ValueError("latency must not be negative")
        _check_target(target)
        with self._lock:
            for name in (CALLBACK, TOKEN):
                if target in (name, ALL):
                    self._latency[name] = float(seconds)

    def latency(self, target: str) -> float:
        with self._lock:
            return self._latency[target]

    def expire_access_tokens(self) -> None:
        """Every access token issued so far is expired from now on."""
        with self._lock:
            now = self._clock()
            self._access = {t: (inst, min(exp, now)) for t, (inst, exp) in self._access.items()}

    def revoke_refresh_tokens(self) -> None:
        """Every refresh token issued so far is refused from now on."""
        with self._lock:
            self._refresh.clear()

    def reset_faults(self) -> None:
        """No pending faults, not down, no latency."""
        with self._lock:
            self._faults.clear()
            self._down = False
            self._latency = {CALLBACK: 0.0, TOKEN: 0.0}

    # ------------------------------------------------------------- query helpers

    def deliveries(self, interaction_type: str | None = None,
                   installation_id: str | None = None) -> list[Delivery]:
        with self._lock:
            return [d for d in self._deliveries
                    if interaction_type in (None, d.interaction_type)
                    and installation_id in (None, d.installation_id)]

    def latest_states(self) -> dict[StateKey, StoredState]:
        with self._lock:
            return dict(self._latest)

    def latest_state(self, external_id: str, capability: str, attribute: str,
                     component: str = MAIN) -> StoredState | None:
        with self._lock:
            return self._latest.get((external_id, component, capability, attribute))

    def discovered_devices(self) -> dict[str, dict]:
        """Devices announced by discoveryCallback and not since reported deleted."""
        with self._lock:
            return copy.deepcopy(self._discovered)

    def device_errors(self, external_id: str) -> list[dict]:
        """The deviceError array last reported for a device."""
        with self._lock:
            return copy.deepcopy(self._device_errors.get(external_id, []))

    def deleted_devices(self) -> set[str]:
        with self._lock:
            return set(self._deleted)

    def rejections(self, target: str | None = None) -> list[Rejection]:
        with self._lock:
            return [r for r in self._rejections if target in (None, r.target)]

    def token_grants(self) -> list[TokenGrant]:
        with self._lock:
            return list(self._grants)

    def counts(self) -> dict[str, int]:
        with self._lock:
            return {name: self._counts[name] for name in COUNT_NAMES}

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Block until ``predicate()`` is truthy and return its value; ``TimeoutError`` else.

        Re-evaluated whenever the cloud records something, under the cloud's lock.
        """
        with self._changed:
            result = self._changed.wait_for(predicate, timeout)
        if not result:
            raise TimeoutError(f"condition not met within {timeout} s")
        return result

    def reset(self) -> None:
        """Back to a fresh cloud: no codes, tokens, records or faults (settings stay)."""
        with self._lock:
            self._codes.clear()
            self._access.clear()
            self._refresh.clear()
            self.reset_faults()
            self._clear_records()

    def clear_records(self) -> None:
        """Forget deliveries, states, rejections, grants and counts; tokens stay valid."""
        with self._lock:
            self._clear_records()

    def _clear_records(self) -> None:
        self._deliveries: list[Delivery] = []
        self._latest: dict[StateKey, StoredState] = {}
        self._discovered: dict[str, dict] = {}
        self._device_errors: dict[str, list[dict]] = {}
        self._deleted: set[str] = set()
        self._rejections: list[Rejection] = []
        self._grants: list[TokenGrant] = []
        self._counts: Counter[str] = Counter()


def _check_target(target: str) -> None:
    if target not in TARGETS:
        raise ValueError(f"target must be one of {', '.join(TARGETS)}")


def _plural(target: str) -> str:
    return "callbacks" if target == CALLBACK else "token_requests"
