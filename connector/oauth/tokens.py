"""Partner access tokens kept fresh: refreshed before expiry, single-flight across processes.

``StoredTokens`` is the token source a partner client (Kasa, SmartHQ) asks for a token.
The partner link lives sealed in the account store; refreshing happens under a Redis
lock per account and partner, so when many threads or processes see the same expired
token only one calls the partner's token endpoint and the rest pick up its result. A
refresh token the partner refuses marks the link as needing re-linking, which the
webhook reports to SmartThings as TOKEN-EXPIRED.
"""
from __future__ import annotations

import dataclasses
import time
from typing import Protocol

import redis

from connector import logs
from connector.accounts import Accounts, PartnerLink
from connector.backends.base import LinkExpired, RetryableError

REFRESH_LEEWAY = 300  # refresh this many seconds before the partner's expiry
LOCK_TIMEOUT = 30  # a refresh holding the lock longer than this is presumed dead
FAILED_REFRESH_PAUSE = 10  # seconds after a failed refresh before anyone calls the partner again
MIN_REFRESH_SECONDS = 0.5  # less time than this left in a request: do not start a refresh
TRANSPORT_CODES = ("TRANSPORT", "CONNECT")  # no answer from the partner (the OAuth clients' codes)

log = logs.get_logger(__name__)


class PartnerToken(Protocol):
    access_token: str
    refresh_token: str | None
    expires_at: float


class PartnerOAuth(Protocol):
    def refresh(self, refresh_token: str, *, timeout: float | None = None) -> PartnerToken: ...


def _left(deadline: float | None, unlimited: float | None) -> float | None:
    """Seconds until ``deadline`` (never negative), or ``unlimited`` when there is none."""
    if deadline is None:
        return unlimited
    return max(0.0, deadline - time.monotonic())


class StoredTokens:
    """A partner client's token source backed by the account store."""

    def __init__(self, accounts: Accounts, account_id: str, backend: str, oauth: PartnerOAuth,
                 *, leeway: float = REFRESH_LEEWAY, clock=time.time):
        self.accounts = accounts
        self.account_id = account_id
        self.backend = backend
        self.oauth = oauth
        self.leeway = leeway
        self.clock = clock

    def __repr__(self) -> str:
        return f"StoredTokens({self.account_id!r}, {self.backend!r})"

    def access_token(self, deadline: float | None = None) -> str:
        """The token for the next call, refreshed first when it is about to expire.

        While the current token still works, a refresh is only attempted if nobody else
        is refreshing (no waiting), and a failure keeps the current token.
        """
        link = self._link()
        if link.expires_at is None or link.expires_at - self.clock() >= self.leeway:
            return link.access_token
        still_valid = link.expires_at > self.clock()
        try:
            return self.refresh(link.access_token, deadline, wait=not still_valid)
        except RetryableError:
            if still_valid:
                return link.access_token  # try refreshing next time
            raise

    def refresh(self, stale_token: str, deadline: float | None = None, *, wait: bool = True) -> str:
        """A token other than ``stale_token``: refreshed here, or by whoever held the lock.

        Everything fits ``deadline`` (``time.monotonic()``; None: no limit): the wait for
        the lock and the partner's token request. A refresh that failed moments ago is
        not tried again by every waiting thread: they fail fast until the pause ends.
        """
        lock = self.accounts.r.lock(f"stc:lock:refresh:{self.account_id}:{self.backend}",
                                    timeout=LOCK_TIMEOUT)
        try:
            acquired = lock.acquire(blocking=wait,
                                    blocking_timeout=_left(deadline, LOCK_TIMEOUT) if wait else None)
        except redis.RedisError as exc:
            raise RetryableError("token refresh lock unavailable") from exc
        if not acquired:
            raise RetryableError("another process is still refreshing this token")
        try:
            link = self._link()
            if link.access_token != stale_token:
                return link.access_token  # someone refreshed while we waited for the lock
            paused = self._paused_key()
            if self.accounts.r.exists(paused):
                raise RetryableError("the partner's token endpoint failed moments ago")
            left = _left(deadline, None)
            if left is not None and left < MIN_REFRESH_SECONDS:
                raise RetryableError("no time left in this request to refresh the token")
            try:
                token = self.oauth.refresh(link.refresh_token, timeout=left)
            except LinkExpired:
                self.accounts.set_link(self.account_id, dataclasses.replace(link, needs_relink=True))
                log.warning("partner refused the refresh token: link needs re-linking",
                            backend=self.backend)
                raise
            except RetryableError as exc:
                # Pause the others when the partner answered with an error, or failed in
                # its own full time; a timeout we cut short to fit a deadline says nothing.
                if left is None or exc.code not in TRANSPORT_CODES:
                    self.accounts.r.set(paused, 1, px=int(FAILED_REFRESH_PAUSE * 1000))
                raise
            self.accounts.set_link(self.account_id, dataclasses.replace(
                link, access_token=token.access_token,
                refresh_token=token.refresh_token or link.refresh_token,
                expires_at=token.expires_at, needs_relink=False))
            log.info("partner token refreshed", backend=self.backend)
            return token.access_token
        finally:
            try:
                lock.release()
            except redis.exceptions.LockError:
                pass  # it expired while we worked; the next refresh re-checks anyway

    def _paused_key(self) -> str:
        return f"stc:refresh-failed:{self.account_id}:{self.backend}"

    def _link(self) -> PartnerLink:
        link = self.accounts.link(self.account_id, self.backend)
        if link is None or link.needs_relink:
            raise LinkExpired(f"the {self.backend} account must be linked again")
        return link
