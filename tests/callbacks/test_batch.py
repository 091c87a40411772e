"""Pending entries ⇄ Redis strings, and how they are cut into callbacks (pure)."""
from __future__ import annotations

import json

from connector import schema
from connector.callbacks import batch
from connector.model import Device, DeviceError, DeviceResult, ManufacturerInfo, State

PLUG = Device("kasa:PLUG1", "Kitchen Plug", ManufacturerInfo("TP-Link", "KP115", sw_version="1.0"),
              "c2c-switch-power-energy", room_name="Kitchen", groups=("Plugs",))


def entries(*encoded: batch.Encoded) -> dict[str, str]:
    return {e.field: e.raw for e in encoded}


def test_states_without_timestamp_are_stamped_and_round_trip():
    [enc] = batch.encode_results([DeviceResult("kasa:A", [State("st.switch", "switch", "on")])],
                                 now_ms=1_700_000_000_123)
    assert enc.timestamp == 1_700_000_000_123 and enc.raw.startswith("1700000000123|")
    item = batch.decode(enc.field, enc.raw)
    assert item.value == State("st.switch", "switch", "on", timestamp=1_700_000_000_123)


def test_a_state_keeps_its_own_timestamp_unit_and_component():
    state = State("st.switchLevel", "level", 40, component="light", unit="%", timestamp=5)
    enc = batch.encode_state("kasa:A", state)
    assert json.loads(enc.field) == ["s", "kasa:A", "light", "st.switchLevel", "level"]
    assert batch.decode(enc.field, enc.raw).value == state


def test_devices_and_errors_round_trip():
    device = batch.decode(*_pair(batch.encode_device(PLUG, 7)))
    assert device.value == PLUG and device.kind == batch.DEVICE
    error = batch.decode(*_pair(batch.encode_error("kasa:A", DeviceError("DEVICE-DELETED", "x"), 7)))
    assert error.value == DeviceError("DEVICE-DELETED", "x")


def _pair(enc):
    return enc.field, enc.raw


def test_one_state_callback_for_everything_below_the_bound():
    pending = entries(*batch.encode_results([
        DeviceResult("kasa:B", [State("st.switch", "switch", "on")]),
        DeviceResult("kasa:A", [State("st.switch", "switch", "off"),
                                State("st.powerMeter", "power", 2.0, unit="W")]),
        DeviceResult.failed("kasa:C", "DEVICE-DELETED", "gone")], now_ms=9))
    [only], broken = batch.plan(pending, max_states=10, max_devices=10)
    assert broken == {}
    assert only.interaction_type == "stateCallback" and only.sent == pending
    assert [r.external_id for r in only.results] == ["kasa:A", "kasa:B", "kasa:C"]
    assert only.results[2].errors == [DeviceError("DEVICE-DELETED", "gone")]


def test_split_only_above_the_bound_and_every_entry_in_exactly_one_batch():
    results = [DeviceResult(f"kasa:{n:02}", [State("st.switch", "switch", "on")]) for n in range(7)]
    pending = entries(*batch.encode_results(results, now_ms=1))
    batches, _ = batch.plan(pending, max_states=3, max_devices=10)
    assert [b.size for b in batches] == [3, 3, 1]
    sent = [field for b in batches for field in b.sent]
    assert sorted(sent) == sorted(pending)


def test_announcements_come_before_states():
    pending = entries(batch.encode_state("kasa:PLUG1", State("st.switch", "switch", "on", timestamp=1)),
                      batch.encode_device(PLUG, 1))
    batches, _ = batch.plan(pending, max_states=10, max_devices=10)
    assert [b.interaction_type for b in batches] == ["discoveryCallback", "stateCallback"]


def test_unreadable_entries_are_set_aside_not_sent():
    pending = {"not json": "1|{}", '["x","kasa:A"]': "1|{}", '["s","kasa:A"]': "no stamp"}
    batches, broken = batch.plan(pending, max_states=10, max_devices=10)
    assert batches == [] and broken == pending


def test_payloads_are_valid_callbacks_with_the_token():
    pending = entries(batch.encode_device(PLUG, 1), *batch.encode_results(
        [DeviceResult("kasa:PLUG1", [State("st.switch", "switch", "on")])], now_ms=1))
    batches, _ = batch.plan(pending, max_states=10, max_devices=10)
    for item in batches:
        payload = batch.to_payload(item, "the-token")
        assert payload["authentication"]["token"] == "the-token"
        assert payload["headers"]["interactionType"] == item.interaction_type
        assert schema.validate_outbound(payload) == []
