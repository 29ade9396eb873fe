"""nag_lib.evidence: intervals have the Student-t width and the right coverage, a choice on the
grid's edge is flagged, a converged curve is told from a falling one, and bad input is named."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nag_lib.evidence import Interval, choose, log_grid, mean_ci, plateaued


def test_mean_ci_is_the_student_t_interval() -> None:
    ci = mean_ci([1.0, 2.0, 3.0, 4.0, 5.0])
    # t(0.975, df=4) = 2.7764451..., sd = sqrt(2.5), n = 5
    assert ci.mean == 3.0 and ci.n == 5
    assert ci.half_width == pytest.approx(2.7764451 * math.sqrt(2.5) / math.sqrt(5), rel=1e-7)
    assert mean_ci([1.0, 2.0, 3.0, 4.0, 5.0], confidence=0.5).half_width < ci.half_width


def test_mean_ci_covers_the_true_mean_about_95_percent_of_the_time() -> None:
    rng = np.random.default_rng(0)
    samples = rng.normal(1.0, 2.0, size=(4000, 5))
    hits = sum(1 for s in samples if (ci := mean_ci(s)).low <= 1.0 <= ci.high)
    assert 0.93 < hits / len(samples) < 0.97


def test_separation_is_symmetric_and_needs_a_gap() -> None:
    a, b = Interval(1.0, 0.9, 1.1, 5), Interval(1.3, 1.15, 1.45, 5)
    c = Interval(1.2, 1.05, 1.35, 5)
    assert a.separated_from(b) and b.separated_from(a)
    assert not a.separated_from(c) and not c.separated_from(a)
    assert a.format(2) == "1.00 ± 0.10" and a.format(1, scale=100) == "100.0 ± 10.0"


def test_choose_flags_an_edge_and_counts_nan_as_worst() -> None:
    assert choose([1, 2, 3], [0.3, 0.1, 0.2]).inside
    edge = choose([1, 2, 3], [0.1, 0.2, 0.3])
    assert edge.value == 1 and not edge.inside
    assert choose([1, 2, 3], [float("nan"), 0.5, 0.4]).value == 3
    assert choose([1, 2, 3], [0.2, 0.2, 0.3]).index == 0  # ties go to the smaller index


def test_plateaued_tells_a_converged_curve_from_a_falling_one() -> None:
    t = np.arange(100)
    assert plateaued(2.3 * np.exp(-t / 10))
    assert not plateaued(2.3 * np.exp(-t / 100))
    assert plateaued(np.full(50, math.log(10)))  # nothing learned: flat
    assert not plateaued([2.3, 1.0, float("nan"), 0.5])
    rng = np.random.default_rng(0)  # a settled run whose mini-batch losses are noisy
    noise = rng.normal(0, 0.05, size=(10, t.size))
    assert all(plateaued(c) for c in 0.3 + 2.0 * np.exp(-t / 10) + noise)
    assert not any(plateaued(c) for c in 2.3 - 0.015 * t + noise)  # still falling steadily


def test_log_grid_is_log_spaced_and_rounded() -> None:
    g = log_grid(1e-4, 1e-2, 5)
    assert g == [0.0001, 0.000316, 0.001, 0.00316, 0.01]
    ratios = np.diff(np.log10(log_grid(0.01, 1.0, 9)))
    assert np.allclose(ratios, 0.25, atol=2e-3)


@pytest.mark.parametrize(
    ("call", "error", "name"),
    [
        (lambda: mean_ci([1.0]), ValueError, "at least 2"),
        (lambda: mean_ci([1.0, float("nan")]), ValueError, "finite"),
        (lambda: mean_ci(["a", "b"]), TypeError, "values"),
        (lambda: mean_ci([1.0, 2.0], confidence=1.0), ValueError, "confidence"),
        (lambda: log_grid(0.0, 1.0), ValueError, "low"),
        (lambda: log_grid(1.0, 0.1), ValueError, "high"),
        (lambda: log_grid(0.1, 1.0, 1), ValueError, "n"),
        (lambda: choose([1.0], [0.5]), ValueError, "same length"),
        (lambda: choose([1.0, 2.0], [0.5]), ValueError, "same length"),
        (lambda: choose([1.0, 2.0], [float("nan")] * 2), ValueError, "diverged"),
        (lambda: choose("ab", [0.1, 0.2]), TypeError, "grid"),
        (lambda: plateaued([1.0]), ValueError, "curve"),
        (lambda: plateaued([2.0, 1.0], tail=0.0), ValueError, "tail"),
        (lambda: plateaued([2.0, 1.0], tail=0.6), ValueError, "tail"),
        (lambda: Interval(1, 0, 2, 2).separated_from(1.0), TypeError, "other"),
    ],
)
def test_bad_input_is_refused_by_name(call, error: type[Exception], name: str) -> None:
    with pytest.raises(error, match=name):
        call()
