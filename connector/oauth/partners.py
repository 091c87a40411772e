"""The partner clouds a user can connect on the link page: Kasa and SmartHQ.

Each partner knows how to build its OAuth client from the settings, how to learn the
partner account id of a fresh token (so a known account is joined, not duplicated),
and how to release a link when the last SmartThings installation is gone.
"""
from __future__ import annotations

import time

import requests

from connector import logs
from connector.accounts import Accounts, PartnerLink
from connector.backends.base import FatalError, PartnerError, RetryableError
from connector.settings import Settings

RELEASE_SECONDS = 5.0  # unlinking happens inside integrationDeleted: keep it short

log = logs.get_logger(__name__)


class Partner:
    name: str  # the backend's namespace (PartnerLink.backend)
    label: str  # as the user knows it

    def configured(self, settings: Settings) -> bool:
        raise NotImplementedError

    def oauth(self, settings: Settings, session: requests.Session | None = None):
        """An object with authorize_url, exchange_code and refresh."""
        raise NotImplementedError

    def account_id(self, settings: Settings, access_token: str,
                   session: requests.Session | None = None) -> str:
        """The partner's id for the account this token belongs to."""
        raise NotImplementedError

    def release(self, settings: Settings, accounts: Accounts, account_id: str,
                link: PartnerLink) -> None:
        """Tell the partner we are done with this account (best effort)."""

    def link(self, token, partner_account_id: str) -> PartnerLink:
        return PartnerLink(self.name, token.access_token, token.refresh_token,
                           token.expires_at, partner_account_id)


class Kasa(Partner):
    name, label = "kasa", "TP-Link Kasa"

    def configured(self, settings):
        return settings.kasa_configured

    def oauth(self, settings, session=None):
        from connector.backends.kasa.oauth import KasaOAuth

        return KasaOAuth(settings.kasa_oauth_url, settings.kasa_client_id,
                         settings.kasa_client_secret, session=session)

    def account_id(self, settings, access_token, session=None):
        # The token response carries no account id; GET /devices does.
        from connector.backends.kasa.client import KasaClient, StaticTokens

        data = KasaClient(settings.kasa_api_url, settings.kasa_api_key,
                          settings.kasa_client_id, StaticTokens(access_token),
                          session=session).list_devices()
        if not data.get("accountId"):
            raise FatalError("Kasa did not name the account (no accountId in /devices)")
        return str(data["accountId"])

    def release(self, settings, accounts, account_id, link):
        from connector.backends.kasa.client import KasaClient
        from connector.oauth.tokens import StoredTokens

        tokens = StoredTokens(accounts, account_id, self.name, self.oauth(settings))
        KasaClient(settings.kasa_api_url, settings.kasa_api_key, settings.kasa_client_id,
                   tokens).unlink_account(deadline=time.monotonic() + RELEASE_SECONDS)


class SmartHQ(Partner):
    name, label = "smarthq", "GE SmartHQ"

    def configured(self, settings):
        return settings.smarthq_configured

    def oauth(self, settings, session=None):
        from connector.backends.smarthq.oauth import SmartHQOAuth

        return SmartHQOAuth(settings.smarthq_oauth_url, settings.smarthq_client_id,
                            settings.smarthq_client_secret, session=session)

    def account_id(self, settings, access_token, session=None):
        # Every Digital Twin list names its user; one device (or none) is enough.
        http = session or requests.Session()
        try:
            resp = http.get(settings.smarthq_api_url + "/v2/device",
                            params={"page": 1, "perpage": 1}, timeout=(3.05, 10.0),
                            headers={"Authorization": f"Bearer {access_token}",
                                     "Accept": "application/json"})
        except requests.RequestException as exc:
            raise RetryableError(f"SmartHQ did not answer ({type(exc).__name__})") from None
        try:
            user_id = resp.json().get("userId") if resp.status_code == 200 else None
        except (ValueError, AttributeError):
            user_id = None
        if not user_id:
            raise PartnerError(f"SmartHQ did not name the user (HTTP {resp.status_code})")
        return str(user_id)

    # SmartHQ documents no token revocation (only a browser logout): releasing a link
    # means forgetting its tokens, which the caller does.


PARTNERS: dict[str, Partner] = {p.name: p for p in (Kasa(), SmartHQ())}


def configured(settings: Settings) -> list[Partner]:
    return [p for p in PARTNERS.values() if p.configured(settings)]
