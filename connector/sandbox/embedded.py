"""``connector sandbox``: the whole connector on 127.0.0.1 with no account anywhere.

Starts the simulated partner clouds and SmartThings' callback side, points the
connector's settings at them, serves the webhook with an embedded store (fakeredis, or
the Redis at REDIS_URL), provisions one account linked to a simulated Kasa user, and
says how to talk to it.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from connector import create_app
from connector.accounts import PartnerLink
from connector.sandbox.kasa import KasaCloud, SimulatedKasa
from connector.sandbox.server import ServerThread
from connector.sandbox.smartthings import SimulatedSmartThings
from connector.settings import Settings
from connector.store import Vault

SANDBOX_ST_CLIENT_ID = "sandbox-smartthings-client"
SANDBOX_ST_CLIENT_SECRET = "sandbox-smartthings-secret"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")
DEMO_USER, DEMO_PASSWORD = "demo@example.com", "kasa-demo"


def sandbox_settings(environ=None, **overrides) -> Settings:
    """Settings for a local run: environment values where given, safe local defaults else."""
    environ = dict(os.environ if environ is None else environ)
    settings = Settings.from_env(environ)
    return settings.replace(**{
        "redis_url": environ.get("REDIS_URL") or "fakeredis://",
        "secret_key": settings.secret_key or Vault.generate_key(),
        "st_client_id": settings.st_client_id or SANDBOX_ST_CLIENT_ID,
        "st_client_secret": settings.st_client_secret or SANDBOX_ST_CLIENT_SECRET,
        "callback_allowed_hosts": settings.callback_allowed_hosts + LOOPBACK_HOSTS,
        **overrides,
    })


@dataclass
class Sandbox:
    settings: Settings
    web: ServerThread
    kasa: SimulatedKasa
    smartthings: SimulatedSmartThings
    account_id: str
    access_token: str
    devices: dict = field(default_factory=dict)  # friendly name -> externalDeviceId

    @property
    def webhook_url(self) -> str:
        return f"{self.web.url}/st-schema"

    def stop(self) -> None:
        for server in (self.web, self.kasa, self.smartthings):
            server.stop()


def start(port: int = 0, environ=None) -> Sandbox:
    cloud = KasaCloud()
    user = cloud.create_user(DEMO_USER, DEMO_PASSWORD)
    kasa = SimulatedKasa(cloud).start()
    settings = sandbox_settings(
        environ, kasa_api_url=kasa.url, kasa_oauth_url=kasa.oauth_url, kasa_api_key=cloud.api_key,
        kasa_client_id=cloud.client_id, kasa_client_secret=cloud.client_secret)
    smartthings = SimulatedSmartThings(settings.st_client_id, settings.st_client_secret).start()

    app = create_app(settings)
    store = app.extensions["connector"].accounts
    access, refresh, expires_in = cloud.issue_tokens(user)
    account_id = store.create([PartnerLink("kasa", access, refresh, time.time() + expires_in,
                                           user.account_id)])
    tokens = store.issue_tokens(account_id)
    web = ServerThread(app, port=port, name="webhook").start()
    devices = {dev.name: f"kasa:{dev_id}" for dev_id, dev in user.devices.items()}
    return Sandbox(settings, web, kasa, smartthings, account_id, tokens.access_token, devices)
