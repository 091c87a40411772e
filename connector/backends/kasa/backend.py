"""The Kasa backend: ties the Kasa client, the account's tokens and the pure mapping.

One method per thing interactions ask; each works on one device, and interactions run
them concurrently under the request's deadline. Kasa's answers become states through
``mapping``; Kasa's failures stay exceptions from ``backends.base`` except where this
module knows more (an offline device still reports ``healthStatus: offline``).
"""
from __future__ import annotations

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
from connector.backends.kasa import mapping
from connector.backends.kasa.client import KasaClient
from connector.backends.kasa.oauth import KasaOAuth
from connector.backends.kasa.transport import new_session
from connector.model import MAPPING_ERRORS, Device, DeviceErrorEnum, DeviceRequest, DeviceResult
from connector.oauth.tokens import StoredTokens
from connector.settings import Settings

OFFLINE = "device is offline"

log = logs.get_logger(__name__)


class KasaBackend:
    name = mapping.NAMESPACE

    def __init__(self, settings: Settings, accounts: Accounts, session: requests.Session | None = None):
        self.settings = settings
        self.accounts = accounts
        # Enough keep-alive connections for every fan-out thread of this process.
        self.session = session or new_session(settings.fanout_workers)
        self.oauth = KasaOAuth(settings.kasa_oauth_url, settings.kasa_client_id,
                               settings.kasa_client_secret, session=self.session)

    def client(self, account_id: str) -> KasaClient:
        tokens = StoredTokens(self.accounts, account_id, self.name, self.oauth)
        return KasaClient(self.settings.kasa_api_url, self.settings.kasa_api_key,
                          self.settings.kasa_client_id, tokens, session=self.session)

    def is_linked(self, account_id: str) -> bool:
        return self.accounts.has_link(account_id, self.name)

    # -- interactions -------------------------------------------------------------------

    def discover(self, ctx: CallContext) -> list[Device]:
        data = self.client(ctx.account_id).list_devices(request_id=ctx.request_id, deadline=ctx.deadline)
        devices = []
        for raw in data["devices"]:
            try:
                devices.append(mapping.to_device(raw))
            except MAPPING_ERRORS as exc:  # one odd device must not hide the rest
                log.warning("skipping a Kasa device we cannot map", error=str(exc))
        return devices

    def refresh(self, external_id: str, ctx: CallContext) -> DeviceResult:
        kasa_id = self._kasa_id(external_id)
        if kasa_id is None:
            return _deleted(external_id)
        client = self.client(ctx.account_id)
        try:
            return DeviceResult(external_id, self._read_states(client, kasa_id, ctx))
        except DeviceOffline as exc:
            return _offline(external_id, exc.detail)

    def command(self, request: DeviceRequest, ctx: CallContext) -> DeviceResult:
        external_id = request.external_id
        kasa_id = self._kasa_id(external_id)
        if kasa_id is None:
            return _deleted(external_id)
        client = self.client(ctx.account_id)
        kw = {"request_id": ctx.request_id, "deadline": ctx.deadline}
        try:
            # Planning needs the device's traits, range and current colour: read first.
            info = client.device_info(kasa_id, **kw)
            try:
                plan = mapping.plan_commands(info, request.commands)
            except mapping.MappingError as exc:
                return DeviceResult.failed(external_id, exc.enum, exc.detail)
            done = []
            for call in plan.calls:
                try:
                    getattr(client, call.method)(**call.kwargs, **kw)
                except PartnerError as exc:
                    if isinstance(exc, LinkExpired) or not done:
                        raise
                    # Part of the plan happened: report what did, and the failure.
                    result = _failed(external_id, exc)
                    result.states = mapping.predicted_states(info, done)
                    return result
                done.append(call)
            if plan.refresh:
                return DeviceResult(external_id, self._read_states(client, kasa_id, ctx))
            return DeviceResult(external_id, mapping.predicted_states(info, done))
        except DeviceOffline as exc:
            return _offline(external_id, exc.detail)

    # -----------------------------------------------------------------------------------

    def _read_states(self, client: KasaClient, kasa_id: str, ctx: CallContext):
        kw = {"request_id": ctx.request_id, "deadline": ctx.deadline}
        info = client.device_info(kasa_id, **kw)
        device = info.get("device") or {}
        if device.get("online") is False:
            raise DeviceOffline(OFFLINE)
        realtime = None
        if mapping.reports_energy(device):
            try:
                realtime = client.realtime_energy(kasa_id, **kw)
            except LinkExpired:
                raise
            except PartnerError as exc:  # power is a bonus; the switch state still counts
                log.info("real-time energy unavailable", device=kasa_id, error=exc.detail)
        return mapping.to_states(info, realtime)

    @staticmethod
    def _kasa_id(external_id: str) -> str | None:
        try:
            return mapping.device_id(external_id)
        except ValueError:
            return None


def _deleted(external_id: str) -> DeviceResult:
    return DeviceResult.failed(external_id, DeviceErrorEnum.DEVICE_DELETED, "device is not in this account")


def _offline(external_id: str, detail: str) -> DeviceResult:
    return DeviceResult.failed(external_id, DeviceErrorEnum.DEVICE_UNAVAILABLE, detail or OFFLINE,
                               mapping.health_state(False))


def _failed(external_id: str, exc: PartnerError) -> DeviceResult:
    error = device_error_for(exc)
    return DeviceResult.failed(external_id, error.enum, error.detail)
