"""Train many small MLPs as one vectorised model, so that experiments can afford seeds and grids.

A small network trained alone spends most of each step in per-operation overhead, not in
arithmetic. :func:`train` stacks ``M`` members of one :class:`~nag_lib.models.MLP` architecture
into tensors with a leading member dimension and trains them together: one batched matrix product
(``torch.baddbmm``) per layer evaluates every member, and one elementwise update per parameter
steps every member's optimizer. Members never interact: member ``m``'s gradient is the gradient of
its own loss, and its update uses its own hyperparameters, so each member ends where the same
network trained alone with :func:`nag_lib.training.train` ends (``tests/test_ensemble.py`` checks
this for every optimizer, with and without batch norm; ``benchmarks/ensemble.py`` measures the
speed-up).

Each :class:`Member` has its own seed (initial weights and batch order), optimizer kind, learning
rate, and momentum or betas. The updates are those of :mod:`nag_lib.optim`, written over stacked
tensors with per-member hyperparameters:

* ``"sgd"``: :math:`\\theta \\leftarrow \\theta - \\alpha g`;
* ``"heavy_ball"``: :math:`b \\leftarrow \\beta b + g` (:math:`b_1 = g_0`),
  :math:`\\theta \\leftarrow \\theta - \\alpha b`;
* ``"nag"``: the same buffer, :math:`\\theta \\leftarrow \\theta - \\alpha (g + \\beta b)`;
* ``"adam"`` and ``"nadam"``: as :class:`nag_lib.optim.Adam` and :class:`nag_lib.optim.NAdam`.

A member whose loss turns NaN or infinite is stopped (it takes no further step) and reported in
``EnsembleHistory.diverged``; the other members go on.

Size: over 400 lines because the stacked model, its update rule per optimizer and the trainer
must each agree with their one-network twins (:mod:`nag_lib.models`, :mod:`nag_lib.optim`,
:mod:`nag_lib.training`), and change together; the tests pin every piece to its twin.

Example
-------
>>> from nag_lib.data import digits
>>> from nag_lib.models import MLP
>>> members = grid({"sgd": [0.1], "nag": [0.01, 0.03]}, seeds=[0, 1])
>>> hist = train(lambda m: MLP(64, 10, depth=2, width=16), members, digits(), epochs=1)
>>> hist.step_loss.shape  # (steps, members)
torch.Size([22, 6])
>>> hist.diverged
{}
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from nag_lib._checks import _check_number, _check_positive_int
from nag_lib.data import Split
from nag_lib.models import MLP, ResidualBlock
from nag_lib.optim import OPTIMIZERS, _scalar_dtype
from nag_lib.repro import one_thread, seed_everything

__all__ = [
    "KINDS",
    "EnsembleHistory",
    "Member",
    "StackedMLP",
    "grid",
    "members",
    "train",
]

#: The optimizer kinds a member can use, those of :data:`nag_lib.optim.OPTIMIZERS`.
KINDS = OPTIMIZERS
_NADAM_PSI = 4e-3  # torch.optim.NAdam's default momentum_decay, as nag_lib.optim.NAdam
_EPS = 1e-8  # Adam's and NAdam's default eps
#: Activations without parameters beyond ReLU's family, as nn.ELU(), nn.GELU(), nn.SiLU() compute.
_ELEMENTWISE: dict[str, Callable[[Tensor], Tensor]] = {"elu": F.elu, "gelu": F.gelu, "silu": F.silu}
#: The activations of nag_lib.models.MLP that a StackedMLP computes (all but PReLU).
_STACKED_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", *_ELEMENTWISE)


@dataclass(frozen=True)
class Member:
    """One network of an ensemble: its optimizer kind, learning rate, seed and momentum/betas.

    ``seed`` fixes the initial weights (the builder runs after
    :func:`nag_lib.repro.seed_everything`) and the order of the batches, exactly as
    :func:`nag_lib.training.run_grid` does. ``momentum`` is used by heavy ball and NAG, ``betas``
    by Adam and NAdam. ``setting`` is free for the caller: the builder receives the member, so a
    setting can change the architecture's hyperparameters (a Leaky ReLU slope, say) member by
    member.
    """

    kind: str
    lr: float
    seed: int = 0
    momentum: float = 0.9
    betas: tuple[float, float] = (0.9, 0.999)
    setting: Hashable = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"Invalid kind value: {self.kind!r} (use one of {KINDS})")
        _check_number("lr", self.lr, low=0.0, low_open=True)
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise TypeError(f"seed must be an int, got {type(self.seed).__name__}: {self.seed!r}")
        if not 0 <= self.seed < 2**32:
            raise ValueError(f"Invalid seed value: {self.seed} (seed must be in [0, 2**32))")
        mom = _check_number("momentum", self.momentum, low=0.0, high=1.0, high_open=True)
        if self.kind == "nag" and mom == 0.0:
            raise ValueError(
                "Invalid momentum value: 0.0 (Nesterov momentum requires momentum > 0)"
            )
        if not isinstance(self.betas, tuple) or len(self.betas) != 2:
            raise TypeError(f"betas must be a pair (beta1, beta2), got {self.betas!r}")
        for i, b in enumerate(self.betas):
            _check_number(f"betas[{i}]", b, low=0.0, high=1.0, high_open=True)


def members(
    kinds: Sequence[str],
    lrs: Sequence[float],
    seeds: Sequence[int],
    momenta: Sequence[float] | None = None,
    settings: Sequence[Hashable] | None = None,
) -> list[Member]:
    """Members from parallel sequences: member ``i`` has ``kinds[i]``, ``lrs[i]``, ``seeds[i]``
    (and ``momenta[i]``, ``settings[i]`` when given). Raises ``ValueError`` naming the sequence
    whose length differs from ``kinds``.

    >>> [(m.kind, m.lr) for m in members(["sgd", "adam"], [0.1, 0.001], [0, 0])]
    [('sgd', 0.1), ('adam', 0.001)]
    """
    for name, seq in (("kinds", kinds), ("lrs", lrs), ("seeds", seeds)):
        if isinstance(seq, (str, bytes)) or not isinstance(seq, Sequence):
            raise TypeError(f"{name} must be a sequence, got {type(seq).__name__}")
    n = len(kinds)
    if n == 0:
        raise ValueError("kinds is empty: give at least one member")
    lengths = {"lrs": len(lrs), "seeds": len(seeds)}
    lengths.update(
        {k: len(v) for k, v in (("momenta", momenta), ("settings", settings)) if v is not None}
    )
    for name, length in lengths.items():
        if length != n:
            raise ValueError(f"{name} has {length} entries but kinds has {n}")
    return [
        Member(
            kinds[i],
            lrs[i],
            seeds[i],
            momenta[i] if momenta is not None else 0.9,
            setting=settings[i] if settings is not None else None,
        )
        for i in range(n)
    ]


def grid(
    lrs: Mapping[str, Sequence[float]],
    seeds: Sequence[int],
    momentum: float = 0.9,
    betas: tuple[float, float] = (0.9, 0.999),
    setting: Hashable = None,
) -> list[Member]:
    """Every (kind, learning rate, seed) of ``lrs`` x ``seeds`` as a :class:`Member`.

    ``lrs`` maps an optimizer kind to its candidate learning rates. The order is kind, then
    rate, then seed, so members of one kind are contiguous (their updates then run as one slice).

    >>> [(m.kind, m.lr, m.seed) for m in grid({"nag": [0.1, 0.3]}, seeds=[0, 1])]
    [('nag', 0.1, 0), ('nag', 0.1, 1), ('nag', 0.3, 0), ('nag', 0.3, 1)]
    """
    if not isinstance(lrs, Mapping) or not lrs:
        raise ValueError("lrs is empty: give at least one optimizer kind and learning rate")
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Sequence) or not seeds:
        raise ValueError("seeds is empty: give at least one seed")
    out = []
    for kind, rates in lrs.items():
        if isinstance(rates, (str, bytes)) or not isinstance(rates, Sequence) or not rates:
            raise ValueError(f"lrs[{kind!r}] is empty: give at least one learning rate")
        for lr in rates:
            for seed in seeds:
                out.append(Member(kind, float(lr), seed, momentum, betas, setting))
    return out


# --------------------------------------------------------------------------------------------
# the stacked model
# --------------------------------------------------------------------------------------------
_Part = tuple[nn.Linear, "nn.BatchNorm1d | nn.LayerNorm | None", bool]


def _hidden_parts(model: MLP, index: int) -> list[_Part]:
    """(linear, norm or None, residual) for each hidden layer of an :class:`MLP`."""
    parts = []
    for block in model.hidden:
        residual = isinstance(block, ResidualBlock)
        seq = block.inner if residual else block
        mods = list(seq) if isinstance(seq, nn.Sequential) else []
        if len(mods) not in (2, 3) or not isinstance(mods[0], nn.Linear):
            raise ValueError(f"models[{index}] is not an MLP this ensemble can stack")
        norm = mods[1] if len(mods) == 3 else None
        if norm is not None and not isinstance(norm, (nn.BatchNorm1d, nn.LayerNorm)):
            raise ValueError(f"models[{index}] has an unsupported norm {type(norm).__name__}")
        if mods[0].bias is None:
            raise ValueError(f"models[{index}] has a Linear layer without bias")
        parts.append((mods[0], norm, residual))
    return parts


def _bias(lin: nn.Linear) -> Tensor:
    if lin.bias is None:  # pragma: no cover - _hidden_parts refuses it first
        raise ValueError("a Linear layer without bias cannot be stacked")
    return lin.bias.detach()


def _norm_param(norm: nn.Module | None, name: str, width: int, dtype: torch.dtype) -> Tensor:
    """A norm's affine weight or bias, or the identity's (ones, zeros) for a member without one."""
    if norm is None:
        return (torch.ones if name == "weight" else torch.zeros)(width, dtype=dtype)
    param = getattr(norm, name)
    if not isinstance(param, Tensor):
        raise ValueError("a norm layer must be BatchNorm1d or LayerNorm with affine weights")
    return param.detach()


def _running_stats(norms: Sequence[nn.Module | None]) -> tuple[Tensor, Tensor, Tensor]:
    """The running mean, running variance and running-average momentum of one block's batch
    norms at one layer, stacked over the members (empty tensors for layer norm)."""
    means, variances, moms = [], [], []
    for n in norms:
        if isinstance(n, nn.BatchNorm1d):
            if n.momentum is None or n.running_mean is None or n.running_var is None:
                raise ValueError("batch norm needs running statistics with a momentum")
            means.append(n.running_mean.clone())
            variances.append(n.running_var.clone())
            moms.append(float(n.momentum))
    if not means:
        return torch.zeros(0), torch.zeros(0), torch.zeros(0)
    return torch.stack(means), torch.stack(variances), torch.tensor(moms, dtype=means[0].dtype)


def _shapes(model: MLP, parts: list[_Part]) -> tuple[object, ...]:
    """What every member of one stack must share: layer shapes and residual connections."""
    return (
        tuple(tuple(lin.weight.shape) for lin, _, _ in parts),
        tuple(r for _, _, r in parts),
        tuple(model.head.weight.shape),
    )


def _architecture(model: MLP, parts: list[_Part]) -> tuple[object, ...]:
    """What members of one block share: the activation family and each layer's norm (kind, eps,
    and batch norm's running-average momentum)."""
    family = "relu" if model.activation in ("relu", "leaky_relu") else model.activation
    norms = tuple(
        None if n is None else (type(n).__name__, float(n.eps), getattr(n, "momentum", None))
        for _, n, _ in parts
    )
    return (family, norms)


@dataclass
class _Block:
    """Members ``start:stop`` of a stack share an activation and a norm at every layer."""

    start: int
    stop: int
    activation: str
    slope: float | None  # one Leaky ReLU slope for the whole block, or None
    norms: list[tuple[str, float, Tensor, Tensor, Tensor] | None]  # per layer: kind, eps, stats


class StackedMLP(nn.Module):
    r"""``M`` :class:`~nag_lib.models.MLP` s of one architecture as one batched model.

    The members' weights are copied into tensors with a leading member dimension; one
    ``torch.baddbmm`` per layer evaluates every member on its own batch:
    :math:`z^{(l)}_m = h^{(l-1)}_m W^{(l)\top}_m + b^{(l)}_m`. Batch norm normalises each
    member over its own batch (running statistics per member), layer norm each row. ReLU and
    Leaky ReLU members may differ in their negative slope (ReLU is slope 0); every other choice
    (depth, width, activation family, norm, residual connections) must be the same for all.

    ``forward`` takes ``x`` of shape (M, batch, features), or (batch, features) for the same
    inputs to every member, and returns logits of shape (M, batch, classes).

    >>> nets = [MLP(4, 3, depth=2, width=5, activation="leaky_relu", negative_slope=a)
    ...         for a in (0.01, 0.3)]
    >>> StackedMLP(nets)(torch.zeros(7, 4)).shape
    torch.Size([2, 7, 3])
    """

    slopes: Tensor

    def __init__(self, models: Sequence[nn.Module]) -> None:
        super().__init__()
        if isinstance(models, nn.Module) or not isinstance(models, Sequence) or not models:
            raise TypeError("models must be a non-empty sequence of nag_lib.models.MLP")
        nets: list[MLP] = []
        for i, m in enumerate(models):
            if not isinstance(m, MLP):
                raise TypeError(f"models[{i}] must be a nag_lib.models.MLP, got {type(m).__name__}")
            if m.activation not in _STACKED_ACTIVATIONS:
                raise ValueError(
                    f"models[{i}] has activation {m.activation!r}, which StackedMLP does not stack "
                    f"(it stacks {_STACKED_ACTIVATIONS}; PReLU's slopes are parameters: train "
                    "such networks one at a time with nag_lib.training)"
                )
            nets.append(m)
        parts = [_hidden_parts(m, i) for i, m in enumerate(nets)]
        if len({_shapes(m, p) for m, p in zip(nets, parts, strict=True)}) != 1:
            raise ValueError(
                "all models must share one architecture (layer shapes and residual connections)"
            )
        self.residual = [r for _, _, r in parts[0]]
        depth = len(parts[0])
        archs = [_architecture(m, p) for m, p in zip(nets, parts, strict=True)]
        linears = [[p[k][0] for p in parts] for k in range(depth)] + [[m.head for m in nets]]
        stacked = [torch.stack([lin.weight.detach() for lin in layer]) for layer in linears]
        stacked += [torch.stack([_bias(lin) for lin in layer]) for layer in linears]
        dtype = stacked[0].dtype
        # A layer with a norm in some member gets affine parameters for every member (ones and
        # zeros where a member has none: unused, their gradient is zero and no optimizer moves them)
        self._norm_at = [any(p[k][1] is not None for p in parts) for k in range(depth)]
        for k in range(depth):
            if self._norm_at[k]:
                width = parts[0][k][0].out_features
                stacked.append(
                    torch.stack([_norm_param(p[k][1], "weight", width, dtype) for p in parts])
                )
                stacked.append(
                    torch.stack([_norm_param(p[k][1], "bias", width, dtype) for p in parts])
                )
        # Every parameter is a view into one (M, P) buffer, and the gradients are gathered into a
        # second one: an optimizer then updates all of a member's parameters with a few
        # operations over its row, instead of a few per parameter tensor.
        self.offsets = [0]
        for t in stacked:
            self.offsets.append(self.offsets[-1] + t[0].numel())
        flat = torch.empty(len(nets), self.offsets[-1], dtype=dtype)
        self.flat = flat
        self.flat_grad = torch.zeros_like(flat)
        views = []
        for t, a, b in zip(stacked, self.offsets, self.offsets[1:], strict=False):
            view = flat[:, a:b].view(t.shape)
            view.copy_(t)
            views.append(nn.Parameter(view))
        n_lin = depth + 1
        self._in_flat = views  # the parameters in the order of the flat buffer
        self.weights = nn.ParameterList(views[:n_lin])
        self.biases = nn.ParameterList(views[n_lin : 2 * n_lin])
        self.norm_weight = nn.ParameterList(views[2 * n_lin :: 2])
        self.norm_bias = nn.ParameterList(views[2 * n_lin + 1 :: 2])
        slopes = [m.negative_slope if m.activation == "leaky_relu" else 0.0 for m in nets]
        self.register_buffer("slopes", torch.tensor(slopes, dtype=dtype))
        self.blocks = self._make_blocks(nets, parts, archs, slopes)
        self._cached_layers = self._layers()

    def _make_blocks(
        self,
        nets: list[MLP],
        parts: list[list[_Part]],
        archs: list[tuple[object, ...]],
        slopes: list[float],
    ) -> list[_Block]:
        """Runs of consecutive members of one architecture, with their running statistics."""
        blocks: list[_Block] = []
        start = 0
        for i in range(1, len(nets) + 1):
            if i < len(nets) and archs[i] == archs[start]:
                continue
            family = str(archs[start][0])
            block_slopes = set(slopes[start:i])
            norms: list[tuple[str, float, Tensor, Tensor, Tensor] | None] = []
            for k in range(len(self.residual)):
                first = parts[start][k][1]
                if first is None:
                    norms.append(None)
                    continue
                stats = _running_stats([p[k][1] for p in parts[start:i]])
                name = f"running_{len(blocks)}_{k}"
                self.register_buffer(f"{name}_mean", stats[0])
                self.register_buffer(f"{name}_var", stats[1])
                self.register_buffer(f"{name}_momentum", stats[2])
                norms.append(
                    (
                        type(first).__name__,
                        float(first.eps),
                        getattr(self, f"{name}_mean"),
                        getattr(self, f"{name}_var"),
                        getattr(self, f"{name}_momentum"),
                    )
                )
            one = block_slopes.pop() if len(block_slopes) == 1 else None
            blocks.append(_Block(start, i, family, one, norms))
            start = i
        return blocks

    def __deepcopy__(self, memo: dict[int, object]) -> StackedMLP:
        """A deep copy whose parameters are views into its own flat buffer again
        (``nn.Parameter``'s deep copy would give each parameter storage of its own)."""
        new = type(self).__new__(type(self))
        memo[id(self)] = new
        for key, value in self.__dict__.items():
            new.__dict__[key] = copy.deepcopy(value, memo)
        for p, a, b in zip(new._in_flat, new.offsets[:-1], new.offsets[1:], strict=True):
            p.data = new.flat[:, a:b].view(p.shape)
        return new

    @property
    def members(self) -> int:
        """Number of networks ``M``."""
        return int(self.weights[0].shape[0])

    def _act(self, block: _Block, z: Tensor) -> Tensor:
        if block.activation == "sigmoid":
            return torch.sigmoid(z)
        if block.activation == "tanh":
            return torch.tanh(z)
        if block.activation in _ELEMENTWISE:
            return _ELEMENTWISE[block.activation](z)
        if block.slope is not None:  # one fused kernel, forward and backward
            return F.leaky_relu(z, block.slope)
        slopes = self.slopes[block.start : block.stop, None, None]
        return z * torch.where(z.detach() > 0, 1.0, slopes)

    def _layers(self) -> list[tuple[Tensor, Tensor, Tensor | None, Tensor | None, bool]]:
        """(weight, bias, norm weight, norm bias, residual) of every hidden layer, then the head's:
        looked up once, not per layer and step through ``nn.Module``'s attribute access (which
        costs as much as a small kernel)."""
        n_hidden = len(self.residual)
        weights, biases = (
            self._in_flat[: n_hidden + 1],
            self._in_flat[n_hidden + 1 : 2 * n_hidden + 2],
        )
        norm_params = iter(self._in_flat[2 * n_hidden + 2 :])
        layers: list[tuple[Tensor, Tensor, Tensor | None, Tensor | None, bool]] = []
        for k in range(n_hidden):
            nw, nb = (next(norm_params), next(norm_params)) if self._norm_at[k] else (None, None)
            layers.append((weights[k], biases[k], nw, nb, self.residual[k]))
        layers.append((weights[n_hidden], biases[n_hidden], None, None, False))
        return layers

    def _norm(
        self, norm: tuple[str, float, Tensor, Tensor, Tensor], z: Tensor, w: Tensor, b: Tensor
    ) -> Tensor:
        """Batch or layer norm of one block's pre-activations ``z`` (members, width, batch)."""
        kind, eps, rm, rv, moms = norm
        members, width, batch = z.shape
        if kind == "LayerNorm":  # over the units of each row
            mean = z.mean(dim=1, keepdim=True)
            centred = z - mean
            var = (centred * centred).mean(dim=1, keepdim=True)
            out: Tensor = centred * torch.rsqrt(var + eps) * w[:, :, None] + b[:, :, None]
            return out
        # One fused kernel: every (member, unit) pair is a channel, normalised over the batch.
        out = F.batch_norm(
            z.reshape(1, members * width, batch),
            rm.view(-1),
            rv.view(-1),
            w.reshape(-1),
            b.reshape(-1),
            training=self.training,
            momentum=float(moms[0]),
            eps=eps,
        )
        return out.view(members, width, batch)

    def _run(self, x: Tensor, keep_pre: bool = False) -> tuple[Tensor, list[Tensor]]:
        """Logits (M, classes, batch), and with ``keep_pre`` the hidden pre-activations
        (M, width, batch) for ``x``."""
        if not isinstance(x, Tensor) or x.ndim not in (2, 3):
            shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(
                f"x must be a (M, batch, features) or (batch, features) tensor, got {shape}"
            )
        if x.ndim == 2:
            x = x.unsqueeze(0).expand(self.members, -1, -1)
        # Activations are kept as (member, unit, example): z = W h + b is one baddbmm with the
        # weights in nn.Linear's (out, in) layout, and batch norm needs no transposed copy.
        *hidden, (head_w, head_b, _, _, _) = self._cached_layers
        h = x.to(head_w.dtype).transpose(1, 2)
        pre: list[Tensor] = []
        for k, (w, b, nw, nb, residual) in enumerate(hidden):
            z = torch.baddbmm(b[:, :, None], w, h)
            zs, outs = [], []
            for block in self.blocks:  # one block: the whole stack, no slicing
                whole = len(self.blocks) == 1
                zb = z if whole else z[block.start : block.stop]
                norm = block.norms[k]
                if norm is not None:
                    assert nw is not None and nb is not None
                    rows = slice(block.start, block.stop)
                    zb = self._norm(norm, zb, nw if whole else nw[rows], nb if whole else nb[rows])
                zs.append(zb)
                outs.append(self._act(block, zb))
            out = outs[0] if len(outs) == 1 else torch.cat(outs)
            if keep_pre:
                pre.append(zs[0] if len(zs) == 1 else torch.cat(zs))
            h = h + out if residual else out
        return torch.baddbmm(head_b[:, :, None], head_w, h), pre

    def hidden_inputs(self, x: Tensor) -> list[Tensor]:
        """The input of every hidden activation (after the norm), one (M, batch, width) tensor per
        hidden layer, input side first. Gradients flow through them."""
        return [z.transpose(1, 2) for z in self._run(x, keep_pre=True)[1]]

    @torch.no_grad()
    def dead_fractions(self, x: Tensor) -> Tensor:
        """Per member and hidden layer, the share of units whose input is <= 0 for every row of
        ``x``: shape (M, hidden layers). The count of :func:`nag_lib.gradflow.dead_unit_fraction`;
        for a ReLU member such a unit is dead (zero gradient for all of ``x``)."""
        was = self.training
        self.eval()
        try:
            pre = self._run(x, keep_pre=True)[1]
        finally:
            self.train(was)
        return torch.stack([(z <= 0).all(dim=2).to(z.dtype).mean(dim=1) for z in pre], dim=1)

    @torch.no_grad()
    def accuracy(self, x: Tensor, y: Tensor) -> Tensor:
        """Share of rows of ``x`` whose arg-max logit equals ``y``, per member (shape (M,)),
        in evaluation mode."""
        if not isinstance(y, Tensor) or y.shape != (x.shape[-2],):
            raise ValueError(f"y must be a tensor of shape ({x.shape[-2]},)")
        return _scores(self, x, y)[1]

    def logits(self, x: Tensor) -> Tensor:
        """Logits with the classes in dimension 1, shape (M, classes, batch), as
        ``torch.nn.functional.cross_entropy`` takes them."""
        return self._run(x)[0]

    def forward(self, x: Tensor) -> Tensor:
        """Logits of every member, shape (M, batch, classes)."""
        return self._run(x)[0].transpose(1, 2)


# --------------------------------------------------------------------------------------------
# the stacked optimizers
# --------------------------------------------------------------------------------------------
_FAMILY = {"sgd": "momentum", "heavy_ball": "momentum", "nag": "momentum", "adam": "adam"}


class _Segment:
    """Members ``start:stop`` share one update rule; hyperparameters are (members, 1) columns
    that broadcast over the members' rows of the flat parameter buffer.

    SGD, heavy ball and NAG share one rule, each exact for its own members:
    :math:`b \\leftarrow \\beta b + g` (:math:`b_1 = g_0`), :math:`\\theta \\leftarrow \\theta -
    \\alpha (c_g\\, g + c_b\\, b)` with :math:`(c_g, c_b) = (0, 1)` for heavy ball (and for SGD,
    whose :math:`\\beta = 0` makes :math:`b = g`) and :math:`(1, \\beta)` for NAG; a coefficient of
    0 or 1 changes no bit. Adam and NAdam each have their own rule.
    """

    def __init__(self, members: Sequence[Member], start: int, dtype: torch.dtype) -> None:
        self.start, self.stop = start, start + len(members)
        self.family = _FAMILY.get(members[0].kind, members[0].kind)

        def col(vals: list[float]) -> Tensor:
            return torch.tensor(vals, dtype=dtype)[:, None]

        self.lr = col([m.lr for m in members])
        self.neg_lr = -self.lr  # times the alive mask, refreshed when a member stops
        self.momentum = col([0.0 if m.kind == "sgd" else m.momentum for m in members])
        self.c_grad = col([1.0 if m.kind == "nag" else 0.0 for m in members])
        self.c_buf = col([m.momentum if m.kind == "nag" else 1.0 for m in members])
        self.beta1 = col([m.betas[0] for m in members])
        self.beta2 = col([m.betas[1] for m in members])
        self.one_minus_b1, self.one_minus_b2 = 1 - self.beta1, 1 - self.beta2
        betas = {m.betas for m in members}
        self.betas = betas.pop() if len(betas) == 1 else None  # as floats, when all share them
        self.state: dict[str, Tensor] = {}

    def refresh(self, alive: Tensor) -> None:
        """Zero the learning rate of the members that were stopped."""
        self.neg_lr = -self.lr * alive[self.start : self.stop, None].to(self.lr.dtype)

    @torch.no_grad()
    def step(self, flat: Tensor, flat_grad: Tensor, step: int, factor: float) -> None:
        """Step ``step`` (1-based) of these members, on their rows of the flat buffers.

        The equations are those of :mod:`nag_lib.optim` with each scalar hyperparameter replaced
        by a column of per-member values, written with as few passes over memory as the
        arithmetic allows (``addcmul_`` folds a product into the update). ``factor`` scales every
        rate (a schedule).
        """
        p, g = flat[self.start : self.stop], flat_grad[self.start : self.stop]
        st = self.state
        if self.family == "momentum":
            buf = st.get("buf")
            if buf is None:  # b_1 = g_0
                buf = st["buf"] = g.clone()
            else:  # b = beta b + g
                buf.mul_(self.momentum).add_(g)
            update = torch.addcmul(self.c_grad * g, buf, self.c_buf)  # c_g g + c_b b
            p.addcmul_(update, self.neg_lr, value=factor)
            return
        if not st:
            st["m"], st["v"] = torch.zeros_like(p), torch.zeros_like(p)
        m, v = st["m"], st["v"]
        m.lerp_(g, self.one_minus_b1)  # m = b1 m + (1 - b1) g
        v.lerp_(g * g, self.one_minus_b2)  # v = b2 v + (1 - b2) g^2
        if self.betas is not None:  # one pair of betas: the bias corrections are scalars
            self._adaptive_scalar(p, g, m, v, step, factor, *self.betas)
            return
        bias2 = 1 - self.beta2**step
        if self.family == "adam":  # p = p - lr/(1 - b1^t) m / (sqrt(v)/sqrt(1 - b2^t) + eps)
            denom = v.sqrt().mul_(torch.rsqrt(bias2)).add_(_EPS)
            p.addcmul_(m.div(denom), self.neg_lr / (1 - self.beta1**step), value=factor)
            return
        b1 = self.beta1  # NAdam's momentum schedule
        beta1_t = b1 * (1.0 - 0.5 * 0.96 ** (step * _NADAM_PSI))
        beta1_next = b1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * _NADAM_PSI))
        prod = self.state["mu_product"] = (
            self.state["mu_product"] * beta1_t if "mu_product" in self.state else beta1_t
        )
        denom = v.div(bias2).sqrt_().add_(_EPS)
        p.addcmul_(g.div(denom), self.neg_lr * (1.0 - beta1_t) / (1.0 - prod), value=factor)
        p.addcmul_(m.div(denom), self.neg_lr * beta1_next / (1.0 - prod * beta1_next), value=factor)

    def _adaptive_scalar(
        self,
        p: Tensor,
        g: Tensor,
        m: Tensor,
        v: Tensor,
        step: int,
        factor: float,
        b1: float,
        b2: float,
    ) -> None:
        """Adam's or NAdam's step when every member has the same betas (the same equations)."""
        bias2 = 1 - b2**step
        if self.family == "adam":
            denom = v.sqrt().div_(math.sqrt(bias2)).add_(_EPS)
            p.addcmul_(m.div(denom), self.neg_lr, value=factor / (1 - b1**step))
            return
        beta1_t = b1 * (1.0 - 0.5 * 0.96 ** (step * _NADAM_PSI))
        beta1_next = b1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * _NADAM_PSI))
        # The product of the beta1_t's is kept in torch's default scalar dtype, as
        # nag_lib.optim.NAdam and torch.optim.NAdam keep it (float32 unless the default dtype
        # is float64).
        before = getattr(self, "mu_product", torch.ones((), dtype=_scalar_dtype()))
        self.mu_product = before * beta1_t
        prod = float(self.mu_product)
        denom = v.div(bias2).sqrt_().add_(_EPS)
        p.addcmul_(g.div(denom), self.neg_lr, value=factor * (1.0 - beta1_t) / (1.0 - prod))
        p.addcmul_(m.div(denom), self.neg_lr, value=factor * beta1_next / (1.0 - prod * beta1_next))


def _segments(members: Sequence[Member], dtype: torch.dtype) -> list[_Segment]:
    """Runs of consecutive members that share an update rule (one run per rule for a
    :func:`grid`, whose members are ordered by kind)."""
    segs: list[_Segment] = []
    start = 0
    for i in range(1, len(members) + 1):
        family = _FAMILY.get(members[start].kind, members[start].kind)
        if i == len(members) or _FAMILY.get(members[i].kind, members[i].kind) != family:
            segs.append(_Segment(members[start:i], start, dtype))
            start = i
    return segs


# --------------------------------------------------------------------------------------------
# the trainer
# --------------------------------------------------------------------------------------------
@dataclass
class EnsembleHistory:
    """What :func:`train` records, every tensor with the members along one dimension.

    * ``step_loss`` (steps, M): each member's mini-batch loss at every step (NaN once stopped);
    * ``train_loss`` (epochs, M): mean mini-batch loss of each epoch, as
      ``nag_lib.training.History.train_loss``;
    * ``grad_norms`` (records, M, layers): Frobenius norm of every linear layer's weight gradient,
      input side first, before the step, at the steps listed in ``grad_norm_steps``;
    * ``eval_epochs``: the epochs (1-based count of epochs done) after which the model was scored
      on the validation set: ``val_loss``, ``val_accuracy`` (evals, M), NaN where the data has no
      validation set;
    * ``test_loss``, ``test_accuracy`` (1, M): the test set, scored once, after the last epoch
      (it takes part in no choice, so there is nothing to score it for before);
    * ``layer_shift`` (evals, M, layers): ``||W - W_start|| / ||W_start||`` of every linear layer;
    * ``diverged``: member index -> message, for every member that was stopped.
    """

    members: list[Member]
    step_loss: Tensor
    train_loss: Tensor
    grad_norms: Tensor
    grad_norm_steps: list[int]
    eval_epochs: list[int]
    val_loss: Tensor
    val_accuracy: Tensor
    test_loss: Tensor
    test_accuracy: Tensor
    layer_shift: Tensor
    diverged: dict[int, str]
    model: StackedMLP

    @property
    def steps(self) -> int:
        """Optimizer steps taken (by the members that did not diverge)."""
        return int(self.step_loss.shape[0])

    def select(self, **where: object) -> list[int]:
        """Indices of the members whose fields equal ``where`` (e.g. ``kind="nag", lr=0.1``).

        >>> h = EnsembleHistory.__new__(EnsembleHistory)
        >>> h.members = grid({"sgd": [0.1, 0.3]}, seeds=[0, 1])
        >>> h.select(lr=0.3)
        [2, 3]
        """
        for key in where:
            if key not in Member.__dataclass_fields__:
                raise ValueError(f"Invalid field name: {key!r} (use the fields of Member)")
        return [
            i
            for i, m in enumerate(self.members)
            if all(getattr(m, k) == v for k, v in where.items())
        ]


def _check_members(members: object) -> list[Member]:
    if isinstance(members, (str, bytes)) or not isinstance(members, Sequence):
        raise TypeError(f"members must be a sequence of Member, got {type(members).__name__}")
    if not members:
        raise ValueError("members is empty: give at least one Member")
    for i, m in enumerate(members):
        if not isinstance(m, Member):
            raise TypeError(f"members[{i}] must be a Member, got {type(m).__name__}")
    return list(members)


def _slice_norms(flat: Tensor, slices: list[tuple[int, int]]) -> Tensor:
    """Euclidean norm of each column range ``a:b`` of ``flat`` (M, P), per row: (M, ranges)."""
    return torch.stack([flat[:, a:b].norm(dim=1) for a, b in slices], dim=1)


def _member_losses(logits: Tensor, y: Tensor) -> Tensor:
    """Mean cross-entropy of each member: logits (M, classes, batch), labels (M, batch) -> (M,).

    With the classes in dimension 1 the softmax runs along the long batch dimension, several
    times faster than over rows of ten logits.
    """
    return F.cross_entropy(logits, y, reduction="none").mean(dim=1)


def _scores(model: StackedMLP, x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
    """Per-member mean cross-entropy and accuracy on (x, y), in eval mode, without gradients."""
    was = model.training
    model.eval()
    try:
        with torch.no_grad():
            logits = model.logits(x)
            loss = _member_losses(logits, y.expand(logits.shape[0], -1))
            acc = (logits.argmax(dim=1) == y).to(logits.dtype).mean(dim=1)
            return loss, acc
    finally:
        model.train(was)


def _build_all(
    build: Callable[[Member], nn.Module], members: list[Member], dtype: torch.dtype | None
) -> list[nn.Module]:
    """One network per member; members that share (seed, setting) share one initialisation."""
    built: dict[tuple[int, Hashable], nn.Module] = {}
    nets = []
    for m in members:
        key = (m.seed, m.setting)
        if key not in built:
            seed_everything(m.seed)
            net = build(m)
            built[key] = net.to(dtype) if dtype is not None else net
        nets.append(built[key])
    return nets


def train(
    build: Callable[[Member], nn.Module],
    members: Sequence[Member],
    data: Split,
    epochs: int,
    batch_size: int = 64,
    dtype: torch.dtype | None = None,
    eval_every: int = 1,
    grad_norm_every: int | None = 1,
    start: StackedMLP | None = None,
    schedule: Callable[[float], float] | None = None,
) -> EnsembleHistory:
    """Train every member by mini-batch cross-entropy as one vectorised model.

    ``build(member)`` must return a fresh :class:`~nag_lib.models.MLP` that depends only on the
    member's ``setting``; it is called after ``seed_everything(member.seed)``, once per distinct
    (seed, setting), so members that share both start from the same weights (the stacked model
    copies them). Every member's batches come from its own generator, seeded with its seed, one
    ``torch.randperm`` per epoch, as :func:`nag_lib.training.train` draws them. ``dtype``
    (default: the built models' dtype) converts the models and the data. After every
    ``eval_every`` epochs (and after the last) each member is scored on the validation set (if
    ``data`` has one) and on the test set; neither reaches the optimizer. ``grad_norm_every``
    records the per-layer gradient norms every that many steps (``None``: never).

    ``schedule`` anneals every member's learning rate as :func:`nag_lib.training.train` does:
    step ``k`` of ``n`` uses the member's rate times ``schedule(k / n)`` (e.g.
    :func:`nag_lib.training.cosine`).

    ``start`` continues from a trained :class:`StackedMLP` (for instance ``history.model`` of an
    earlier call) instead of building fresh networks: its weights and batch-norm statistics are
    copied, the optimizers start afresh, and ``build`` is not called. It must hold one network
    per member.

    Training runs on one intra-op thread (:func:`nag_lib.repro.one_thread`), whatever the
    caller set, so that the numbers do not depend on the machine.
    """
    if not callable(build):
        raise TypeError(f"build must be callable, got {type(build).__name__}")
    members = _check_members(members)
    if not isinstance(data, Split):
        raise TypeError(f"data must be a nag_lib.data.Split, got {type(data).__name__}")
    _check_positive_int("epochs", epochs)
    _check_positive_int("batch_size", batch_size)
    _check_positive_int("eval_every", eval_every)
    if grad_norm_every is not None:
        _check_positive_int("grad_norm_every", grad_norm_every)
    if schedule is not None and not callable(schedule):
        raise TypeError(f"schedule must be callable, got {type(schedule).__name__}")
    if dtype is not None and not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
        raise TypeError(f"dtype must be a floating-point torch.dtype, got {dtype!r}")
    n = int(data.x_train.shape[0])
    if n == 0:
        raise ValueError("data.x_train is empty: x must hold at least one training example")

    if start is None:
        model = StackedMLP(_build_all(build, members, dtype))
    else:
        if not isinstance(start, StackedMLP):
            raise TypeError(f"start must be a StackedMLP, got {type(start).__name__}")
        if start.members != len(members):
            raise ValueError(
                f"start holds {start.members} networks but members has {len(members)} entries"
            )
        model = copy.deepcopy(start)
        if dtype is not None and dtype != model.flat.dtype:
            raise ValueError(f"dtype {dtype} differs from start's {model.flat.dtype}")
    dt = model.weights[0].dtype
    x_tr, y_tr = data.x_train.to(dt), data.y_train
    x_te, y_te = data.x_test.to(dt), data.y_test
    x_va = data.x_val.to(dt) if data.x_val is not None else None
    y_va = data.y_val

    big_m = len(members)
    segments = _segments(members, dt)
    n_lin = len(model.weights)
    weight_slices = list(zip(model.offsets[:n_lin], model.offsets[1 : n_lin + 1], strict=True))
    flat0 = model.flat.clone()
    start_norm = _slice_norms(flat0, weight_slices)
    alive = torch.ones(big_m, dtype=torch.bool)
    diverged: dict[int, str] = {}
    stopped_at: dict[int, int] = {}  # member -> the step whose loss was not finite
    gens = {s: torch.Generator().manual_seed(s) for s in sorted({m.seed for m in members})}
    seed_row = torch.tensor([sorted(gens).index(m.seed) for m in members])
    steps_per_epoch = math.ceil(n / batch_size)
    total_steps = epochs * steps_per_epoch
    step_loss = torch.full((epochs * steps_per_epoch, big_m), math.nan, dtype=dt)
    train_loss = torch.full((epochs, big_m), math.nan, dtype=dt)
    norms: list[Tensor] = []
    norm_steps: list[int] = []
    evals: dict[str, list[Tensor]] = {k: [] for k in ("vl", "va", "tl", "ta", "shift")}
    eval_epochs: list[int] = []
    nan_row = torch.full((big_m,), math.nan, dtype=dt)
    step = 0
    model.train()
    with one_thread():
        for epoch in range(epochs):
            orders = torch.stack([torch.randperm(n, generator=g) for g in gens.values()])[seed_row]
            total = torch.zeros(big_m, dtype=dt)
            for first in range(0, n, batch_size):
                idx = orders[:, first : first + batch_size]
                for p in model._in_flat:
                    p.grad = None
                logits = model.logits(x_tr[idx])
                y = y_tr[idx]
                losses = _member_losses(logits, y)
                value = losses.detach()
                finite = torch.isfinite(value)
                if not bool(finite.all()) and bool((bad := alive & ~finite).any()):
                    for i in bad.nonzero().flatten().tolist():
                        stopped_at[i] = step
                        diverged[i] = (
                            f"member {i} ({members[i].kind}, lr={members[i].lr:g}, "
                            f"seed {members[i].seed}) diverged: loss = {float(value[i])} at epoch "
                            f"{epoch}, step {step}; it was stopped there (lower its learning rate)"
                        )
                    alive &= ~bad
                    for seg in segments:
                        seg.refresh(alive)
                torch.autograd.backward((losses * alive).sum() if diverged else losses.sum())
                torch.cat(
                    [p.grad.reshape(big_m, -1) for p in model._in_flat],  # type: ignore[union-attr]
                    dim=1,
                    out=model.flat_grad,
                )
                if grad_norm_every is not None and step % grad_norm_every == 0:
                    norms.append(_slice_norms(model.flat_grad, weight_slices))
                    norm_steps.append(step)
                step += 1
                factor = 1.0 if schedule is None else schedule((step - 1) / total_steps)
                for seg in segments:
                    seg.step(model.flat, model.flat_grad, step, factor)
                step_loss[step - 1] = value
                total += value * idx.shape[1]
            train_loss[epoch] = torch.where(alive, total / n, nan_row)
            if (epoch + 1) % eval_every == 0 or epoch == epochs - 1:
                eval_epochs.append(epoch + 1)
                if x_va is not None and y_va is not None:
                    vl, va = _scores(model, x_va, y_va)
                else:
                    vl, va = nan_row, nan_row
                shift = _slice_norms(model.flat - flat0, weight_slices) / start_norm
                scores = [("vl", vl), ("va", va)]
                if epoch == epochs - 1:  # the test set is scored once, after training
                    scores += list(zip(("tl", "ta"), _scores(model, x_te, y_te), strict=True))
                for key, v in scores:
                    evals[key].append(torch.where(alive, v, nan_row))
                evals["shift"].append(torch.where(alive[:, None], shift, nan_row[:, None]))
    for i, at in stopped_at.items():
        step_loss[at:, i] = math.nan
    layers = n_lin
    return EnsembleHistory(
        members=members,
        step_loss=step_loss,
        train_loss=train_loss,
        grad_norms=torch.stack(norms) if norms else torch.zeros(0, big_m, layers, dtype=dt),
        grad_norm_steps=norm_steps,
        eval_epochs=eval_epochs,
        val_loss=torch.stack(evals["vl"]),
        val_accuracy=torch.stack(evals["va"]),
        test_loss=torch.stack(evals["tl"]),
        test_accuracy=torch.stack(evals["ta"]),
        layer_shift=torch.stack(evals["shift"]),
        diverged=diverged,
        model=model,
    )
