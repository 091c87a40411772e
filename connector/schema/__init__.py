"""The ST Schema protocol layer: parse what SmartThings sends, build what we send.

No I/O lives here (no Flask, Redis or HTTP). Modules, one job each:

* ``constants`` — schema/version, the 14 interaction types, bounds;
* ``errors``    — ProtocolError and safe rendering of validation errors;
* ``envelope``  — the ``headers`` block: ``read_headers`` (never raises), validation;
* ``inbound``   — marshmallow schemas of the requests we receive (tolerant);
* ``parse``     — ``load_request`` → ``InboundRequest``; the token-exchange answer;
* ``outbound``  — strict schemas of what we send and ``validate_outbound``;
* ``builders``  — the response, callback and token-request dicts.
"""
from __future__ import annotations

from .builders import (
    access_token_request,
    command_response,
    discovery_callback,
    discovery_response,
    echo_response,
    global_error_response,
    refresh_access_tokens,
    state_callback,
    state_refresh_response,
)
from .constants import INTERACTION_TYPES, RESPONSE_TYPE, SCHEMA, VERSION
from .envelope import Headers, read_headers
from .errors import ProtocolError
from .outbound import validate_outbound
from .parse import InboundRequest, load_request, parse_access_token_response

__all__ = [
    "INTERACTION_TYPES",
    "RESPONSE_TYPE",
    "SCHEMA",
    "VERSION",
    "Headers",
    "InboundRequest",
    "ProtocolError",
    "access_token_request",
    "command_response",
    "discovery_callback",
    "discovery_response",
    "echo_response",
    "global_error_response",
    "load_request",
    "parse_access_token_response",
    "read_headers",
    "refresh_access_tokens",
    "state_callback",
    "state_refresh_response",
    "validate_outbound",
]
