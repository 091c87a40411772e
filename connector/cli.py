"""The ``connector`` command: the admin's and the partner's tool.

Every subcommand builds its services from the environment exactly as the web process
does, and never prints a secret except the token an admin explicitly asks to issue.
"""
from __future__ import annotations

import json
import sys

import click

from connector import logs
from connector.accounts import PartnerLink
from connector.settings import ConfigError, Settings


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as exc:
        raise click.ClickException(str(exc))


def _services():
    from connector.services import Services

    settings = _settings()
    logs.configure(settings.log_level)
    return Services.build(settings)


def _print_json(value) -> None:
    click.echo(json.dumps(value, indent=2, sort_keys=True))


@click.group()
def main():
    """SmartThings Schema connector for TP-Link Kasa and GE SmartHQ."""


# -- configuration ----------------------------------------------------------------------


@main.command("check-config")
def check_config():
    """Show the configuration (secrets masked); exit 1 if it cannot serve production."""
    settings = _settings()
    width = max(len(env) for env, _ in settings.describe())
    for env, shown in settings.describe():
        click.echo(f"{env.ljust(width)}  {shown}")
    problems = list(settings.production_problems())
    try:
        ListenerConfig.from_env()
    except ValueError as exc:
        problems.append(f"SmartHQ event listener (connector events): {exc}")
    if problems:
        click.echo("\nnot ready for production:", err=True)
        for problem in problems:
            click.echo(f"  - {problem}", err=True)
        sys.exit(1)
    click.echo("\nready for production")


# -- accounts -----------------------------------------------------------------------------


@main.group()
def accounts():
    """Provision and inspect accounts."""


@accounts.command("create")
@click.option("--kasa-access-token")
@click.option("--kasa-refresh-token")
@click.option("--smarthq-access-token")
@click.option("--smarthq-refresh-token")
@click.option("--expires-in", type=int, help="lifetime of the issued access token, seconds")
def accounts_create(kasa_access_token, kasa_refresh_token, smarthq_access_token,
                    smarthq_refresh_token, expires_in):
    """Create an account with partner tokens; print the token SmartThings will send."""
    if kasa_refresh_token and not kasa_access_token:
        raise click.UsageError("--kasa-refresh-token needs --kasa-access-token")
    if bool(smarthq_access_token) != bool(smarthq_refresh_token):
        raise click.UsageError("--smarthq-access-token and --smarthq-refresh-token go together")
    links = []
    if kasa_access_token:
        links.append(PartnerLink("kasa", kasa_access_token, kasa_refresh_token))
    if smarthq_access_token:
        links.append(PartnerLink("smarthq", smarthq_access_token, smarthq_refresh_token))
    store = _services().accounts
    account_id = store.create(links)
    issued = store.issue_tokens(account_id, access_ttl=expires_in)
    _print_json({"account_id": account_id, "installation_id": issued.installation_id,
                 "access_token": issued.access_token, "refresh_token": issued.refresh_token,
                 "expires_in": issued.expires_in, "links": [link.backend for link in links]})


@accounts.command("list")
def accounts_list():
    """One line per account: id, linked partners, installations."""
    store = _services().accounts
    for account_id in store.list():
        info = store.describe(account_id)
        if info:
            partners = ",".join(link["backend"] for link in info["links"]) or "-"
            click.echo(f"{account_id}  partners={partners}  installations={len(info['installations'])}")


@accounts.command("show")
@click.argument("account_id")
def accounts_show(account_id):
    """An account's links and installations (never its secrets)."""
    info = _services().accounts.describe(account_id)
    if info is None:
        raise click.ClickException(f"no account {account_id}")
    _print_json(info)


@accounts.command("delete")
@click.argument("account_id")
def accounts_delete(account_id):
    """Delete an account; SmartThings then gets INTEGRATION-DELETED for its tokens."""
    if not _services().accounts.delete(account_id):
        raise click.ClickException(f"no account {account_id}")
    click.echo(f"deleted {account_id}")


# -- playing SmartThings -----------------------------------------------------------------


@main.group()
def st():
    """Send ST Schema requests as SmartThings would, and validate the answers."""


def _exchange(url: str, payload: dict) -> None:
    from connector import stclient

    try:
        exchange = stclient.send(url, payload)
    except Exception as exc:  # requests' errors: connection refused, timeout, …
        raise click.ClickException(f"request failed: {exc}")
    _print_json(exchange.response)
    if not exchange.ok:
        click.echo(f"INVALID (HTTP {exchange.status}):", err=True)
        for problem in exchange.problems:
            click.echo(f"  - {problem}", err=True)
        sys.exit(1)
    click.echo("valid ST Schema response", err=True)


def _target(fn):
    fn = click.option("--url", required=True, help="the webhook, e.g. http://127.0.0.1:8000/st-schema")(fn)
    return click.option("--token", required=True, help="the access token we issued")(fn)


@st.command("discovery")
@_target
def st_discovery(url, token):
    from connector import stclient

    _exchange(url, stclient.discovery(token))


@st.command("refresh")
@_target
@click.option("--device", "devices", multiple=True, required=True, help="externalDeviceId (repeatable)")
def st_refresh(url, token, devices):
    from connector import stclient

    _exchange(url, stclient.state_refresh(token, list(devices)))


@st.command("command")
@_target
@click.option("--device", required=True, help="externalDeviceId")
@click.option("--command", "commands", multiple=True, required=True,
              help="[component/]capability.command[:json-arguments], e.g. switch.on, "
                   "switchLevel.setLevel:50 (repeatable)")
def st_command(url, token, device, commands):
    from connector import stclient

    try:
        parsed = [stclient.parse_command(c) for c in commands]
    except ValueError as exc:
        raise click.UsageError(str(exc))
    _exchange(url, stclient.command(token, device, parsed))


@st.command("grant")
@_target
@click.option("--client-id", required=True, help="SmartThings' client id for this connector")
@click.option("--code", default="sandbox-callback-code")
@click.option("--callback-base", required=True, help="base URL of the SmartThings callback endpoints")
def st_grant(url, token, client_id, code, callback_base):
    from connector import stclient

    _exchange(url, stclient.grant_callback_access(token, client_id, code, callback_base))


@st.command("delete")
@_target
def st_delete(url, token):
    """Send integrationDeleted."""
    from connector import stclient

    _exchange(url, stclient.integration_deleted(token))


@st.command("result")
@click.option("--url", required=True)
@click.option("--token")
@click.option("--origin", default="discoveryRequest", help="originatingInteractionType")
@click.option("--detail", default="reported by connector st result")
def st_result(url, token, origin, detail):
    """Send interactionResult (authentication optional)."""
    from connector import stclient

    _exchange(url, stclient.interaction_result(token, origin, detail))


# -- the sandbox ------------------------------------------------------------------------


@main.command("sandbox")
@click.option("--port", default=8000, show_default=True)
def sandbox(port):
    """Run the connector on 127.0.0.1 with simulated clouds; no account needed anywhere."""
    from connector.sandbox import embedded

    import threading

    from connector import clock
    from connector.backends.smarthq.events import EventListeners
    from connector.callbacks import queues
    from connector.callbacks.worker import run_worker

    box = embedded.start(port=port)
    services = box.web.app.extensions["connector"]
    queues.install(services)
    stop = threading.Event()
    threading.Thread(target=clock.run, args=(services, stop), daemon=True, name="clock").start()
    events = EventListeners(services, embedded.SANDBOX_EVENTS)
    threading.Thread(target=events.run, daemon=True, name="events").start()
    click.echo(sandbox_banner(box))
    try:
        # The worker delivers callbacks and runs the Kasa polls; it wants the main
        # thread (signal handling) and stops on Ctrl-C.
        run_worker(services, simple=True)
    finally:
        stop.set()
        events.stop()
        box.stop()


def sandbox_banner(box) -> str:
    from connector.sandbox import embedded

    url, token = box.webhook_url, box.access_token
    store = box.settings.redis_url
    bulb = box.devices.get("Office Color Bulb", "kasa:<id>")
    plug = box.devices.get("Hallway Plug", "kasa:<id>")
    washer = box.appliances.get("washer", "smarthq:<id>")
    target = f"--url {url} --token {token}"
    rows = "\n".join(f"  {ext_id}  {name}" for name, ext_id in box.devices.items())
    return f"""
connector sandbox is running (simulated Kasa cloud and SmartThings; nothing leaves 127.0.0.1)
  webhook       {url}
  access token  {token}
  account       {box.account_id}
  store         {"in-process (fakeredis)" if store.startswith("fakeredis") else store}
  Kasa cloud    {box.kasa.url}  (knobs: {box.kasa.admin_url})
  SmartHQ       {box.smarthq.api_url}  (knobs: {box.smarthq.admin_url})
  SmartThings   callbacks received: {box.smartthings.url}/__sim/states

link accounts in a browser as SmartThings would (sign in as {embedded.DEMO_USER} / {embedded.DEMO_PASSWORD}):
  {box.link_url}

simulated Kasa devices:
{rows}

try it from another terminal:
  connector st discovery {target}
  connector st command {target} --device {bulb} --command switch.on
  connector st command {target} --device {bulb} --command 'colorControl.setColor:{{"hue": 50, "saturation": 100}}'
  connector st refresh {target} --device {bulb} --device {plug}

watch a change made "in the Kasa app" arrive at SmartThings (polled every {box.settings.kasa_poll_seconds:.0f} s):
  curl -X POST -H 'Content-Type: application/json' -d '{{"powered": true}}' {box.kasa.admin_url}/devices/{plug.split(":", 1)[1]}/state
  curl {box.smartthings.url}/__sim/states

watch a SmartHQ washer run (Event Stream, pushed at once; simulated time runs {embedded.SANDBOX_SMARTHQ_SPEED:.0f}x):
  curl -X POST {box.smarthq.admin_url}/appliances/{washer.split(":", 1)[1]}/start
  curl {box.smartthings.url}/__sim/states

Ctrl-C stops it."""


# -- subcommand groups that live beside the code they drive ---------------------------
# (imported here, after ``main`` exists, so ``python -m connector.cli`` sees them all)

from connector.backends.kasa.cli import kasa  # noqa: E402
from connector.backends.smarthq.cli import list_profiles, smarthq  # noqa: E402
from connector.backends.smarthq.events import events_command  # noqa: E402
from connector.backends.smarthq.events_config import ListenerConfig  # noqa: E402
from connector.callbacks.cli import callbacks, worker  # noqa: E402
from connector.clock import clock_command  # noqa: E402
from connector.oauth.cli import refresh_tokens  # noqa: E402

for command in (kasa, smarthq, callbacks, worker, clock_command, events_command, refresh_tokens):
    main.add_command(command)
main.add_command(list_profiles, "profiles")

if __name__ == "__main__":
    main()
