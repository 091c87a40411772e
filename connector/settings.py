"""One typed Settings object, read from the environment and validated once at start.

Every variable is declared once in ``FIELDS`` with its parser, default and whether it
is a secret; ``Settings.from_env`` collects *all* problems before failing so an
operator fixes a deployment in one pass. ``production_problems`` names what a real
deployment needs beyond what the sandbox and the tests can do without.
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit

from cryptography.fernet import Fernet

DEFAULT_REDIRECT_URIS = (
    "https://c2c-us.smartthings.com/oauth/callback",
    "https://c2c-eu.smartthings.com/oauth/callback",
    "https://c2c-ap.smartthings.com/oauth/callback",
)
DEFAULT_CALLBACK_HOSTS = ("*.smartthings.com",)
# Kasa requests one poll takes at once to read a metering device (device info + real-time
# energy): the request budget's burst must hold at least that many.
KASA_METERED_READ_REQUESTS = 2


class ConfigError(ValueError):
    """The environment cannot configure the connector; ``problems`` names each cause."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid configuration:\n  " + "\n  ".join(problems))


# -- parsers: each takes the raw string and returns the typed value or raises ValueError


def _url(raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http(s) URL")
    return raw.rstrip("/")


def _redis_url(raw: str) -> str:
    if urlsplit(raw).scheme not in ("redis", "rediss", "unix"):
        raise ValueError("must be a redis://, rediss:// or unix:// URL")
    return raw


def _fernet_keys(raw: str) -> str:
    # Comma-separated keys allow rotation: the first encrypts, all decrypt.
    for key in raw.split(","):
        Fernet(key.strip().encode())  # raises ValueError on a malformed key
    return raw


def _positive_float(raw: str) -> float:
    value = float(raw)
    if not value > 0:
        raise ValueError("must be a positive number")
    return value


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError("must be a positive integer")
    return value


def _csv(raw: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in raw.split(",") if item.strip())


def _url_list(raw: str) -> tuple[str, ...]:
    return tuple(_url(item) for item in _csv(raw))


def _host_patterns(raw: str) -> tuple[str, ...]:
    patterns = tuple(item.lower() for item in _csv(raw))
    for pattern in patterns:
        bare = pattern[2:] if pattern.startswith("*.") else pattern
        if not bare or "*" in bare or "/" in bare or ":" in bare:
            raise ValueError(f"{pattern!r} is not a host name or *.domain pattern")
    return patterns


def _kv_map(raw: str) -> dict[str, str]:
    result = {}
    for item in _csv(raw):
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ValueError(f"{item!r} is not kind=value")
        result[key.strip()] = value.strip()
    return result


def _str(raw: str) -> str:
    return raw


@dataclass(frozen=True)
class Field:
    env: str
    parse: Callable[[str], Any]
    default: Any = None
    secret: bool = False
    production: bool = False  # must be set explicitly for a production deployment


FIELDS: dict[str, Field] = {
    "redis_url": Field("REDIS_URL", _redis_url, "redis://127.0.0.1:6379/0", production=True),
    "secret_key": Field("CONNECTOR_SECRET_KEY", _fernet_keys, secret=True, production=True),
    "kasa_api_url": Field("KASA_API_URL", _url, "https://external-api.tplinkra.com/v1"),
    "kasa_oauth_url": Field("KASA_OAUTH_URL", _url, "https://api.tplinkra.com"),
    "kasa_api_key": Field("KASA_API_KEY", _str, secret=True),
    "kasa_client_id": Field("KASA_CLIENT_ID", _str),
    "kasa_client_secret": Field("KASA_CLIENT_SECRET", _str, secret=True),
    "smarthq_api_url": Field("SMARTHQ_API_URL", _url, "https://client.mysmarthq.com"),
    "smarthq_oauth_url": Field("SMARTHQ_OAUTH_URL", _url, "https://accounts.brillion.geappliances.com"),
    "smarthq_client_id": Field("SMARTHQ_CLIENT_ID", _str),
    "smarthq_client_secret": Field("SMARTHQ_CLIENT_SECRET", _str, secret=True),
    "st_client_id": Field("ST_CLIENT_ID", _str, production=True),
    "st_client_secret": Field("ST_CLIENT_SECRET", _str, secret=True, production=True),
    "oauth_client_id": Field("OAUTH_CLIENT_ID", _str, production=True),
    "oauth_client_secret": Field("OAUTH_CLIENT_SECRET", _str, secret=True, production=True),
    "callback_allowed_hosts": Field("CALLBACK_ALLOWED_HOSTS", _host_patterns, DEFAULT_CALLBACK_HOSTS),
    "oauth_redirect_uris": Field("OAUTH_REDIRECT_URIS", _url_list, DEFAULT_REDIRECT_URIS),
    "public_url": Field("PUBLIC_URL", _url),
    "kasa_poll_seconds": Field("KASA_POLL_SECONDS", _positive_float, 30.0),
    "kasa_rate_limit": Field("KASA_RATE_LIMIT", _positive_float, 10.0),
    "kasa_rate_burst": Field("KASA_RATE_BURST", _positive_int, 20),
    "smarthq_profile_ids": Field("SMARTHQ_PROFILE_IDS", _kv_map, {}),
    "request_deadline": Field("REQUEST_DEADLINE_SECONDS", _positive_float, 7.0),
    "fanout_workers": Field("FANOUT_WORKERS", _positive_int, 64),
    "max_body_bytes": Field("MAX_BODY_BYTES", _positive_int, 256 * 1024),
    "access_token_ttl": Field("ACCESS_TOKEN_TTL_SECONDS", _positive_int, 24 * 3600),
    "refresh_token_ttl": Field("REFRESH_TOKEN_TTL_SECONDS", _positive_int, 365 * 24 * 3600),
    "callback_retry_budget": Field("CALLBACK_RETRY_BUDGET", _positive_int, 16),
    "callback_backoff_base": Field("CALLBACK_BACKOFF_BASE_SECONDS", _positive_float, 2.0),
    "callback_backoff_cap": Field("CALLBACK_BACKOFF_CAP_SECONDS", _positive_float, 300.0),
    "callback_max_states": Field("CALLBACK_MAX_STATES", _positive_int, 200),
    "callback_read_timeout": Field("CALLBACK_READ_TIMEOUT_SECONDS", _positive_float, 15.0),
    "log_level": Field("LOG_LEVEL", lambda raw: raw.upper(), "INFO"),
}


@dataclass(frozen=True)
class Settings:
    redis_url: str
    secret_key: str | None
    kasa_api_url: str
    kasa_oauth_url: str
    kasa_api_key: str | None
    kasa_client_id: str | None
    kasa_client_secret: str | None
    smarthq_api_url: str
    smarthq_oauth_url: str
    smarthq_client_id: str | None
    smarthq_client_secret: str | None
    st_client_id: str | None
    st_client_secret: str | None
    oauth_client_id: str | None
    oauth_client_secret: str | None
    callback_allowed_hosts: tuple[str, ...]
    oauth_redirect_uris: tuple[str, ...]
    public_url: str | None
    kasa_poll_seconds: float
    kasa_rate_limit: float
    kasa_rate_burst: int
    smarthq_profile_ids: dict
    request_deadline: float
    fanout_workers: int
    max_body_bytes: int
    access_token_ttl: int
    refresh_token_ttl: int
    callback_retry_budget: int
    callback_backoff_base: float
    callback_backoff_cap: float
    callback_max_states: int
    callback_read_timeout: float
    log_level: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> "Settings":
        """Read every field from ``environ`` (default ``os.environ``); keyword overrides win.

        Raises ConfigError naming every malformed variable at once.
        """
        environ = os.environ if environ is None else environ
        values, problems = {}, []
        for name, spec in FIELDS.items():
            if name in overrides:
                values[name] = overrides.pop(name)
                continue
            raw = environ.get(spec.env, "").strip()
            if not raw:
                values[name] = spec.default
                continue
            try:
                values[name] = spec.parse(raw)
            except ValueError as exc:
                problems.append(f"{spec.env}: {exc}")
        if overrides:
            problems.append(f"unknown settings: {', '.join(sorted(overrides))}")
        if values.get("request_deadline") and values["request_deadline"] >= 10:
            problems.append("REQUEST_DEADLINE_SECONDS: must stay under SmartThings' 10 s ceiling")
        burst = values.get("kasa_rate_burst")
        if burst is not None and burst < KASA_METERED_READ_REQUESTS:
            problems.append(f"KASA_RATE_BURST: must be at least {KASA_METERED_READ_REQUESTS}, the "
                            "requests a poll takes at once to read an energy-metering device")
        if problems:
            raise ConfigError(problems)
        return cls(**values)

    def replace(self, **changes: Any) -> "Settings":
        return dataclasses.replace(self, **changes)

    def production_problems(self, environ: Mapping[str, str] | None = None) -> list[str]:
        """What keeps this configuration from serving real SmartThings traffic."""
        environ = os.environ if environ is None else environ
        problems = [
            f"{spec.env}: not set"
            for name, spec in FIELDS.items()
            if spec.production and not environ.get(spec.env, "").strip()
        ]
        kasa = (self.kasa_api_key, self.kasa_client_id, self.kasa_client_secret)
        smarthq = (self.smarthq_client_id, self.smarthq_client_secret)
        if not all(kasa) and not all(smarthq):
            problems.append(
                "no partner configured: set KASA_API_KEY, KASA_CLIENT_ID and "
                "KASA_CLIENT_SECRET, and/or SMARTHQ_CLIENT_ID and SMARTHQ_CLIENT_SECRET"
            )
        return problems

    def describe(self) -> list[tuple[str, str]]:
        """(variable, shown value) pairs with secrets masked, for ``check-config``."""
        rows = []
        for name, spec in FIELDS.items():
            value = getattr(self, name)
            if value in (None, "", (), {}):
                shown = "(not set)"
            elif spec.secret:
                shown = "****** (set)"
            elif isinstance(value, tuple):
                shown = ",".join(value)
            elif isinstance(value, dict):
                shown = ",".join(f"{k}={v}" for k, v in value.items())
            else:
                shown = mask_url_password(str(value))
            rows.append((spec.env, shown))
        return rows

    @property
    def kasa_configured(self) -> bool:
        return all((self.kasa_api_key, self.kasa_client_id, self.kasa_client_secret))

    @property
    def smarthq_configured(self) -> bool:
        return all((self.smarthq_client_id, self.smarthq_client_secret))


def mask_url_password(value: str) -> str:
    """Hide the password of a URL such as redis://:pw@host (Heroku Redis URLs carry one)."""
    parts = urlsplit(value)
    if parts.password:
        return value.replace(f":{parts.password}@", ":******@", 1)
    return value
