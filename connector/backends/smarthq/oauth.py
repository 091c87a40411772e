"""GE SmartHQ's OAuth 2.0 server (smarthq-api.md §1): authorize URL, code exchange, refresh.

``/oauth2/auth`` takes no scope; ``access_type=offline`` is what yields a refresh token.
``/oauth2/token`` takes form-encoded parameters with the client credentials in the
body. SmartHQ may rotate refresh tokens, so the newest one is always kept. One attempt
per call, as for Kasa: a code is single-use and a rotated refresh token dies once
used, so only the single-flight caller may decide to try again.

Errors: a refused code or refresh token (``invalid_grant``, or ``invalid_request`` on
a 400, which SmartHQ may use for a dead refresh token) is ``LinkExpired``; a refused
client (401) is ``FatalError``; 429 ``RateLimited``; 5xx and transport errors
``RetryableError``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
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

DEFAULT_LIFETIME = 3600  # §1.3: access tokens live one hour
DEFAULT_TIMEOUT = (3.05, 10.0)


@dataclass(frozen=True)
class SmartHQToken:
    """A SmartHQ token pair; ``expires_at`` is wall-clock epoch seconds (it is persisted)."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_at: float
    token_type: str = "Bearer"


class SmartHQOAuth:
    """Authorization-code and refresh-token grants against ``{oauth_url}/oauth2/…``."""

    def __init__(self, oauth_url: str, client_id: str, client_secret: str,
                 session: requests.Session | None = None,
                 timeout: tuple[float, float] = DEFAULT_TIMEOUT, *,
                 clock: Callable[[], float] = time.time):
        self.oauth_url = oauth_url.rstrip("/")
        self.client_id = client_id
        self._secret = client_secret
        self._session = session or requests.Session()
        self._timeout = timeout
        self._clock = clock

    def __repr__(self) -> str:
        return f"SmartHQOAuth({self.oauth_url!r}, client_id={self.client_id!r})"

    def authorize_url(self, redirect_uri: str, state: str) -> str:
        """Where to send the user's browser to sign in to SmartHQ and grant access."""
        query = urlencode({"response_type": "code", "client_id": self.client_id,
                           "redirect_uri": redirect_uri, "access_type": "offline",
                           "state": state})
        return f"{self.oauth_url}/oauth2/auth?{query}"

    def exchange_code(self, code: str, redirect_uri: str) -> SmartHQToken:
        return self._token_request({"grant_type": "authorization_code", "code": code,
                                    "redirect_uri": redirect_uri}, secrets=(code,))

    def refresh(self, refresh_token: str, *, timeout: float | None = None) -> SmartHQToken:
        """A new pair; keeps ``refresh_token`` when SmartHQ does not send a new one.
        ``timeout`` (seconds) caps the request's own, to fit the caller's deadline."""
        if not refresh_token:
            raise LinkExpired("no SmartHQ refresh token: the account must be linked again")
        token = self._token_request({"grant_type": "refresh_token",
                                     "refresh_token": refresh_token}, secrets=(refresh_token,),
                                    timeout=timeout)
        if token.refresh_token is None:
            token = SmartHQToken(token.access_token, refresh_token, token.expires_at,
                                 token.token_type)
        return token

    def _token_request(self, form: dict, secrets: tuple[str, ...],
                       timeout: float | None = None) -> SmartHQToken:
        form = {**form, "client_id": self.client_id, "client_secret": self._secret}
        try:
            resp = self._session.post(self.oauth_url + "/oauth2/token", data=form,
                                      headers={"Accept": "application/json"},
                                      timeout=timeouts_within(self._timeout, timeout),
                                      allow_redirects=False)
        except requests.RequestException as exc:
            raise RetryableError(f"SmartHQ OAuth did not answer ({type(exc).__name__})",
                                 code="TRANSPORT") from None
        try:
            body = resp.json()
        except ValueError:
            body = None
        if resp.status_code == 200 and isinstance(body, dict) and body.get("access_token"):
            return self._token(body)
        raise _oauth_error(resp, body if isinstance(body, dict) else {},
                           (*secrets, self._secret))

    def _token(self, body: dict) -> SmartHQToken:
        try:
            lifetime = float(body.get("expires_in"))
        except (TypeError, ValueError):
            lifetime = DEFAULT_LIFETIME
        return SmartHQToken(str(body["access_token"]), body.get("refresh_token") or None,
                            self._clock() + lifetime, body.get("token_type") or "Bearer")


def _oauth_error(resp: requests.Response, body: dict, secrets) -> PartnerError:
    status = resp.status_code
    error = body.get("error") if isinstance(body.get("error"), str) else None
    text = body.get("error_description") if isinstance(body.get("error_description"), str) else ""
    detail = f"SmartHQ OAuth {error or f'HTTP {status}'}" + (f": {text}" if text else "")
    for secret in secrets:  # an error page may echo what we sent
        if secret:
            detail = detail.replace(secret, "[redacted]")
    kw = {"code": error, "status": status}
    if status == 401:
        return FatalError("SmartHQ refused our OAuth client (SMARTHQ_CLIENT_ID/"
                          "SMARTHQ_CLIENT_SECRET): " + detail[:300], **kw)
    if error == "invalid_grant" or (status == 400 and error == "invalid_request"):
        return LinkExpired(detail[:300], **kw)
    if status == 429:
        return RateLimited(detail[:300], **kw)
    if status >= 500:
        return RetryableError(detail[:300], **kw)
    return FatalError(detail[:300], **kw)
