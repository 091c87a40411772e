"""ProtocolError and the rendering of marshmallow errors into safe, short messages.

A message names *where* a payload is wrong and *what* is wrong with it, never the
offending value: the value may be a token, and details travel back to the sender and
into our logs.
"""
from __future__ import annotations

from typing import Any, Iterator

from connector.model import GlobalErrorEnum

from .constants import MAX_GLOBAL_ERROR_DETAIL


class ProtocolError(Exception):
    """A request we refuse as a whole; it becomes a ``globalError`` response.

    ``enum`` is a :class:`GlobalErrorEnum` value, ``detail`` a short message that is
    safe to send back and to log.
    """

    def __init__(self, enum: str, detail: str):
        super().__init__(detail)
        self.enum = enum
        self.detail = detail

    @classmethod
    def bad_request(cls, detail: str) -> "ProtocolError":
        return cls(GlobalErrorEnum.BAD_REQUEST, detail)


def flatten(messages: Any, path: tuple = ()) -> Iterator[tuple[str, str]]:
    """Yield ``(path, message)`` pairs from marshmallow's nested error structure.

    List indices and field names make the path; ``_schema`` (an error about the
    object itself, such as "Invalid input type.") adds nothing to it.
    """
    if isinstance(messages, dict):
        for key, value in messages.items():
            step = () if key == "_schema" else (str(key),)
            yield from flatten(value, path + step)
    elif isinstance(messages, (list, tuple)):
        for value in messages:
            yield from flatten(value, path)
    else:
        yield ".".join(path) or "body", str(messages)


def describe(messages: Any, prefix: str = "") -> list[str]:
    """Every problem as ``"path: message"``, paths optionally under ``prefix``."""
    problems = []
    for path, message in flatten(messages):
        full = f"{prefix}.{path}" if prefix and path != "body" else (prefix or path)
        problems.append(f"{full}: {message}")
    return problems


def summary(messages: Any, prefix: str = "", limit: int = MAX_GLOBAL_ERROR_DETAIL) -> str:
    """The first problem (and how many more), cut to ``limit`` characters."""
    problems = describe(messages, prefix) or [f"{prefix or 'body'}: invalid"]
    text = problems[0]
    if len(problems) > 1:
        text += f" (+{len(problems) - 1} more)"
    return text if len(text) <= limit else text[: limit - 1] + "…"
