"""Activation functions and their derivatives, written out so the chapters can compare them.

Leaky ReLU (Maas, Hannun & Ng 2013) is :math:`f(x) = x` for :math:`x \\ge 0` and :math:`a x`
otherwise, i.e. :math:`\\max(x, a x)` for :math:`0 < a < 1`; PyTorch calls
the slope :math:`a` ``negative_slope`` (default 0.01).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

__all__ = [
    "leaky_relu",
    "leaky_relu_gain",
    "leaky_relu_grad",
    "sigmoid_grad",
    "source_leaky_formula",
    "source_leaky_formula_grad",
    "tanh_grad",
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


def _check_real(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"Invalid {name} value: {v} (must be finite)")
    return v


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
    a, bias = _check_real("slope", slope), _check_real("b", b)
    return torch.relu(a * x + bias)


def source_leaky_formula_grad(x: Tensor, slope: float = 0.01, b: float = 0.0) -> Tensor:
    """Derivative of :func:`source_leaky_formula`: ``slope`` where ``slope * x + b > 0``, else 0.

    >>> source_leaky_formula_grad(torch.tensor([-2.0, 3.0]), 0.5).tolist()
    [0.0, 0.5]
    """
    x = _check_tensor("x", x)
    a, bias = _check_real("slope", slope), _check_real("b", b)
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
