"""SimulatedSmartHQ: the simulated cloud served over real HTTP and WebSocket on 127.0.0.1.

    with SimulatedSmartHQ() as smarthq:
        user = smarthq.cloud.create_user("ann@example.com", "secret")
        access, refresh, expires_in = smarthq.cloud.issue_tokens(user)
        requests.get(smarthq.api_url + "/v2/device", headers=smarthq.headers(access))

``api_url`` is what SMARTHQ_API_URL should be (``/v2/...`` is appended), ``oauth_url``
what SMARTHQ_OAUTH_URL should be (``/oauth2/auth``, ``/oauth2/token``), ``admin_url``
the base of the ``/__sim`` knobs. While it runs, a ticker thread drives the appliances
by the cloud's clock and a dispatcher sends HTTPS pub/sub callbacks.
"""
from __future__ import annotations

import logging
import threading

from connector.sandbox.server import ServerThread

from .app import ADMIN_PREFIX, API_PREFIX, OAUTH_PREFIX, create_app
from .callbacks import CallbackDispatcher
from .cloud import SmartHQCloud

TICK_SECONDS = 0.02
log = logging.getLogger(__name__)


class Ticker:
    """Runs the cloud's due appliance work every TICK_SECONDS of wall time."""

    def __init__(self, cloud: SmartHQCloud):
        self.cloud = cloud
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="smarthq-sim-ticker",
                                            daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(TICK_SECONDS):
            try:
                self.cloud.run_due()
            except Exception:  # a broken appliance must not stop time for the others
                log.exception("appliance task failed")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


class SimulatedSmartHQ:
    """Serves a SmartHQCloud in daemon threads; a context manager."""

    def __init__(self, cloud: SmartHQCloud | None = None, *, host: str = "127.0.0.1",
                 port: int = 0):
        self.cloud = cloud or SmartHQCloud()
        self.app = create_app(self.cloud)
        self._web = ServerThread(self.app, host, port, name="smarthq-sim")
        self._ticker = Ticker(self.cloud)
        self._callbacks = CallbackDispatcher(self.cloud)

    @property
    def host(self) -> str:
        return self._web.host

    @property
    def port(self) -> int:
        return self._web.port

    @property
    def base_url(self) -> str:
        if not self._web.running:
            raise RuntimeError("the simulator is not running")
        return self._web.url

    @property
    def api_url(self) -> str:
        return self.base_url + API_PREFIX

    @property
    def oauth_url(self) -> str:
        return self.base_url + OAUTH_PREFIX

    @property
    def admin_url(self) -> str:
        return self.base_url + ADMIN_PREFIX

    @staticmethod
    def headers(access_token: str | None = None, **extra: str) -> dict[str, str]:
        """The headers an API call needs, for tests that call the API by hand."""
        out = {} if access_token is None else {"Authorization": f"Bearer {access_token}"}
        out.update(extra)
        return out

    def start(self) -> "SimulatedSmartHQ":
        """Serve; after stop() this takes the same port again, so a stop/start pair is
        a cloud outage that clients recover from without new URLs."""
        self._web.start()
        self._ticker.start()
        self._callbacks.start()
        return self

    def stop(self) -> None:
        self._callbacks.stop()
        self._ticker.stop()
        self._web.stop()

    def __enter__(self) -> "SimulatedSmartHQ":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
