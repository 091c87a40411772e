"""Recorded payloads (``fixtures/``) and small builders of request bodies for the tests."""
from __future__ import annotations

import copy
import json
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"


def names(group: str) -> list[str]:
    """Fixture names in ``fixtures/<group>``; a name starts with its interactionType."""
    return sorted(p.stem for p in (FIXTURES / group).glob("*.json"))


def load(group: str, name: str) -> dict:
    return json.loads((FIXTURES / group / f"{name}.json").read_text())


def headers(kind: str, request_id: str = "5d1c6a3e-2b7f-4e8a-9c0d-1e2f3a4b5c6d") -> dict:
    return {"schema": "st-schema", "version": "1.0", "interactionType": kind, "requestId": request_id}


AUTH = {"tokenType": "Bearer", "token": "token-we-issued"}

# One minimal valid body per inbound type; tests deep-copy and break them.
_MINIMAL = {
    "discoveryRequest": {"authentication": AUTH},
    "stateRefreshRequest": {"authentication": AUTH, "devices": [{"externalDeviceId": "kasa:1"}]},
    "commandRequest": {
        "authentication": AUTH,
        "devices": [{"externalDeviceId": "kasa:1", "commands": [
            {"component": "main", "capability": "st.switch", "command": "on", "arguments": []}]}],
    },
    "grantCallbackAccess": {
        "authentication": AUTH,
        "callbackAuthentication": {"grantType": "authorization_code", "scope": "callback-access",
                                   "code": "grant-code", "clientId": "st-client-id"},
        "callbackUrls": {"oauthToken": "https://c2c-us.smartthings.com/oauth/token",
                         "stateCallback": "https://c2c-us.smartthings.com/device/events"},
    },
    "integrationDeleted": {"authentication": AUTH},
    "interactionResult": {"originatingInteractionType": "commandResponse"},
}
INBOUND_TYPES = tuple(_MINIMAL)


def request(kind: str, **overrides) -> dict:
    """A valid request body of ``kind``; keyword arguments replace top-level fields."""
    body = {"headers": headers(kind), **copy.deepcopy(_MINIMAL[kind])}
    body.update(overrides)
    return body


def put(*path_and_value):
    """A mutation setting the value at ``path`` (keys and list indices)."""
    *path, value = path_and_value

    def mutate(body):
        for step in path[:-1]:
            body = body[step]
        body[path[-1]] = value
    return mutate


def drop(*path):
    """A mutation deleting the key at ``path``."""
    def mutate(body):
        for step in path[:-1]:
            body = body[step]
        del body[path[-1]]
    return mutate
