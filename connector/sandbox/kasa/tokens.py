"""Authorization codes, access tokens and refresh tokens of the simulated OAuth server.

Not thread-safe on its own: KasaCloud calls it under its lock. Times are epoch seconds
from the cloud's clock, so a test clock moves token expiry too.
"""
from __future__ import annotations

import math
import secrets
from dataclasses import dataclass

from .errors import OAuthError


@dataclass
class AccessToken:
    token: str
    username: str
    client_id: str
    expires_at: float


@dataclass
class RefreshToken:
    token: str
    username: str
    client_id: str
    expires_at: float | None
    revoked: bool = False


@dataclass
class AuthCode:
    code: str
    username: str
    client_id: str
    redirect_uri: str
    expires_at: float
    used: bool = False


class TokenStore:
    def __init__(self) -> None:
        self.access: dict[str, AccessToken] = {}
        self.refresh: dict[str, RefreshToken] = {}
        self.codes: dict[str, AuthCode] = {}

    def issue(self, username: str, client_id: str, now: float, access_ttl: float,
              refresh_ttl: float | None, *, keep_refresh: str | None = None
              ) -> tuple[str, str, int]:
        """A new access token, and a new refresh token unless ``keep_refresh`` is
        the one the client already holds (no rotation)."""
        if len(self.access) > 10_000:  # long benchmark runs: forget dead tokens
            self.access = {k: t for k, t in self.access.items() if t.expires_at > now}
        access = secrets.token_urlsafe(32)
        self.access[access] = AccessToken(access, username, client_id, now + access_ttl)
        refresh = keep_refresh
        if refresh is None:
            refresh = secrets.token_urlsafe(32)
            self.refresh[refresh] = RefreshToken(
                refresh, username, client_id, None if refresh_ttl is None else now + refresh_ttl)
        return access, refresh, max(0, math.ceil(access_ttl))

    def valid_access(self, token: str, now: float) -> AccessToken | None:
        found = self.access.get(token)
        return found if found and found.expires_at > now else None

    def new_code(self, username: str, client_id: str, redirect_uri: str, now: float,
                 ttl: float) -> str:
        code = secrets.token_urlsafe(24)
        self.codes[code] = AuthCode(code, username, client_id, redirect_uri, now + ttl)
        return code

    def redeem_code(self, code: str, client_id: str, redirect_uri: str, now: float) -> str:
        """The username a code was issued to; single use, bound to client and redirect."""
        found = self.codes.get(code)
        if found is None or found.used or found.expires_at <= now:
            raise OAuthError("invalid_grant", "Authorization code is invalid or expired")
        if found.client_id != client_id:
            raise OAuthError("invalid_grant", "Authorization code was issued to another client")
        if found.redirect_uri != redirect_uri:
            raise OAuthError("invalid_grant", "redirect_uri does not match the authorization request")
        found.used = True
        return found.username

    def use_refresh(self, token: str, client_id: str, now: float, *, rotate: bool) -> str:
        """The username of a live refresh token; revokes it when tokens rotate."""
        found = self.refresh.get(token)
        if (found is None or found.revoked or found.client_id != client_id
                or (found.expires_at is not None and found.expires_at <= now)):
            raise OAuthError("invalid_grant", "Refresh token is invalid, expired or revoked")
        if rotate:
            found.revoked = True
        return found.username

    def expire_access(self, token: str, now: float) -> bool:
        found = self.access.get(token)
        if found:
            found.expires_at = min(found.expires_at, now)
        return found is not None

    def revoke_refresh(self, token: str) -> bool:
        found = self.refresh.get(token)
        if found:
            found.revoked = True
        return found is not None

    def expire_user(self, username: str, now: float) -> int:
        hits = [t for t in self.access.values() if t.username == username]
        for t in hits:
            t.expires_at = min(t.expires_at, now)
        return len(hits)

    def revoke_user(self, username: str, client_id: str) -> None:
        """Unlink: every token this client holds for the user stops working."""
        self.access = {k: t for k, t in self.access.items()
                       if not (t.username == username and t.client_id == client_id)}
        for t in self.refresh.values():
            if t.username == username and t.client_id == client_id:
                t.revoked = True
