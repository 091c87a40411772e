"""``connector refresh-tokens``: the admin's partner-token upkeep (see ``upkeep``)."""
from __future__ import annotations

import sys

import click


class Duration(click.ParamType):
    name = "duration"

    def convert(self, value, param, ctx):
        from connector.oauth.upkeep import parse_duration

        if isinstance(value, (int, float)):
            return float(value)
        try:
            return parse_duration(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


@click.command("refresh-tokens")
@click.option("--within", type=Duration(), default="2h", show_default=True,
              help="refresh tokens expiring within this window (e.g. 30m, 2h, 1d)")
def refresh_tokens(within):
    """Refresh partner tokens that expire soon; exit 1 if any link failed.

    One line per partner link: ok, refreshed, or failed (needs re-link, or a
    transient error worth retrying).
    """
    from connector import logs
    from connector.oauth.upkeep import FAILED, refresh_expiring
    from connector.services import Services
    from connector.settings import ConfigError, Settings

    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        raise click.ClickException(str(exc))
    logs.configure(settings.log_level)
    outcomes = refresh_expiring(Services.build(settings), within)
    for outcome in outcomes:
        click.echo(outcome.line())
    failed = sum(o.status == FAILED for o in outcomes)
    click.echo(f"{len(outcomes)} link(s), {failed} failed", err=True)
    if failed:
        sys.exit(1)
