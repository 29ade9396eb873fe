"""A deep multilayer perceptron whose depth, activation, initialisation, normalisation and
residual connections are explicit arguments, so the chapters can change one thing at a time."""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import Tensor, nn

from nag_lib.activations import variance_gain

__all__ = ["ACTIVATIONS", "INITS", "MLP", "ResidualBlock"]

#: Names accepted by ``MLP(activation=...)``.
ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "prelu", "elu", "gelu", "silu")
#: The activations whose He/Xavier gain comes from ``nag_lib.activations.variance_gain``
#: (``torch.nn.init.calculate_gain`` has no entry for ELU, GELU or SiLU).
_MATCHED_GAIN = ("prelu", "elu", "gelu", "silu")
#: Names accepted by ``MLP(init=...)``: PyTorch's default, Glorot/Xavier normal, He normal.
INITS = ("default", "xavier", "he")
Norm = Literal["batch", "layer"] | None


def _activation(name: str, negative_slope: float, width: int) -> nn.Module:
    if name == "prelu":
        return nn.PReLU(num_parameters=width, init=negative_slope)
    if name == "elu":
        return nn.ELU()
    if name == "gelu":
        return nn.GELU()
    if name == "silu":
        return nn.SiLU()
    if name == "sigmoid":
        return nn.Sigmoid()
    if name == "tanh":
        return nn.Tanh()
    if name == "relu":
        return nn.ReLU()
    return nn.LeakyReLU(negative_slope)


class ResidualBlock(nn.Module):
    """``y = x + F(x)`` with ``F = Linear -> [norm] -> activation``: the identity is added back."""

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, x: Tensor) -> Tensor:
        """Return ``x + inner(x)``."""
        out: Tensor = x + self.inner(x)
        return out


class MLP(nn.Module):
    """``in -> [Linear -> (norm) -> act] x depth -> Linear -> out``.

    Parameters (defaults explicit): ``depth`` hidden layers of ``width`` units.

    ``activation`` is one of ``ACTIVATIONS``. ``"leaky_relu"`` has the fixed slope
    ``negative_slope``; ``"prelu"`` learns one slope per unit (``nn.PReLU(width)``, He et al.
    2015), starting from ``negative_slope`` (He et al. start from 0.25: pass it); ``"elu"`` is
    ``nn.ELU()`` (Clevert et al. 2016, ``alpha = 1``), ``"gelu"`` the exact ``nn.GELU()``
    (Hendrycks & Gimpel 2016) and ``"silu"`` is ``nn.SiLU()`` (Elfwing et al. 2018).

    ``init`` is one of ``INITS``: ``"default"`` keeps PyTorch's own
    ``kaiming_uniform_(a=sqrt(5))``; ``"xavier"`` is Glorot & Bengio 2010's normal init with the
    activation's gain; ``"he"`` is He et al. 2015's normal init for the activation, standard
    deviation ``gain / sqrt(fan_in)``; the two coincide for square layers, fan_in = fan_out.
    Biases start at 0 under xavier/he. The gain is ``torch.nn.init.calculate_gain``'s for
    sigmoid, tanh, ReLU and Leaky ReLU; for PReLU (at its initial slope), ELU, GELU and SiLU it
    is ``nag_lib.activations.variance_gain``, :math:`1/\\sqrt{E[\\varphi(z)^2]}` for
    :math:`z \\sim N(0, 1)`, which PyTorch does not provide.

    ``norm`` adds BatchNorm1d or LayerNorm after each hidden Linear;
    ``residual=True`` wraps hidden layers 2..depth as ``x + F(x)``. ``weight_scale`` multiplies
    every initial weight matrix (1.0 leaves the initialisation untouched; above the
    variance-preserving value the backpropagated gradient grows with depth: exploding gradients).

    >>> m = MLP(64, 10, depth=3, width=16, activation="leaky_relu", init="he")
    >>> m(torch.zeros(2, 64)).shape
    torch.Size([2, 10])
    >>> MLP(64, 10, depth=3, width=16, activation="gelu", init="he")(torch.zeros(2, 64)).shape
    torch.Size([2, 10])
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        depth: int = 8,
        width: int = 64,
        activation: str = "relu",
        init: str = "default",
        negative_slope: float = 0.01,
        norm: Norm = None,
        residual: bool = False,
        bias: bool = True,
        weight_scale: float = 1.0,
    ) -> None:
        super().__init__()
        for name, v in (
            ("in_features", in_features),
            ("out_features", out_features),
            ("depth", depth),
            ("width", width),
        ):
            if isinstance(v, bool) or not isinstance(v, int):
                raise TypeError(f"{name} must be an int, got {type(v).__name__}: {v!r}")
            if v < 1:
                raise ValueError(f"Invalid {name} value: {v} ({name} must be >= 1)")
        if activation not in ACTIVATIONS:
            raise ValueError(f"Invalid activation value: {activation!r} (use one of {ACTIVATIONS})")
        if init not in INITS:
            raise ValueError(f"Invalid init value: {init!r} (use one of {INITS})")
        if norm not in (None, "batch", "layer"):
            raise ValueError(f"Invalid norm value: {norm!r} (use None, 'batch' or 'layer')")
        if isinstance(negative_slope, bool) or not isinstance(negative_slope, (int, float)):
            raise TypeError(f"negative_slope must be a real number, got {negative_slope!r}")
        for name, flag in (("residual", residual), ("bias", bias)):
            if not isinstance(flag, bool):
                raise TypeError(f"{name} must be a bool, got {type(flag).__name__}: {flag!r}")
        if not 0.0 <= float(negative_slope) < 1.0:
            raise ValueError(f"Invalid negative_slope value: {negative_slope} (must be in [0, 1))")
        if isinstance(weight_scale, bool) or not isinstance(weight_scale, (int, float)):
            raise TypeError(f"weight_scale must be a real number, got {weight_scale!r}")
        if not (math.isfinite(weight_scale) and weight_scale > 0):
            raise ValueError(f"Invalid weight_scale value: {weight_scale} (must be finite and > 0)")
        self.activation, self.init, self.negative_slope = activation, init, float(negative_slope)
        self.weight_scale = float(weight_scale)
        layers: list[nn.Module] = []
        for i in range(depth):
            lin = nn.Linear(in_features if i == 0 else width, width, bias=bias)
            self._init_linear(lin)
            block: list[nn.Module] = [lin]
            if norm == "batch":
                block.append(nn.BatchNorm1d(width))
            elif norm == "layer":
                block.append(nn.LayerNorm(width))
            block.append(_activation(activation, self.negative_slope, width))
            seq = nn.Sequential(*block)
            layers.append(ResidualBlock(seq) if residual and i > 0 else seq)
        self.hidden = nn.Sequential(*layers)
        self.head = nn.Linear(width, out_features, bias=bias)
        self._init_linear(self.head, gain_for="linear")

    def _init_linear(self, lin: nn.Linear, gain_for: str | None = None) -> None:
        if self.init != "default":
            self._variance_preserving(lin, gain_for)
        if self.weight_scale != 1.0:
            with torch.no_grad():
                lin.weight.mul_(self.weight_scale)

    def _variance_preserving(self, lin: nn.Linear, gain_for: str | None) -> None:
        act = gain_for or self.activation
        if act in _MATCHED_GAIN:
            gain = variance_gain(act, self.negative_slope)
        else:
            param = self.negative_slope if act == "leaky_relu" else None
            gain = nn.init.calculate_gain(act, param)  # type: ignore[arg-type]
        fan_in, fan_out = lin.in_features, lin.out_features
        std = (
            gain * math.sqrt(2.0 / (fan_in + fan_out))
            if self.init == "xavier"
            else (gain / math.sqrt(fan_in))
        )
        with torch.no_grad():
            lin.weight.normal_(0.0, std)
            if lin.bias is not None:
                lin.bias.zero_()

    def forward(self, x: Tensor) -> Tensor:
        """Logits for a batch ``x`` of shape (batch, in_features)."""
        logits: Tensor = self.head(self.hidden(x))
        return logits
