"""How long a listener waits before it reconnects: capped exponential back-off with jitter."""
from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    base: float = 1.0  # seconds before reconnecting after a socket that was healthy
    cap: float = 60.0  # the longest wait (GE's own integration also stops doubling at 60 s)

    def delay(self, failures: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after ``failures`` sessions in a row that did not stay up.

        "Equal jitter": half of the doubled step is fixed, half random. The fixed half
        keeps a broken SmartHQ from being hammered; the random half spreads the
        reconnects of every account whose socket SmartHQ dropped at the same moment.
        """
        step = min(self.cap, self.base * 2 ** min(max(failures, 0), 32))
        return step / 2 + (rng or random).random() * step / 2
