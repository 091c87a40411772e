"""A simulated Kasa cloud over real HTTP and an account linked to one of its users."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass

import pytest

from connector import create_app, schema
from connector.accounts import PartnerLink
from connector.sandbox.kasa import SimulatedKasa


@pytest.fixture(scope="session")
def kasa_sim():
    with SimulatedKasa() as sim:
        yield sim


@pytest.fixture
def kasa(kasa_sim):
    """The running simulator with no faults and an empty request log."""
    kasa_sim.cloud.clear_faults()
    kasa_sim.cloud.clear_requests()
    yield kasa_sim
    kasa_sim.cloud.clear_faults()


@pytest.fixture
def config(config, kasa):
    cloud = kasa.cloud
    return {**config, "kasa_api_url": kasa.url, "kasa_oauth_url": kasa.oauth_url,
            "kasa_api_key": cloud.api_key, "kasa_client_id": cloud.client_id,
            "kasa_client_secret": cloud.client_secret, "request_deadline": 3.0}


@dataclass
class Linked:
    account_id: str
    token: str  # what SmartThings sends us
    user: object  # the simulated Kasa user
    kasa_access: str
    kasa_refresh: str
    devices: dict  # model -> externalDeviceId

    def ext(self, model: str) -> str:
        return self.devices[model]


_users = iter(range(10**6))


@pytest.fixture
def linked(services, kasa):
    cloud = kasa.cloud
    user = cloud.create_user(f"user{next(_users)}-{time.time_ns()}@example.com", "pw")
    access, refresh, expires_in = cloud.issue_tokens(user)
    account_id = services.accounts.create([PartnerLink(
        "kasa", access, refresh, time.time() + expires_in, user.account_id)])
    tokens = services.accounts.issue_tokens(account_id)
    devices = {dev.spec.model.split("(")[0]: f"kasa:{dev_id}" for dev_id, dev in user.devices.items()}
    return Linked(account_id, tokens.access_token, user, access, refresh, devices)


@pytest.fixture
def webhook(app):
    """POST an ST Schema payload; returns the body after checking it against the protocol."""
    client = app.test_client()

    def post(payload):
        resp = client.post("/st-schema", data=json.dumps(payload), content_type="application/json")
        assert resp.status_code == 200
        body = resp.get_json()
        assert schema.validate_outbound(body) == [], body
        return body

    return post
