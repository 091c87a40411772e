"""Waiting for something another thread, process or simulated cloud does."""
from __future__ import annotations

import time


def wait_for(condition, timeout: float = 10.0, interval: float = 0.05):
    """``condition()``'s first truthy value, or its last (falsy) value after ``timeout``
    seconds, so the caller's ``assert`` shows what was seen."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)
