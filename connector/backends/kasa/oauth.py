"""TP-Link's OAuth 2.0 server: the authorize URL and the token endpoint's two grants.

Per the API document, ``POST /oauth/access_token`` takes every parameter — the client
secret and the code or refresh token included — in the query string, so URLs here are
secret: transport errors are re-raised without their cause (requests puts the URL in
its messages) and no URL is ever logged.

This class makes one attempt per call on purpose. A code is single-use and Kasa may
rotate refresh tokens, so repeating a request whose answer was lost could burn the
grant and turn a hiccup into a forced re-link; the caller (a single-flight token
source) decides what to do with a ``RetryableError``.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Callable
from urllib.parse import urlencode

import requests

from connector.backends.base import (
    FatalError,
    LinkExpired,
    PartnerError,
    RateLimited,
    RetryableError,
    timeouts_within,
)
from connector.backends.kasa import errors

SCOPE = "device_control"
DEFAULT_LIFETIME = 15 * 24 * 3600
"""Token lifetime assumed when Kasa omits expires_in (the document's prose says 15 days)."""
DEFAULT_TIMEOUT = (3.05, 10.0)

_CLIENT_ERRORS = {"invalid_client", "unauthorized_client"}


@dataclass(frozen=True)
class KasaToken:
    """A Kasa token pair; ``expires_at`` is wall-clock epoch seconds (it is persisted)."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_at: float
    token_type: str = "Bearer"

    def expires_in(self, now: float | None = None) -> float:
        return self.expires_at - (time.time() if now is None else now)

    def is_expired(self, leeway: float = 60.0, now: float | None = None) -> bool:
        """True when the token expires within ``leeway`` seconds (refresh it first)."""
        return self.expires_in(now) <= leeway

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "KasaToken":
        return cls(data["access_token"], data.get("refresh_token"), float(data["expires_at"]),
                   data.get("token_type") or "Bearer")


class KasaOAuth:
    """Authorization-code and refresh-token grants against ``{oauth_url}/oauth/…``."""

    def __init__(
        self,
        oauth_url: str,
        client_id: str,
        client_secret: str,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        *,
        clock: Callable[[], float] = time.time,
    ):
        self.oauth_url = oauth_url.rstrip("/")
        self.client_id = client_id
        self._secret = client_secret
        self._session = session or requests.Session()
        self._timeout = timeout
        self._clock = clock

    def __repr__(self) -> str:
        return f"KasaOAuth({self.oauth_url!r}, client_id={self.client_id!r})"

    def authorize_url(self, redirect_uri: str, state: str) -> str:
        """Where to send the user's browser to sign in to Kasa and grant access."""
        query = urlencode({
            "client_id": self.client_id,
            "response_type": "code",
            "state": state,
            "scope": SCOPE,
            "redirect_uri": redirect_uri,
        })
        return f"{self.oauth_url}/oauth/authorize?{query}"

    def exchange_code(self, code: str, redirect_uri: str) -> KasaToken:
        """Trade the authorization code from the redirect for a token pair."""
        return self._token_request({
            "client_id": self.client_id,
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_secret": self._secret,
        }, secrets=(code,))

    def refresh(self, refresh_token: str, *, timeout: float | None = None) -> KasaToken:
        """A new token pair; keeps ``refresh_token`` when Kasa does not rotate it.
        ``timeout`` (seconds) caps the request's own, to fit the caller's deadline.

        Raises ``LinkExpired`` when Kasa refuses the refresh token (the user must link
        again), ``FatalError`` when it refuses our client credentials.
        """
        if not refresh_token:
            raise LinkExpired("no Kasa refresh token: the account must be linked again")
        token = self._token_request({
            "client_id": self.client_id,
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_secret": self._secret,
        }, secrets=(refresh_token,), timeout=timeout)
        if token.refresh_token is None:
            token = KasaToken(token.access_token, refresh_token, token.expires_at,
                              token.token_type)
        return token

    def _token_request(self, params: dict, secrets: tuple[str, ...],
                       timeout: float | None = None) -> KasaToken:
        secrets = (*secrets, self._secret)
        try:
            resp = self._session.post(self.oauth_url + "/oauth/access_token", params=params,
                                      headers={"Accept": "application/json"},
                                      timeout=timeouts_within(self._timeout, timeout),
                                      allow_redirects=False)
        except requests.RequestException as exc:
            # No "from exc": its message holds the URL, and the URL holds the secrets.
            raise _transport_error(exc) from None
        try:
            body = resp.json()
        except ValueError:
            body = None
        if resp.status_code == 200 and isinstance(body, dict) and body.get("access_token"):
            return self._token(body)
        raise _oauth_error(resp, body, secrets)

    def _token(self, body: dict) -> KasaToken:
        try:
            lifetime = float(body.get("expires_in"))
        except (TypeError, ValueError):
            lifetime = DEFAULT_LIFETIME
        return KasaToken(
            access_token=str(body["access_token"]),
            refresh_token=body.get("refresh_token") or None,
            expires_at=self._clock() + lifetime,
            token_type=body.get("token_type") or "Bearer",
        )


def _transport_error(exc: requests.RequestException) -> RetryableError:
    name = type(exc).__name__
    if isinstance(exc, requests.ConnectTimeout):
        return errors.ConnectFailed(f"could not connect to Kasa OAuth ({name})", code="CONNECT")
    return RetryableError(f"Kasa OAuth did not answer ({name})", code="TRANSPORT")


def _oauth_error(resp: requests.Response, body, secrets) -> PartnerError:
    status = resp.status_code
    body = body if isinstance(body, dict) else {}
    error = body.get("error") if isinstance(body.get("error"), str) else None
    text = body.get("error_description") if isinstance(body.get("error_description"), str) else ""
    detail = errors.scrub(f"Kasa OAuth {error or f'HTTP {status}'}" + (f": {text}" if text else ""),
                          secrets)
    kw = {"code": error, "status": status}
    if error == "invalid_grant":
        return LinkExpired(detail, **kw)
    if error in _CLIENT_ERRORS:
        return FatalError("Kasa refused our OAuth client (KASA_CLIENT_ID/KASA_CLIENT_SECRET): "
                          + detail, **kw)
    if status == 429:
        return RateLimited(detail, retry_after=errors.parse_retry_after(
            resp.headers.get("Retry-After")), **kw)
    if status >= 500:
        return RetryableError(detail, **kw)
    if status == 200:
        return RetryableError("Kasa OAuth answered 200 without an access token", **kw)
    return FatalError(detail, **kw)
