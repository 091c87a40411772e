"""Structured JSON logging (structlog) with request context and secret redaction.

Every line is one JSON object. ``bind_request`` puts requestId, interactionType and
the account id into context variables, so every line logged while serving a request
carries them without passing a logger around. The redaction processor runs last
before rendering, so nothing that looks like a credential reaches the output, whoever
logged it (our code, gunicorn, rq, werkzeug).
"""
from __future__ import annotations

import logging
import re
import sys

import structlog

REDACTED = "[redacted]"
_SECRET_KEYS = {"authorization", "code", "password", "cookie", "client_secret", "clientsecret"}
_SECRET_SUFFIXES = ("token", "secret", "password", "_key", "apikey")
# Credentials that hide inside free text: "Bearer abc", "access_token=abc", "code=abc",
# and quoted, as in a JSON or Python dict rendered into a message: '"access_token": "abc"'.
_SECRET_IN_TEXT = re.compile(
    r"(?i)(bearer\s+|(?:access_token|refresh_token|client_secret|code|token|password)"
    r"[\"']?\s*[=:]\s*[\"']?)[^\s&\"',;]+"
)


def is_secret_key(key: str) -> bool:
    lowered = str(key).lower()
    return lowered in _SECRET_KEYS or lowered.endswith(_SECRET_SUFFIXES)


def redact(value):
    """A copy of ``value`` with secret-named keys masked and credentials cut out of text."""
    if isinstance(value, dict):
        return {k: REDACTED if is_secret_key(k) else redact(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return _SECRET_IN_TEXT.sub(lambda m: m.group(1) + REDACTED, value)
    return value


def _redact_processor(_logger, _method, event_dict):
    return redact(event_dict)


_SHARED_PROCESSORS = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.processors.format_exc_info,
]


_handler: logging.Handler | None = None


def configure(level: str = "INFO", stream=None) -> None:
    """Route structlog and the standard library's logging through one JSON renderer."""
    renderer = [_redact_processor, structlog.processors.JSONRenderer()]
    structlog.configure(
        processors=[*_SHARED_PROCESSORS, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED_PROCESSORS,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *renderer],
    )
    global _handler
    root = logging.getLogger()
    if _handler is not None:
        root.removeHandler(_handler)  # ours only: handlers others installed stay
    _handler = logging.StreamHandler(stream or sys.stderr)
    _handler.setFormatter(formatter)
    root.addHandler(_handler)
    root.setLevel(level)


def get_logger(name: str):
    return structlog.get_logger(name)


def bind_request(**values) -> None:
    """Attach values (requestId, interactionType, account) to every line of this request."""
    structlog.contextvars.bind_contextvars(**{k: v for k, v in values.items() if v is not None})


def clear_request() -> None:
    structlog.contextvars.clear_contextvars()
