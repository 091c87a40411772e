"""The ``headers`` block every ST Schema message carries (st-schema-protocol §1)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError

from connector.model import GlobalErrorEnum

from . import fields as f
from .constants import INBOUND_TYPES, REQUEST_ID_RE, SCHEMA, TYPE_NAME_RE, VERSION
from .errors import ProtocolError, summary


@dataclass(frozen=True)
class Headers:
    """Whatever usable headers a body had; ``None`` where it had nothing usable."""

    interaction_type: str | None = None
    request_id: str | None = None


def usable_request_id(value: Any) -> bool:
    """True when ``value`` is a requestId we may echo (bounded, plain characters)."""
    return isinstance(value, str) and REQUEST_ID_RE.match(value) is not None


def usable_type_name(value: Any) -> bool:
    """True when ``value`` looks like an interactionType (known or not) we may echo."""
    return isinstance(value, str) and TYPE_NAME_RE.match(value) is not None


def read_headers(body: Any) -> Headers:
    """The echoable headers of any JSON value; never raises.

    Used to answer even a request we refuse, so only values that are safe and
    well-formed to send back are kept.
    """
    headers = body.get("headers") if isinstance(body, dict) else None
    if not isinstance(headers, dict):
        return Headers()
    kind, request_id = headers.get("interactionType"), headers.get("requestId")
    return Headers(
        kind if usable_type_name(kind) else None,
        request_id if usable_request_id(request_id) else None,
    )


def make_headers(interaction_type: str | None, request_id: str) -> dict:
    """The headers block of a message we send; ``interactionType`` left out when None."""
    headers = {"schema": SCHEMA, "version": VERSION}
    if interaction_type is not None:
        headers["interactionType"] = interaction_type
    headers["requestId"] = request_id
    return headers


class InboundHeadersSchema(Schema):
    """Headers of a request SmartThings sends; which types we serve is checked after."""

    class Meta:
        unknown = EXCLUDE

    schema = f.constant(SCHEMA, required=True)
    version = f.constant(VERSION, required=True)
    interactionType = f.text(required=True)
    requestId = f.request_id(required=True)


_INBOUND_HEADERS = InboundHeadersSchema()


def load_headers(body: dict) -> dict:
    """Validated headers of a request body, or ProtocolError.

    BAD-REQUEST for missing or malformed headers; INVALID-INTERACTION-TYPE only when
    the headers are otherwise sound but name a type we do not serve.
    """
    if "headers" not in body:
        raise ProtocolError.bad_request("headers: Missing data for required field.")
    try:
        headers = _INBOUND_HEADERS.load(body["headers"])
    except ValidationError as exc:
        raise ProtocolError.bad_request(summary(exc.messages, "headers")) from None
    if headers["interactionType"] not in INBOUND_TYPES:
        raise ProtocolError(
            GlobalErrorEnum.INVALID_INTERACTION_TYPE,
            "headers.interactionType: not a request this connector serves",
        )
    return headers


def outbound_headers(interaction_type: str) -> type[Schema]:
    """A strict headers schema for a message of exactly ``interaction_type``.

    marshmallow's default ``unknown = RAISE`` applies: extra header keys are reported.
    """
    return Schema.from_dict(
        {
            "schema": f.constant(SCHEMA, required=True),
            "version": f.constant(VERSION, required=True),
            "interactionType": f.constant(interaction_type, required=True),
            "requestId": f.request_id(required=True),
        },
        name=f"{interaction_type}Headers",
    )

