"""``connector smarthq …``: the appliance device profiles, for operators.

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
    """GE SmartHQ appliances: device profiles."""


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
