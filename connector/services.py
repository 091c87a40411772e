"""The long-lived objects one process shares: settings, Redis, accounts, backends.

Built once per process (web, worker, clock, events, CLI) so that every entry point is
wired the same way; Flask keeps its instance in ``app.extensions``.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import redis

from connector import logs, store
from connector.accounts import Accounts
from connector.backends.base import Backend
from connector.settings import Settings

log = logs.get_logger(__name__)


@dataclass
class Services:
    settings: Settings
    redis: redis.Redis
    accounts: Accounts
    backends: dict[str, Backend] = field(default_factory=dict)
    pool: ThreadPoolExecutor | None = None  # the fan-out: partner calls in flight per process

    @classmethod
    def build(cls, settings: Settings, *, redis_client: redis.Redis | None = None,
              backends: dict[str, Backend] | None = None) -> "Services":
        secret_key = settings.secret_key
        if not secret_key:
            # Only the sandbox and tests get here: production settings require the key.
            log.warning("no CONNECTOR_SECRET_KEY: secrets are sealed with a throw-away key")
            secret_key = store.Vault.generate_key()
        redis_client = redis_client if redis_client is not None else store.connect(settings.redis_url)
        accounts = Accounts(redis_client, store.Vault(secret_key),
                            access_ttl=settings.access_token_ttl, refresh_ttl=settings.refresh_token_ttl)
        pool = ThreadPoolExecutor(settings.fanout_workers, thread_name_prefix="fanout")
        services = cls(settings, redis_client, accounts, pool=pool)
        if backends is None:
            from connector.backends import build_backends

            backends = build_backends(services)
        services.backends = backends
        return services
