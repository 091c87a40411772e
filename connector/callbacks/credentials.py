"""SmartThings' callback credentials for one installation: exchange, keep fresh, give up loudly.

``grantCallbackAccess`` brings a code and two URLs (st-schema-protocol §2.4). The
webhook stores them and calls :func:`request_exchange`; a high-priority job trades the
code for tokens with an ``accessTokenRequest`` (§2.5) and keeps them sealed in the
account store. :class:`Credentials` hands out a valid access token, refreshing it with
``refreshAccessTokens`` (§2.6) shortly before it expires and when SmartThings answers
401 — single-flight per installation under a Redis lock, so concurrent flushes spend
one refresh between them.

When no refresh can help (no grant, a refused refresh token, an unusable URL) the
installation is marked, and its next discoveryResponse asks SmartThings for a new grant
(``requestGrantCallbackAccess: true``). Transient failures (429, 5xx, timeouts) never
mark it: §2.1 reserves the flag for real credential failures.
"""
from __future__ import annotations

import hashlib
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import NoReturn

import redis

from connector import logs, schema
from connector.schema import ProtocolError

from . import queues
from .client import SmartThingsClient
from .errors import GrantRequired, Rejected, Retryable, UrlRefused
from .policy import DeliveryPolicy

LOCK_TIMEOUT = 30  # longer than one token request may take (connect + read timeouts)

log = logs.get_logger(__name__)


@dataclass(frozen=True)
class CallbackTokens:
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: float
    grant: str  # grant_id of the code they were obtained with

    def to_dict(self) -> dict:
        return {"access_token": self.access_token, "refresh_token": self.refresh_token,
                "expires_at": self.expires_at, "grant": self.grant}


def grant_id(code: str) -> str:
    """A name for one grant that is safe to put in job arguments and logs (not the code)."""
    return hashlib.sha256(code.encode()).hexdigest()[:32]


def grant_needed(services, installation_id: str) -> bool:
    return bool(services.accounts.callback_grant_needed(installation_id))


def request_exchange(services, installation_id: str, policy: DeliveryPolicy | None = None):
    """Queue the exchange of the installation's current grant code (high priority)."""
    grant = services.accounts.callback_grant(installation_id)
    if not grant:
        raise GrantRequired("no grantCallbackAccess stored for this installation")
    policy = policy or DeliveryPolicy.from_settings(services.settings)
    return request_exchange_of(services, installation_id, grant_id(grant["code"]), policy)


def request_exchange_of(services, installation_id: str, grant: str, policy: DeliveryPolicy, *,
                        attempt: int = 0, delay: float = 0.0):
    return queues.enqueue(
        services, queues.HIGH, queues.EXCHANGE_JOB, job_id=queues.new_job_id("exchange"),
        installation_id=installation_id, kind="exchange", timeout=policy.job_timeout,
        delay=delay, kwargs={"installation_id": installation_id, "grant": grant,
                             "attempt": attempt, "policy": policy.to_dict()})


class Credentials:
    """The callback URLs and a valid access token of one installation."""

    def __init__(self, services, installation_id: str, client: SmartThingsClient,
                 policy: DeliveryPolicy, *, clock=time.time):
        self.services = services
        self.accounts = services.accounts
        self.installation_id = installation_id
        self.client = client
        self.policy = policy
        self.clock = clock

    def __repr__(self) -> str:
        return f"Credentials({self.installation_id!r})"

    # -- what a flush needs -----------------------------------------------------------

    def urls(self) -> dict[str, str]:
        grant = self.accounts.callback_grant(self.installation_id)
        if not grant:
            self.require_grant("no grantCallbackAccess received")
        return grant["callback_urls"]

    def tokens(self) -> CallbackTokens:
        stored = self.accounts.callback_tokens(self.installation_id)
        if stored:
            return CallbackTokens(**stored)
        if (self.accounts.callback_grant(self.installation_id)
                and not self.accounts.callback_grant_needed(self.installation_id)):
            # Just granted: the exchange job is on its way (or being retried).
            raise Retryable("callback tokens not obtained yet: the token exchange is pending")
        self.require_grant("no callback tokens: the grant was never exchanged")

    def access_token(self) -> str:
        """A token for the next callback, refreshed first when it is about to expire."""
        tokens = self.tokens()
        if tokens.expires_at - self.clock() >= self.policy.refresh_leeway:
            return tokens.access_token
        if tokens.expires_at > self.clock() and self.accounts.callback_grant_needed(self.installation_id):
            return tokens.access_token  # a new grant is asked for: until then, this one
        try:
            return self.refresh(tokens.access_token)
        except (Retryable, GrantRequired):
            # Still valid: use it meanwhile. A refused refresh has already asked for a
            # new grant (discovery says so); parking waits until the token really ends.
            if tokens.expires_at > self.clock():
                return tokens.access_token
            raise

    @contextmanager
    def _token_lock(self):
        """One refresh or exchange of this installation's tokens at a time, so neither
        overwrites what the other just stored."""
        lock = self.accounts.r.lock(f"stc:lock:cbrefresh:{self.installation_id}",
                                    timeout=LOCK_TIMEOUT, blocking_timeout=LOCK_TIMEOUT)
        try:
            acquired = lock.acquire()
        except redis.RedisError as exc:
            raise Retryable("callback token lock unavailable") from exc
        if not acquired:
            raise Retryable("another process is still refreshing or exchanging the callback token")
        try:
            yield
        finally:
            try:
                lock.release()
            except redis.exceptions.LockError:
                pass  # it expired while we worked; the next refresh re-checks anyway

    def refresh(self, stale_token: str) -> str:
        """Refresh unless someone already replaced ``stale_token``; returns the current token."""
        with self._token_lock():
            tokens = self.tokens()
            if tokens.access_token != stale_token:
                return tokens.access_token  # refreshed while we waited for the lock
            if not tokens.refresh_token:
                self.require_grant("SmartThings gave no refresh token")
            answer = self._token_request(schema.refresh_access_tokens(
                tokens.refresh_token, *self._client_credentials()))
            fresh = CallbackTokens(answer["accessToken"],
                                   answer["refreshToken"] or tokens.refresh_token,
                                   self.clock() + answer["expiresIn"], tokens.grant)
            self._store(fresh)
            log.info("callback token refreshed", installation=self.installation_id)
            return fresh.access_token

    # -- the exchange -----------------------------------------------------------------

    def exchange(self, expected_grant: str) -> str:
        """Trade the stored code for tokens; returns what happened, for the job's result.

        Idempotent (a job may run twice): a grant already exchanged, or superseded by a
        newer grantCallbackAccess (which has its own job), is left alone.
        """
        grant = self.accounts.callback_grant(self.installation_id)
        if not grant:
            return "no grant (installation removed?)"
        if grant_id(grant["code"]) != expected_grant:
            return "superseded by a newer grant"
        with self._token_lock():
            stored = self.accounts.callback_tokens(self.installation_id)
            if stored and stored.get("grant") == expected_grant:
                return "already exchanged"
            answer = self._token_request(schema.access_token_request(
                grant["code"], *self._client_credentials()))
            # Without a refresh token the access token still serves until it expires;
            # the refresh then asks for a new grant.
            self._store(CallbackTokens(answer["accessToken"], answer["refreshToken"] or "",
                                       self.clock() + answer["expiresIn"], expected_grant))
        self.accounts.clear_callback_grant_needed(self.installation_id)
        log.info("callback tokens obtained", installation=self.installation_id)
        return "exchanged"

    # -- helpers ----------------------------------------------------------------------

    def require_grant(self, reason: str) -> NoReturn:
        """Mark the installation so discovery asks for a new grant, and stop here."""
        self.accounts.mark_callback_grant_needed(self.installation_id, reason)
        log.warning("callback access must be granted again", installation=self.installation_id,
                    reason=reason)
        raise GrantRequired(reason)

    def _client_credentials(self) -> tuple[str, str]:
        settings = self.services.settings
        if not settings.st_client_id or not settings.st_client_secret:
            raise GrantRequired("ST_CLIENT_ID and ST_CLIENT_SECRET must be set")
        return settings.st_client_id, settings.st_client_secret

    def _token_request(self, payload: dict) -> dict:
        url = self.urls()["oauthToken"]
        try:
            return schema.parse_access_token_response(self.client.post(url, payload))
        except UrlRefused:
            self.require_grant("the oauthToken URL is not an allow-listed host")
        except Rejected as exc:
            self.require_grant(f"token endpoint refused the request ({exc.status} {exc.enum or ''})"
                               .rstrip())
        except ProtocolError as exc:
            self.require_grant(f"token endpoint answered {exc.enum}")

    def _store(self, tokens: CallbackTokens) -> None:
        if not self.accounts.store_callback_tokens(self.installation_id, tokens.to_dict()):
            raise GrantRequired("the installation was removed")
