"""Which callback URLs we may POST to: only allow-listed SmartThings hosts.

A forged ``grantCallbackAccess`` must never make us send tokens or states elsewhere
(SSRF), so every callback URL is checked here before it is stored and before it is used.
"""
from __future__ import annotations

from urllib.parse import urlsplit

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def host_matches(host: str, pattern: str) -> bool:
    """``pattern`` is an exact host name or ``*.domain`` (any sub-domain, not the apex)."""
    host, pattern = host.lower().rstrip("."), pattern.lower()
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and len(host) > len(pattern) - 1
    return host == pattern


def is_allowed(url: object, patterns: tuple[str, ...]) -> bool:
    """True when ``url`` is an https URL on an allowed host (plain http only on loopback)."""
    if not isinstance(url, str):
        return False
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # raises ValueError on a malformed port
    except ValueError:
        return False
    if not host or parts.username or parts.password:
        return False
    if parts.scheme != "https" and not (parts.scheme == "http" and host in LOOPBACK):
        return False
    return any(host_matches(host, pattern) for pattern in patterns)
