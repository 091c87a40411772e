"""One linked account's Event Stream socket, kept open in a thread of its own.

A session: a fresh URL from ``GET /v2/websocket`` (the client refreshes the token
through StoredTokens on a 401), connect, wait for ``websocket#connect``, subscribe to
every category, re-read every appliance and publish only what differs from the last
published snapshot (events are not replayed, §3.4), then handle events until the
socket ends. A ``websocket#ping`` goes out whenever we have sent nothing for
``ping_seconds``; silence for ``pong_seconds`` after it means the link is dead.
Subscriptions are re-sent every ``resubscribe_seconds``.

When a session ends — close frame, token expiry (SmartHQ closes the socket), a network
drop, a failed call — the listener waits a capped, jittered back-off and starts a new
one, forever. Only a dead link (``LinkExpired``: the user must link again) or ``stop``
ends the thread. Socket loss never marks appliances offline: presence comes from
SmartHQ's presence events only (§5.5).

Events become SmartThings states through the account's ``AccountMirror``:

    service / presence / alert   folded into the held item → changed states
    device added / updated       the device read again → discoveryCallback + states
    device removed               DEVICE-DELETED
    command outcome              the device read again; all its states are sent, to
                                 confirm or correct what the commandResponse predicted
"""
from __future__ import annotations

import threading
import time

import redis

from connector import logs
from connector.backends.base import DeviceNotFound, LinkExpired, PartnerError, ReauthRequired
from connector.backends.smarthq import event_mapping as em
from connector.backends.smarthq import snapshots
from connector.backends.smarthq.eventsocket import EventSocket, SocketClosed
from connector.backends.smarthq.events_config import ListenerConfig
from connector.backends.smarthq.mirror import AccountMirror, Update
from connector.callbacks.publish import publish, publish_devices

log = logs.get_logger(__name__)


class Stopped(Exception):
    """``stop`` was called while a session was starting."""


class SubscriptionRefused(Exception):
    pass


class AccountListener:
    """The Event Stream of one account. ``start``, then ``stop`` (or the link dies)."""

    def __init__(self, services, account_id: str, config: ListenerConfig, *,
                 partner_account_id: str | None = None):
        self.services = services
        self.account_id = account_id
        self.partner_account_id = partner_account_id
        self.config = config
        self.backend = services.backends["smarthq"]
        self.mirror: AccountMirror | None = None
        self.ready = threading.Event()  # subscribed and re-read: events now reach SmartThings
        self.link_expired = False
        self.sessions = 0  # sockets opened
        self.events = 0  # events handled
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._socket: EventSocket | None = None
        self._pings = 0
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"smarthq-events-{account_id[:12]}")

    def __repr__(self) -> str:
        return f"AccountListener({self.account_id!r})"

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def start(self) -> "AccountListener":
        self._thread.start()
        return self

    def signal_stop(self) -> None:
        """Ask the thread to end now (a blocked read is woken); does not wait."""
        self._stop.set()
        with self._lock:
            if self._socket is not None:
                self._socket.abort()

    def join(self, timeout: float | None = None) -> None:
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        self.signal_stop()
        self.join(timeout)

    # -- the session loop ---------------------------------------------------------------

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self._session()
            except Stopped:
                break
            except LinkExpired:
                self.link_expired = True
                log.warning("smarthq link expired: event stream stopped until the user links "
                            "again", account=self.account_id)
                break
            except SocketClosed as exc:
                log.info("smarthq event stream closed", account=self.account_id, close_code=exc.code,
                         reason=exc.reason)
            except PartnerError as exc:
                log.warning("smarthq event stream session failed", account=self.account_id,
                            error=type(exc).__name__, detail=exc.detail)
            except (redis.RedisError, OSError, SubscriptionRefused) as exc:
                log.warning("smarthq event stream session failed", account=self.account_id,
                            error=type(exc).__name__, detail=str(exc))
            except Exception:  # a bug must cost one session, not the account's stream
                log.exception("smarthq event stream session crashed", account=self.account_id)
            finally:
                self.ready.clear()
                self._close_socket()
            stayed_up = time.monotonic() - started >= self.config.stable_seconds
            failures = 0 if stayed_up else failures + 1
            self._stop.wait(self.config.backoff.delay(failures))

    def _session(self) -> None:
        client = self.backend.client(self.account_id)
        url = client.websocket_endpoint(deadline=self._deadline())
        sock = EventSocket(url, timeout=self.config.connect_seconds)
        with self._lock:
            if self._stop.is_set():
                sock.close()
                raise Stopped()
            self._socket = sock
        self.sessions += 1
        hello = sock.receive(self.config.connect_seconds)
        if hello is None:
            raise SocketClosed(None, "no websocket#connect")
        sock.send(em.subscription())
        subscribed = time.monotonic()
        self._reread(client)
        self.ready.set()
        if hello.get("kind") != em.CONNECT:  # not the greeting: an event, handle it
            self._handle(hello, client)
        self._read(sock, client, subscribed)

    def _read(self, sock: EventSocket, client, subscribed: float) -> None:
        """Handle events until the socket ends. The ping and resubscribe clocks start
        when the subscription went out, so a long re-read does not leave SmartHQ
        without a word for longer than ``ping_seconds``."""
        cfg = self.config
        last_sent = resubscribed = subscribed
        ping_sent = None  # when the unanswered ping went out
        while not self._stop.is_set():
            now = time.monotonic()
            if ping_sent is not None and now - ping_sent >= cfg.pong_seconds:
                raise SocketClosed(None, "no answer to a ping")
            if now - resubscribed >= cfg.resubscribe_seconds:
                sock.send(em.subscription())
                resubscribed = last_sent = now
            if now - last_sent >= cfg.ping_seconds:
                self._pings += 1
                sock.send(em.ping(self._pings))
                last_sent = now
                ping_sent = ping_sent or now
            due = [last_sent + cfg.ping_seconds, resubscribed + cfg.resubscribe_seconds]
            if ping_sent is not None:
                due.append(ping_sent + cfg.pong_seconds)
            message = sock.receive(min(due) - now)
            if message is None:
                continue
            ping_sent = None  # any traffic proves the link
            self._handle(message, client)

    # -- events ---------------------------------------------------------------------------

    def _handle(self, message: dict, client) -> None:
        kind = message.get("kind")
        device_id = em.device_of(message)
        if em.subscription_refused(message):
            raise SubscriptionRefused("SmartHQ refused the event subscription")
        if kind not in (*em.FOLDED, em.DEVICE, em.COMMAND) or device_id is None:
            return  # connect, pubsub acks, pongs, API answers
        self.events += 1
        if em.removes_device(message):
            self._apply(self.mirror.forget(device_id, time.time()))
        elif kind == em.COMMAND:
            log.info("smarthq command outcome", account=self.account_id, device=device_id,
                     correlationId=message.get("correlationId"),
                     outcome=message.get("outcome"))
            self._read_device(client, device_id, force=True)
        elif kind == em.DEVICE or not self.mirror.knows(device_id):
            self._read_device(client, device_id)  # new to us: read it whole
        else:
            update = self.mirror.event(message, time.time())
            if update is not None:
                self._apply(update)

    def _read_device(self, client, device_id: str, *, force: bool = False) -> None:
        try:
            item = client.device(device_id, deadline=self._deadline())
        except DeviceNotFound:
            self._apply(self.mirror.forget(device_id, time.time()))
            return
        except LinkExpired:
            raise
        except PartnerError as exc:
            log.warning("smarthq device read failed after an event", account=self.account_id,
                        device=device_id, error=type(exc).__name__, detail=exc.detail)
            held = self.mirror.items.get(device_id)
            if force and held is not None:  # still correct the prediction with what we hold
                self._apply(self.mirror.device(held, time.time(), force=True))
            return
        self._apply(self.mirror.device(item, time.time(), force=force))

    def _reread(self, client) -> None:
        """After (re)connecting: every appliance read again, differences published."""
        entries = client.list_devices(deadline=self._deadline())
        items, unread = [], set()
        for entry in entries:
            device_id = entry.get("deviceId")
            if not device_id:
                continue
            if self._stop.is_set():
                raise Stopped()
            try:
                items.append(client.device(device_id, deadline=self._deadline()))
            except DeviceNotFound:
                continue  # removed between the list and the read
            except ReauthRequired:
                raise
            except PartnerError as exc:  # one unreadable appliance never blinds the account
                unread.add(str(device_id))
                log.warning("smarthq appliance unreadable after connecting", account=self.account_id,
                            device=device_id, error=type(exc).__name__, detail=exc.detail)
        snapshot = snapshots.load(self.services.redis, self.account_id)
        self.mirror = AccountMirror(snapshot, self.services.settings.smarthq_profile_ids)
        update = self.mirror.reread(items, time.time(), frozenset(unread))
        self._apply(update, baseline=True)
        log.info("smarthq event stream connected", account=self.account_id,
                 appliances=len(items), unreadable=len(unread), baseline=snapshot is None,
                 changed=len(update.changes.results), new=len(update.changes.new_devices))

    def _apply(self, update: Update, *, baseline: bool = False) -> None:
        """Publish, store the snapshot, then commit: a failure before the commit leaves
        the old snapshot in place, so the next re-read publishes the change again.
        ``baseline``: a whole re-read, stored even when nothing changed, so the snapshot
        (and its expiry) records that this account has been read, appliances or not."""
        found = update.changes
        if update.unmapped:
            log.warning("smarthq appliance the mapping cannot read", account=self.account_id,
                        devices=update.unmapped)
        if found.new_devices:
            publish_devices(self.services, self.account_id, found.new_devices)
        if found.results:
            publish(self.services, self.account_id, found.results)
        if update.write or update.delete or baseline:
            snapshots.save(self.services.redis, self.account_id, update.write, update.delete)
        self.mirror.commit(update)

    # -----------------------------------------------------------------------------------

    def _deadline(self) -> float:
        return time.monotonic() + self.config.request_seconds

    def _close_socket(self) -> None:
        with self._lock:
            sock, self._socket = self._socket, None
        if sock is not None:
            sock.close()
