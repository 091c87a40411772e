"""``connector kasa …``: what the Kasa cloud reports for an account, for support staff.

Read-only views over the account's own Kasa link (its token is refreshed if needed,
never printed). Output is the Kasa API's own JSON, so it can be compared with the
Kasa app or attached to a support ticket.
"""
from __future__ import annotations

import datetime

import click

from connector.backends.admin import account_option, partner_client, partner_id, show


def _client(account_id: str):
    return partner_client("kasa", account_id)


def _show(call) -> None:
    show("kasa", call)


def _kasa_id(device: str) -> str:
    return partner_id(device, "kasa")


device_option = click.option("--device", required=True, help="Kasa device id or kasa:<id>")


@click.group("kasa")
def kasa():
    """Inspect what the Kasa cloud reports for an account's devices."""


@kasa.command("devices")
@account_option
@click.option("--device", help="one device in detail (with its state)")
def devices(account_id, device):
    """The account's devices, or one device with its state."""
    client = _client(account_id)
    _show(lambda: client.device_info(_kasa_id(device)) if device else client.list_devices())


def _period_options(fn):
    today = datetime.date.today()
    fn = click.option("--by", type=click.Choice(["day", "month"]), default="day", show_default=True)(fn)
    fn = click.option("--year", type=int, default=today.year, show_default="this year")(fn)
    return click.option("--month", type=int, default=today.month, show_default="this month")(fn)


@kasa.command("energy")
@account_option
@device_option
@_period_options
@click.option("--realtime", is_flag=True, help="the live power reading instead")
def energy(account_id, device, by, year, month, realtime):
    """Energy use by day or month, or the real-time reading."""
    client, kasa_id = _client(account_id), _kasa_id(device)
    if realtime:
        _show(lambda: client.realtime_energy(kasa_id))
    elif by == "day":
        _show(lambda: client.energy_by_day(kasa_id, year, month))
    else:
        _show(lambda: client.energy_by_month(kasa_id, year, month))


@kasa.command("runtime")
@account_option
@device_option
@_period_options
def runtime(account_id, device, by, year, month):
    """Minutes switched on, by day or month."""
    client, kasa_id = _client(account_id), _kasa_id(device)
    fetch = client.runtime_by_day if by == "day" else client.runtime_by_month
    _show(lambda: fetch(kasa_id, year, month))


@kasa.command("schedules")
@account_option
@device_option
@click.option("--next", "upcoming", is_flag=True, help="only the next schedule to run")
def schedules(account_id, device, upcoming):
    """A device's schedules (or the next one)."""
    client, kasa_id = _client(account_id), _kasa_id(device)
    _show(lambda: client.next_schedule(kasa_id) if upcoming else client.list_schedules(kasa_id))


@kasa.command("timezone")
@account_option
@click.option("--device", help="a device's time zone instead of the account's")
def timezone(account_id, device):
    """The account's (or a device's) time zone."""
    client = _client(account_id)
    _show(lambda: client.device_timezone(_kasa_id(device)) if device else client.account_timezone())
