"""Click commands of the callback leg, registered on ``connector`` by connector/cli.py.

``connector worker``                     the RQ worker (Procfile ``worker``)
``connector callbacks pending``          what waits, per installation, and why
``connector callbacks failed``           jobs in RQ's failed registry, with the reason
``connector callbacks retry [JOB_ID…]``  re-enqueue failed jobs (all by default)
"""
from __future__ import annotations

import json

import click

from connector import logs
from connector.settings import ConfigError, Settings


def _services():
    from connector.services import Services

    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        raise click.ClickException(str(exc))
    logs.configure(settings.log_level)
    return Services.build(settings)


def _print_json(value) -> None:
    click.echo(json.dumps(value, indent=2, sort_keys=True))


@click.command("worker")
@click.option("--burst", is_flag=True, help="exit once the queues are empty")
@click.option("--queue", "names", multiple=True, help="queues in priority order "
              "(default: high, default)")
def worker(burst, names):
    """Run the RQ worker that exchanges callback tokens and delivers callbacks."""
    from .queues import QUEUES
    from .worker import run_worker

    run_worker(_services(), burst=burst, names=tuple(names) or QUEUES)


@click.group("callbacks")
def callbacks():
    """Inspect and replay the callbacks to SmartThings."""


@callbacks.command("pending")
@click.option("--json", "as_json", is_flag=True)
def callbacks_pending(as_json):
    """Per installation: what waits to be delivered, and what its flush is doing."""
    from .admin import pending_report

    rows = pending_report(_services())
    if as_json:
        _print_json(rows)
        return
    if not rows:
        click.echo("nothing pending")
    for row in rows:
        click.echo(f"{row['installation']}  {row['entries']} pending (states={row['states']} "
                   f"errors={row['device_errors']} devices={row['devices']})  "
                   f"oldest={row['oldest']}  flush={row['flush']}")
        for key in ("attempt", "last_error", "next_attempt_at", "in_flight", "parked_reason",
                    "failed_job", "grant_needed"):
            if row[key]:
                click.echo(f"    {key}: {row[key]}")


@callbacks.command("failed")
@click.option("--json", "as_json", is_flag=True)
def callbacks_failed(as_json):
    """Callback jobs that gave up, newest first, with the reason."""
    from .admin import failed_jobs

    rows = failed_jobs(_services())
    if as_json:
        _print_json(rows)
        return
    if not rows:
        click.echo("no failed callback jobs")
    for row in rows:
        click.echo(f"{row['job']}  {row['kind']}  installation={row['installation']}  "
                   f"failed_at={row['failed_at']}\n    {row['reason']}")


@callbacks.command("retry")
@click.argument("job_ids", nargs=-1)
def callbacks_retry(job_ids):
    """Re-enqueue failed callback jobs (all of them, and parked installations, by default)."""
    from .admin import retry

    rows = retry(_services(), list(job_ids) or None)
    if not rows and not job_ids:
        click.echo("nothing to retry")
    for row in rows:
        new = row["new_job"] or "nothing to restart (delivered, or a flush is on it)"
        click.echo(f"{row['kind']}  installation={row['installation']}  "
                   f"{row['job'] or 'parked'} -> {new}")
    unknown = set(job_ids) - {row["job"] for row in rows}
    if unknown:
        raise click.ClickException(f"not in the failed registry: {', '.join(sorted(unknown))}")
