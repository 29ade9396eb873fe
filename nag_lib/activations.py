"""Activation functions and their derivatives, written out so the chapters can compare them.

Leaky ReLU (Maas, Hannun & Ng 2013) is :math:`f(x) = x` for :math:`x \\ge 0` and :math:`a x`
otherwise, i.e. :math:`\\max(x, a x)` for :math:`0 < a < 1`; PyTorch calls
the slope :math:`a` ``negative_slope`` (default 0.01). Its smooth relatives ELU (Clevert,
Unterthiner & Hochreiter 2016), GELU (Hendrycks & Gimpel 2016) and SiLU (Elfwing, Uchibe & Doya
2018; Swish with a unit scale in Ramachandran, Zoph & Le 2017) get their derivatives here too,
and :func:`variance_gain` gives each of them the initialisation gain that He et al. (2015)
derived for ReLU.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from nag_lib._checks import _check_number

__all__ = [
    "VARIANCE_GAIN_ACTIVATIONS",
    "elu_grad",
    "gaussian_expectation",
    "gelu_grad",
    "leaky_relu",
    "leaky_relu_gain",
    "leaky_relu_grad",
    "sigmoid_grad",
    "silu_grad",
    "source_leaky_formula",
    "source_leaky_formula_grad",
    "tanh_grad",
    "variance_gain",
]


def _check_tensor(name: str, x: object) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {x.dtype}")
    return x


def _check_slope(negative_slope: object) -> float:
    if isinstance(negative_slope, bool) or not isinstance(negative_slope, (int, float)):
        raise TypeError(f"negative_slope must be a real number, got {negative_slope!r}")
    a = float(negative_slope)
    if not 0.0 <= a < 1.0:
        raise ValueError(f"Invalid negative_slope value: {a} (must be in [0, 1))")
    return a


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """Leaky ReLU (Maas, Hannun & Ng 2013), ``x`` where ``x >= 0`` and ``negative_slope * x``
    elsewhere.

    Equal to ``torch.nn.functional.leaky_relu(x, negative_slope)`` and, for
    ``0 <= negative_slope < 1``, to ``torch.maximum(x, negative_slope * x)``.

    >>> leaky_relu(torch.tensor([-2.0, 3.0]), 0.1).tolist()
    [-0.20000000298023224, 3.0]
    """
    x = _check_tensor("x", x)
    a = _check_slope(negative_slope)
    return torch.where(x >= 0, x, a * x)


def leaky_relu_grad(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """Derivative of :func:`leaky_relu`: 1 for ``x > 0``, ``negative_slope`` for ``x < 0``.

    At ``x == 0`` it returns ``negative_slope``, the value autograd uses for
    ``torch.nn.functional.leaky_relu``.

    >>> leaky_relu_grad(torch.tensor([-2.0, 0.0, 3.0]), 0.25).tolist()
    [0.25, 0.25, 1.0]
    """
    x = _check_tensor("x", x)
    a = _check_slope(negative_slope)
    return torch.where(x > 0, torch.ones_like(x), torch.full_like(x, a))


def leaky_relu_gain(negative_slope: float = 0.01) -> float:
    r"""He et al. (2015)'s gain for Leaky ReLU, :math:`\sqrt{2 / (1 + a^2)}`.

    A layer of fan-in :math:`n` initialised with standard deviation ``gain / sqrt(n)`` keeps the
    second moment of the pre-activations constant from layer to layer, because
    :math:`E[f(z)^2] = \tfrac{1 + a^2}{2} E[z^2]` for a symmetric :math:`z`. Equal to
    ``torch.nn.init.calculate_gain("leaky_relu", negative_slope)``; ``negative_slope = 0`` gives
    ReLU's :math:`\sqrt 2`.

    >>> round(leaky_relu_gain(0.0), 6), round(leaky_relu_gain(0.01), 6)
    (1.414214, 1.414143)
    """
    a = _check_slope(negative_slope)
    return math.sqrt(2.0 / (1.0 + a * a))


def source_leaky_formula(x: Tensor, slope: float = 0.01, b: float = 0.0) -> Tensor:
    """The formula the source posts print as Leaky ReLU: ``max(0, slope * x + b)``.

    It is a ReLU applied to an affine map, not Leaky ReLU: zero, with zero slope, wherever
    ``slope * x + b < 0`` (for ``slope > 0`` and ``b = 0``: every negative ``x``).

    >>> source_leaky_formula(torch.tensor([-2.0, 3.0]), 0.5).tolist()
    [0.0, 1.5]
    """
    x = _check_tensor("x", x)
    a, bias = _check_number("slope", slope), _check_number("b", b)
    return torch.relu(a * x + bias)


def source_leaky_formula_grad(x: Tensor, slope: float = 0.01, b: float = 0.0) -> Tensor:
    """Derivative of :func:`source_leaky_formula`: ``slope`` where ``slope * x + b > 0``, else 0.

    >>> source_leaky_formula_grad(torch.tensor([-2.0, 3.0]), 0.5).tolist()
    [0.0, 0.5]
    """
    x = _check_tensor("x", x)
    a, bias = _check_number("slope", slope), _check_number("b", b)
    return torch.where(a * x + bias > 0, torch.full_like(x, a), torch.zeros_like(x))


def sigmoid_grad(x: Tensor) -> Tensor:
    r"""Derivative of the logistic sigmoid, :math:`\sigma(x)(1-\sigma(x)) \le 1/4`.

    The maximum, 1/4, is reached at :math:`x = 0`.

    >>> sigmoid_grad(torch.tensor([0.0])).tolist()
    [0.25]
    """
    s = torch.sigmoid(_check_tensor("x", x))
    return s * (1 - s)


def tanh_grad(x: Tensor) -> Tensor:
    r"""Derivative of tanh, :math:`1 - \tanh^2 x \le 1`, with equality only at :math:`x = 0`.

    >>> tanh_grad(torch.tensor([0.0])).tolist()
    [1.0]
    """
    t = torch.tanh(_check_tensor("x", x))
    return 1 - t * t


def elu_grad(x: Tensor, alpha: float = 1.0) -> Tensor:
    r"""Derivative of ELU (Clevert, Unterthiner & Hochreiter 2016).

    ELU is :math:`x` for :math:`x > 0` and ``alpha`` :math:`(e^x - 1)` otherwise (PyTorch's
    ``F.elu(x, alpha)``, default ``alpha = 1``); its derivative is 1 for :math:`x > 0` and
    ``alpha`` :math:`e^x` (that is, ELU(x) + ``alpha``) for :math:`x \le 0`, the value autograd
    uses at 0. With ``alpha = 1`` it is continuous: ELU is once but not twice differentiable.

    >>> elu_grad(torch.tensor([-1.0, 0.0, 2.0], dtype=torch.float64)).tolist()
    [0.36787944117144233, 1.0, 1.0]
    """
    x = _check_tensor("x", x)
    c = _check_number("alpha", alpha)
    if c <= 0:
        raise ValueError(f"Invalid alpha value: {c} (must be > 0)")
    return torch.where(x > 0, torch.ones_like(x), c * torch.exp(x))


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_TANH_CUBIC = 0.044715


def gelu_grad(x: Tensor, approximate: str = "none") -> Tensor:
    r"""Derivative of GELU (Hendrycks & Gimpel 2016), exact or in PyTorch's tanh approximation.

    GELU is :math:`x\,\Phi(x)`, with :math:`\Phi` the standard normal distribution function, so
    its derivative is :math:`\Phi(x) + x\,\phi(x)` (:math:`\phi` the normal density). With
    ``approximate="tanh"`` GELU is :math:`\tfrac{x}{2}(1 + \tanh u)`,
    :math:`u = \sqrt{2/\pi}\,(x + 0.044715\,x^3)` (``F.gelu(x, approximate="tanh")``), whose
    derivative is :math:`\tfrac12(1 + \tanh u) + \tfrac{x}{2}(1 - \tanh^2 u)\,
    \sqrt{2/\pi}\,(1 + 3 \cdot 0.044715\,x^2)`.

    >>> gelu_grad(torch.tensor([0.0])).tolist()
    [0.5]
    """
    x = _check_tensor("x", x)
    if approximate == "none":
        cdf = 0.5 * (1.0 + torch.erf(x / math.sqrt(2.0)))
        pdf = torch.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
        return cdf + x * pdf
    if approximate == "tanh":
        t = torch.tanh(_SQRT_2_OVER_PI * (x + _GELU_TANH_CUBIC * x**3))
        du = _SQRT_2_OVER_PI * (1.0 + 3.0 * _GELU_TANH_CUBIC * x * x)
        return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du
    raise ValueError(f"Invalid approximate value: {approximate!r} (use 'none' or 'tanh')")


def silu_grad(x: Tensor) -> Tensor:
    r"""Derivative of SiLU :math:`x\,\sigma(x)` (Elfwing, Uchibe & Doya 2018), which
    Ramachandran, Zoph & Le (2017) call Swish with a unit scale: :math:`\sigma(x)\,(1 + x\,(1 -
    \sigma(x)))`. It exceeds 1 for :math:`x` above about 1.3 (peak about 1.1, near
    :math:`x = 2.4`) and is negative below about :math:`x = -1.28`, where SiLU decreases to its
    minimum.

    >>> silu_grad(torch.tensor([0.0])).tolist()
    [0.5]
    """
    s = torch.sigmoid(_check_tensor("x", x))
    return s * (1 + x * (1 - s))


_HALF_RANGE = 12.0  # P(|z| > 12) is about 4e-33 for z ~ N(0, 1)


@functools.lru_cache(maxsize=16)
def _split_gauss_legendre(points: int) -> tuple[Tensor, Tensor]:
    nodes, weights = np.polynomial.legendre.leggauss(points)
    half = _HALF_RANGE / 2
    z = np.concatenate([(nodes - 1.0) * half, (nodes + 1.0) * half])
    w = np.concatenate([weights, weights]) * half * np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
    return torch.from_numpy(z), torch.from_numpy(w)


def gaussian_expectation(fn: Callable[[Tensor], Tensor], points: int = 64) -> float:
    r""":math:`E[\mathrm{fn}(z)]` for :math:`z \sim N(0, 1)` by Gauss quadrature split at 0.

    The integral :math:`\int \mathrm{fn}(z)\,e^{-z^2/2}\,dz / \sqrt{2\pi}` is cut at
    :math:`\pm 12` (the normal mass beyond is about 4e-33) and each half, :math:`[-12, 0]` and
    :math:`[0, 12]`, gets a Gauss-Legendre rule of ``points`` nodes
    (``numpy.polynomial.legendre.leggauss``). The split is the point: the activations of this
    book are smooth on each side of 0 but not across it (ReLU and Leaky ReLU have a kink there,
    ELU a jump in its second derivative, their derivatives a step), and a single Gauss-Hermite
    rule over the whole line converges only as a power of its number of points across such a
    kink, while each half converges exponentially. With the default 64 points the error is at
    the level of rounding (about 1e-15) for the activations, derivatives and moments used in
    the book. ``fn`` receives the nodes as one float64 tensor and must return a tensor of the
    same shape.

    >>> round(gaussian_expectation(lambda z: z**4), 12)
    3.0
    >>> round(gaussian_expectation(lambda z: (z > 0).double()), 12)  # a step at 0: exact
    0.5
    """
    if not callable(fn):
        raise TypeError(f"fn must be callable, got {type(fn).__name__}")
    if isinstance(points, bool) or not isinstance(points, int):
        raise TypeError(f"points must be an int, got {type(points).__name__}: {points!r}")
    if points < 1:
        raise ValueError(f"Invalid points value: {points} (must be >= 1)")
    nodes, weights = _split_gauss_legendre(points)
    values = fn(nodes.clone())
    if not isinstance(values, Tensor) or values.shape != nodes.shape:
        raise ValueError(f"fn must return a tensor of shape {tuple(nodes.shape)}, got {values!r}")
    return float((weights * values.to(torch.float64)).sum())


_SMOOTH: dict[str, Callable[[Tensor], Tensor]] = {"elu": F.elu, "gelu": F.gelu, "silu": F.silu}

#: Names accepted by :func:`variance_gain`.
VARIANCE_GAIN_ACTIVATIONS = ("relu", "leaky_relu", "prelu", "elu", "gelu", "silu")


def variance_gain(activation: str, negative_slope: float = 0.01) -> float:
    r"""The gain that keeps a layer's pre-activations at unit second moment,
    :math:`1/\sqrt{E[\varphi(z)^2]}` with :math:`z \sim N(0, 1)`.

    He et al. (2015) keep :math:`E[z_\ell^2]` constant from layer to layer: a layer of fan-in
    :math:`n` whose weights have standard deviation ``gain / sqrt(n)`` (zero biases) maps
    pre-activations :math:`z` to :math:`z'` with :math:`E[z'^2] = \text{gain}^2\,
    E[\varphi(z)^2]`, so this gain makes unit second moment a fixed point. For ReLU and Leaky
    ReLU (and PReLU at its initial slope ``negative_slope``) :math:`E[\varphi(z)^2] = (1 + a^2)/2`
    and the gain is :func:`leaky_relu_gain`, which holds at every scale. ELU (``alpha = 1``), GELU
    and SiLU are not homogeneous: the gain holds at unit scale only. ELU's second moment has the
    closed form :math:`1 + e^2\Phi(-2) - 2\sqrt{e}\,\Phi(-1)` (:math:`\Phi` the standard
    normal distribution function); all three come from :func:`gaussian_expectation`.
    ``torch.nn.init.calculate_gain`` has no entry for ELU, GELU or SiLU.

    >>> round(variance_gain("relu"), 6), round(variance_gain("gelu"), 4)
    (1.414214, 1.5335)
    """
    a = _check_slope(negative_slope)
    if not isinstance(activation, str) or activation not in VARIANCE_GAIN_ACTIVATIONS:
        raise ValueError(
            f"Invalid activation value: {activation!r} (use one of {VARIANCE_GAIN_ACTIVATIONS})"
        )
    if activation == "relu":
        return leaky_relu_gain(0.0)
    if activation in ("leaky_relu", "prelu"):
        return leaky_relu_gain(a)
    phi = _SMOOTH[activation]
    second = gaussian_expectation(lambda z: phi(z) ** 2)
    return 1.0 / math.sqrt(second)
