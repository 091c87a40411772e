"""A faithful simulated GE SmartHQ cloud (smarthq-api.md) for tests, benches and the demo.

Layers, each a small module:

* ``names``, ``services``, ``appliances``, ``catalog``: the data model and the
  appliance kinds; ``laundry``, ``dishwasher``, ``cooking``, ``climate``: how they run.
* ``clock`` (simulated time and the scheduler), ``tokens``, ``commands``, ``events``,
  ``faults``, ``recording``: the rest of the cloud's machinery.
* ``cloud.SmartHQCloud``: all state behind one lock, with the provisioning and fault knobs.
* ``api`` (Digital Twin v2), ``oauth`` (identity server), ``stream`` (Event Stream
  WebSocket), ``admin`` (``/__sim``), ``app``: the HTTP surface.
* ``server.SimulatedSmartHQ`` serves it on 127.0.0.1; ``admin_client.SmartHQSimAdmin``
  drives a simulator running in another process; ``callbacks`` sends HTTPS pub/sub.
"""
from .admin_client import SmartHQSimAdmin
from .app import create_app
from .appliances import Appliance
from .catalog import DEFAULT_APPLIANCES, KINDS
from .clock import SimClock
from .cloud import (ACCESS_TOKEN_TTL, CODE_TTL, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET,
                    SmartHQCloud)
from .errors import ApiError, OAuthError, SimError
from .events import DEVICE_ADDED, DEVICE_REMOVED, DEVICE_UPDATED
from .accounts import SimUser
from .recording import RecordedRequest
from .server import SimulatedSmartHQ

__all__ = [
    "ACCESS_TOKEN_TTL",
    "CODE_TTL",
    "DEFAULT_APPLIANCES",
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "DEVICE_ADDED",
    "DEVICE_REMOVED",
    "DEVICE_UPDATED",
    "KINDS",
    "ApiError",
    "Appliance",
    "OAuthError",
    "RecordedRequest",
    "SimClock",
    "SimError",
    "SimUser",
    "SimulatedSmartHQ",
    "SmartHQCloud",
    "SmartHQSimAdmin",
    "create_app",
]
