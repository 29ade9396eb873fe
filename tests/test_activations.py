"""nag_lib.activations: Leaky ReLU is PyTorch's leaky_relu, the source posts' formula does not leak,
and the classic derivatives obey their textbook bounds."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from nag_lib.activations import (
    SlopeEnsemble,
    leaky_relu,
    leaky_relu_gain,
    leaky_relu_grad,
    sigmoid_grad,
    source_leaky_formula,
    source_leaky_formula_grad,
    tanh_grad,
    train_ensemble,
)
from nag_lib.data import Split
from nag_lib.gradflow import dead_unit_fraction
from nag_lib.models import MLP
from nag_lib.training import accuracy, train

DTYPES = {"float32": (np.float32, torch.float32), "float64": (np.float64, torch.float64)}
slopes = st.floats(min_value=0.0, max_value=1.0, exclude_max=True, allow_nan=False)
positive_slopes = st.floats(min_value=1e-3, max_value=10.0, allow_nan=False)


@st.composite
def tensors(draw: st.DrawFn, low: float = -1e3, high: float = 1e3) -> torch.Tensor:
    """Finite float32 or float64 tensors of 1 to 3 dimensions, zeros included."""
    np_dtype, _ = DTYPES[draw(st.sampled_from(sorted(DTYPES)))]
    elements = st.floats(
        min_value=low, max_value=high, allow_nan=False, width=np.dtype(np_dtype).itemsize * 8
    )
    shape = array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6)
    return torch.from_numpy(draw(arrays(np_dtype, shape, elements=elements)))


@settings(max_examples=60, deadline=None)
@given(x=tensors(), a=slopes)
def test_leaky_relu_equals_torch_functional_leaky_relu_and_max_x_ax(
    x: torch.Tensor, a: float
) -> None:
    ours = leaky_relu(x, a)
    assert ours.dtype == x.dtype and ours.shape == x.shape
    assert torch.equal(ours, F.leaky_relu(x, a))
    assert torch.equal(ours, torch.maximum(x, a * x))


def test_default_negative_slope_is_pytorchs_001() -> None:
    x = torch.linspace(-3, 3, 61, dtype=torch.float64)
    assert torch.equal(leaky_relu(x), F.leaky_relu(x))
    assert torch.equal(leaky_relu(x), F.leaky_relu(x, 0.01))
    assert torch.nn.LeakyReLU().negative_slope == 0.01


def test_leaky_relu_is_x_on_the_positive_side_and_alpha_x_on_the_negative_side() -> None:
    x = torch.tensor([-4.0, -0.5, 0.0, 0.5, 4.0], dtype=torch.float64)
    assert leaky_relu(x, 0.25).tolist() == [-1.0, -0.125, 0.0, 0.5, 4.0]
    assert leaky_relu(x, 0.0).tolist() == F.relu(x).tolist()


@settings(max_examples=60, deadline=None)
@given(x=tensors(), a=slopes)
def test_leaky_relu_grad_equals_autograd_of_torch_leaky_relu(x: torch.Tensor, a: float) -> None:
    xr = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(F.leaky_relu(xr, a).sum(), xr)
    assert torch.equal(leaky_relu_grad(x, a), g)


@settings(max_examples=40, deadline=None)
@given(x=tensors(), a=slopes)
def test_leaky_relu_grad_is_one_or_alpha_never_zero_for_positive_alpha(
    x: torch.Tensor, a: float
) -> None:
    g = leaky_relu_grad(x, a)
    assert torch.all((g == 1) | (g == torch.tensor(a, dtype=x.dtype)))
    assert torch.all(g[x > 0] == 1)
    if torch.tensor(a, dtype=x.dtype) > 0:  # a slope that does not underflow in x's dtype
        assert torch.all(g != 0)


@settings(max_examples=60, deadline=None)
@given(x=tensors(low=-1e3, high=-(2.0**-10)), a=positive_slopes)
def test_source_formula_has_zero_output_and_zero_gradient_for_negative_inputs(
    x: torch.Tensor, a: float
) -> None:
    xr = x.clone().requires_grad_(True)
    y = source_leaky_formula(xr, a)
    (g,) = torch.autograd.grad(y.sum(), xr)
    assert torch.all(y == 0) and torch.all(g == 0)
    assert torch.all(source_leaky_formula_grad(x, a) == 0)
    assert torch.all(leaky_relu_grad(x, 0.01) == torch.tensor(0.01, dtype=x.dtype))


@settings(max_examples=60, deadline=None)
@given(x=tensors(), a=positive_slopes, b=st.floats(-5.0, 5.0, allow_nan=False))
def test_source_formula_grad_equals_autograd_and_is_zero_below_minus_b_over_alpha(
    x: torch.Tensor, a: float, b: float
) -> None:
    xr = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(source_leaky_formula(xr, a, b).sum(), xr)
    ours = source_leaky_formula_grad(x, a, b)
    assert torch.equal(ours, g)
    assert torch.all(ours[a * x + b < 0] == 0)


def test_source_formula_shrinks_the_positive_branch_slope_to_alpha() -> None:
    x = torch.tensor([0.5, 1.0, 7.0], dtype=torch.float64)
    assert source_leaky_formula_grad(x, 0.01).tolist() == [0.01, 0.01, 0.01]
    assert leaky_relu_grad(x, 0.01).tolist() == [1.0, 1.0, 1.0]
    assert source_leaky_formula(x, 0.01).tolist() == pytest.approx([0.005, 0.01, 0.07])


@settings(max_examples=60, deadline=None)
@given(x=tensors(low=-50.0, high=50.0))
def test_sigmoid_grad_is_at_most_one_quarter_and_equals_autograd(x: torch.Tensor) -> None:
    xr = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(torch.sigmoid(xr).sum(), xr)
    ours = sigmoid_grad(x)
    tol = 1e-6 if x.dtype == torch.float32 else 1e-12
    assert torch.allclose(ours, g, rtol=tol, atol=tol)
    assert torch.all(ours <= 0.25) and torch.all(ours >= 0)


def test_sigmoid_grad_reaches_one_quarter_at_zero_and_tanh_grad_one() -> None:
    zero = torch.zeros(1, dtype=torch.float64)
    assert sigmoid_grad(zero).item() == 0.25
    assert tanh_grad(zero).item() == 1.0
    x = torch.linspace(-8, 8, 1601, dtype=torch.float64)
    assert sigmoid_grad(x).max().item() == 0.25


@settings(max_examples=60, deadline=None)
@given(x=tensors(low=-20.0, high=20.0))
def test_tanh_grad_is_at_most_one_and_equals_autograd(x: torch.Tensor) -> None:
    xr = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(torch.tanh(xr).sum(), xr)
    ours = tanh_grad(x)
    tol = 1e-6 if x.dtype == torch.float32 else 1e-12
    assert torch.allclose(ours, g, rtol=tol, atol=tol)
    assert torch.all(ours <= 1) and torch.all(ours >= 0)


@settings(max_examples=60, deadline=None)
@given(a=slopes)
def test_leaky_relu_gain_equals_torch_calculate_gain(a: float) -> None:
    assert leaky_relu_gain(a) == pytest.approx(
        torch.nn.init.calculate_gain("leaky_relu", a), rel=1e-15
    )


def test_leaky_relu_gain_keeps_the_second_moment_of_a_he_initialised_layer() -> None:
    g = torch.Generator().manual_seed(0)
    z = torch.randn(400_000, dtype=torch.float64, generator=g)
    for a in (0.0, 0.01, 0.3):
        second_moment = (leaky_relu(z, a) ** 2).mean().item()
        assert second_moment * leaky_relu_gain(a) ** 2 == pytest.approx(1.0, abs=0.01)
    assert leaky_relu_gain(0.0) == math.sqrt(2.0)


@pytest.mark.parametrize(
    "fn", [leaky_relu, leaky_relu_grad, source_leaky_formula, source_leaky_formula_grad]
)
def test_non_tensor_and_integer_inputs_are_rejected_with_a_named_argument(
    fn: Callable[..., torch.Tensor],
) -> None:
    with pytest.raises(TypeError, match=r"x must be a torch\.Tensor"):
        fn([1.0, -1.0])
    with pytest.raises(TypeError, match="x must be a floating-point tensor"):
        fn(torch.tensor([1, -1]))


@pytest.mark.parametrize("fn", [sigmoid_grad, tanh_grad])
def test_derivatives_reject_non_tensors(fn: Callable[..., torch.Tensor]) -> None:
    with pytest.raises(TypeError, match=r"x must be a torch\.Tensor"):
        fn(0.5)


@pytest.mark.parametrize("bad", [1.0, 1.5, -0.1, float("nan")])
def test_negative_slope_outside_zero_one_is_a_value_error(bad: float) -> None:
    x = torch.ones(2)
    with pytest.raises(ValueError, match="negative_slope"):
        leaky_relu(x, bad)
    with pytest.raises(ValueError, match="negative_slope"):
        leaky_relu_grad(x, bad)
    with pytest.raises(ValueError, match="negative_slope"):
        leaky_relu_gain(bad)


@pytest.mark.parametrize("bad", [True, "0.1", None, torch.tensor(0.1)])
def test_negative_slope_of_the_wrong_type_is_a_type_error(bad: object) -> None:
    with pytest.raises(TypeError, match="negative_slope"):
        leaky_relu(torch.ones(2), bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="negative_slope"):
        leaky_relu_gain(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(("name", "kwargs"), [("alpha", {"alpha": "0.1"}), ("b", {"b": None})])
def test_source_formula_names_a_bad_coefficient(name: str, kwargs: dict[str, object]) -> None:
    with pytest.raises(TypeError, match=name):
        source_leaky_formula(torch.ones(2), **kwargs)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=name):
        source_leaky_formula_grad(torch.ones(2), **kwargs)  # type: ignore[arg-type]


def test_source_formula_rejects_non_finite_coefficients() -> None:
    with pytest.raises(ValueError, match="alpha"):
        source_leaky_formula(torch.ones(2), alpha=float("inf"))
    with pytest.raises(ValueError, match="b"):
        source_leaky_formula_grad(torch.ones(2), b=float("nan"))


# --------------------------------------------------------------------------------------------
# SlopeEnsemble / train_ensemble: many networks at once, each exactly as if trained alone
# --------------------------------------------------------------------------------------------
def _nets(slopes: tuple[float, ...] = (0.0, 0.01, 0.3), depth: int = 2) -> list[MLP]:
    nets = []
    for i, a in enumerate(slopes):
        torch.manual_seed(i)
        act = "leaky_relu" if a else "relu"
        nets.append(MLP(6, 3, depth=depth, width=5, activation=act, init="he", negative_slope=a))
    return [n.double() for n in nets]


def _split(n: int = 40, seed: int = 0) -> Split:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 6, generator=g, dtype=torch.float64)
    y = torch.randint(3, (n,), generator=g)
    return Split(x_train=x, y_train=y, x_test=x[:10], y_test=y[:10])


def test_ensemble_members_compute_exactly_what_their_networks_compute() -> None:
    nets, x = _nets(), _split().x_train
    ens = SlopeEnsemble(nets)
    out = ens(x)
    assert out.shape == (3, 40, 3) and ens.members == 3
    for m, net in enumerate(nets):
        assert torch.allclose(out[m], net(x), rtol=0, atol=1e-12)
    assert ens.slopes.tolist() == [0.0, 0.01, 0.3]


def test_ensemble_dead_fractions_equal_gradflow_dead_unit_fraction() -> None:
    nets, x = _nets(depth=3), _split().x_train
    with torch.no_grad():  # push some units to the negative side for every input
        for net in nets:
            net.hidden[0][0].bias[:2] = -50.0
            net.hidden[1][0].bias[:1] = -50.0
    dead = SlopeEnsemble(nets).dead_fractions(x)
    assert dead.shape == (3, 3)
    for m, net in enumerate(nets):
        assert dead[m].tolist() == pytest.approx(dead_unit_fraction(net, x), abs=1e-7)
    assert dead[0, 0].item() == pytest.approx(0.4)


@pytest.mark.parametrize(
    "make",
    [
        lambda p: torch.optim.SGD(p, lr=0.1),
        lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9),
        lambda p: torch.optim.Adam(p, lr=0.01),
    ],
    ids=["sgd", "momentum", "adam"],
)
def test_train_ensemble_trains_each_member_as_nag_lib_training_train_would_alone(
    make: Callable[..., torch.optim.Optimizer],
) -> None:
    data = _split()
    nets = _nets()
    ens = SlopeEnsemble(nets)
    losses = train_ensemble(ens, make(ens.parameters()), data.x_train, data.y_train, 3, 16, 7)
    assert losses.shape == (3,) and torch.isfinite(losses).all()
    for m, net in enumerate(nets):
        hist = train(net, make(net.parameters()), data, epochs=3, batch_size=16, seed=7)
        assert losses[m].item() == pytest.approx(hist.train_loss[-1], rel=1e-9)
        weights = [lin.weight for lin in net.modules() if isinstance(lin, torch.nn.Linear)]
        for k, w in enumerate(weights):
            assert torch.allclose(ens.weights[k][m].T, w, rtol=0, atol=1e-10)
        acc = accuracy(net, data.x_test, data.y_test)
        assert ens.accuracy(data.x_test, data.y_test)[m].item() == pytest.approx(acc)


def test_a_dead_relu_unit_gets_zero_gradient_and_never_moves_but_a_leaky_one_does() -> None:
    nets = _nets(slopes=(0.0, 0.01))
    with torch.no_grad():
        for net in nets:
            net.hidden[0][0].bias[0] = -100.0  # unit 0 of layer 1: negative for every input
    ens, data = SlopeEnsemble(nets), _split()
    before = ens.weights[0][:, :, 0].clone()
    train_ensemble(ens, torch.optim.SGD(ens.parameters(), lr=0.5), data.x_train, data.y_train, 2)
    after = ens.weights[0][:, :, 0]
    assert torch.equal(after[0], before[0])  # ReLU: exactly zero gradient, exactly no update
    assert not torch.equal(after[1], before[1])  # Leaky ReLU: the unit still learns


def test_ensemble_rejects_networks_it_cannot_batch() -> None:
    torch.manual_seed(0)
    with pytest.raises(TypeError, match="non-empty sequence"):
        SlopeEnsemble([])
    with pytest.raises(TypeError, match="models"):
        SlopeEnsemble(MLP(6, 3, depth=1, width=5))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"models\[0\]"):
        SlopeEnsemble(["net"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="Sigmoid"):
        SlopeEnsemble([MLP(6, 3, depth=1, width=5, activation="sigmoid")])
    with pytest.raises(ValueError, match="LayerNorm"):
        SlopeEnsemble([MLP(6, 3, depth=1, width=5, norm="layer")])
    with pytest.raises(ValueError, match="ResidualBlock"):
        SlopeEnsemble([MLP(6, 3, depth=2, width=5, residual=True)])
    with pytest.raises(ValueError, match="same layer shapes"):
        SlopeEnsemble([MLP(6, 3, depth=1, width=5), MLP(6, 3, depth=1, width=4)])
    with pytest.raises(ValueError, match="alternate"):
        SlopeEnsemble([torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU())])
    with pytest.raises(ValueError, match="mixes negative slopes"):
        SlopeEnsemble(
            [
                torch.nn.Sequential(
                    torch.nn.Linear(2, 2),
                    torch.nn.LeakyReLU(0.1),
                    torch.nn.Linear(2, 2),
                    torch.nn.ReLU(),
                    torch.nn.Linear(2, 1),
                )
            ]
        )
    with pytest.raises(ValueError, match="without bias"):
        SlopeEnsemble([MLP(6, 3, depth=1, width=5, bias=False)])


def test_ensemble_and_its_training_name_bad_arguments() -> None:
    ens, data = SlopeEnsemble(_nets()), _split()
    opt = torch.optim.SGD(ens.parameters(), lr=0.1)
    x, y = data.x_train, data.y_train
    with pytest.raises(ValueError, match="x must be a"):
        ens(x[0])
    with pytest.raises(ValueError, match="y must be"):
        ens.accuracy(x, y[:3])
    with pytest.raises(TypeError, match="ensemble"):
        train_ensemble(_nets()[0], opt, x, y, 1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="optimizer"):
        train_ensemble(ens, "sgd", x, y, 1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="epochs"):
        train_ensemble(ens, opt, x, y, 1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="epochs"):
        train_ensemble(ens, opt, x, y, 0)
    with pytest.raises(ValueError, match="same number of rows"):
        train_ensemble(ens, opt, x, y[:5], 1)
    other = torch.optim.SGD(_nets()[0].parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"ensemble\.parameters"):
        train_ensemble(ens, other, x, y, 1)


def test_hidden_inputs_are_the_pre_activations_of_each_member() -> None:
    nets, x = _nets(depth=3), _split().x_train
    pre = SlopeEnsemble(nets).hidden_inputs(x)
    assert [tuple(z.shape) for z in pre] == [(3, 40, 5)] * 3
    for m, net in enumerate(nets):
        seen: list[torch.Tensor] = []
        record = seen.append
        hooks = [
            mod.register_forward_hook(lambda _m, inp, _o, rec=record: rec(inp[0]))
            for mod in net.modules()
            if isinstance(mod, (torch.nn.ReLU, torch.nn.LeakyReLU))
        ]
        net(x)
        for h in hooks:
            h.remove()
        for z, ref in zip(pre, seen, strict=True):
            assert torch.allclose(z[m], ref, rtol=0, atol=1e-12)
