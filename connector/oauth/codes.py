"""Authorization codes for SmartThings: random, hashed at rest, single-use, short-lived.

Keys (under the accounts prefix, ``stc:``)::

    oauth:code:{sha256(code)}   string  JSON {client_id, redirect_uri, scope, account_id,
                                        expires_at}
    oauth:used:{sha256(code)}   string  the installation its exchange created ("" until known)

A code is taken with GETDEL, so of two concurrent exchanges exactly one gets it. The
"used" marker outlives the code: a second exchange of the same code is refused and,
as RFC 6749 §4.1.2 advises, the installation the first exchange created is removed,
because one of the two presenters was not the client we issued the code to.
"""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

import redis

from connector.accounts import PREFIX, digest

CODE_TTL = 300  # RFC 6749 §4.1.2: "a maximum lifetime of 10 minutes is RECOMMENDED"
USED_TTL = 3600  # how long a spent code is remembered to detect its replay


@dataclass(frozen=True)
class AuthorizationCode:
    """A redeemed code, shaped the way authlib's grant expects (AuthorizationCodeMixin)."""

    digest: str
    client_id: str
    redirect_uri: str
    scope: str
    account_id: str
    expires_at: float

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


class CodeStore:
    def __init__(self, redis_client: redis.Redis, clock, ttl: int = CODE_TTL):
        self.r = redis_client
        self.clock = clock  # a callable, read at every use so tests can move time
        self.ttl = ttl

    @staticmethod
    def new_code() -> str:
        return secrets.token_urlsafe(32)

    def save(self, code: str, *, client_id: str, redirect_uri: str, scope: str,
             account_id: str) -> None:
        record = {"client_id": client_id, "redirect_uri": redirect_uri, "scope": scope or "",
                  "account_id": account_id, "expires_at": self.clock() + self.ttl}
        # Redis' TTL only collects garbage; expires_at decides (and follows the clock).
        self.r.set(self._key("code", code), json.dumps(record), ex=self.ttl + 60)

    def take(self, code: str) -> AuthorizationCode | None:
        """The code's grant, consumed; None if unknown, spent or expired."""
        if not isinstance(code, str) or not code:
            return None
        raw = self.r.getdel(self._key("code", code))
        if raw is None:
            return None
        self.r.set(self._key("used", code), "", ex=USED_TTL)
        record = json.loads(raw)
        if record["expires_at"] <= self.clock():
            return None
        return AuthorizationCode(digest(code), record["client_id"], record["redirect_uri"],
                                 record["scope"], record["account_id"], record["expires_at"])

    def redeemed(self, code_digest: str, installation_id: str) -> None:
        """Remember which installation the exchange created, for replay handling."""
        self.r.set(PREFIX + f"oauth:used:{code_digest}", installation_id, ex=USED_TTL)

    def replayed(self, code: str) -> str | None:
        """For a code presented again: the installation its first exchange created.

        Returns "" when the code was spent without creating one (expired, refused),
        None when the code was never issued or its marker is gone.
        """
        if not isinstance(code, str) or not code:
            return None
        return self.r.getdel(self._key("used", code))

    @staticmethod
    def _key(kind: str, code: str) -> str:
        return PREFIX + f"oauth:{kind}:{digest(code)}"
