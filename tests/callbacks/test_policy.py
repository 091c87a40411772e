"""Back-off with jitter, Retry-After, and where a policy's values come from (pure)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from connector.callbacks.errors import RateLimited, ServerError, Unreachable
from connector.callbacks.policy import DeliveryPolicy


def test_backoff_doubles_until_the_cap_with_equal_jitter():
    policy = DeliveryPolicy(backoff_base=2, backoff_cap=30)
    lows = [policy.backoff(n, rng=lambda: 0.0) for n in range(1, 7)]
    highs = [policy.backoff(n, rng=lambda: 1.0) for n in range(1, 7)]
    assert highs == [2, 4, 8, 16, 30, 30]
    assert lows == [h / 2 for h in highs]  # half is fixed, half is random
    # Retries past the budget go on for as long as the outage lasts: no overflow.
    assert DeliveryPolicy(backoff_base=2.0, backoff_cap=300.0).backoff(5000, rng=lambda: 1.0) == 300


def test_jitter_spreads_retries_within_the_bounds():
    policy = DeliveryPolicy(backoff_base=1, backoff_cap=100)
    delays = {policy.backoff(4) for _ in range(50)}
    assert len(delays) > 1 and all(4 <= d <= 8 for d in delays)


def test_retry_after_is_honoured_as_given_and_capped():
    policy = DeliveryPolicy(max_retry_after=60)
    assert policy.delay(1, RateLimited(7)) == 7
    assert policy.delay(9, RateLimited(7)) == 7  # not grown by the attempt count
    assert policy.delay(1, RateLimited(86400)) == 60


def test_errors_without_retry_after_back_off():
    policy = DeliveryPolicy(backoff_base=1, backoff_cap=100)
    for error in (ServerError(503), Unreachable("timeout"), RateLimited(None)):
        assert 4 <= policy.delay(4, error) <= 8


def test_policy_travels_as_a_dict():
    policy = DeliveryPolicy(retry_budget=3, lease=2.5)
    assert DeliveryPolicy.from_dict(policy.to_dict()) == policy
    assert DeliveryPolicy.from_dict(None) == DeliveryPolicy()


def test_settings_override_defaults_once_they_exist():
    settings = SimpleNamespace(callback_retry_budget=4, callback_max_states=50)
    policy = DeliveryPolicy.from_settings(settings)
    assert (policy.retry_budget, policy.max_states) == (4, 50)
    assert policy.lease == DeliveryPolicy().lease
    assert DeliveryPolicy.from_settings(SimpleNamespace()) == DeliveryPolicy()


def test_nonsense_is_refused():
    for bad in ({"retry_budget": 0}, {"max_states": 0}, {"lease": 0}):
        with pytest.raises(ValueError):
            DeliveryPolicy(**bad)


def test_a_job_may_run_longer_than_its_slice():
    policy = DeliveryPolicy()
    assert policy.job_timeout > policy.slice_seconds + policy.read_timeout
