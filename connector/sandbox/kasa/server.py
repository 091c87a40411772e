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

import ipaddress
import socket
import threading

from werkzeug.serving import WSGIRequestHandler, make_server

from .app import ADMIN_PREFIX, API_PREFIX, create_app
from .cloud import KasaCloud

POLL_SECONDS = 0.02  # how soon serve_forever notices stop(); also the cost of stopping


class _Handler(WSGIRequestHandler):
    """Quiet (no access log per request) and tracked, so stop() can close keep-alive
    connections that would otherwise go on being served by their threads."""

    def log_request(self, code="-", size="-"):
        pass

    def setup(self):
        super().setup()
        with self.server.connections_lock:
            self.server.open_connections.add(self.connection)

    def finish(self):
        with self.server.connections_lock:
            self.server.open_connections.discard(self.connection)
        super().finish()


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class SimulatedKasa:
    """Serves a KasaCloud in a daemon thread; a context manager."""

    def __init__(self, cloud: KasaCloud | None = None, *, host: str = "127.0.0.1",
                 port: int = 0, api_prefix: str = API_PREFIX):
        if not _is_loopback(host):
            raise ValueError("the simulator only listens on loopback addresses")
        self.cloud = cloud or KasaCloud()
        self.app = create_app(self.cloud, api_prefix=api_prefix)
        self.host, self.port, self.api_prefix = host, port, api_prefix
        self._server = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the simulator is not running")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

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
        if self._server is not None:
            return self
        server = make_server(self.host, self.port, self.app, threaded=True,
                             request_handler=_Handler)
        server.open_connections = set()
        server.connections_lock = threading.Lock()
        self._server = server
        self.port = server.server_port
        self._thread = threading.Thread(target=server.serve_forever, args=(POLL_SECONDS,),
                                        name="kasa-sim", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        with server.connections_lock:
            connections = list(server.open_connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> "SimulatedKasa":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
