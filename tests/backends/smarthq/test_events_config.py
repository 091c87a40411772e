"""ListenerConfig (the settings of ``connector events``) and the reconnect Backoff."""
from __future__ import annotations

import dataclasses
import random

import pytest

from connector.backends.smarthq.backoff import Backoff
from connector.backends.smarthq.events_config import ENV, ListenerConfig

FIELDS = [f.name for f in dataclasses.fields(ListenerConfig)]


class Fixed:
    """An rng whose random() is always ``value``."""

    def __init__(self, value: float):
        self.value = value

    def random(self) -> float:
        return self.value


# -- validation --------------------------------------------------------------------------


def test_the_defaults_are_valid():
    config = ListenerConfig()
    assert config.lease_seconds == 30.0 and config.tick_seconds == 5.0
    assert config.max_accounts == 5000


@pytest.mark.parametrize("name", FIELDS)
@pytest.mark.parametrize("bad", [0, -1, float("nan")])
def test_every_field_must_be_positive(name, bad):
    with pytest.raises(ValueError, match=f"^{name} must be positive"):
        ListenerConfig(**{name: bad})


def test_the_lease_must_outlive_two_ticks():
    with pytest.raises(ValueError, match="lease_seconds must be at least twice tick_seconds"):
        ListenerConfig(lease_seconds=9.9, tick_seconds=5.0)
    assert ListenerConfig(lease_seconds=10.0, tick_seconds=5.0).lease_seconds == 10.0


def test_the_backoff_cap_must_not_be_below_its_base():
    with pytest.raises(ValueError, match="backoff_cap"):
        ListenerConfig(backoff_base=2.0, backoff_cap=1.0)


def test_replace_validates_too():
    with pytest.raises(ValueError, match="tick_seconds must be positive"):
        ListenerConfig().replace(tick_seconds=0)
    assert ListenerConfig().replace(tick_seconds=1.0).tick_seconds == 1.0


def test_takeover_bound_is_a_lease_plus_a_tick():
    assert ListenerConfig().takeover_bound == 35.0
    assert ListenerConfig(lease_seconds=2.0, tick_seconds=0.2).takeover_bound == pytest.approx(2.2)


def test_backoff_follows_the_config():
    assert ListenerConfig(backoff_base=0.5, backoff_cap=8.0).backoff == Backoff(0.5, 8.0)


# -- from_env ----------------------------------------------------------------------------


def test_from_env_reads_every_variable():
    environ = {ENV["lease_seconds"]: "40", ENV["tick_seconds"]: "2.5", ENV["scan_seconds"]: "12",
               ENV["ping_seconds"]: " 20 ", ENV["backoff_base"]: "0.5", ENV["backoff_cap"]: "30",
               ENV["max_accounts"]: "250"}
    assert set(environ) == set(ENV.values())
    config = ListenerConfig.from_env(environ)
    assert (config.lease_seconds, config.tick_seconds, config.scan_seconds, config.ping_seconds,
            config.backoff_base, config.backoff_cap) == (40.0, 2.5, 12.0, 20.0, 0.5, 30.0)
    assert config.max_accounts == 250 and isinstance(config.max_accounts, int)


def test_from_env_keeps_defaults_for_unset_or_blank_variables():
    assert ListenerConfig.from_env({ENV["lease_seconds"]: "  ", "UNRELATED": "1"}) == \
        ListenerConfig()


def test_from_env_reads_the_process_environment_by_default(monkeypatch):
    for var in ENV.values():
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv(ENV["scan_seconds"], "7")
    assert ListenerConfig.from_env().scan_seconds == 7.0


def test_overrides_win_over_the_environment_and_none_is_no_override():
    environ = {ENV["lease_seconds"]: "40", ENV["tick_seconds"]: "4"}
    config = ListenerConfig.from_env(environ, lease_seconds=12.0, tick_seconds=None,
                                     pong_seconds=3.0)
    assert (config.lease_seconds, config.tick_seconds, config.pong_seconds) == (12.0, 4.0, 3.0)


@pytest.mark.parametrize("name, raw", [("lease_seconds", "thirty"), ("backoff_cap", "1m"),
                                       ("max_accounts", "2.5"), ("max_accounts", "many")])
def test_from_env_names_the_variable_that_is_not_a_number(name, raw):
    with pytest.raises(ValueError) as err:
        ListenerConfig.from_env({ENV[name]: raw})
    assert str(err.value) == f"{ENV[name]}: not a number: {raw!r}"


def test_from_env_still_validates():
    with pytest.raises(ValueError, match="lease_seconds must be at least twice"):
        ListenerConfig.from_env({ENV["lease_seconds"]: "6", ENV["tick_seconds"]: "5"})
    with pytest.raises(ValueError, match="max_accounts must be positive"):
        ListenerConfig.from_env({ENV["max_accounts"]: "0"})


# -- Backoff -----------------------------------------------------------------------------


@pytest.mark.parametrize("failures, step", [(0, 1.0), (1, 2.0), (3, 8.0), (5, 32.0)])
def test_delay_spans_half_the_doubled_step_to_the_whole_step(failures, step):
    backoff = Backoff(base=1.0, cap=60.0)
    assert backoff.delay(failures, Fixed(0.0)) == step / 2
    assert backoff.delay(failures, Fixed(0.5)) == pytest.approx(step * 3 / 4)
    assert backoff.delay(failures, Fixed(0.999999)) == pytest.approx(step, rel=1e-5)
    assert backoff.delay(failures, Fixed(0.999999)) < step


@pytest.mark.parametrize("failures", [6, 7, 32, 33, 10**6])
def test_delay_is_capped(failures):
    backoff = Backoff(base=1.0, cap=60.0)
    assert backoff.delay(failures, Fixed(0.0)) == 30.0
    assert backoff.delay(failures, Fixed(0.999999)) == pytest.approx(60.0, rel=1e-5)


def test_negative_failures_count_as_none():
    assert Backoff(base=2.0, cap=60.0).delay(-3, Fixed(0.0)) == 1.0


def test_delay_stays_within_bounds_with_a_real_rng():
    backoff, rng = Backoff(base=0.05, cap=0.2), random.Random(1234)
    for failures in range(12):
        step = min(0.2, 0.05 * 2 ** failures)
        delays = [backoff.delay(failures, rng) for _ in range(200)]
        assert all(step / 2 <= d <= step for d in delays)
        assert len(set(delays)) > 1  # jittered, not constant
