"""Every builder's output is exactly the documented shape and passes validate_outbound."""
from __future__ import annotations

import uuid

import pytest

from connector import schema
from connector.model import (
    Device,
    DeviceErrorEnum,
    DeviceResult,
    GlobalErrorEnum,
    ManufacturerInfo,
    State,
)

RID = "4012D415-ED04-4D8B-A22F-395FB1732511"

LAMP = Device(
    external_id="kasa:80061D3C4E8F1A2B",
    friendly_name="Desk Lamp",
    manufacturer=ManufacturerInfo("TP-Link", "KL130", hw_version="1.0", sw_version="1.8.11"),
    handler_type="c2c-rgbw-color-bulb",
    room_name="Office",
    groups=("Lamps",),
    categories=("light",),
    unique_id="50:C7:BF:00:11:22",
    cookie={"region": "eu"},
)
WASHER = Device("smarthq:washer:AB12345", "Laundry Washer",
                ManufacturerInfo("GE Appliances", "GFW850SPNRS"), "8f6d2f3e-1a2b-4c3d-9e8f-0a1b2c3d4e5f")

ON = State("st.switch", "switch", "on")
LEVEL = State("st.switchLevel", "level", 80, unit="%")
MODE = State("st.thermostatMode", "thermostatMode", "heat", data={"supportedThermostatModes": ["heat"]})
STAMPED = State("st.powerMeter", "power", 0.4, component="outlet1", unit="W", timestamp=1568248946010)


def is_uuid4(value: str) -> bool:
    return uuid.UUID(value).version == 4 and str(uuid.UUID(value)) == value


def assert_valid(payload: dict) -> None:
    assert schema.validate_outbound(payload) == []


# -- discovery ------------------------------------------------------------------------


def test_discovery_response_lists_every_device_field_we_know():
    body = schema.discovery_response(RID, [LAMP, WASHER])
    assert body == {
        "headers": {"schema": "st-schema", "version": "1.0",
                    "interactionType": "discoveryResponse", "requestId": RID},
        "devices": [
            {
                "externalDeviceId": "kasa:80061D3C4E8F1A2B",
                "friendlyName": "Desk Lamp",
                "manufacturerInfo": {"manufacturerName": "TP-Link", "modelName": "KL130",
                                     "hwVersion": "1.0", "swVersion": "1.8.11"},
                "deviceHandlerType": "c2c-rgbw-color-bulb",
                "deviceContext": {"roomName": "Office", "groups": ["Lamps"], "categories": ["light"]},
                "deviceUniqueId": "50:C7:BF:00:11:22",
                "deviceCookie": {"region": "eu"},
            },
            {
                "externalDeviceId": "smarthq:washer:AB12345",
                "friendlyName": "Laundry Washer",
                "manufacturerInfo": {"manufacturerName": "GE Appliances", "modelName": "GFW850SPNRS"},
                "deviceHandlerType": "8f6d2f3e-1a2b-4c3d-9e8f-0a1b2c3d4e5f",
            },
        ],
    }
    assert_valid(body)


def test_discovery_response_sets_request_grant_callback_access_only_when_asked():
    assert "requestGrantCallbackAccess" not in schema.discovery_response(RID, [WASHER])
    body = schema.discovery_response(RID, [WASHER], request_grant_callback_access=True)
    assert body["requestGrantCallbackAccess"] is True
    assert_valid(body)


def test_discovery_response_with_no_devices_is_valid():
    body = schema.discovery_response(RID, [])
    assert body["devices"] == []
    assert_valid(body)


def test_device_context_carries_only_what_is_set():
    only_room = Device("kasa:1", "Plug", ManufacturerInfo("TP-Link", "KP115"), "c2c-switch",
                       room_name="Kitchen")
    (entry,) = schema.discovery_response(RID, [only_room])["devices"]
    assert entry["deviceContext"] == {"roomName": "Kitchen"}


# -- state refresh and command --------------------------------------------------------


def test_state_refresh_response_puts_states_and_errors_per_device():
    results = [
        DeviceResult("kasa:1", [ON, LEVEL]),
        DeviceResult.failed("kasa:gone", DeviceErrorEnum.DEVICE_DELETED, "not in account"),
    ]
    body = schema.state_refresh_response(RID, results)
    assert body == {
        "headers": {"schema": "st-schema", "version": "1.0",
                    "interactionType": "stateRefreshResponse", "requestId": RID},
        "deviceState": [
            {"externalDeviceId": "kasa:1", "states": [
                {"component": "main", "capability": "st.switch", "attribute": "switch", "value": "on"},
                {"component": "main", "capability": "st.switchLevel", "attribute": "level",
                 "value": 80, "unit": "%"}]},
            {"externalDeviceId": "kasa:gone",
             "deviceError": [{"errorEnum": "DEVICE-DELETED", "detail": "not in account"}]},
        ],
    }
    assert_valid(body)


def test_state_optional_fields_appear_only_when_set():
    body = schema.state_refresh_response(RID, [DeviceResult("kasa:1", [MODE, STAMPED])])
    mode, power = body["deviceState"][0]["states"]
    assert mode == {"component": "main", "capability": "st.thermostatMode", "attribute": "thermostatMode",
                    "value": "heat", "data": {"supportedThermostatModes": ["heat"]}}
    assert power == {"component": "outlet1", "capability": "st.powerMeter", "attribute": "power",
                     "value": 0.4, "unit": "W", "timestamp": 1568248946010}
    assert_valid(body)


def test_device_with_states_and_an_error_carries_both():
    result = DeviceResult.failed("kasa:1", DeviceErrorEnum.DEVICE_OFFLINE, "unreachable",
                                 State("st.healthCheck", "healthStatus", "offline"))
    (entry,) = schema.command_response(RID, [result])["deviceState"]
    assert set(entry) == {"externalDeviceId", "states", "deviceError"}
    assert entry["deviceError"] == [{"errorEnum": "DEVICE-OFFLINE", "detail": "unreachable"}]


def test_device_without_states_or_errors_is_just_its_id_and_cookie_is_not_sent():
    body = schema.command_response(RID, [DeviceResult("kasa:1", cookie={"a": 1})])
    assert body["deviceState"] == [{"externalDeviceId": "kasa:1"}]
    assert_valid(body)


def test_command_response_has_the_command_response_type():
    body = schema.command_response(RID, [DeviceResult("kasa:1", [ON])])
    assert body["headers"]["interactionType"] == "commandResponse"
    assert body["headers"]["requestId"] == RID
    assert_valid(body)


def test_long_device_error_detail_is_clipped_to_256_characters():
    result = DeviceResult.failed("kasa:1", DeviceErrorEnum.DEVICE_UNAVAILABLE, "x" * 1000)
    body = schema.state_refresh_response(RID, [result])
    assert len(body["deviceState"][0]["deviceError"][0]["detail"]) == 256
    assert_valid(body)


# -- echoes and global errors ---------------------------------------------------------


@pytest.mark.parametrize("kind", ["grantCallbackAccess", "integrationDeleted", "interactionResult"])
def test_echo_response_is_headers_only(kind):
    body = schema.echo_response(kind, RID)
    assert body == {"headers": {"schema": "st-schema", "version": "1.0",
                                "interactionType": kind, "requestId": RID}}
    assert_valid(body)


@pytest.mark.parametrize("kind", ["discoveryRequest", "discoveryResponse", "stateCallback", "nope"])
def test_echo_response_refuses_types_that_are_not_echoed(kind):
    with pytest.raises(ValueError):
        schema.echo_response(kind, RID)


@pytest.mark.parametrize("request_type, response_type, extra", [
    ("discoveryRequest", "discoveryResponse", {"devices": []}),
    ("stateRefreshRequest", "stateRefreshResponse", {"deviceState": []}),
    ("commandRequest", "commandResponse", {"deviceState": []}),
    ("grantCallbackAccess", "grantCallbackAccess", {}),
    ("integrationDeleted", "integrationDeleted", {}),
    ("interactionResult", "interactionResult", {}),
])
def test_global_error_response_uses_the_matching_response_type(request_type, response_type, extra):
    body = schema.global_error_response(request_type, RID, GlobalErrorEnum.TOKEN_EXPIRED, "expired")
    assert body == {
        "headers": {"schema": "st-schema", "version": "1.0",
                    "interactionType": response_type, "requestId": RID},
        "globalError": {"errorEnum": "TOKEN-EXPIRED", "detail": "expired"},
        **extra,
    }
    assert_valid(body)


@pytest.mark.parametrize("kind", ["somethingElse", "stateCallback", "accessTokenRequest", "discoveryResponse"])
def test_global_error_response_echoes_a_well_formed_unknown_type(kind):
    body = schema.global_error_response(kind, RID, GlobalErrorEnum.INVALID_INTERACTION_TYPE, "unknown")
    assert body["headers"]["interactionType"] == kind
    assert_valid(body)


@pytest.mark.parametrize("kind", [None, "", "has space", "x" * 65, 12, ["discoveryRequest"]])
def test_global_error_response_without_a_usable_type_leaves_it_out(kind):
    body = schema.global_error_response(kind, RID, GlobalErrorEnum.BAD_REQUEST, "no headers")
    assert "interactionType" not in body["headers"]
    assert body["headers"]["requestId"] == RID
    assert set(body) == {"headers", "globalError"}
    assert_valid(body)


@pytest.mark.parametrize("request_id", [None, "", "a" * 129, "token!!", "abc\n", 5])
def test_global_error_response_replaces_a_missing_or_invalid_request_id_with_a_uuid4(request_id):
    body = schema.global_error_response("discoveryRequest", request_id, GlobalErrorEnum.BAD_REQUEST, "x")
    assert is_uuid4(body["headers"]["requestId"])
    assert_valid(body)


def test_global_error_response_clips_a_long_detail_to_100_characters():
    body = schema.global_error_response(None, None, GlobalErrorEnum.BAD_REQUEST, "d" * 500)
    assert len(body["globalError"]["detail"]) == 100
    assert_valid(body)


# -- callbacks and token requests -----------------------------------------------------


def test_state_callback_carries_the_callback_token_and_a_fresh_request_id():
    first = schema.state_callback("cb-token", [DeviceResult("kasa:1", [STAMPED])])
    second = schema.state_callback("cb-token", [DeviceResult("kasa:1", [ON])])
    assert first["authentication"] == {"tokenType": "Bearer", "token": "cb-token"}
    assert first["headers"]["interactionType"] == "stateCallback"
    assert is_uuid4(first["headers"]["requestId"])
    assert first["headers"]["requestId"] != second["headers"]["requestId"]
    assert first["deviceState"][0]["states"][0]["timestamp"] == 1568248946010
    assert_valid(first)


def test_state_callback_can_report_a_deleted_device():
    body = schema.state_callback("cb-token", [
        DeviceResult.failed("kasa:gone", DeviceErrorEnum.DEVICE_DELETED, "removed by the user")])
    assert body["deviceState"] == [{"externalDeviceId": "kasa:gone", "deviceError": [
        {"errorEnum": "DEVICE-DELETED", "detail": "removed by the user"}]}]
    assert_valid(body)


def test_discovery_callback_lists_devices_with_the_callback_token():
    first = schema.discovery_callback("cb-token", [WASHER])
    second = schema.discovery_callback("cb-token", [WASHER])
    assert first["headers"]["interactionType"] == "discoveryCallback"
    assert first["authentication"] == {"tokenType": "Bearer", "token": "cb-token"}
    assert first["devices"] == schema.discovery_response(RID, [WASHER])["devices"]
    assert is_uuid4(first["headers"]["requestId"])
    assert first["headers"]["requestId"] != second["headers"]["requestId"]
    assert_valid(first)


def test_access_token_request_sends_the_code_and_client_credentials():
    body = schema.access_token_request("the-code", "st-id", "st-secret")
    assert body["headers"]["interactionType"] == "accessTokenRequest"
    assert is_uuid4(body["headers"]["requestId"])
    assert body["callbackAuthentication"] == {"grantType": "authorization_code", "code": "the-code",
                                              "clientId": "st-id", "clientSecret": "st-secret"}
    assert "authentication" not in body
    assert_valid(body)


def test_refresh_access_tokens_sends_the_refresh_token_and_client_credentials():
    body = schema.refresh_access_tokens("the-refresh", "st-id", "st-secret")
    assert body["headers"]["interactionType"] == "refreshAccessTokens"
    assert is_uuid4(body["headers"]["requestId"])
    assert body["callbackAuthentication"] == {"grantType": "refresh_token", "refreshToken": "the-refresh",
                                              "clientId": "st-id", "clientSecret": "st-secret"}
    assert_valid(body)
