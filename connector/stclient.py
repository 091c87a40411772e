"""Play SmartThings: build well-formed ST Schema requests, send them, check the answers.

Used by ``connector st …`` so that partners can exercise their own deployment, and by
the sandbox and benchmarks. Building is pure; ``send`` is the only I/O.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

import requests

from connector import schema


def envelope(interaction_type: str, token: str | None = None, **body) -> dict:
    payload = {"headers": {"schema": schema.SCHEMA, "version": schema.VERSION,
                           "interactionType": interaction_type, "requestId": str(uuid.uuid4())}}
    if token is not None:
        payload["authentication"] = {"tokenType": "Bearer", "token": token}
    payload.update(body)
    return payload


def discovery(token: str) -> dict:
    return envelope("discoveryRequest", token)


def state_refresh(token: str, device_ids: list[str]) -> dict:
    return envelope("stateRefreshRequest", token,
                    devices=[{"externalDeviceId": d, "deviceCookie": {}} for d in device_ids])


def command(token: str, device_id: str, commands: list[dict]) -> dict:
    return envelope("commandRequest", token, devices=[
        {"externalDeviceId": device_id, "deviceCookie": {}, "commands": commands}])


def grant_callback_access(token: str, client_id: str, code: str, callback_base: str) -> dict:
    base = callback_base.rstrip("/")
    return envelope("grantCallbackAccess", token,
                    callbackAuthentication={"grantType": "authorization_code",
                                            "scope": "callback-access", "code": code,
                                            "clientId": client_id},
                    callbackUrls={"oauthToken": f"{base}/oauth/token",
                                  "stateCallback": f"{base}/device/events"})


def integration_deleted(token: str) -> dict:
    return envelope("integrationDeleted", token)


def interaction_result(token: str | None, originating: str, detail: str) -> dict:
    return envelope("interactionResult", token, originatingInteractionType=originating,
                    globalError={"errorEnum": "BAD-REQUEST", "detail": detail})


def parse_command(spec: str) -> dict:
    """``[component/]capability.command[:arguments]`` → an ST command object.

    ``arguments`` is JSON: a list is taken as the argument list, anything else as the
    single argument (``switchLevel.setLevel:50``, ``colorControl.setColor:{"hue":50}``).
    A capability without a namespace gets ``st.``.
    """
    head, sep, args_text = spec.partition(":")
    component, _, rest = head.rpartition("/")
    capability, dot, name = rest.rpartition(".")
    if not dot or not capability or not name:
        raise ValueError(f"{spec!r}: expected [component/]capability.command[:arguments]")
    if "." not in capability:
        capability = "st." + capability
    arguments = []
    if sep:
        value = json.loads(args_text)
        arguments = value if isinstance(value, list) else [value]
    return {"component": component or "main", "capability": capability, "command": name,
            "arguments": arguments}


@dataclass
class Exchange:
    request: dict
    status: int
    response: object
    problems: list[str]

    @property
    def ok(self) -> bool:
        return self.status == 200 and not self.problems


def send(url: str, payload: dict, timeout: float = 15.0) -> Exchange:
    """POST ``payload`` to a webhook and validate the answer against the protocol."""
    resp = requests.post(url, json=payload, timeout=timeout)
    try:
        body = resp.json()
    except ValueError:
        return Exchange(payload, resp.status_code, resp.text, ["response is not JSON"])
    problems = schema.validate_outbound(body) if isinstance(body, dict) else ["response is not an object"]
    request_id = payload["headers"]["requestId"]
    echoed = body.get("headers", {}).get("requestId") if isinstance(body, dict) else None
    if echoed != request_id:
        problems.append(f"requestId not echoed: sent {request_id}, got {echoed}")
    return Exchange(payload, resp.status_code, body, problems)
