"""Energy (Wh) and runtime (minutes) per day for one device, and the document's windows.

Days before the simulator saw the device are synthetic but deterministic (seeded by the
device id and the date), so repeated queries agree and monthly sums equal the sum of
their days. From then on the device accrues what it really does: minutes and watt-hours
while powered. Deleting energy stats wipes the energy series (the device "total" resets
too), exactly what ``DELETE /energy-consumption`` promises.

Windows, from the document's worked examples: by day, the 30 days ending today
(on March 1st that is January 31st - March 1st); by month, the 12 months ending with the
current one. A requested month or year wholly outside its window is OUT_OF_RANGE.
"""
from __future__ import annotations

import calendar
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from .catalog import ModelSpec
from .errors import OUT_OF_RANGE_EXCEPTION, KasaError

DAY_WINDOW = 30
MONTH_WINDOW = 12
ENERGY, RUNTIME = "energy", "runtime"


@dataclass
class _Series:
    start: date  # first day with data
    synthetic_until: datetime | None  # local time the synthetic history ends
    live: dict[date, float] = field(default_factory=dict)


class UsageHistory:
    """Per-day energy and runtime of one device, in the device's local time."""

    def __init__(self, seed: str, spec: ModelSpec, now_local: datetime, history_days: int):
        self._seed = seed
        self._spec = spec
        start = now_local.date() - timedelta(days=history_days)
        synthetic = now_local if history_days > 0 else None
        self._series = {
            ENERGY: _Series(start if synthetic else now_local.date(), synthetic),
            RUNTIME: _Series(start if synthetic else now_local.date(), synthetic),
        }
        self._last = now_local
        self._synthetic_total: float | None = None

    # -- synthetic days

    def _synthetic_day(self, day: date) -> tuple[float, float]:
        """(minutes on, Wh) for a whole synthetic day; stable for a device and date."""
        rng = random.Random(f"{self._seed}:{day.toordinal()}")
        if rng.random() < 0.05:  # some days the device stays off
            return 0.0, 0.0
        minutes = min(1440.0, self._spec.hours_per_day * 60 * rng.uniform(0.6, 1.4))
        return minutes, minutes / 60 * self._spec.watts * rng.uniform(0.95, 1.05)

    def _synthetic(self, kind: str, day: date) -> float:
        s = self._series[kind]
        if s.synthetic_until is None or day > s.synthetic_until.date() or day < s.start:
            return 0.0
        minutes, wh = self._synthetic_day(day)
        value = wh if kind == ENERGY else minutes
        if day == s.synthetic_until.date():  # only the part of the day already gone
            midnight = datetime.combine(day, datetime.min.time())
            value *= (s.synthetic_until - midnight).total_seconds() / 86400
        return value

    # -- live accrual

    def accrue(self, now_local: datetime, running: bool, watts: float) -> None:
        """Add what happened since the last call, given the device ran (or not) at
        ``watts`` all along; callers accrue before every state change."""
        t = self._last
        self._last = max(t, now_local)
        while running and t < now_local:
            next_midnight = datetime.combine(t.date() + timedelta(days=1), datetime.min.time())
            upto = min(now_local, next_midnight)
            seconds = (upto - t).total_seconds()
            live_e, live_r = self._series[ENERGY].live, self._series[RUNTIME].live
            live_e[t.date()] = live_e.get(t.date(), 0.0) + watts * seconds / 3600
            live_r[t.date()] = live_r.get(t.date(), 0.0) + seconds / 60
            t = upto

    def rebase(self, now_local: datetime) -> None:
        """The local clock jumped (new timezone): accrue from here on."""
        self._last = now_local

    def clear_energy(self, now_local: datetime) -> None:
        self._series[ENERGY] = _Series(now_local.date(), None)
        self._synthetic_total = 0.0

    # -- queries

    def day_value(self, kind: str, day: date, today: date) -> float | None:
        s = self._series[kind]
        if day < s.start or day > today:
            return None
        return self._synthetic(kind, day) + s.live.get(day, 0.0)

    def total_wh(self, today: date) -> float:
        """All recorded energy: the device's running total (``totalKWs`` × 1000)."""
        s = self._series[ENERGY]
        if self._synthetic_total is None:
            if s.synthetic_until is None:
                self._synthetic_total = 0.0
            else:
                days = (s.synthetic_until.date() - s.start).days + 1
                self._synthetic_total = sum(
                    self._synthetic(ENERGY, s.start + timedelta(days=i)) for i in range(days))
        return self._synthetic_total + sum(v for d, v in s.live.items() if d <= today)

    def by_day(self, kind: str, year: int, month: int, today: date) -> list[tuple[int, float]]:
        first, last = _month_bounds(year, month)
        window_start = today - timedelta(days=DAY_WINDOW - 1)
        if last < window_start or first > today:
            raise _out_of_range(f"{year}-{month:02d} is outside the past {DAY_WINDOW} days")
        out = []
        day = max(first, window_start)
        while day <= min(last, today):
            value = self.day_value(kind, day, today)
            if value is not None:
                out.append((day.day, value))
            day += timedelta(days=1)
        return out

    def by_month(self, kind: str, year: int, month: int | None,
                 today: date) -> list[tuple[int, float]]:
        months = [m for m in (range(1, 13) if month is None else [month])
                  if _months_back(year, m, today) in range(MONTH_WINDOW)]
        if not months:
            what = f"{year}-{month:02d}" if month else str(year)
            raise _out_of_range(f"{what} is outside the past {MONTH_WINDOW} months")
        out = []
        for m in months:
            first, last = _month_bounds(year, m)
            values = [self.day_value(kind, first + timedelta(days=i), today)
                      for i in range((min(last, today) - first).days + 1)]
            values = [v for v in values if v is not None]
            if values:
                out.append((m, sum(values)))
        return out


def _month_bounds(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _months_back(year: int, month: int, today: date) -> int:
    """0 for the current month, 1 for the one before, negative for future months."""
    return (today.year - year) * 12 + (today.month - month)


def _out_of_range(msg: str) -> KasaError:
    return KasaError(OUT_OF_RANGE_EXCEPTION, msg)
