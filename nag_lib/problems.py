r"""Test problems with known answers, and the textbook rates of GD, heavy ball and NAG on them.

A quadratic :math:`f(x) = \tfrac12 (x - x^*)^\top A (x - x^*)` with eigenvalues of :math:`A` in
:math:`[\mu, L]` has condition number :math:`\kappa = L/\mu`. The tuned rates (per iteration,
asymptotic contraction of the error) are, from Polyak (1987, ch. 3) and Nesterov (2004, §2.2):

* gradient descent, :math:`\alpha = 2/(L+\mu)`: rate :math:`(\kappa-1)/(\kappa+1)`;
* heavy ball, :math:`\alpha = 4/(\sqrt L+\sqrt\mu)^2`,
  :math:`\beta = ((\sqrt\kappa-1)/(\sqrt\kappa+1))^2`: rate :math:`(\sqrt\kappa-1)/(\sqrt\kappa+1)`;
* NAG, :math:`\alpha = 1/L`, :math:`\beta = (\sqrt\kappa-1)/(\sqrt\kappa+1)`: rate
  :math:`1 - 1/\sqrt\kappa` (a double root at the smallest eigenvalue), which Nesterov (2004,
  §2.2.1) also guarantees, in function value, on every smooth strongly convex function.

Heavy ball's rate is a statement about quadratics only: :class:`LessardFunction` is a smooth
strongly convex function on which the tuned heavy ball cycles (Lessard, Recht & Packard 2016).
:func:`nesterov_worst_case` builds the quadratic behind the lower bound for first-order methods
on smooth convex functions (Nesterov 2004, §2.1.2), which NAG's :math:`O(1/k^2)` matches up to a
constant factor.

Size: over 400 lines of many small problems, each with its gradient, its textbook rates and
its tuned parameters, which the chapters compare side by side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, overload

import numpy as np
import numpy.typing as npt
from torch import Tensor

from nag_lib._checks import FloatArray, _check_number, _check_positive_int

__all__ = [
    "METHODS",
    "LessardFunction",
    "Quadratic",
    "TunedParameters",
    "WorstCaseQuadratic",
    "convex_quadratic",
    "fit_power_law",
    "gd_optimal",
    "heavy_ball_optimal",
    "iteration_matrix",
    "iterations_to_tolerance",
    "nag_optimal",
    "nesterov_worst_case",
    "quadratic",
    "rosenbrock",
    "rosenbrock_grad",
    "rosenbrock_points",
    "spectral_radii",
    "spectral_radius",
    "tuned_iterations",
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
    def L(self) -> float:
        """Largest eigenvalue (smoothness constant)."""
        return float(self.eigenvalues[-1])

    @property
    def mu(self) -> float:
        """Smallest eigenvalue (strong-convexity constant)."""
        return float(self.eigenvalues[0])

    @property
    def kappa(self) -> float:
        """Condition number L / mu (``inf`` when mu = 0: convex but not strongly convex)."""
        return math.inf if self.mu == 0.0 else self.L / self.mu

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

    def grads(self, xs: npt.ArrayLike) -> FloatArray:
        """The gradient at each row of ``xs`` (shape (n, d)): ``(xs - x*) A``, one matrix product
        for many runs at once (``A`` is symmetric, so each row is :meth:`grad` of that row).

        >>> q = quadratic(4.0)  # eigenvalues 1 and 4, minimiser (1, 1)
        >>> q.grads([[2.0, 2.0], [1.0, 3.0]]).tolist()
        [[1.0, 4.0], [0.0, 8.0]]
        """
        d = np.asarray(xs, dtype=np.float64) - self.minimizer
        if d.ndim != 2 or d.shape[1] != self.dim:
            raise ValueError(f"xs must have shape (n, {self.dim}), got {d.shape}")
        return np.asarray(d @ self.A)

    def hessian(self) -> FloatArray:
        """The constant Hessian A."""
        return self.A.copy()


def quadratic(
    kappa: float, dim: int = 2, *, mu: float = 1.0, rotate: bool = False, seed: int = 0
) -> Quadratic:
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
    r"""Rosenbrock's function :math:`(a - x_0)^2 + b (x_1 - x_0^2)^2`.

    Its minimum is 0 at :math:`(a, a^2)`.
    """
    x0, x1 = _xy(x)
    a, b = _check_number("a", a), _check_number("b", b)
    return float((a - x0) ** 2 + b * (x1 - x0 * x0) ** 2)


@overload
def rosenbrock_points(z: Tensor, a: float = ..., b: float = ...) -> Tensor: ...
@overload
def rosenbrock_points(z: FloatArray, a: float = ..., b: float = ...) -> FloatArray: ...
def rosenbrock_points(
    z: Tensor | FloatArray, a: float = 1.0, b: float = 100.0
) -> Tensor | FloatArray:
    r"""Rosenbrock's function at every point of ``z`` (shape ``(..., 2)``), a NumPy array or a
    torch tensor; with a tensor the value is differentiable, so ``.backward()`` gives the
    gradient that a torch optimizer steps on. The arithmetic is :func:`rosenbrock`'s.

    >>> import torch
    >>> p = torch.tensor([-1.2, 1.0], dtype=torch.float64, requires_grad=True)
    >>> rosenbrock_points(p).backward()
    >>> bool(np.allclose(p.grad.numpy(), rosenbrock_grad([-1.2, 1.0])))
    True
    >>> rosenbrock_points(np.array([[1.0, 1.0], [0.0, 0.0]])).tolist()
    [0.0, 1.0]
    """
    if not isinstance(z, (Tensor, np.ndarray)):
        raise TypeError(f"z must be a torch tensor or a NumPy array, got {type(z).__name__}")
    if z.ndim == 0 or z.shape[-1] != 2:
        raise ValueError(f"z must have shape (..., 2), got {tuple(z.shape)}")
    a, b = _check_number("a", a), _check_number("b", b)
    x0, x1 = z[..., 0], z[..., 1]
    return (a - x0) ** 2 + b * (x1 - x0 * x0) ** 2


def rosenbrock_grad(x: npt.ArrayLike, a: float = 1.0, b: float = 100.0) -> FloatArray:
    """Exact gradient of :func:`rosenbrock`."""
    x0, x1 = _xy(x)
    a, b = _check_number("a", a), _check_number("b", b)
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


def _check_lmu(L: float, mu: float) -> tuple[float, float]:
    L = _check_number("L", L, low=0.0, low_open=True)
    mu = _check_number("mu", mu, low=0.0, low_open=True)
    if mu > L:
        raise ValueError(f"Invalid mu value: {mu} (mu must be <= L = {L})")
    return L, mu


def gd_optimal(L: float, mu: float) -> TunedParameters:
    """Gradient descent's best fixed step 2/(L+mu) and its rate (kappa-1)/(kappa+1)."""
    L, mu = _check_lmu(L, mu)
    k = L / mu
    return TunedParameters(lr=2.0 / (L + mu), momentum=0.0, rate=(k - 1) / (k + 1))


def heavy_ball_optimal(L: float, mu: float) -> TunedParameters:
    """Polyak's (1964) tuned heavy ball and its rate (sqrt(kappa)-1)/(sqrt(kappa)+1)."""
    L, mu = _check_lmu(L, mu)
    r = (math.sqrt(L / mu) - 1) / (math.sqrt(L / mu) + 1)
    return TunedParameters(lr=4.0 / (math.sqrt(L) + math.sqrt(mu)) ** 2, momentum=r * r, rate=r)


def nag_optimal(L: float, mu: float) -> TunedParameters:
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
    NAG: :math:`e_{k+1} = (1+\beta)(1-\alpha\lambda) e_k - \beta(1-\alpha\lambda) e_{k-1}`.
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
    if eig.ndim != 1 or eig.size == 0:
        raise ValueError(f"eigenvalues must be a non-empty 1-D array, got shape {eig.shape}")
    if not np.all(np.isfinite(eig)):
        raise ValueError("eigenvalues must be finite")
    return max(
        float(np.max(np.abs(np.linalg.eigvals(iteration_matrix(method, lr, momentum, float(lam))))))
        for lam in eig
    )


def spectral_radii(
    method: str, lr: float, momentum: float, eigenvalues: npt.ArrayLike
) -> FloatArray:
    r"""The spectral radius of :func:`iteration_matrix` for each eigenvalue, vectorised.

    It is the largest modulus of the roots of the characteristic polynomial
    :math:`z^2 - b z + c`, with :math:`b = 1 + \beta - \alpha\lambda`, :math:`c = \beta`
    (heavy ball), :math:`b = (1+\beta)(1-\alpha\lambda)`, :math:`c = \beta(1-\alpha\lambda)`
    (NAG) or :math:`|1 - \alpha\lambda|` (gradient descent), computed by the quadratic formula
    instead of one eigenvalue problem per :math:`\lambda` (:func:`spectral_radius`). When the roots
    are complex their product is :math:`c`, so both have modulus :math:`\sqrt{c}`.

    >>> spectral_radii("heavy_ball", 1.0, 0.25, [1.0, 2.0]).round(12).tolist()
    [0.5, 0.5]
    """
    a = _check_number("lr", lr, low=0.0)
    beta = _check_number("momentum", momentum, low=0.0)
    lam = np.atleast_1d(np.asarray(eigenvalues, dtype=np.float64))
    if lam.ndim != 1 or lam.size == 0:
        raise ValueError(f"eigenvalues must be a non-empty 1-D array, got shape {lam.shape}")
    if not np.all(np.isfinite(lam)):
        raise ValueError("eigenvalues must be finite")
    if method == "gd":
        return np.asarray(np.abs(1.0 - a * lam), dtype=np.float64)
    if method == "heavy_ball":
        b, c = 1.0 + beta - a * lam, np.full_like(lam, beta)
    elif method == "nag":
        b, c = (1.0 + beta) * (1.0 - a * lam), beta * (1.0 - a * lam)
    else:
        raise ValueError(f"Invalid method value: {method!r} (use 'gd', 'heavy_ball' or 'nag')")
    root = np.sqrt((b * b - 4.0 * c).astype(np.complex128))
    return np.asarray(
        np.maximum(np.abs((b + root) / 2.0), np.abs((b - root) / 2.0)), dtype=np.float64
    )


def iterations_to_tolerance(values: npt.ArrayLike, tol: float) -> int | None:
    """First index k with ``values[k] <= tol``, or ``None`` if the run never gets there."""
    tol = _check_number("tol", tol, low=0.0)
    v = np.asarray(values, dtype=np.float64)
    hits = np.flatnonzero(v <= tol)
    return int(hits[0]) if hits.size else None


def convex_quadratic(
    dim: int = 100, *, L: float = 1.0, smallest: float = 1e-8, seed: int = 0
) -> Quadratic:
    r"""A smooth convex quadratic that is *not* strongly convex: the worst case for plain rates.

    The Hessian is diagonal with one eigenvalue exactly 0 and ``dim - 1`` eigenvalues
    log-spaced in ``[smallest * L, L]``, so :math:`\mu = 0` and ``kappa`` is infinite. The
    minimiser is drawn from a standard normal (``seed``) with its component along the zero
    eigenvalue set to 0, so that from :math:`x_0 = 0` it is the minimiser nearest the start, the
    :math:`x^*` in the bounds :math:`f(x_k) - f^* \le L\lVert x_0 - x^*\rVert^2/(2k)` (gradient
    descent, step 1/L) and :math:`2L\lVert x_0 - x^*\rVert^2/(k+1)^2` (Nesterov 1983; Beck &
    Teboulle 2009, Thms 3.1 and 4.4).

    >>> q = convex_quadratic(5)
    >>> q.mu, q.L, q.kappa
    (0.0, 1.0, inf)
    """
    if isinstance(dim, bool) or not isinstance(dim, int):
        raise TypeError(f"dim must be an int, got {type(dim).__name__}: {dim!r}")
    if dim < 2:
        raise ValueError(f"Invalid dim value: {dim} (dim must be >= 2)")
    L = _check_number("L", L, low=0.0, low_open=True)
    smallest = _check_number("smallest", smallest, low=0.0, high=1.0, low_open=True)
    eig = np.concatenate([[0.0], L * np.logspace(math.log10(smallest), 0.0, dim - 1)])
    eig[-1] = L
    xstar = np.random.default_rng(seed).standard_normal(dim)
    xstar[0] = 0.0
    return Quadratic(A=np.diag(eig), minimizer=xstar, eigenvalues=eig)


@dataclass(frozen=True)
class LessardFunction:
    r"""The strongly convex function on which tuned heavy ball fails (Lessard, Recht & Packard
    2016, §4.6), applied to each coordinate and summed: :math:`f(x) = \sum_i \varphi(x_i)` with

    .. math::
        \varphi'(t) = \begin{cases} 25t & t < 1 \\ t + 24 & 1 \le t < 2 \\ 25t - 24 & t \ge 2
        \end{cases}

    :math:`\varphi'` is continuous and piecewise linear with slopes 25, 1, 25, so f is
    :math:`\mu`-strongly convex and L-smooth with :math:`\mu = 1`, :math:`L = 25`
    (:math:`\kappa = 25`); its minimum is :math:`f^* = 0` at :math:`x^* = 0`. Heavy ball with the
    parameters tuned for quadratics with these :math:`\mu, L` (:func:`heavy_ball_optimal`) falls
    into a 3-cycle from :math:`x_0 \in [3.07, 3.46]` (and from other starts); Nesterov's method
    converges from anywhere. Gradient descent, heavy ball and NAG act on each coordinate
    separately here, so one run in :math:`\mathbb{R}^d` is :math:`d` independent 1-D runs.

    >>> f = LessardFunction()
    >>> f.value([0.0]), f.grad([1.0]).tolist(), f.grad([2.0]).tolist()
    (0.0, [25.0], [26.0])
    """

    #: Smoothness constant (the largest slope of the gradient).
    L: ClassVar[float] = 25.0
    #: Strong-convexity constant (the smallest slope of the gradient).
    mu: ClassVar[float] = 1.0

    @property
    def kappa(self) -> float:
        """Condition number L / mu = 25."""
        return self.L / self.mu

    @staticmethod
    def _arr(x: npt.ArrayLike) -> FloatArray:
        arr = np.asarray(x, dtype=np.float64)
        if arr.ndim != 1 or arr.size == 0:
            raise ValueError(f"x must be a non-empty 1-D array, got shape {arr.shape}")
        return arr

    def minimizer(self, dim: int = 1) -> FloatArray:
        """The minimiser, the origin of R^dim."""
        if isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
            raise ValueError(f"Invalid dim value: {dim!r} (dim must be an int >= 1)")
        return np.zeros(dim)

    def phi(self, x: npt.ArrayLike) -> FloatArray:
        r"""The one-dimensional :math:`\varphi` applied elementwise (any shape)."""
        t = np.asarray(x, dtype=np.float64)
        return np.asarray(
            np.where(
                t < 1.0,
                12.5 * t * t,
                np.where(t < 2.0, 0.5 * t * t + 24.0 * t - 12.0, 12.5 * t * t - 24.0 * t + 36.0),
            ),
            dtype=np.float64,
        )

    def value(self, x: npt.ArrayLike) -> float:
        """f(x), the sum of phi over the coordinates; f* = 0."""
        return float(np.sum(self.phi(self._arr(x))))

    def grad(self, x: npt.ArrayLike) -> FloatArray:
        """The exact gradient, coordinate by coordinate."""
        t = self._arr(x)
        return np.asarray(
            np.where(t < 1.0, 25.0 * t, np.where(t < 2.0, t + 24.0, 25.0 * t - 24.0)),
            dtype=np.float64,
        )


@dataclass(frozen=True)
class WorstCaseQuadratic:
    r"""Nesterov's worst function for first-order methods on smooth convex problems (2004,
    §2.1.2), in :math:`n` variables:

    .. math::
        f(x) = \frac{L}{4}\Bigl(\frac12\Bigl[x_1^2 + \sum_{i=1}^{n-1} (x_i - x_{i+1})^2
        + x_n^2\Bigr] - x_1\Bigr).

    Build it with :func:`nesterov_worst_case`. Its Hessian is :math:`\tfrac L4` times the
    tridiagonal matrix with 2 on the diagonal and -1 beside it, whose eigenvalues
    :math:`L\sin^2\bigl(j\pi/(2(n+1))\bigr)`, :math:`j = 1, \dots, n`, lie in :math:`(0, L)`:
    f is convex and L-smooth. Its minimiser is :math:`x^*_i = 1 - i/(n+1)` and its minimum
    :math:`f^* = -\tfrac L8\bigl(1 - \tfrac{1}{n+1}\bigr)` (Nesterov's Lemma 2.1.3 and the
    proof of Theorem 2.1.7). A gradient at a point whose coordinates beyond :math:`j` are 0
    has its coordinates beyond :math:`j+1` exactly 0, so every method whose iterates lie in
    the span of the gradients it has seen, started at 0, has
    :math:`f(x_k) - f^* \ge` :meth:`krylov_gap` ``(k)``.
    """

    L: float
    minimizer: FloatArray
    f_star: float

    @property
    def dim(self) -> int:
        """Number of variables n."""
        return int(self.minimizer.size)

    @property
    def eigenvalues(self) -> FloatArray:
        r"""The Hessian's eigenvalues :math:`L\sin^2(j\pi/(2(n+1)))`, ascending."""
        j = np.arange(1, self.dim + 1)
        return np.asarray(self.L * np.sin(j * np.pi / (2 * (self.dim + 1))) ** 2)

    def _rows(self, xs: npt.ArrayLike, name: str, ndim: int) -> FloatArray:
        arr = np.asarray(xs, dtype=np.float64)
        want = (self.dim,) if ndim == 1 else ("m", self.dim)
        if arr.ndim != ndim or arr.shape[-1] != self.dim:
            raise ValueError(f"{name} must have shape {want}, got {arr.shape}")
        return arr

    @staticmethod
    def _form(d: FloatArray) -> FloatArray:
        # d_1^2 + sum (d_i - d_{i+1})^2 + d_n^2 over the last axis: d^T T d, T = tridiag(-1, 2, -1)
        return np.asarray(
            d[..., 0] ** 2 + np.sum(np.diff(d, axis=-1) ** 2, axis=-1) + d[..., -1] ** 2
        )

    def value(self, x: npt.ArrayLike) -> float:
        """f(x), from the definition."""
        arr = self._rows(x, "x", 1)
        return float(self.L / 4 * (0.5 * self._form(arr) - arr[0]))

    def values(self, xs: npt.ArrayLike) -> FloatArray:
        """f at each row of ``xs`` (shape (m, n)), from the definition."""
        arr = self._rows(xs, "xs", 2)
        return np.asarray(self.L / 4 * (0.5 * self._form(arr) - arr[:, 0]), dtype=np.float64)

    def gaps(self, xs: npt.ArrayLike) -> FloatArray:
        r""":math:`f(x) - f^* = \tfrac L8 (x - x^*)^\top T (x - x^*)` at each row of ``xs``.

        The same numbers as ``values(xs) - f_star``, computed without the cancellation of
        two numbers near :math:`f^*`, so they stay accurate (and non-negative) near the minimum.
        """
        arr = self._rows(xs, "xs", 2)
        return np.asarray(self.L / 8 * self._form(arr - self.minimizer), dtype=np.float64)

    def grad(self, x: npt.ArrayLike) -> FloatArray:
        r"""The exact gradient :math:`\tfrac L4 (T x - e_1)`, in O(n) operations."""
        arr = self._rows(x, "x", 1)
        g = 2.0 * arr
        g[:-1] -= arr[1:]
        g[1:] -= arr[:-1]
        g[0] -= 1.0
        return np.asarray(self.L / 4 * g, dtype=np.float64)

    def hessian(self) -> FloatArray:
        r"""The constant Hessian :math:`\tfrac L4 T`, as a dense (n, n) array."""
        n = self.dim
        T = 2.0 * np.eye(n) - np.eye(n, k=1) - np.eye(n, k=-1)
        return np.asarray(self.L / 4 * T)

    def krylov_gap(self, k: int) -> float:
        r"""The smallest :math:`f(x) - f^*` over the x whose coordinates beyond k are 0:
        :math:`\tfrac L8\bigl(\tfrac{1}{k+1} - \tfrac{1}{n+1}\bigr)`, for :math:`0 \le k \le n`.

        It bounds below the gap of any first-order method after k steps from 0. With
        :math:`n = 2k+1` it is :math:`L/(16(k+1)) \ge 3L\lVert x_0 - x^*\rVert^2/(32(k+1)^2)`,
        Nesterov's (2004) Theorem 2.1.7.
        """
        if isinstance(k, bool) or not isinstance(k, int):
            raise TypeError(f"k must be an int, got {type(k).__name__}: {k!r}")
        if not 0 <= k <= self.dim:
            raise ValueError(f"Invalid k value: {k} (k must be in [0, n = {self.dim}])")
        return self.L / 8 * (1.0 / (k + 1) - 1.0 / (self.dim + 1))


def nesterov_worst_case(n: int, L: float = 1.0) -> WorstCaseQuadratic:
    r"""Nesterov's (2004, §2.1.2) worst smooth convex function in ``n`` variables.

    For ``k`` steps of any first-order method from 0 the lower bound of Theorem 2.1.7,
    :math:`f(x_k) - f^* \ge 3L\lVert x_0 - x^*\rVert^2/(32(k+1)^2)`, holds on
    ``nesterov_worst_case(2 * k + 1, L)`` (any :math:`n \ge 2k+1` with the function of
    :math:`2k+1` variables). See :class:`WorstCaseQuadratic`.

    >>> f = nesterov_worst_case(3, L=8.0)
    >>> f.minimizer.tolist(), f.f_star, f.value(f.minimizer)
    ([0.75, 0.5, 0.25], -0.75, -0.75)
    >>> f.grad(np.zeros(3)).tolist()
    [-2.0, 0.0, 0.0]
    """
    n = _check_positive_int("n", n)
    L = _check_number("L", L, low=0.0, low_open=True)
    minimizer = 1.0 - np.arange(1, n + 1) / (n + 1)
    return WorstCaseQuadratic(L=L, minimizer=minimizer, f_star=-L / 8 * (1.0 - 1.0 / (n + 1)))


#: Method names accepted by :func:`tuned_iterations` and :func:`iteration_matrix`.
METHODS = ("gd", "heavy_ball", "nag")


def _tuned(method: str, L: float, mu: float) -> TunedParameters:
    if method == "gd":
        return gd_optimal(L, mu)
    if method == "heavy_ball":
        return heavy_ball_optimal(L, mu)
    if method == "nag":
        return nag_optimal(L, mu)
    raise ValueError(f"Invalid method value: {method!r} (use one of {METHODS})")


def tuned_iterations(
    method: str,
    problem: Quadratic,
    tol: float,
    x0: npt.ArrayLike | None = None,
    max_steps: int = 1_000_000,
) -> int | None:
    r"""Iterations the textbook-tuned ``method`` needs until :math:`f(x_k) - f^* \le`
    ``tol`` :math:`\cdot (f(x_0) - f^*)` on a strongly convex quadratic ``problem``.

    The parameters come from :func:`gd_optimal`, :func:`heavy_ball_optimal` or
    :func:`nag_optimal` for the problem's :math:`\mu` and :math:`L`; the iterates from the paper
    forms in :mod:`nag_lib.optim` (:func:`~nag_lib.optim.gradient_descent`,
    :func:`~nag_lib.optim.heavy_ball`, :func:`~nag_lib.optim.nesterov_1983` with constant
    momentum). The first run is 1.2 times as long as the asymptotic rate predicts (plus 100
    steps); while the tolerance is not reached the run is repeated with twice the steps, up to
    ``max_steps``. ``x0`` defaults to the origin. Returns ``None`` if the tolerance is not reached
    within ``max_steps``.

    >>> tuned_iterations("gd", quadratic(10.0, dim=2), 1e-6)
    35
    """
    from nag_lib.paper import gradient_descent, heavy_ball, nesterov_1983

    if not isinstance(problem, Quadratic):
        raise TypeError(f"problem must be a Quadratic, got {type(problem).__name__}")
    tol = _check_number("tol", tol, low=0.0, high=1.0, low_open=True, high_open=True)
    if isinstance(max_steps, bool) or not isinstance(max_steps, int):
        raise TypeError(f"max_steps must be an int, got {type(max_steps).__name__}: {max_steps!r}")
    if max_steps < 1:
        raise ValueError(f"Invalid max_steps value: {max_steps!r} (must be an int >= 1)")
    params = _tuned(method, problem.L, problem.mu)
    start = np.zeros(problem.dim) if x0 is None else np.asarray(x0, dtype=np.float64)
    f0 = problem.value(start)
    if f0 <= 0.0:
        raise ValueError("x0 must not be the minimiser (f(x0) - f* must be > 0)")
    predicted = math.log(tol) / (2.0 * math.log(params.rate)) if params.rate > 0 else 1.0
    steps = min(int(1.2 * predicted) + 100, max_steps)
    while True:
        if method == "gd":
            xs = gradient_descent(problem.grad, start, params.lr, steps)
        elif method == "heavy_ball":
            xs = heavy_ball(problem.grad, start, params.lr, params.momentum, steps)
        else:
            xs = nesterov_1983(problem.grad, start, params.lr, steps, momentum=params.momentum)
        hit = iterations_to_tolerance(problem.values(xs) / f0, tol)
        if hit is not None or steps >= max_steps:
            return hit
        steps = min(2 * steps, max_steps)


def fit_power_law(x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[float, float]:
    r"""Least-squares fit of :math:`y \approx c\, x^p` on log-log axes; returns ``(p, c)``.

    >>> p, c = fit_power_law([1, 10, 100], [3, 30, 300])
    >>> round(p, 6), round(c, 6)
    (1.0, 3.0)
    """
    xa = np.asarray(x, dtype=np.float64)
    ya = np.asarray(y, dtype=np.float64)
    if xa.ndim != 1 or xa.shape != ya.shape:
        raise ValueError(f"x and y must be 1-D of equal length, got shapes {xa.shape}, {ya.shape}")
    if xa.size < 2 or np.unique(xa).size < 2:
        raise ValueError("x must hold at least 2 distinct values")
    for name, arr in (("x", xa), ("y", ya)):
        if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
            raise ValueError(f"{name} must be positive and finite, got {arr.tolist()}")
    p, logc = np.polyfit(np.log(xa), np.log(ya), 1)
    return float(p), float(math.exp(logc))
