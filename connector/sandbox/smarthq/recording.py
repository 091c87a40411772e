"""What clients sent: one record per API, OAuth or socket request, secrets masked.

Tests assert on these (which query a client used, how many calls hit a path). Secret
values are replaced, never stored: the Authorization header keeps only its scheme.
"""
from __future__ import annotations

import re
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

REDACTED = "[redacted]"
SECRET_HEADERS = {"authorization", "cookie", "proxy-authorization"}
SECRET_PARAMS = {"client_secret", "code", "refresh_token", "access_token", "password", "token"}


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any  # parsed JSON (or None)
    status: int
    reason: str | None  # the error answer's reason / error_description, if any
    at: float  # wall epoch seconds
    form: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def mask_headers(headers) -> dict[str, str]:
    out = {}
    for name, value in headers.items():
        if name.lower() == "authorization":
            scheme = value.split(" ", 1)[0] if " " in value else ""
            out[name] = f"{scheme} {REDACTED}".strip()
        elif name.lower() in SECRET_HEADERS:
            out[name] = REDACTED
        else:
            out[name] = value
    return out


def mask_params(params) -> dict[str, str]:
    return {k: (REDACTED if k in SECRET_PARAMS else v) for k, v in params.items()}


class Recorder:
    def __init__(self, maxlen: int = 10_000) -> None:
        self._items: deque[RecordedRequest] = deque(maxlen=maxlen)

    def add(self, item: RecordedRequest) -> None:
        self._items.append(item)

    def clear(self) -> None:
        self._items.clear()

    def select(self, path: str | None = None, method: str | None = None) -> list[RecordedRequest]:
        """Records whose path matches the regex ``path`` and whose method is ``method``."""
        pattern = re.compile(path) if path else None
        return [r for r in self._items
                if (method is None or r.method == method.upper())
                and (pattern is None or pattern.search(r.path))]
