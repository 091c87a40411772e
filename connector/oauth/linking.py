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
    """The known account these links join: the one holding most of them (ties: the
    first link's), among those holding no other account of the same partner. An account
    with another SmartHQ user or Kasa account is someone else's, or another household:
    joining it would replace that link."""
    fresh = {link.backend: link.partner_account_id for link in links}
    owners = [owner for link in links if link.partner_account_id
              for owner in accounts.partner_holders(link.backend, link.partner_account_id)]
    compatible = {owner for owner in set(owners) if not any(
        held.backend in fresh and held.partner_account_id != fresh[held.backend]
        for held in accounts.links(owner))}
    known = Counter(owner for owner in owners if owner in compatible)
    if not known:
        return None
    best = max(known.values())
    return next(owner for owner in owners if known.get(owner) == best)


def settle(accounts: Accounts, links: list[PartnerLink]) -> str:
    """Store ``links`` in the account they belong to (created if none) and return its id.

    Other accounts holding one of these partner accounts keep their link: taking it away
    would cut off their SmartThings installations, which are not this user's to change.
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
            accounts.link_partner(target, link)
        return target
