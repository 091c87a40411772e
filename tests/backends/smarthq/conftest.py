"""A simulated SmartHQ cloud over real HTTP and an account linked to one of its users."""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass

import pytest

from connector import schema
from connector.accounts import PartnerLink

WASHER_PROFILE = "5d2f0b6c-1a8e-4c3b-9f7d-2e6a4b8c0d11"
FRIDGE_PROFILE = "9a0e7c55-3b1d-4e2f-8c6a-7d5b4a3c2e10"


@pytest.fixture(scope="session")
def smarthq_sim():
    from connector.sandbox.smarthq import SimulatedSmartHQ

    with SimulatedSmartHQ() as sim:
        yield sim


@pytest.fixture
def smarthq(smarthq_sim):
    """The running simulator with no faults, default command timing and no request log."""
    from connector.sandbox.smarthq import cloud as sim_cloud

    cloud = smarthq_sim.cloud

    def reset():
        cloud.clear_faults()
        cloud.set_command_timing(delay=sim_cloud.COMMAND_DELAY, timeout=sim_cloud.COMMAND_TIMEOUT)

    reset()
    cloud.clear_requests()
    yield smarthq_sim
    reset()


@pytest.fixture
def config(config, smarthq):
    cloud = smarthq.cloud
    return {**config, "smarthq_api_url": smarthq.api_url, "smarthq_oauth_url": smarthq.oauth_url,
            "smarthq_client_id": cloud.client_id, "smarthq_client_secret": cloud.client_secret,
            "smarthq_profile_ids": {"washer": WASHER_PROFILE, "refrigerator": FRIDGE_PROFILE},
            "request_deadline": 3.0}


@dataclass
class Linked:
    account_id: str
    token: str  # what SmartThings sends us
    user: object  # the simulated SmartHQ user
    smarthq_access: str
    smarthq_refresh: str
    devices: dict  # appliance kind (the simulator's) -> externalDeviceId

    def ext(self, kind: str) -> str:
        return self.devices[kind]

    def id(self, kind: str) -> str:
        return self.devices[kind].split(":", 1)[1]


_users = iter(range(10**6))


@pytest.fixture
def linked(services, smarthq):
    cloud = smarthq.cloud
    user = cloud.create_user(f"user{next(_users)}-{time.time_ns()}@example.com", "pw")
    access, refresh, expires_in = cloud.issue_tokens(user)
    account_id = services.accounts.create([PartnerLink(
        "smarthq", access, refresh, time.time() + expires_in, user.user_id)])
    tokens = services.accounts.issue_tokens(account_id)
    devices = {dev.kind: f"smarthq:{dev_id}" for dev_id, dev in user.devices.items()}
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


def process_env(config: dict, events=None) -> dict:
    """The environment a Procfile process or an admin command gets, from a test's settings
    (and, given ``events``, a ListenerConfig's timings)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMARTHQ_", "KASA_"))}
    env.update({
        "REDIS_URL": config["redis_url"], "CONNECTOR_SECRET_KEY": config["secret_key"],
        "ST_CLIENT_ID": config["st_client_id"], "ST_CLIENT_SECRET": config["st_client_secret"],
        "CALLBACK_ALLOWED_HOSTS": ",".join(config["callback_allowed_hosts"]),
        "SMARTHQ_API_URL": config["smarthq_api_url"], "SMARTHQ_OAUTH_URL": config["smarthq_oauth_url"],
        "SMARTHQ_CLIENT_ID": config["smarthq_client_id"],
        "SMARTHQ_CLIENT_SECRET": config["smarthq_client_secret"],
        "SMARTHQ_PROFILE_IDS": ",".join(f"{k}={v}" for k, v in config["smarthq_profile_ids"].items()),
        "LOG_LEVEL": "WARNING",
    })
    if events is not None:
        env.update({"SMARTHQ_EVENTS_LEASE_SECONDS": str(events.lease_seconds),
                    "SMARTHQ_EVENTS_TICK_SECONDS": str(events.tick_seconds),
                    "SMARTHQ_EVENTS_SCAN_SECONDS": str(events.scan_seconds)})
    return env
