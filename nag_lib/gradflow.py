"""Make gradient flow visible: per-layer gradient norms and the fraction of dead units.

Backpropagation multiplies one Jacobian per layer, :math:`\\operatorname{diag}(\\phi'(z_l))\\,W_l`,
so the gradient that reaches the first layer of a deep network is a product of many factors and
shrinks or grows geometrically with depth (Bengio, Simard & Frasconi 1994; Glorot & Bengio 2010).
The functions here measure that product where it shows: in the weight gradient of every layer.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import Tensor, nn

from nag_lib._checks import _check_model

__all__ = [
    "dead_fraction",
    "dead_unit_fraction",
    "first_last_ratio",
    "gradient_profile",
    "layer_grad_norms",
]


def layer_grad_norms(model: nn.Module, per_element: bool = False) -> list[float]:
    """Frobenius norm of the weight gradient of every ``nn.Linear`` of ``model``, input side first.

    Call it after ``loss.backward()``. With ``per_element=True`` each norm is divided by the
    square root of the number of weights, i.e. the root-mean-square entry of the gradient, so
    that layers of different shapes compare fairly. Raises ``ValueError`` if the model has no
    linear layer or if a layer's gradient is missing (no backward pass yet).

    >>> lin = nn.Linear(2, 1, bias=False)
    >>> _ = lin.weight.data.fill_(1.0)
    >>> lin(torch.tensor([[3.0, 4.0]])).sum().backward()
    >>> layer_grad_norms(lin)
    [5.0]
    """
    _check_model(model)
    if not isinstance(per_element, bool):
        raise TypeError(f"per_element must be a bool, got {type(per_element).__name__}")
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise ValueError("model has no nn.Linear layer to measure")
    norms = []
    for i, layer in enumerate(linears):
        if layer.weight.grad is None:
            raise ValueError(f"layer {i} has no gradient: call loss.backward() first")
        norm = float(layer.weight.grad.detach().norm())
        norms.append(norm / math.sqrt(layer.weight.numel()) if per_element else norm)
    return norms


def gradient_profile(
    model: nn.Module,
    x: Tensor,
    y: Tensor,
    loss_fn: Callable[[Tensor, Tensor], Tensor] | None = None,
    per_element: bool = False,
) -> list[float]:
    """Per-layer weight-gradient norms of ``model`` for one batch, input side first.

    Clears the model's gradients, evaluates ``loss_fn(model(x), y)`` (cross-entropy by default),
    back-propagates once and returns :func:`layer_grad_norms`. The parameters are not changed: no
    optimizer is involved. This is the measurement behind Glorot & Bengio (2010)'s figures of
    back-propagated gradients per layer.

    >>> _ = torch.manual_seed(0)
    >>> net = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
    >>> len(gradient_profile(net, torch.randn(5, 4), torch.tensor([0, 1, 2, 0, 1])))
    2
    """
    _check_model(model)
    if not isinstance(x, Tensor) or not isinstance(y, Tensor):
        raise TypeError(f"x and y must be Tensors, got {type(x).__name__} and {type(y).__name__}")
    if x.ndim == 0 or y.ndim == 0 or x.shape[0] != y.shape[0] or x.shape[0] == 0:
        raise ValueError(
            f"x and y must hold the same non-zero number of samples, got shapes "
            f"{tuple(x.shape)} and {tuple(y.shape)}"
        )
    if loss_fn is None:
        loss_fn = nn.functional.cross_entropy
    elif not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable, got {type(loss_fn).__name__}")
    model.zero_grad(set_to_none=True)
    with torch.enable_grad():
        torch.autograd.backward(loss_fn(model(x), y))
    return layer_grad_norms(model, per_element=per_element)


def first_last_ratio(norms: Sequence[float], include_head: bool = False) -> float:
    """Gradient norm of the first layer divided by that of the last hidden layer.

    ``norms`` is a list from :func:`layer_grad_norms` or :func:`gradient_profile` (input side
    first, the output layer last). By default the output layer is left out, so the ratio counts
    the factors between the first and the last *hidden* layers: far below 1 means the gradient
    vanishes on its way to the input, far above 1 that it explodes. ``include_head=True`` divides
    by the output layer's norm instead.

    >>> first_last_ratio([1e-6, 1e-3, 1.0, 5.0])
    1e-06
    """
    if not isinstance(include_head, bool):
        raise TypeError(f"include_head must be a bool, got {type(include_head).__name__}")
    values = [float(v) for v in norms]
    need = 2 if include_head else 3
    if len(values) < need:
        raise ValueError(
            f"norms must hold at least {need} layers (first, ..., last hidden, output), "
            f"got {len(values)}"
        )
    if not all(math.isfinite(v) and v >= 0 for v in values):
        raise ValueError(f"norms must be finite and >= 0, got {values}")
    last = values[-1] if include_head else values[-2]
    if last == 0.0:
        raise ValueError("the last layer's gradient norm is 0: the ratio is undefined")
    return values[0] / last


def dead_fraction(activations: Tensor) -> float:
    """Fraction of units (columns of a (batch, units) tensor) that output <= 0 for every sample.

    For a ReLU layer such a unit passes no gradient for any of these inputs: it is "dead".

    >>> dead_fraction(torch.tensor([[-1.0, 2.0], [-3.0, 0.0]]))
    0.5
    """
    if not isinstance(activations, Tensor):
        raise TypeError(f"activations must be a Tensor, got {type(activations).__name__}")
    if activations.ndim != 2 or activations.shape[0] == 0 or activations.shape[1] == 0:
        raise ValueError(
            "activations must have shape (batch, units) with both > 0, "
            f"got {tuple(activations.shape)}"
        )
    return float((activations <= 0).all(dim=0).float().mean())


def dead_unit_fraction(
    model: nn.Module,
    x: Tensor,
    kinds: tuple[type[nn.Module], ...] = (nn.ReLU, nn.LeakyReLU, nn.PReLU),
) -> list[float]:
    """Dead fraction of the *pre-activations* of each activation layer of ``model`` over ``x``.

    A unit counts as dead when its input is <= 0 for every sample of ``x``: a ReLU then passes
    zero gradient; a Leaky ReLU still passes ``negative_slope`` times the gradient, so the same
    count measures "units stuck on the negative side" for both.

    >>> net = nn.Sequential(nn.Linear(1, 2), nn.ReLU())
    >>> with torch.no_grad():
    ...     _ = net[0].weight.copy_(torch.tensor([[1.0], [-1.0]])); _ = net[0].bias.zero_()
    >>> dead_unit_fraction(net, torch.tensor([[1.0], [2.0]]))
    [0.5]
    """
    _check_model(model)
    acts = [m for m in model.modules() if isinstance(m, kinds)]
    if not acts:
        raise ValueError("model has no activation layer of the requested kinds")
    seen: list[float] = []
    hooks = [
        a.register_forward_hook(lambda _m, inp, _out: seen.append(dead_fraction(inp[0])))
        for a in acts
    ]
    try:
        with torch.no_grad():
            model(x)
    finally:
        for h in hooks:
            h.remove()
    return seen
