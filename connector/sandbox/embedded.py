"""``connector sandbox``: the whole connector on 127.0.0.1 with no account anywhere.

Starts the webhook with an embedded store (fakeredis, or the Redis at REDIS_URL),
provisions one account, and says how to talk to it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from connector import create_app
from connector.sandbox.server import ServerThread
from connector.settings import Settings
from connector.store import Vault

SANDBOX_ST_CLIENT_ID = "sandbox-smartthings-client"
SANDBOX_ST_CLIENT_SECRET = "sandbox-smartthings-secret"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")


def sandbox_settings(environ=None) -> Settings:
    """Settings for a local run: environment values where given, safe local defaults else."""
    environ = dict(os.environ if environ is None else environ)
    settings = Settings.from_env(environ)
    return settings.replace(
        redis_url=environ.get("REDIS_URL") or "fakeredis://",
        secret_key=settings.secret_key or Vault.generate_key(),
        st_client_id=settings.st_client_id or SANDBOX_ST_CLIENT_ID,
        st_client_secret=settings.st_client_secret or SANDBOX_ST_CLIENT_SECRET,
        callback_allowed_hosts=settings.callback_allowed_hosts + LOOPBACK_HOSTS,
    )


@dataclass
class Sandbox:
    settings: Settings
    web: ServerThread
    account_id: str
    access_token: str

    @property
    def webhook_url(self) -> str:
        return f"{self.web.url}/st-schema"

    def stop(self) -> None:
        self.web.stop()


def start(port: int = 0, environ=None) -> Sandbox:
    settings = sandbox_settings(environ)
    app = create_app(settings)
    services = app.extensions["connector"]
    account_id = services.accounts.create()
    tokens = services.accounts.issue_tokens(account_id)
    web = ServerThread(app, port=port).start()
    return Sandbox(settings, web, account_id, tokens.access_token)
