"""nag_lib.noisy: without noise the runs are the paper forms of nag_lib.optim; the two Nesterov
forms agree at a constant rate and part when it changes; the exact moments are the mean of the
sampled runs; the closed-form floors are the limit of the exact moments and of an independent
Lyapunov solve; arrival is counted as documented; tuning chooses on the tuning seeds only."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nag_lib import noisy as N
from nag_lib import optim
from nag_lib.evidence import choose

MOMENTUM = {"sgd": 0.0, "heavy_ball": 0.7, "nag": 0.8, "nag_sutskever": 0.8}


def test_the_model_has_the_documented_spectrum_noise_and_start() -> None:
    q = N.noisy_quadratic(100.0, dim=5, noise_scale=3.0)
    assert q.curvatures[0] == 0.01 and q.curvatures[-1] == 1.0 and q.kappa == pytest.approx(100)
    assert np.allclose(np.diff(np.log(q.curvatures)), math.log(100) / 4)  # log-spaced
    assert np.allclose(q.noise, 3.0 * q.curvatures)  # Sigma = A, scaled
    assert np.allclose(0.5 * q.curvatures * q.start**2, 0.5)  # every direction starts at 1/2
    assert q.initial_loss == pytest.approx(2.5) and q.dim == 5 and q.L == 1.0 and q.mu == 0.01
    assert N.noisy_quadratic(1.0, dim=1).curvatures.tolist() == [1.0]


@pytest.mark.parametrize("lr", [0.05, 0.3, 1.1])
def test_without_noise_every_method_runs_its_paper_form(lr: float) -> None:
    q = N.noisy_quadratic(50.0, dim=4, noise_scale=0.0)

    def grad(x: np.ndarray) -> np.ndarray:
        return q.curvatures * x

    theta = optim.nesterov_sutskever(grad, q.start, lr, 0.8, 40)
    look_ahead = theta.copy()
    look_ahead[1:] += 0.8 * (theta[1:] - theta[:-1])  # y_k = theta_k + beta v_k
    expected = {
        "sgd": optim.gradient_descent(grad, q.start, lr, 40),
        "heavy_ball": optim.heavy_ball(grad, q.start, lr, 0.7, 40),
        "nag": optim.nesterov_pytorch(grad, q.start, lr, 0.8, 40),
        "nag_sutskever": look_ahead,
    }
    for method, ref in expected.items():
        got = N.iterates(q, method, lr, MOMENTUM[method], 1, 40, [0])[0, 0]
        assert np.allclose(got, ref, rtol=1e-12, atol=1e-12), method
        losses = N.simulate(q, method, lr, MOMENTUM[method], 1, 40, [0])[0, 0]
        assert np.allclose(losses, q.loss(ref), rtol=1e-12, atol=1e-300), method


def test_the_two_nesterov_forms_agree_until_the_rate_changes() -> None:
    q = N.noisy_quadratic(100.0, dim=6)
    args = (q, "nag"), (q, "nag_sutskever")
    same = [N.iterates(*a, [0.05, 0.2], 0.9, 2, 60, [3, 4]) for a in args]
    assert np.allclose(same[0], same[1], rtol=1e-9, atol=1e-12)
    drop = np.where(np.arange(60) < 30, 1.0, 0.1)
    parted = [N.iterates(*a, 0.05, 0.9, 2, 60, [3], schedule=drop)[0, 0] for a in args]
    gap = np.abs(parted[0] - parted[1]).max(axis=1)
    assert gap[:31].max() < 1e-9 < 1e-3 < gap[31]  # identical up to the drop, apart after it


def test_one_noise_stream_per_seed_serves_every_learning_rate() -> None:
    q = N.noisy_quadratic(100.0, dim=5)
    together = N.simulate(q, "heavy_ball", [0.1, 0.3], 0.5, 4, 50, [7, 8])
    apart = [N.simulate(q, "heavy_ball", lr, 0.5, 4, 50, [s]) for lr in (0.1, 0.3) for s in (7, 8)]
    assert np.array_equal(together.reshape(4, 51), np.concatenate(apart).reshape(4, 51))
    assert not np.array_equal(together[0, 0], together[0, 1])  # two seeds, two noises
    # the noise variance is Sigma / B: a four times larger batch is a quarter of the noise
    quarter = N.noisy_quadratic(100.0, dim=5, noise_scale=0.25)
    assert np.allclose(together, N.simulate(quarter, "heavy_ball", [0.1, 0.3], 0.5, 1, 50, [7, 8]))


@pytest.mark.parametrize("method", N.METHODS)
def test_the_exact_moments_are_the_mean_of_the_sampled_runs(method: str) -> None:
    q = N.noisy_quadratic(30.0, dim=3)
    factors = np.r_[np.ones(15), np.full(15, 0.2)]  # with a schedule, to test it too
    exact = N.expected_loss(q, method, 0.4, MOMENTUM[method], 2, 30, schedule=factors)[0]
    runs = N.simulate(q, method, 0.4, MOMENTUM[method], 2, 30, range(4000), schedule=factors)[0]
    mean, se = runs.mean(axis=0), runs.std(axis=0, ddof=1) / math.sqrt(runs.shape[0])
    assert exact[0] == q.initial_loss
    assert np.all(np.abs(mean - exact) < 4.5 * se + 1e-12)


def _lyapunov_floor(method: str, lr: float, beta: float, lam: float, var: float) -> float:
    """The stationary loss from the update equations, by solving P = T P T' + var u u'."""
    if method == "sgd":
        t, u, c = np.array([[1 - lr * lam, 0.0], [0.0, 0.0]]), np.array([-lr, 0.0]), [1.0, 0.0]
    elif method == "heavy_ball":  # state (theta_k, theta_{k-1})
        t = np.array([[1 + beta - lr * lam, -beta], [1.0, 0.0]])
        u, c = np.array([-lr, 0.0]), [1.0, 0.0]
    else:  # Sutskever's theta: state (theta_k, theta_{k-1}); gradient at y = (1+b) th - b th'
        s = 1 - lr * lam
        t = np.array([[(1 + beta) * s, -beta * s], [1.0, 0.0]])
        u, c = np.array([-lr, 0.0]), [1 + beta, -beta]
    p = np.linalg.solve(np.eye(4) - np.kron(t, t), var * np.outer(u, u).ravel()).reshape(2, 2)
    cv = np.array(c)
    return float(0.5 * lam * cv @ p @ cv)


@pytest.mark.parametrize("method", N.METHODS)
@pytest.mark.parametrize(("lr", "beta"), [(0.01, 0.5), (0.3, 0.9), (1.0, 0.6), (0.05, 0.99)])
def test_the_closed_form_floor_solves_the_lyapunov_equation(
    method: str, lr: float, beta: float
) -> None:
    beta = 0.0 if method == "sgd" else beta
    for lam in (0.01, 0.3, 1.0):
        got = float(N.stationary_loss(method, lr, beta, lam, 0.7))
        assert got == pytest.approx(_lyapunov_floor(method, lr, beta, lam, 0.7), rel=1e-9)


def test_the_closed_form_floor_is_where_the_exact_moments_settle() -> None:
    q = N.noisy_quadratic(10.0, dim=4)
    for method in N.METHODS:
        exact = N.expected_loss(q, method, 0.4, MOMENTUM[method], 3, 3000)[0, -1]
        floor = N.stationary_loss(method, 0.4, MOMENTUM[method], q.curvatures, q.noise / 3)
        assert exact == pytest.approx(floor.sum(), rel=1e-10), method


def test_small_steps_make_momentum_sgd_with_the_step_over_one_minus_beta() -> None:
    for beta in (0.5, 0.9, 0.99):
        for method in ("heavy_ball", "nag"):
            lr = 1e-7
            ratio = N.stationary_loss(method, lr, beta, 1.0, 1.0) / (lr / (4 * (1 - beta)))
            assert float(ratio) == pytest.approx(1.0, abs=1e-4)
            assert float(N.stationary_loss(method, 0.1, 0.0, 0.5, 2.0)) == pytest.approx(
                float(N.stationary_loss("sgd", 0.1, 0.0, 0.5, 2.0)), rel=1e-12
            )  # no momentum: the same method


def test_an_unstable_step_has_no_floor() -> None:
    assert float(N.stationary_loss("sgd", 2.5, 0.0, 1.0, 1.0)) == math.inf
    assert float(N.stationary_loss("heavy_ball", 3.9, 0.9, 1.0, 1.0)) == math.inf  # > 2 + 2b
    assert math.isfinite(float(N.stationary_loss("heavy_ball", 3.7, 0.9, 1.0, 1.0)))
    assert N.simulate(N.noisy_quadratic(), "sgd", 2.5, 0.0, 1, 300, [0])[0, 0, -1] > 1e100


def test_arrival_is_the_first_step_at_or_below_the_target() -> None:
    runs = np.array([[5.0, 3.0, 1.0, 0.4], [5.0, 4.0, 3.0, 2.0], [5.0, np.inf, np.nan, np.nan]])
    assert N.steps_to_target(runs, 1.0).tolist()[:1] == [2.0]
    assert np.isnan(N.steps_to_target(runs, 1.0)[1:]).all()  # never there, or diverged
    dip = [8.0, 4.0, 2.0, 0.6, 1.8, 1.2, 0.9, 0.8, 0.8, 0.7]
    assert float(N.steps_to_target(dip, 1.0)) == 3.0
    assert float(N.steps_to_target(dip, 1.0, window=0.5)) == 8.0  # mean of steps 4..8 <= 1
    assert float(N.steps_to_target(dip, 1.0, window=0.1)) == 3.0  # a window of one step


def test_tuning_chooses_on_the_tuning_seeds_and_reports_the_others() -> None:
    q = N.noisy_quadratic(100.0, dim=10)
    grid, target, tune, report = (
        [0.15, 0.22, 0.3, 0.37, 0.45],
        0.05 * q.initial_loss,
        [6, 7, 8],
        [0, 1, 2, 3],
    )
    t = N.tuned_steps(q, "sgd", 0.0, 1, grid, target, 1500, tune, report, window=0.1)
    by_hand = N.steps_to_target(
        N.simulate(q, "sgd", grid, 0.0, 1, 1500, tune + report), target, 0.1
    )
    assert np.allclose(t.scores, by_hand[:, :3].mean(axis=1), equal_nan=True)
    assert t.choice == choose(grid, by_hand[:, :3].mean(axis=1)) and t.choice.inside
    assert choose(grid, by_hand[:, 3:].mean(axis=1)).index != t.choice.index  # seeds matter
    assert np.array_equal(t.counts, by_hand[t.choice.index, 3:])
    assert t.lr == t.choice.value and t.batch_size == 1 and t.method == "sgd"
    # an unstable grid point, or one whose floor is above twice the target, is not run
    some = N.tuned_steps(q, "sgd", 0.0, 1, [0.5, 1.0, 50.0], 1.0, 300, [0], [1])
    assert np.isfinite(some.scores[:2]).all() and np.isnan(some.scores[2])
    with pytest.raises(ValueError, match="NaN"):  # nothing can arrive: nothing to choose
        N.tuned_steps(q, "sgd", 0.0, 1, [0.5, 1.0], 1e-3, 300, [0], [1])


def test_the_loss_needs_one_value_per_direction() -> None:
    q = N.noisy_quadratic(10.0, dim=3)
    assert q.loss(np.ones((2, 3))).shape == (2,)
    with pytest.raises(ValueError, match="theta"):
        q.loss(np.ones(4))
