r"""Momentum with noisy gradients: the noisy quadratic model, simulated and solved exactly.

The noisy quadratic model (NQM) of Zhang et al. (2019, "Which algorithmic choices matter at which
batch sizes?") is a diagonal quadratic whose gradient comes with noise that shrinks with the
batch size :math:`B`:

.. math::
    f(\theta) = \tfrac12 \sum_i \lambda_i \theta_i^2, \qquad
    g_k = A\theta_k + \xi_k, \qquad \xi_k \sim \mathcal N\bigl(0, \Sigma / B\bigr),

with :math:`A = \operatorname{diag}(\lambda_i)` and :math:`\Sigma = \operatorname{diag}(s_i^2)`,
the per-example gradient covariance (:math:`\Sigma = A` in Zhang et al.'s model, and in
:func:`noisy_quadratic`). Every direction is an independent linear system, so three things can
be computed:

* :func:`simulate` runs the optimizers on it, many seeds and many learning rates at once, with
  the noise shared across methods and learning rates (common random numbers);
* :func:`expected_loss` gives the exact mean of the loss at every step, from the mean and the
  covariance of each direction's two-dimensional state;
* :func:`stationary_loss` gives its limit under a constant learning rate in closed form.

The methods, with step size :math:`\alpha_k` (``lr`` times the schedule's factor at step ``k``):

* ``"sgd"``: :math:`\theta_{k+1} = \theta_k - \alpha_k g_k`;
* ``"heavy_ball"``, PyTorch's buffer form: :math:`b_{k+1} = \beta b_k + g_k`,
  :math:`\theta_{k+1} = \theta_k - \alpha_k b_{k+1}`;
* ``"nag"``, PyTorch's buffer form (``SGD(nesterov=True)``): :math:`b_{k+1} = \beta b_k + g_k`,
  :math:`p_{k+1} = p_k - \alpha_k (g_k + \beta b_{k+1})`, with :math:`g_k` taken at :math:`p_k`;
* ``"nag_sutskever"``, Sutskever et al.'s velocity form:
  :math:`v_{k+1} = \beta v_k - \alpha_k g_k` with :math:`g_k` taken at the look-ahead point
  :math:`y_k = \theta_k + \beta v_k`, and :math:`\theta_{k+1} = \theta_k + v_{k+1}`.

Every function reports the loss at the point where the method takes its gradient (:math:`\theta_k`,
:math:`p_k` or :math:`y_k`). With a constant learning rate the two Nesterov forms then give the
same iterates, :math:`p_k = y_k` (chapter 3); when the learning rate changes they differ.

Size: over 400 lines because the model is both simulated and solved exactly here, and the
tests compare the two; splitting them would separate each formula from its check.

Example
-------
>>> q = noisy_quadratic(kappa=100.0, dim=4)
>>> losses = simulate(q, "nag", lr=[0.05], momentum=0.9, batch_size=8, steps=3, seeds=[0, 1])
>>> losses.shape  # (learning rates, seeds, steps + 1)
(1, 2, 4)
>>> float(losses[0, 0, 0]) == q.initial_loss  # every run starts at theta_0
True
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

from nag_lib._checks import _check_number, _check_positive_int
from nag_lib.evidence import Choice, choose

__all__ = [
    "METHODS",
    "NoisyQuadratic",
    "TunedSteps",
    "expected_loss",
    "iterates",
    "noisy_quadratic",
    "simulate",
    "stationary_loss",
    "steps_to_target",
    "tuned_steps",
]

FloatArray: TypeAlias = npt.NDArray[np.float64]

#: The methods every function here accepts.
METHODS = ("sgd", "heavy_ball", "nag", "nag_sutskever")


@dataclass(frozen=True)
class NoisyQuadratic:
    r"""A diagonal noisy quadratic: curvatures :math:`\lambda_i`, per-example gradient-noise
    variances :math:`s_i^2`, and the start :math:`\theta_0`. Build it with
    :func:`noisy_quadratic`."""

    curvatures: FloatArray
    noise: FloatArray
    start: FloatArray

    @property
    def dim(self) -> int:
        """Number of variables."""
        return int(self.curvatures.size)

    @property
    def L(self) -> float:
        """Largest curvature (smoothness constant)."""
        return float(self.curvatures.max())

    @property
    def mu(self) -> float:
        """Smallest curvature (strong-convexity constant)."""
        return float(self.curvatures.min())

    @property
    def kappa(self) -> float:
        """Condition number L / mu."""
        return self.L / self.mu

    @property
    def initial_loss(self) -> float:
        r""":math:`f(\theta_0)`."""
        return float(self.loss(self.start))

    def loss(self, theta: npt.ArrayLike) -> FloatArray:
        r""":math:`\tfrac12 \sum_i \lambda_i \theta_i^2` over the last axis of ``theta``."""
        t = np.asarray(theta, dtype=np.float64)
        if t.shape[-1:] != (self.dim,):
            raise ValueError(f"theta must end in an axis of length {self.dim}, got {t.shape}")
        return np.asarray(0.5 * (self.curvatures * t * t).sum(axis=-1), dtype=np.float64)


def noisy_quadratic(
    kappa: float = 100.0, dim: int = 10, *, noise_scale: float = 1.0
) -> NoisyQuadratic:
    r"""Zhang et al.'s noisy quadratic with condition number ``kappa``.

    The curvatures are log-spaced in :math:`[1/\kappa, 1]` (so :math:`L = 1`); the per-example
    gradient noise has variance :math:`s_i^2 = ` ``noise_scale`` :math:`\cdot\,\lambda_i` along
    each direction (their :math:`\Sigma = A`, scaled); and
    :math:`\theta_{0,i} = 1/\sqrt{\lambda_i}`, so that every direction starts with the same
    loss, :math:`\tfrac12`.

    >>> q = noisy_quadratic(100.0, dim=3)
    >>> q.curvatures.round(3).tolist(), q.kappa, q.initial_loss
    ([0.01, 0.1, 1.0], 100.0, 1.5)
    """
    k = _check_number("kappa", kappa, low=1.0)
    d = _check_positive_int("dim", dim)
    scale = _check_number("noise_scale", noise_scale, low=0.0)
    if d == 1 and k != 1.0:
        raise ValueError(f"Invalid dim value: {d} (need dim >= 2 for kappa > 1)")
    lam = np.logspace(-math.log10(k), 0.0, d) if d > 1 else np.ones(1)
    lam[0], lam[-1] = 1.0 / k, 1.0
    return NoisyQuadratic(curvatures=lam, noise=scale * lam, start=1.0 / np.sqrt(lam))


# --------------------------------------------------------------------------------------------
# argument checks
# --------------------------------------------------------------------------------------------
def _check_problem(problem: object) -> NoisyQuadratic:
    if not isinstance(problem, NoisyQuadratic):
        raise TypeError(f"problem must be a NoisyQuadratic, got {type(problem).__name__}")
    return problem


def _check_method(method: object) -> str:
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(f"Invalid method value: {method!r} (use one of {METHODS})")
    return method


def _check_momentum(method: str, momentum: object) -> float:
    beta = _check_number("momentum", momentum, low=0.0, high=1.0, high_open=True)
    if method == "sgd" and beta != 0.0:
        raise ValueError(f"Invalid momentum value: {beta} (method 'sgd' has momentum 0.0)")
    return beta


def _check_lrs(lr: object) -> FloatArray:
    """A positive learning rate or a non-empty 1-D sequence of them, as a 1-D array."""
    values = list(lr) if isinstance(lr, (Sequence, np.ndarray)) else [lr]
    if isinstance(lr, (str, bytes)):
        raise TypeError(f"lr must be a number or a sequence of numbers, got {lr!r}")
    if not values:
        raise ValueError("lr is empty: give at least one learning rate")
    return np.array([_check_number("lr", v, low=0.0, low_open=True) for v in values])


def _check_schedule(schedule: object, steps: int) -> FloatArray:
    """Per-step factors (length ``steps``, each >= 0), or ones when ``schedule`` is None."""
    if schedule is None:
        return np.ones(steps)
    if isinstance(schedule, (str, bytes)) or not isinstance(schedule, (Sequence, np.ndarray)):
        raise TypeError(f"schedule must be a sequence of numbers, got {type(schedule).__name__}")
    factors = np.array([_check_number("schedule", v, low=0.0) for v in schedule])
    if factors.shape != (steps,):
        raise ValueError(f"schedule must hold one factor per step ({steps}), got {factors.size}")
    return factors


def _check_seeds(seeds: object) -> list[int]:
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, (Sequence, np.ndarray)):
        raise TypeError(f"seeds must be a sequence of ints, got {type(seeds).__name__}")
    out = []
    for s in seeds:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
            raise TypeError(f"seeds must hold ints, got {s!r}")
        if s < 0:
            raise ValueError(f"Invalid seeds value: {s} (seeds must be >= 0)")
        out.append(int(s))
    if not out:
        raise ValueError("seeds is empty: give at least one seed")
    return out


def _real_array(name: str, value: object, *, positive: bool) -> FloatArray:
    """``value`` as a float array of finite numbers, > 0 (``positive``) or >= 0."""
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be a number or an array of numbers, got {value!r}")
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number or an array of numbers, got {value!r}") from None
    bound = "> 0" if positive else ">= 0"
    if not np.all(np.isfinite(arr)) or not np.all(arr > 0 if positive else arr >= 0):
        raise ValueError(f"Invalid {name} value: {value!r} ({name} must be finite and {bound})")
    return arr


def _check_steps(steps: object) -> int:
    if isinstance(steps, bool) or not isinstance(steps, int):
        raise TypeError(f"steps must be an int, got {type(steps).__name__}: {steps!r}")
    if steps < 0:
        raise ValueError(f"Invalid steps value: {steps} (steps must be >= 0)")
    return steps


# --------------------------------------------------------------------------------------------
# simulation: each method written as its update equations
# --------------------------------------------------------------------------------------------
def _run(
    problem: NoisyQuadratic,
    method: str,
    lrs: FloatArray,
    beta: float,
    batch_size: int,
    factors: FloatArray,
    seeds: list[int],
) -> Iterator[FloatArray]:
    """Yield the gradient points, shape (learning rates, seeds, dim), for k = 0 .. steps."""
    lam, d = problem.curvatures, problem.dim
    scale = np.sqrt(problem.noise / batch_size)
    # One noise stream per seed, drawn once, shared by every learning rate and method.
    z = np.stack([np.random.default_rng(s).standard_normal((factors.size, d)) for s in seeds])
    shape = (lrs.size, len(seeds), d)
    x = np.broadcast_to(problem.start, shape).copy()  # theta, p or Sutskever's theta
    m = np.zeros(shape)  # PyTorch's buffer b, or Sutskever's velocity v
    a0 = lrs[:, None, None]
    yield x.copy()
    with np.errstate(over="ignore", invalid="ignore"):
        for k, factor in enumerate(factors):
            a, xi = a0 * factor, scale * z[:, k, :]
            if method == "nag_sutskever":
                g = lam * (x + beta * m) + xi  # the gradient at the look-ahead point
                m = beta * m - a * g
                x = x + m
                yield x + beta * m
                continue
            g = lam * x + xi
            if method == "sgd":
                x = x - a * g
            elif method == "heavy_ball":
                m = beta * m + g
                x = x - a * m
            else:  # "nag"
                m = beta * m + g
                x = x - a * (g + beta * m)
            yield x


def _prepare(
    problem: object,
    method: object,
    lr: object,
    momentum: object,
    batch_size: object,
    steps: object,
    seeds: object,
    schedule: object,
) -> tuple[NoisyQuadratic, str, FloatArray, float, int, FloatArray, list[int]]:
    q = _check_problem(problem)
    name = _check_method(method)
    lrs = _check_lrs(lr)
    beta = _check_momentum(name, momentum)
    b = _check_positive_int("batch_size", batch_size)
    n = _check_steps(steps)
    return q, name, lrs, beta, b, _check_schedule(schedule, n), _check_seeds(seeds)


def simulate(
    problem: NoisyQuadratic,
    method: str,
    lr: float | Sequence[float] | FloatArray,
    momentum: float,
    batch_size: int,
    steps: int,
    seeds: Sequence[int],
    *,
    schedule: Sequence[float] | FloatArray | None = None,
) -> FloatArray:
    r"""The loss :math:`f` at each step of ``method`` on ``problem``, for every learning rate in
    ``lr`` and every seed in ``seeds``; shape ``(len(lr), len(seeds), steps + 1)``.

    Step ``k`` uses the learning rate ``lr * schedule[k]`` (``schedule`` defaults to all ones,
    like PyTorch's ``LambdaLR`` factors) and the noise :math:`\xi_k = (\Sigma/B)^{1/2} z_k`, with
    :math:`z_k` standard normal drawn from ``numpy.random.default_rng(seed)``. The same
    :math:`z_k` serve every learning rate and method, so that differences between them are not
    differences of luck. A run that diverges gives ``inf`` or ``nan``.

    >>> q = noisy_quadratic(10.0, dim=2, noise_scale=0.0)  # no noise: plain gradient descent
    >>> simulate(q, "sgd", 0.5, 0.0, batch_size=1, steps=2, seeds=[0])[0, 0].round(4).tolist()
    [1.0, 0.5762, 0.4385]
    """
    q, name, lrs, beta, b, factors, seed_list = _prepare(
        problem, method, lr, momentum, batch_size, steps, seeds, schedule
    )
    out = np.empty((lrs.size, len(seed_list), factors.size + 1))
    with np.errstate(over="ignore", invalid="ignore"):
        for k, y in enumerate(_run(q, name, lrs, beta, b, factors, seed_list)):
            out[:, :, k] = 0.5 * (q.curvatures * y * y).sum(axis=-1)
    return out


def iterates(
    problem: NoisyQuadratic,
    method: str,
    lr: float | Sequence[float] | FloatArray,
    momentum: float,
    batch_size: int,
    steps: int,
    seeds: Sequence[int],
    *,
    schedule: Sequence[float] | FloatArray | None = None,
) -> FloatArray:
    """The gradient points themselves, shape ``(len(lr), len(seeds), steps + 1, dim)``: the runs
    of :func:`simulate` (same arguments, same noise), before the loss is taken.

    >>> q = noisy_quadratic(10.0, dim=2)
    >>> iterates(q, "nag", [0.1, 0.2], 0.9, batch_size=4, steps=5, seeds=[3]).shape
    (2, 1, 6, 2)
    """
    q, name, lrs, beta, b, factors, seed_list = _prepare(
        problem, method, lr, momentum, batch_size, steps, seeds, schedule
    )
    return np.stack(list(_run(q, name, lrs, beta, b, factors, seed_list)), axis=2)


# --------------------------------------------------------------------------------------------
# exact moments: each direction is a 2-dimensional linear system driven by noise
# --------------------------------------------------------------------------------------------
def _system(
    method: str, a: FloatArray, beta: float, lam: FloatArray
) -> tuple[tuple[FloatArray, ...], tuple[FloatArray, FloatArray], tuple[float, float]]:
    """State z = (x, m) as in :func:`_run`: z' = T z + u xi, gradient point c . z.

    Returns (T00, T01, T10, T11), (u0, u1), (c0, c1), broadcast over ``a`` and ``lam``.
    """
    one = np.ones(np.broadcast(a, lam).shape)
    if method == "sgd":
        t, u = (1 - a * lam, 0 * one, 0 * one, 0 * one), (-a * one, 0 * one)
    elif method == "heavy_ball":  # x' = x - a (beta m + lam x + xi), m' = beta m + lam x + xi
        t, u = (1 - a * lam, -a * beta * one, lam * one, beta * one), (-a * one, one)
    elif method == "nag":  # p' = p - a ((1 + beta) g + beta^2 m), m' = beta m + g
        t = (1 - a * (1 + beta) * lam, -a * beta * beta * one, lam * one, beta * one)
        u = (-a * (1 + beta) * one, one)
    else:  # "nag_sutskever": v' = beta (1 - a lam) v - a lam x - a xi, x' = x + v'
        q = 1 - a * lam
        t, u = (q, beta * q, -a * lam, beta * q), (-a * one, -a * one)
    return t, u, ((1.0, beta) if method == "nag_sutskever" else (1.0, 0.0))


def expected_loss(
    problem: NoisyQuadratic,
    method: str,
    lr: float | Sequence[float] | FloatArray,
    momentum: float,
    batch_size: int,
    steps: int,
    *,
    schedule: Sequence[float] | FloatArray | None = None,
) -> FloatArray:
    r"""The exact mean loss :math:`\mathbb E f` at the gradient points of :func:`simulate`,
    shape ``(len(lr), steps + 1)``.

    Along direction :math:`i` the state :math:`z_k` (iterate and buffer) obeys
    :math:`z_{k+1} = T_k z_k + u_k \xi_{k,i}`, so its mean follows :math:`m_{k+1} = T_k m_k`
    (the noise-free run) and its covariance
    :math:`P_{k+1} = T_k P_k T_k^\top + (s_i^2/B)\, u_k u_k^\top`. The loss is
    :math:`\mathbb E f = \tfrac12 \sum_i \lambda_i \bigl((c^\top m)^2 + c^\top P c\bigr)`,
    where :math:`c^\top z` is the gradient point: the deterministic run's loss plus the noise's.
    No sampling, so no seeds.

    >>> q = noisy_quadratic(10.0, dim=2)
    >>> e = expected_loss(q, "sgd", 0.5, 0.0, batch_size=1, steps=1)
    >>> round(float(e[0, 1]), 5)  # 0.57625 from the noise-free step, 0.12625 from the noise
    0.7025
    """
    q = _check_problem(problem)
    name = _check_method(method)
    lrs = _check_lrs(lr)
    beta = _check_momentum(name, momentum)
    b = _check_positive_int("batch_size", batch_size)
    factors = _check_schedule(schedule, _check_steps(steps))
    lam, var = q.curvatures[None, :], q.noise[None, :] / b
    shape = (lrs.size, q.dim)
    m0, m1 = np.broadcast_to(q.start, shape).copy(), np.zeros(shape)
    p00, p01, p11 = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    out = np.empty((lrs.size, factors.size + 1))
    c0, c1 = _system(name, lrs[:, None], beta, lam)[2]
    last = math.nan
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(factors.size + 1):
            mean = c0 * m0 + c1 * m1
            second = c0 * c0 * p00 + 2 * c0 * c1 * p01 + c1 * c1 * p11
            out[:, k] = 0.5 * (lam * (mean * mean + second)).sum(axis=-1)
            if k == factors.size:
                break
            if factors[k] != last:  # the system changes only when the rate does
                last = float(factors[k])
                (t00, t01, t10, t11), (u0, u1), _ = _system(name, lrs[:, None] * last, beta, lam)
                n00, n01, n11 = var * u0 * u0, var * u0 * u1, var * u1 * u1
            m0, m1 = t00 * m0 + t01 * m1, t10 * m0 + t11 * m1
            r00, r01 = t00 * p00 + t01 * p01, t00 * p01 + t01 * p11  # row 0 of T P
            r10, r11 = t10 * p00 + t11 * p01, t10 * p01 + t11 * p11  # row 1 of T P
            p00 = r00 * t00 + r01 * t01 + n00
            p01 = r00 * t10 + r01 * t11 + n01
            p11 = r10 * t10 + r11 * t11 + n11
    return out


def _radius(method: str, a: FloatArray, beta: float, lam: FloatArray) -> FloatArray:
    """Spectral radius of each direction's iteration (the roots of z^2 - a1 z - a2)."""
    if method == "sgd":
        return np.asarray(np.abs(1 - a * lam), dtype=np.float64)
    a1, a2 = _ar2(method, a, beta, lam)
    root = np.sqrt((a1 * a1 + 4 * a2).astype(np.complex128))
    return np.asarray(np.maximum(abs((a1 + root) / 2), abs((a1 - root) / 2)), dtype=np.float64)


def _ar2(method: str, a: FloatArray, beta: float, lam: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Coefficients of x_{k+1} = a1 x_k + a2 x_{k-1} - a xi_k (heavy ball's or NAG's theta)."""
    if method == "heavy_ball":
        return 1 + beta - a * lam, -beta * np.ones_like(a * lam)
    q = 1 - a * lam
    return (1 + beta) * q, -beta * q


def stationary_loss(
    method: str,
    lr: float | FloatArray,
    momentum: float,
    curvature: float | FloatArray,
    noise: float | FloatArray,
) -> FloatArray:
    r"""The limit of :math:`\mathbb E f` along one direction under a constant learning rate, in
    closed form (``inf`` where the iteration is unstable); vectorised over ``lr``,
    ``curvature`` (:math:`\lambda`) and ``noise`` (the variance :math:`s^2/B` of one step's
    gradient noise). With :math:`q = 1 - \alpha\lambda`:

    .. math::
        \text{SGD: } \frac{\alpha s^2/B}{2(2 - \alpha\lambda)}, \qquad
        \text{heavy ball: }
        \frac{(1+\beta)\,\alpha s^2/B}{2(1-\beta)\,(2(1+\beta) - \alpha\lambda)}, \qquad
        \text{NAG: } \frac{\bigl((1+\beta)^2(1-\beta q) + \beta^2(1+\beta q)\bigr)\,\alpha s^2/B}
        {2(1-\beta q)\,(1 + (1+2\beta) q)},

    the last at NAG's gradient point (both forms). Each tends to :math:`\alpha s^2/(4B(1-\beta))`
    as :math:`\alpha\lambda \to 0`: SGD's value with the step :math:`\alpha/(1-\beta)`. The
    derivation (Yule-Walker equations of the AR(2) recursion) is in chapter 9.

    >>> round(float(stationary_loss("sgd", 0.1, 0.0, 1.0, 1.0)), 6)  # 0.1 / (2 * 1.9)
    0.026316
    >>> round(float(stationary_loss("nag", 1e-6, 0.9, 1.0, 1.0) / (1e-6 / (4 * 0.1))), 4)
    1.0
    """
    name = _check_method(method)
    beta = _check_momentum(name, momentum)
    a = _real_array("lr", lr, positive=True)
    lam = _real_array("curvature", curvature, positive=True)
    s2 = _real_array("noise", noise, positive=False)
    q = 1 - a * lam
    with np.errstate(divide="ignore", invalid="ignore"):
        if name == "sgd":
            value = a * s2 / (2 * (2 - a * lam))
        elif name == "heavy_ball":
            value = (1 + beta) * a * s2 / (2 * (1 - beta) * (2 * (1 + beta) - a * lam))
        else:
            num = ((1 + beta) ** 2 * (1 - beta * q) + beta**2 * (1 + beta * q)) * a * s2
            value = num / (2 * (1 - beta * q) * (1 + (1 + 2 * beta) * q))
    stable = _radius(name, a, beta, lam) < 1
    return np.asarray(np.where(stable, value, np.inf), dtype=np.float64)


def steps_to_target(losses: npt.ArrayLike, target: float, window: float = 0.0) -> FloatArray:
    """The first step ``k`` (along the last axis) at which a run has reached ``target``; ``nan``
    where it never does (a diverged run never does).

    With ``window = 0`` that is the first ``k`` with ``losses[..., k] <= target``. A single
    step's loss of a noisy run fluctuates, and a lucky dip would count as arrival; with
    ``window = w > 0`` the loss must be at or below ``target`` on average over the last
    ``max(1, round(w * k))`` steps up to ``k`` (the last tenth of the run so far for ``w = 0.1``,
    the window :func:`nag_lib.evidence.plateaued` uses).

    >>> steps_to_target([[4.0, 2.0, 0.5, 0.9], [4.0, 3.0, 2.0, 1.5]], 1.0).tolist()
    [2.0, nan]
    >>> run = [8.0, 4.0, 2.0, 0.6, 1.8, 1.2, 0.9, 0.8, 0.8, 0.7]  # a dip at step 3
    >>> float(steps_to_target(run, 1.0)), float(steps_to_target(run, 1.0, window=0.5))
    (3.0, 8.0)
    """
    t = _check_number("target", target, low=0.0, low_open=True)
    w = _check_number("window", window, low=0.0, high=1.0, high_open=True)
    arr = np.asarray(losses, dtype=np.float64)
    if arr.ndim == 0 or arr.shape[-1] == 0:
        raise ValueError(f"losses must have a non-empty last axis, got shape {arr.shape}")
    arr = np.nan_to_num(arr, nan=np.inf, posinf=np.inf)
    k = np.arange(arr.shape[-1])
    width = np.maximum(1, np.round(w * k)).astype(np.int64)
    csum = np.concatenate([np.zeros((*arr.shape[:-1], 1)), np.cumsum(arr, axis=-1)], axis=-1)
    with np.errstate(invalid="ignore"):  # inf - inf where a run has diverged
        mean = (csum[..., k + 1] - csum[..., k + 1 - width]) / width
    below = np.nan_to_num(mean, nan=np.inf) <= t
    first = below.argmax(axis=-1).astype(np.float64)
    return np.asarray(np.where(below.any(axis=-1), first, np.nan), dtype=np.float64)


@dataclass(frozen=True)
class TunedSteps:
    """One method at one batch size, tuned by :func:`tuned_steps`."""

    method: str
    batch_size: int
    momentum: float
    #: The grid of effective steps :math:`\alpha/(1-\beta)`.
    grid: tuple[float, ...]
    #: Mean steps to the target over the tuning seeds, per grid point (``nan``: some tuning seed
    #: never reached it, or the grid point was not run).
    scores: FloatArray
    choice: Choice
    #: Steps to the target of each report seed, at the chosen grid point.
    counts: FloatArray

    @property
    def lr(self) -> float:
        r"""The chosen learning rate, :math:`(1-\beta)` times the chosen effective step."""
        return self.choice.value * (1.0 - self.momentum)


def tuned_steps(
    problem: NoisyQuadratic,
    method: str,
    momentum: float,
    batch_size: int,
    effective_steps: Sequence[float],
    target: float,
    steps: int,
    tune_seeds: Sequence[int],
    report_seeds: Sequence[int],
    *,
    window: float = 0.1,
) -> TunedSteps:
    r"""Tune the learning rate of ``method`` for the fewest steps to ``target``, then count the
    steps of fresh seeds at the chosen rate: the book's evidence standard on the noisy quadratic.

    Every effective step :math:`\alpha/(1-\beta)` of the grid ``effective_steps`` is run for
    ``steps`` steps on the tuning seeds and on the report seeds at once (:func:`simulate`), and
    :func:`steps_to_target` (with ``window``) counts each run's steps. The tuning seeds alone
    choose (:func:`nag_lib.evidence.choose`, lowest mean count; a grid point where a tuning seed
    never arrives scores ``nan``, worse than any count); the report seeds, which must be other
    seeds (the analogue of a validation split), are then read at the chosen point. A grid point
    whose noise floor (:func:`stationary_loss`, summed over the directions) lies above twice the
    target, or which is unstable, cannot arrive and is not run; it scores ``nan``.

    >>> q = noisy_quadratic(100.0, dim=10)
    >>> t = tuned_steps(q, "sgd", 0.0, 64, [0.5, 1.0, 1.6, 3.0], 0.05 * q.initial_loss,
    ...                 steps=300, tune_seeds=[0, 1], report_seeds=[2, 3])
    >>> t.choice.value, t.choice.inside, t.counts.shape
    (1.6, True, (2,))
    """
    q = _check_problem(problem)
    name = _check_method(method)
    beta = _check_momentum(name, momentum)
    b = _check_positive_int("batch_size", batch_size)
    grid = _check_lrs(effective_steps)
    goal = _check_number("target", target, low=0.0, low_open=True)
    n = _check_steps(steps)
    tune, report = _check_seeds(tune_seeds), _check_seeds(report_seeds)
    w = _check_number("window", window, low=0.0, high=1.0, high_open=True)
    if set(tune) & set(report):
        raise ValueError(
            f"report_seeds must differ from tune_seeds, both hold {sorted(set(tune) & set(report))}"
        )
    lrs = grid * (1.0 - beta)
    floors = stationary_loss(name, lrs, beta, q.curvatures[:, None], q.noise[:, None] / b).sum(0)
    run = floors < 2.0 * goal
    hits = np.full((grid.size, len(tune) + len(report)), np.nan)
    if run.any():
        losses = simulate(q, name, lrs[run], beta, b, n, tune + report)
        hits[run] = steps_to_target(losses, goal, w)
    choice = choose([float(v) for v in grid], hits[:, : len(tune)].mean(axis=1))
    return TunedSteps(
        method=name,
        batch_size=b,
        momentum=beta,
        grid=tuple(float(v) for v in grid),
        scores=hits[:, : len(tune)].mean(axis=1),
        choice=choice,
        counts=hits[choice.index, len(tune) :],
    )
