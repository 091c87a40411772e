"""Simulated time: a clock that runs with the wall (optionally faster) or stands still,
and a scheduler of appliance work due at clock times.

Everything that ages (token expiry, auth codes, a wash cycle, a cooling room) reads
this clock, so a test can move an hour in a millisecond with ``advance`` and the
sandbox can run at, say, 60x to watch a cycle finish in a minute.
"""
from __future__ import annotations

import heapq
import itertools
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable


class SimClock:
    """Epoch seconds. ``speed`` scales wall time; ``frozen`` stops it (tests)."""

    def __init__(self, start: float | None = None, *, speed: float = 1.0, frozen: bool = False):
        self._sim_anchor = time.time() if start is None else float(start)
        self._wall_anchor = time.monotonic()
        self._speed = float(speed)
        self._frozen = frozen

    def now(self) -> float:
        if self._frozen:
            return self._sim_anchor
        return self._sim_anchor + (time.monotonic() - self._wall_anchor) * self._speed

    def _reanchor(self) -> None:
        self._sim_anchor, self._wall_anchor = self.now(), time.monotonic()

    @property
    def speed(self) -> float:
        return self._speed

    @speed.setter
    def speed(self, value: float) -> None:
        if value <= 0:
            raise ValueError("speed must be positive")
        self._reanchor()
        self._speed = float(value)

    @property
    def frozen(self) -> bool:
        return self._frozen

    @frozen.setter
    def frozen(self, value: bool) -> None:
        self._reanchor()
        self._frozen = bool(value)

    def jump(self, seconds: float) -> None:
        """Move forward (only the scheduler should call this: see Scheduler.advance)."""
        if seconds < 0:
            raise ValueError("time only moves forward")
        self._sim_anchor += seconds


def iso(ts: float) -> str:
    """The API's timestamp format: ``2024-05-01T12:00:00.000Z``."""
    dt = datetime.fromtimestamp(ts, timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


@dataclass(order=True)
class Task:
    due: float
    seq: int
    run: Callable[[], None] = field(compare=False)
    key: str | None = field(default=None, compare=False)
    cancelled: bool = field(default=False, compare=False)


class Scheduler:
    """Work due at clock times. Not thread-safe: the cloud calls it under its lock.

    A task may be keyed (``"<device>/<unit>/tick"``); scheduling the same key again
    replaces the pending one, so a restarted cycle never ticks twice.
    """

    def __init__(self, clock: SimClock):
        self.clock = clock
        self._heap: list[Task] = []
        self._keys: dict[str, Task] = {}
        self._seq = itertools.count()

    def at(self, due: float, run: Callable[[], None], key: str | None = None) -> Task:
        if key is not None:
            self.cancel(key)
        task = Task(due, next(self._seq), run, key)
        heapq.heappush(self._heap, task)
        if key is not None:
            self._keys[key] = task
        return task

    def after(self, delay: float, run: Callable[[], None], key: str | None = None) -> Task:
        return self.at(self.clock.now() + max(0.0, delay), run, key)

    def cancel(self, key: str) -> None:
        task = self._keys.pop(key, None)
        if task is not None:
            task.cancelled = True

    def cancel_prefix(self, prefix: str) -> None:
        for key in [k for k in self._keys if k.startswith(prefix)]:
            self.cancel(key)

    def pending(self, key: str) -> bool:
        return key in self._keys

    def _pop_due(self, until: float) -> Task | None:
        while self._heap and self._heap[0].due <= until:
            task = heapq.heappop(self._heap)
            if task.key is not None and self._keys.get(task.key) is task:
                del self._keys[task.key]
            if not task.cancelled:
                return task
        return None

    def run_due(self) -> int:
        """Run everything due by now, in due order; returns how many ran."""
        ran = 0
        while (task := self._pop_due(self.clock.now())) is not None:
            task.run()
            ran += 1
        return ran

    def advance(self, seconds: float) -> int:
        """Move the clock ``seconds`` forward, stopping at each due task on the way so
        each one runs at (and sees) its own time."""
        target = self.clock.now() + seconds
        ran = self.run_due()
        while self._heap and self._heap[0].due <= target:
            gap = self._heap[0].due - self.clock.now()
            if gap > 0:
                self.clock.jump(gap)
            ran += self.run_due()
        gap = target - self.clock.now()
        if gap > 0:
            self.clock.jump(gap)
        return ran + self.run_due()
