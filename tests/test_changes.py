from connector.changes import diff, snapshot_of
from connector.model import Device, ManufacturerInfo, State

PLUG = Device("kasa:1", "Plug", ManufacturerInfo("TP-Link", "HS100"), "c2c-switch")
BULB = Device("kasa:2", "Bulb", ManufacturerInfo("TP-Link", "KL130"), "c2c-rgbw-color-bulb")


def on(value="on"):
    return State("st.switch", "switch", value)


def health(value="online"):
    return State("st.healthCheck", "healthStatus", value)


def test_first_reading_is_a_silent_baseline():
    changes = diff(None, [PLUG], {"kasa:1": [on()]})
    assert not changes
    assert changes.snapshot == {"kasa:1": snapshot_of([on()])}


def test_only_changed_attributes_are_published():
    previous = {"kasa:1": snapshot_of([on("off"), health()])}
    changes = diff(previous, [PLUG], {"kasa:1": [on("on"), health()]})
    assert [(r.external_id, r.states) for r in changes.results] == [("kasa:1", [on("on")])]


def test_unchanged_reading_publishes_nothing():
    previous = {"kasa:1": snapshot_of([on(), health()])}
    assert not diff(previous, [PLUG], {"kasa:1": [on(), health()]})


def test_a_unit_change_counts_as_a_change():
    previous = {"kasa:1": {"main|st.powerMeter|power": [5, "W"]}}
    changes = diff(previous, [PLUG], {"kasa:1": [State("st.powerMeter", "power", 5, unit="kW")]})
    assert changes.results[0].states[0].unit == "kW"


def test_new_device_is_announced_with_all_its_states():
    previous = {"kasa:1": snapshot_of([on()])}
    changes = diff(previous, [PLUG, BULB], {"kasa:1": [on()], "kasa:2": [on("off"), health()]})
    assert changes.new_devices == [BULB]
    assert [(r.external_id, r.states) for r in changes.results] == [("kasa:2", [on("off"), health()])]


def test_vanished_device_is_device_deleted_and_forgotten():
    previous = {"kasa:1": snapshot_of([on()]), "kasa:2": snapshot_of([on()])}
    changes = diff(previous, [PLUG], {"kasa:1": [on()]})
    (deleted,) = changes.results
    assert deleted.external_id == "kasa:2" and deleted.errors[0].enum == "DEVICE-DELETED"
    assert set(changes.snapshot) == {"kasa:1"}


def test_a_listed_device_that_could_not_be_read_keeps_its_values_and_is_not_deleted():
    previous = {"kasa:1": snapshot_of([on()]), "kasa:2": snapshot_of([on()])}
    changes = diff(previous, [PLUG], {"kasa:1": [on()]}, unread=["kasa:2"])
    assert not changes and changes.snapshot == previous


def test_unread_device_keeps_its_previous_values():
    previous = {"kasa:1": snapshot_of([on()])}
    changes = diff(previous, [PLUG], {})
    assert not changes and changes.snapshot == previous


def test_health_going_offline_is_a_change():
    previous = {"kasa:1": snapshot_of([on(), health()])}
    changes = diff(previous, [PLUG], {"kasa:1": [health("offline")]})
    assert changes.results[0].states == [health("offline")]
    # Attributes not read while offline are remembered, so coming back is not "new".
    assert changes.snapshot["kasa:1"]["main|st.switch|switch"] == ["on", None]
