"""Account linking fixtures: our app configured as SmartThings' OAuth server, a
simulated Kasa cloud over HTTP, and helpers that walk the link flow with the test client.
"""
from __future__ import annotations

import itertools
import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from connector.sandbox.kasa import KasaCloud, SimulatedKasa

ST_OAUTH_CLIENT_ID = "smartthings-oauth-client"
ST_OAUTH_CLIENT_SECRET = "smartthings-oauth-secret"
ST_REDIRECT = "https://c2c-us.smartthings.com/oauth/callback"
ST_REDIRECT_EU = "https://c2c-eu.smartthings.com/oauth/callback"

_users = itertools.count()


@pytest.fixture(scope="session")
def kasa_sim():
    with SimulatedKasa(KasaCloud(client_name="SmartThings connector")) as sim:
        yield sim


@pytest.fixture
def kasa(kasa_sim):
    kasa_sim.cloud.clear_faults()
    kasa_sim.cloud.clear_requests()
    yield kasa_sim
    kasa_sim.cloud.clear_faults()


def _smarthq_runner():
    try:
        from connector.sandbox.smarthq import SimulatedSmartHQ
    except ImportError:  # the simulated SmartHQ cloud is younger than these tests
        return None
    return SimulatedSmartHQ


@pytest.fixture(scope="session")
def smarthq_sim():
    runner = _smarthq_runner()
    if runner is None:
        yield None
        return
    with runner() as sim:
        yield sim


@pytest.fixture
def smarthq(smarthq_sim):
    """The simulated SmartHQ cloud; tests that need it are skipped while it does not exist."""
    if smarthq_sim is None:
        pytest.skip("connector.sandbox.smarthq.SimulatedSmartHQ does not exist yet")
    return smarthq_sim


@pytest.fixture
def config(config, kasa, smarthq_sim):
    cloud = kasa.cloud
    config = {**config,
              "oauth_client_id": ST_OAUTH_CLIENT_ID, "oauth_client_secret": ST_OAUTH_CLIENT_SECRET,
              "oauth_redirect_uris": (ST_REDIRECT, ST_REDIRECT_EU),
              "kasa_api_url": kasa.url, "kasa_oauth_url": kasa.oauth_url,
              "kasa_api_key": cloud.api_key, "kasa_client_id": cloud.client_id,
              "kasa_client_secret": cloud.client_secret,
              # SmartHQ is always configured, so the page offers it.
              "smarthq_client_id": "smarthq-client", "smarthq_client_secret": "smarthq-secret",
              "smarthq_oauth_url": "http://127.0.0.1:9/smarthq", "request_deadline": 3.0}
    if smarthq_sim is not None:
        config.update(smarthq_api_url=smarthq_sim.api_url, smarthq_oauth_url=smarthq_sim.oauth_url,
                      smarthq_client_id=smarthq_sim.cloud.client_id,
                      smarthq_client_secret=smarthq_sim.cloud.client_secret)
    return config


@pytest.fixture
def kasa_user(kasa):
    """A fresh Kasa account with the default devices: (user, password)."""
    user = kasa.cloud.create_user(f"linker{next(_users)}-{time.time_ns()}@example.com", "pw")
    return user


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


class Linker:
    """Walks SmartThings' link flow with the Flask test client (one browser)."""

    def __init__(self, client, kasa, smarthq=None):
        self.client = client
        self.kasa = kasa
        self.smarthq = smarthq

    def authorize(self, state="st-state-1", **params):
        args = {"client_id": ST_OAUTH_CLIENT_ID, "response_type": "code",
                "redirect_uri": ST_REDIRECT, "state": state, **params}
        return self.client.get("/oauth/authorize", query_string={
            k: v for k, v in args.items() if v is not None})

    def page(self):
        resp = self.client.get("/link")
        assert resp.status_code == 200, resp.get_data(as_text=True)
        return resp.get_data(as_text=True)

    def csrf(self) -> str:
        return csrf_of(self.page())

    def start_kasa(self) -> str:
        """POST Connect Kasa; returns the Kasa authorize URL we were sent to."""
        resp = self.client.post("/link/kasa/start", data={"csrf_token": self.csrf()})
        assert resp.status_code == 303
        return resp.headers["Location"]

    def kasa_sign_in(self, authorize_url: str, user, password="pw", decision="allow") -> str:
        """Submit the simulated Kasa login form; returns the redirect back to us."""
        form = {**query(authorize_url), "username": user.username, "password": password,
                "decision": decision}
        resp = requests.post(self.kasa.oauth_url + "/oauth/authorize", data=form,
                             allow_redirects=False, timeout=5)
        assert resp.status_code == 302, resp.text
        return resp.headers["Location"]

    def back_from_partner(self, redirect_url: str):
        parts = urlsplit(redirect_url)
        return self.client.get(parts.path, query_string=parts.query)

    def connect_kasa(self, user):
        resp = self.back_from_partner(self.kasa_sign_in(self.start_kasa(), user))
        assert resp.status_code == 303 and resp.headers["Location"].endswith("/link")
        return resp

    def connect_smarthq(self, user, password="hq-pw"):
        resp = self.client.post("/link/smarthq/start", data={"csrf_token": self.csrf()})
        assert resp.status_code == 303
        form = {**query(resp.headers["Location"]), "username": user.username,
                "password": password, "authorized": "yes"}
        back = requests.post(self.smarthq.oauth_url + "/oauth2/code", data=form,
                             allow_redirects=False, timeout=5)
        assert back.status_code == 302, back.text
        resp = self.back_from_partner(back.headers["Location"])
        assert resp.status_code == 303 and resp.headers["Location"].endswith("/link")
        return resp

    def allow(self):
        return self.client.post("/link/allow", data={"csrf_token": self.csrf()})

    def link(self, user, state="st-state-1") -> dict:
        """The whole flow up to SmartThings' redirect: returns its query (code, state)."""
        assert self.authorize(state=state).status_code == 303
        self.connect_kasa(user)
        resp = self.allow()
        assert resp.status_code == 302, resp.get_data(as_text=True)
        assert resp.headers["Location"].startswith(ST_REDIRECT + "?")
        return query(resp.headers["Location"])


@pytest.fixture
def smarthq_user(smarthq):
    return smarthq.cloud.create_user(f"hq{next(_users)}-{time.time_ns()}@example.com", "hq-pw")


@pytest.fixture
def linker(app, kasa, smarthq_sim):
    return Linker(app.test_client(), kasa, smarthq_sim)


def exchange(client, code, redirect_uri=ST_REDIRECT, secret=ST_OAUTH_CLIENT_SECRET,
             basic=False):
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if basic:
        return client.post("/oauth/token", data=form, auth=(ST_OAUTH_CLIENT_ID, secret))
    form.update(client_id=ST_OAUTH_CLIENT_ID, client_secret=secret)
    return client.post("/oauth/token", data=form)


def refresh(client, refresh_token, secret=ST_OAUTH_CLIENT_SECRET):
    return client.post("/oauth/token", data={
        "grant_type": "refresh_token", "refresh_token": refresh_token,
        "client_id": ST_OAUTH_CLIENT_ID, "client_secret": secret})
