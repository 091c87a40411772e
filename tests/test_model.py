"""The shared number check every mapping uses on partner payloads."""
from __future__ import annotations

import pytest

from connector.model import is_number


@pytest.mark.parametrize("value", [0, -3, 2.5, 10**15])
def test_real_finite_numbers_are_numbers(value):
    assert is_number(value)


@pytest.mark.parametrize("value", [True, False, None, "3", float("nan"), float("inf"), 10**400])
def test_bools_strings_and_values_no_float_holds_are_not(value):
    assert not is_number(value)
