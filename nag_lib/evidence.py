"""The book's evidence standard, as functions: intervals, grids, choices, convergence, rankings.

Every experiment in the book that draws a conclusion follows one procedure (the page "How we run
experiments" states it):

* at least 5 seeds, reported as a mean with a 95 % Student-t interval (:func:`mean_ci`);
* hyperparameters from a log-spaced grid (:func:`log_grid`), chosen on a validation split by
  :func:`choose`, which also says whether the choice lies strictly inside the grid;
* runs long enough that the training loss has stopped moving (:func:`plateaued`);
* a ranking only where the intervals separate (:meth:`Interval.separated_from`).

Example
-------
>>> ci = mean_ci([0.91, 0.93, 0.92, 0.94, 0.90])
>>> print(ci)
0.920 ± 0.020
>>> ci.separated_from(mean_ci([0.71, 0.75, 0.73, 0.74, 0.72]))
True
>>> choose([0.01, 0.1, 1.0], [0.5, 0.2, float("nan")])
Choice(value=0.1, index=1, inside=True)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special

from nag_lib._checks import _check_number, _check_positive_int

__all__ = ["Choice", "Interval", "choose", "log_grid", "mean_ci", "plateaued"]


@dataclass(frozen=True)
class Interval:
    """A mean and its two-sided confidence interval ``[low, high]`` over ``n`` values."""

    mean: float
    low: float
    high: float
    n: int
    confidence: float = 0.95

    @property
    def half_width(self) -> float:
        """Half the width of the interval (the ``±`` in ``mean ± half_width``)."""
        return (self.high - self.low) / 2

    def separated_from(self, other: Interval) -> bool:
        """Whether the two intervals do not overlap (a ranking may then be claimed)."""
        if not isinstance(other, Interval):
            raise TypeError(f"other must be an Interval, got {type(other).__name__}")
        return self.low > other.high or self.high < other.low

    def format(self, digits: int = 3, scale: float = 1.0) -> str:
        """``mean ± half_width`` with ``digits`` decimals, both multiplied by ``scale``
        (``scale=100`` shows a share as a percentage)."""
        return f"{self.mean * scale:.{digits}f} ± {self.half_width * scale:.{digits}f}"

    def __str__(self) -> str:
        return self.format()


def mean_ci(values: Sequence[float] | np.ndarray, confidence: float = 0.95) -> Interval:
    """Mean of ``values`` with a Student-t confidence interval (seeds as independent draws).

    Raises ``ValueError`` for fewer than two values or a non-finite value: a diverged run has no
    accuracy, and averaging it away would hide it.

    >>> mean_ci([1.0, 2.0, 3.0]).format(2)
    '2.00 ± 2.48'
    """
    conf = _check_number("confidence", confidence, low=0.0, high=1.0, low_open=True, high_open=True)
    try:
        arr = np.asarray(values, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise TypeError(f"values must be a sequence of numbers, got {values!r}") from None
    if arr.size < 2:
        raise ValueError(f"values must hold at least 2 numbers for an interval, got {arr.size}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"values must be finite (a diverged run?), got {arr.tolist()}")
    mean = float(arr.mean())
    sem = float(arr.std(ddof=1)) / math.sqrt(arr.size)
    # Student t quantile: scipy.special.stdtrit is what scipy.stats.t.ppf calls, without the
    # second it takes to import scipy.stats.
    half = float(special.stdtrit(arr.size - 1, 0.5 + conf / 2)) * sem
    return Interval(mean, mean - half, mean + half, int(arr.size), conf)


def log_grid(low: float, high: float, n: int = 5) -> list[float]:
    """``n`` log-spaced values from ``low`` to ``high``, rounded to 3 significant digits.

    >>> log_grid(0.001, 0.1)
    [0.001, 0.00316, 0.01, 0.0316, 0.1]
    """
    lo = _check_number("low", low, low=0.0, low_open=True)
    hi = _check_number("high", high, low=0.0, low_open=True)
    if hi <= lo:
        raise ValueError(f"Invalid high value: {hi} (high must be > low = {lo})")
    count = _check_positive_int("n", n)
    if count < 2:
        raise ValueError(f"Invalid n value: {count} (a grid needs n >= 2)")
    values = np.logspace(math.log10(lo), math.log10(hi), count)
    return [float(f"{v:.3g}") for v in values]


@dataclass(frozen=True)
class Choice:
    """The grid value with the best score, its index, and whether it lies strictly inside."""

    value: float
    index: int
    inside: bool


def choose(grid: Sequence[float], scores: Sequence[float] | np.ndarray) -> Choice:
    """The value of ``grid`` with the lowest ``scores`` (e.g. the mean validation loss).

    A NaN score (a run that diverged) counts as worse than any number; ties go to the smaller
    index. ``inside`` is False when the best value sits on an end of the grid: the grid then did
    not bracket the optimum, and a chapter that claims a tuned result asserts ``inside``.
    """
    if isinstance(grid, (str, bytes)) or not isinstance(grid, Sequence):
        raise TypeError(f"grid must be a sequence of numbers, got {type(grid).__name__}")
    for v in grid:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise TypeError(f"grid must hold numbers, got {v!r}")
    s = np.asarray(scores, dtype=np.float64).ravel()
    if len(grid) < 2 or s.size != len(grid):
        raise ValueError(
            f"grid and scores must have the same length >= 2, got {len(grid)} and {s.size}"
        )
    if np.all(np.isnan(s)):
        raise ValueError("every score is NaN: every run diverged, there is nothing to choose")
    i = int(np.argmin(np.where(np.isnan(s), np.inf, s)))
    return Choice(float(grid[i]), i, 0 < i < len(grid) - 1)


def plateaued(
    curve: Sequence[float] | np.ndarray, tail: float = 0.1, rel: float = 0.05, atol: float = 0.01
) -> bool:
    """Whether a training-loss curve has stopped moving over its last ``tail`` of training.

    The curve is cut into windows of ``tail`` of its length (at least one point). The mean over
    the last window must differ from the mean over the window before it by less than ``rel`` times
    the total decrease (first window's mean minus last window's), or by less than ``atol`` in the
    loss's units, whichever is larger: a run that learned has used up at least 95 % of its
    progress, and a run that learned nothing (a vanished gradient) is flat. Averaging over windows
    keeps the noise of single mini-batches (or of batch norm's batch statistics) from deciding.
    A curve with a NaN (divergence) has not plateaued.

    >>> plateaued([2.3, 1.0, 0.5, 0.3, 0.25, 0.24, 0.235, 0.232, 0.231, 0.2305])
    True
    >>> plateaued([2.3, 2.0, 1.7, 1.4, 1.1, 0.8])
    False
    """
    c = np.asarray(curve, dtype=np.float64).ravel()
    if c.size < 2:
        raise ValueError(f"curve must hold at least 2 values, got {c.size}")
    t = _check_number("tail", tail, low=0.0, high=0.5, low_open=True)
    r = _check_number("rel", rel, low=0.0)
    a = _check_number("atol", atol, low=0.0)
    if not np.all(np.isfinite(c)):
        return False
    w = max(1, round(t * c.size))
    last, before, first = c[-w:].mean(), c[-2 * w : -w].mean(), c[:w].mean()
    return bool(abs(last - before) <= max(r * max(first - last, 0.0), a))
