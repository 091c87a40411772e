"""Recorded Kasa payloads (fixtures/*.json) for the Kasa tests."""
from __future__ import annotations

import json
from pathlib import Path

FIXTURE_DIR = Path(__file__).parent / "fixtures"
FIXTURES = sorted(p.stem for p in FIXTURE_DIR.glob("*.json"))


def load(name: str) -> dict:
    """One fixture file: the recorded response bodies, keyed by client method."""
    return json.loads((FIXTURE_DIR / f"{name}.json").read_text())


def info(name: str) -> dict:
    """The ``device_info()`` data of a fixture."""
    return load(name)["device_info"]["data"]


def realtime(name: str) -> dict | None:
    """The ``realtime_energy()`` data of a fixture, if it has a meter."""
    recorded = load(name).get("realtime_energy")
    return recorded["data"] if recorded else None
