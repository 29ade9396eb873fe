r"""Recurrent networks (a tanh RNN and the LSTM) trained many at a time, with gradient clipping.

PyTorch's equations and gate order (``torch.nn.RNN``, ``torch.nn.LSTM``), with input
:math:`x_s`, state :math:`h_s` (:math:`h_0 = C_0 = 0`) and the logistic sigmoid :math:`\sigma`:

* tanh RNN: :math:`h_s = \tanh(z_s)`, :math:`z_s = W h_{s-1} + U x_s + b`, so backpropagation
  through time multiplies by :math:`\partial h_s / \partial h_{s-1} =
  \operatorname{diag}(\tanh'(z_s))\, W` per step (Bengio, Simard & Frasconi 1994);
* LSTM (Hochreiter & Schmidhuber 1997; forget gate: Gers, Schmidhuber & Cummins 2000): gates
  :math:`i_s, \gamma_s, o_s = \sigma(\cdot)` and candidate :math:`u_s = \tanh(\cdot)` of
  :math:`W h_{s-1} + U x_s + b`, cell :math:`C_s = \gamma_s \odot C_{s-1} + i_s \odot u_s`,
  :math:`h_s = o_s \odot \tanh(C_s)`; along the cell
  :math:`\partial C_s / \partial C_{s-1} = \operatorname{diag}(\gamma_s)`.

A linear read-out of the last state gives the prediction; the loss is the mean squared error.
:class:`StackedRecurrent` holds ``M`` networks with a leading member dimension (one
``torch.baddbmm`` per time step evaluates them all, as :mod:`nag_lib.ensemble` does for MLPs)
and writes backpropagation through time out by hand, without an autograd graph of ``T`` steps.
:func:`train` steps every member with its own optimizer (:class:`nag_lib.ensemble.Member`) and
clips its gradient as ``torch.nn.utils.clip_grad_norm_`` does (Pascanu, Mikolov & Bengio 2013):
:math:`g \leftarrow g \min(1, c / (\lVert g \rVert + 10^{-6}))`, the norm over all of the
member's parameters, with its own threshold :math:`c`. ``tests/test_recurrent.py`` checks that
every member ends where the same ``torch.nn.RNN``/``torch.nn.LSTM`` network trained alone ends.

Size: over 400 lines because :class:`StackedRecurrent` writes backpropagation through time for
both cells by hand (about 150 lines), next to the forward pass it differentiates; the tests pin
every member to torch's RNN or LSTM trained alone.

>>> from nag_lib.ensemble import grid
>>> data = adding_problem(10, n_train=64, n_val=32, n_test=32)
>>> hist = train(lambda m: RecurrentNet("lstm", 2, 4), grid({"adam": [0.01]}, [0, 1]), data, 2)
>>> hist.step_loss.shape, hist.diverged  # (steps, members)
(torch.Size([4, 2]), {})
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from nag_lib._checks import _check_bool, _check_int, _check_number, _check_positive_int
from nag_lib.data import Split
from nag_lib.ensemble import Member, _build_all, _check_members, _segments
from nag_lib.repro import one_thread

__all__ = [
    "CELLS",
    "RecurrentHistory",
    "RecurrentNet",
    "StackedRecurrent",
    "StateGrads",
    "adding_problem",
    "train",
]

#: The recurrent cells, PyTorch's tanh ``RNN`` and its ``LSTM``.
CELLS = ("rnn", "lstm")
_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "head_w", "head_b")
_CLIP_EPS = 1e-6  # torch.nn.utils.clip_grad_norm_ adds it to the norm


def adding_problem(
    length: int,
    n_train: int = 1000,
    n_val: int = 500,
    n_test: int = 1000,
    seed: int = 0,
    centre: bool = True,
) -> Split:
    """The adding problem (Hochreiter & Schmidhuber 1997) as a three-way :class:`Split`.

    Each sequence has ``length`` steps of two inputs: a value :math:`v_s` drawn from U(0, 1)
    and a marker, 1 at two distinct steps drawn uniformly from the first half of the sequence
    and 0 elsewhere. The target (shape (n, 1)) is the sum of the two marked values, so a
    network must carry them over at least ``length - length // 2`` steps. Always predicting
    the mean, 1, scores :math:`\\operatorname{Var}(v_a + v_b) = 2/12 = 1/6` in mean squared
    error. With ``centre`` the value is fed as :math:`v_s - 1/2` (standardised inputs; the
    target is unchanged).

    >>> d = adding_problem(6, n_train=3, n_val=2, n_test=2)
    >>> d.x_train.shape, d.y_train.shape, d.x_train[..., 1].sum(dim=1).tolist()
    (torch.Size([3, 6, 2]), torch.Size([3, 1]), [2.0, 2.0, 2.0])
    """
    t = _check_int("length", length, 4)
    counts = [_check_int(k, v, 1) for k, v in (("n_train", n_train), ("n_val", n_val))]
    counts.append(_check_int("n_test", n_test, 1))
    shift = 0.5 if _check_bool("centre", centre) else 0.0
    gen = torch.Generator().manual_seed(_check_int("seed", seed, 0))
    n = sum(counts)
    values = torch.rand(n, t, generator=gen)
    marked = torch.rand(n, t // 2, generator=gen).argsort(dim=1)[:, :2]
    markers = torch.zeros(n, t).scatter_(1, marked, 1.0)
    x = torch.stack([values - shift, markers], dim=2)
    y = (values * markers).sum(dim=1, keepdim=True)
    a, b = counts[0], counts[0] + counts[1]
    return Split(x[:a], y[:a], x[b:], y[b:], x[a:b], y[a:b])


class RecurrentNet(nn.Module):
    """One ``torch.nn.RNN`` (tanh) or ``torch.nn.LSTM`` layer and a linear read-out of its last
    hidden state: input (batch, time, ``input_size``), output (batch, ``output_size``).

    PyTorch's initialisation, U(-1/√H, 1/√H) for every weight, unless ``recurrent_scale`` is
    given: then each gate's block of the recurrent matrix :math:`W` is ``recurrent_scale`` times
    a random orthogonal matrix, so its spectral radius and norm are both ``recurrent_scale``.
    ``forget_bias`` (LSTM only) sets the forget gate's total bias (``bias_ih``; ``bias_hh`` 0).

    >>> RecurrentNet("lstm", 2, 8, forget_bias=1.0)(torch.zeros(5, 7, 2)).shape
    torch.Size([5, 1])
    """

    def __init__(
        self,
        cell: str,
        input_size: int,
        hidden_size: int,
        output_size: int = 1,
        *,
        recurrent_scale: float | None = None,
        forget_bias: float | None = None,
    ) -> None:
        if cell not in CELLS:
            raise ValueError(f"Invalid cell value: {cell!r} (use one of {CELLS})")
        sizes = (("input_size", input_size), ("hidden_size", hidden_size))
        i, h = (_check_positive_int(k, v) for k, v in sizes)
        out = _check_positive_int("output_size", output_size)
        scale = forget = None
        if recurrent_scale is not None:
            scale = _check_number("recurrent_scale", recurrent_scale, low=0.0, low_open=True)
        if forget_bias is not None:
            forget = _check_number("forget_bias", forget_bias)
            if cell != "lstm":
                raise ValueError("forget_bias applies to cell='lstm' only")
        super().__init__()  # the checks come first: building draws from the random generator
        self.cell = cell
        self.rnn: nn.RNN | nn.LSTM = (nn.LSTM if cell == "lstm" else nn.RNN)(i, h, batch_first=True)
        self.head = nn.Linear(h, out)
        w_hh, b_ih, b_hh = (
            getattr(self.rnn, k) for k in ("weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
        )
        with torch.no_grad():
            if scale is not None:
                for block in torch.split(w_hh, h):
                    nn.init.orthogonal_(block).mul_(scale)
            if forget is not None:
                b_ih[h : 2 * h], b_hh[h : 2 * h] = forget, 0.0

    def forward(self, x: Tensor) -> Tensor:
        """The read-out of the last hidden state, shape (batch, output_size)."""
        out, _ = self.rnn(x)
        result: Tensor = self.head(out[:, -1])
        return result


@dataclass
class StateGrads:
    """Norms of :math:`\\partial \\mathcal{L}/\\partial h_s` (``h``) and, for an LSTM,
    :math:`\\partial \\mathcal{L}/\\partial C_s` (``c``, else ``None``): shape (M, T), the
    Frobenius norm over the batch and the units, step ``s = 1..T`` in column ``s - 1``."""

    h: Tensor
    c: Tensor | None


class StackedRecurrent:
    """``M`` :class:`RecurrentNet` s of one architecture as one batched model.

    Every parameter is a view into one (M, P) buffer ``flat`` (PyTorch's parameters in the order
    ``weight_ih, weight_hh, bias_ih, bias_hh``, then the read-out's weight and bias), and
    :meth:`loss_and_grad` writes the gradients into a second one, ``flat_grad``.

    >>> nets = [RecurrentNet("rnn", 2, 3, recurrent_scale=r) for r in (0.5, 2.0)]
    >>> s = StackedRecurrent(nets)
    >>> [round(v, 4) for v in torch.linalg.matrix_norm(s.params["weight_hh"], ord=2).tolist()]
    [0.5, 2.0]
    """

    def __init__(self, nets: Sequence[RecurrentNet]) -> None:
        if isinstance(nets, nn.Module) or not isinstance(nets, Sequence) or not nets:
            raise TypeError("nets must be a non-empty sequence of RecurrentNet")
        for k, net in enumerate(nets):
            if not isinstance(net, RecurrentNet):
                raise TypeError(f"nets[{k}] must be a RecurrentNet, got {type(net).__name__}")
        if len({(n.cell, *(p.shape for p in n.parameters())) for n in nets}) != 1:
            raise ValueError("nets must share one architecture (cell and sizes)")
        self.cell, self.hidden = nets[0].cell, nets[0].rnn.hidden_size
        tensors = [[p.detach() for p in n.rnn.parameters()] for n in nets]
        for t, n in zip(tensors, nets, strict=True):
            t += [n.head.weight.detach(), n.head.bias.detach()]
        stacked = [torch.stack([t[k] for t in tensors]) for k in range(len(_NAMES))]
        sizes = [s[0].numel() for s in stacked]
        self.flat = torch.cat([s.reshape(len(nets), -1) for s in stacked], dim=1)
        self.flat_grad = torch.zeros_like(self.flat)
        views = torch.split(self.flat, sizes, dim=1)
        self.params = {k: v.view(s.shape) for k, v, s in zip(_NAMES, views, stacked, strict=True)}
        grads = torch.split(self.flat_grad, sizes, dim=1)
        self._grads = {k: g.view(s.shape) for k, g, s in zip(_NAMES, grads, stacked, strict=True)}

    @property
    def members(self) -> int:
        """Number of networks ``M``."""
        return int(self.flat.shape[0])

    def member_state(self, index: int) -> dict[str, Tensor]:
        """Member ``index``'s parameters as a state dict that a :class:`RecurrentNet` loads."""
        p = {k: v[index].clone() for k, v in self.params.items()}
        names = [f"rnn.{k}_l0" for k in _NAMES[:4]] + ["head.weight", "head.bias"]
        return dict(zip(names, p.values(), strict=True))

    def _inputs(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """The buffer (T, M, batch, inputs + hidden) whose step ``s`` will hold
        :math:`[x_s, h_{s-1}]`, inputs filled in; :math:`[U, W]^\\top` and the bias. Rows that
        feed a tanh are doubled (exact in floating point) so that a sigmoid, faster than tanh
        on CPUs where torch's tanh is not vectorised, gives :math:`\\tanh z = 2\\sigma(2z) - 1`."""
        if not isinstance(x, Tensor) or x.ndim not in (3, 4):
            shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(
                f"x must be a (batch, T, inputs) or (M, batch, T, inputs) tensor, got {shape}"
            )
        p, hid = self.params, self.hidden
        if x.shape[-1] != p["weight_ih"].shape[2]:
            raise ValueError(
                f"x has {x.shape[-1]} inputs per step; the networks take {p['weight_ih'].shape[2]}"
            )
        w = torch.cat([p["weight_ih"], p["weight_hh"]], dim=2)
        bias = p["bias_ih"] + p["bias_hh"]
        rows = slice(None) if self.cell == "rnn" else slice(2 * hid, 3 * hid)
        w[:, rows] *= 2.0
        bias[:, rows] *= 2.0
        b, steps, n_in = x.shape[-3:]
        xh = w.new_zeros(steps, self.members, b, n_in + hid)
        xt = x.to(w.dtype).movedim(-2, 0)  # (T, [M,] batch, inputs)
        xh[..., :n_in] = xt if x.ndim == 4 else xt[:, None]
        return xh, w.mT, bias[:, None]

    def _forward(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
        """Predictions (M, batch, out), the last state, the filled buffer, every step's
        activations (T, M, batch, gates): states (RNN) or gates :math:`i, \\gamma, u, o` (LSTM),
        and the LSTM's cells :math:`C_0..C_T` and :math:`\\tanh C_1..\\tanh C_T` (else empty)."""
        xh, w_t, bias = self._inputs(x)
        steps, n_in, hid = xh.shape[0], xh.shape[-1] - self.hidden, self.hidden
        acts = xh.new_empty(steps, *xh.shape[1:3], w_t.shape[2])
        lstm = self.cell == "lstm"
        cells = xh.new_zeros(steps + 1 if lstm else 0, *xh.shape[1:3], hid)
        tanh_c = xh.new_empty(steps if lstm else 0, *xh.shape[1:3], hid)
        h = xh[0, ..., n_in:]
        for s in range(steps):
            a = torch.baddbmm(bias, xh[s], w_t, out=acts[s]).sigmoid_()
            if lstm:
                i, f, u, o = torch.split(a, hid, dim=2)
                u.mul_(2.0).sub_(1.0)  # tanh(z) = 2 sigmoid(2z) - 1, z doubled above
                c = torch.addcmul(f * cells[s], i, u, out=cells[s + 1])
                h = o * torch.tanh(c, out=tanh_c[s])
            else:
                h = a.mul_(2.0).sub_(1.0)
            if s + 1 < steps:
                xh[s + 1, ..., n_in:] = h
        out = torch.baddbmm(self.params["head_b"][:, None], h, self.params["head_w"].mT)
        return out, h, xh, acts, cells, tanh_c

    def predict(self, x: Tensor) -> Tensor:
        """Every member's prediction for ``x``, shape (M, batch, outputs)."""
        with torch.no_grad():
            return self._forward(x)[0]

    def mse(self, x: Tensor, y: Tensor) -> Tensor:
        """Every member's mean squared error on (x, y), shape (M,)."""
        return (self.predict(x) - y.to(self.flat.dtype)).square().mean(dim=(1, 2))

    def loss_and_grad(self, x: Tensor, y: Tensor, norms: bool = False) -> tuple[Tensor, StateGrads]:
        """Each member's mean squared error (M,), its gradient written into ``flat_grad``, and
        (with ``norms``) the norms of the gradients with respect to the states.

        Backpropagation through time, by hand: :math:`\\delta h_T = W_o^\\top \\delta \\hat y`,
        then for :math:`s = T, \\dots, 1` the pre-activation gradient :math:`\\delta z_s` (for
        the RNN :math:`\\tanh'(z_s) \\odot \\delta h_s`) and :math:`\\delta h_{s-1} = W^\\top
        \\delta z_s`; the LSTM also carries :math:`\\delta C_{s-1} = \\gamma_s \\odot \\delta C_s`.
        """
        out, h_last, xh, acts, cells, tanh_c = self._forward(x)
        err = out - y.to(out.dtype)
        loss = err.square().mean(dim=(1, 2))
        g, hid, w = self._grads, self.hidden, self.params["weight_hh"]
        dout = err * (2.0 / (err.shape[1] * err.shape[2]))
        g["head_w"].copy_(torch.bmm(dout.mT, h_last))
        g["head_b"].copy_(dout.sum(dim=1))
        dh, dc = torch.bmm(dout, self.params["head_w"]), torch.zeros_like(h_last)
        steps, n_in = xh.shape[0], xh.shape[-1] - hid
        dz_all = torch.empty_like(acts)
        h_norm, c_norm = out.new_zeros(self.members, steps), out.new_zeros(self.members, steps)
        # All that does not depend on the recursion, for every step at once: the RNN's
        # tanh'(z_s); the LSTM's q_s with dz_s = [dC, dC, dC, dh] * q_s, and o * tanh'(C_s).
        if self.cell == "rnn":
            q = 1.0 - acts.square()
        else:
            i, f, u, o = torch.split(acts, hid, dim=3)
            deriv = acts * (1.0 - acts)
            deriv[..., 2 * hid : 3 * hid] = 1.0 - u.square()
            q = torch.cat([u, cells[:-1], i, tanh_c], dim=3).mul_(deriv)
            o_tanh = o * (1.0 - tanh_c.square())
        for s in range(steps - 1, -1, -1):  # step s + 1 of the equations
            if norms:
                h_norm[:, s] = torch.linalg.vector_norm(dh, dim=(1, 2))
            if self.cell == "rnn":
                torch.mul(dh, q[s], out=dz_all[s])
            else:
                dc = torch.addcmul(dc, dh, o_tanh[s])
                if norms:
                    c_norm[:, s] = torch.linalg.vector_norm(dc, dim=(1, 2))
                torch.mul(torch.cat([dc, dc, dc, dh], dim=2), q[s], out=dz_all[s])
                dc = dc * f[s]
            dh = torch.bmm(dz_all[s], w)
        grad_w = torch.einsum("tmbg,tmbk->mgk", dz_all, xh)
        g["weight_ih"].copy_(grad_w[..., :n_in])
        g["weight_hh"].copy_(grad_w[..., n_in:])
        g["bias_ih"].copy_(dz_all.sum(dim=(0, 2)))
        g["bias_hh"].copy_(g["bias_ih"])
        return loss, StateGrads(h_norm, c_norm if self.cell == "lstm" else None)


@dataclass
class RecurrentHistory:
    """What :func:`train` records, the members along one dimension.

    ``step_loss`` and ``grad_norm`` (steps, M): each mini-batch's loss and the norm of the
    member's whole gradient before clipping (NaN once a member is stopped); ``train_loss``
    (epochs, M): the mean mini-batch loss of each epoch; ``val_loss`` (evals, M) after the epochs
    in ``eval_epochs``; ``test_loss`` (M,): the test set, scored once, after training;
    ``diverged``: member index -> message, for every member that was stopped.
    """

    members: list[Member]
    max_norms: list[float | None]
    step_loss: Tensor
    grad_norm: Tensor
    train_loss: Tensor
    eval_epochs: list[int]
    val_loss: Tensor
    test_loss: Tensor
    diverged: dict[int, str]
    model: StackedRecurrent

    @property
    def steps(self) -> int:
        """Optimizer steps taken (by the members that did not diverge)."""
        return int(self.step_loss.shape[0])


def _check_max_norms(max_norm: object, m: int) -> list[float | None]:
    if max_norm is None or isinstance(max_norm, (int, float)):
        values: list[object] = [max_norm] * m
    elif isinstance(max_norm, Sequence) and not isinstance(max_norm, str):
        if len(max_norm) != m:
            raise ValueError(f"max_norm has {len(max_norm)} entries but members has {m}")
        values = list(max_norm)
    else:
        raise TypeError(f"max_norm must be a number, None or a sequence, got {max_norm!r}")
    return [
        None if v is None else _check_number(f"max_norm[{k}]", v, low=0.0, low_open=True)
        for k, v in enumerate(values)
    ]


def train(
    build: Callable[[Member], nn.Module],
    members: Sequence[Member],
    data: Split,
    epochs: int,
    batch_size: int = 32,
    max_norm: float | Sequence[float | None] | None = None,
    dtype: torch.dtype | None = None,
    eval_every: int = 1,
) -> RecurrentHistory:
    """Train every member on the mean squared error as one :class:`StackedRecurrent`.

    As :func:`nag_lib.ensemble.train`: ``build(member)`` returns a fresh :class:`RecurrentNet`,
    called after ``seed_everything(member.seed)`` once per (seed, setting); each member draws its
    batches from its own generator (one ``torch.randperm`` per epoch) and steps with its own
    optimizer kind, learning rate and momentum or betas. ``max_norm`` clips each member's
    gradient as ``torch.nn.utils.clip_grad_norm_(net.parameters(), max_norm)`` would: one
    threshold for all, or one per member (``None``: no clipping). A member whose loss or
    gradient norm is not finite is stopped before it steps and named in ``diverged``; the
    others go on. Training runs on one intra-op thread (:func:`nag_lib.repro.one_thread`).
    """
    if not callable(build):
        raise TypeError(f"build must be callable, got {type(build).__name__}")
    members = _check_members(members)
    if not isinstance(data, Split) or data.x_val is None or data.y_val is None:
        raise TypeError("data must be a nag_lib.data.Split with a validation set")
    if data.x_train.ndim != 3 or data.y_train.ndim != 2:
        raise ValueError(
            "data.x_train must be (sequences, steps, inputs) and data.y_train (sequences, "
            f"outputs), got {tuple(data.x_train.shape)} and {tuple(data.y_train.shape)}"
        )
    _check_positive_int("epochs", epochs)
    _check_positive_int("batch_size", batch_size)
    _check_positive_int("eval_every", eval_every)
    clips = _check_max_norms(max_norm, len(members))
    if dtype is not None and not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
        raise TypeError(f"dtype must be a floating-point torch.dtype, got {dtype!r}")
    model = StackedRecurrent(_build_all(build, members, dtype))  # type: ignore[arg-type]
    dt, big_m, n = model.flat.dtype, len(members), int(data.x_train.shape[0])
    x_tr, y_tr = data.x_train.to(dt), data.y_train.to(dt)
    segments = _segments(members, dt)
    clip = torch.tensor([math.inf if c is None else c for c in clips], dtype=dt)
    gens = {s: torch.Generator().manual_seed(s) for s in sorted({m.seed for m in members})}
    seed_row = torch.tensor([sorted(gens).index(m.seed) for m in members])
    per_epoch = math.ceil(n / batch_size)
    step_loss = torch.full((epochs * per_epoch, big_m), math.nan, dtype=dt)
    grad_norm, train_loss = step_loss.clone(), torch.full((epochs, big_m), math.nan, dtype=dt)
    alive, diverged, val, eval_epochs, step = torch.ones(big_m, dtype=torch.bool), {}, [], [], 0
    with one_thread():
        for epoch in range(epochs):
            orders = torch.stack([torch.randperm(n, generator=g) for g in gens.values()])[seed_row]
            for first in range(0, n, batch_size):
                idx = orders[:, first : first + batch_size]
                loss, _ = model.loss_and_grad(x_tr[idx], y_tr[idx])
                norm = model.flat_grad.norm(dim=1)
                bad = alive & ~(torch.isfinite(loss) & torch.isfinite(norm))
                for i in bad.nonzero().flatten().tolist():
                    m = members[i]
                    diverged[i] = (
                        f"member {i} ({m.kind}, lr={m.lr:g}, seed {m.seed}, max_norm "
                        f"{clips[i]}) diverged: loss = {float(loss[i]):.3g}, gradient norm = "
                        f"{float(norm[i]):.3g} at epoch {epoch}, step {step}; it was stopped "
                        "there (lower its learning rate or clip its gradient)"
                    )
                if bool(bad.any()):
                    alive &= ~bad
                    for seg in segments:
                        seg.refresh(alive)
                coef = (clip / (norm + _CLIP_EPS)).clamp(max=1.0)
                model.flat_grad.copy_(
                    torch.where(alive[:, None], model.flat_grad * coef[:, None], 0.0)
                )
                step_loss[step] = torch.where(alive, loss, math.nan)
                grad_norm[step] = torch.where(alive, norm, math.nan)
                step += 1
                for seg in segments:
                    seg.step(model.flat, model.flat_grad, step, 1.0)
            train_loss[epoch] = step_loss[step - per_epoch : step].mean(dim=0)
            if (epoch + 1) % eval_every == 0 or epoch == epochs - 1:
                eval_epochs.append(epoch + 1)
                val.append(torch.where(alive, model.mse(data.x_val, data.y_val), math.nan))
        test = torch.where(alive, model.mse(data.x_test, data.y_test), math.nan)
    return RecurrentHistory(
        members, clips, step_loss, grad_norm, train_loss, eval_epochs, torch.stack(val), test,
        diverged, model,
    )  # fmt: skip
