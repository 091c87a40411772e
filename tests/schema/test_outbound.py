"""validate_outbound: documented payloads pass, each kind of mistake is named."""
from __future__ import annotations

import copy

import pytest

from connector.schema import validate_outbound

from . import payloads
from .payloads import drop, put


@pytest.mark.parametrize("name", payloads.names("outbound"))
def test_documented_outbound_payload_is_valid(name):
    assert validate_outbound(payloads.load("outbound", name)) == []


def test_documented_access_token_response_is_valid():
    assert validate_outbound(payloads.load("token", "accessTokenResponse")) == []


@pytest.mark.parametrize("payload", [None, [], "x", 3, [{"headers": {}}]])
def test_payload_that_is_not_an_object_is_a_problem(payload):
    assert validate_outbound(payload) == ["body: must be a JSON object"]


def test_missing_headers_is_a_problem():
    assert validate_outbound({"devices": []}) == ["headers: missing or not an object"]


@pytest.mark.parametrize("kind", ["discoveryRequest", "stateRefreshRequest", "commandRequest"])
def test_a_request_type_is_not_something_we_emit(kind):
    body = {"headers": payloads.headers(kind)}
    assert validate_outbound(body) == [f"headers.interactionType: {kind} is a request type, not one we emit"]


@pytest.mark.parametrize("kind", ["callback", "somethingElse", None, 3, ["stateCallback"]])
def test_unknown_or_missing_interaction_type_is_a_problem(kind):
    problems = validate_outbound({"headers": {**payloads.headers("x"), "interactionType": kind}})
    assert len(problems) == 1 and problems[0].startswith("headers.interactionType:")


def broken(name: str, mutate) -> dict:
    body = copy.deepcopy(payloads.load("outbound", name))
    mutate(body)
    return body


DEVICE = ("devices", 0)
STATE = ("deviceState", 0, "states", 0)




@pytest.mark.parametrize("name, mutate, problem", [
    # headers
    ("stateRefreshResponse", put("headers", "schema", "st"), "headers.schema: Must be equal to st-schema."),
    ("stateRefreshResponse", put("headers", "version", 1), "headers.version: Not a valid string."),
    ("stateRefreshResponse", drop("headers", "requestId"), "headers.requestId: Missing data for required field."),
    ("stateRefreshResponse", put("headers", "requestId", "a b"),
     "headers.requestId: Must contain only letters, digits and + . - _"),
    ("stateRefreshResponse", put("headers", "extra", 1), "headers.extra: Unknown field."),
    # deviceState
    ("stateRefreshResponse", drop("deviceState"), "deviceState: Missing data for required field."),
    ("stateRefreshResponse", put("deviceState", 1, "deviceError", {"errorEnum": "DEVICE-DELETED", "detail": "x"}),
     "deviceState.1.deviceError: Not a valid list."),
    ("stateRefreshResponse", put("deviceState", 1, "deviceError", 0, "errorEnum", "DEVICE-ERROR"),
     "deviceState.1.deviceError.0.errorEnum: Must be one of: DEVICE-DELETED, DEVICE-OFFLINE, "
     "DEVICE-UNAVAILABLE, CAPABILITY-NOT-SUPPORTED, RESOURCE-CONSTRAINT-VIOLATION."),
    ("stateRefreshResponse", put("deviceState", 1, "deviceError", 0, "errorNum", "DEVICE-DELETED"),
     "deviceState.1.deviceError.0.errorNum: Unknown field."),
    ("stateRefreshResponse", put("deviceState", 1, "deviceError", 0, "detail", "d" * 257),
     "deviceState.1.deviceError.0.detail: Longer than maximum length 256."),
    ("stateRefreshResponse", drop("deviceState", 1, "deviceError", 0, "detail"),
     "deviceState.1.deviceError.0.detail: Missing data for required field."),
    ("stateRefreshResponse", drop("deviceState", 0, "externalDeviceId"),
     "deviceState.0.externalDeviceId: Missing data for required field."),
    ("stateRefreshResponse", put("deviceState", 0, "cookie", {}), "deviceState.0.cookie: Unknown field."),
    # states
    ("stateRefreshResponse", drop(*STATE, "value"), "deviceState.0.states.0.value: Missing data for required field."),
    ("stateRefreshResponse", put(*STATE, "value", None), "deviceState.0.states.0.value: Field may not be null."),
    ("stateRefreshResponse", drop(*STATE, "component"),
     "deviceState.0.states.0.component: Missing data for required field."),
    ("stateRefreshResponse", put(*STATE, "attribute", ""),
     "deviceState.0.states.0.attribute: Shorter than minimum length 1."),
    ("stateCallback", put(*STATE, "timestamp", 1568248946010.5), "deviceState.0.states.0.timestamp: Not a valid integer."),
    ("stateCallback", put(*STATE, "timestamp", "1568248946010"),
     "deviceState.0.states.0.timestamp: Not a valid integer."),
    ("stateCallback", put(*STATE, "timestamp", True), "deviceState.0.states.0.timestamp: Not a valid integer."),
    ("stateCallback", put(*STATE, "data", []), "deviceState.0.states.0.data: Not a valid mapping type."),
    # callbacks
    ("stateCallback", drop("authentication"), "authentication: Missing data for required field."),
    ("stateCallback", put("authentication", "tokenType", "bearer"), "authentication.tokenType: Must be equal to Bearer."),
    ("discoveryCallback", drop("authentication", "token"), "authentication.token: Missing data for required field."),
    # discovery
    ("discoveryResponse", drop(*DEVICE, "manufacturerInfo", "manufacturerName"),
     "devices.0.manufacturerInfo.manufacturerName: Missing data for required field."),
    ("discoveryResponse", drop(*DEVICE, "manufacturerInfo", "modelName"),
     "devices.0.manufacturerInfo.modelName: Missing data for required field."),
    ("discoveryResponse", drop(*DEVICE, "friendlyName"), "devices.0.friendlyName: Missing data for required field."),
    ("discoveryResponse", drop(*DEVICE, "deviceHandlerType"),
     "devices.0.deviceHandlerType: Missing data for required field."),
    ("discoveryResponse", put(*DEVICE, "deviceContext", "categories", "light"),
     "devices.0.deviceContext.categories: Not a valid list."),
    ("discoveryResponse", put(*DEVICE, "deviceContext", "deviceCategory", "light"),
     "devices.0.deviceContext.deviceCategory: Unknown field."),
    ("discoveryResponse", put("requestGrantCallbackAccess", "true"),
     "requestGrantCallbackAccess: Not a valid boolean."),
    ("discoveryResponse", put(*DEVICE, "externalDeviceId", "k" * 257),
     "devices.0.externalDeviceId: Length must be between 1 and 256."),
    ("discoveryCallback", put(*DEVICE, "deviceCookie", "c"), "devices.0.deviceCookie: Not a valid mapping type."),
    # token exchange
    ("accessTokenRequest", put("callbackAuthentication", "grantType", "refresh_token"),
     "callbackAuthentication.grantType: Must be equal to authorization_code."),
    ("accessTokenRequest", drop("callbackAuthentication", "clientSecret"),
     "callbackAuthentication.clientSecret: Missing data for required field."),
    ("refreshAccessTokens", drop("callbackAuthentication", "refreshToken"),
     "callbackAuthentication.refreshToken: Missing data for required field."),
    # echoes carry nothing else
    ("grantCallbackAccess", put("devices", []), "devices: Unknown field."),
    # global errors
    ("stateRefreshResponse_globalError", put("globalError", "errorEnum", "UNKNOWN-ERROR"),
     "globalError.errorEnum: Must be one of: TOKEN-EXPIRED, INTEGRATION-DELETED, BAD-REQUEST, INVALID-TOKEN, "
     "INVALID-INTERACTION-TYPE, UNSUPPORTED-GRANT-TYPE, INVALID-CODE, INVALID-CLIENT-SECRET, INVALID-CLIENT."),
    ("stateRefreshResponse_globalError", drop("globalError", "detail"),
     "globalError.detail: Missing data for required field."),
    ("stateRefreshResponse_globalError", put("headers", "interactionType", "stateRefreshRequest"),
     "headers.interactionType: A response must carry the response type, not the request type."),
    ("stateRefreshResponse_globalError", put("headers", "interactionType", "two words"),
     "headers.interactionType: Not a valid interactionType name."),
    ("stateRefreshResponse_globalError", put("deviceState", [{"externalDeviceId": 3}]),
     "deviceState.0.externalDeviceId: Not a valid string."),
    ("stateRefreshResponse_globalError", put("authentication", {"token": "t"}),
     "authentication.tokenType: Missing data for required field."),
])
def test_each_mistake_is_reported_with_its_path(name, mutate, problem):
    assert validate_outbound(broken(name, mutate)) == [problem]


def test_response_with_the_wrong_body_for_its_type_is_reported():
    body = broken("discoveryResponse", lambda b: b.update(deviceState=b.pop("devices")))
    assert validate_outbound(body) == ["devices: Missing data for required field.",
                                       "deviceState: Unknown field."]


def test_error_response_without_interaction_type_is_valid():
    body = {"headers": {"schema": "st-schema", "version": "1.0", "requestId": "r-1"},
            "globalError": {"errorEnum": "BAD-REQUEST", "detail": "body: must be a JSON object"}}
    assert validate_outbound(body) == []


def test_token_response_without_refresh_token_is_reported():
    body = payloads.load("token", "accessTokenResponse")
    del body["callbackAuthentication"]["refreshToken"]
    assert validate_outbound(body) == ["callbackAuthentication.refreshToken: Missing data for required field."]
