"""Make gradient flow visible: per-layer gradient norms and the fraction of dead units."""

from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = ["dead_fraction", "dead_unit_fraction", "layer_grad_norms"]


def layer_grad_norms(model: nn.Module) -> list[float]:
    """Frobenius norm of the weight gradient of every ``nn.Linear`` of ``model``, input side first.

    Call it after ``loss.backward()``. Raises ``ValueError`` if the model has no linear layer or
    if a layer's gradient is missing (no backward pass yet).
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise ValueError("model has no nn.Linear layer to measure")
    norms = []
    for i, layer in enumerate(linears):
        if layer.weight.grad is None:
            raise ValueError(f"layer {i} has no gradient: call loss.backward() first")
        norms.append(float(layer.weight.grad.detach().norm()))
    return norms


def dead_fraction(activations: Tensor) -> float:
    """Fraction of units (columns of a (batch, units) tensor) that output <= 0 for every sample.

    For a ReLU layer such a unit passes no gradient for any of these inputs: it is "dead".
    """
    if not isinstance(activations, Tensor):
        raise TypeError(f"activations must be a Tensor, got {type(activations).__name__}")
    if activations.ndim != 2 or activations.shape[0] == 0 or activations.shape[1] == 0:
        raise ValueError(
            f"activations must have shape (batch, units) with both > 0, got {tuple(activations.shape)}"
        )
    return float((activations <= 0).all(dim=0).float().mean())


def dead_unit_fraction(model: nn.Module, x: Tensor, kinds: tuple[type[nn.Module], ...] = (
        nn.ReLU, nn.LeakyReLU, nn.PReLU)) -> list[float]:
    """Dead fraction of the *pre-activations* of every activation layer of ``model`` over batch ``x``.

    A unit counts as dead when its input is <= 0 for every sample of ``x``: a ReLU then passes
    zero gradient; a Leaky ReLU still passes ``negative_slope`` times the gradient, so the same
    count measures "units stuck on the negative side" for both.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    acts = [m for m in model.modules() if isinstance(m, kinds)]
    if not acts:
        raise ValueError("model has no activation layer of the requested kinds")
    seen: list[float] = []
    hooks = [a.register_forward_hook(lambda _m, inp, _out: seen.append(dead_fraction(inp[0])))
             for a in acts]
    try:
        with torch.no_grad():
            model(x)
    finally:
        for h in hooks:
            h.remove()
    return seen
