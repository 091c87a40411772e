"""parse_access_token_response: the callback token SmartThings grants us, or a ProtocolError."""
from __future__ import annotations

import pytest

from connector.model import GlobalErrorEnum
from connector.schema import ProtocolError, parse_access_token_response

from . import payloads

ACCESS = "eyJhbGciOiJIUzM4NCJ9.sample-access"


def answer(**grant) -> dict:
    body = payloads.load("token", "accessTokenResponse")
    body["callbackAuthentication"].update(grant)
    return body


def refused(body) -> ProtocolError:
    with pytest.raises(ProtocolError) as info:
        parse_access_token_response(body)
    return info.value


def test_recorded_token_response_gives_the_callback_tokens():
    assert parse_access_token_response(payloads.load("token", "accessTokenResponse")) == {
        "tokenType": "Bearer",
        "accessToken": ACCESS,
        "refreshToken": "eyJhbGciOiJIUzM4NCJ9.sample-refresh",
        "expiresIn": 86400,
    }


def test_missing_refresh_token_is_none_so_the_old_one_is_kept():
    body = answer()
    del body["callbackAuthentication"]["refreshToken"]
    assert parse_access_token_response(body)["refreshToken"] is None


def test_missing_token_type_defaults_to_bearer_and_headers_are_not_required():
    body = answer()
    del body["callbackAuthentication"]["tokenType"]
    del body["headers"]
    assert parse_access_token_response(body)["tokenType"] == "Bearer"


@pytest.mark.parametrize("enum", ["INVALID-CODE", "INVALID-CLIENT", "INVALID-CLIENT-SECRET",
                                  "UNSUPPORTED-GRANT-TYPE", "TOKEN-EXPIRED"])
def test_known_global_error_is_raised_with_its_enum(enum):
    error = refused({"headers": payloads.headers("accessTokenResponse"),
                     "globalError": {"errorEnum": enum, "detail": "secret-laden detail " + ACCESS}})
    assert error.enum == enum
    assert ACCESS not in error.detail


@pytest.mark.parametrize("global_error", ["INVALID-CODE", {"errorEnum": "NOT-AN-ENUM"}, {"errorEnum": 400}, []])
def test_unknown_or_malformed_global_error_is_bad_request(global_error):
    assert refused({"globalError": global_error}).enum == GlobalErrorEnum.BAD_REQUEST


@pytest.mark.parametrize("body", [None, [], "token", 5])
def test_body_that_is_not_an_object_is_bad_request(body):
    assert refused(body).enum == GlobalErrorEnum.BAD_REQUEST


@pytest.mark.parametrize("grant, where", [
    ({"accessToken": None}, "callbackAuthentication.accessToken:"),
    ({"accessToken": ""}, "callbackAuthentication.accessToken:"),
    ({"expiresIn": "86400"}, "callbackAuthentication.expiresIn:"),
    ({"expiresIn": 86400.5}, "callbackAuthentication.expiresIn:"),
    ({"expiresIn": True}, "callbackAuthentication.expiresIn:"),
    ({"expiresIn": -1}, "callbackAuthentication.expiresIn:"),
    ({"refreshToken": 7}, "callbackAuthentication.refreshToken:"),
])
def test_invalid_grant_field_is_bad_request_naming_it(grant, where):
    error = refused(answer(**grant))
    assert error.enum == GlobalErrorEnum.BAD_REQUEST
    assert error.detail.startswith(where)
    assert ACCESS not in error.detail


def test_missing_callback_authentication_is_bad_request():
    error = refused({"headers": payloads.headers("accessTokenResponse")})
    assert (error.enum, error.detail) == (GlobalErrorEnum.BAD_REQUEST,
                                          "callbackAuthentication: Missing data for required field.")
