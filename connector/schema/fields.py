"""Field helpers shared by the inbound and outbound schemas.

marshmallow's own coercions are too forgiving for a wire protocol (``Boolean`` takes
``"yes"``, ``Integer`` takes ``"12"``), so the few types that matter get strict
variants here. Messages never interpolate the input (see ``errors``).
"""
from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate

from .constants import MAX_EXTERNAL_ID, MAX_REQUEST_ID, MAX_URL, REQUEST_ID_RE

_URL = validate.URL(schemes={"http", "https"}, require_tld=False)


def text(max_length: int | None = None, **kwargs) -> fields.String:
    """A non-empty string, optionally bounded."""
    return fields.String(validate=validate.Length(min=1, max=max_length), **kwargs)


def constant(value: str, **kwargs) -> fields.String:
    """A string that must equal ``value`` (schema, version, interactionType...)."""
    return fields.String(validate=validate.Equal(value), **kwargs)


def request_id(**kwargs) -> fields.String:
    return fields.String(
        validate=[
            validate.Length(min=1, max=MAX_REQUEST_ID),
            validate.Regexp(REQUEST_ID_RE, error="Must contain only letters, digits and + . - _"),
        ],
        **kwargs,
    )


def external_id(**kwargs) -> fields.String:
    return text(MAX_EXTERNAL_ID, **kwargs)


def strict_int(**kwargs) -> fields.Integer:
    # strict: 12.0 and "12" are refused; marshmallow already refuses booleans.
    return fields.Integer(strict=True, **kwargs)


def _http_url(value: str) -> None:
    # Bound the length before the URL regex sees the string.
    if len(value) > MAX_URL:
        raise ValidationError(f"Longer than maximum length {MAX_URL}.")
    _URL(value)


def http_url(**kwargs) -> fields.String:
    """An absolute http(s) URL; which hosts are acceptable is the caller's policy."""
    return fields.String(validate=_http_url, **kwargs)


class StrictBoolean(fields.Field):
    """JSON true/false only."""

    default_error_messages = {"invalid": "Not a valid boolean."}

    def _deserialize(self, value: Any, attr, data, **kwargs) -> bool:
        if value is True or value is False:
            return value
        raise self.make_error("invalid")


class ErrorCode(fields.Field):
    """An errorEnum as SmartThings reports it: usually a string, sometimes a number.

    Numbers are kept as their decimal text so consumers see one type.
    """

    default_error_messages = {"invalid": "Not a valid string or number."}

    def _deserialize(self, value: Any, attr, data, **kwargs) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            try:
                return str(value)
            except ValueError:  # an int beyond Python's digit limit for str()
                pass
        raise self.make_error("invalid")
