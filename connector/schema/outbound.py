"""Strict schemas of what we send, and ``validate_outbound`` to check a payload.

They guard our own output in tests and let the CLI check a deployment's answers.
Unknown fields are reported (marshmallow's default ``RAISE``): a misspelt key such as
``errorNum`` is exactly the kind of bug SmartThings ignores silently.
"""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from connector.model import DeviceErrorEnum, GlobalErrorEnum

from . import fields as f
from .constants import (
    BEARER,
    ECHO_TYPES,
    MAX_DEVICE_ERROR_DETAIL,
    MAX_TOKEN,
    REQUEST_ONLY_TYPES,
    SCHEMA,
    VERSION,
)
from .envelope import outbound_headers, usable_type_name
from .errors import describe

# -- pieces ---------------------------------------------------------------------------


class ManufacturerInfoSchema(Schema):
    manufacturerName = f.text(required=True)
    modelName = f.text(required=True)
    hwVersion = f.text()
    swVersion = f.text()


class DeviceContextSchema(Schema):
    roomName = f.text()
    groups = fields.List(f.text())
    categories = fields.List(f.text())


class DiscoveredDeviceSchema(Schema):
    externalDeviceId = f.external_id(required=True)
    friendlyName = f.text(required=True)
    manufacturerInfo = fields.Nested(ManufacturerInfoSchema, required=True)
    deviceHandlerType = f.text(required=True)  # a c2c-* name or a device-profile UUID
    deviceContext = fields.Nested(DeviceContextSchema)
    deviceUniqueId = f.text()
    deviceCookie = fields.Dict()


class StateSchema(Schema):
    component = f.text(required=True)
    capability = f.text(required=True)
    attribute = f.text(required=True)
    value = fields.Raw(required=True)
    unit = f.text()
    data = fields.Dict()
    # Epoch milliseconds; the swagger's ±2147483647000 bound.
    timestamp = f.strict_int(validate=validate.Range(min=-2147483647000, max=2147483647000))


class DeviceErrorSchema(Schema):
    errorEnum = fields.String(required=True, validate=validate.OneOf(DeviceErrorEnum.ALL))
    detail = fields.String(required=True, validate=validate.Length(max=MAX_DEVICE_ERROR_DETAIL))


class DeviceStateSchema(Schema):
    externalDeviceId = f.external_id(required=True)
    states = fields.List(fields.Nested(StateSchema))
    deviceError = fields.List(fields.Nested(DeviceErrorSchema))  # an array, never an object
    # Documented in the official examples; we do not send it (§2.12) but it is valid.
    deviceCookie = fields.Dict()


class GlobalErrorSchema(Schema):
    errorEnum = fields.String(required=True, validate=validate.OneOf(GlobalErrorEnum.ALL))
    detail = fields.String(required=True)


class BearerSchema(Schema):
    tokenType = f.constant(BEARER, required=True)
    token = f.text(MAX_TOKEN, required=True)


# -- messages -------------------------------------------------------------------------


def _message(interaction_type: str, **body_fields) -> Schema:
    fields_ = {"headers": fields.Nested(outbound_headers(interaction_type), required=True)}
    fields_.update(body_fields)
    return Schema.from_dict(fields_, name=interaction_type)()


def _devices(**kw):
    return fields.List(fields.Nested(DiscoveredDeviceSchema), **kw)


def _device_states(**kw):
    return fields.List(fields.Nested(DeviceStateSchema), **kw)


def _callback_auth(grant_type: str, secret_field: str) -> fields.Nested:
    schema = Schema.from_dict(
        {
            "grantType": f.constant(grant_type, required=True),
            secret_field: f.text(MAX_TOKEN, required=True),
            "clientId": f.text(required=True),
            "clientSecret": f.text(required=True),
        },
        name=f"{grant_type}Grant",
    )
    return fields.Nested(schema, required=True)


_TOKEN_GRANT = Schema.from_dict(
    {
        "tokenType": f.constant(BEARER, required=True),
        "accessToken": f.text(MAX_TOKEN, required=True),
        "refreshToken": f.text(MAX_TOKEN, required=True),
        "expiresIn": f.strict_int(required=True, validate=validate.Range(min=0)),
    },
    name="TokenGrant",
)

OUTBOUND_SCHEMAS: dict[str, Schema] = {
    "discoveryResponse": _message(
        "discoveryResponse",
        devices=_devices(required=True),
        requestGrantCallbackAccess=f.StrictBoolean(),
    ),
    "stateRefreshResponse": _message("stateRefreshResponse", deviceState=_device_states(required=True)),
    "commandResponse": _message("commandResponse", deviceState=_device_states(required=True)),
    **{kind: _message(kind) for kind in ECHO_TYPES},
    "stateCallback": _message(
        "stateCallback",
        authentication=fields.Nested(BearerSchema, required=True),
        deviceState=_device_states(required=True),
    ),
    "discoveryCallback": _message(
        "discoveryCallback",
        authentication=fields.Nested(BearerSchema, required=True),
        devices=_devices(required=True),
    ),
    "accessTokenRequest": _message(
        "accessTokenRequest", callbackAuthentication=_callback_auth("authorization_code", "code")
    ),
    "refreshAccessTokens": _message(
        "refreshAccessTokens", callbackAuthentication=_callback_auth("refresh_token", "refreshToken")
    ),
    # We receive this one; the sandbox's token endpoint sends it, so it is checked too.
    "accessTokenResponse": _message(
        "accessTokenResponse", callbackAuthentication=fields.Nested(_TOKEN_GRANT, required=True)
    ),
}


def _error_response_type(value: Any) -> None:
    if not usable_type_name(value):
        raise ValidationError("Not a valid interactionType name.")
    if value in REQUEST_ONLY_TYPES:
        raise ValidationError("A response must carry the response type, not the request type.")


class ErrorHeadersSchema(Schema):
    """Headers of a globalError answer: the type is absent when the request had none."""

    schema = f.constant(SCHEMA, required=True)
    version = f.constant(VERSION, required=True)
    interactionType = fields.String(validate=_error_response_type)
    requestId = f.request_id(required=True)


class ErrorResponseSchema(Schema):
    """Any message carrying ``globalError``: a refused request, or a failed callback."""

    headers = fields.Nested(ErrorHeadersSchema, required=True)
    globalError = fields.Nested(GlobalErrorSchema, required=True)
    authentication = fields.Nested(BearerSchema)  # callbacks carry it
    devices = _devices()
    deviceState = _device_states()


_ERROR_RESPONSE = ErrorResponseSchema()


def validate_outbound(payload: Any) -> list[str]:
    """Problems with a message we emit (or a server under test emits); [] when valid.

    The schema is chosen by ``headers.interactionType``; any message with a
    ``globalError`` is checked as an error response. Never raises.
    """
    if not isinstance(payload, dict):
        return ["body: must be a JSON object"]
    if "globalError" in payload:
        schema = _ERROR_RESPONSE
    else:
        headers = payload.get("headers")
        if not isinstance(headers, dict):
            return ["headers: missing or not an object"]
        kind = headers.get("interactionType")
        if not isinstance(kind, str):  # also keeps unhashable values out of the lookups
            return ["headers.interactionType: missing or not a string"]
        if kind in REQUEST_ONLY_TYPES:
            return [f"headers.interactionType: {kind} is a request type, not one we emit"]
        if kind not in OUTBOUND_SCHEMAS:
            return ["headers.interactionType: not an interaction type we emit"]
        schema = OUTBOUND_SCHEMAS[kind]
    try:
        schema.load(payload)
    except ValidationError as exc:
        return describe(exc.messages)
    return []
