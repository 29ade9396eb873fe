r"""Test problems with known answers, and the textbook rates of GD, heavy ball and NAG on them.

A quadratic :math:`f(x) = \tfrac12 (x - x^*)^\top A (x - x^*)` with eigenvalues of :math:`A` in
:math:`[\mu, L]` has condition number :math:`\kappa = L/\mu`. The tuned rates (per iteration,
asymptotic contraction of the error) are, from Polyak (1987, ch. 3) and Nesterov (2004, §2.2):

* gradient descent, :math:`\alpha = 2/(L+\mu)`: rate :math:`(\kappa-1)/(\kappa+1)`;
* heavy ball, :math:`\alpha = 4/(\sqrt L+\sqrt\mu)^2`,
  :math:`\beta = ((\sqrt\kappa-1)/(\sqrt\kappa+1))^2`: rate :math:`(\sqrt\kappa-1)/(\sqrt\kappa+1)`;
* NAG, :math:`\alpha = 1/L`, :math:`\mu = (\sqrt\kappa-1)/(\sqrt\kappa+1)`: rate at most
  :math:`1 - 1/\sqrt\kappa`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from nag_lib.optim import FloatArray, _check_number

__all__ = [
    "Quadratic",
    "TunedParameters",
    "gd_optimal",
    "heavy_ball_optimal",
    "iteration_matrix",
    "iterations_to_tolerance",
    "nag_optimal",
    "quadratic",
    "rosenbrock",
    "rosenbrock_grad",
    "spectral_radius",
]


@dataclass(frozen=True)
class Quadratic:
    r"""The quadratic :math:`f(x) = \tfrac12 (x-x^*)^\top A (x-x^*)`, with :math:`f^* = 0`.

    Build it with :func:`quadratic`. ``A`` is symmetric positive definite with eigenvalues
    ``eigenvalues`` (ascending).
    """

    A: FloatArray
    minimizer: FloatArray
    eigenvalues: FloatArray

    @property
    def dim(self) -> int:
        """Number of variables."""
        return int(self.minimizer.size)

    @property
    def L(self) -> float:  # noqa: N802 - the literature's name
        """Largest eigenvalue (smoothness constant)."""
        return float(self.eigenvalues[-1])

    @property
    def mu(self) -> float:
        """Smallest eigenvalue (strong-convexity constant)."""
        return float(self.eigenvalues[0])

    @property
    def kappa(self) -> float:
        """Condition number L / mu."""
        return self.L / self.mu

    def value(self, x: npt.ArrayLike) -> float:
        """f(x)."""
        d = np.asarray(x, dtype=np.float64) - self.minimizer
        return float(0.5 * d @ self.A @ d)

    def values(self, xs: npt.ArrayLike) -> FloatArray:
        """f at each row of ``xs`` (an iterate array of shape (n, d))."""
        d = np.asarray(xs, dtype=np.float64) - self.minimizer
        return np.asarray(0.5 * np.einsum("ni,ij,nj->n", d, self.A, d), dtype=np.float64)

    def grad(self, x: npt.ArrayLike) -> FloatArray:
        """The exact gradient A (x - x*)."""
        return np.asarray(self.A @ (np.asarray(x, dtype=np.float64) - self.minimizer))

    def hessian(self) -> FloatArray:
        """The constant Hessian A."""
        return self.A.copy()


def quadratic(kappa: float, dim: int = 2, *, mu: float = 1.0, rotate: bool = False,
              seed: int = 0) -> Quadratic:
    """A quadratic with condition number ``kappa``: eigenvalues log-spaced in [mu, kappa * mu].

    With ``rotate=False`` the Hessian is diagonal; with ``rotate=True`` it is turned by a random
    orthogonal matrix drawn from ``seed``. The minimiser is the all-ones vector.

    >>> q = quadratic(100.0, dim=3)
    >>> round(q.kappa, 6), q.value(q.minimizer)
    (100.0, 0.0)
    """
    kappa = _check_number("kappa", kappa, low=1.0)
    mu = _check_number("mu", mu, low=0.0, low_open=True)
    if isinstance(dim, bool) or not isinstance(dim, int):
        raise TypeError(f"dim must be an int, got {type(dim).__name__}")
    if dim < 1 or (dim == 1 and kappa != 1.0):
        raise ValueError(f"Invalid dim value: {dim} (need dim >= 2 for kappa > 1, dim >= 1)")
    eig = mu * np.logspace(0.0, math.log10(kappa), dim) if dim > 1 else np.array([mu])
    eig[0], eig[-1] = mu, mu * kappa
    A = np.diag(eig)
    if rotate:
        rng = np.random.default_rng(seed)
        Q, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
        A = Q @ A @ Q.T
        A = 0.5 * (A + A.T)
    return Quadratic(A=A, minimizer=np.ones(dim), eigenvalues=np.sort(eig))


def rosenbrock(x: npt.ArrayLike, a: float = 1.0, b: float = 100.0) -> float:
    r"""Rosenbrock's function :math:`(a - x_0)^2 + b (x_1 - x_0^2)^2`, minimum 0 at :math:`(a, a^2)`."""
    x0, x1 = _xy(x)
    return float((a - x0) ** 2 + b * (x1 - x0 * x0) ** 2)


def rosenbrock_grad(x: npt.ArrayLike, a: float = 1.0, b: float = 100.0) -> FloatArray:
    """Exact gradient of :func:`rosenbrock`."""
    x0, x1 = _xy(x)
    return np.array([-2.0 * (a - x0) - 4.0 * b * x0 * (x1 - x0 * x0), 2.0 * b * (x1 - x0 * x0)])


def _xy(x: npt.ArrayLike) -> tuple[float, float]:
    arr = np.asarray(x, dtype=np.float64)
    if arr.shape != (2,):
        raise ValueError(f"x must have shape (2,), got {arr.shape}")
    return float(arr[0]), float(arr[1])


@dataclass(frozen=True)
class TunedParameters:
    """Step size, momentum and the asymptotic linear rate they give on a quadratic."""

    lr: float
    momentum: float
    rate: float


def _check_lmu(L: float, mu: float) -> tuple[float, float]:  # noqa: N803
    L = _check_number("L", L, low=0.0, low_open=True)
    mu = _check_number("mu", mu, low=0.0, low_open=True)
    if mu > L:
        raise ValueError(f"Invalid mu value: {mu} (mu must be <= L = {L})")
    return L, mu


def gd_optimal(L: float, mu: float) -> TunedParameters:  # noqa: N803
    """Gradient descent's best fixed step 2/(L+mu) and its rate (kappa-1)/(kappa+1)."""
    L, mu = _check_lmu(L, mu)
    k = L / mu
    return TunedParameters(lr=2.0 / (L + mu), momentum=0.0, rate=(k - 1) / (k + 1))


def heavy_ball_optimal(L: float, mu: float) -> TunedParameters:  # noqa: N803
    """Polyak's (1964) tuned heavy ball and its rate (sqrt(kappa)-1)/(sqrt(kappa)+1)."""
    L, mu = _check_lmu(L, mu)
    r = (math.sqrt(L / mu) - 1) / (math.sqrt(L / mu) + 1)
    return TunedParameters(lr=4.0 / (math.sqrt(L) + math.sqrt(mu)) ** 2, momentum=r * r, rate=r)


def nag_optimal(L: float, mu: float) -> TunedParameters:  # noqa: N803
    """Nesterov's (2004, §2.2) constant-momentum scheme for strongly convex f: lr = 1/L,
    momentum (sqrt(kappa)-1)/(sqrt(kappa)+1), guaranteed rate 1 - 1/sqrt(kappa)."""
    L, mu = _check_lmu(L, mu)
    sk = math.sqrt(L / mu)
    return TunedParameters(lr=1.0 / L, momentum=(sk - 1) / (sk + 1), rate=1.0 - 1.0 / sk)


def iteration_matrix(method: str, lr: float, momentum: float, eigenvalue: float) -> FloatArray:
    r"""The 2×2 matrix T with :math:`(e_{k+1}, e_k) = T (e_k, e_{k-1})` along one eigenvector.

    ``method`` is ``"gd"``, ``"heavy_ball"`` or ``"nag"``; :math:`e_k` is the error
    component along the eigenvector with eigenvalue :math:`\lambda` (``eigenvalue``).
    Heavy ball: :math:`e_{k+1} = (1+\beta-\alpha\lambda) e_k - \beta e_{k-1}`;
    NAG: :math:`e_{k+1} = (1+\mu)(1-\alpha\lambda) e_k - \mu(1-\alpha\lambda) e_{k-1}`.
    """
    a = _check_number("lr", lr, low=0.0)
    b = _check_number("momentum", momentum, low=0.0)
    lam = _check_number("eigenvalue", eigenvalue)
    if method == "gd":
        return np.array([[1 - a * lam, 0.0], [1.0, 0.0]])
    if method == "heavy_ball":
        return np.array([[1 + b - a * lam, -b], [1.0, 0.0]])
    if method == "nag":
        c = 1 - a * lam
        return np.array([[(1 + b) * c, -b * c], [1.0, 0.0]])
    raise ValueError(f"Invalid method value: {method!r} (use 'gd', 'heavy_ball' or 'nag')")


def spectral_radius(method: str, lr: float, momentum: float, eigenvalues: npt.ArrayLike) -> float:
    """Worst spectral radius of :func:`iteration_matrix` over ``eigenvalues``: the linear rate."""
    eig = np.atleast_1d(np.asarray(eigenvalues, dtype=np.float64))
    if eig.size == 0:
        raise ValueError("eigenvalues must be non-empty")
    return max(
        float(np.max(np.abs(np.linalg.eigvals(iteration_matrix(method, lr, momentum, float(lam))))))
        for lam in eig
    )


def iterations_to_tolerance(values: npt.ArrayLike, tol: float) -> int | None:
    """First index k with ``values[k] <= tol``, or ``None`` if the run never gets there."""
    tol = _check_number("tol", tol, low=0.0)
    v = np.asarray(values, dtype=np.float64)
    hits = np.flatnonzero(v <= tol)
    return int(hits[0]) if hits.size else None
