"""The device profiles of SmartHQ appliances: ``config/profiles/<kind>.json``.

SmartThings has no c2c handler type for appliances, so each appliance kind has a
device profile that an operator registers once with the SmartThings CLI::

    smartthings deviceprofiles:create -i config/profiles/washer.json

and whose issued id goes into ``SMARTHQ_PROFILE_IDS`` (``washer=<uuid>,…``); discovery
sends that id as ``deviceHandlerType``. A kind without one gets a placeholder UUID
(``mapping.handler_type``) and a warning.

``check_profile`` keeps the files honest against the mapping: the components and
capabilities must be exactly ``kinds.LAYOUTS`` (what the mapping may emit), each a
capability ``connector.capabilities`` knows, with healthCheck and refresh on ``main``.
``check_states`` tells whether a list of states stays inside a profile.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

from connector import capabilities
from connector.backends.smarthq import kinds, mapping
from connector.model import State

PROFILE_DIR = Path(__file__).resolve().parents[3] / "config" / "profiles"
REQUIRED_ON_MAIN = (kinds.HEALTH, kinds.REFRESH)


class ProfileError(ValueError):
    """A profile file is missing or is not the JSON the SmartThings CLI takes."""


@dataclass(frozen=True)
class Profile:
    kind: str
    path: Path
    name: str
    components: dict[str, tuple[str, ...]]  # component → ST Schema capability ids
    raw: dict

    def allows(self, state: State) -> bool:
        return state.capability in self.components.get(state.component, ())


@dataclass(frozen=True)
class ProfileRow:
    """What ``connector smarthq profiles`` shows for one kind."""

    kind: str
    path: Path
    name: str
    profile_id: str
    status: str  # "configured", "placeholder" or "invalid"
    problems: tuple[str, ...] = ()


def profile_path(kind: str, directory: Path | None = None) -> Path:
    return (directory or PROFILE_DIR) / f"{kind}.json"


def load_profile(kind: str, directory: Path | None = None) -> Profile:
    """Read and parse one kind's profile file; ``ProfileError`` if it is unusable."""
    path = profile_path(kind, directory)
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        raise ProfileError(f"{path}: missing") from None
    except (OSError, ValueError) as exc:
        raise ProfileError(f"{path}: {exc}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("components"), list):
        raise ProfileError(f"{path}: expected an object with a components list")
    components: dict[str, tuple[str, ...]] = {}
    for component in raw["components"]:
        if not isinstance(component, dict) or not isinstance(component.get("id"), str):
            raise ProfileError(f"{path}: every component needs an id")
        ids = tuple("st." + c.get("id", "") if isinstance(c, dict) else "st.?"
                    for c in component.get("capabilities") or ())
        components[component["id"]] = ids
    return Profile(kind, path, str(raw.get("name") or ""), components, raw)


def load_profiles(directory: Path | None = None) -> dict[str, Profile]:
    """Every kind's profile, in ``kinds.KINDS`` order."""
    return {kind: load_profile(kind, directory) for kind in kinds.KINDS}


def check_profile(profile: Profile) -> list[str]:
    """What is wrong with a profile file (empty when it matches the mapping)."""
    problems = []
    raw = profile.raw
    if not profile.name:
        problems.append("no name")
    ids = [c.get("id") for c in raw["components"]]
    if not ids or ids[0] != kinds.MAIN:
        problems.append("the first component must be main")
    if len(set(ids)) != len(ids):
        problems.append("duplicate component ids")
    for component in raw["components"]:
        problems += _check_component(component)
    missing = [c for c in REQUIRED_ON_MAIN if c not in profile.components.get(kinds.MAIN, ())]
    if missing:
        problems.append(f"main lacks {', '.join(missing)} (mandatory in every profile)")
    expected = {c: set(caps) for c, caps in kinds.LAYOUTS[profile.kind].items()}
    actual = {c: set(caps) for c, caps in profile.components.items()}
    if actual != expected:
        problems.append(f"components/capabilities differ from the mapping's layout: "
                        f"{_difference(expected, actual)}")
    return problems


def check_states(profile: Profile, states: Iterable[State]) -> list[str]:
    """The states that fall outside ``profile`` (SmartThings would drop them)."""
    return [f"{s.component}/{s.capability}.{s.attribute}" for s in states
            if not profile.allows(s)]


def profile_rows(profile_ids: Mapping[str, str] | None,
                 directory: Path | None = None) -> list[ProfileRow]:
    """One row per kind: its file, its profile name, and the id discovery will send."""
    configured = mapping.configured_profile_ids(profile_ids)
    invalid = {kinds.normalize_kind(k) for k in (profile_ids or {})} - set(configured)
    rows = []
    for kind in kinds.KINDS:
        try:
            profile = load_profile(kind, directory)
            name, problems = profile.name, tuple(check_profile(profile))
        except ProfileError as exc:
            name, problems = "", (str(exc),)
        if kind in configured:
            profile_id, status = configured[kind], "configured"
        else:
            profile_id = mapping.placeholder_profile_id(kind)
            status = "invalid" if kind in invalid else "placeholder"
        rows.append(ProfileRow(kind, profile_path(kind, directory), name, profile_id, status,
                               problems))
    return rows


def unknown_kinds(profile_ids: Mapping[str, str] | None) -> list[str]:
    """SMARTHQ_PROFILE_IDS keys that name no appliance kind (typos)."""
    return [k for k in (profile_ids or {}) if kinds.normalize_kind(k) is None]


def _check_component(component: Mapping) -> list[str]:
    where = f"component {component.get('id')!r}"
    problems = []
    caps = component.get("capabilities")
    if not isinstance(caps, list) or not caps:
        return [f"{where}: no capabilities"]
    seen = set()
    for cap in caps:
        if not isinstance(cap, dict) or not isinstance(cap.get("id"), str):
            problems.append(f"{where}: a capability without an id")
            continue
        if cap.get("version") != 1:
            problems.append(f"{where}: {cap['id']} must have version 1")
        if f"st.{cap['id']}" not in capabilities.CAPABILITIES:
            problems.append(f"{where}: unknown capability {cap['id']}")
        if cap["id"] in seen:
            problems.append(f"{where}: {cap['id']} listed twice")
        seen.add(cap["id"])
    categories = component.get("categories")
    if not isinstance(categories, list) or not all(
            isinstance(c, dict) and isinstance(c.get("name"), str) for c in categories):
        problems.append(f"{where}: categories must be a list of {{name}}")
    return problems


def _difference(expected: dict, actual: dict) -> str:
    parts = []
    for component in sorted(set(expected) | set(actual)):
        missing = sorted(expected.get(component, set()) - actual.get(component, set()))
        extra = sorted(actual.get(component, set()) - expected.get(component, set()))
        if component not in actual:
            parts.append(f"{component} missing")
        elif component not in expected:
            parts.append(f"{component} not in the mapping")
        else:
            parts += [f"{component} lacks {c}" for c in missing]
            parts += [f"{component} has extra {c}" for c in extra]
    return "; ".join(parts)
