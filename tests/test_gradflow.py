"""nag_lib.gradflow: per-layer gradient norms measure what backprop returns, and nothing else."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from nag_lib.gradflow import (
    dead_fraction,
    dead_unit_fraction,
    first_last_ratio,
    gradient_profile,
    layer_grad_norms,
)
from nag_lib.models import MLP


def _batch(n: int = 32, d: int = 8, classes: int = 3, seed: int = 0) -> tuple[torch.Tensor, ...]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=g, dtype=torch.float64), torch.randint(
        classes, (n,), generator=g
    )


def _net(seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(8, 6), nn.Tanh(), nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 3))


def test_layer_grad_norms_are_the_frobenius_norms_of_the_weight_gradients_input_side_first() -> (
    None
):
    net = _net().double()
    x, y = _batch()
    nn.functional.cross_entropy(net(x), y).backward()
    expected = [float(net[i].weight.grad.norm()) for i in (0, 2, 4)]
    assert layer_grad_norms(net) == expected


def test_per_element_norm_is_the_root_mean_square_gradient_entry() -> None:
    net = _net().double()
    x, y = _batch()
    nn.functional.cross_entropy(net(x), y).backward()
    rms = [float(net[i].weight.grad.pow(2).mean().sqrt()) for i in (0, 2, 4)]
    assert layer_grad_norms(net, per_element=True) == pytest.approx(rms, rel=1e-12)


def test_layer_grad_norms_rejects_what_it_cannot_measure() -> None:
    with pytest.raises(TypeError, match=r"model must be an nn\.Module"):
        layer_grad_norms("net")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"no nn\.Linear"):
        layer_grad_norms(nn.Sequential(nn.Tanh()))
    with pytest.raises(ValueError, match="layer 0 has no gradient"):
        layer_grad_norms(_net())
    with pytest.raises(TypeError, match="per_element must be a bool"):
        layer_grad_norms(_net(), per_element=1)  # type: ignore[arg-type]


def test_gradient_profile_equals_a_manual_backward_and_changes_no_weight() -> None:
    x, y = _batch()
    manual = _net().double()
    nn.functional.cross_entropy(manual(x), y).backward()
    net = _net().double()
    before = [p.detach().clone() for p in net.parameters()]
    assert gradient_profile(net, x, y) == layer_grad_norms(manual)
    assert all(torch.equal(p, q) for p, q in zip(net.parameters(), before, strict=True))


def test_gradient_profile_clears_stale_gradients_instead_of_accumulating() -> None:
    x, y = _batch()
    net = _net().double()
    assert gradient_profile(net, x, y) == gradient_profile(net, x, y)


def test_gradient_profile_uses_the_given_loss() -> None:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 1)).double()
    x = torch.randn(10, 4, dtype=torch.float64)
    t = torch.randn(10, 1, dtype=torch.float64)
    mse = gradient_profile(net, x, t, loss_fn=nn.functional.mse_loss)
    half = gradient_profile(net, x, t, loss_fn=lambda o, u: 0.5 * nn.functional.mse_loss(o, u))
    assert half == pytest.approx([v / 2 for v in mse], rel=1e-12)


@settings(max_examples=25, deadline=None)
@given(scale=st.floats(min_value=1e-6, max_value=1e6))
def test_gradient_norms_scale_linearly_with_the_loss(scale: float) -> None:
    x, y = _batch()
    net = _net().double()
    base = gradient_profile(net, x, y)
    scaled = gradient_profile(
        net, x, y, loss_fn=lambda o, t: scale * nn.functional.cross_entropy(o, t)
    )
    assert scaled == pytest.approx([scale * v for v in base], rel=1e-9)


def test_gradient_profile_rejects_bad_batches_and_losses() -> None:
    x, y = _batch()
    with pytest.raises(TypeError, match="x and y must be Tensors"):
        gradient_profile(_net(), x.tolist(), y)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="same non-zero number of samples"):
        gradient_profile(_net(), x, y[:-1])
    with pytest.raises(ValueError, match="same non-zero number of samples"):
        gradient_profile(_net(), x[:0], y[:0])
    with pytest.raises(TypeError, match="loss_fn must be callable"):
        gradient_profile(_net(), x, y, loss_fn="mse")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"model must be an nn\.Module"):
        gradient_profile(None, x, y)  # type: ignore[arg-type]


def test_first_last_ratio_compares_first_and_last_hidden_layers_unless_asked_for_the_head() -> None:
    norms = [2e-6, 1e-3, 4.0, 100.0]
    assert first_last_ratio(norms) == pytest.approx(5e-7)
    assert first_last_ratio(norms, include_head=True) == pytest.approx(2e-8)
    assert first_last_ratio((3.0, 3.0), include_head=True) == 1.0


@pytest.mark.parametrize(
    ("norms", "message"),
    [
        ([1.0, 2.0], "at least 3 layers"),
        ([1.0, float("nan"), 2.0], "finite and >= 0"),
        ([1.0, -1.0, 2.0], "finite and >= 0"),
        ([1.0, 0.0, 2.0], "ratio is undefined"),
    ],
)
def test_first_last_ratio_rejects_lists_it_cannot_divide(norms: list[float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        first_last_ratio(norms)


def _profile(activation: str, init: str, depth: int = 15) -> list[float]:
    torch.manual_seed(0)
    net = MLP(16, 4, depth=depth, width=16, activation=activation, init=init).double()
    x, y = _batch(n=64, d=16, classes=4)
    return gradient_profile(net, x, y)


def test_deep_sigmoid_gradient_vanishes_geometrically_while_leaky_relu_with_he_keeps_it() -> None:
    sig = _profile("sigmoid", "xavier")
    leaky = _profile("leaky_relu", "he")
    assert first_last_ratio(sig) < 1e-6  # each sigmoid layer contributes a factor <= 1/4 * ||W||
    assert 0.1 < first_last_ratio(leaky) < 10.0
    # geometric: the norms grow layer by layer from the input side in the sigmoid net
    assert sum(b > a for a, b in itertools.pairwise(sig[:-1])) >= len(sig) - 4


def test_oversized_tanh_weights_make_the_gradient_explode_toward_the_input() -> None:
    x, y = _batch(n=64, d=16, classes=4)
    ratios = []
    for scale in (1.0, 3.0):
        torch.manual_seed(0)
        net = MLP(16, 4, depth=15, width=16, activation="tanh", init="xavier", weight_scale=scale)
        ratios.append(first_last_ratio(gradient_profile(net.double(), x, y)))
    assert ratios[0] < 10.0 < 100.0 < ratios[1]


def test_oversized_leaky_relu_weights_scale_every_layer_gradient_up_together() -> None:
    x, y = _batch(n=64, d=16, classes=4)
    totals, ratios = [], []
    for scale in (1.0, 2.0):
        torch.manual_seed(0)
        net = MLP(16, 4, depth=15, width=16, activation="leaky_relu", init="he", weight_scale=scale)
        norms = gradient_profile(net.double(), x, y)
        totals.append(math.sqrt(sum(v * v for v in norms)))
        ratios.append(first_last_ratio(norms))
    assert totals[1] > 1e3 * totals[0]  # the gradient explodes ...
    assert 0.1 < ratios[1] < 10.0  # ... in every layer alike: a homogeneous net's forward grows too


def test_dead_fraction_counts_the_columns_that_are_never_positive() -> None:
    acts = torch.tensor([[-1.0, 0.0, 2.0, -3.0], [-2.0, 0.0, -1.0, 1.0]])
    assert dead_fraction(acts) == 0.5


def test_dead_fraction_rejects_non_tensors_and_wrong_shapes() -> None:
    with pytest.raises(TypeError, match="activations must be a Tensor"):
        dead_fraction([[1.0]])  # type: ignore[arg-type]
    for bad in (torch.zeros(3), torch.zeros(0, 2), torch.zeros(2, 0)):
        with pytest.raises(ValueError, match=r"shape \(batch, units\)"):
            dead_fraction(bad)


def test_dead_unit_fraction_reads_each_activation_input_and_removes_its_hooks() -> None:
    net = nn.Sequential(nn.Linear(1, 2), nn.ReLU(), nn.Linear(2, 4), nn.LeakyReLU())
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[1.0], [-1.0]]))
        net[0].bias.zero_()
        net[2].weight.fill_(-1.0)
        net[2].bias.zero_()
    x = torch.tensor([[1.0], [2.0]])
    assert dead_unit_fraction(net, x) == [0.5, 1.0]
    assert all(not m._forward_hooks for m in net.modules())


def test_dead_unit_fraction_removes_its_hooks_even_when_the_forward_pass_fails() -> None:
    net = nn.Sequential(nn.Linear(3, 2), nn.ReLU())
    with pytest.raises(RuntimeError):
        dead_unit_fraction(net, torch.zeros(2, 5))
    assert not net[1]._forward_hooks


def test_dead_unit_fraction_rejects_models_without_the_requested_activations() -> None:
    with pytest.raises(ValueError, match="no activation layer"):
        dead_unit_fraction(nn.Sequential(nn.Linear(2, 2), nn.Tanh()), torch.zeros(1, 2))
    with pytest.raises(TypeError, match=r"model must be an nn\.Module"):
        dead_unit_fraction(object(), torch.zeros(1, 2))  # type: ignore[arg-type]


def test_rms_and_frobenius_norms_differ_by_the_square_root_of_the_size() -> None:
    net = _net().double()
    x, y = _batch()
    fro = gradient_profile(net, x, y)
    rms = gradient_profile(net, x, y, per_element=True)
    sizes = [48, 30, 15]
    assert [f / r for f, r in zip(fro, rms, strict=True)] == pytest.approx(
        [math.sqrt(s) for s in sizes]
    )
