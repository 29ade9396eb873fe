"""nag_lib.optim: HeavyBall and NAG reproduce torch.optim.SGD step for step (and bit for bit),
validate their arguments as torch does, and the paper forms of Nesterov's method are one method
written four ways. (Adam and NAdam are tested in test_optim_adaptive.py.)"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any
from unittest import mock

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nag_lib import fused as fused_mod
from nag_lib.optim import (
    NAG,
    OPTIMIZERS,
    Adam,
    CountingClosure,
    HeavyBall,
    NAdam,
    gradient_descent,
    heavy_ball,
    make_optimizer,
    nesterov_1983,
    nesterov_bengio,
    nesterov_pytorch,
    nesterov_sutskever,
)

STEPS = 100
BIG = 4 * 2**18 + 1024  # over a million elements: many work items of the single pass

# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------
SHAPES: dict[str, tuple[int, ...]] = {
    "scalar": (),
    "vector": (7,),
    "matrix": (3, 4),
    "3d": (2, 3, 5),
    "transposed": (5, 6),  # built as a transposed view: non-contiguous
}


def _twin_params(shape_name: str, dtype: torch.dtype, seed: int) -> tuple[torch.Tensor, ...]:
    """Two equal leaf parameters (ours, torch's); ``transposed*`` ones are non-contiguous."""
    gen = torch.Generator().manual_seed(seed)
    if shape_name.startswith("transposed"):
        rows, cols = SHAPES.get(shape_name, (1024, BIG // 1024 + 1))
        base = torch.randn(cols, rows, generator=gen, dtype=dtype)
        ours, theirs = base.t().detach(), base.clone().t().detach()
        assert not ours.is_contiguous()
    else:
        shape = SHAPES.get(shape_name, (BIG,))
        ours = torch.randn(shape, generator=gen, dtype=dtype)
        theirs = ours.clone()
    return ours.requires_grad_(), theirs.requires_grad_()


def _grad_like(p: torch.Tensor, gen: torch.Generator, transposed: bool) -> torch.Tensor:
    """A fresh random gradient of ``p``'s shape; optionally laid out as a transposed view."""
    if transposed and p.dim() == 2:
        return torch.randn(p.shape[1], p.shape[0], generator=gen, dtype=p.dtype).t()
    return torch.randn(p.shape, generator=gen, dtype=p.dtype)


def _assert_rel_close(ours: torch.Tensor, ref: torch.Tensor, rtol: float = 1e-6) -> None:
    """``max |ours - ref| <= rtol * max |ref|``: relative to the scale of the reference."""
    assert ours.shape == ref.shape and ours.dtype == ref.dtype
    scale = max(float(ref.abs().max()), 1e-30) if ref.numel() else 1.0
    err = float((ours - ref).abs().max()) if ref.numel() else 0.0
    assert err <= rtol * scale, f"max abs difference {err:.3g} exceeds {rtol} x {scale:.3g}"


def _run_twins(
    make_ours: Callable[[list[torch.Tensor]], torch.optim.Optimizer],
    make_torch: Callable[[list[torch.Tensor]], torch.optim.Optimizer],
    shape_name: str,
    dtype: torch.dtype,
    seed: int,
    steps: int = STEPS,
    transposed_grad: bool = False,
) -> tuple[torch.Tensor, torch.Tensor, torch.optim.Optimizer, torch.optim.Optimizer]:
    """Run both optimizers ``steps`` times on twin parameters with the same fresh gradients."""
    ours_p, torch_p = _twin_params(shape_name, dtype, seed)
    ours, ref = make_ours([ours_p]), make_torch([torch_p])
    gen = torch.Generator().manual_seed(seed + 1)
    for _ in range(steps):
        g = _grad_like(ours_p, gen, transposed_grad)
        ours_p.grad, torch_p.grad = g.clone(), g.clone()
        ours.step()
        ref.step()
    return ours_p, torch_p, ours, ref


# Hyperparameters as used in practice: values like 1e-300 would only time denormal arithmetic.
hyper = st.fixed_dictionaries(
    {
        "lr": st.just(0.0) | st.floats(1e-4, 1.0),
        "weight_decay": st.sampled_from([0.0, 1e-4, 0.05]),
        "maximize": st.booleans(),
    }
)
shapes = st.sampled_from(sorted(SHAPES))
dtypes = st.sampled_from([torch.float32, torch.float64])
seeds = st.integers(0, 2**16)


# --------------------------------------------------------------------------------------------
# equivalence with torch.optim.SGD
# --------------------------------------------------------------------------------------------
@settings(max_examples=25)
@given(
    hp=hyper,
    momentum=st.just(0.0) | st.floats(1e-3, 0.99),
    dampening=st.sampled_from([0.0, 0.1, 0.5, 1.0]),
    shape=shapes,
    dtype=dtypes,
    seed=seeds,
    transposed_grad=st.booleans(),
)
def test_heavy_ball_matches_torch_sgd_with_momentum(
    hp: dict[str, Any],
    momentum: float,
    dampening: float,
    shape: str,
    dtype: torch.dtype,
    seed: int,
    transposed_grad: bool,
) -> None:
    kw = {**hp, "momentum": momentum, "dampening": dampening}
    ours_p, torch_p, ours, ref = _run_twins(
        lambda ps: HeavyBall(ps, **kw),
        lambda ps: torch.optim.SGD(ps, foreach=False, **kw),
        shape,
        dtype,
        seed,
        transposed_grad=transposed_grad,
    )
    _assert_rel_close(ours_p.detach(), torch_p.detach())
    if momentum > 0:
        _assert_rel_close(
            ours.state[ours_p]["momentum_buffer"], ref.state[torch_p]["momentum_buffer"]
        )
    else:
        assert not ours.state  # plain gradient descent keeps no buffer


@settings(max_examples=30)
@given(
    hp=hyper,
    momentum=st.floats(1e-3, 0.99),
    shape=shapes,
    dtype=dtypes,
    seed=seeds,
    transposed_grad=st.booleans(),
    foreach=st.booleans(),
)
def test_nag_matches_torch_sgd_nesterov(
    hp: dict[str, Any],
    momentum: float,
    shape: str,
    dtype: torch.dtype,
    seed: int,
    transposed_grad: bool,
    foreach: bool,
) -> None:
    kw = {**hp, "momentum": momentum}
    ours_p, torch_p, ours, ref = _run_twins(
        lambda ps: NAG(ps, **kw),
        lambda ps: torch.optim.SGD(ps, nesterov=True, foreach=foreach, **kw),
        shape,
        dtype,
        seed,
        transposed_grad=transposed_grad,
    )
    _assert_rel_close(ours_p.detach(), torch_p.detach())
    _assert_rel_close(ours.state[ours_p]["momentum_buffer"], ref.state[torch_p]["momentum_buffer"])


@pytest.mark.parametrize("fused", [None, False])
@pytest.mark.parametrize(
    ("layout", "dtype", "kw"),
    [
        (
            "big",
            torch.float32,
            {"lr": 0.3, "momentum": 0.95, "weight_decay": 0.05, "maximize": True},
        ),
        ("transposed_big", torch.float64, {"lr": 0.01, "momentum": 0.5}),
    ],
)
def test_nag_matches_torch_on_a_large_tensor_in_one_pass_or_in_tensor_operations(
    layout: str, dtype: torch.dtype, kw: dict[str, Any], fused: bool | None
) -> None:
    """100 steps on a tensor of over a million elements, contiguous (by default the single pass
    runs) and transposed (it cannot); gradients drawn per step as random mixes of a small pool."""
    ours_p, torch_p = _twin_params(layout, dtype, seed=5)
    ours = NAG([ours_p], fused=fused, **kw)
    ref = torch.optim.SGD([torch_p], nesterov=True, foreach=False, **kw)
    gen = torch.Generator().manual_seed(6)
    pool = [_grad_like(ours_p, gen, transposed=False) for _ in range(2)]
    with mock.patch.object(fused_mod, "_sgd_step", wraps=fused_mod._sgd_step) as single:
        for _ in range(STEPS):
            a, b = torch.randn(2, generator=gen, dtype=torch.float64).tolist()
            g = torch.add(pool[0], pool[1], alpha=b).mul_(a)
            ours_p.grad, torch_p.grad = g, g.clone()
            ours.step()
            ref.step()
    one_pass = layout == "big" and fused is None and fused_mod.available()
    assert single.call_count == (STEPS if one_pass else 0)
    assert torch.equal(ours_p.detach(), torch_p.detach())
    assert torch.equal(ours.state[ours_p]["momentum_buffer"], ref.state[torch_p]["momentum_buffer"])


@pytest.mark.parametrize("shape", ["matrix", "transposed", "big"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16])
@pytest.mark.parametrize(("wd", "maximize"), [(0.0, False), (0.01, True)])
def test_nag_is_bitwise_equal_to_torch_sgd_nesterov(
    shape: str, dtype: torch.dtype, wd: float, maximize: bool
) -> None:
    kw = {"lr": 0.05, "momentum": 0.9, "weight_decay": wd, "maximize": maximize}
    ours_p, torch_p, ours, ref = _run_twins(
        lambda ps: NAG(ps, **kw),
        lambda ps: torch.optim.SGD(ps, nesterov=True, foreach=False, **kw),
        shape,
        dtype,
        seed=3,
        steps=5,
    )
    assert torch.equal(ours_p, torch_p)
    assert torch.equal(ours.state[ours_p]["momentum_buffer"], ref.state[torch_p]["momentum_buffer"])


def test_heavy_ball_is_bitwise_equal_to_torch_sgd() -> None:
    kw = {"lr": 0.05, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01, "maximize": True}
    ours_p, torch_p, _, _ = _run_twins(
        lambda ps: HeavyBall(ps, **kw),
        lambda ps: torch.optim.SGD(ps, foreach=False, **kw),
        "3d",
        torch.float32,
        seed=4,
        steps=10,
    )
    assert torch.equal(ours_p, torch_p)


def _mlp_params(seed: int) -> list[torch.Tensor]:
    torch.manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))
    return list(net.parameters())


def test_param_groups_with_their_own_hyperparameters_match_torch() -> None:
    ps, qs = _mlp_params(0), _mlp_params(0)

    def groups(params: list[torch.Tensor]) -> list[dict[str, Any]]:
        return [
            {"params": params[:2], "lr": 0.2, "momentum": 0.5},
            {"params": iter(params[2:])},  # a generator is materialised, not consumed twice
        ]

    ours = NAG(groups(ps), lr=0.05, momentum=0.9, weight_decay=1e-3)
    ref = torch.optim.SGD(groups(qs), lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3)
    assert [len(g["params"]) for g in ours.param_groups] == [2, 2]
    gen = torch.Generator().manual_seed(0)
    for _ in range(20):
        for p, q in zip(ps, qs, strict=True):
            p.grad = torch.randn(p.shape, generator=gen)
            q.grad = p.grad.clone()
        ours.step()
        ref.step()
    for p, q in zip(ps, qs, strict=True):
        assert torch.equal(p, q)


def test_parameters_without_gradient_are_left_alone() -> None:
    a, b = torch.ones(3, requires_grad=True), torch.ones(2, requires_grad=True)
    for opt in (NAG([a, b], lr=0.1), HeavyBall([a, b], lr=0.1), Adam([a, b]), NAdam([a, b])):
        a.grad = torch.ones(3)
        opt.step()
        assert torch.equal(b, torch.ones(2)) and b not in opt.state


def test_step_runs_the_closure_with_gradients_enabled_and_returns_its_loss() -> None:
    w = torch.nn.Parameter(torch.tensor([3.0]))
    for opt in (NAG([w], lr=0.1), HeavyBall([w], lr=0.1), Adam([w]), NAdam([w])):

        def closure(opt: torch.optim.Optimizer = opt) -> torch.Tensor:
            opt.zero_grad()
            loss = (w**2).sum()
            loss.backward()
            return loss

        loss = opt.step(closure)
        assert loss is not None and loss.requires_grad


def test_nag_state_dict_round_trip_continues_the_same_trajectory() -> None:
    ps, qs = _mlp_params(1), _mlp_params(1)
    ours, twin = NAG(ps, lr=0.1, momentum=0.9), NAG(qs, lr=0.1, momentum=0.9)
    gen = torch.Generator().manual_seed(1)
    grads = [[torch.randn(p.shape, generator=gen) for p in ps] for _ in range(6)]
    for k, gs in enumerate(grads):
        if k == 3:  # rebuild the twin from a saved state, as after a checkpoint
            saved = twin.state_dict()
            twin = NAG(qs, lr=0.5, momentum=0.1)
            twin.load_state_dict(saved)
        for p, q, g in zip(ps, qs, gs, strict=True):
            p.grad, q.grad = g.clone(), g.clone()
        ours.step()
        twin.step()
    for p, q in zip(ps, qs, strict=True):
        assert torch.equal(p, q)


def test_sparse_gradients_are_refused() -> None:
    w = torch.nn.Parameter(torch.zeros(4))
    w.grad = torch.zeros(4).to_sparse()
    for cls in (NAG, HeavyBall, Adam, NAdam):
        with pytest.raises(RuntimeError, match="sparse"):
            cls([w], lr=0.1).step()


# --------------------------------------------------------------------------------------------
# argument validation: at least everything torch rejects, as errors naming the argument
# --------------------------------------------------------------------------------------------
def _w() -> torch.Tensor:
    return torch.zeros(2, requires_grad=True)


REJECTED_BY_TORCH = [
    pytest.param({"lr": -0.1}, "lr", id="negative-lr"),
    pytest.param({"momentum": -0.5}, "momentum", id="negative-momentum"),
    pytest.param({"weight_decay": -1e-4}, "weight_decay", id="negative-weight-decay"),
]


@pytest.mark.parametrize(("kwargs", "name"), REJECTED_BY_TORCH)
@pytest.mark.parametrize("cls", [HeavyBall, NAG])
def test_invalid_hyperparameters_raise_value_error_like_torch(
    cls: type[torch.optim.Optimizer], kwargs: dict[str, float], name: str
) -> None:
    nesterov = cls is NAG
    with pytest.raises(ValueError):
        torch.optim.SGD([_w()], **{"lr": 0.1, "momentum": 0.9, "nesterov": nesterov, **kwargs})
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        cls([_w()], **{"lr": 0.1, **kwargs})


def test_nag_without_momentum_is_rejected_like_torch() -> None:
    with pytest.raises(ValueError, match="momentum"):
        torch.optim.SGD([_w()], lr=0.1, momentum=0.0, nesterov=True)
    with pytest.raises(ValueError, match=r"momentum value: 0\.0"):
        NAG([_w()], lr=0.1, momentum=0.0)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"lr": math.nan}, "lr"),
        ({"lr": math.inf}, "lr"),
        ({"momentum": 1.0}, "momentum"),
        ({"momentum": math.nan}, "momentum"),
        ({"dampening": -0.1}, "dampening"),
        ({"dampening": 1.5}, "dampening"),
        ({"weight_decay": math.inf}, "weight_decay"),
    ],
)
def test_values_torch_lets_through_but_that_cannot_work_are_rejected(
    kwargs: dict[str, float], name: str
) -> None:
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        HeavyBall([_w()], **{"lr": 0.1, **kwargs})


@pytest.mark.parametrize(
    ("params", "match"),
    [
        (5, "params argument given to the optimizer should be an iterable"),
        (None, "params argument given to the optimizer should be an iterable"),
        ("abc", "params argument given to the optimizer should be an iterable"),
        (torch.zeros(2, requires_grad=True), "single Tensor"),
        ([1.0, 2.0], "params must hold Tensors"),
        ([{"params": [1.0]}], "params must hold Tensors"),
        ([{"params": 3}], "params of a param group"),
        ([torch.zeros(2, requires_grad=True), {"params": []}], "either only Tensors"),
        ([torch.zeros(2, dtype=torch.int64)], "floating-point"),
    ],
)
@pytest.mark.parametrize("cls", [HeavyBall, NAG, Adam, NAdam])
def test_bad_params_raise_type_error_naming_params(
    cls: type[torch.optim.Optimizer], params: object, match: str
) -> None:
    with pytest.raises(TypeError, match=match):
        cls(params, lr=0.1)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("make_params", "match", "torch_rejects"),
    [
        (lambda: [], "params is empty", True),
        (lambda: iter([]), "params is empty", True),
        (lambda: [{"params": []}], "params is empty", False),
        (lambda: [{"lr": 0.1}], "needs a 'params' entry", True),
        (lambda: [torch.zeros(2, requires_grad=True) * 2], "leaf", True),
    ],
)
@pytest.mark.parametrize("cls", [HeavyBall, NAG])
def test_empty_or_non_leaf_params_raise_value_error(
    cls: type[torch.optim.Optimizer],
    make_params: Callable[[], object],
    match: str,
    torch_rejects: bool,
) -> None:
    with pytest.raises(ValueError, match=match):
        cls(make_params(), lr=0.1)  # type: ignore[arg-type]
    if torch_rejects:
        with pytest.raises((ValueError, KeyError)):
            torch.optim.SGD(make_params(), lr=0.1)  # type: ignore[arg-type]


@pytest.mark.parametrize("lr", ["0.1", None, 1j, True, torch.tensor(1)])
@pytest.mark.parametrize("cls", [HeavyBall, NAG])
def test_a_learning_rate_that_is_not_a_real_number_raises_type_error(
    cls: type[torch.optim.Optimizer], lr: object
) -> None:
    with pytest.raises(TypeError, match=r"\blr\b"):
        cls([_w()], lr=lr)  # type: ignore[arg-type]


@pytest.mark.parametrize("cls", [HeavyBall, NAG])
def test_a_tensor_learning_rate_must_hold_one_number_that_is_finite_and_not_negative(
    cls: type[torch.optim.Optimizer],
) -> None:
    """torch.optim takes a one-element tensor lr (a scheduler can update it in place)."""
    cls([_w()], lr=torch.tensor([0.1]))  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="Tensor lr must be 1-element"):
        cls([_w()], lr=torch.tensor([0.1, 0.2]))  # type: ignore[call-arg]
    with pytest.raises(ValueError, match=r"\blr\b"):
        cls([_w()], lr=torch.tensor(-0.1))  # type: ignore[call-arg]
    with pytest.raises(ValueError, match=r"\blr\b"):
        cls([_w()], lr=torch.tensor(float("nan")))  # type: ignore[call-arg]


def test_maximize_must_be_a_bool() -> None:
    with pytest.raises(TypeError, match="maximize"):
        NAG([_w()], lr=0.1, maximize="yes")  # type: ignore[arg-type]


@pytest.mark.parametrize("cls", [HeavyBall, NAG])
def test_add_param_group_checks_hyperparameters_and_changes_nothing_on_error(
    cls: type[torch.optim.Optimizer],
) -> None:
    opt = cls([_w()], lr=0.1)
    before = [dict(g) for g in opt.param_groups]
    with pytest.raises(ValueError, match=r"\blr\b"):
        opt.add_param_group({"params": [_w()], "lr": -1.0})
    with pytest.raises(TypeError, match="param_group"):
        opt.add_param_group([_w()])  # type: ignore[arg-type]
    assert opt.param_groups == before
    opt.add_param_group({"params": [_w()], "lr": 1})
    assert opt.param_groups[-1]["lr"] == 1.0 and isinstance(opt.param_groups[-1]["lr"], float)


# --------------------------------------------------------------------------------------------
# the paper forms (NumPy)
# --------------------------------------------------------------------------------------------
def _quadratic(dim: int, seed: int, kappa: float) -> tuple[np.ndarray, Callable[..., Any]]:
    """A random SPD Hessian with eigenvalues spread over [1/kappa, 1]; f(x) = x'Ax/2."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
    eig = np.geomspace(1.0 / kappa, 1.0, dim)
    a = (q * eig) @ q.T
    return a, lambda x: a @ x


def _smooth_convex(dim: int, seed: int) -> Callable[..., Any]:
    """Gradient of a non-quadratic smooth convex f: sum log cosh(Bx) + |x|^2/2 (L <= |B|^2 + 1)."""
    rng = np.random.default_rng(seed)
    b = rng.standard_normal((dim, dim)) / math.sqrt(dim)
    return lambda x: b.T @ np.tanh(b @ x) + x


@settings(max_examples=60)
@given(
    dim=st.integers(1, 6),
    seed=seeds,
    lr=st.floats(0.01, 1.0),
    momentum=st.floats(0.0, 0.95),
    quadratic=st.booleans(),
)
def test_three_nesterov_forms_give_the_same_iterates(
    dim: int, seed: int, lr: float, momentum: float, quadratic: bool
) -> None:
    """Nesterov (1983) with constant momentum, Sutskever et al. (2013), Bengio et al. (2013) and
    PyTorch's buffer form are one method under the change of variables
    theta_k = x_k (Sutskever), Theta_k = y_k = x_k + mu (x_k - x_{k-1}) (Bengio, PyTorch)."""
    grad = _quadratic(dim, seed, 30.0)[1] if quadratic else _smooth_convex(dim, seed)
    lr = lr / 2 if not quadratic else lr  # keep lr <= 1/L for the non-quadratic f (L <= 2)
    x0 = np.random.default_rng(seed + 1).standard_normal(dim)
    steps = 50
    x = nesterov_1983(grad, x0, lr, steps, momentum=momentum)
    theta = nesterov_sutskever(grad, x0, lr, momentum, steps)
    big_theta = nesterov_bengio(grad, x0, lr, momentum, steps)
    p = nesterov_pytorch(grad, x0, lr, momentum, steps)
    x_prev = np.vstack([x[:1], x[:-1]])  # x_{k-1}, with x_{-1} = x_0
    y = x + momentum * (x - x_prev)
    scale = max(1.0, float(np.abs(x).max()))
    np.testing.assert_allclose(theta, x, rtol=1e-12, atol=1e-12 * scale)
    np.testing.assert_allclose(big_theta, y, rtol=1e-12, atol=1e-12 * scale)
    np.testing.assert_allclose(p, big_theta, rtol=1e-12, atol=1e-12 * scale)


def test_nesterov_pytorch_form_matches_torch_nag_in_float64() -> None:
    a, grad = _quadratic(4, 0, 10.0)
    x0 = np.arange(1.0, 5.0)
    ref = nesterov_pytorch(grad, x0, 0.3, 0.8, 30)
    w = torch.tensor(x0, requires_grad=True)
    opt = NAG([w], lr=0.3, momentum=0.8)
    at = torch.tensor(a)
    for k in range(30):
        w.grad = at @ w.detach()
        opt.step()
        np.testing.assert_allclose(w.detach().numpy(), ref[k + 1], rtol=1e-12, atol=1e-14)


def test_heavy_ball_paper_form_matches_the_buffer_form_and_gd_is_momentum_zero() -> None:
    a, grad = _quadratic(3, 1, 10.0)
    x0 = np.array([1.0, -2.0, 0.5])
    for momentum, ours in [(0.7, heavy_ball(grad, x0, 0.2, 0.7, 25)), (0.0, None)]:
        w = torch.tensor(x0, requires_grad=True)
        opt = HeavyBall([w], lr=0.2, momentum=momentum)
        path = [x0]
        for _ in range(25):
            w.grad = torch.tensor(a) @ w.detach()
            opt.step()
            path.append(w.detach().numpy().copy())
        expected = ours if ours is not None else gradient_descent(grad, x0, 0.2, 25)
        np.testing.assert_allclose(np.array(path), expected, rtol=1e-12, atol=1e-14)


def test_nesterov_1983_obeys_the_two_l_over_k_squared_bound_and_gd_does_not() -> None:
    """Nesterov (1983) with t_k weights and lr = 1/L: f(x_k) - f* <= 2 L |x0 - x*|^2 / (k+1)^2
    on a convex quadratic (minimiser 0, f* = 0); plain GD breaks that bound on the same f."""
    a, grad = _quadratic(40, 2, 1e6)
    x0 = np.random.default_rng(3).standard_normal(40)
    lipschitz = float(np.linalg.eigvalsh(a).max())
    steps = 400
    k = np.arange(steps + 1)
    bound = 2 * lipschitz * float(x0 @ x0) / (k + 1) ** 2

    def gaps(xs: np.ndarray) -> np.ndarray:
        return 0.5 * np.einsum("ki,ij,kj->k", xs, a, xs)

    nag_gap = gaps(nesterov_1983(grad, x0, 1 / lipschitz, steps))
    gd_gap = gaps(gradient_descent(grad, x0, 1 / lipschitz, steps))
    assert np.all(nag_gap <= bound)
    assert np.any(gd_gap > bound)  # the bound discriminates: it is not satisfied for free


def test_nesterov_1983_default_weights_are_t_k_minus_one_over_t_k_plus_one() -> None:
    """The default schedule, written out here: t_0 = 1, t_{k+1} = (1 + sqrt(1 + 4 t_k^2)) / 2,
    beta_k = (t_{k-1} - 1) / t_k (beta_0 = 0). The bound test alone is also met by a wrong
    beta_k = (t_k - 1) / t_k, so the iterates are compared with this loop as well."""
    a, grad = _quadratic(6, 1, 50.0)
    x0 = np.random.default_rng(0).standard_normal(6)
    lr, steps = 1 / float(np.linalg.eigvalsh(a).max()), 30
    t = [1.0]
    for _ in range(steps):
        t.append((1 + math.sqrt(1 + 4 * t[-1] ** 2)) / 2)
    betas = [0.0] + [(t[k - 1] - 1) / t[k] for k in range(1, steps)]
    assert betas[1] == 0.0 and betas[2] == pytest.approx(0.2818, abs=1e-4)
    xs, prev = [x0], x0
    for beta in betas:
        x = xs[-1]
        y = x + beta * (x - prev)
        prev = x
        xs.append(y - lr * grad(y))
    np.testing.assert_allclose(nesterov_1983(grad, x0, lr, steps), np.array(xs), rtol=1e-13)
    shifted = [(t[k] - 1) / t[k] for k in range(steps)]  # the wrong weights differ visibly
    assert max(abs(b - c) for b, c in zip(betas, shifted, strict=True)) > 0.3


def test_paper_forms_return_steps_plus_one_iterates_starting_at_x0() -> None:
    grad = _quadratic(2, 0, 4.0)[1]
    x0 = [1.0, 2.0]
    for run in (
        gradient_descent(grad, x0, 0.1, 5),
        heavy_ball(grad, x0, 0.1, 0.5, 5),
        nesterov_1983(grad, x0, 0.1, 5),
        nesterov_sutskever(grad, x0, 0.1, 0.5, 5),
        nesterov_bengio(grad, x0, 0.1, 0.5, 5),
        nesterov_pytorch(grad, x0, 0.1, 0.5, 5),
    ):
        assert run.shape == (6, 2) and run.dtype == np.float64
        assert run[0].tolist() == x0


@pytest.mark.parametrize(
    ("x0", "match"), [([math.nan, 1.0], "finite"), ([[1.0]], "1-D"), ([], "non-empty")]
)
def test_paper_forms_refuse_a_start_they_cannot_iterate_from(x0: object, match: str) -> None:
    for run in (gradient_descent, nesterov_1983):
        with pytest.raises(ValueError, match=rf"x0 .*{match}"):
            run(lambda x: x, x0, 0.1, 3)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# CountingClosure and make_optimizer
# --------------------------------------------------------------------------------------------
def _loss_closure(w: torch.Tensor, opt: torch.optim.Optimizer) -> Callable[[], torch.Tensor]:
    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = ((w - 1.0) ** 4).sum()
        loss.backward()
        return loss

    return closure


def test_counting_closure_counts_one_evaluation_per_first_order_step() -> None:
    w = torch.nn.Parameter(torch.zeros(3))
    opt = NAG([w], lr=0.01)
    counted = CountingClosure(_loss_closure(w, opt))
    losses = [opt.step(counted) for _ in range(5)]
    assert counted.calls == 5
    assert losses[0] is not None and float(losses[0].detach()) == 3.0  # the value at w = 0


def test_counting_closure_counts_every_evaluation_of_a_line_search() -> None:
    w = torch.nn.Parameter(torch.zeros(3))
    opt = torch.optim.LBFGS([w], lr=1.0, max_iter=10)
    counted = CountingClosure(_loss_closure(w, opt))
    opt.step(counted)
    assert counted.calls == opt.state[w]["func_evals"] > 1


def test_counting_closure_refuses_what_it_cannot_call() -> None:
    with pytest.raises(TypeError, match="closure must be callable"):
        CountingClosure(3.0)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "cls", "momentum"),
    [
        ("sgd", HeavyBall, 0.0),
        ("heavy_ball", HeavyBall, 0.8),
        ("nag", NAG, 0.8),
        ("adam", Adam, None),
        ("nadam", NAdam, None),
    ],
)
def test_make_optimizer_builds_each_named_optimizer(
    name: str, cls: type[torch.optim.Optimizer], momentum: float | None
) -> None:
    opt = make_optimizer(name, [_w()], lr=0.05, momentum=0.8)
    assert type(opt) is cls
    assert opt.defaults["lr"] == 0.05
    if momentum is not None:
        assert opt.defaults["momentum"] == momentum
    assert set(OPTIMIZERS) == {"sgd", "heavy_ball", "nag", "adam", "nadam"}


def test_make_optimizer_rejects_an_unknown_name() -> None:
    with pytest.raises(ValueError, match=r"name value: 'lbfgs'"):
        make_optimizer("lbfgs", [_w()], lr=0.1)


def test_add_param_group_checks_the_new_tensors_too() -> None:
    opt = NAG([_w()], lr=0.1)
    with pytest.raises(TypeError, match="floating-point"):
        opt.add_param_group({"params": [torch.zeros(2, dtype=torch.int64)]})
    with pytest.raises(ValueError, match="params is empty"):
        opt.add_param_group({"params": []})
    assert len(opt.param_groups) == 1
