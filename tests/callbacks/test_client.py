"""The HTTP leg: each SmartThings answer becomes the right outcome (over real HTTP)."""
from __future__ import annotations

import socket
from datetime import datetime, timezone
from email.utils import format_datetime

import pytest
from flask import Flask, redirect

from connector.callbacks.client import SmartThingsClient, parse_retry_after
from connector.callbacks.errors import (
    RateLimited,
    Rejected,
    ServerError,
    Unauthorized,
    Unreachable,
    UrlRefused,
)
from connector.model import DeviceResult, State
from connector.sandbox.server import ServerThread
from connector.schema import state_callback
from tests.callbacks.conftest import ST_CLIENT_SECRET

LOOPBACK = ("127.0.0.1",)


@pytest.fixture
def st(sim):
    return SmartThingsClient(LOOPBACK, read_timeout=2), sim.callback_urls()["stateCallback"]


@pytest.fixture
def granted_token(sim):
    code = sim.cloud.mint_code("inst")
    grant = sim.cloud.issue_tokens({"grantType": "authorization_code", "code": code,
                                    "clientId": sim.cloud.client_id,
                                    "clientSecret": ST_CLIENT_SECRET},
                                   "accessTokenRequest")
    return grant["accessToken"]


def test_accepted_callback_returns_the_answer(st, granted_token):
    client, url = st
    switched = DeviceResult("kasa:A", [State("st.switch", "switch", "on")])
    answer = client.post(url, state_callback(granted_token, [switched]))
    assert answer["headers"]["interactionType"] == "stateCallback"


@pytest.mark.parametrize("status, error", [(500, ServerError), (502, ServerError),
                                           (503, ServerError), (401, Unauthorized),
                                           (403, Rejected), (408, Unreachable)])
def test_statuses_map_to_outcomes(st, sim, status, error):
    client, url = st
    sim.cloud.fail_next(status)
    with pytest.raises(error):
        client.post(url, {})


def test_429_carries_retry_after(st, sim):
    client, url = st
    sim.cloud.fail_next(429, retry_after=7)
    with pytest.raises(RateLimited) as caught:
        client.post(url, {})
    assert caught.value.retry_after == 7


def test_a_refusal_carries_smartthings_global_error(st):
    client, url = st
    with pytest.raises(Unauthorized) as caught:
        client.post(url, state_callback("not-a-token", []))
    assert caught.value.enum == "INVALID-TOKEN"


def test_timeout_and_refused_connection_are_unreachable(st, sim):
    client, url = st
    short = SmartThingsClient(LOOPBACK, read_timeout=0.1)
    sim.cloud.set_latency(0.3, target="callback")
    with pytest.raises(Unreachable):
        short.post(url, {})
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(Unreachable):
        client.post(f"http://127.0.0.1:{port}/device/events", {})


def test_redirects_are_not_followed():
    app = Flask(__name__)
    app.add_url_rule("/device/events", "r", lambda: redirect("http://127.0.0.1:9/elsewhere", 307),
                     methods=["POST"])
    with ServerThread(app) as server:
        with pytest.raises(Rejected) as caught:
            SmartThingsClient(LOOPBACK).post(f"{server.url}/device/events", {})
    assert caught.value.status == 307


def test_url_outside_the_allow_list_is_refused_without_a_request(sim):
    client = SmartThingsClient(("*.smartthings.com",))
    with pytest.raises(UrlRefused):
        client.post(sim.callback_urls()["stateCallback"], {})
    assert sim.cloud.counts()["callbacks_accepted"] + sim.cloud.counts()["callbacks_rejected"] == 0


def test_retry_after_in_seconds_or_as_a_date():
    assert parse_retry_after("120") == 120
    when = datetime(2030, 1, 1, tzinfo=timezone.utc)
    assert parse_retry_after(format_datetime(when, usegmt=True), now=when.timestamp() - 30) == 30
    assert parse_retry_after(format_datetime(when, usegmt=True), now=when.timestamp() + 30) == 0
    for junk in (None, "", "soon", "-5"):
        assert parse_retry_after(junk) is None
