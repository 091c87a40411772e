"""One function per ST Schema interaction, and the one fan-out that runs partner calls.

The webhook hands over a parsed ``InboundRequest``; each handler returns the response
body. Partner work is spread over a bounded per-process pool, one task per device (or
per backend for discovery), under a single deadline: whatever has not answered by then
gets its own DEVICE-UNAVAILABLE and the response still goes out on time.
"""
from __future__ import annotations

import contextvars
import hmac
import time
from concurrent.futures import Future, wait
from typing import Callable

from connector import capabilities, logs, schema
from connector.accounts import AuthError, Installation
from connector.backends.base import CallContext, LinkExpired, PartnerError, device_error_for
from connector.callbacks.credentials import request_exchange
from connector.callbacks.publish import publish_command_results
from connector.callbacks.urls import is_allowed
from connector.oauth.unlink import forget_installation
from connector.model import (
    DeviceErrorEnum,
    DeviceRequest,
    DeviceResult,
    GlobalErrorEnum,
    backend_of,
)
from connector.schema import InboundRequest, ProtocolError
from connector.services import Services

log = logs.get_logger(__name__)


class GlobalError(Exception):
    """The whole interaction fails with one ST global error."""

    def __init__(self, enum: str, detail: str):
        super().__init__(detail)
        self.enum, self.detail = enum, detail


def handle(req: InboundRequest, services: Services) -> dict:
    """The response body for a valid request; protocol failures become a globalError."""
    try:
        return HANDLERS[req.interaction_type](req, services)
    except (AuthError, GlobalError, ProtocolError) as exc:
        log.info("global error", errorEnum=exc.enum, detail=exc.detail)
        return schema.global_error_response(req.interaction_type, req.request_id, exc.enum, exc.detail)


# -- authentication -------------------------------------------------------------------


def authenticate(req: InboundRequest, services: Services) -> Installation:
    installation = services.accounts.resolve(req.token)
    logs.bind_request(account=installation.account_id, installation=installation.id)
    return installation


def context(req: InboundRequest, services: Services, installation: Installation) -> CallContext:
    deadline = time.monotonic() + services.settings.request_deadline
    return CallContext(installation.account_id, req.request_id, deadline)


# -- the interactions -----------------------------------------------------------------


def discovery(req: InboundRequest, services: Services) -> dict:
    installation = authenticate(req, services)
    ctx = context(req, services, installation)
    backends = [b for b in services.backends.values() if b.is_linked(ctx.account_id)]
    futures = {b.name: submit(services, b.discover, ctx) for b in backends}
    wait(futures.values(), timeout=ctx.remaining())

    devices, expired = [], []
    for name, future in futures.items():
        try:
            devices.extend(_result(future))
        except LinkExpired:
            expired.append(name)
        except (PartnerError, TimeoutError) as exc:
            log.warning("discovery failed for a backend", backend=name, error=str(exc))
        except Exception:  # a bug in one backend must not hide the other's devices
            log.exception("discovery crashed for a backend", backend=name)
    if expired and len(expired) == len(futures):
        raise GlobalError(GlobalErrorEnum.TOKEN_EXPIRED, "partner account must be linked again")
    # Our callback credentials for this installation are broken: ask for a new grant.
    regrant = bool(services.accounts.callback_grant_needed(installation.id))
    return schema.discovery_response(req.request_id, devices, request_grant_callback_access=regrant)


def state_refresh(req: InboundRequest, services: Services) -> dict:
    installation = authenticate(req, services)
    ctx = context(req, services, installation)
    results = fan_out(req.devices, services, ctx, lambda backend, device: backend.refresh(
        device.external_id, ctx))
    return schema.state_refresh_response(req.request_id, results)


def command(req: InboundRequest, services: Services) -> dict:
    installation = authenticate(req, services)
    ctx = context(req, services, installation)
    results = fan_out(req.devices, services, ctx, lambda backend, device: run_commands(
        backend, device, ctx))

    # The account's other installations learn the new states by callback; this one
    # has them in its commandResponse.
    publish_command_results(services, installation.account_id, installation.id, results)
    return schema.command_response(req.request_id, results)


def run_commands(backend, device: DeviceRequest, ctx: CallContext) -> DeviceResult:
    """Check every command against its capability before the partner hears of any."""
    try:
        checked = tuple(capabilities.validate_command(c) for c in device.commands)
    except capabilities.CapabilityError as exc:
        return DeviceResult.failed(device.external_id, exc.enum, exc.detail)
    return backend.command(DeviceRequest(device.external_id, device.cookie, checked), ctx)


def grant_callback_access(req: InboundRequest, services: Services) -> dict:
    installation = authenticate(req, services)
    settings = services.settings
    client_id = str((req.callback_authentication or {}).get("clientId", ""))
    if not settings.st_client_id or not hmac.compare_digest(
            client_id.encode(), settings.st_client_id.encode()):
        raise GlobalError(GlobalErrorEnum.INVALID_CLIENT, "clientId does not match this connector")
    urls = req.callback_urls or {}
    for name in ("oauthToken", "stateCallback"):
        if not is_allowed(urls.get(name), settings.callback_allowed_hosts):
            log.warning("callback URL refused: host not allow-listed", url_field=name)
            raise GlobalError(GlobalErrorEnum.BAD_REQUEST, f"callbackUrls.{name} is not an allowed host")
    services.accounts.store_callback_grant(
        installation.id, code=req.callback_authentication["code"],
        callback_urls={"oauthToken": urls["oauthToken"], "stateCallback": urls["stateCallback"]})

    request_exchange(services, installation.id)  # the code may be short-lived: a high-priority job
    log.info("callback access granted")
    return schema.echo_response(req.interaction_type, req.request_id)


def integration_deleted(req: InboundRequest, services: Services) -> dict:
    """Idempotent: an unknown, expired or already removed token still succeeds."""
    # Even an already removed installation is forgotten again: a retry after a failure
    # part-way (the partner unlink, Redis) finishes the job.
    installation = services.accounts.resolve_any(req.token, removed=True)
    if installation is None:
        log.info("integrationDeleted for a token we do not know")
    else:
        logs.bind_request(account=installation.account_id, installation=installation.id)
        forget_installation(services, installation)
    return schema.echo_response(req.interaction_type, req.request_id)


def interaction_result(req: InboundRequest, services: Services) -> dict:
    """SmartThings' verdict on something we sent: log it loudly, never answer with an error."""
    try:
        if req.token:
            authenticate(req, services)
    except AuthError:
        pass  # authentication is optional here and its failure changes nothing
    log.warning("interactionResult from SmartThings",
                originatingInteractionType=req.originating_interaction_type,
                globalError=req.global_error, deviceErrors=list(req.device_errors))
    return schema.echo_response(req.interaction_type, req.request_id)


HANDLERS: dict[str, Callable[[InboundRequest, Services], dict]] = {
    "discoveryRequest": discovery,
    "stateRefreshRequest": state_refresh,
    "commandRequest": command,
    "grantCallbackAccess": grant_callback_access,
    "integrationDeleted": integration_deleted,
    "interactionResult": interaction_result,
}


# -- the fan-out ----------------------------------------------------------------------


def fan_out(devices, services: Services, ctx: CallContext, call) -> list[DeviceResult]:
    """Run ``call(backend, device)`` for every device concurrently, answering by the deadline.

    Results keep the request's order. A device whose backend is unknown or not linked
    is DEVICE-DELETED; a partner error or a crash is that device's error alone.
    """
    pending: dict[str, Future] = {}
    results: dict[str, DeviceResult] = {}
    for device in devices:
        backend = services.backends.get(backend_of(device.external_id))
        if backend is None or not backend.is_linked(ctx.account_id):
            results[device.external_id] = DeviceResult.failed(
                device.external_id, DeviceErrorEnum.DEVICE_DELETED, "device is not in this account")
        elif device.external_id not in pending:
            pending[device.external_id] = submit(services, call, backend, device)
    wait(pending.values(), timeout=ctx.remaining())

    expired = 0
    for external_id, future in pending.items():
        try:
            result = _result(future)
        except LinkExpired as exc:
            expired += 1
            result = DeviceResult.failed(external_id, *_as_device_error(exc))
        except PartnerError as exc:
            result = DeviceResult.failed(external_id, *_as_device_error(exc))
        except TimeoutError:
            result = DeviceResult.failed(external_id, DeviceErrorEnum.DEVICE_UNAVAILABLE,
                                         "the partner cloud did not answer in time")
        except Exception:  # a bug for one device must not sink its neighbours
            log.exception("device call crashed", device=external_id)
            result = DeviceResult.failed(external_id, DeviceErrorEnum.DEVICE_UNAVAILABLE,
                                         "internal error")
        results[external_id] = _checked(result)
    if pending and expired == len(pending):
        raise GlobalError(GlobalErrorEnum.TOKEN_EXPIRED, "partner account must be linked again")
    return [results[d.external_id] for d in _unique(devices)]


def submit(services: Services, fn, *args) -> Future:
    """Run ``fn`` on the shared pool with this request's log context."""
    return services.pool.submit(contextvars.copy_context().run, fn, *args)


def _result(future: Future):
    if not future.done():
        future.cancel()
        raise TimeoutError
    return future.result()


def _as_device_error(exc: PartnerError) -> tuple[str, str]:
    error = device_error_for(exc)
    return error.enum, error.detail


def _checked(result: DeviceResult) -> DeviceResult:
    """Drop (and log) any state that SmartThings would reject; never emit an invalid one."""
    valid = []
    for state in result.states:
        try:
            capabilities.validate_state(state)
        except capabilities.InvalidState as exc:
            log.error("dropping invalid state", device=result.external_id, state=state.key,
                      problem=str(exc))
        else:
            valid.append(state)
    result.states = valid
    return result


def _unique(devices):
    seen = set()
    for device in devices:
        if device.external_id not in seen:
            seen.add(device.external_id)
            yield device
