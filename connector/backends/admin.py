"""Shared by the partner admin commands (``connector kasa …``, ``connector smarthq …``):
the account's own partner client, and the partner's JSON printed as it answered."""
from __future__ import annotations

import json
from typing import Callable

import click

from connector.backends.base import PartnerError

LABELS = {"kasa": "Kasa", "smarthq": "SmartHQ"}
SETTINGS = {"kasa": "KASA_API_KEY, KASA_CLIENT_ID, KASA_CLIENT_SECRET",
            "smarthq": "SMARTHQ_CLIENT_ID, SMARTHQ_CLIENT_SECRET"}

account_option = click.option("--account", "account_id", required=True, help="our account id")


def partner_client(backend_name: str, account_id: str):
    """The account's client for one partner (its token refreshed if needed, never shown)."""
    from connector.cli import _services

    label = LABELS[backend_name]
    backend = _services().backends.get(backend_name)
    if backend is None:
        raise click.ClickException(f"{label} is not configured ({SETTINGS[backend_name]})")
    if not backend.is_linked(account_id):
        raise click.ClickException(f"account {account_id} has no {label} link")
    return backend.client(account_id)


def show(backend_name: str, call: Callable[[], object]) -> None:
    """Print the partner's answer as JSON; a partner error is a one-line failure."""
    try:
        click.echo(json.dumps(call(), indent=2, sort_keys=True))
    except PartnerError as exc:
        raise click.ClickException(f"{LABELS[backend_name]}: {exc.detail}")


def partner_id(device: str, prefix: str) -> str:
    """A device id as the partner knows it, from ``<prefix>:<id>`` or the bare id."""
    return device.split(":", 1)[1] if device.startswith(f"{prefix}:") else device
