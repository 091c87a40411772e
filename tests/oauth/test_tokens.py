"""StoredTokens: partner tokens refreshed before expiry, once, and persisted."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import pytest

from connector.accounts import PartnerLink
from connector.backends.base import LinkExpired, RetryableError
from connector.oauth.tokens import REFRESH_LEEWAY, StoredTokens


@dataclass
class Token:
    access_token: str
    refresh_token: str | None
    expires_at: float


class PartnerOAuth:
    """A partner token endpoint double: counts refreshes, can fail or be slow."""

    def __init__(self, fail=None, delay=0.0):
        self.calls = 0
        self.fail = fail
        self.delay = delay
        self.lock = threading.Lock()

    def refresh(self, refresh_token, *, timeout=None):
        self.timeout = timeout
        with self.lock:
            self.calls += 1
            n = self.calls
        time.sleep(self.delay)
        if self.fail:
            raise self.fail
        return Token(f"access-{n}", f"refresh-{n}", time.time() + 3600)


def link_account(services, expires_in):
    return services.accounts.create([PartnerLink("kasa", "access-0", "refresh-0", time.time() + expires_in)])


def test_a_fresh_token_is_used_as_is(services):
    oauth = PartnerOAuth()
    tokens = StoredTokens(services.accounts, link_account(services, 3600), "kasa", oauth)
    assert tokens.access_token() == "access-0"
    assert oauth.calls == 0


def test_a_token_near_expiry_is_refreshed_before_use_and_persisted(services):
    oauth = PartnerOAuth()
    account_id = link_account(services, REFRESH_LEEWAY - 10)
    assert StoredTokens(services.accounts, account_id, "kasa", oauth).access_token() == "access-1"
    link = services.accounts.link(account_id, "kasa")
    assert (link.access_token, link.refresh_token) == ("access-1", "refresh-1")


def test_concurrent_refreshes_of_one_stale_token_call_the_partner_once(services):
    oauth = PartnerOAuth(delay=0.2)
    account_id = link_account(services, 3600)
    results = []

    def refresh():  # a separate StoredTokens per thread, as separate requests would have
        results.append(StoredTokens(services.accounts, account_id, "kasa", oauth).refresh("access-0"))

    threads = [threading.Thread(target=refresh) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert oauth.calls == 1
    assert results == ["access-1"] * 6


def test_a_refused_refresh_token_marks_the_link_for_relinking(services):
    account_id = link_account(services, 3600)
    tokens = StoredTokens(services.accounts, account_id, "kasa", PartnerOAuth(fail=LinkExpired("no")))
    with pytest.raises(LinkExpired):
        tokens.refresh("access-0")
    assert services.accounts.link(account_id, "kasa").needs_relink
    with pytest.raises(LinkExpired):  # and nobody asks the partner again
        StoredTokens(services.accounts, account_id, "kasa", PartnerOAuth()).access_token()


def test_a_transient_refresh_failure_keeps_a_still_valid_token(services):
    account_id = link_account(services, 60)  # inside the leeway, not yet expired
    tokens = StoredTokens(services.accounts, account_id, "kasa", PartnerOAuth(fail=RetryableError("503")))
    assert tokens.access_token() == "access-0"
    assert not services.accounts.link(account_id, "kasa").needs_relink


def test_a_transient_refresh_failure_of_an_expired_token_is_raised(services):
    account_id = link_account(services, -5)
    tokens = StoredTokens(services.accounts, account_id, "kasa", PartnerOAuth(fail=RetryableError("503")))
    with pytest.raises(RetryableError):
        tokens.access_token()


def test_no_link_is_link_expired(services):
    account_id = services.accounts.create()
    with pytest.raises(LinkExpired):
        StoredTokens(services.accounts, account_id, "kasa", PartnerOAuth()).access_token()


def held_lock(services, account_id, seconds=5):
    """The refresh lock, as another process in the middle of a refresh holds it."""
    lock = services.redis.lock(f"stc:lock:refresh:{account_id}:kasa", timeout=seconds)
    assert lock.acquire()
    return lock


def test_a_still_valid_token_is_used_while_someone_else_refreshes(services):
    account_id = link_account(services, 60)  # inside the leeway, not yet expired
    oauth = PartnerOAuth()
    lock = held_lock(services, account_id)
    try:
        tokens = StoredTokens(services.accounts, account_id, "kasa", oauth)
        assert tokens.access_token(time.monotonic() + 5) == "access-0"  # no waiting for it
    finally:
        lock.release()
    assert oauth.calls == 0


def test_waiting_for_another_refresh_ends_at_the_deadline(services):
    account_id = link_account(services, -5)  # expired: nothing to fall back on
    oauth = PartnerOAuth()
    lock = held_lock(services, account_id, seconds=3)
    try:
        with pytest.raises(RetryableError):
            StoredTokens(services.accounts, account_id, "kasa", oauth).access_token(
                time.monotonic() + 0.3)
    finally:
        lock.release()
    assert oauth.calls == 0  # gave up before the other refresh ended, called nobody


def test_the_partner_token_request_fits_the_deadline(services):
    account_id = link_account(services, -5)
    oauth = PartnerOAuth()
    StoredTokens(services.accounts, account_id, "kasa", oauth).access_token(time.monotonic() + 2)
    assert 0 < oauth.timeout <= 2
    StoredTokens(services.accounts, account_id, "kasa", oauth).refresh("access-1")
    assert oauth.timeout is None  # no deadline: the client's own timeouts


def test_after_a_failed_refresh_the_next_callers_fail_fast_instead_of_calling_again(services):
    account_id = link_account(services, -5)
    oauth = PartnerOAuth(fail=RetryableError("503"))
    for _ in range(3):
        with pytest.raises(RetryableError):
            StoredTokens(services.accounts, account_id, "kasa", oauth).access_token()
    assert oauth.calls == 1


class SlowOAuth(PartnerOAuth):
    """A healthy token endpoint that needs 8 s: a shorter timeout times out, as the OAuth
    clients report a request that got no answer."""

    def refresh(self, refresh_token, *, timeout=None):
        if timeout is not None and timeout < 8.0:
            self.calls += 1
            raise RetryableError("Kasa OAuth did not answer (ReadTimeout)", code="TRANSPORT")
        return super().refresh(refresh_token, timeout=timeout)


def test_a_refresh_cut_short_by_its_deadline_does_not_pause_the_others(services):
    account_id = link_account(services, -5)
    oauth = SlowOAuth()
    with pytest.raises(RetryableError):  # a webhook request: 5 s left, the endpoint needs 8
        StoredTokens(services.accounts, account_id, "kasa", oauth).access_token(time.monotonic() + 5)
    assert oauth.calls == 1
    assert StoredTokens(services.accounts, account_id, "kasa", oauth).refresh("access-0") == "access-2"


def test_an_error_the_partner_answered_pauses_the_others_even_under_a_deadline(services):
    account_id = link_account(services, -5)
    oauth = PartnerOAuth(fail=RetryableError("Kasa OAuth HTTP 503", code="503"))
    for _ in range(2):
        with pytest.raises(RetryableError):
            StoredTokens(services.accounts, account_id, "kasa", oauth).access_token(time.monotonic() + 5)
    assert oauth.calls == 1


def test_no_refresh_starts_without_time_left_for_it(services):
    account_id = link_account(services, -5)
    oauth = PartnerOAuth()
    with pytest.raises(RetryableError):
        StoredTokens(services.accounts, account_id, "kasa", oauth).access_token(time.monotonic() + 0.1)
    assert oauth.calls == 0

