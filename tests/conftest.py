"""Shared fixtures: a real Redis (REDIS_URL or 127.0.0.1:6379 db 15), the app, an account."""
from __future__ import annotations

import os

import pytest
import redis

from connector import create_app
from connector.store import Vault

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ST_CLIENT_ID = "st-client-id-for-tests"


@pytest.fixture(scope="session")
def redis_url():
    client = redis.Redis.from_url(TEST_REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.exit(f"the tests need a real Redis at {TEST_REDIS_URL} (start redis-server)", 2)
    return TEST_REDIS_URL


@pytest.fixture
def redis_client(redis_url):
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture
def config(redis_url, redis_client):
    """Setting overrides for a test app; tests may change entries before using ``app``."""
    return {
        "redis_url": redis_url,
        "secret_key": Vault.generate_key(),
        "st_client_id": ST_CLIENT_ID,
        "st_client_secret": "st-client-secret-for-tests",
        "callback_allowed_hosts": ("*.smartthings.com", "127.0.0.1"),
    }


@pytest.fixture
def app(config):
    return create_app(config)


@pytest.fixture
def services(app):
    return app.extensions["connector"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def account(services):
    """An account with one installation: (account_id, IssuedTokens)."""
    account_id = services.accounts.create()
    return account_id, services.accounts.issue_tokens(account_id)


@pytest.fixture(autouse=True)
def no_invalid_states_emitted(request, caplog):
    """Fail any test during which the connector had to drop a state it produced.

    In production an invalid state is dropped and logged so SmartThings never sees it;
    in the tests it is a mapping bug and must fail loudly.
    """
    yield
    if request.node.get_closest_marker("allow_invalid_states"):
        return
    dropped = [r for r in caplog.get_records("call") if "dropping invalid state" in str(r.msg)]
    assert not dropped, f"the connector produced invalid states: {[str(r.msg) for r in dropped]}"
