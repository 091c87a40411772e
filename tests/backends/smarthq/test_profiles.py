"""The device profiles under config/profiles/: valid for the SmartThings CLI, equal to the
mapping's layout, and wide enough for every state the mapping emits; and the
``connector smarthq profiles`` listing."""
from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from connector.backends.smarthq import kinds, profiles
from connector.backends.smarthq import mapping as m
from connector.backends.smarthq.cli import smarthq

from .payloads import FIXTURES, load

NOW = 1714564800.0
WASHER_PROFILE = "5d2f0b6c-1a8e-4c3b-9f7d-2e6a4b8c0d11"


def test_there_is_one_profile_file_per_kind_and_nothing_else():
    assert sorted(p.stem for p in profiles.PROFILE_DIR.glob("*.json")) == sorted(kinds.KINDS)


@pytest.mark.parametrize("kind", kinds.KINDS)
def test_profile_matches_the_mapping(kind):
    profile = profiles.load_profile(kind)
    assert profiles.check_profile(profile) == []
    assert profile.name == f"smarthq-{kind}"


@pytest.mark.parametrize("kind", kinds.KINDS)
def test_profile_is_what_the_smartthings_cli_takes(kind):
    raw = json.loads(profiles.profile_path(kind).read_text())
    assert set(raw) == {"name", "components", "metadata"}
    assert isinstance(raw["metadata"], dict)
    for component in raw["components"]:
        assert set(component) <= {"id", "label", "capabilities", "categories"}
        assert all(set(c) == {"id", "version"} and c["version"] == 1
                   for c in component["capabilities"])
        assert all(not c["id"].startswith("st.") for c in component["capabilities"])
        assert component["categories"] and all(set(c) == {"name"} for c in component["categories"])
    main = raw["components"][0]
    assert main["id"] == "main"
    assert {"healthCheck", "refresh"} <= {c["id"] for c in main["capabilities"]}
    assert main["categories"] == [{"name": kinds.CATEGORIES[kind]}]


@pytest.mark.parametrize("name", FIXTURES)
def test_every_emitted_state_is_inside_its_profile(name):
    device = load(name)
    profile = profiles.load_profile(m.kind(device))
    assert profiles.check_states(profile, m.to_states(device, NOW)) == []


def test_components_the_fixtures_use_are_all_declared():
    used = {}
    for name in FIXTURES:
        device = load(name)
        used.setdefault(m.kind(device), set()).update(s.component for s in m.to_states(device, NOW))
    for kind, components in used.items():
        assert components <= set(profiles.load_profile(kind).components), kind


def test_check_states_names_what_falls_outside():
    profile = profiles.load_profile("washer")
    outside = [s for s in m.to_states(load("refrigerator_PVD28BYNIFS"), NOW)
               if s.capability == "st.refrigeration"]
    assert profiles.check_states(profile, outside) == [
        "main/st.refrigeration.rapidCooling", "main/st.refrigeration.rapidFreezing"]


# -- a broken profile is caught ----------------------------------------------------------


@pytest.fixture
def profile_dir(tmp_path):
    for path in profiles.PROFILE_DIR.glob("*.json"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def _edit(directory, kind, change):
    path = directory / f"{kind}.json"
    raw = json.loads(path.read_text())
    change(raw)
    path.write_text(json.dumps(raw))


@pytest.mark.parametrize("change, problem", [
    (lambda p: p["components"][0]["capabilities"].pop(), "main lacks st.refresh"),
    (lambda p: p["components"][0]["capabilities"].append({"id": "colorControl", "version": 1}),
     "has extra st.colorControl"),
    (lambda p: p["components"][0]["capabilities"].append({"id": "samsungce.magic", "version": 1}),
     "unknown capability samsungce.magic"),
    (lambda p: p["components"][0]["capabilities"][0].update(version=2), "version 1"),
    (lambda p: p["components"].reverse(), "first component must be main"),
    (lambda p: p["components"].pop(), "icemaker missing"),
    (lambda p: p.update(name=""), "no name"),
    (lambda p: p["components"][1].update(categories="Freezer"), "categories"),
])
def test_check_profile_reports_drift(profile_dir, change, problem):
    _edit(profile_dir, "refrigerator", change)
    problems = profiles.check_profile(profiles.load_profile("refrigerator", profile_dir))
    assert any(problem in p for p in problems), problems


def test_unreadable_profiles_raise(profile_dir):
    (profile_dir / "hood.json").write_text("{not json")
    with pytest.raises(profiles.ProfileError):
        profiles.load_profile("hood", profile_dir)
    (profile_dir / "hood.json").unlink()
    with pytest.raises(profiles.ProfileError, match="missing"):
        profiles.load_profile("hood", profile_dir)


# -- the listing -------------------------------------------------------------------------


def test_rows_show_configured_placeholder_and_invalid_ids():
    rows = {r.kind: r for r in profiles.profile_rows(
        {"washer": WASHER_PROFILE, "dryer": "nope", "toaster": WASHER_PROFILE})}
    assert set(rows) == set(kinds.KINDS)
    assert (rows["washer"].status, rows["washer"].profile_id) == ("configured", WASHER_PROFILE)
    assert rows["dryer"].status == "invalid"
    assert rows["dryer"].profile_id == m.placeholder_profile_id("dryer")
    assert rows["hood"].status == "placeholder"
    assert all(r.problems == () and r.name for r in rows.values())
    assert profiles.unknown_kinds({"washer": "x", "toaster": "y"}) == ["toaster"]


def run_cli(monkeypatch, env_ids, *args):
    if env_ids is None:
        monkeypatch.delenv("SMARTHQ_PROFILE_IDS", raising=False)
    else:
        monkeypatch.setenv("SMARTHQ_PROFILE_IDS", env_ids)
    return CliRunner().invoke(smarthq, ["profiles", *args], catch_exceptions=False)


def test_cli_lists_kinds_files_and_configured_ids(monkeypatch):
    result = run_cli(monkeypatch, f"washer={WASHER_PROFILE},toaster={WASHER_PROFILE}")
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    assert set(kinds.KINDS) <= set(lines)
    assert WASHER_PROFILE in lines["washer"] and "placeholder" not in lines["washer"]
    assert "config/profiles/washer.json" in lines["washer"]
    assert m.placeholder_profile_id("hood") in lines["hood"] and "placeholder" in lines["hood"]
    assert "'toaster'" in result.stderr


def test_cli_json(monkeypatch):
    result = run_cli(monkeypatch, None, "--json")
    assert result.exit_code == 0
    listing = json.loads(result.stdout)
    assert [p["kind"] for p in listing["profiles"]] == list(kinds.KINDS)
    assert {p["status"] for p in listing["profiles"]} == {"placeholder"}
    assert listing["unknownKinds"] == []


def test_cli_fails_when_a_profile_drifts(monkeypatch, profile_dir):
    _edit(profile_dir, "oven", lambda p: p["components"].pop())
    monkeypatch.setattr(profiles, "PROFILE_DIR", profile_dir)
    result = run_cli(monkeypatch, None)
    assert result.exit_code == 1
    assert "lower missing" in result.stderr
