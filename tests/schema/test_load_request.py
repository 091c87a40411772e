"""load_request: recorded requests load into model objects; every refusal is a ProtocolError."""
from __future__ import annotations

import dataclasses

import pytest

from connector.model import Command, DeviceRequest, GlobalErrorEnum
from connector.schema import InboundRequest, ProtocolError, load_request

from . import payloads
from .payloads import INBOUND_TYPES, drop, headers, put, request

BAD = GlobalErrorEnum.BAD_REQUEST
SECRET = "s3cr3t-T0KEN-value"


def refused(body) -> ProtocolError:
    with pytest.raises(ProtocolError) as info:
        load_request(body)
    return info.value


# -- recorded payloads ----------------------------------------------------------------


@pytest.mark.parametrize("name", payloads.names("inbound"))
def test_recorded_request_loads_with_its_type_and_request_id(name):
    body = payloads.load("inbound", name)
    req = load_request(body)
    assert isinstance(req, InboundRequest)
    assert req.interaction_type == body["headers"]["interactionType"] == name.split("_")[0]
    assert req.request_id == body["headers"]["requestId"]
    assert req.raw is body


def test_discovery_request_carries_the_token():
    req = load_request(payloads.load("inbound", "discoveryRequest"))
    assert req.token == "ACCT-0t6DSB"
    assert req.devices == ()


def test_state_refresh_request_lists_devices_with_cookies():
    req = load_request(payloads.load("inbound", "stateRefreshRequest_cookies"))
    assert req.devices == (
        DeviceRequest("partner-device-id-1", {}),
        DeviceRequest("partner-device-id-2", {"key1": "value1", "key2": "value2"}),
    )


def test_command_request_becomes_model_commands_with_tuple_arguments():
    req = load_request(payloads.load("inbound", "commandRequest"))
    (device,) = req.devices
    assert device.external_id == "kasa:80061D3C4E8F1A2B"
    assert device.commands == (
        Command("st.switchLevel", "setLevel", (56,), "main"),
        Command("st.colorControl", "setColor", ({"hue": 33.3, "saturation": 80},), "main"),
        Command("st.switch", "on", (), "main"),
    )


def test_command_defaults_arguments_component_and_cookie():
    req = load_request(payloads.load("inbound", "commandRequest_no_arguments"))
    first, second = req.devices
    assert first.commands == (Command("st.switch", "off", (), "main"),)
    assert first.cookie == {"lastcookie": "cookie value"}
    assert second.cookie == {}
    assert second.commands[0].component == "main"
    assert second.commands[0].arguments == ()


def test_grant_callback_access_exposes_authentication_and_urls():
    req = load_request(payloads.load("inbound", "grantCallbackAccess"))
    assert req.token == "ACCT-QNyad7"
    assert req.callback_authentication == {
        "grantType": "authorization_code", "scope": "callback-access",
        "code": "eyJhbGciOiJIUzM4NCJ9.sample-code", "clientId": "9c43cdc9-a582-45b9-8fd6-71321bb5c0cf"}
    assert req.callback_urls == {"oauthToken": "https://c2c-us.smartthings.com/oauth/token",
                                 "stateCallback": "https://c2c-us.smartthings.com/device/events"}


@pytest.mark.parametrize("scope", ["callback-access", "callback_access", "anything"])
def test_grant_callback_access_does_not_check_the_scope_value(scope):
    body = request("grantCallbackAccess")
    body["callbackAuthentication"]["scope"] = scope
    assert load_request(body).callback_authentication["scope"] == scope


def test_grant_callback_access_accepts_http_and_local_urls():
    body = request("grantCallbackAccess", callbackUrls={
        "oauthToken": "http://127.0.0.1:8765/oauth/token", "stateCallback": "http://localhost/cb"})
    assert load_request(body).callback_urls["oauthToken"] == "http://127.0.0.1:8765/oauth/token"


def test_integration_deleted_carries_whatever_token_was_sent():
    assert load_request(payloads.load("inbound", "integrationDeleted")).token == "i92qgnljKqLiiorGOq04rEPW"


def test_interaction_result_flattens_device_errors():
    req = load_request(payloads.load("inbound", "interactionResult"))
    assert req.token == "1OCdvY6XCHVKPuQXEMQYjHwd"
    assert req.originating_interaction_type == "discoveryRequest"
    assert req.global_error is None
    assert req.device_errors == ({
        "externalDeviceId": "kasa:80061D3C4E8F1A2B", "errorEnum": "BAD-RESPONSE",
        "detail": "Incorrect interaction type, Expected - discoveryResponse,discoveryCallback"},)


def test_interaction_result_without_authentication_and_numeric_enum_is_accepted():
    req = load_request(payloads.load("inbound", "interactionResult_numeric_enum"))
    assert req.token is None
    assert req.global_error == {"errorEnum": "BAD-RESPONSE", "detail": "response rejected"}
    assert req.device_errors == ({"externalDeviceId": None, "errorEnum": "400",
                                  "detail": "manufacturerInfo, manufacturerName/modelName missing"},)


def test_interaction_result_with_nothing_but_headers_is_accepted():
    req = load_request({"headers": headers("interactionResult"), "authentication": None})
    assert (req.token, req.originating_interaction_type, req.global_error, req.device_errors) == (
        None, None, None, ())


def test_unknown_fields_are_tolerated_everywhere_and_dropped():
    body = request("grantCallbackAccess", extra={"x": 1})
    body["headers"]["traceId"] = "t"
    body["authentication"] = {**body["authentication"], "expires": 3}
    body["callbackAuthentication"]["state"] = "s"
    body["callbackUrls"]["other"] = "https://x.smartthings.com"
    req = load_request(body)
    assert "state" not in req.callback_authentication
    assert "other" not in req.callback_urls
    cmd = request("commandRequest")
    cmd["devices"][0]["manufacturer"] = "m"
    cmd["devices"][0]["commands"][0]["priority"] = 1
    assert load_request(cmd).devices[0].commands == (Command("st.switch", "on", (), "main"),)


def test_request_repr_does_not_show_token_or_grant_code():
    req = load_request(request("grantCallbackAccess", authentication={"token": SECRET}))
    assert SECRET not in repr(req)
    assert "grant-code" not in repr(req)


def test_inbound_request_is_frozen():
    req = load_request(request("discoveryRequest"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        req.token = "other"


# -- envelope errors ------------------------------------------------------------------


@pytest.mark.parametrize("body", [None, True, 42, 4.2, "discoveryRequest", [], [request("discoveryRequest")]])
def test_body_that_is_not_an_object_is_bad_request(body):
    assert refused(body).enum == BAD


@pytest.mark.parametrize("value", [None, "h", 1, [], [headers("discoveryRequest")]])
def test_headers_that_are_not_an_object_are_bad_request(value):
    assert refused(request("discoveryRequest", headers=value)).enum == BAD


def test_missing_headers_is_bad_request():
    body = request("discoveryRequest")
    del body["headers"]
    error = refused(body)
    assert (error.enum, error.detail) == (BAD, "headers: Missing data for required field.")


@pytest.mark.parametrize("field", ["schema", "version", "interactionType", "requestId"])
def test_each_missing_header_is_bad_request_naming_it(field):
    body = request("discoveryRequest")
    del body["headers"][field]
    error = refused(body)
    assert error.enum == BAD
    assert error.detail.startswith(f"headers.{field}:")


@pytest.mark.parametrize("field, value", [
    ("schema", "st-schema-2"), ("schema", None), ("version", "2.0"), ("version", 1.0), ("version", 1),
])
def test_wrong_schema_or_version_is_bad_request(field, value):
    body = request("discoveryRequest")
    body["headers"][field] = value
    error = refused(body)
    assert error.enum == BAD
    assert error.detail.startswith(f"headers.{field}:")


@pytest.mark.parametrize("request_id", [None, 123, 1.5, True, ["abc"], {"a": "b"}, "", "a" * 129,
                                        "has space", "abc\n", "semi;colon"])
def test_malformed_request_id_is_bad_request(request_id):
    body = request("commandRequest")
    body["headers"]["requestId"] = request_id
    error = refused(body)
    assert error.enum == BAD
    assert error.detail.startswith("headers.requestId:")


@pytest.mark.parametrize("request_id", ["abc-123-456", "8C58E0CD-386F-4BBB-80B9-B28A7FF8040F",
                                        "a.b+c_d", "x" * 128])
def test_well_formed_request_ids_are_accepted(request_id):
    body = request("discoveryRequest")
    body["headers"]["requestId"] = request_id
    assert load_request(body).request_id == request_id


@pytest.mark.parametrize("kind", [None, 5, ["discoveryRequest"], ""])
def test_interaction_type_that_is_not_a_string_is_bad_request(kind):
    body = request("discoveryRequest")
    body["headers"]["interactionType"] = kind
    assert refused(body).enum == BAD


@pytest.mark.parametrize("kind", ["somethingElse", "discoveryResponse", "stateCallback",
                                  "accessTokenRequest", "accessTokenResponse", "callback",
                                  "DISCOVERYREQUEST"])
def test_unknown_interaction_type_is_invalid_interaction_type(kind):
    body = request("discoveryRequest")
    body["headers"]["interactionType"] = kind
    assert refused(body).enum == GlobalErrorEnum.INVALID_INTERACTION_TYPE


def test_malformed_headers_win_over_an_unknown_type():
    body = request("discoveryRequest")
    body["headers"].update(interactionType="somethingElse", version="9.9")
    assert refused(body).enum == BAD


# -- body errors per type -------------------------------------------------------------


@pytest.mark.parametrize("kind", [k for k in INBOUND_TYPES if k != "interactionResult"])
def test_missing_authentication_is_bad_request(kind):
    body = request(kind)
    del body["authentication"]
    error = refused(body)
    assert (error.enum, error.detail) == (BAD, "authentication: Missing data for required field.")


@pytest.mark.parametrize("kind", INBOUND_TYPES)
@pytest.mark.parametrize("authentication", ["Bearer x", [], {}, {"token": ""}, {"token": 12},
                                            {"token": None}, {"tokenType": "Bearer"}])
def test_malformed_authentication_is_bad_request(kind, authentication):
    error = refused(request(kind, authentication=authentication))
    assert error.enum == BAD
    assert error.detail.startswith("authentication")




DEV, CMD = ("devices", 0), ("devices", 0, "commands", 0)
AUTHN, URLS = ("callbackAuthentication",), ("callbackUrls",)


@pytest.mark.parametrize("kind, mutate, where", [
    ("stateRefreshRequest", drop("devices"), "devices:"),
    ("stateRefreshRequest", put("devices", "x"), "devices:"),
    ("stateRefreshRequest", put("devices", None), "devices:"),
    ("stateRefreshRequest", put(*DEV, "kasa:1"), "devices.0:"),
    ("stateRefreshRequest", drop(*DEV, "externalDeviceId"), "devices.0.externalDeviceId:"),
    ("stateRefreshRequest", put(*DEV, "externalDeviceId", None), "devices.0.externalDeviceId:"),
    ("stateRefreshRequest", put(*DEV, "externalDeviceId", ""), "devices.0.externalDeviceId:"),
    ("stateRefreshRequest", put(*DEV, "externalDeviceId", 7), "devices.0.externalDeviceId:"),
    ("stateRefreshRequest", put(*DEV, "externalDeviceId", "k" * 257), "devices.0.externalDeviceId:"),
    ("stateRefreshRequest", put(*DEV, "deviceCookie", "c"), "devices.0.deviceCookie:"),
    ("stateRefreshRequest", put(*DEV, "deviceCookie", []), "devices.0.deviceCookie:"),
    ("commandRequest", drop("devices"), "devices:"),
    ("commandRequest", drop(*DEV, "commands"), "devices.0.commands:"),
    ("commandRequest", put(*DEV, "commands", {}), "devices.0.commands:"),
    ("commandRequest", put(*DEV, "commands", ["on"]), "devices.0.commands.0:"),
    ("commandRequest", drop(*CMD, "capability"), "devices.0.commands.0.capability:"),
    ("commandRequest", drop(*CMD, "command"), "devices.0.commands.0.command:"),
    ("commandRequest", put(*CMD, "capability", 1), "devices.0.commands.0.capability:"),
    ("commandRequest", put(*CMD, "command", ""), "devices.0.commands.0.command:"),
    ("commandRequest", put(*CMD, "component", None), "devices.0.commands.0.component:"),
    ("commandRequest", put(*CMD, "arguments", 56), "devices.0.commands.0.arguments:"),
    ("commandRequest", put(*CMD, "arguments", {"level": 5}), "devices.0.commands.0.arguments:"),
    ("grantCallbackAccess", drop(*AUTHN), "callbackAuthentication:"),
    ("grantCallbackAccess", put(*AUTHN, "code"), "callbackAuthentication:"),
    ("grantCallbackAccess", drop(*URLS), "callbackUrls:"),
    ("grantCallbackAccess", drop(*AUTHN, "code"), "callbackAuthentication.code:"),
    ("grantCallbackAccess", put(*AUTHN, "code", ""), "callbackAuthentication.code:"),
    ("grantCallbackAccess", drop(*AUTHN, "clientId"), "callbackAuthentication.clientId:"),
    ("grantCallbackAccess", drop(*AUTHN, "grantType"), "callbackAuthentication.grantType:"),
    ("grantCallbackAccess", put(*AUTHN, "scope", 3), "callbackAuthentication.scope:"),
    ("grantCallbackAccess", drop(*URLS, "oauthToken"), "callbackUrls.oauthToken:"),
    ("grantCallbackAccess", drop(*URLS, "stateCallback"), "callbackUrls.stateCallback:"),
    ("grantCallbackAccess", put(*URLS, "oauthToken", "ftp://c2c-us.smartthings.com/t"),
     "callbackUrls.oauthToken:"),
    ("grantCallbackAccess", put(*URLS, "oauthToken", "/oauth/token"), "callbackUrls.oauthToken:"),
    ("grantCallbackAccess", put(*URLS, "stateCallback", "c2c-us.smartthings.com/cb"),
     "callbackUrls.stateCallback:"),
    ("grantCallbackAccess", put(*URLS, "stateCallback", ["https://a.smartthings.com"]),
     "callbackUrls.stateCallback:"),
    ("grantCallbackAccess", put(*URLS, "stateCallback", "https://a.smartthings.com/" + "p" * 2100),
     "callbackUrls.stateCallback:"),
    ("interactionResult", put("originatingInteractionType", 3), "originatingInteractionType:"),
    ("interactionResult", put("globalError", "TOKEN-EXPIRED"), "globalError:"),
    ("interactionResult", put("globalError", {"errorEnum": True}), "globalError.errorEnum:"),
    ("interactionResult", put("globalError", {"errorEnum": "X", "detail": 5}), "globalError.detail:"),
    ("interactionResult", put("deviceState", {"externalDeviceId": "a"}), "deviceState:"),
    ("interactionResult", put("deviceState", [{"deviceError": {"errorEnum": "X"}}]),
     "deviceState.0.deviceError:"),
    ("interactionResult", put("deviceState", [{"deviceError": [{"errorEnum": {"x": 1}}]}]),
     "deviceState.0.deviceError.0.errorEnum:"),
    ("interactionResult", put("deviceState", [{"externalDeviceId": 5}]), "deviceState.0.externalDeviceId:"),
])
def test_invalid_body_field_is_bad_request_naming_its_path(kind, mutate, where):
    body = request(kind)
    mutate(body)
    error = refused(body)
    assert error.enum == BAD
    assert error.detail.startswith(where), error.detail


def test_detail_reports_how_many_more_problems_there_are():
    body = request("commandRequest", devices=[{"externalDeviceId": "", "commands": [{}]}])
    detail = refused(body).detail
    assert detail.startswith("devices.0.")
    assert detail.endswith("(+2 more)")


@pytest.mark.parametrize("mutate", [
    lambda b: b["headers"].update(requestId=SECRET + "!"),
    lambda b: b["headers"].update(interactionType=SECRET),
    lambda b: b["headers"].update(schema=SECRET),
    lambda b: b.update(authentication={"token": [SECRET]}),
    lambda b: b.update(authentication=SECRET),
    lambda b: b["devices"][0].update(externalDeviceId={"id": SECRET}),
    lambda b: b["devices"][0]["commands"][0].update(arguments=SECRET),
    lambda b: b.update(devices=[SECRET]),
], ids=["requestId", "interactionType", "schema", "token-list", "auth-string", "device-id",
        "arguments", "device-item"])
def test_error_detail_never_echoes_the_offending_value(mutate):
    body = request("commandRequest")
    mutate(body)
    error = refused(body)
    assert SECRET not in error.detail
    assert SECRET not in str(error)


def test_error_enum_number_too_long_to_print_is_bad_request_not_a_crash():
    # json.loads refuses such numbers, but a caller may hand us any Python value.
    body = request("interactionResult", globalError={"errorEnum": 10**5000})
    assert refused(body).detail.startswith("globalError.errorEnum:")
