"""The optimizers as their papers write them, in NumPy: one function per method, each returning
every iterate, for the chapters that compare forms, rates and trajectories.

* :func:`gradient_descent`, :func:`heavy_ball` (Polyak 1964);
* Nesterov's method in four published forms: :func:`nesterov_1983` (Nesterov's own, with the
  :math:`t_k` schedule or a constant momentum), :func:`nesterov_sutskever` (Sutskever et al.
  2013), :func:`nesterov_bengio` (Bengio, Boulanger-Lewandowski & Pascanu 2013) and
  :func:`nesterov_pytorch` (the buffer form of ``torch.optim.SGD(nesterov=True)``);
* :func:`adam` (Kingma & Ba 2015, Algorithm 1) and :func:`nadam` (Dozat 2016, with PyTorch's
  momentum schedule, or a constant momentum).

Each takes ``grad`` (a function of a NumPy vector), a start ``x0``, a step size and a number of
steps, and returns an array of shape ``(steps + 1, dim)``: the start, then each iterate. The
``torch.optim`` optimizers that train networks live in :mod:`nag_lib.optim`; the tests check
that the two agree.

Example
-------
>>> import numpy as np
>>> xs = heavy_ball(lambda x: 2 * x, np.array([1.0]), lr=0.1, momentum=0.5, steps=2)
>>> [round(float(v), 4) for v in xs[:, 0]]
[1.0, 0.8, 0.54]
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

from nag_lib._checks import FloatArray, GradFn, _check_bool, _check_number

__all__ = [
    "adam",
    "gradient_descent",
    "heavy_ball",
    "nadam",
    "nesterov_1983",
    "nesterov_bengio",
    "nesterov_pytorch",
    "nesterov_sutskever",
]


def _check_run(x0: npt.ArrayLike, lr: float, steps: int, grad: GradFn) -> FloatArray:
    if not callable(grad):
        raise TypeError(f"grad must be callable, got {type(grad).__name__}")
    _check_number("lr", lr, low=0.0, low_open=True)
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
        raise TypeError(f"steps must be an int, got {type(steps).__name__}: {steps!r}")
    if steps < 0:
        raise ValueError(f"Invalid steps value: {steps} (steps must be >= 0)")
    x = np.array(x0, dtype=np.float64)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"x0 must be a non-empty 1-D array, got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("x0 must be finite")
    return x


def _collect(start: FloatArray, steps: int, iterates: Iterator[FloatArray]) -> FloatArray:
    """The start and the first ``steps`` iterates of a method, as the rows of one array.

    Each paper form below is a generator of its iterates; this is the bookkeeping they share. It
    draws no iterate past ``steps``, so no gradient is evaluated that is not recorded.
    """
    out = np.empty((steps + 1, start.size))
    out[0] = start
    for row in range(1, steps + 1):
        out[row] = next(iterates)
    return out


def _mom(momentum: float) -> float:
    return _check_number("momentum", momentum, low=0.0, high=1.0, high_open=True)


def gradient_descent(grad: GradFn, x0: npt.ArrayLike, lr: float, steps: int) -> FloatArray:
    r"""Plain gradient descent, :math:`x_{k+1} = x_k - \alpha \nabla f(x_k)`.

    Returns the iterates as an array of shape ``(steps + 1, d)``, ``x0`` first.

    >>> gradient_descent(lambda x: 2 * x, [1.0], lr=0.25, steps=2)[:, 0].tolist()
    [1.0, 0.5, 0.25]
    """
    x = _check_run(x0, lr, steps, grad)

    def iterates(x: FloatArray) -> Iterator[FloatArray]:
        while True:
            x = x - lr * grad(x)
            yield x

    return _collect(x, steps, iterates(x))


def heavy_ball(
    grad: GradFn, x0: npt.ArrayLike, lr: float, momentum: float, steps: int
) -> FloatArray:
    r"""Polyak (1964): :math:`x_{k+1} = x_k - \alpha \nabla f(x_k) + \beta (x_k - x_{k-1})`.

    Starts with :math:`x_{-1} = x_0`. Returns the iterates, shape ``(steps + 1, d)``.
    """
    x = _check_run(x0, lr, steps, grad)
    beta = _mom(momentum)

    def iterates(x: FloatArray, prev: FloatArray) -> Iterator[FloatArray]:
        while True:
            x, prev = x - lr * grad(x) + beta * (x - prev), x
            yield x

    return _collect(x, steps, iterates(x, x.copy()))


def nesterov_1983(
    grad: GradFn, x0: npt.ArrayLike, lr: float, steps: int, momentum: float | None = None
) -> FloatArray:
    r"""Nesterov (1983): a gradient step taken from an extrapolated point.

    .. math::
        y_k = x_k + \beta_k (x_k - x_{k-1}), \qquad x_{k+1} = y_k - \alpha \nabla f(y_k),

    with :math:`x_{-1} = x_0`. With ``momentum=None`` the weights follow Nesterov's sequence
    :math:`t_0 = 1`, :math:`t_{k+1} = (1 + \sqrt{1 + 4 t_k^2})/2`,
    :math:`\beta_k = (t_{k-1} - 1)/t_k` (so :math:`\beta_0 = 0`), which for :math:`\alpha = 1/L`
    gives :math:`f(x_k) - f^* \le 2L\lVert x_0 - x^*\rVert^2/(k+1)^2` on any L-smooth convex f.
    A number gives the constant weight :math:`\beta_k = \beta` used for strongly convex problems.

    Returns the iterates :math:`x_k`, shape ``(steps + 1, d)``.
    """
    x = _check_run(x0, lr, steps, grad)
    beta_const = None if momentum is None else _mom(momentum)

    def iterates(x: FloatArray, prev: FloatArray) -> Iterator[FloatArray]:
        t_prev, t = 1.0, 1.0
        for k in itertools.count():
            if beta_const is None:
                beta = (t_prev - 1.0) / t if k > 0 else 0.0
            else:
                beta = beta_const
            y = x + beta * (x - prev)
            prev, x = x, y - lr * grad(y)
            yield x
            t_prev, t = t, (1.0 + math.sqrt(1.0 + 4.0 * t * t)) / 2.0

    return _collect(x, steps, iterates(x, x.copy()))


def nesterov_sutskever(
    grad: GradFn, x0: npt.ArrayLike, lr: float, momentum: float, steps: int
) -> FloatArray:
    r"""Sutskever, Martens, Dahl & Hinton (2013), eqs. (3)-(4): velocity with a look-ahead gradient.

    .. math::
        v_{k+1} = \beta v_k - \alpha \nabla f(\theta_k + \beta v_k), \qquad
        \theta_{k+1} = \theta_k + v_{k+1}, \qquad v_0 = 0.

    Returns the iterates :math:`\theta_k`, shape ``(steps + 1, d)``; they equal
    :func:`nesterov_1983` with constant momentum, since :math:`v_k = \theta_k - \theta_{k-1}`.
    """
    theta = _check_run(x0, lr, steps, grad)
    beta = _mom(momentum)

    def iterates(theta: FloatArray, v: FloatArray) -> Iterator[FloatArray]:
        while True:
            v = beta * v - lr * grad(theta + beta * v)
            theta = theta + v
            yield theta

    return _collect(theta, steps, iterates(theta, np.zeros_like(theta)))


def nesterov_bengio(
    grad: GradFn, x0: npt.ArrayLike, lr: float, momentum: float, steps: int
) -> FloatArray:
    r"""Bengio, Boulanger-Lewandowski & Pascanu (2013), eqs. (6)-(7): the reparametrised form.

    With :math:`\Theta = \theta + \beta v` (the look-ahead point), the gradient is taken where the
    parameters are:

    .. math::
        v_{k+1} = \beta v_k - \alpha \nabla f(\Theta_k), \qquad
        \Theta_{k+1} = \Theta_k - \alpha \nabla f(\Theta_k) + \beta v_{k+1}
        \;(= \Theta_k + \beta^2 v_k - (1+\beta)\alpha \nabla f(\Theta_k)).

    This is the form of CS231n's notes and of PyTorch. Returns the iterates :math:`\Theta_k`.
    """
    big = _check_run(x0, lr, steps, grad)
    beta = _mom(momentum)

    def iterates(big: FloatArray, v: FloatArray) -> Iterator[FloatArray]:
        while True:
            g = grad(big)
            v = beta * v - lr * g
            big = big - lr * g + beta * v
            yield big

    return _collect(big, steps, iterates(big, np.zeros_like(big)))


def nesterov_pytorch(
    grad: GradFn, x0: npt.ArrayLike, lr: float, momentum: float, steps: int
) -> FloatArray:
    r"""``torch.optim.SGD(nesterov=True)`` written out: :math:`b_{k+1} = \beta b_k + g_k`,
    :math:`p_{k+1} = p_k - \alpha (g_k + \beta b_{k+1})`, :math:`g_k = \nabla f(p_k)`,
    :math:`b_0 = 0`.

    With :math:`b = -v/\alpha` this is :func:`nesterov_bengio`. Returns the iterates :math:`p_k`.
    """
    p = _check_run(x0, lr, steps, grad)
    beta = _mom(momentum)

    def iterates(p: FloatArray, b: FloatArray) -> Iterator[FloatArray]:
        while True:
            g = grad(p)
            b = beta * b + g
            p = p - lr * (g + beta * b)
            yield p

    return _collect(p, steps, iterates(p, np.zeros_like(p)))


def _moment_checks(beta1: float, beta2: float, eps: float) -> tuple[float, float, float]:
    b1 = _check_number("beta1", beta1, low=0.0, high=1.0, high_open=True)
    b2 = _check_number("beta2", beta2, low=0.0, high=1.0, high_open=True)
    return b1, b2, _check_number("eps", eps, low=0.0)


def adam(
    grad: GradFn,
    x0: npt.ArrayLike,
    lr: float,
    steps: int,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
) -> FloatArray:
    r"""Adam as Algorithm 1 of Kingma & Ba (2015) writes it, with its bias corrections:

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,\quad
        \theta_t = \theta_{t-1} - \alpha\,\frac{m_t/(1-\beta_1^t)}
            {\sqrt{v_t/(1-\beta_2^t)} + \epsilon}.

    ``torch.optim.Adam`` computes the same step in another order (chapter 6 compares them).

    >>> xs = adam(lambda x: 2 * x, np.array([1.0]), lr=0.1, steps=1)
    >>> round(float(xs[1, 0]), 6)  # the first step is lr, whatever the gradient's size
    0.9
    """
    x = _check_run(x0, lr, steps, grad)
    b1, b2, e = _moment_checks(beta1, beta2, eps)

    def iterates(x: FloatArray, m: FloatArray, v: FloatArray) -> Iterator[FloatArray]:
        for t in itertools.count(1):
            g = grad(x)
            m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g**2
            m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
            x = x - lr * m_hat / (np.sqrt(v_hat) + e)
            yield x

    return _collect(x, steps, iterates(x, np.zeros_like(x), np.zeros_like(x)))


def nadam(
    grad: GradFn,
    x0: npt.ArrayLike,
    lr: float,
    steps: int,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    momentum_decay: float = 4e-3,
    schedule: bool = True,
) -> FloatArray:
    r"""Nadam (Dozat 2016): Adam whose first moment looks one step ahead.

    With ``schedule=True`` (PyTorch's default) the momentum follows
    :math:`\beta_{1,t} = \beta_1 (1 - \tfrac12\, 0.96^{t\psi})` (``momentum_decay``
    :math:`\psi`), and

    .. math::
        \bar m_t = \frac{(1-\beta_{1,t})\, g_t}{1-\prod_{i\le t}\beta_{1,i}}
            + \frac{\beta_{1,t+1}\, m_t}{1-\prod_{i\le t+1}\beta_{1,i}},\quad
        \theta_t = \theta_{t-1} - \alpha\,\frac{\bar m_t}
            {\sqrt{v_t/(1-\beta_2^t)} + \epsilon};

    with ``schedule=False`` the momentum is :math:`\beta_1` at every step, so the products are
    :math:`\beta_1^t` and :math:`\beta_1^{t+1}`.

    >>> xs = nadam(lambda x: 2 * x, np.array([1.0]), lr=0.1, steps=1, schedule=False)
    >>> round(float(xs[1, 0]), 4)  # 1 - lr (1 + 0.9 * 0.1 / (1 - 0.81))
    0.8526
    """
    x = _check_run(x0, lr, steps, grad)
    b1, b2, e = _moment_checks(beta1, beta2, eps)
    psi = _check_number("momentum_decay", momentum_decay, low=0.0)
    _check_bool("schedule", schedule)

    def mu(t: int) -> float:
        return b1 * (1 - 0.5 * float(0.96 ** (t * psi)))

    def iterates(x: FloatArray, m: FloatArray, v: FloatArray) -> Iterator[FloatArray]:
        prod = 1.0
        for t in itertools.count(1):
            g = grad(x)
            m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g**2
            if schedule:
                b1_t, b1_next = mu(t), mu(t + 1)
                prod *= b1_t
                m_bar = (1 - b1_t) * g / (1 - prod) + b1_next * m / (1 - prod * b1_next)
            else:
                m_bar = (1 - b1) * g / (1 - b1**t) + b1 * m / (1 - b1 ** (t + 1))
            x = x - lr * m_bar / (np.sqrt(v / (1 - b2**t)) + e)
            yield x

    return _collect(x, steps, iterates(x, np.zeros_like(x), np.zeros_like(x)))
