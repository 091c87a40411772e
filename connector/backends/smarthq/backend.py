"""The SmartHQ backend: ties the Digital Twin client, the account's tokens and the
pure mapping.

One method per thing interactions ask; each works on one device, and interactions run
them concurrently under the request's deadline. SmartHQ applies commands
asynchronously (smarthq-api.md §2.4): a command answer only says SmartHQ accepted it,
so ``command`` reports the state the appliance should reach and the event listener
confirms or corrects it when ``pubsub#service`` arrives.
"""
from __future__ import annotations

import threading
import time
from typing import Callable

import requests

from connector import logs
from connector.accounts import Accounts
from connector.backends.base import (
    CallContext,
    DeviceOffline,
    LinkExpired,
    PartnerError,
    device_error_for,
)
from connector.backends.smarthq import mapping
from connector.backends.smarthq.client import SmartHQClient
from connector.backends.smarthq.oauth import SmartHQOAuth
from connector.backends.smarthq.transport import new_session
from connector.model import MAPPING_ERRORS, Device, DeviceErrorEnum, DeviceRequest, DeviceResult
from connector.oauth.tokens import StoredTokens
from connector.settings import Settings

OFFLINE = "the appliance is offline"

log = logs.get_logger(__name__)


class SmartHQBackend:
    name = mapping.NAMESPACE

    def __init__(self, settings: Settings, accounts: Accounts,
                 session: requests.Session | None = None, *,
                 clock: Callable[[], float] = time.time):
        self.settings = settings
        self.accounts = accounts
        # Enough keep-alive connections for every fan-out thread of this process.
        self.session = session or new_session(settings.fanout_workers)
        self.oauth = SmartHQOAuth(settings.smarthq_oauth_url, settings.smarthq_client_id,
                                  settings.smarthq_client_secret, session=self.session)
        self.clock = clock
        self._warned: set[str] = set()
        self._warn_lock = threading.Lock()

    def client(self, account_id: str) -> SmartHQClient:
        tokens = StoredTokens(self.accounts, account_id, self.name, self.oauth)
        return SmartHQClient(self.settings.smarthq_api_url, tokens, session=self.session)

    def is_linked(self, account_id: str) -> bool:
        return self.accounts.has_link(account_id, self.name)

    # -- interactions -------------------------------------------------------------------

    def discover(self, ctx: CallContext) -> list[Device]:
        entries = self.client(ctx.account_id).list_devices(request_id=ctx.request_id,
                                                           deadline=ctx.deadline)
        devices = []
        for entry in entries:
            try:
                devices.append(mapping.to_device(entry, self.settings.smarthq_profile_ids))
            except MAPPING_ERRORS as exc:  # one odd entry must not hide the rest
                log.warning("skipping a SmartHQ device we cannot map", error=str(exc))
                continue
            self._warn_placeholder(entry)
        return devices

    def refresh(self, external_id: str, ctx: CallContext) -> DeviceResult:
        smarthq_id = self._smarthq_id(external_id)
        if smarthq_id is None:
            return _deleted(external_id)
        try:
            item = self.client(ctx.account_id).device(smarthq_id, request_id=ctx.request_id,
                                                      deadline=ctx.deadline)
        except DeviceOffline as exc:  # 412: SmartHQ knows it is offline, so say so
            return _offline(external_id, exc.detail)
        return self._current(external_id, item)

    def command(self, request: DeviceRequest, ctx: CallContext) -> DeviceResult:
        external_id = request.external_id
        smarthq_id = self._smarthq_id(external_id)
        if smarthq_id is None:
            return _deleted(external_id)
        client = self.client(ctx.account_id)
        kw = {"request_id": ctx.request_id, "deadline": ctx.deadline}
        # Planning needs supportedCommands, disabled flags and config: read first.
        try:
            item = client.device(smarthq_id, **kw)
        except DeviceOffline as exc:
            return _offline(external_id, exc.detail)
        if not mapping.appliance(item).online:
            return _offline(external_id, OFFLINE)
        try:
            plan = mapping.plan_commands(item, request.commands)
        except mapping.MappingError as exc:
            return DeviceResult.failed(external_id, exc.enum, exc.detail)
        if not plan.commands:
            return self._current(external_id, item)  # refresh, or nothing to change
        done = []
        for service_command in plan.commands:
            try:
                answer = client.send_command(**service_command.kwargs(), **kw)
            except DeviceOffline as exc:
                return _offline(external_id, exc.detail)
            except PartnerError as exc:
                if isinstance(exc, LinkExpired):
                    raise
                # Whatever SmartHQ accepted before the failure still happens: report it.
                error = device_error_for(exc)
                states = mapping.predicted_states(item, done, self.clock()) if done else []
                return DeviceResult.failed(external_id, error.enum, error.detail, *states)
            log.info("smarthq command accepted", device=smarthq_id,
                     commandType=service_command.command_type,
                     correlationId=answer.get("correlationId"))
            done.append(service_command)
        return DeviceResult(external_id, mapping.predicted_states(item, done, self.clock()))

    # -----------------------------------------------------------------------------------

    def _current(self, external_id: str, item: dict) -> DeviceResult:
        if not mapping.appliance(item).online:
            return _offline(external_id, OFFLINE)
        return DeviceResult(external_id, mapping.to_states(item, self.clock()))

    def _warn_placeholder(self, entry: dict) -> None:
        handler = mapping.handler_type(entry, self.settings.smarthq_profile_ids)
        if not handler.placeholder:
            return
        with self._warn_lock:  # once per kind and process: discovery runs often
            if handler.kind in self._warned:
                return
            self._warned.add(handler.kind)
        log.warning("no device profile id configured for this appliance kind: discovery "
                    "sends a placeholder (register config/profiles/<kind>.json and set "
                    "SMARTHQ_PROFILE_IDS)", kind=handler.kind, placeholder=handler.profile_id)

    @staticmethod
    def _smarthq_id(external_id: str) -> str | None:
        try:
            return mapping.device_id(external_id)
        except ValueError:
            return None


def _deleted(external_id: str) -> DeviceResult:
    return DeviceResult.failed(external_id, DeviceErrorEnum.DEVICE_DELETED,
                               "device is not in this account")


def _offline(external_id: str, detail: str) -> DeviceResult:
    return DeviceResult.failed(external_id, DeviceErrorEnum.DEVICE_UNAVAILABLE, detail or OFFLINE,
                               mapping.health_state(False))
