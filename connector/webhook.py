"""``POST /st-schema``: the one door SmartThings knocks on.

Reads one size-limited JSON body, parses the envelope, hands a typed request to
``interactions`` and returns its answer. Every protocol problem is an HTTP 200 with a
``globalError`` (what SmartThings' own SDK settled on); only an infrastructure fault
(Redis gone) or a bug is a 5xx, and even then the body is JSON without a stack trace.
"""
from __future__ import annotations

import json
import time

import redis
from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from connector import interactions, logs, schema
from connector.model import GlobalErrorEnum
from connector.schema import ProtocolError

bp = Blueprint("webhook", __name__)
log = logs.get_logger(__name__)


class _NotJson(ValueError):
    pass


def _reject_constant(name: str):
    # NaN and Infinity are not JSON; Python's parser accepts them unless told not to.
    raise _NotJson(f"{name} is not valid JSON")


def parse_json(raw: bytes):
    """The JSON value in ``raw``; _NotJson for anything that is not strict JSON."""
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, bad UTF-8, deep nesting
        raise _NotJson("body is not valid JSON") from exc


def _json(body: dict, status: int = 200) -> Response:
    return Response(json.dumps(body, separators=(",", ":")), status=status,
                    mimetype="application/json")


def _read_body(limit: int) -> bytes:
    """The body, refused when over ``limit``. A chunked body has no Content-Length for
    werkzeug to refuse up front: its stream stops quietly at the limit, so a byte left
    behind it means the body was longer."""
    raw = request.get_data(cache=False)
    # Only without a Content-Length: with one, werkzeug already refused a longer body,
    # and a read past it would wait on the socket for bytes that never come.
    if (request.content_length is None and len(raw) >= limit
            and request.environ["wsgi.input"].read(1)):
        raise RequestEntityTooLarge()
    return raw


@bp.post("/st-schema")
def st_schema() -> Response:
    started = time.perf_counter()
    logs.clear_request()
    services = current_app.extensions["connector"]
    headers = schema.read_headers(None)
    try:
        try:
            raw = _read_body(services.settings.max_body_bytes)
        except RequestEntityTooLarge:
            raise ProtocolError(GlobalErrorEnum.BAD_REQUEST,
                                f"body exceeds {services.settings.max_body_bytes} bytes")
        try:
            body = parse_json(raw)
        except _NotJson as exc:
            raise ProtocolError(GlobalErrorEnum.BAD_REQUEST, str(exc))
        headers = schema.read_headers(body)
        logs.bind_request(requestId=headers.request_id, interactionType=headers.interaction_type)
        inbound = schema.load_request(body)
        response = interactions.handle(inbound, services)
    except ProtocolError as exc:
        log.info("request refused", errorEnum=exc.enum, detail=exc.detail)
        response = schema.global_error_response(
            headers.interaction_type, headers.request_id, exc.enum, exc.detail)
    except (redis.RedisError, OSError):
        log.exception("store unavailable")
        return _json(_fault(headers, "service temporarily unavailable"), 503)
    except Exception:
        log.exception("unhandled error")
        return _json(_fault(headers, "internal error"), 500)
    log.info("answered", ms=round((time.perf_counter() - started) * 1000, 2),
             globalError=(response.get("globalError") or {}).get("errorEnum"))
    return _json(response)


def _fault(headers, detail: str) -> dict:
    """A 5xx body: echo what we can so SmartThings can correlate, reveal nothing else."""
    echoed = {"schema": schema.SCHEMA, "version": schema.VERSION}
    if headers.interaction_type in schema.RESPONSE_TYPE:
        echoed["interactionType"] = schema.RESPONSE_TYPE[headers.interaction_type]
    if headers.request_id:
        echoed["requestId"] = headers.request_id
    return {"headers": echoed, "error": detail}
