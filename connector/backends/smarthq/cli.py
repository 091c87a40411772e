"""``connector smarthq …``: an account's appliances and the device profiles, for operators.

``devices``, ``service`` and ``outcome`` are read-only views over the account's own
SmartHQ link (its token refreshed if needed, never printed), in the Digital Twin API's
own JSON, so they can be compared with the SmartHQ app or attached to a ticket.

``profiles`` lists every appliance kind with its profile file, the profile name and the
id discovery sends as ``deviceHandlerType``: the one SMARTHQ_PROFILE_IDS configures,
or the placeholder used until the profile is registered with the SmartThings CLI
(``smartthings deviceprofiles:create -i <file>``). It exits 1 when a profile file no
longer matches the mapping, so it doubles as a deployment check.
"""
from __future__ import annotations

import json
import os

import click

from connector.backends.admin import account_option, partner_client, partner_id, show
from connector.backends.smarthq import profiles


def _profile_ids() -> dict:
    from connector.cli import _settings

    return _settings().smarthq_profile_ids


def _shown(path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return str(path)


@click.group("smarthq")
def smarthq():
    """GE SmartHQ appliances: what SmartHQ reports for an account, and device profiles."""


def _client(account_id: str):
    return partner_client("smarthq", account_id)


@smarthq.command("devices")
@account_option
@click.option("--device", help="one appliance in full (services, states, presence)")
def devices(account_id, device):
    """The account's appliances (every page), or one appliance's device#item."""
    client = _client(account_id)
    show("smarthq", lambda: client.device(partner_id(device, "smarthq")) if device
         else client.list_devices())


@smarthq.command("service")
@account_option
@click.option("--device", required=True, help="SmartHQ deviceId or smarthq:<id>")
@click.option("--service", "service_id", required=True, help="the serviceId")
def service(account_id, device, service_id):
    """One service of an appliance, with its state, config and supported commands."""
    client = _client(account_id)
    show("smarthq", lambda: client.service(partner_id(device, "smarthq"), service_id))


@smarthq.command("outcome")
@account_option
@click.option("--correlation", "correlation_id", required=True,
              help="the correlationId our logs print for a command")
def outcome(account_id, correlation_id):
    """The per-service outcomes of a command we sent."""
    client = _client(account_id)
    show("smarthq", lambda: client.command_outcomes(correlation_id))


@smarthq.command("profiles")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def list_profiles(as_json):
    """Appliance kinds, their profile files and the profile ids configured for them."""
    profile_ids = _profile_ids()
    rows = profiles.profile_rows(profile_ids)
    unknown = profiles.unknown_kinds(profile_ids)
    if as_json:
        click.echo(json.dumps({
            "profiles": [{"kind": r.kind, "file": _shown(r.path), "name": r.name,
                          "profileId": r.profile_id, "status": r.status,
                          "problems": list(r.problems)} for r in rows],
            "unknownKinds": unknown,
        }, indent=2))
    else:
        width = max(len(r.kind) for r in rows)
        files = max(len(_shown(r.path)) for r in rows)
        for r in rows:
            note = "" if r.status == "configured" else (
                "  (placeholder: not in SMARTHQ_PROFILE_IDS)" if r.status == "placeholder"
                else "  (placeholder: the configured id is not a UUID)")
            click.echo(f"{r.kind.ljust(width)}  {_shown(r.path).ljust(files)}  "
                       f"{r.profile_id}{note}")
            for problem in r.problems:
                click.echo(f"{''.ljust(width)}  ! {problem}", err=True)
        for key in unknown:
            click.echo(f"SMARTHQ_PROFILE_IDS names no appliance kind: {key!r} "
                       f"(kinds: {', '.join(r.kind for r in rows)})", err=True)
    if any(r.problems for r in rows):
        raise SystemExit(1)
