"""Removing a SmartThings installation, and releasing partner links once no
installation uses an account any more.

``forget_installation`` serves ``integrationDeleted`` and a replayed authorization code
alike; every step is idempotent, so a retry finishes what a failed attempt began. Each
partner hears that we are done (Kasa: ``POST /account/unlink``; SmartHQ documents no
revocation), unless another of our accounts still holds that partner account, and the
sealed tokens are deleted whatever the partner answered: the user removed us, so
keeping their credentials would be the wrong failure.
"""
from __future__ import annotations

from connector import logs
from connector.accounts import Installation
from connector.backends.base import PartnerError
from connector.callbacks.pending import Pending
from connector.oauth.partners import PARTNERS

log = logs.get_logger(__name__)


def forget_installation(services, installation: Installation) -> None:
    """Revoke the installation's tokens, drop its undelivered states (nobody to deliver
    to now) and, if it was the account's last, release the account's partner links."""
    services.accounts.remove_installation(installation.id)
    dropped = Pending(services.redis).discard(installation.id)
    log.info("installation removed", installation=installation.id, pending_dropped=dropped)
    release_if_unused(services, installation.account_id)


def release_if_unused(services, account_id: str) -> list[str]:
    """Release every partner link of an account with no installation left.

    Returns the backends released (none while an installation remains).
    """
    accounts = services.accounts
    if accounts.installations(account_id):
        return []
    released = []
    for link in accounts.links(account_id):
        partner = PARTNERS.get(link.backend)
        shared = link.partner_account_id and any(
            other != account_id
            for other in accounts.partner_holders(link.backend, link.partner_account_id))
        if shared:
            # Another of our accounts (another household on the same login) still uses
            # it: the partner's unlink would end that account's access too.
            log.info("partner account still linked elsewhere: not unlinked at the partner",
                     backend=link.backend)
        elif partner is not None and partner.configured(services.settings) and not link.needs_relink:
            try:
                partner.release(services.settings, accounts, account_id, link)
            except PartnerError as exc:
                log.warning("partner did not confirm the unlink", backend=link.backend,
                            error=exc.detail)
        accounts.release_link(account_id, link.backend)
        released.append(link.backend)
        log.info("partner link released", backend=link.backend)
    return released
