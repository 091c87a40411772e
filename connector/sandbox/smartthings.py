"""A simulated SmartThings cloud on 127.0.0.1: the far end of the callback leg.

SmartThings' side of st-schema-protocol §2.4–2.8: it hands out callback codes (as it
would in ``grantCallbackAccess``), exchanges and refreshes them at ``/oauth/token``,
and receives ``stateCallback``/``discoveryCallback`` at ``/device/events``, refusing
what SmartThings would refuse and keeping the latest state of every attribute.

    with SimulatedSmartThings(client_id, client_secret) as st:
        code = st.cloud.mint_code("installation-1")
        ... connector exchanges the code at st.callback_urls()["oauthToken"]
        ... and posts callbacks to st.callback_urls()["stateCallback"]
        st.cloud.wait_for(lambda: st.cloud.deliveries())

Pieces: :mod:`.smartthings_cloud` (state and fault knobs, thread-safe),
:mod:`.smartthings_app` (the HTTP routes), :mod:`.smartthings_admin` (``/__sim/…`` for
other processes), :mod:`.smartthings_validate` (what a payload must look like).
"""
from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from .server import ServerThread
from .smartthings_app import callback_urls, create_app
from .smartthings_cloud import (
    DEFAULT_ACCESS_TOKEN_TTL,
    DEFAULT_CODE_TTL,
    Delivery,
    Refused,
    Rejection,
    SmartThingsCloud,
    StoredState,
    TokenGrant,
)
from .smartthings_validate import SCHEMA, VERSION

__all__ = [
    "Delivery",
    "Refused",
    "Rejection",
    "SimulatedSmartThings",
    "SmartThingsCloud",
    "StoredState",
    "TokenGrant",
    "callback_urls",
    "create_app",
]


class SimulatedSmartThings:
    """The simulated cloud served over HTTP; its state and knobs are on :attr:`cloud`."""

    def __init__(self, client_id: str, client_secret: str, *, port: int = 0,
                 access_token_ttl: int = DEFAULT_ACCESS_TOKEN_TTL,
                 code_ttl: float = DEFAULT_CODE_TTL,
                 rotate_refresh_tokens: bool = False,
                 clock: Callable[[], float] = time.time):
        self.cloud = SmartThingsCloud(client_id, client_secret,
                                      access_token_ttl=access_token_ttl, code_ttl=code_ttl,
                                      rotate_refresh_tokens=rotate_refresh_tokens, clock=clock)
        self.app = create_app(self.cloud)
        self._port = port
        self._server: ServerThread | None = None

    def start(self) -> "SimulatedSmartThings":
        if self._server is None:
            self._server = ServerThread(self.app, port=self._port).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> "SimulatedSmartThings":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the simulated SmartThings cloud is not started")
        return self._server.url

    def callback_urls(self) -> dict[str, str]:
        """``{"oauthToken": …, "stateCallback": …}`` as grantCallbackAccess carries them."""
        return callback_urls(self.url)

    def grant_callback_access(self, partner_token: str,
                              installation_id: str | None = None) -> dict:
        """The grantCallbackAccess SmartThings would send the webhook, with a fresh code.

        ``partner_token`` is the access token the connector's OAuth server issued to
        this installation (§2.4).
        """
        return {
            "headers": {"schema": SCHEMA, "version": VERSION,
                        "interactionType": "grantCallbackAccess",
                        "requestId": str(uuid.uuid4())},
            "authentication": {"tokenType": "Bearer", "token": partner_token},
            "callbackAuthentication": {"grantType": "authorization_code",
                                       "scope": "callback-access",
                                       "code": self.cloud.mint_code(installation_id),
                                       "clientId": self.cloud.client_id},
            "callbackUrls": self.callback_urls(),
        }
