"""read_headers: whatever usable headers a JSON value has, never an exception."""
import dataclasses

import pytest

from connector.schema import Headers, read_headers

from .payloads import headers


def test_read_headers_of_a_valid_body_returns_type_and_request_id():
    got = read_headers({"headers": headers("commandRequest", "8C58E0CD-386F-4BBB-80B9-B28A7FF8040F")})
    assert got == Headers("commandRequest", "8C58E0CD-386F-4BBB-80B9-B28A7FF8040F")


@pytest.mark.parametrize("body", [None, True, 0, 1.5, "headers", [], [{"headers": headers("x")}], {}])
def test_read_headers_of_a_body_without_a_headers_object_is_empty(body):
    assert read_headers(body) == Headers(None, None)


@pytest.mark.parametrize("value", [None, "discoveryRequest", 3, ["discoveryRequest"]])
def test_read_headers_when_headers_is_not_an_object_is_empty(value):
    assert read_headers({"headers": value}) == Headers(None, None)


@pytest.mark.parametrize("kind", [None, 7, True, ["commandRequest"], {"a": 1}, "", "has space",
                                  "bad\ntype", "x" * 65])
def test_read_headers_drops_an_unusable_interaction_type_but_keeps_the_request_id(kind):
    got = read_headers({"headers": {"interactionType": kind, "requestId": "abc-123"}})
    assert got == Headers(None, "abc-123")


@pytest.mark.parametrize("request_id", [None, 42, 4.2, ["abc"], {"id": "abc"}, "", "a" * 129,
                                        "abc 123", "abc!!", "abc\n", "ünïcode"])
def test_read_headers_drops_an_unusable_request_id_but_keeps_the_type(request_id):
    got = read_headers({"headers": {"interactionType": "discoveryRequest", "requestId": request_id}})
    assert got == Headers("discoveryRequest", None)


def test_read_headers_keeps_an_unknown_but_well_formed_type():
    assert read_headers({"headers": headers("somethingElse")}).interaction_type == "somethingElse"


def test_read_headers_ignores_schema_and_version():
    body = {"headers": {**headers("discoveryRequest", "r1"), "schema": "nope", "version": 2}}
    assert read_headers(body) == Headers("discoveryRequest", "r1")


def test_headers_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Headers("a", "b").request_id = "c"
