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
from connector.backends.smarthq.events_config import ListenerConfig
from connector.sandbox.kasa import KasaCloud, SimulatedKasa
from connector.sandbox.server import ServerThread
from connector.sandbox.smarthq import SimulatedSmartHQ
from connector.sandbox.smartthings import SimulatedSmartThings
from connector.settings import Settings
from connector.store import Vault

SANDBOX_ST_CLIENT_ID = "sandbox-smartthings-client"
SANDBOX_ST_CLIENT_SECRET = "sandbox-smartthings-secret"
SANDBOX_OAUTH_CLIENT_ID = "sandbox-oauth-client"
SANDBOX_OAUTH_CLIENT_SECRET = "sandbox-oauth-secret"
SANDBOX_POLL_SECONDS = 5.0  # quick enough to watch a change arrive
SANDBOX_SMARTHQ_SPEED = 20.0  # simulated seconds per second: a wash cycle in about two minutes
SANDBOX_EVENTS = ListenerConfig(tick_seconds=1.0, scan_seconds=2.0, lease_seconds=10.0)
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
    smarthq: SimulatedSmartHQ
    smartthings: SimulatedSmartThings
    account_id: str
    access_token: str
    devices: dict = field(default_factory=dict)  # friendly name -> externalDeviceId
    appliances: dict = field(default_factory=dict)  # SmartHQ appliance kind -> externalDeviceId

    @property
    def webhook_url(self) -> str:
        return f"{self.web.url}/st-schema"

    @property
    def link_url(self) -> str:
        """Where SmartThings would send a user's browser to link their accounts."""
        return (f"{self.web.url}/oauth/authorize?client_id={self.settings.oauth_client_id}"
                f"&response_type=code&state=demo&redirect_uri={self.redirect_uri}")

    @property
    def redirect_uri(self) -> str:
        return f"{self.smartthings.url}/oauth/callback"

    def stop(self) -> None:
        for server in (self.web, self.kasa, self.smarthq, self.smartthings):
            server.stop()


def start(port: int = 0, environ=None) -> Sandbox:
    cloud = KasaCloud()
    user = cloud.create_user(DEMO_USER, DEMO_PASSWORD)
    kasa = SimulatedKasa(cloud).start()
    smarthq = SimulatedSmartHQ().start()
    shq = smarthq.cloud
    shq.set_speed(SANDBOX_SMARTHQ_SPEED)
    shq_user = shq.create_user(DEMO_USER, DEMO_PASSWORD)
    smartthings = SimulatedSmartThings(
        os.environ.get("ST_CLIENT_ID") or SANDBOX_ST_CLIENT_ID,
        os.environ.get("ST_CLIENT_SECRET") or SANDBOX_ST_CLIENT_SECRET).start()
    web = ServerThread(None, port=port, name="webhook")
    settings = sandbox_settings(
        environ, kasa_api_url=kasa.url, kasa_oauth_url=kasa.oauth_url, kasa_api_key=cloud.api_key,
        kasa_client_id=cloud.client_id, kasa_client_secret=cloud.client_secret,
        smarthq_api_url=smarthq.api_url, smarthq_oauth_url=smarthq.oauth_url,
        smarthq_client_id=shq.client_id, smarthq_client_secret=shq.client_secret,
        oauth_client_id=SANDBOX_OAUTH_CLIENT_ID, oauth_client_secret=SANDBOX_OAUTH_CLIENT_SECRET,
        oauth_redirect_uris=(f"{smartthings.url}/oauth/callback",),
        public_url=f"http://127.0.0.1:{port}" if port else None,
        kasa_poll_seconds=SANDBOX_POLL_SECONDS)

    app = create_app(settings)
    web.app = app
    web.start()
    services = app.extensions["connector"]
    store = services.accounts
    access, refresh, expires_in = cloud.issue_tokens(user)
    shq_access, shq_refresh, shq_expires = shq.issue_tokens(shq_user)
    account_id = store.create([
        PartnerLink("kasa", access, refresh, time.time() + expires_in, user.account_id),
        PartnerLink("smarthq", shq_access, shq_refresh, time.time() + shq_expires, shq_user.user_id),
    ])
    tokens = store.issue_tokens(account_id)
    # SmartThings grants callback access right after linking; the worker exchanges it.
    app.test_client().post("/st-schema", json=smartthings.grant_callback_access(tokens.access_token))
    # A first Kasa reading now, so any change from here on is one the poller reports.
    from connector.backends.kasa.poller import poll_account

    poll_account(services, account_id)
    devices = {dev.name: f"kasa:{dev_id}" for dev_id, dev in user.devices.items()}
    appliances = {dev.kind: f"smarthq:{dev_id}" for dev_id, dev in shq_user.devices.items()}
    return Sandbox(settings, web, kasa, smarthq, smartthings, account_id, tokens.access_token,
                   devices, appliances)
