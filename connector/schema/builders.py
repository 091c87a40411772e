"""Build the messages we send, as plain JSON-ready dicts.

Responses echo the request's requestId; messages we originate (callbacks, token
requests) get a fresh UUIDv4. Optional fields are left out rather than sent as null.
"""
from __future__ import annotations

import uuid
from typing import Iterable

from connector.model import Device, DeviceError, DeviceResult, State

from .constants import (
    BEARER,
    ECHO_TYPES,
    MAX_DEVICE_ERROR_DETAIL,
    MAX_GLOBAL_ERROR_DETAIL,
    RESPONSE_TYPE,
)
from .envelope import make_headers, usable_request_id, usable_type_name


def _fresh_id() -> str:
    return str(uuid.uuid4())


def _clip(text: str, limit: int) -> str:
    # Partner messages can be long; SmartThings' bounds are short.
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- pieces ---------------------------------------------------------------------------


def device_entry(device: Device) -> dict:
    """One discovered device (discoveryResponse / discoveryCallback)."""
    maker = device.manufacturer
    info = {"manufacturerName": maker.manufacturer_name, "modelName": maker.model_name}
    if maker.hw_version is not None:
        info["hwVersion"] = maker.hw_version
    if maker.sw_version is not None:
        info["swVersion"] = maker.sw_version
    entry = {
        "externalDeviceId": device.external_id,
        "friendlyName": device.friendly_name,
        "manufacturerInfo": info,
        "deviceHandlerType": device.handler_type,
    }
    context = {}
    if device.room_name is not None:
        context["roomName"] = device.room_name
    if device.groups:
        context["groups"] = list(device.groups)
    if device.categories:
        context["categories"] = list(device.categories)
    if context:
        entry["deviceContext"] = context
    if device.unique_id is not None:
        entry["deviceUniqueId"] = device.unique_id
    if device.cookie is not None:
        entry["deviceCookie"] = device.cookie
    return entry


def state_entry(state: State) -> dict:
    entry = {
        "component": state.component,
        "capability": state.capability,
        "attribute": state.attribute,
        "value": state.value,
    }
    if state.unit is not None:
        entry["unit"] = state.unit
    if state.data is not None:
        entry["data"] = state.data
    if state.timestamp is not None:
        entry["timestamp"] = state.timestamp
    return entry


def error_entry(error: DeviceError) -> dict:
    return {"errorEnum": error.enum, "detail": _clip(error.detail, MAX_DEVICE_ERROR_DETAIL)}


def device_state_entry(result: DeviceResult) -> dict:
    """One deviceState item. ``result.cookie`` is not sent: cookies belong to discovery."""
    entry: dict = {"externalDeviceId": result.external_id}
    if result.states:
        entry["states"] = [state_entry(s) for s in result.states]
    if result.errors:
        entry["deviceError"] = [error_entry(e) for e in result.errors]
    return entry


# -- responses ------------------------------------------------------------------------


def discovery_response(
    request_id: str, devices: Iterable[Device], request_grant_callback_access: bool = False
) -> dict:
    body = {"headers": make_headers("discoveryResponse", request_id)}
    if request_grant_callback_access:
        # Only when our callback tokens are missing or broken (st-schema-protocol §2.1).
        body["requestGrantCallbackAccess"] = True
    body["devices"] = [device_entry(d) for d in devices]
    return body


def state_refresh_response(request_id: str, results: Iterable[DeviceResult]) -> dict:
    return {
        "headers": make_headers("stateRefreshResponse", request_id),
        "deviceState": [device_state_entry(r) for r in results],
    }


def command_response(request_id: str, results: Iterable[DeviceResult]) -> dict:
    return {
        "headers": make_headers("commandResponse", request_id),
        "deviceState": [device_state_entry(r) for r in results],
    }


def echo_response(interaction_type: str, request_id: str) -> dict:
    """The headers-only answer to grantCallbackAccess, integrationDeleted, interactionResult."""
    if interaction_type not in ECHO_TYPES:
        raise ValueError(f"{interaction_type} is not answered by an echo")
    return {"headers": make_headers(interaction_type, request_id)}


def global_error_response(
    request_type: str | None, request_id: str | None, enum: str, detail: str
) -> dict:
    """The answer to a request refused as a whole.

    The interactionType is chosen so that we never invent one (SmartThings removed
    its SDK's made-up ``missingHeader``-style types, C2C-1697):

    * a request type we serve gets its response type (discoveryRequest →
      discoveryResponse, grantCallbackAccess → grantCallbackAccess, ...);
    * any other well-formed type name (say, a ``stateCallback`` posted to the
      webhook) is echoed unchanged, as SmartThings' own SDK does, so the sender can
      correlate the answer;
    * no usable type at all (not JSON, no headers, a non-string) leaves
      ``interactionType`` out: "return BAD-REQUEST with whatever headers you can".

    The requestId is echoed when it is well-formed, otherwise a fresh UUIDv4 stands
    in. Discovery answers carry ``devices: []`` and state/command answers
    ``deviceState: []`` so their shape stays that of a normal response.
    """
    if isinstance(request_type, str) and request_type in RESPONSE_TYPE:
        kind = RESPONSE_TYPE[request_type]
    elif usable_type_name(request_type):
        kind = request_type
    else:
        kind = None
    rid = request_id if usable_request_id(request_id) else _fresh_id()
    body: dict = {
        "headers": make_headers(kind, rid),
        "globalError": {"errorEnum": enum, "detail": _clip(detail, MAX_GLOBAL_ERROR_DETAIL)},
    }
    if kind == "discoveryResponse":
        body["devices"] = []
    elif kind in ("stateRefreshResponse", "commandResponse"):
        body["deviceState"] = []
    return body


# -- messages we originate ------------------------------------------------------------


def _authentication(token: str) -> dict:
    return {"tokenType": BEARER, "token": token}


def state_callback(token: str, results: Iterable[DeviceResult]) -> dict:
    return {
        "headers": make_headers("stateCallback", _fresh_id()),
        "authentication": _authentication(token),
        "deviceState": [device_state_entry(r) for r in results],
    }


def discovery_callback(token: str, devices: Iterable[Device]) -> dict:
    return {
        "headers": make_headers("discoveryCallback", _fresh_id()),
        "authentication": _authentication(token),
        "devices": [device_entry(d) for d in devices],
    }


def access_token_request(code: str, client_id: str, client_secret: str) -> dict:
    return {
        "headers": make_headers("accessTokenRequest", _fresh_id()),
        "callbackAuthentication": {
            "grantType": "authorization_code",
            "code": code,
            "clientId": client_id,
            "clientSecret": client_secret,
        },
    }


def refresh_access_tokens(refresh_token: str, client_id: str, client_secret: str) -> dict:
    return {
        "headers": make_headers("refreshAccessTokens", _fresh_id()),
        "callbackAuthentication": {
            "grantType": "refresh_token",
            "refreshToken": refresh_token,
            "clientId": client_id,
            "clientSecret": client_secret,
        },
    }
