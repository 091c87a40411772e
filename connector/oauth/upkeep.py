"""Token upkeep for admins: refresh every partner token that expires soon.

Meant for a scheduler (``connector refresh-tokens`` / ``scripts/refresh-tokens``), so
a link whose user went quiet still has a fresh token, and a dead refresh token is
found by an admin before SmartThings finds it. Refreshing goes through StoredTokens:
the same single-flight lock the web processes use, so the two never race.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass

from connector.backends.base import LinkExpired, PartnerError
from connector.oauth.partners import PARTNERS
from connector.oauth.tokens import StoredTokens

OK, REFRESHED, FAILED = "ok", "refreshed", "failed"
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")


def parse_duration(text: str) -> float:
    """Seconds in "90", "90s", "30m", "2h" or "1d"."""
    match = _DURATION.match(text or "")
    if not match:
        raise ValueError(f"{text!r} is not a duration such as 30m, 2h or 1d")
    return float(match.group(1)) * _UNITS[match.group(2) or "s"]


@dataclass(frozen=True)
class Outcome:
    account_id: str
    backend: str
    status: str  # ok | refreshed | failed
    detail: str = ""

    def line(self) -> str:
        text = self.status + (f": {self.detail}" if self.detail else "")
        return f"{self.account_id}  {self.backend:<8} {text}"


def refresh_expiring(services, within: float, *, clock=time.time) -> list[Outcome]:
    """Refresh the partner tokens of every account that expire within ``within`` s."""
    accounts = services.accounts
    outcomes = []
    for account_id in accounts.list():
        for link in accounts.links(account_id):
            outcomes.append(_upkeep(services, account_id, link, clock() + within))
    return outcomes


def _upkeep(services, account_id, link, horizon) -> Outcome:
    def outcome(status, detail=""):
        return Outcome(account_id, link.backend, status, detail)

    if link.needs_relink:
        return outcome(FAILED, "needs re-link")
    if link.expires_at is None or link.expires_at > horizon:
        return outcome(OK)
    partner = PARTNERS.get(link.backend)
    if partner is None or not partner.configured(services.settings):
        return outcome(FAILED, f"{link.backend} is not configured here")
    tokens = StoredTokens(services.accounts, account_id, link.backend,
                          partner.oauth(services.settings))
    try:
        tokens.refresh(link.access_token)
    except LinkExpired:
        return outcome(FAILED, "needs re-link")
    except PartnerError as exc:
        return outcome(FAILED, f"{exc.detail} (try again later)")
    return outcome(REFRESHED)
