"""Which of our accounts a set of freshly signed-in partner links belongs to.

A partner account we already know (same Kasa accountId, same SmartHQ userId) joins
the account that holds it, so linking again, or from a second SmartThings location,
never creates a duplicate. Nothing is written before the user taps Allow.
"""
from __future__ import annotations

import secrets
import time
from collections import Counter
from contextlib import contextmanager

from connector import logs
from connector.accounts import Accounts, PartnerLink

SETTLE_LOCK_SECONDS = 10

log = logs.get_logger(__name__)


@contextmanager
def _lock(r, name: str, seconds: int):
    """SET NX with expiry: no Lua, so it also works on the sandbox's fakeredis."""
    token, deadline = secrets.token_hex(16), time.monotonic() + seconds
    while not r.set(name, token, nx=True, ex=seconds):
        if time.monotonic() > deadline:
            raise TimeoutError("another link is being settled; try again")
        time.sleep(0.05)
    try:
        yield
    finally:
        if r.get(name) == token:  # not ours any more if it expired meanwhile
            r.delete(name)


def existing_account(accounts: Accounts, links: list[PartnerLink]) -> str | None:
    """The known account most of these links belong to (ties: the first link's)."""
    owners = [accounts.account_for_partner(link.backend, link.partner_account_id)
              for link in links if link.partner_account_id]
    known = Counter(owner for owner in owners if owner)
    if not known:
        return None
    best = max(known.values())
    return next(owner for owner in owners if owner and known[owner] == best)


def settle(accounts: Accounts, links: list[PartnerLink]) -> str:
    """Store ``links`` in the account they belong to (created if none) and return its id.

    If the user signed in to partner accounts held by two different accounts of ours,
    the links move to the account holding most of them: the user just proved they own
    each partner account, and one SmartThings link must see all of them.
    """
    if not links:
        raise ValueError("nothing to link")
    # One lock for all linking: it is rare, and two tabs linking the same new Kasa
    # account at once must not create two accounts.
    with _lock(accounts.r, "stc:lock:oauth:settle", SETTLE_LOCK_SECONDS):
        target = existing_account(accounts, links)
        if target is None:
            target = accounts.create()
            log.info("account created by linking", account=target)
        for link in links:
            previous = accounts.account_for_partner(link.backend, link.partner_account_id)
            if previous and previous != target:
                accounts.release_link(previous, link.backend)
                log.warning("partner account moved between accounts", backend=link.backend,
                            from_account=previous, to_account=target)
            accounts.link_partner(target, link)
        return target
