"""Rendering marshmallow errors: paths and messages only, short enough for globalError."""
from connector.model import GlobalErrorEnum
from connector.schema import ProtocolError
from connector.schema.errors import describe, summary

NESTED = {
    "devices": {0: {"externalDeviceId": ["Missing data for required field."],
                    "commands": {2: {"_schema": ["Invalid input type."]}}}},
    "_schema": ["Invalid input type."],
}


def test_describe_joins_field_names_and_indices_into_paths():
    assert describe(NESTED) == [
        "devices.0.externalDeviceId: Missing data for required field.",
        "devices.0.commands.2: Invalid input type.",
        "body: Invalid input type.",
    ]


def test_describe_puts_paths_under_a_prefix():
    assert describe({"requestId": ["Not a valid string."], "_schema": ["Invalid input type."]},
                    "headers") == ["headers.requestId: Not a valid string.",
                                   "headers: Invalid input type."]


def test_summary_gives_the_first_problem_and_counts_the_rest():
    assert summary(NESTED) == "devices.0.externalDeviceId: Missing data for required field. (+2 more)"


def test_summary_is_cut_to_the_limit():
    text = summary({"x" * 300: ["Not a valid string."]})
    assert len(text) == 100
    assert text.endswith("…")


def test_protocol_error_carries_enum_and_detail():
    error = ProtocolError(GlobalErrorEnum.INVALID_TOKEN, "token unknown")
    assert (error.enum, error.detail, str(error)) == ("INVALID-TOKEN", "token unknown", "token unknown")
    assert ProtocolError.bad_request("x").enum == GlobalErrorEnum.BAD_REQUEST
