"""SmartHQCloud: the whole state of the simulated cloud, and the knobs to steer it.

One instance is shared by the HTTP threads, the socket threads, the ticker that runs
appliances and the test (or another process through ``/__sim``). Everything goes
through ``self.lock``. It is also the ``Context`` appliances change the world through:
``set_state`` is the one place a service changes, so every change is timed by the
clock, kept in the service's history and published as exactly one ``pubsub#service``.
"""
from __future__ import annotations

import copy
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable
from urllib.parse import urlsplit

from connector.sandbox.server import is_loopback

from . import catalog, events, names
from .accounts import SimUser, device_ids, user_id_for
from .appliances import AlertRecord, Appliance
from .clock import Scheduler, SimClock, iso
from .commands import generic_changes, validate
from .errors import OFFLINE_REASON, ApiError, OAuthError, SimError, bad_request
from .events import Bus, Listener
from .faults import DEFAULT_RATE_LIMIT, Faults, FailRule
from .recording import Recorder, RecordedRequest
from .tokens import KEEP, OMIT, ROTATE, ROTATIONS, TokenStore

ACCESS_TOKEN_TTL = 3600  # §1.3
CODE_TTL = 600  # §1.2: the authorization code lives 600 s
DEFAULT_CLIENT_ID = "smarthq-sim-client-id"
DEFAULT_CLIENT_SECRET = "smarthq-sim-client-secret"
COMMAND_DELAY = 0.2  # simulated seconds between a command's 200 and its effect
COMMAND_TIMEOUT = 20.0  # wall seconds a timed-out command holds its POST (GE-HA: 20 s)
WS_IDLE_TIMEOUT = 300.0  # wall seconds without a client message before a socket is closed
OUTCOME_UNKNOWN = f"{names.ROOT}.outcome.unknown"  # a timeout not yet decided


@dataclass
class CommandRecord:
    correlation_id: str
    user_id: str
    client_id: str
    command: dict
    created: float
    outcomes: list[dict] = field(default_factory=list)


class SmartHQCloud:
    """Accounts, appliances, tokens, commands, listeners, faults and recorded requests.

    Args:
        client_id, client_secret: the one registered OAuth app.
        access_ttl: access-token lifetime (the document's 3600 s).
        refresh_ttl: refresh-token lifetime; None (the default: undocumented) = forever.
        redirect_uris: registered redirect URIs (exact match); None accepts any
            http(s) URI, for a sandbox whose connector URL is known only at run time.
        refresh_rotation: what a refresh grant does to the refresh token: ``rotate``
            (new one, old one revoked), ``keep`` (same one back) or ``omit`` (none in
            the answer; the old one stays valid).
        refresh_error: the ``error`` for a bad refresh token (undocumented: the
            document says ``invalid_request`` or ``invalid_grant``).
        clock: a SimClock (default: wall time, speed 1).
        command_delay: simulated seconds before an accepted command takes effect.
        command_timeout: wall seconds an injected timeout outcome keeps the POST waiting.
        rate_limit: requests per minute per app per user (None: unlimited).
        ws_idle_timeout: wall seconds of client silence before a socket is closed.
    """

    def __init__(self, *, client_id: str = DEFAULT_CLIENT_ID,
                 client_secret: str = DEFAULT_CLIENT_SECRET, client_name: str = "SmartThings",
                 access_ttl: float = ACCESS_TOKEN_TTL, refresh_ttl: float | None = None,
                 code_ttl: float = CODE_TTL, redirect_uris: Iterable[str] | None = None,
                 refresh_rotation: str = ROTATE, refresh_error: str = "invalid_grant",
                 clock: SimClock | None = None, command_delay: float = COMMAND_DELAY,
                 command_timeout: float = COMMAND_TIMEOUT,
                 rate_limit: int | None = DEFAULT_RATE_LIMIT,
                 ws_idle_timeout: float | None = WS_IDLE_TIMEOUT,
                 permissions: Iterable[str] = names.PERMISSIONS, max_recorded: int = 10_000):
        if refresh_rotation not in ROTATIONS:
            raise SimError(f"refresh_rotation must be one of {ROTATIONS}")
        self.lock = threading.RLock()
        self.client_id, self.client_secret, self.client_name = client_id, client_secret, client_name
        self.access_ttl, self.refresh_ttl, self.code_ttl = access_ttl, refresh_ttl, code_ttl
        self.redirect_uris = None if redirect_uris is None else set(redirect_uris)
        self.refresh_rotation, self.refresh_error = refresh_rotation, refresh_error
        self.clock = clock or SimClock()
        self.scheduler = Scheduler(self.clock)
        self.command_delay, self.command_timeout = command_delay, command_timeout
        self.ws_idle_timeout = ws_idle_timeout
        self.random_drop_seconds: float | None = None
        self.permissions = set(permissions)
        self.users: dict[str, SimUser] = {}
        self._owner: dict[str, str] = {}  # device id -> username
        self.tokens = TokenStore()
        self.faults = Faults(rate_limit)
        self.recorder = Recorder(max_recorded)
        self.socket_log: deque[dict] = deque(maxlen=max_recorded)  # what clients sent on sockets
        self.bus = Bus()
        self.commands: dict[str, CommandRecord] = {}
        self.callback_url: str | None = None
        self.deliveries: list[dict] = []  # HTTPS callback attempts
        self.gateway_tokens: list[str] = []

    # -- time -------------------------------------------------------------------------

    def now(self) -> float:
        return self.clock.now()

    def run_due(self) -> int:
        """Run the appliance work that is due (the ticker calls this continuously)."""
        with self.lock:
            return self.scheduler.run_due()

    def advance(self, seconds: float) -> int:
        """Knob: move simulated time forward, running every tick on the way (a cycle
        finishes, tokens expire). Returns how many tasks ran."""
        if seconds < 0:
            raise SimError("time only moves forward")
        with self.lock:
            return self.scheduler.advance(seconds)

    def set_speed(self, speed: float) -> None:
        """Knob: simulated seconds per wall second (60 = a wash cycle in about 35 s)."""
        with self.lock:
            try:
                self.clock.speed = speed
            except ValueError as exc:
                raise SimError(str(exc)) from None

    # -- Context (what appliances call) ---------------------------------------------------

    def set_state(self, dev: Appliance, svc, **changes: Any) -> None:
        changed = {k: v for k, v in changes.items() if k not in svc.state or svc.state[k] != v}
        if not changed:
            return
        previous = copy.deepcopy(svc.state)
        svc.state.update(copy.deepcopy(changed))
        now = self.now()
        svc.last_state = svc.last_sync = dev.last_sync = now
        svc.history.append((now, copy.deepcopy(svc.state)))
        self.bus.publish(dev.user_id, events.service_event(dev, svc, previous))

    def after(self, delay: float, run: Callable[[], None], key: str) -> None:
        self.scheduler.after(delay, run, key)

    def cancel(self, key: str) -> None:
        self.scheduler.cancel(key)

    def alert(self, dev: Appliance, alert_type: str, services=()) -> None:
        now = self.now()
        dev.alerts.append(AlertRecord(str(uuid.uuid4()), alert_type, now))
        self.bus.publish(dev.user_id, events.alert_event(dev, alert_type, now, list(services)))

    # -- accounts -----------------------------------------------------------------------

    def create_user(self, username: str, password: str,
                    appliances: Iterable[str | dict] | None = None) -> SimUser:
        """A SmartHQ account with ``appliances`` (kind names, or dicts with ``kind`` and
        add_appliance's options), or the default set when None."""
        with self.lock:
            if username in self.users:
                raise SimError(f"user {username!r} exists")
            user = SimUser(username, password, user_id_for(username))
            self.users[username] = user
            try:
                items = appliances if appliances is not None else [
                    {"kind": kind, **extra} for kind, extra in catalog.DEFAULT_APPLIANCES]
                for item in items:
                    spec = {"kind": item} if isinstance(item, str) else dict(item)
                    self.add_appliance(user, spec.pop("kind"), **spec)
            except Exception:
                for dev_id in list(user.devices):
                    self._forget(dev_id)
                del self.users[username]
                raise
            return user

    def user(self, user: SimUser | str) -> SimUser:
        with self.lock:
            name = user.username if isinstance(user, SimUser) else user
            if name not in self.users:
                raise SimError(f"no user {name!r}")
            return self.users[name]

    def authenticate(self, username: str, password: str) -> SimUser | None:
        with self.lock:
            user = self.users.get(username)
            return user if user is not None and user.password == password else None

    # -- OAuth --------------------------------------------------------------------------

    def issue_tokens(self, user: SimUser | str, access_ttl: float | None = None
                     ) -> tuple[str, str, int]:
        """Mint (access_token, refresh_token, expires_in) as if the user had linked."""
        with self.lock:
            user = self.user(user)
            ttl = self.access_ttl if access_ttl is None else access_ttl
            access, refresh, expires_in = self.tokens.issue(
                user.username, self.client_id, self.now(), ttl, self.refresh_ttl)
            return access, refresh, expires_in

    def redirect_allowed(self, uri: str) -> bool:
        if self.redirect_uris is not None:
            return uri in self.redirect_uris
        return uri.startswith(("http://", "https://"))

    def new_code(self, user: SimUser, client_id: str, redirect_uri: str, offline: bool) -> str:
        with self.lock:
            return self.tokens.new_code(user.username, client_id, redirect_uri, offline,
                                        self.now(), self.code_ttl)

    def check_client(self, client_id: str, client_secret: str) -> None:
        if client_id != self.client_id:
            raise OAuthError("invalid_request", "ClientId is Invalid", 401)
        if client_secret != self.client_secret:
            raise OAuthError("invalid_request", "ClientSecret is Invalid", 401)

    def token_grant(self, grant_type: str, params: dict[str, str]) -> dict[str, Any]:
        """The token endpoint's answer for present parameters; raises OAuthError."""
        with self.lock:
            self.check_client(params["client_id"], params["client_secret"])
            now = self.now()
            keep, with_refresh = None, True
            if grant_type == "authorization_code":
                code = self.tokens.redeem_code(params["code"], params["client_id"],
                                               params["redirect_uri"], now)
                username, with_refresh = code.username, code.offline
            else:
                old = params["refresh_token"]
                found = self.tokens.use_refresh(old, params["client_id"], now,
                                                revoke=self.refresh_rotation == ROTATE,
                                                error=self.refresh_error)
                username = found.username
                keep = old if self.refresh_rotation == KEEP else None
                with_refresh = self.refresh_rotation != OMIT
            if username not in self.users:
                raise OAuthError(self.refresh_error, "The account no longer exists")
            access, refresh, expires_in = self.tokens.issue(
                username, params["client_id"], now, self.access_ttl, self.refresh_ttl,
                with_refresh=with_refresh, keep_refresh=keep)
            answer = {"token_type": "Bearer", "expires_in": expires_in, "access_token": access}
            if refresh is not None:
                answer["refresh_token"] = refresh
            return answer

    def bearer(self, token: str) -> tuple[SimUser, Any] | None:
        """(user, AccessToken) of a live access token, else None."""
        with self.lock:
            found = self.tokens.valid_access(token, self.now())
            user = self.users.get(found.username) if found else None
            return (user, found) if user else None

    def expire_token(self, access_token: str) -> None:
        """Knob: this access token is expired from now on (401; its sockets close)."""
        with self.lock:
            if not self.tokens.expire_access(access_token, self.now()):
                raise SimError("unknown access token")

    def expire_tokens(self, user: SimUser | str) -> int:
        """Knob: every live access token of the user expires now; returns how many."""
        with self.lock:
            return self.tokens.expire_user(self.user(user).username, self.now())

    def revoke_refresh_token(self, refresh_token: str) -> None:
        """Knob: the refresh grant now refuses this token (the re-link path)."""
        with self.lock:
            if not self.tokens.revoke_refresh(refresh_token):
                raise SimError("unknown refresh token")

    def revoke_refresh_tokens(self, user: SimUser | str) -> int:
        """Knob: every refresh token of the user is refused from now on."""
        with self.lock:
            return self.tokens.revoke_user_refresh(self.user(user).username)

    def set_refresh_rotation(self, mode: str) -> None:
        """Knob: ``rotate``, ``keep`` or ``omit`` (see the class docstring)."""
        if mode not in ROTATIONS:
            raise SimError(f"refresh rotation must be one of {ROTATIONS}")
        with self.lock:
            self.refresh_rotation = mode

    def set_permissions(self, permissions: Iterable[str]) -> None:
        """Knob: what the app's policy grants (§1.2); a missing one answers 403."""
        perms = set(permissions)
        unknown = perms - set(names.PERMISSIONS)
        if unknown:
            raise SimError(f"unknown permissions {sorted(unknown)}")
        with self.lock:
            self.permissions = perms

    # -- appliances ---------------------------------------------------------------------

    def add_appliance(self, user: SimUser | str, kind: str, *, nickname: str | None = None,
                      id: str | None = None, presence: str = "ONLINE", room: str | None = None,
                      state: dict | None = None) -> Appliance:
        """Knob: an appliance joins the account (as if commissioned in the SmartHQ app);
        ``state`` maps serviceIds or "sdt/serviceType/domainType" short triples to
        partial states. Publishes ``pubsub#device`` ``added``."""
        with self.lock:
            user = self.user(user)
            try:
                spec = catalog.lookup(kind)
            except KeyError as exc:
                raise SimError(exc.args[0]) from None
            if presence not in names.PRESENCE:
                raise SimError(f"presence must be one of {names.PRESENCE}")
            ids = device_ids(user.username, user.next_slot)
            user.next_slot += 1
            dev_id = id or ids.pop("device_id")
            ids.pop("device_id", None)
            if dev_id in self._owner:
                raise SimError(f"device id {dev_id} exists")
            now = self.now()
            dev = Appliance(dev_id, user.user_id, kind, names.device(spec.device_type),
                            nickname or spec.nickname, spec.model, brand=spec.brand,
                            manufacturer="GEA", room=room or spec.room, created=now,
                            removable=spec.removable, alert_types=list(spec.alert_types),
                            presence=presence, last_sync=now, last_presence=now, **ids)
            dev.services = spec.services()
            for svc in dev.services:
                svc.bind(dev_id, now)
            dev.units = spec.units(dev)
            dev.presence_history.append((now, presence))
            user.devices[dev_id] = dev
            self._owner[dev_id] = user.username
            for key, partial in (state or {}).items():
                self.set_state(dev, self._service(dev, key), **partial)
            for unit in dev.units:
                unit.attach(self)
            self.bus.publish(user.user_id, events.device_event(dev, events.DEVICE_ADDED, True))
            return dev

    def update_appliance(self, device_id: str, *, nickname: str | None = None,
                         room: str | None = None) -> None:
        """Knob: the user renames or moves the appliance in the SmartHQ app; publishes
        ``pubsub#device`` ``updated``."""
        with self.lock:
            dev = self.device(device_id)
            dev.nickname = nickname if nickname is not None else dev.nickname
            dev.room = room if room is not None else dev.room
            dev.last_sync = self.now()
            self.bus.publish(dev.user_id, events.device_event(dev, events.DEVICE_UPDATED, True))

    def remove_appliance(self, device_id: str) -> None:
        """Knob: the appliance leaves the account (404 from then on); publishes
        ``pubsub#device`` ``removed``."""
        with self.lock:
            dev = self.device(device_id)
            self._forget(device_id)
            self.bus.publish(dev.user_id, events.device_event(dev, events.DEVICE_REMOVED, False))

    def _forget(self, device_id: str) -> None:
        username = self._owner.pop(device_id)
        self.users[username].devices.pop(device_id, None)
        self.scheduler.cancel_prefix(device_id + "/")
        for listener in self.bus.listeners.values():
            listener.devices.pop(device_id, None)

    def device(self, device_id: str) -> Appliance:
        """Any user's appliance, for knobs and tests."""
        with self.lock:
            if device_id not in self._owner:
                raise SimError(f"no device {device_id}")
            return self.users[self._owner[device_id]].devices[device_id]

    def devices_of(self, user: SimUser | str, kind: str | None = None) -> list[Appliance]:
        with self.lock:
            return [d for d in self.user(user).devices.values() if kind in (None, d.kind)]

    def owned(self, user: SimUser, device_id: str) -> Appliance:
        """The API's lookup: 404 for an unknown device, 403 for another user's."""
        with self.lock:
            dev = user.devices.get(device_id)
            if dev is not None:
                return dev
            if device_id in self._owner:
                raise ApiError(403, "Device does not belong to this user")
            raise ApiError(404, f"Device {device_id} not found")

    def _service(self, dev: Appliance, key: str):
        """A service by id or by "sdt/serviceType/domainType" short names."""
        found = dev.by_id(key)
        if found is None and key.count("/") == 2:
            sdt, stype, dom = key.split("/")
            found = dev.find(names.service(stype), names.domain(dom), names.device(sdt))
        if found is None:
            raise SimError(f"{dev.device_id} has no service {key!r}")
        return found

    def set_presence(self, device_id: str, presence: str = "ONLINE") -> None:
        """Knob: the appliance goes OFFLINE/UNKNOWN or comes back ONLINE
        (``pubsub#presence``; commands to it answer 412 while it is not ONLINE)."""
        if presence not in names.PRESENCE:
            raise SimError(f"presence must be one of {names.PRESENCE}")
        with self.lock:
            dev = self.device(device_id)
            if dev.presence == presence:
                return
            now = self.now()
            dev.presence, dev.last_presence, dev.last_sync = presence, now, now
            dev.presence_history.append((now, presence))
            self.bus.publish(dev.user_id, events.presence_event(dev))

    def set_remote_control(self, device_id: str, enabled: bool = True,
                           sub_device: str | None = None) -> None:
        """Knob: the user enables (or disables) remote control on the panel: arms
        Remote Start on a washer/dryer, enables remote start on the dishwasher, the
        oven's remote enable; elsewhere it flips ``disabled`` of commandable services."""
        with self.lock:
            dev = self.device(device_id)
            wanted = None if sub_device is None else names.device(sub_device)
            units = [u for u in dev.units if wanted in (None, u.sdt)]
            plain = [s for s in dev.services if s.supported_commands
                     and wanted in (None, s.service_device_type)]
            if not units and not plain:
                raise SimError(f"{dev.device_id} has nothing to control on {sub_device!r}")
            handled = [u.set_remote(self, enabled) for u in units]
            if not any(handled):
                for svc in plain:
                    self.set_state(dev, svc, disabled=not enabled)

    def start_cycle(self, device_id: str, sub_device: str | None = None, **options: Any) -> None:
        """Knob: the user starts a cycle on the panel (washer/dryer/dishwasher ``cycle``;
        oven ``mode``, ``fahrenheit``, ``cook_time_seconds``)."""
        with self.lock:
            dev = self.device(device_id)
            units = self._units(dev, sub_device)
            try:
                started = [u.panel_start(self, **options) for u in units[:1]]
            except ValueError as exc:
                raise SimError(str(exc)) from None
            if not any(started):
                raise SimError(f"{dev.kind} has no cycle to start")

    def _units(self, dev: Appliance, sub_device: str | None):
        units = [u for u in dev.units if sub_device is None or u.sdt == names.device(sub_device)]
        if sub_device is not None and not units:
            raise SimError(f"{dev.device_id} has no sub-device {sub_device!r}")
        return units

    def change_state(self, device_id: str, service: str, state: dict) -> dict:
        """Knob: a change made in the SmartHQ app or at the appliance (a door opens, a
        setpoint is turned): ``service`` is a serviceId or "sdt/serviceType/domainType"
        (short names, e.g. "refrigerator/door/door"). Returns the new state."""
        with self.lock:
            dev = self.device(device_id)
            svc = self._service(dev, service)
            if not isinstance(state, dict) or not state:
                raise SimError("state must be a non-empty object")
            self.set_state(dev, svc, **state)
            return copy.deepcopy(svc.state)

    def fire_alert(self, device_id: str, alert_type: str) -> None:
        """Knob: the appliance raises an alert (short names are expanded)."""
        with self.lock:
            dev = self.device(device_id)
            full = alert_type if alert_type.startswith(names.ROOT) else names.alert(alert_type)
            self.alert(dev, full, [])

    def clear_alert(self, dev: Appliance, alert_type: str) -> int:
        """Mark the appliance's open alerts of this type cleared; returns how many."""
        with self.lock:
            now, hits = self.now(), 0
            for record in dev.alerts:
                if record.alert_type == alert_type and not record.clear:
                    record.clear, record.clear_time, hits = True, now, hits + 1
            return hits

    # -- commands -----------------------------------------------------------------------

    def send_command(self, user: SimUser, client_id: str, body: Any) -> dict[str, Any]:
        """``POST /v2/command``: checks, then the 200 answer; the effect follows after
        ``command_delay``. An injected timeout holds the answer ``command_timeout``."""
        with self.lock:
            dev, svc, command_type, params = self._check_command(user, body)
            command = {"commandType": command_type, **params}
            record = CommandRecord(str(uuid.uuid4()), user.user_id, client_id, command, self.now())
            self.commands[record.correlation_id] = record
            unit = dev.unit_for(svc)
            disabled = unit.is_disabled(svc) if unit else svc.disabled
            injected = self.faults.command_outcomes.popleft() if self.faults.command_outcomes else None
            if disabled or injected == names.OUTCOME_DISABLED:
                self._outcome(record, dev, svc, names.OUTCOME_DISABLED)
                return self._command_answer(record, False, names.OUTCOME_DISABLED)
            if injected == names.OUTCOME_TIMEOUT:
                outcome = self._outcome(record, dev, svc, OUTCOME_UNKNOWN, publish=False)
            else:
                self._outcome(record, dev, svc, names.OUTCOME_SUCCESS, publish=False)
                self._schedule_effect(record, dev, svc, command_type, params)
                return self._command_answer(record, True, names.OUTCOME_SUCCESS)
        time.sleep(self.command_timeout)  # outside the lock: the cloud waits on the device
        with self.lock:
            outcome.update(outcome=names.OUTCOME_TIMEOUT, outcomeDateTime=iso(self.now()))
            self._publish_outcome(record, dev, svc, names.OUTCOME_TIMEOUT)
        return self._command_answer(record, False, names.OUTCOME_TIMEOUT)

    def _check_command(self, user: SimUser, body: Any):
        if not isinstance(body, dict):
            raise bad_request("Request body must be a JSON object")
        if body.get("kind") != "service#command":
            raise bad_request('kind must be "service#command"')
        for key in ("deviceId", "serviceType", "domainType", "serviceDeviceType"):
            if not isinstance(body.get(key), str) or not body[key]:
                raise bad_request(f"{key} is required")
        unknown = set(body) - {"kind", "deviceId", "serviceType", "domainType",
                               "serviceDeviceType", "command", "successOnNoDeviceMatches"}
        if unknown:
            raise bad_request(f"Unknown field(s): {', '.join(sorted(unknown))}")
        if "command" not in body:
            raise bad_request("command is required")
        dev = self.owned(user, body["deviceId"])
        svc = dev.find(body["serviceType"], body["domainType"], body["serviceDeviceType"])
        if svc is None:
            raise bad_request("No service matches serviceType, domainType and serviceDeviceType")
        command_type, params = validate(svc, body["command"])
        if not dev.online:
            raise ApiError(412, OFFLINE_REASON)
        return dev, svc, command_type, params

    def _schedule_effect(self, record: CommandRecord, dev: Appliance, svc, command_type: str,
                         params: dict) -> None:
        def effect() -> None:
            if dev.device_id not in self._owner:
                return  # removed meanwhile
            unit = dev.unit_for(svc)
            if unit is None or not unit.handle(self, svc, command_type, params):
                self.set_state(dev, svc, **generic_changes(svc, command_type, params))
            self._publish_outcome(record, dev, svc, names.OUTCOME_SUCCESS)

        if self.command_delay <= 0:
            effect()
        else:
            self.scheduler.after(self.command_delay, effect, f"{dev.device_id}/command/{record.correlation_id}")

    def _outcome(self, record: CommandRecord, dev: Appliance, svc, outcome: str, *,
                 publish: bool = True) -> dict:
        entry = {"deviceId": dev.device_id, "serviceId": svc.service_id,
                 "serviceType": svc.service_type, "domainType": svc.domain_type,
                 "serviceDeviceType": svc.service_device_type, "deviceType": dev.device_type,
                 "commandDateTime": iso(record.created), "outcomeDateTime": iso(self.now()),
                 "outcome": outcome}
        record.outcomes.append(entry)
        if publish:
            self._publish_outcome(record, dev, svc, outcome)
        return entry

    def _publish_outcome(self, record: CommandRecord, dev: Appliance, svc, outcome: str) -> None:
        self.bus.publish(dev.user_id, events.command_event(
            dev, svc, record.correlation_id, record.command, record.created, outcome),
            client_id=record.client_id)

    @staticmethod
    def _command_answer(record: CommandRecord, success: bool, outcome: str) -> dict:
        return {"kind": "service#command", "success": success,
                "correlationId": record.correlation_id, "services": [], "outcome": outcome}

    def send_batch(self, user: SimUser, client_id: str, body: Any,
                   devices: list[Appliance]) -> dict[str, Any]:
        """``POST /v2/commands``: one command to the matching service of each device."""
        with self.lock:
            if not isinstance(body, dict) or body.get("kind") != "service#commands":
                raise bad_request('kind must be "service#commands"')
            triple = tuple(body.get(k) for k in ("serviceType", "domainType", "serviceDeviceType"))
            if not all(isinstance(x, str) and x for x in triple):
                raise bad_request("serviceType, domainType and serviceDeviceType are required")
            targets = [(d, d.find(*triple)) for d in devices if d.online]
            targets = [(d, s) for d, s in targets if s is not None]
            if not targets:
                raise ApiError(404, "No device matches")
            checked = [(d, s, *validate(s, body.get("command"))) for d, s in targets]
            command = {"commandType": checked[0][2], **checked[0][3]}
            record = CommandRecord(str(uuid.uuid4()), user.user_id, client_id, command, self.now())
            self.commands[record.correlation_id] = record
            for dev, svc, command_type, params in checked:
                unit = dev.unit_for(svc)
                if unit.is_disabled(svc) if unit else svc.disabled:
                    self._outcome(record, dev, svc, names.OUTCOME_DISABLED)
                else:
                    self._outcome(record, dev, svc, names.OUTCOME_SUCCESS, publish=False)
                    self._schedule_effect(record, dev, svc, command_type, params)
            return {"kind": "service#commands", "total": len(checked),
                    "correlationId": record.correlation_id}

    def command_record(self, user: SimUser, correlation_id: str) -> CommandRecord:
        with self.lock:
            record = self.commands.get(correlation_id)
            if record is None or record.user_id != user.user_id:
                raise ApiError(404, f"Command {correlation_id} not found")
            return record

    def fail_next_commands(self, count: int = 1, outcome: str = "timeout") -> None:
        """Knob: the next ``count`` accepted commands get ``outcome`` (``timeout``: the
        POST waits ``command_timeout`` then answers success false, no state change;
        ``servicedisabled``: refused at once)."""
        full = outcome if outcome.startswith(names.ROOT) else f"{names.ROOT}.outcome.{outcome}"
        if full not in (names.OUTCOME_TIMEOUT, names.OUTCOME_DISABLED):
            raise SimError("outcome must be timeout or servicedisabled")
        if count < 1:
            raise SimError("count must be at least 1")
        with self.lock:
            self.faults.command_outcomes.extend([full] * count)

    def set_command_timing(self, delay: float | None = None, timeout: float | None = None) -> None:
        """Knob: simulated seconds before a command's effect; wall seconds a timeout holds."""
        with self.lock:
            if delay is not None:
                self.command_delay = max(0.0, float(delay))
            if timeout is not None:
                self.command_timeout = max(0.0, float(timeout))

    # -- event stream listeners ----------------------------------------------------------

    def open_socket(self, token: str) -> Listener | None:
        """A listener for a WebSocket opened with ``token``; None if the token is dead."""
        with self.lock:
            found = self.bearer(token)
            if found is None:
                return None
            user, access = found
            return self.bus.add(user.user_id, access.client_id, "websocket", token=token,
                                opened_at=self.now())

    def close_socket(self, listener: Listener) -> None:
        with self.lock:
            self.bus.remove(listener)

    def socket_token_live(self, listener: Listener) -> bool:
        with self.lock:
            return self.tokens.valid_access(listener.token, self.now()) is not None

    def sockets(self, user: SimUser | str | None = None) -> list[Listener]:
        with self.lock:
            uid = None if user is None else self.user(user).user_id
            return [x for x in self.bus.listeners.values()
                    if x.channel == "websocket" and uid in (None, x.user_id)]

    def drop_sockets(self, user: SimUser | str | None = None, *, code: int = 1001,
                     reason: str = "Server going away", abrupt: bool = False) -> int:
        """Knob: close every open socket (of one user): with a close frame ``code``, or
        ``abrupt`` (no close frame, as when the network drops). Returns how many."""
        with self.lock:
            hits = self.sockets(user)
            for listener in hits:
                listener.close_request = (code, reason, abrupt)
            return len(hits)

    def set_random_drops(self, mean_seconds: float | None) -> None:
        """Knob: each socket opened from now on is dropped (abruptly) after a random,
        exponentially distributed wall time with this mean; None turns it off."""
        with self.lock:
            self.random_drop_seconds = mean_seconds if mean_seconds else None

    def set_ws_idle_timeout(self, seconds: float | None) -> None:
        with self.lock:
            self.ws_idle_timeout = seconds

    # -- HTTPS callback channel ----------------------------------------------------------

    def pubsub_listener(self, user: SimUser) -> Listener | None:
        found = self.bus.of_user(user.user_id, "callback")
        return found[0] if found else None

    def set_user_pubsub(self, user: SimUser, flags: dict[str, bool] | None) -> None:
        with self.lock:
            listener = self.pubsub_listener(user)
            if flags is None:
                if listener is not None:
                    self.bus.remove(listener)
                return
            if listener is None:
                listener = self.bus.add(user.user_id, self.client_id, "callback",
                                        opened_at=self.now())
            listener.account = dict(flags)

    def set_callback_url(self, url: str | None) -> None:
        """Knob: where HTTPS pub/sub events are POSTed (registered per app with GE, not
        through the API). Loopback only: nothing leaves this machine."""
        if url is not None:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not is_loopback(parts.hostname or ""):
                raise SimError("the callback URL must be http(s) on a loopback host")
        with self.lock:
            self.callback_url = url

    def take_callback_events(self) -> list[tuple[str, dict]]:
        """(url, event) pairs waiting for the dispatcher; empty without a callback URL."""
        with self.lock:
            out = []
            for listener in self.bus.listeners.values():
                if listener.channel == "callback":
                    while listener.queue:
                        event = listener.queue.popleft()
                        if self.callback_url:
                            out.append((self.callback_url, event))
            return out

    # -- faults -------------------------------------------------------------------------

    def set_latency(self, seconds: float, device_id: str | None = None) -> None:
        """Knob: every API request (or every request about one device) waits this long;
        0 removes it. Device latency adds to the global one."""
        with self.lock:
            if seconds < 0:
                raise SimError("latency must not be negative")
            if device_id is None:
                self.faults.latency = float(seconds)
            elif seconds:
                self.device(device_id)
                self.faults.device_latency[device_id] = float(seconds)
            else:
                self.faults.device_latency.pop(device_id, None)

    def fail_next(self, count: int = 1, status: int = 500, reason: str | None = None, *,
                  path: str | None = None, method: str | None = None,
                  retry_after: float | None = None, body: str | None = None) -> FailRule:
        """Knob: the next ``count`` requests (matching the ``path`` regex and ``method``,
        if given) fail with ``status`` (429/503 carry Retry-After, 1 s by default).
        ``body`` sends that raw text instead of the JSON error. Rules queue in order."""
        with self.lock:
            try:
                return self.faults.add_rule(count, status, reason, path=path, method=method,
                                            retry_after=retry_after, body=body)
            except Exception as exc:
                raise SimError(str(exc)) from None

    def set_rate_limit(self, per_minute: int | None) -> None:
        """Knob: at most ``per_minute`` API requests per app per user in any minute,
        then 429 with Retry-After; None removes the limit."""
        with self.lock:
            if per_minute is not None and per_minute <= 0:
                raise SimError("rate limit must be positive (or None)")
            self.faults.rate_limit = per_minute

    def clear_faults(self) -> None:
        """Latency, pending failures and command outcomes go; the rate limit returns to
        the constructor's."""
        with self.lock:
            self.faults.clear()

    # -- recorded requests -----------------------------------------------------------------

    def record(self, item: RecordedRequest) -> None:
        with self.lock:
            self.recorder.add(item)

    def requests(self, path: str | None = None, method: str | None = None) -> list[RecordedRequest]:
        """Recorded requests, oldest first; ``path`` is a regex searched in the path."""
        with self.lock:
            return self.recorder.select(path, method)

    def count(self, path: str | None = None, method: str | None = None) -> int:
        return len(self.requests(path, method))

    def clear_requests(self) -> None:
        """Forget recorded requests and socket messages."""
        with self.lock:
            self.recorder.clear()
            self.socket_log.clear()

    def record_socket_message(self, listener: Listener, message: dict) -> None:
        with self.lock:
            self.socket_log.append({"socket": listener.id, "userId": listener.user_id,
                                    "at": time.time(), "message": message})

    def socket_messages(self, kind: str | None = None) -> list[dict]:
        """What clients sent on sockets, oldest first (``kind`` filters on the message's)."""
        with self.lock:
            return [copy.deepcopy(x) for x in self.socket_log
                    if kind is None or x["message"].get("kind") == kind]

    # -- inspection ------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "now": iso(self.now()),
                "users": [{"username": u.username, "userId": u.user_id,
                           "devices": [d.snapshot() for d in u.devices.values()]}
                          for u in self.users.values()],
                "sockets": [x.info() for x in self.sockets()],
                "faults": {"latency": self.faults.latency,
                           "deviceLatency": dict(self.faults.device_latency),
                           "pending": [r.as_dict() for r in self.faults.rules],
                           "rateLimit": self.faults.rate_limit,
                           "commandOutcomes": list(self.faults.command_outcomes)},
            }
