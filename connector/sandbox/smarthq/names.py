"""The ``cloud.smarthq.*`` strings of the data model (smarthq-api.md §2.3), built in one
place so a typo cannot hide in a fixture.

``device("washer")`` is ``cloud.smarthq.device.washer``; likewise for services,
domains, commands, types, outcomes and alerts.
"""
from __future__ import annotations

ROOT = "cloud.smarthq"


def device(name: str) -> str:
    return f"{ROOT}.device.{name}"


def service(name: str) -> str:
    return f"{ROOT}.service.{name}"


def domain(name: str) -> str:
    return f"{ROOT}.domain.{name}"


def command(name: str) -> str:
    return f"{ROOT}.command.{name}"


def type_(group: str, value: str) -> str:
    return f"{ROOT}.type.{group}.{value}"


def alert(name: str) -> str:
    return f"{ROOT}.alert.{name}"


def suffix(value: str, group: str) -> str:
    """``suffix("cloud.smarthq.type.runstatus.in.progress", "runstatus")`` → ``in.progress``."""
    marker = f".{group}."
    return value.split(marker, 1)[1] if marker in value else value


OUTCOME_SUCCESS = f"{ROOT}.outcome.success"
OUTCOME_TIMEOUT = f"{ROOT}.outcome.timeout"
OUTCOME_DISABLED = f"{ROOT}.outcome.servicedisabled"
OUTCOMES = (OUTCOME_SUCCESS, OUTCOME_TIMEOUT, OUTCOME_DISABLED)

PRESENCE = ("ONLINE", "OFFLINE", "UNKNOWN")


def runstatus(value: str) -> str:
    return type_("runstatus", value)


def subcycle(value: str) -> str:
    return type_("subcycle", value)


# Permissions an app's policy grants (§1.2); a token carries its app's set.
PERMISSIONS = ("device:read", "device:remove", "service:read", "service:command",
               "gateway:add", "gateway:list", "gateway:remove", "tag:manage")
