"""The linking session: one browser's way from SmartThings' request to Allow or Cancel.

The browser holds a cookie with a random session id, signed with a key derived from
CONNECTOR_SECRET_KEY; the session itself lives in Redis, sealed with the vault because
it carries the partner tokens signed in so far (they reach the account only at Allow).

    oauth:session:{sha256(id)}   string  sealed {authorize, csrf, pending, links, notice}

It holds SmartThings' authorize parameters, the CSRF token of the page's forms, the
``state`` of each partner sign-in under way, and the partner links signed in. It lasts
SESSION_TTL at most, so an abandoned sign-in leaves nothing behind.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

import redis
from itsdangerous import BadSignature, URLSafeTimedSerializer

from connector.accounts import PREFIX, PartnerLink, digest
from connector.store import Vault, VaultError

COOKIE = "stc_link"
SESSION_TTL = 30 * 60


def signing_keys(secret_key: str | None) -> list[bytes]:
    """One derived key per CONNECTOR_SECRET_KEY entry; itsdangerous signs with the last."""
    if not secret_key:
        return [secrets.token_bytes(32)]  # sandbox without a key: valid for this process
    keys = [k.strip().encode() for k in secret_key.split(",") if k.strip()]
    # The first Fernet key is the current one, so it goes last.
    return [hmac.new(k, b"connector link-session cookie", hashlib.sha256).digest()
            for k in reversed(keys)]


class LinkSession:
    def __init__(self, sid: str, data: dict):
        self.id = sid
        self.data = data

    @property
    def authorize(self) -> dict:
        return self.data["authorize"]

    @property
    def csrf(self) -> str:
        return self.data["csrf"]

    def csrf_ok(self, presented: str | None) -> bool:
        return bool(presented) and hmac.compare_digest(presented.encode(), self.csrf.encode())

    def begin_partner(self, partner: str) -> str:
        """A fresh ``state`` for a partner sign-in, bound to this session."""
        state = secrets.token_urlsafe(32)
        self.data["pending"][partner] = state
        return state

    def finish_partner(self, partner: str, state: str | None) -> bool:
        """Whether ``state`` is the one this session sent; a match is used up.

        A mismatch leaves the pending sign-in alone, so a forged callback cannot
        cancel the user's real one.
        """
        expected = self.data["pending"].get(partner)
        if not (expected and state and hmac.compare_digest(expected.encode(), state.encode())):
            return False
        del self.data["pending"][partner]
        return True

    def add_link(self, link: PartnerLink) -> None:
        self.data["links"][link.backend] = link.__dict__

    def links(self) -> list[PartnerLink]:
        return [PartnerLink(**value) for _, value in sorted(self.data["links"].items())]

    def flash(self, notice: str) -> None:
        self.data["notice"] = notice

    def take_notice(self) -> str | None:
        return self.data.pop("notice", None)


class LinkSessions:
    def __init__(self, redis_client: redis.Redis, vault: Vault, secret_key: str | None,
                 ttl: int = SESSION_TTL):
        self.r = redis_client
        self.vault = vault
        self.ttl = ttl
        self._signer = URLSafeTimedSerializer(signing_keys(secret_key), salt="link-session")

    def start(self, authorize: dict) -> LinkSession:
        session = LinkSession(secrets.token_urlsafe(32), {
            "authorize": authorize, "csrf": secrets.token_urlsafe(32), "pending": {},
            "links": {}})
        self.save(session)
        return session

    def load(self, cookie: str | None) -> LinkSession | None:
        if not cookie:
            return None
        try:
            sid = self._signer.loads(cookie, max_age=self.ttl)
        except BadSignature:  # includes expired signatures
            return None
        sealed = self.r.get(self._key(sid)) if isinstance(sid, str) else None
        if sealed is None:
            return None
        try:
            return LinkSession(sid, self.vault.open(sealed))
        except VaultError:
            return None

    def save(self, session: LinkSession) -> None:
        self.r.set(self._key(session.id), self.vault.seal(session.data), ex=self.ttl)

    def end(self, session: LinkSession) -> None:
        self.r.delete(self._key(session.id))

    def cookie(self, session: LinkSession) -> str:
        return self._signer.dumps(session.id)

    @staticmethod
    def _key(sid: str) -> str:
        return PREFIX + f"oauth:session:{digest(sid)}"
