"""Our external base URL, as browsers and partner clouds reach us.

PUBLIC_URL when set. Otherwise the request's own URL as the nearest proxy saw it
(Heroku's router terminates TLS and says so in X-Forwarded-Proto): like werkzeug's
ProxyFix with one trusted hop, the last value of each X-Forwarded-* header counts.
"""
from __future__ import annotations

import re

from flask import current_app, request

_HOST = re.compile(r"^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")


def _last(header: str | None) -> str:
    return header.split(",")[-1].strip() if header else ""


def external_base() -> str:
    public_url = current_app.extensions["connector"].settings.public_url
    if public_url:
        return public_url.rstrip("/")
    proto = _last(request.headers.get("X-Forwarded-Proto")).lower()
    host = _last(request.headers.get("X-Forwarded-Host"))
    proto = proto if proto in ("http", "https") else request.scheme
    host = host if _HOST.match(host) else request.host
    return f"{proto}://{host}{request.script_root}"


def external_url(path: str) -> str:
    """``path`` (starting with /) on our external base."""
    return external_base() + path


def is_secure() -> bool:
    return external_base().startswith("https://")
