"""Backend-neutral device model shared by the webhook, the backends and the callbacks.

Capability ids are kept exactly as ST Schema carries them (``st.switch``), so nothing
has to translate between a model object and the wire. No I/O here.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

MAIN = "main"

# What a mapping raises on a partner payload it cannot read (a missing key, a null where
# an object was expected, a number no float holds): that one device is skipped or keeps
# its last states, never the rest.
MAPPING_ERRORS = (AttributeError, KeyError, TypeError, ValueError, ArithmeticError)


def is_number(value: Any) -> bool:
    """A real, finite number as JSON carries it: not a bool, not NaN or infinite (1e999),
    not an int beyond any float (10**400)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


class DeviceErrorEnum:
    """Per-device error enums SmartThings understands (st-schema-protocol §3.2)."""

    DEVICE_DELETED = "DEVICE-DELETED"
    DEVICE_OFFLINE = "DEVICE-OFFLINE"
    DEVICE_UNAVAILABLE = "DEVICE-UNAVAILABLE"
    CAPABILITY_NOT_SUPPORTED = "CAPABILITY-NOT-SUPPORTED"
    RESOURCE_CONSTRAINT_VIOLATION = "RESOURCE-CONSTRAINT-VIOLATION"

    ALL = (
        DEVICE_DELETED,
        DEVICE_OFFLINE,
        DEVICE_UNAVAILABLE,
        CAPABILITY_NOT_SUPPORTED,
        RESOURCE_CONSTRAINT_VIOLATION,
    )


class GlobalErrorEnum:
    """The nine global error enums of the protocol (st-schema-protocol §3.1)."""

    TOKEN_EXPIRED = "TOKEN-EXPIRED"
    INTEGRATION_DELETED = "INTEGRATION-DELETED"
    BAD_REQUEST = "BAD-REQUEST"
    INVALID_TOKEN = "INVALID-TOKEN"
    INVALID_INTERACTION_TYPE = "INVALID-INTERACTION-TYPE"
    UNSUPPORTED_GRANT_TYPE = "UNSUPPORTED-GRANT-TYPE"
    INVALID_CODE = "INVALID-CODE"
    INVALID_CLIENT_SECRET = "INVALID-CLIENT-SECRET"
    INVALID_CLIENT = "INVALID-CLIENT"

    ALL = (
        TOKEN_EXPIRED,
        INTEGRATION_DELETED,
        BAD_REQUEST,
        INVALID_TOKEN,
        INVALID_INTERACTION_TYPE,
        UNSUPPORTED_GRANT_TYPE,
        INVALID_CODE,
        INVALID_CLIENT_SECRET,
        INVALID_CLIENT,
    )


@dataclass(frozen=True)
class State:
    """One attribute value of one component, e.g. main/st.switch/switch = "on"."""

    capability: str
    attribute: str
    value: Any
    component: str = MAIN
    unit: str | None = None
    data: dict | None = None
    timestamp: int | None = None  # epoch milliseconds; set on callbacks

    @property
    def key(self) -> tuple[str, str, str]:
        """Identity used to coalesce states: the same key means the same attribute."""
        return (self.component, self.capability, self.attribute)


@dataclass(frozen=True)
class Command:
    """One SmartThings command addressed to a component of a device."""

    capability: str
    command: str
    arguments: tuple = ()
    component: str = MAIN


@dataclass(frozen=True)
class DeviceError:
    enum: str
    detail: str


@dataclass(frozen=True)
class ManufacturerInfo:
    manufacturer_name: str
    model_name: str
    hw_version: str | None = None
    sw_version: str | None = None


@dataclass(frozen=True)
class Device:
    """A device as discovery announces it to SmartThings."""

    external_id: str
    friendly_name: str
    manufacturer: ManufacturerInfo
    handler_type: str  # a c2c-* handler name or a device-profile UUID
    room_name: str | None = None
    groups: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    unique_id: str | None = None
    cookie: dict | None = None


@dataclass
class DeviceResult:
    """What one device contributes to a stateRefresh/command response or a callback."""

    external_id: str
    states: list[State] = field(default_factory=list)
    errors: list[DeviceError] = field(default_factory=list)
    cookie: dict | None = None

    @classmethod
    def failed(cls, external_id: str, enum: str, detail: str, *states: State) -> "DeviceResult":
        return cls(external_id, list(states), [DeviceError(enum, detail)])


@dataclass(frozen=True)
class DeviceRequest:
    """A device named by SmartThings in a stateRefresh or command request."""

    external_id: str
    cookie: dict = field(default_factory=dict)
    commands: tuple[Command, ...] = ()


def backend_of(external_id: str) -> str:
    """The backend namespace of an externalDeviceId (``kasa:…`` → ``kasa``)."""
    prefix, sep, _ = external_id.partition(":")
    return prefix if sep else ""
