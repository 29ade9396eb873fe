"""nag_lib.recurrent: the hand-written backpropagation through time equals autograd through
torch.nn.RNN and torch.nn.LSTM; every member of a stack ends where the same network trained alone
(torch's modules, nag_lib.optim, torch.nn.utils.clip_grad_norm_) ends; clipping and divergence
act per member; the adding problem is what its docstring says."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from nag_lib import recurrent
from nag_lib.data import Split
from nag_lib.ensemble import Member, grid
from nag_lib.optim import make_optimizer
from nag_lib.recurrent import RecurrentNet, StackedRecurrent, adding_problem, train
from nag_lib.repro import seed_everything


def _nets(cell: str, m: int, inputs: int, hidden: int, seed: int = 0) -> list[RecurrentNet]:
    seed_everything(seed)
    fb = 1.0 if cell == "lstm" else None
    return [RecurrentNet(cell, inputs, hidden, forget_bias=fb).double() for _ in range(m)]


def _autograd_grad(net: RecurrentNet, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    net.zero_grad()
    loss = (net(x) - y).square().mean()
    loss.backward()  # type: ignore[no-untyped-call]
    params = [*net.rnn.parameters(), *net.head.parameters()]
    return torch.cat([p.grad.flatten() for p in params])  # type: ignore[union-attr]


def _rel(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).norm() / b.norm())


@settings(max_examples=12, deadline=None)
@given(
    cell=st.sampled_from(recurrent.CELLS),
    hidden=st.integers(1, 6),
    inputs=st.integers(1, 3),
    batch=st.integers(1, 5),
    steps=st.integers(1, 7),
    shared=st.booleans(),
)
def test_backprop_through_time_equals_autograd_through_torch_modules(
    cell: str, hidden: int, inputs: int, batch: int, steps: int, shared: bool
) -> None:
    nets = _nets(cell, 3, inputs, hidden)
    stack = StackedRecurrent(nets)
    gen = torch.Generator().manual_seed(steps)
    x = torch.randn(3, batch, steps, inputs, generator=gen, dtype=torch.float64)
    y = torch.randn(3, batch, 1, generator=gen, dtype=torch.float64)
    if shared:  # one batch for every member
        x, y = x[0], y[0]
    loss, _ = stack.loss_and_grad(x, y)
    for k, net in enumerate(nets):
        xk, yk = (x, y) if shared else (x[k], y[k])
        expected = float((net(xk) - yk).square().mean().detach())
        assert float(loss[k]) == pytest.approx(expected, rel=1e-12)
        assert _rel(stack.flat_grad[k], _autograd_grad(net, xk, yk)) <= 1e-12
        assert torch.allclose(stack.predict(x)[k], net(xk).detach(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("cell", recurrent.CELLS)
def test_state_gradient_norms_are_those_of_autograd(cell: str) -> None:
    (net,) = _nets(cell, 1, 2, 4)
    x, y = adding_problem(9, n_train=5, n_val=1, n_test=1).x_train.double(), torch.ones(5, 1)
    _, norms = StackedRecurrent([net]).loss_and_grad(x, y.double(), norms=True)
    cellmod = (nn.LSTMCell if cell == "lstm" else nn.RNNCell)(2, 4).double()
    cellmod.load_state_dict({k.replace("_l0", ""): v for k, v in net.rnn.state_dict().items()})
    h = c = torch.zeros(5, 4, dtype=torch.float64)
    hs, cs = [], []
    for s in range(9):
        if isinstance(cellmod, nn.LSTMCell):
            h, c = cellmod(x[:, s], (h, c))
            cs.append(c)
        else:
            h = cellmod(x[:, s], h)
        hs.append(h)
    loss = (net.head(h) - y.double()).square().mean()
    grads = torch.autograd.grad(loss, hs + cs)
    h_ref = torch.stack([g.norm() for g in grads[:9]])
    assert torch.allclose(norms.h[0], h_ref, rtol=1e-10)
    if cell == "lstm":
        assert norms.c is not None
        assert torch.allclose(norms.c[0], torch.stack([g.norm() for g in grads[9:]]), rtol=1e-10)
    else:
        assert norms.c is None


DATA = adding_problem(6, n_train=40, n_val=12, n_test=12, seed=3)
DATA64 = Split(*(t.double() for t in (DATA.x_train, DATA.y_train, DATA.x_test, DATA.y_test)),
               DATA.x_val.double(), DATA.y_val.double())  # type: ignore[union-attr]  # fmt: skip


def _alone(cell: str, m: Member, max_norm: float | None, epochs: int, batch: int) -> tuple[
    RecurrentNet, list[float]
]:  # fmt: skip
    """The same network, trained alone by torch's modules, nag_lib.optim and clip_grad_norm_."""
    seed_everything(m.seed)
    net = RecurrentNet(cell, 2, 3).double()
    opt = make_optimizer(m.kind, net.parameters(), lr=m.lr, momentum=m.momentum)
    gen, losses, n = torch.Generator().manual_seed(m.seed), [], DATA64.x_train.shape[0]
    for _ in range(epochs):
        order = torch.randperm(n, generator=gen)
        for first in range(0, n, batch):
            idx = order[first : first + batch]
            opt.zero_grad()
            loss = (net(DATA64.x_train[idx]) - DATA64.y_train[idx]).square().mean()
            loss.backward()  # type: ignore[no-untyped-call]
            if max_norm is not None:
                nn.utils.clip_grad_norm_(net.parameters(), max_norm)
            opt.step()
            losses.append(float(loss.detach()))
    return net, losses


@pytest.mark.parametrize("cell", recurrent.CELLS)
def test_every_member_ends_where_the_torch_network_trained_alone_ends(cell: str) -> None:
    members = grid({"sgd": [0.5], "nag": [0.1], "adam": [0.03]}, seeds=[0, 1])
    clips = [None, 0.05, 0.05, None, None, 0.01]  # clipping that acts, per member
    hist = train(lambda _: RecurrentNet(cell, 2, 3), members, DATA64, 3, 16, clips, torch.float64)
    assert hist.diverged == {}
    for i, m in enumerate(members):
        net, losses = _alone(cell, m, clips[i], 3, 16)
        theirs = net.state_dict()
        for name, mine in hist.model.member_state(i).items():
            assert torch.allclose(mine, theirs[name], rtol=1e-9, atol=1e-12), (i, name)
        assert torch.allclose(hist.step_loss[:, i], torch.tensor(losses, dtype=torch.float64))
    clipped = [i for i, c in enumerate(clips) if c is not None]
    assert bool((hist.grad_norm[:, clipped] > 0.05).any())  # the thresholds did act


def test_clipping_bounds_every_members_step_by_lr_times_the_threshold() -> None:
    members = [Member("sgd", 1.0, seed=0)] * 3  # one network, one batch, three thresholds
    clips = [None, 1e-3, 1e-2]
    hist = train(lambda _: RecurrentNet("rnn", 2, 3), members, DATA64, 1, 40, clips, torch.float64)
    seed_everything(0)
    start = StackedRecurrent([RecurrentNet("rnn", 2, 3).double()]).flat[0]
    moved = (hist.model.flat - start).norm(dim=1)
    assert hist.step_loss.shape[0] == 1  # one step of plain gradient descent
    assert float(hist.grad_norm[0, 0]) > 1e-2  # the gradient is larger than both thresholds
    assert float(moved[0]) == pytest.approx(float(hist.grad_norm[0, 0]), rel=1e-12)
    assert float(moved[1]) == pytest.approx(1e-3, rel=1e-5)  # lr * c
    assert float(moved[2]) == pytest.approx(1e-2, rel=1e-5)


def test_a_diverging_member_is_stopped_and_named_while_the_others_train() -> None:
    members = [Member("sgd", 1e4, seed=0), Member("adam", 0.01, seed=0)]
    build = lambda _: RecurrentNet("rnn", 2, 3, recurrent_scale=3.0)  # noqa: E731
    hist = train(build, members, DATA64, 4, 8)
    assert list(hist.diverged) == [0]
    msg = hist.diverged[0]
    assert "member 0 (sgd, lr=10000" in msg and "diverged" in msg and "step" in msg
    stop = int(torch.isnan(hist.step_loss[:, 0]).nonzero()[0])
    assert torch.isnan(hist.step_loss[stop:, 0]).all() and math.isnan(float(hist.test_loss[0]))
    assert torch.isfinite(hist.step_loss[:, 1]).all() and math.isfinite(float(hist.test_loss[1]))


def test_adding_problem_marks_two_steps_of_the_first_half_and_sums_their_values() -> None:
    d = adding_problem(10, n_train=3000, n_val=10, n_test=10, centre=False, seed=1)
    x, y = d.x_train, d.y_train
    assert torch.equal(x[..., 1].sum(dim=1), torch.full((3000,), 2.0))
    assert float(x[:, 5:, 1].abs().sum()) == 0.0  # no marker in the second half
    assert torch.allclose((x[..., 0] * x[..., 1]).sum(dim=1, keepdim=True), y)
    assert abs(float((y - 1.0).square().mean()) - 1 / 6) < 0.01  # predicting the mean: 1/6
    centred = adding_problem(10, n_train=3000, n_val=10, n_test=10, seed=1)
    assert torch.equal(centred.x_train[..., 0], x[..., 0] - 0.5)
    assert torch.equal(centred.y_train, y)
    splits = (d.x_train, d.x_val, d.x_test)
    assert len({t.data_ptr() for t in splits}) == 3 and d.x_val.shape[0] == 10  # type: ignore[union-attr]


def test_recurrent_scale_and_forget_bias_set_what_they_say() -> None:
    net = RecurrentNet("lstm", 2, 5, recurrent_scale=0.7, forget_bias=3.0)
    for block in net.rnn.weight_hh_l0.detach().split(5):
        assert torch.allclose(torch.linalg.svdvals(block), torch.full((5,), 0.7), atol=1e-5)
    total = net.rnn.bias_ih_l0 + net.rnn.bias_hh_l0
    assert torch.equal(total[5:10].detach(), torch.full((5,), 3.0))
    with pytest.raises(ValueError, match="forget_bias"):
        RecurrentNet("rnn", 2, 5, forget_bias=1.0)


def test_nets_of_two_architectures_are_refused() -> None:
    with pytest.raises(ValueError, match="nets"):
        StackedRecurrent([RecurrentNet("rnn", 2, 3), RecurrentNet("lstm", 2, 3)])
    with pytest.raises(ValueError, match="nets"):
        StackedRecurrent([RecurrentNet("rnn", 2, 3), RecurrentNet("rnn", 2, 4)])
