"""Activation functions and their derivatives, written out so the chapters can compare them.

Leaky ReLU (Maas, Hannun & Ng 2013) is :math:`f(x) = x` for :math:`x \\ge 0` and :math:`\\alpha x`
otherwise, i.e. :math:`\\max(x, \\alpha x)` for :math:`0 < \\alpha < 1`; PyTorch calls
:math:`\\alpha` ``negative_slope`` (default 0.01).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn

__all__ = [
    "SlopeEnsemble",
    "leaky_relu",
    "leaky_relu_gain",
    "leaky_relu_grad",
    "sigmoid_grad",
    "source_leaky_formula",
    "source_leaky_formula_grad",
    "tanh_grad",
    "train_ensemble",
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
    r"""He et al. (2015)'s gain for Leaky ReLU, :math:`\sqrt{2 / (1 + \alpha^2)}`.

    A layer of fan-in :math:`n` initialised with standard deviation ``gain / sqrt(n)`` keeps the
    second moment of the pre-activations constant from layer to layer, because
    :math:`E[f(z)^2] = \tfrac{1 + \alpha^2}{2} E[z^2]` for a symmetric :math:`z`. Equal to
    ``torch.nn.init.calculate_gain("leaky_relu", negative_slope)``; ``negative_slope = 0`` gives
    ReLU's :math:`\sqrt 2`.

    >>> round(leaky_relu_gain(0.0), 6), round(leaky_relu_gain(0.01), 6)
    (1.414214, 1.414143)
    """
    a = _check_slope(negative_slope)
    return math.sqrt(2.0 / (1.0 + a * a))


def source_leaky_formula(x: Tensor, alpha: float = 0.01, b: float = 0.0) -> Tensor:
    """The formula the source posts print as Leaky ReLU: ``max(0, alpha * x + b)``.

    It is a ReLU applied to an affine map, not Leaky ReLU: zero, with zero slope, wherever
    ``alpha * x + b < 0`` (for ``alpha > 0`` and ``b = 0``: every negative ``x``).

    >>> source_leaky_formula(torch.tensor([-2.0, 3.0]), 0.5).tolist()
    [0.0, 1.5]
    """
    x = _check_tensor("x", x)
    a, bias = _check_real("alpha", alpha), _check_real("b", b)
    return torch.relu(a * x + bias)


def source_leaky_formula_grad(x: Tensor, alpha: float = 0.01, b: float = 0.0) -> Tensor:
    """Derivative of :func:`source_leaky_formula`: ``alpha`` where ``alpha * x + b > 0``, else 0.

    >>> source_leaky_formula_grad(torch.tensor([-2.0, 3.0]), 0.5).tolist()
    [0.0, 0.5]
    """
    x = _check_tensor("x", x)
    a, bias = _check_real("alpha", alpha), _check_real("b", b)
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


# --------------------------------------------------------------------------------------------
# many small ReLU / Leaky ReLU networks trained at once, for slope-by-slope comparisons
# --------------------------------------------------------------------------------------------
def _layers_of(model: nn.Module, index: int) -> tuple[list[nn.Linear], float]:
    """The linear layers of a plain ``Linear -> act -> ... -> Linear`` network and its slope."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"models[{index}] must be an nn.Module, got {type(model).__name__}")
    from nag_lib.models import MLP

    leaves: list[nn.Module] = []
    for sub in model.modules():
        if isinstance(sub, (nn.Sequential, MLP)):
            continue
        if not isinstance(sub, (nn.Linear, nn.ReLU, nn.LeakyReLU)):
            raise ValueError(
                f"models[{index}] contains {type(sub).__name__}: only Linear layers separated by "
                "ReLU or LeakyReLU (no norm, no residual block) can be batched"
            )
        leaves.append(sub)
    linears = [m for m in leaves if isinstance(m, nn.Linear)]
    acts = [m for m in leaves if not isinstance(m, nn.Linear)]
    pattern_ok = (
        len(linears) >= 2
        and all(isinstance(m, nn.Linear) for m in leaves[::2])
        and all(not isinstance(m, nn.Linear) for m in leaves[1::2])
        and isinstance(leaves[-1], nn.Linear)
    )
    if not pattern_ok:
        raise ValueError(f"models[{index}] must alternate Linear and activation, ending in Linear")
    slopes = {m.negative_slope if isinstance(m, nn.LeakyReLU) else 0.0 for m in acts}
    if len(slopes) != 1:
        raise ValueError(f"models[{index}] mixes negative slopes {sorted(slopes)}")
    if any(lin.bias is None for lin in linears):
        raise ValueError(f"models[{index}] has a Linear layer without bias")
    return linears, float(_check_slope(slopes.pop()))


class SlopeEnsemble(nn.Module):
    r"""``M`` independent ReLU / Leaky ReLU networks of one shape, run as one batched computation.

    Built from ``M`` networks (for example :class:`nag_lib.models.MLP` with ``activation="relu"``
    or ``"leaky_relu"``) that have the same layer sizes but may differ in initial weights and in
    the negative slope :math:`\alpha_m` (ReLU is :math:`\alpha = 0`). Their weights are copied
    into stacked tensors, so one ``torch.baddbmm`` per layer evaluates all members:

    .. math:: z^{(l)}_m = h^{(l-1)}_m W^{(l)\top}_m + b^{(l)}_m, \qquad
        h^{(l)}_m = \max(z^{(l)}_m, \alpha_m z^{(l)}_m).

    Members never interact: the gradient of a sum of per-member losses with respect to member
    ``m``'s weights is the gradient of member ``m``'s own loss, and elementwise optimizers (SGD,
    momentum, Adam) then update every member as if it were trained alone. This makes slope sweeps
    over several seeds cheap enough for a notebook.

    >>> from nag_lib.models import MLP
    >>> nets = [MLP(4, 3, depth=2, width=5, activation="leaky_relu", negative_slope=a)
    ...         for a in (0.01, 0.3)]
    >>> ens = SlopeEnsemble(nets)
    >>> ens(torch.zeros(7, 4)).shape, [round(a, 4) for a in ens.slopes.tolist()]
    (torch.Size([2, 7, 3]), [0.01, 0.3])
    """

    slopes: Tensor

    def __init__(self, models: Sequence[nn.Module]) -> None:
        super().__init__()
        if isinstance(models, nn.Module) or not isinstance(models, Sequence) or not models:
            raise TypeError("models must be a non-empty sequence of networks")
        layers = [_layers_of(m, i) for i, m in enumerate(models)]
        shapes = [tuple(tuple(lin.weight.shape) for lin in lins) for lins, _ in layers]
        if len(set(shapes)) != 1:
            raise ValueError(
                f"all models must have the same layer shapes, got {sorted(set(shapes))}"
            )
        depth = len(layers[0][0])
        with torch.no_grad():
            self.weights = nn.ParameterList(
                nn.Parameter(torch.stack([lins[k].weight.detach().T.clone() for lins, _ in layers]))
                for k in range(depth)
            )
            self.biases = nn.ParameterList(
                nn.Parameter(torch.stack([lins[k].bias.detach().clone() for lins, _ in layers]))
                for k in range(depth)
            )
        dtype = self.weights[0].dtype
        self.register_buffer("slopes", torch.tensor([a for _, a in layers], dtype=dtype))

    @property
    def members(self) -> int:
        """Number of networks ``M``."""
        return int(self.slopes.shape[0])

    def _run(self, x: Tensor) -> tuple[Tensor, list[Tensor]]:
        if not isinstance(x, Tensor) or x.ndim != 2:
            shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(f"x must be a (batch, features) tensor, got {shape}")
        h = x.to(self.weights[0].dtype).unsqueeze(0).expand(self.members, -1, -1)
        pre: list[Tensor] = []
        a = self.slopes[:, None, None]
        last = len(self.weights) - 1
        for k, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            z = torch.baddbmm(b[:, None, :], h, w)
            if k == last:
                return z, pre
            pre.append(z)
            h = torch.where(z > 0, z, a * z)
        raise AssertionError("unreachable")  # pragma: no cover

    def forward(self, x: Tensor) -> Tensor:
        """Logits of every member for a batch ``x`` of shape (batch, features): (M, batch, out)."""
        return self._run(x)[0]

    def hidden_inputs(self, x: Tensor) -> list[Tensor]:
        """The inputs of every hidden activation (pre-activations), one (M, batch, units) tensor
        per hidden layer, input side first. Gradients flow through them."""
        return self._run(x)[1]

    @torch.no_grad()
    def dead_fractions(self, x: Tensor) -> Tensor:
        """Per member and hidden layer, the fraction of units whose input is <= 0 for every row
        of ``x`` (shape (M, hidden layers)); the same count as
        :func:`nag_lib.gradflow.dead_unit_fraction`. For a ReLU member such units are dead: they
        pass zero gradient for all of ``x``."""
        pre = self.hidden_inputs(x)
        return torch.stack([(z <= 0).all(dim=1).to(z.dtype).mean(dim=1) for z in pre], dim=1)

    @torch.no_grad()
    def accuracy(self, x: Tensor, y: Tensor) -> Tensor:
        """Share of rows of ``x`` whose arg-max logit equals ``y``, per member (shape (M,))."""
        if not isinstance(y, Tensor) or y.shape != (x.shape[0],):
            raise ValueError(f"y must be a tensor of shape ({x.shape[0]},)")
        logits: Tensor = self(x)
        return (logits.argmax(dim=2) == y).to(self.slopes.dtype).mean(dim=1)


def train_ensemble(
    ensemble: SlopeEnsemble,
    optimizer: torch.optim.Optimizer,
    x: Tensor,
    y: Tensor,
    epochs: int,
    batch_size: int = 64,
    seed: int = 0,
) -> Tensor:
    """Train every member of ``ensemble`` by mini-batch cross-entropy; return each member's mean
    training loss over the last epoch (shape (M,); NaN or inf marks a member that diverged).

    The batches are those of :func:`nag_lib.training.train` with the same ``seed`` and
    ``batch_size`` (one ``torch.randperm`` per epoch from a generator seeded with ``seed``), and
    all members see the same batches. The loss that is back-propagated is the sum of the members'
    mean losses, so each member receives exactly its own gradient.
    """
    if not isinstance(ensemble, SlopeEnsemble):
        raise TypeError(f"ensemble must be a SlopeEnsemble, got {type(ensemble).__name__}")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(
            f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}"
        )
    for name, v in (("epochs", epochs), ("batch_size", batch_size), ("seed", seed)):
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError(f"{name} must be an int, got {type(v).__name__}: {v!r}")
    if epochs < 1 or batch_size < 1 or seed < 0:
        raise ValueError(
            f"epochs and batch_size must be >= 1 and seed >= 0, got {epochs}, {batch_size}, {seed}"
        )
    if not isinstance(x, Tensor) or not isinstance(y, Tensor) or x.shape[0] != y.shape[0]:
        raise ValueError("x and y must be tensors with the same number of rows")
    params = {id(p) for p in ensemble.parameters()}
    if not {id(p) for g in optimizer.param_groups for p in g["params"]} <= params:
        raise ValueError("optimizer must be built over ensemble.parameters()")
    gen = torch.Generator().manual_seed(seed)
    n, m = x.shape[0], ensemble.members
    last = torch.zeros(m, dtype=ensemble.slopes.dtype)
    for _ in range(epochs):
        order = torch.randperm(n, generator=gen)
        total = torch.zeros(m, dtype=ensemble.slopes.dtype)
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            optimizer.zero_grad()
            logits = ensemble(x[idx])
            losses = (
                nn.functional.cross_entropy(
                    logits.reshape(-1, logits.shape[-1]), y[idx].repeat(m), reduction="none"
                )
                .view(m, -1)
                .mean(dim=1)
            )
            torch.autograd.backward(losses.sum())
            optimizer.step()
            total += losses.detach() * len(idx)
        last = total / n
    return last
