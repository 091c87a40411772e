"""Authorization codes, access tokens and refresh tokens of the simulated identity
server (smarthq-api.md §1). Not thread-safe on its own: the cloud calls it under its
lock. Times are the cloud clock's epoch seconds, so advancing the clock ages tokens.

Access tokens look like the real ones (a JWT: header.payload.signature, §1.3), but the
store, not the signature, decides whether one is valid: a knob can expire a token
before its ``exp``.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import secrets
from dataclasses import dataclass

from .accounts import user_id_for
from .errors import OAuthError

ROTATE, KEEP, OMIT = "rotate", "keep", "omit"  # refresh grant: what happens to the refresh token
ROTATIONS = (ROTATE, KEEP, OMIT)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class AccessToken:
    token: str
    username: str
    client_id: str
    issued_at: float
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
    offline: bool
    expires_at: float
    used: bool = False


class TokenStore:
    def __init__(self) -> None:
        self.access: dict[str, AccessToken] = {}
        self.refresh: dict[str, RefreshToken] = {}
        self.codes: dict[str, AuthCode] = {}
        self._key = secrets.token_bytes(32)

    def _jwt(self, username: str, client_id: str, now: float, ttl: float) -> str:
        compact = {"separators": (",", ":")}
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, **compact).encode())
        payload = _b64(json.dumps({
            "iss": "smarthq-sim", "sub": user_id_for(username), "aud": client_id,
            "iat": int(now), "exp": int(now + ttl), "jti": secrets.token_hex(8)}, **compact).encode())
        signature = _b64(hmac.new(self._key, f"{header}.{payload}".encode(), hashlib.sha256).digest())
        return f"{header}.{payload}.{signature}"

    def issue(self, username: str, client_id: str, now: float, access_ttl: float,
              refresh_ttl: float | None, *, with_refresh: bool = True,
              keep_refresh: str | None = None) -> tuple[str, str | None, int]:
        """(access, refresh or None, expires_in). ``keep_refresh`` is returned as the
        refresh token instead of minting one (no rotation)."""
        if len(self.access) > 10_000:  # long sandbox runs: forget dead tokens
            self.access = {k: t for k, t in self.access.items() if t.expires_at > now}
        access = self._jwt(username, client_id, now, access_ttl)
        self.access[access] = AccessToken(access, username, client_id, now, now + access_ttl)
        refresh = keep_refresh
        if refresh is None and with_refresh:
            refresh = "1/" + secrets.token_urlsafe(36)
            self.refresh[refresh] = RefreshToken(
                refresh, username, client_id, None if refresh_ttl is None else now + refresh_ttl)
        return access, refresh, max(0, math.ceil(access_ttl))

    def valid_access(self, token: str, now: float) -> AccessToken | None:
        found = self.access.get(token)
        return found if found and found.expires_at > now else None

    def new_code(self, username: str, client_id: str, redirect_uri: str, offline: bool,
                 now: float, ttl: float) -> str:
        code = secrets.token_urlsafe(24)
        self.codes[code] = AuthCode(code, username, client_id, redirect_uri, offline, now + ttl)
        return code

    def redeem_code(self, code: str, client_id: str, redirect_uri: str, now: float) -> AuthCode:
        """Single use, bound to the client and the redirect_uri of the request."""
        found = self.codes.get(code)
        if found is None or found.used or found.expires_at <= now or found.client_id != client_id:
            raise OAuthError("invalid_request", "Invalid code parameter")
        if found.redirect_uri != redirect_uri:
            raise OAuthError("invalid_request", f"Invalid redirection uri {redirect_uri}")
        found.used = True
        return found

    def use_refresh(self, token: str, client_id: str, now: float, *, revoke: bool,
                    error: str) -> RefreshToken:
        found = self.refresh.get(token)
        if (found is None or found.revoked or found.client_id != client_id
                or (found.expires_at is not None and found.expires_at <= now)):
            raise OAuthError(error, "Invalid refresh_token parameter")
        if revoke:
            found.revoked = True
        return found

    def expire_access(self, token: str, now: float) -> bool:
        found = self.access.get(token)
        if found:
            found.expires_at = min(found.expires_at, now)
        return found is not None

    def expire_user(self, username: str, now: float) -> int:
        hits = [t for t in self.access.values() if t.username == username and t.expires_at > now]
        for t in hits:
            t.expires_at = now
        return len(hits)

    def revoke_refresh(self, token: str) -> bool:
        found = self.refresh.get(token)
        if found:
            found.revoked = True
        return found is not None

    def revoke_user_refresh(self, username: str) -> int:
        hits = [t for t in self.refresh.values() if t.username == username and not t.revoked]
        for t in hits:
            t.revoked = True
        return len(hits)
