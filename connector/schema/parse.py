"""Turn a request body into a typed ``InboundRequest``, or refuse it with ProtocolError."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from marshmallow import ValidationError

from connector.model import Command, DeviceRequest, GlobalErrorEnum

from .envelope import load_headers
from .errors import ProtocolError, summary
from .inbound import REQUEST_SCHEMAS, AccessTokenResponseSchema


@dataclass(frozen=True)
class InboundRequest:
    """One validated webhook request. Secrets are kept out of ``repr`` (logs)."""

    interaction_type: str
    request_id: str
    token: str | None = field(default=None, repr=False)
    devices: tuple[DeviceRequest, ...] = ()
    # grantCallbackAccess: {grantType, scope, code, clientId} and {oauthToken, stateCallback}
    callback_authentication: dict | None = field(default=None, repr=False)
    callback_urls: dict | None = None
    # interactionResult
    originating_interaction_type: str | None = None
    global_error: dict | None = None  # {"errorEnum": str|None, "detail": str|None}
    device_errors: tuple[dict, ...] = ()  # one {"externalDeviceId", "errorEnum", "detail"} per error
    raw: dict = field(default_factory=dict, repr=False, compare=False)


def load_request(body: Any) -> InboundRequest:
    """Validate a parsed JSON body as one of the six requests SmartThings sends.

    Raises only ProtocolError: BAD-REQUEST for a malformed body or envelope,
    INVALID-INTERACTION-TYPE for a well-formed envelope of a type we do not serve.
    """
    if not isinstance(body, dict):
        raise ProtocolError.bad_request("body: must be a JSON object")
    headers = load_headers(body)
    kind = headers["interactionType"]
    try:
        data = REQUEST_SCHEMAS[kind].load(body)
    except ValidationError as exc:
        raise ProtocolError.bad_request(summary(exc.messages)) from None
    authentication = data.get("authentication") or {}
    return InboundRequest(
        interaction_type=kind,
        request_id=headers["requestId"],
        token=authentication.get("token"),
        devices=tuple(_device(d) for d in data.get("devices", ())),
        callback_authentication=data.get("callbackAuthentication"),
        callback_urls=data.get("callbackUrls"),
        originating_interaction_type=data.get("originatingInteractionType"),
        global_error=data.get("globalError"),
        device_errors=tuple(_reported_errors(data.get("deviceState", ()))),
        raw=body,
    )


def _device(data: dict) -> DeviceRequest:
    commands = tuple(
        Command(c["capability"], c["command"], tuple(c["arguments"]), c["component"])
        for c in data.get("commands", ())
    )
    return DeviceRequest(data["externalDeviceId"], data["deviceCookie"], commands)


def _reported_errors(devices: list[dict]):
    # Flattened so each error can be logged and counted on its own.
    for device in devices:
        for error in device["deviceError"]:
            yield {"externalDeviceId": device["externalDeviceId"], **error}


def parse_access_token_response(body: Any) -> dict:
    """The ``callbackAuthentication`` of SmartThings' accessTokenResponse.

    Returns ``{"tokenType", "accessToken", "refreshToken" (None when absent: keep the
    old one), "expiresIn" (seconds)}``. A body carrying a known ``globalError`` raises
    ProtocolError with that enum; anything else unusable raises BAD-REQUEST. Headers are
    not required: the token is what matters on this leg.
    """
    if not isinstance(body, dict):
        raise ProtocolError.bad_request("body: must be a JSON object")
    error = body.get("globalError")
    if error is not None:
        enum = error.get("errorEnum") if isinstance(error, dict) else None
        if not (isinstance(enum, str) and enum in GlobalErrorEnum.ALL):
            enum = GlobalErrorEnum.BAD_REQUEST
        raise ProtocolError(enum, "token endpoint answered with a globalError")
    try:
        data = AccessTokenResponseSchema().load(body)
    except ValidationError as exc:
        raise ProtocolError.bad_request(summary(exc.messages)) from None
    return data["callbackAuthentication"]
