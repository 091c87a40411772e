"""Redis connections and the secret vault: the two resources every process shares."""
from __future__ import annotations

import json

import redis
from cryptography.fernet import Fernet, InvalidToken, MultiFernet


def connect(url: str | None) -> redis.Redis:
    """A Redis client for ``url``; ``None`` or ``fakeredis://`` gives an in-process store.

    The in-process store (fakeredis) exists only for ``connector sandbox`` without a
    REDIS_URL: production and the test suite always use a real Redis server.
    """
    if not url or url.startswith("fakeredis://"):
        import fakeredis

        return fakeredis.FakeRedis(server=fakeredis.FakeServer(), decode_responses=True)
    return redis.Redis.from_url(
        url, decode_responses=True, socket_connect_timeout=2, socket_timeout=5, health_check_interval=30
    )


class VaultError(Exception):
    """A stored secret could not be decrypted (wrong CONNECTOR_SECRET_KEY?)."""


class Vault:
    """Encrypts the secrets we keep at rest (partner and callback tokens) with Fernet.

    ``keys`` is CONNECTOR_SECRET_KEY: one key, or several comma-separated for rotation
    (the first encrypts, every key decrypts).
    """

    def __init__(self, keys: str):
        self._fernet = MultiFernet([Fernet(k.strip().encode()) for k in keys.split(",") if k.strip()])

    @staticmethod
    def generate_key() -> str:
        return Fernet.generate_key().decode()

    def seal(self, data: dict) -> str:
        return self._fernet.encrypt(json.dumps(data, separators=(",", ":")).encode()).decode()

    def open(self, token: str) -> dict:
        try:
            return json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken as exc:
            raise VaultError("stored secret cannot be decrypted with CONNECTOR_SECRET_KEY") from exc
