"""What the simulated SmartThings checks in a callback or token request before accepting it.

Each function returns a list of problems, each naming where it was found
(``deviceState.0.states.1: st.switch.switch: 'dim' is not one of on, off``); an empty
list means the payload is acceptable. Pure: no I/O, no Flask.

The shape of a callback is checked by :func:`connector.schema.validate_outbound`, the
same strict schemas our own output is held to (unknown keys and ``null`` optional
fields are refused, so a misspelt key cannot slip through as it would on SmartThings).
On top of the shape, this module refuses what the schemas cannot see
(st-schema-protocol §2.7–2.8, §4):

* the callback URL takes only ``stateCallback`` and ``discoveryCallback``; the legacy
  ``callback`` name is refused with a hint;
* every state must match its capability (:func:`connector.capabilities.validate_state`),
  so a capability or attribute the connector does not declare is refused too;
* a callback must report something: an empty ``deviceState``/``devices`` list (unless
  it carries a ``globalError``), or a device entry with neither states nor errors;
* ``deviceHandlerType`` must be a ``c2c-*`` handler type or a device-profile UUID.
"""
from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from connector.capabilities import InvalidState, validate_state
from connector.model import MAIN, State
from connector.schema import SCHEMA, VERSION, validate_outbound
from connector.schema.constants import REQUEST_ID_RE

STATE_CALLBACK = "stateCallback"
DISCOVERY_CALLBACK = "discoveryCallback"
CALLBACK_TYPES = (STATE_CALLBACK, DISCOVERY_CALLBACK)
ACCESS_TOKEN_REQUEST = "accessTokenRequest"
REFRESH_ACCESS_TOKENS = "refreshAccessTokens"
TOKEN_REQUEST_TYPES = (ACCESS_TOKEN_REQUEST, REFRESH_ACCESS_TOKENS)

UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")

__all__ = [
    "CALLBACK_TYPES",
    "REQUEST_ID_RE",
    "SCHEMA",
    "TOKEN_REQUEST_TYPES",
    "VERSION",
    "callback_problems",
    "header_problems",
    "state_from",
]


def header_problems(body: Any, allowed: Collection[str]) -> list[str]:
    """Problems with the ``headers`` block; ``allowed`` are the acceptable interactionTypes.

    Checked before the token, so it stands alone rather than waiting for the schemas.
    """
    if not isinstance(body, dict):
        return ["body must be a JSON object"]
    headers = body.get("headers")
    if not isinstance(headers, dict):
        return ["headers: missing or not an object (Invalid or unspecified schema)"]
    problems = []
    if headers.get("schema") != SCHEMA:
        problems.append(f"headers.schema: must be {SCHEMA!r}")
    if headers.get("version") != VERSION:
        problems.append(f"headers.version: must be {VERSION!r}")
    kind = headers.get("interactionType")
    if not isinstance(kind, str) or kind not in allowed:
        hint = "; 'callback' is the legacy name, send stateCallback" if kind == "callback" else ""
        problems.append(f"headers.interactionType: {_show(kind)} is not one of "
                        f"{', '.join(allowed)}{hint}")
    request_id = headers.get("requestId")
    if not isinstance(request_id, str) or not REQUEST_ID_RE.match(request_id):
        problems.append("headers.requestId: must be 1-128 characters of A-Z a-z 0-9 + . - _")
    return problems


def callback_problems(body: dict) -> list[str]:
    """Problems with a callback whose headers already passed :func:`header_problems`."""
    problems = validate_outbound(body)
    if problems:
        return problems
    if body["headers"]["interactionType"] == STATE_CALLBACK:
        return _state_callback_problems(body)
    return _discovery_callback_problems(body)


def state_from(raw: dict) -> State:
    """The :class:`State` a checked wire state describes."""
    return State(capability=raw["capability"], attribute=raw["attribute"], value=raw["value"],
                 component=raw.get("component") or MAIN, unit=raw.get("unit"),
                 data=raw.get("data"), timestamp=raw.get("timestamp"))


def _state_callback_problems(body: dict) -> list[str]:
    entries = body.get("deviceState") or []
    if not entries and "globalError" not in body:
        return ["deviceState: must not be empty"]
    problems = []
    for index, entry in enumerate(entries):
        where = f"deviceState.{index}"
        states = entry.get("states") or []
        if not states and not entry.get("deviceError"):
            problems.append(f"{where}: needs states or deviceError")
        for number, raw in enumerate(states):
            try:
                validate_state(state_from(raw))
            except InvalidState as exc:
                problems.append(f"{where}.states.{number}: {exc}")
    return problems


def _discovery_callback_problems(body: dict) -> list[str]:
    devices = body.get("devices") or []
    if not devices and "globalError" not in body:
        return ["devices: must not be empty"]
    problems = []
    for index, device in enumerate(devices):
        handler = device["deviceHandlerType"]
        if not ((handler.startswith("c2c-") and len(handler) > 4) or UUID_RE.match(handler)):
            problems.append(f"devices.{index}.deviceHandlerType: {_show(handler)} is neither a "
                            "c2c-* handler type nor a device-profile UUID")
    return problems


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
