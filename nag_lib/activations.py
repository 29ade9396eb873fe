"""Activation functions and their derivatives, written out so the chapters can compare them.

Leaky ReLU (Maas, Hannun & Ng 2013) is :math:`f(x) = x` for :math:`x \\ge 0` and :math:`\\alpha x`
otherwise, i.e. :math:`\\max(x, \\alpha x)` for :math:`0 < \\alpha < 1`; PyTorch calls
:math:`\\alpha` ``negative_slope`` (default 0.01).
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = [
    "leaky_relu",
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
    """Leaky ReLU, ``x`` where ``x >= 0`` and ``negative_slope * x`` elsewhere.

    Equal to ``torch.nn.functional.leaky_relu(x, negative_slope)``.

    >>> leaky_relu(torch.tensor([-2.0, 3.0]), 0.1).tolist()
    [-0.20000000298023224, 3.0]
    """
    x = _check_tensor("x", x)
    a = _check_slope(negative_slope)
    return torch.where(x >= 0, x, a * x)


def leaky_relu_grad(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """Derivative of :func:`leaky_relu`: 1 for ``x > 0``, ``negative_slope`` for ``x < 0``.

    At ``x == 0`` it returns ``negative_slope``, the value autograd uses.
    """
    x = _check_tensor("x", x)
    a = _check_slope(negative_slope)
    return torch.where(x > 0, torch.ones_like(x), torch.full_like(x, a))


def source_leaky_formula(x: Tensor, alpha: float = 0.01, b: float = 0.0) -> Tensor:
    """The formula the source posts print as Leaky ReLU: ``max(0, alpha * x + b)``.

    It is a ReLU applied to an affine map, not Leaky ReLU: zero, with zero slope, wherever
    ``alpha * x + b < 0``.
    """
    x = _check_tensor("x", x)
    return torch.clamp(alpha * x + b, min=0.0)


def source_leaky_formula_grad(x: Tensor, alpha: float = 0.01, b: float = 0.0) -> Tensor:
    """Derivative of :func:`source_leaky_formula`: ``alpha`` where ``alpha * x + b > 0``, else 0."""
    x = _check_tensor("x", x)
    return torch.where(alpha * x + b > 0, torch.full_like(x, alpha), torch.zeros_like(x))


def sigmoid_grad(x: Tensor) -> Tensor:
    r"""Derivative of the logistic sigmoid, :math:`\sigma(x)(1-\sigma(x)) \le 1/4`."""
    s = torch.sigmoid(_check_tensor("x", x))
    return s * (1 - s)


def tanh_grad(x: Tensor) -> Tensor:
    r"""Derivative of tanh, :math:`1 - \tanh^2 x \le 1`."""
    t = torch.tanh(_check_tensor("x", x))
    return 1 - t * t
