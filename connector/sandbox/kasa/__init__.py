"""A faithful simulated Kasa cloud (kasa-cloud-api.txt) for tests, benches and the demo.

Layers, each a small module:

* ``catalog``, ``devices``, ``stats``, ``schedules``: what devices are and do.
* ``accounts``, ``tokens``, ``faults``, ``recording``: the rest of the cloud's state.
* ``cloud.KasaCloud``: that state behind one lock, with the provisioning and fault knobs.
* ``api``, ``oauth``, ``admin``, ``app``: the HTTP surface (Flask blueprints).
* ``server.SimulatedKasa``: serves it on 127.0.0.1; ``admin_client.KasaSimAdmin``
  drives the knobs of a simulator running in another process.
"""
from .accounts import DEFAULT_DEVICES, SimUser
from .admin_client import KasaSimAdmin
from .app import create_app
from .catalog import MODELS
from .cloud import (ACCESS_TOKEN_TTL, DEFAULT_API_KEY, DEFAULT_CLIENT_ID,
                    DEFAULT_CLIENT_SECRET, SCOPE, KasaCloud)
from .devices import SimDevice
from .errors import ERROR_STATUS, KasaError, OAuthError, SimError
from .recording import RecordedRequest
from .server import SimulatedKasa

__all__ = [
    "ACCESS_TOKEN_TTL",
    "DEFAULT_API_KEY",
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_DEVICES",
    "ERROR_STATUS",
    "MODELS",
    "SCOPE",
    "KasaCloud",
    "KasaError",
    "KasaSimAdmin",
    "OAuthError",
    "RecordedRequest",
    "SimDevice",
    "SimError",
    "SimUser",
    "SimulatedKasa",
    "create_app",
]
