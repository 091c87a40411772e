"""Names and bounds of the ST Schema protocol (st-schema-protocol §1, §6).

Everything here is data; the schemas, the parser and the builders all read it from
this one place so a limit is never spelled twice.
"""
from __future__ import annotations

import re

SCHEMA = "st-schema"
VERSION = "1.0"

# The requests SmartThings sends to the webhook, and the interactionType we answer with.
RESPONSE_TYPE: dict[str, str] = {
    "discoveryRequest": "discoveryResponse",
    "stateRefreshRequest": "stateRefreshResponse",
    "commandRequest": "commandResponse",
    "grantCallbackAccess": "grantCallbackAccess",
    "integrationDeleted": "integrationDeleted",
    "interactionResult": "interactionResult",
}
INBOUND_TYPES = frozenset(RESPONSE_TYPE)

# Answers that only echo the request's headers.
ECHO_TYPES = frozenset({"grantCallbackAccess", "integrationDeleted", "interactionResult"})

# What we originate towards SmartThings' callback URLs, and its token endpoint's answer.
CALLBACK_TYPES = frozenset({"stateCallback", "discoveryCallback"})
TOKEN_TYPES = frozenset({"accessTokenRequest", "refreshAccessTokens", "accessTokenResponse"})

# The 14 of the catalogue in st-schema-protocol §1.
INTERACTION_TYPES = frozenset(
    INBOUND_TYPES | set(RESPONSE_TYPE.values()) | CALLBACK_TYPES | TOKEN_TYPES
)

# Request types whose answer has a different name: a response must never carry them.
REQUEST_ONLY_TYPES = frozenset(k for k, v in RESPONSE_TYPE.items() if k != v)

# An interactionType we are willing to echo back when we do not know it.
TYPE_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9]{0,63}\Z")

MAX_REQUEST_ID = 128
MAX_EXTERNAL_ID = 256
MAX_TOKEN = 4096
MAX_URL = 2048
MAX_DEVICE_ERROR_DETAIL = 256
# No documented bound; the community swagger says 100 and nothing needs more.
MAX_GLOBAL_ERROR_DETAIL = 100

BEARER = "Bearer"

# requestId: the community swagger's bound, plus "_" (harmless, seen in test tools).
# \Z, not $: "$" would let a trailing newline through.
REQUEST_ID_RE = re.compile(rf"[A-Za-z0-9+.\-_]{{1,{MAX_REQUEST_ID}}}\Z")
