"""Property-based fuzzing of the webhook: no malformed body yields a 5xx or an invalid answer."""
from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connector import schema, stclient

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) \
    | st.text(max_size=40)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=15), children, max_size=5),
    max_leaves=25,
)
INTERACTION_TYPES = sorted(schema.INTERACTION_TYPES) + ["", "discoveryrequest", "💥"]
FUZZ = settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def valid_payloads(token):
    return [
        stclient.discovery(token),
        stclient.state_refresh(token, ["kasa:1", "smarthq:2"]),
        stclient.command(token, "kasa:1", [stclient.parse_command("switchLevel.setLevel:50")]),
        stclient.grant_callback_access(token, "id", "code", "https://c2c-us.smartthings.com"),
        stclient.interaction_result(token, "discoveryRequest", "d"),
    ]


def paths(value, prefix=()):
    """Every (path) to a node of a JSON value, for mutation."""
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from paths(child, prefix + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from paths(child, prefix + (index,))


def replace_at(value, path, new):
    if not path:
        return new
    copy = json.loads(json.dumps(value))
    node = copy
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = new
    return copy


def check(client, raw: bytes):
    resp = client.post("/st-schema", data=raw, content_type="application/json")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    assert isinstance(body, dict)
    assert schema.validate_outbound(body) == [], body
    assert "Traceback" not in resp.get_data(as_text=True)
    return body


@FUZZ
@given(value=json_values)
def test_arbitrary_json_gets_a_valid_global_error(client, value):
    body = check(client, json.dumps(value).encode())
    assert body["globalError"]["errorEnum"] in ("BAD-REQUEST", "INVALID-INTERACTION-TYPE")


@FUZZ
@given(data=st.data())
def test_mutated_envelopes_never_fail_the_server(client, account, data):
    payload = data.draw(st.sampled_from(valid_payloads(account[1].access_token)))
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(list(paths(payload))))
        new = data.draw(json_values | st.sampled_from(INTERACTION_TYPES))
        payload = replace_at(payload, path, new)
    check(client, json.dumps(payload).encode())


@FUZZ
@given(raw=st.binary(max_size=200))
def test_arbitrary_bytes_get_a_valid_global_error(client, raw):
    check(client, raw)
