"""SimulatedKasa: the simulated cloud served over real HTTP on 127.0.0.1.

    with SimulatedKasa() as kasa:
        user = kasa.cloud.create_user("ann@example.com", "secret")
        access, refresh, expires_in = kasa.cloud.issue_tokens(user)
        requests.get(kasa.url + "/devices", headers=kasa.headers(access))

``url`` is the API base (``/devices`` … are appended, like KASA_API_URL), ``oauth_url``
the base ``/oauth/authorize`` and ``/oauth/access_token`` are appended to (like
KASA_OAUTH_URL), ``admin_url`` the base of the ``/__sim`` knobs.
"""
from __future__ import annotations

from connector.sandbox.server import ServerThread

from .app import ADMIN_PREFIX, API_PREFIX, create_app
from .cloud import KasaCloud


class SimulatedKasa:
    """Serves a KasaCloud in a daemon thread; a context manager."""

    def __init__(self, cloud: KasaCloud | None = None, *, host: str = "127.0.0.1",
                 port: int = 0, api_prefix: str = API_PREFIX):
        self.cloud = cloud or KasaCloud()
        self.app = create_app(self.cloud, api_prefix=api_prefix)
        self.api_prefix = api_prefix
        self._web = ServerThread(self.app, host, port, name="kasa-sim")

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
    def url(self) -> str:
        return self.base_url + self.api_prefix

    @property
    def oauth_url(self) -> str:
        return self.base_url

    @property
    def admin_url(self) -> str:
        return self.base_url + ADMIN_PREFIX

    def headers(self, access_token: str | None = None, **extra: str) -> dict[str, str]:
        """The headers every API call needs, for tests that call the API by hand."""
        out = {"X-Api-Key": self.cloud.api_key, "X-Client-Id": self.cloud.client_id}
        if access_token is not None:
            out["Authorization"] = f"Bearer {access_token}"
        out.update(extra)
        return out

    def start(self) -> "SimulatedKasa":
        """Serve; after stop() this takes the same port again, so a stop/start pair is
        a cloud outage that clients recover from without new URLs."""
        self._web.start()
        return self

    def stop(self) -> None:
        self._web.stop()

    def __enter__(self) -> "SimulatedKasa":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
