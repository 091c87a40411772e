"""Properties over arbitrary JSON: the parsers refuse garbage only with ProtocolError."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connector.model import GlobalErrorEnum
from connector.schema import (
    Headers,
    InboundRequest,
    ProtocolError,
    global_error_response,
    load_request,
    parse_access_token_response,
    read_headers,
    validate_outbound,
)

from .payloads import INBOUND_TYPES, request

# What json.loads can produce: big ints, and floats including the infinities that
# "1e400" parses to.
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats(allow_nan=False)
    | st.text(max_size=40)
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=20), children, max_size=5),
    max_leaves=40,
)

# Garbage is rarely shaped like a request; these also reach the per-type schemas.
FIELDS = ["authentication", "devices", "deviceState", "globalError", "callbackAuthentication",
          "callbackUrls", "originatingInteractionType", "headers"]


@st.composite
def near_requests(draw):
    body = request(draw(st.sampled_from(INBOUND_TYPES)))
    for key in draw(st.lists(st.sampled_from(FIELDS), max_size=3, unique=True)):
        body[key] = draw(json_values)
    if "devices" in body and isinstance(body["devices"], list) and draw(st.booleans()):
        body["devices"].append({"externalDeviceId": draw(json_values), "deviceCookie": draw(json_values),
                                "commands": draw(st.lists(json_values, max_size=3))})
    return body


PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
REFUSALS = {GlobalErrorEnum.BAD_REQUEST, GlobalErrorEnum.INVALID_INTERACTION_TYPE}


def check_load(body):
    try:
        result = load_request(body)
    except ProtocolError as exc:
        assert exc.enum in REFUSALS
        assert isinstance(exc.detail, str) and 0 < len(exc.detail) <= 100
    else:
        assert isinstance(result, InboundRequest)


@PROPERTY
@given(json_values)
def test_read_headers_never_raises_on_any_json(body):
    headers = read_headers(body)
    assert isinstance(headers, Headers)
    assert headers.interaction_type is None or isinstance(headers.interaction_type, str)
    assert headers.request_id is None or isinstance(headers.request_id, str)


@PROPERTY
@given(json_values | st.dictionaries(st.just("headers"), json_values))
def test_load_request_raises_only_protocol_error_on_any_json(body):
    check_load(body)


@PROPERTY
@given(near_requests())
def test_load_request_raises_only_protocol_error_on_request_shaped_json(body):
    check_load(body)


@PROPERTY
@given(json_values | near_requests())
def test_validate_outbound_never_raises_and_lists_strings(payload):
    problems = validate_outbound(payload)
    assert isinstance(problems, list) and all(isinstance(p, str) for p in problems)


@PROPERTY
@given(json_values | st.dictionaries(st.sampled_from(["callbackAuthentication", "globalError"]), json_values))
def test_parse_access_token_response_raises_only_protocol_error(body):
    try:
        result = parse_access_token_response(body)
    except ProtocolError as exc:
        assert exc.enum in GlobalErrorEnum.ALL
    else:
        assert isinstance(result["accessToken"], str)


@PROPERTY
@given(json_values, json_values, st.sampled_from(GlobalErrorEnum.ALL), st.text())
def test_global_error_response_is_always_valid(request_type, request_id, enum, detail):
    assert validate_outbound(global_error_response(request_type, request_id, enum, detail)) == []


@PROPERTY
@given(json_values)
def test_global_error_response_from_read_headers_of_anything_is_valid(body):
    headers = read_headers(body)
    response = global_error_response(headers.interaction_type, headers.request_id,
                                     GlobalErrorEnum.BAD_REQUEST, "refused")
    assert validate_outbound(response) == []
