"""Schemas of what SmartThings sends us: the six webhook requests and the token answer.

Tolerant of fields we do not know (``unknown = EXCLUDE``: SmartThings may add some),
strict about the types of the fields we use. Headers are checked separately
(``envelope.load_headers``), so these schemas describe the rest of the body.
"""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from . import fields as f
from .constants import MAX_TOKEN


class InboundSchema(Schema):
    class Meta:
        unknown = EXCLUDE


class AuthenticationSchema(InboundSchema):
    tokenType = fields.String(load_default=None)  # "Bearer" in practice; not relied upon
    token = f.text(MAX_TOKEN, required=True)


class CommandSchema(InboundSchema):
    component = f.text(load_default="main")
    capability = f.text(required=True)
    command = f.text(required=True)
    # Positional; one SDK fixture omits it for argument-less commands.
    arguments = fields.List(fields.Raw(allow_none=True), load_default=list)


class DeviceSchema(InboundSchema):
    externalDeviceId = f.external_id(required=True)
    deviceCookie = fields.Dict(load_default=dict)


class CommandDeviceSchema(DeviceSchema):
    commands = fields.List(fields.Nested(CommandSchema), required=True)


class AuthenticatedSchema(InboundSchema):
    authentication = fields.Nested(AuthenticationSchema, required=True)


class DiscoveryRequestSchema(AuthenticatedSchema):
    pass


class StateRefreshRequestSchema(AuthenticatedSchema):
    devices = fields.List(fields.Nested(DeviceSchema), required=True)


class CommandRequestSchema(AuthenticatedSchema):
    devices = fields.List(fields.Nested(CommandDeviceSchema), required=True)


class CallbackAuthenticationSchema(InboundSchema):
    grantType = f.text(required=True)
    scope = fields.String(load_default=None)  # "callback-access" or "callback_access": not checked
    code = f.text(MAX_TOKEN, required=True)
    clientId = f.text(required=True)


class CallbackUrlsSchema(InboundSchema):
    oauthToken = f.http_url(required=True)
    stateCallback = f.http_url(required=True)


class GrantCallbackAccessSchema(AuthenticatedSchema):
    callbackAuthentication = fields.Nested(CallbackAuthenticationSchema, required=True)
    callbackUrls = fields.Nested(CallbackUrlsSchema, required=True)


class IntegrationDeletedSchema(AuthenticatedSchema):
    """The token may already be revoked; whether it is valid is the handler's concern."""


class ReportedErrorSchema(InboundSchema):
    """An error SmartThings reports about us: its enums are not limited to ours."""

    errorEnum = f.ErrorCode(load_default=None)
    detail = fields.String(load_default=None)


class ReportedDeviceSchema(InboundSchema):
    externalDeviceId = fields.String(load_default=None)  # observed missing
    deviceError = fields.List(fields.Nested(ReportedErrorSchema), load_default=list)


class InteractionResultSchema(InboundSchema):
    """SmartThings' verdict on something we sent; nearly everything is optional.

    ``authentication`` is absent when SmartThings holds no valid token for the user.
    """

    authentication = fields.Nested(AuthenticationSchema, load_default=None)
    originatingInteractionType = fields.String(load_default=None)
    globalError = fields.Nested(ReportedErrorSchema, load_default=None)
    deviceState = fields.List(fields.Nested(ReportedDeviceSchema), load_default=list)


REQUEST_SCHEMAS: dict[str, Schema] = {
    "discoveryRequest": DiscoveryRequestSchema(),
    "stateRefreshRequest": StateRefreshRequestSchema(),
    "commandRequest": CommandRequestSchema(),
    "grantCallbackAccess": GrantCallbackAccessSchema(),
    "integrationDeleted": IntegrationDeletedSchema(),
    "interactionResult": InteractionResultSchema(),
}


class TokenGrantSchema(InboundSchema):
    tokenType = fields.String(load_default="Bearer")
    accessToken = f.text(MAX_TOKEN, required=True)
    # Documented as static until the next grant: a missing one means "keep yours".
    refreshToken = f.text(MAX_TOKEN, load_default=None)
    expiresIn = f.strict_int(required=True, validate=validate.Range(min=0))  # seconds


class AccessTokenResponseSchema(InboundSchema):
    callbackAuthentication = fields.Nested(TokenGrantSchema, required=True)
