"""Accounts, partner links, SmartThings installations and the tokens we issue (Redis).

Keys (all under one prefix so a shared Redis stays tidy)::

    acct:{id}                 hash  created_at
    acct:{id}:links           hash  backend -> sealed {access_token, refresh_token, expires_at, ...}
    acct:{id}:installations   set   installation ids
    accounts                  set   account ids
    inst:{id}                 hash  account_id, created_at, callback (sealed grantCallbackAccess data)
    inst:{id}:tokens          set   digests of the tokens issued to the installation
    tok:{sha256(token)}       hash  kind, account_id, installation_id, expires_at, state

An installation is one SmartThings link (one location/region of a user); the tokens we
issue belong to it. Tokens are random 256-bit strings stored only as SHA-256 digests;
a slow KDF buys nothing for secrets with that much entropy. A token record outlives
its expiry (``TOKEN_RETENTION``) so an old token answers TOKEN-EXPIRED rather than
INVALID-TOKEN, and a removed installation leaves a tombstone (INTEGRATION-DELETED).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from dataclasses import dataclass, field

import redis

from connector.model import GlobalErrorEnum
from connector.store import Vault

TOKEN_RETENTION = 30 * 24 * 3600  # how long a dead token is still recognised
ACTIVE, DELETED = "active", "deleted"
PREFIX = "stc:"


class AuthError(Exception):
    """A token that cannot serve a request; ``enum`` is the ST global error to answer."""

    enum = GlobalErrorEnum.INVALID_TOKEN

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


class InvalidToken(AuthError):
    enum = GlobalErrorEnum.INVALID_TOKEN


class TokenExpired(AuthError):
    enum = GlobalErrorEnum.TOKEN_EXPIRED


class IntegrationDeleted(AuthError):
    enum = GlobalErrorEnum.INTEGRATION_DELETED


@dataclass(frozen=True)
class Installation:
    id: str
    account_id: str


@dataclass(frozen=True)
class IssuedTokens:
    installation_id: str
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_in: int


@dataclass(frozen=True)
class PartnerLink:
    """A partner account linked to one of ours; the tokens are plaintext in memory only."""

    backend: str
    access_token: str = field(repr=False)  # repr, hence any log line, never shows a token
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: float | None = None
    partner_account_id: str | None = None
    needs_relink: bool = False

    def public(self) -> dict:
        """What an admin may see: never the tokens themselves."""
        return {
            "backend": self.backend,
            "partner_account_id": self.partner_account_id,
            "expires_at": self.expires_at,
            "has_refresh_token": bool(self.refresh_token),
            "needs_relink": self.needs_relink,
        }


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Accounts:
    def __init__(self, redis_client: redis.Redis, vault: Vault, *, access_ttl: int = 86400,
                 refresh_ttl: int = 365 * 86400, clock=time.time):
        self.r = redis_client
        self.vault = vault
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl
        self.clock = clock

    # -- accounts -------------------------------------------------------------------

    def create(self, links: list[PartnerLink] = ()) -> str:
        account_id = uuid.uuid4().hex
        pipe = self.r.pipeline()
        pipe.hset(self._k("acct", account_id), mapping={"created_at": self.clock()})
        pipe.sadd(self._k("accounts"), account_id)
        pipe.execute()
        for link in links:
            self.link_partner(account_id, link)
        return account_id

    def exists(self, account_id: str) -> bool:
        return bool(self.r.exists(self._k("acct", account_id)))

    def list(self) -> list[str]:
        return sorted(self.r.smembers(self._k("accounts")))

    def describe(self, account_id: str) -> dict | None:
        """An admin's view of an account: links and installations, never a secret."""
        record = self.r.hgetall(self._k("acct", account_id))
        if not record:
            return None
        installations = []
        for inst_id in sorted(self.r.smembers(self._k("acct", account_id, "installations"))):
            inst = self.r.hgetall(self._k("inst", inst_id))
            callback = self.callback_grant(inst_id) or {}
            installations.append({
                "installation_id": inst_id,
                "created_at": float(inst.get("created_at", 0)),
                "callback_urls": callback.get("callback_urls"),
            })
        return {
            "account_id": account_id,
            "created_at": float(record["created_at"]),
            "links": [link.public() for link in self.links(account_id)],
            "installations": installations,
        }

    def delete(self, account_id: str) -> bool:
        """Remove an account, its links and installations; its tokens become tombstones."""
        if not self.exists(account_id):
            return False
        for inst_id in self.r.smembers(self._k("acct", account_id, "installations")):
            self.remove_installation(inst_id)
        for backend in self.r.hkeys(self._k("acct", account_id, "links")):
            self._links_changed(self.r, backend)
        self.r.delete(self._k("acct", account_id), self._k("acct", account_id, "links"),
                      self._k("acct", account_id, "installations"))
        self.r.srem(self._k("accounts"), account_id)
        return True

    # -- partner links --------------------------------------------------------------

    def set_link(self, account_id: str, link: PartnerLink) -> None:
        """Store a link's new tokens or state; a link marked dead counts as a change in
        who is linked (a refresh does not)."""
        pipe = self.r.pipeline()
        pipe.hset(self._k("acct", account_id, "links"), link.backend, self._seal_link(link))
        if link.needs_relink:
            self._links_changed(pipe, link.backend)
        pipe.execute()

    def link(self, account_id: str, backend: str) -> PartnerLink | None:
        sealed = self.r.hget(self._k("acct", account_id, "links"), backend)
        return self._open_link(sealed) if sealed else None

    def has_link(self, account_id: str, backend: str) -> bool:
        return bool(self.r.hexists(self._k("acct", account_id, "links"), backend))

    def links(self, account_id: str) -> list[PartnerLink]:
        sealed = self.r.hgetall(self._k("acct", account_id, "links"))
        return [self._open_link(value) for _, value in sorted(sealed.items())]

    def remove_link(self, account_id: str, backend: str) -> None:
        pipe = self.r.pipeline()
        pipe.hdel(self._k("acct", account_id, "links"), backend)
        self._links_changed(pipe, backend)
        pipe.execute()

    def links_version(self, backend: str) -> int:
        """A number that changes whenever an account gains, loses or kills a link to
        ``backend``: long-running processes compare it to notice new links at once."""
        return int(self.r.get(self._k("links-changed", backend)) or 0)

    def _links_changed(self, pipe, backend: str) -> None:
        pipe.incr(self._k("links-changed", backend))

    def _seal_link(self, link: PartnerLink) -> str:
        return self.vault.seal(link.__dict__)

    def _open_link(self, sealed: str) -> PartnerLink:
        return PartnerLink(**self.vault.open(sealed))

    # -- installations and the tokens we issue -------------------------------------

    def issue_tokens(self, account_id: str, installation_id: str | None = None,
                     access_ttl: int | None = None) -> IssuedTokens:
        """Issue an access/refresh token pair, creating an installation when none is given."""
        if not self.exists(account_id):
            raise KeyError(account_id)
        now = self.clock()
        if installation_id is None:
            installation_id = uuid.uuid4().hex
            self.r.hset(self._k("inst", installation_id),
                        mapping={"account_id": account_id, "created_at": now})
            self.r.sadd(self._k("acct", account_id, "installations"), installation_id)
        access_ttl = access_ttl or self.access_ttl
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        self._store_token(access, "access", account_id, installation_id, now + access_ttl)
        self._store_token(refresh, "refresh", account_id, installation_id, now + self.refresh_ttl)
        return IssuedTokens(installation_id, access, refresh, access_ttl)

    def resolve(self, token: str, kind: str = "access") -> Installation:
        """The installation a presented token belongs to, or the AuthError that explains why not."""
        record = self._lookup(token, kind)
        if record is None:
            raise InvalidToken("unknown token")
        if record.get("state") == DELETED:
            raise IntegrationDeleted("the integration was removed")
        if float(record["expires_at"]) <= self.clock():
            raise TokenExpired("token expired")
        pipe = self.r.pipeline(transaction=False)
        pipe.exists(self._k("acct", record["account_id"]))
        pipe.exists(self._k("inst", record["installation_id"]))
        account_exists, installation_exists = pipe.execute()
        if not account_exists:
            raise IntegrationDeleted("the account was removed")
        if not installation_exists:  # e.g. tokens a rotation stored while it was removed
            raise IntegrationDeleted("the installation was removed")
        return Installation(record["installation_id"], record["account_id"])

    def resolve_any(self, token: str, kind: str = "access", *,
                    removed: bool = False) -> Installation | None:
        """The installation of a known token even if it expired (and, with ``removed``,
        even if the installation was removed); None if unknown."""
        record = self._lookup(token, kind)
        if record is None or (record.get("state") == DELETED and not removed):
            return None
        return Installation(record["installation_id"], record["account_id"])

    def _lookup(self, token: str, kind: str) -> dict | None:
        if not isinstance(token, str) or not token:
            return None
        token_digest = digest(token)
        record = self.r.hgetall(self._k("tok", token_digest))
        # The digest is the lookup key, so this comparison is a formality; it is still
        # constant-time so that no check on a token ever depends on timing.
        if not record or not hmac.compare_digest(record.get("digest", ""), token_digest):
            return None
        return record if record.get("kind") == kind else None

    def installation(self, installation_id: str) -> Installation | None:
        account_id = self.r.hget(self._k("inst", installation_id), "account_id")
        return Installation(installation_id, account_id) if account_id else None

    def installations(self, account_id: str) -> list[str]:
        return sorted(self.r.smembers(self._k("acct", account_id, "installations")))

    def remove_installation(self, installation_id: str) -> bool:
        """Revoke an installation's tokens (leaving tombstones) and drop its callback data."""
        inst = self.r.hgetall(self._k("inst", installation_id))
        if not inst:
            return False
        for token_digest in self.r.smembers(self._k("inst", installation_id, "tokens")):
            key = self._k("tok", token_digest)
            if self.r.exists(key):
                self.r.hset(key, "state", DELETED)
                self.r.expire(key, TOKEN_RETENTION)
        self.r.delete(self._k("inst", installation_id), self._k("inst", installation_id, "tokens"))
        self.r.srem(self._k("acct", inst["account_id"], "installations"), installation_id)
        return True

    def _store_token(self, token: str, kind: str, account_id: str, installation_id: str,
                     expires_at: float) -> None:
        token_digest = digest(token)
        key = self._k("tok", token_digest)
        pipe = self.r.pipeline()
        pipe.hset(key, mapping={
            "digest": token_digest, "kind": kind, "account_id": account_id,
            "installation_id": installation_id, "expires_at": expires_at, "state": ACTIVE,
        })
        pipe.expire(key, max(1, int(expires_at - self.clock() + TOKEN_RETENTION)))
        pipe.sadd(self._k("inst", installation_id, "tokens"), token_digest)
        pipe.execute()

    # -- oauth: refresh rotation, revocation, partner index (connector/oauth) --------
    #
    #   partners:{backend}:{partner_account_id}  set     account ids (verified on read)
    #   tok:{digest} fields added on rotation:   rotated_at, retries, successor

    TOKEN_REVOKED = "revoked"

    def rotate_refresh_token(self, refresh_token: str, *, grace: float) -> IssuedTokens:
        """Spend a refresh token on a new pair for its installation.

        One more use within ``grace`` seconds is honoured (the first answer may have
        been lost) and voids the pair the first use issued. Any other reuse is taken as
        theft (RFC 9700 §4.14.2): every token of the installation is revoked. Raises
        the AuthError that explains a refusal.
        """
        installation = self.resolve(refresh_token, "refresh")
        if not self.r.exists(self._k("inst", installation.id)):
            raise IntegrationDeleted("the installation was removed")
        key, now = self._k("tok", digest(refresh_token)), self.clock()
        if not self.r.hsetnx(key, "rotated_at", now):  # HSETNX: one first use wins
            rotated_at = float(self.r.hget(key, "rotated_at") or 0)
            successor = (self.r.hget(key, "successor") or "").split(",")
            successor_used = self.r.hexists(self._k("tok", successor[-1]), "rotated_at")
            if (now - rotated_at > grace or successor_used
                    or self.r.hincrby(key, "retries", 1) > 1):
                self.revoke_tokens(installation.id)
                raise InvalidToken("refresh token reused")
            self._revoke_digests(successor)
        issued = self.issue_tokens(installation.account_id, installation.id)
        self.r.hset(key, "successor",
                    f"{digest(issued.access_token)},{digest(issued.refresh_token)}")
        self.r.expire(key, TOKEN_RETENTION)  # kept only to recognise a replay
        self._prune_tokens(installation.id)
        return issued

    def revoke_tokens(self, installation_id: str) -> None:
        """Every token of the installation stops working now; the installation stays."""
        self._revoke_digests(self.r.smembers(self._k("inst", installation_id, "tokens")))

    def _revoke_digests(self, digests) -> None:
        now = self.clock()
        for token_digest in filter(None, digests):
            key = self._k("tok", token_digest)
            if self.r.exists(key):  # an expiry date of now: TOKEN-EXPIRED, invalid_grant
                self.r.hset(key, mapping={"expires_at": now, "state": self.TOKEN_REVOKED})
                self.r.expire(key, TOKEN_RETENTION)

    def _prune_tokens(self, installation_id: str) -> None:
        """Forget digests whose records expired, so a long-lived link's set stays small."""
        members = list(self.r.smembers(self._k("inst", installation_id, "tokens")))
        pipe = self.r.pipeline()
        for token_digest in members:
            pipe.exists(self._k("tok", token_digest))
        gone = [d for d, alive in zip(members, pipe.execute()) if not alive]
        if gone:
            self.r.srem(self._k("inst", installation_id, "tokens"), *gone)

    def link_partner(self, account_id: str, link: PartnerLink) -> None:
        """Store a partner link and remember which accounts hold that partner account."""
        pipe = self.r.pipeline()
        pipe.hset(self._k("acct", account_id, "links"), link.backend, self._seal_link(link))
        self._links_changed(pipe, link.backend)
        if link.partner_account_id:
            pipe.sadd(self._partner_key(link.backend, link.partner_account_id), account_id)
        pipe.execute()

    def partner_holders(self, backend: str, partner_account_id: str) -> list[str]:
        """Our accounts that hold this partner account (a Kasa accountId, a SmartHQ userId).

        Two households may share one Kasa login, so there can be several. The index is a
        hint: each account's link must still name that partner account.
        """
        key = self._partner_key(backend, partner_account_id)
        legacy = self._k("partner", backend, partner_account_id)  # one account id, before sets
        held_before = self.r.getdel(legacy)
        if held_before:
            self.r.sadd(key, held_before)
        candidates = sorted(self.r.smembers(key))
        return [account_id for account_id in candidates
                if (held := self.link(account_id, backend)) is not None
                and held.partner_account_id == partner_account_id]

    def release_link(self, account_id: str, backend: str) -> PartnerLink | None:
        """Remove a partner link (and its index entry); returns what was removed."""
        link = self.link(account_id, backend)
        if link is None:
            return None
        self.remove_link(account_id, backend)
        if link.partner_account_id:
            self.r.srem(self._partner_key(backend, link.partner_account_id), account_id)
        return link

    def _partner_key(self, backend: str, partner_account_id: str) -> str:
        return self._k("partners", backend, partner_account_id)

    # -- callback data (grantCallbackAccess) -----------------------------------------

    def store_callback_grant(self, installation_id: str, *, code: str, callback_urls: dict) -> None:
        grant = {"code": code, "callback_urls": callback_urls, "granted_at": self.clock()}
        self.r.hset(self._k("inst", installation_id), "callback", self.vault.seal(grant))

    def callback_grant(self, installation_id: str) -> dict | None:
        sealed = self.r.hget(self._k("inst", installation_id), "callback")
        return self.vault.open(sealed) if sealed else None

    # -- callback credentials (SmartThings' tokens for our callbacks) ----------------
    # Fields of inst:{id}, so removing the installation removes them too:
    #   callback_tokens        sealed {access_token, refresh_token, expires_at, grant}
    #   callback_grant_needed  why a new grantCallbackAccess is needed (plain text)
    # Written only while the installation exists: a job finishing after
    # integrationDeleted must not bring a half installation back.

    _HSET_IF_EXISTS = ("if redis.call('EXISTS', KEYS[1]) == 1 then "
                       "return redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end return -1")

    def installation_exists(self, installation_id: str) -> bool:
        return bool(self.r.exists(self._k("inst", installation_id)))

    def store_callback_tokens(self, installation_id: str, tokens: dict) -> bool:
        """Seal and keep an installation's callback tokens; False if it no longer exists."""
        return self.r.eval(self._HSET_IF_EXISTS, 1, self._k("inst", installation_id),
                           "callback_tokens", self.vault.seal(tokens)) != -1

    def callback_tokens(self, installation_id: str) -> dict | None:
        sealed = self.r.hget(self._k("inst", installation_id), "callback_tokens")
        return self.vault.open(sealed) if sealed else None

    def mark_callback_grant_needed(self, installation_id: str, reason: str) -> bool:
        return self.r.eval(self._HSET_IF_EXISTS, 1, self._k("inst", installation_id),
                           "callback_grant_needed", reason or "unknown") != -1

    def clear_callback_grant_needed(self, installation_id: str) -> None:
        self.r.hdel(self._k("inst", installation_id), "callback_grant_needed")

    def callback_grant_needed(self, installation_id: str) -> str | None:
        """Why the installation's next discoveryResponse must ask for a new grant, if it must."""
        return self.r.hget(self._k("inst", installation_id), "callback_grant_needed")

    # -- end of callback credentials ---------------------------------------------------

    # -------------------------------------------------------------------------------

    @staticmethod
    def _k(*parts: str) -> str:
        return PREFIX + ":".join(parts)
