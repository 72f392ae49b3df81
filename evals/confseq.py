"""Anytime-valid confidence sequences for a mean of [0, 1] values, by betting.

Waudby-Smith & Ramdas (2023), "Estimating means of bounded random variables by betting", the hedged
capital process with predictable plug-in bets (their Theorem 3 and eq. 26-27). For each candidate
mean m two gamblers bet that the mean is above and below m; m leaves the sequence once the hedged
wealth max(K+(m), K-(m)) / 2 reaches 1/alpha. By Ville's inequality the true mean stays inside the
sequence at *every* step with probability 1 - alpha, so a rung may be checked after each item and
stopped as soon as its bounds settle a target, without inflating the error rate.

The bounds are read off a grid of candidate means and widened to the next grid point, so they are
conservative by at most one grid step.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

GRID = np.linspace(0.0, 1.0, 1001)
TRUNCATION = 0.5
"""c in the paper: no bet stakes more than half the gambler's wealth."""


class BettingSequence:
    """Running betting confidence sequence of a mean of values in [0, 1] at level `confidence`.

    Feed values in a fixed order with `add`; `lower`/`upper` hold at every step simultaneously.
    """

    def __init__(self, confidence: float = 0.95):
        if not 0.0 < confidence < 1.0:
            raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}")
        self.alpha = 1.0 - confidence
        self.n = 0
        self._sum = 0.0
        self._mean = 0.5  # the plug-in estimates start from a prior of 1/2 with variance 1/4
        self._squares = 0.25
        self._log_up = np.zeros_like(GRID)  # log K+(m): bets that the mean is above m
        self._log_down = np.zeros_like(GRID)
        self.lower, self.upper = 0.0, 1.0

    def add(self, value: float) -> None:
        """One more value (a score in [0, 1])."""
        x = min(1.0, max(0.0, float(value)))
        t = self.n + 1
        variance = self._squares / t  # sigma^2_{t-1}: from the values before this one only
        lam = math.sqrt(2.0 * math.log(2.0 / self.alpha) / (variance * t * math.log(t + 1.0)))
        with np.errstate(divide="ignore"):
            up = np.minimum(lam, TRUNCATION / GRID)
            down = np.minimum(lam, TRUNCATION / (1.0 - GRID))
        self._log_up += np.log1p(up * (x - GRID))
        self._log_down += np.log1p(-down * (x - GRID))
        self.n, self._sum = t, self._sum + x
        self._squares += (x - self._mean) ** 2
        self._mean = (0.5 + self._sum) / (t + 1)
        self._bounds()

    def extend(self, values: Sequence[float]) -> BettingSequence:
        for value in values:
            self.add(value)
        return self

    def _bounds(self) -> None:
        hedged = np.logaddexp(self._log_up, self._log_down) - math.log(2.0)
        kept = np.flatnonzero(hedged < math.log(1.0 / self.alpha))
        if kept.size == 0:  # every candidate rejected: can only happen by grid rounding; stay honest
            return
        low, high = kept[0], kept[-1]
        # Every step's set holds at once, so their running intersection does too.
        self.lower = max(self.lower, float(GRID[max(low - 1, 0)]))
        self.upper = min(self.upper, float(GRID[min(high + 1, len(GRID) - 1)]))

    @property
    def mean(self) -> float:
        return self._sum / self.n if self.n else float("nan")
