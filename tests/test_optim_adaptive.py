"""nag_lib.optim's adaptive optimizers are torch's, written from the equations: Adam and NAdam
follow torch.optim.Adam and torch.optim.NAdam (a property test over hyperparameters, dtypes and
shapes); RMSprop, AdamW and Adam's AMSGrad option equal torch's single-tensor loop bit for bit,
parameters and state, for every combination of options; plus the state, closure and argument
checks."""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nag_lib.optim import Adam, AdamW, NAdam, RMSprop

STEPS = 100
SHAPES = [(), (1,), (7,), (3, 4), (2, 3, 2)]

unit = st.floats(min_value=0.0, max_value=0.999, allow_nan=False)
common = {
    "lr": st.floats(min_value=1e-5, max_value=1.0),
    "betas": st.tuples(unit, st.floats(min_value=0.0, max_value=0.9999)),
    "eps": st.one_of(st.just(0.0), st.floats(min_value=1e-12, max_value=1e-2)),
    "weight_decay": st.one_of(st.just(0.0), st.floats(min_value=0.0, max_value=0.1)),
    "maximize": st.booleans(),
}


def _objective(params: list[torch.Tensor], seed: int) -> torch.Tensor:
    """A smooth, non-quadratic loss with a different curvature per coordinate."""
    gen = torch.Generator().manual_seed(seed)
    total = params[0].new_zeros(())
    for p in params:
        a = torch.rand(p.shape, generator=gen, dtype=p.dtype) + 0.1
        b = torch.randn(p.shape, generator=gen, dtype=p.dtype)
        total = total + (0.5 * a * p**2 + b * p + 0.3 * torch.sin(3 * p)).sum()
    return total


def _trajectories(
    ours: type,
    theirs: type,
    hyper: dict[str, Any],
    shapes: list[tuple[int, ...]],
    dtype: torch.dtype,
    seed: int,
) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    gen = torch.Generator().manual_seed(seed)
    start = [torch.randn(s, generator=gen, dtype=dtype) for s in shapes]
    results = []
    for cls in (ours, theirs):
        params = [t.clone().requires_grad_() for t in start]
        opt = cls(params, **hyper)
        for _ in range(STEPS):
            opt.zero_grad()
            _objective(params, seed).backward()
            opt.step()
        results.append([p.detach() for p in params])
    return results[0], results[1]


def _assert_same(mine: list[torch.Tensor], ref: list[torch.Tensor]) -> None:
    for a, b in zip(mine, ref, strict=True):
        scale = max(1.0, float(b.abs().max())) if b.numel() and torch.isfinite(b).all() else 1.0
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-6 * scale, equal_nan=True)


@settings(max_examples=30, deadline=None)
@given(
    hyper=st.fixed_dictionaries(common),
    shapes=st.lists(st.sampled_from(SHAPES), min_size=1, max_size=3),
    dtype=st.sampled_from([torch.float32, torch.float64]),
    seed=st.integers(0, 2**16),
)
def test_adam_matches_torch_adam_for_100_steps(hyper, shapes, dtype, seed) -> None:
    _assert_same(*_trajectories(Adam, torch.optim.Adam, hyper, shapes, dtype, seed))


@settings(max_examples=30, deadline=None)
@given(
    hyper=st.fixed_dictionaries(
        {**common, "momentum_decay": st.floats(min_value=0.0, max_value=0.1)}
    ),
    shapes=st.lists(st.sampled_from(SHAPES), min_size=1, max_size=3),
    dtype=st.sampled_from([torch.float32, torch.float64]),
    seed=st.integers(0, 2**16),
)
def test_nadam_matches_torch_nadam_for_100_steps(hyper, shapes, dtype, seed) -> None:
    _assert_same(*_trajectories(NAdam, torch.optim.NAdam, hyper, shapes, dtype, seed))


def test_the_defaults_are_torchs() -> None:
    w = [torch.zeros(2, requires_grad=True)]
    for ours, theirs in ((Adam, torch.optim.Adam), (NAdam, torch.optim.NAdam)):
        mine, ref = ours(w).defaults, theirs(w).defaults
        shared = [k for k in mine if k in ref]
        assert {k: mine[k] for k in shared} == {k: ref[k] for k in shared}
        assert set(mine) - set(shared) <= {"fused"}  # torch's NAdam has no fused option


@pytest.mark.parametrize("cls", [Adam, NAdam])
def test_state_is_a_step_count_and_two_moment_buffers(cls: type) -> None:
    w = torch.zeros(3, requires_grad=True)
    opt = cls([w])
    w.grad = torch.tensor([1.0, -2.0, 3.0])
    opt.step()
    state = opt.state[w]
    assert {"step", "exp_avg", "exp_avg_sq"} <= set(state)
    assert float(state["step"]) == 1.0
    assert state["exp_avg"].shape == state["exp_avg_sq"].shape == w.shape
    assert bool((state["exp_avg_sq"] >= 0).all())


def test_the_first_adam_step_is_lr_whatever_the_gradient_scale() -> None:
    """Step 1 moves each coordinate by lr * |g| / (|g| + eps): lr while |g| >> eps."""
    lr, eps = 1e-3, 1e-8
    direction = torch.tensor([1.0, -2.0, 3.0, 0.5], dtype=torch.float64)
    for scale in (1e3, 1.0, 1e-3, 1e-6, 1e-9, 1e-12):
        w = torch.zeros(4, dtype=torch.float64, requires_grad=True)
        opt = Adam([w], lr=lr, eps=eps)
        g = scale * direction
        w.grad = g.clone()
        opt.step()
        expected = -lr * g / (g.abs() + eps)
        torch.testing.assert_close(w.detach(), expected, rtol=1e-12, atol=0.0)
        if scale >= 1e-3:
            assert torch.allclose(w.detach().abs(), torch.full_like(g, lr), rtol=1e-4)


@pytest.mark.parametrize("cls", [Adam, NAdam])
@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"lr": -1e-3}, ValueError, "lr"),
        ({"lr": math.nan}, ValueError, "lr"),
        ({"lr": "0.001"}, TypeError, "lr"),
        ({"lr": True}, TypeError, "lr"),
        ({"betas": (1.0, 0.999)}, ValueError, r"betas\[0\]"),
        ({"betas": (0.9, -0.1)}, ValueError, r"betas\[1\]"),
        ({"betas": (0.9, 1.0)}, ValueError, r"betas\[1\]"),
        ({"betas": 0.9}, TypeError, "betas"),
        ({"betas": (0.9, 0.99, 0.1)}, TypeError, "betas"),
        ({"eps": -1e-8}, ValueError, "eps"),
        ({"weight_decay": -0.1}, ValueError, "weight_decay"),
        ({"maximize": "yes"}, TypeError, "maximize"),
    ],
)
def test_bad_hyperparameters_are_named(cls: type, kwargs: dict, error: type, name: str) -> None:
    with pytest.raises(error, match=name):
        cls([torch.zeros(2, requires_grad=True)], **kwargs)


def test_bad_momentum_decay_is_named() -> None:
    with pytest.raises(ValueError, match="momentum_decay"):
        NAdam([torch.zeros(2, requires_grad=True)], momentum_decay=-1.0)


@pytest.mark.parametrize("cls", [Adam, NAdam])
@pytest.mark.parametrize(
    ("params", "error"),
    [
        (torch.zeros(2, requires_grad=True), TypeError),  # a tensor, not an iterable of them
        ([], ValueError),
        ([torch.zeros(2, dtype=torch.long)], TypeError),
        (3, TypeError),
    ],
)
def test_bad_params_are_named(cls: type, params: object, error: type) -> None:
    with pytest.raises(error, match="params"):
        cls(params)


# --------------------------------------------------------------------------------------------
# RMSprop, AdamW and AMSGrad: torch's single-tensor loop (foreach=False), bit for bit
# --------------------------------------------------------------------------------------------
def _torch_loop(cls: type) -> Any:
    """``cls`` with ``foreach=False``: the single-tensor loop our classes transcribe."""
    return lambda params, **hyper: cls(params, foreach=False, **hyper)


def _bitwise_twins(
    ours: type, theirs: Any, hyper: dict[str, Any], dtype: torch.dtype, seed: int, steps: int
) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer, list[torch.Tensor], list[torch.Tensor]]:
    """Both optimizers, ``steps`` steps on twin parameters with the same fresh gradients."""
    gen = torch.Generator().manual_seed(seed)
    start = [torch.randn(s, generator=gen, dtype=dtype) for s in [(), (7,), (3, 4)]]
    ps = [t.clone().requires_grad_() for t in start]
    qs = [t.clone().requires_grad_() for t in start]
    mine, ref = ours(ps, **hyper), theirs(qs, **hyper)
    for _ in range(steps):
        for p, q in zip(ps, qs, strict=True):
            # gradients over four decades, so the adaptive denominators matter
            g = torch.randn(p.shape, generator=gen, dtype=dtype) * 10.0 ** (4 * torch.rand(()) - 2)
            p.grad, q.grad = g.clone(), g.clone()
        mine.step()
        ref.step()
    return mine, ref, ps, qs


def _assert_bitwise(
    mine: torch.optim.Optimizer,
    ref: torch.optim.Optimizer,
    ps: list[torch.Tensor],
    qs: list[torch.Tensor],
) -> None:
    for p, q in zip(ps, qs, strict=True):
        _assert_same_bits(p.detach(), q.detach(), "parameters")
        mine_state, ref_state = mine.state[p], ref.state[q]
        assert set(mine_state) == set(ref_state)
        for key, value in ref_state.items():
            _assert_same_bits(mine_state[key], value, f"state {key!r}")


def _assert_same_bits(a: torch.Tensor, b: torch.Tensor, what: str) -> None:
    """Equal dtype, shape and values, NaN where the other has NaN (no tolerance at all).

    (With ``centered=True`` and a tiny eps, ``v - gbar^2`` can round below zero: both then
    take the square root of the same negative number.)
    """
    assert a.dtype == b.dtype and a.shape == b.shape, what
    torch.testing.assert_close(a, b, rtol=0.0, atol=0.0, equal_nan=True, msg=f"{what} differ")


RMSPROP_OPTIONS = [
    {"momentum": mom, "centered": cen, "weight_decay": wd, "maximize": mx}
    for mom in (0.0, 0.9)
    for cen in (False, True)
    for wd in (0.0, 0.1)
    for mx in (False, True)
]
ADAM_OPTIONS = [
    {"amsgrad": ams, "weight_decay": wd, "maximize": mx}
    for ams in (False, True)
    for wd in (0.0, 0.1)
    for mx in (False, True)
]
DTYPES = [torch.float32, torch.float64]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("options", RMSPROP_OPTIONS, ids=str)
def test_rmsprop_is_bitwise_torch_rmsprop_for_every_option(
    options: dict[str, Any], dtype: torch.dtype
) -> None:
    hyper = {"lr": 0.01, "alpha": 0.9, "eps": 1e-6, **options}
    _assert_bitwise(*_bitwise_twins(RMSprop, _torch_loop(torch.optim.RMSprop), hyper, dtype, 0, 25))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("options", ADAM_OPTIONS, ids=str)
@pytest.mark.parametrize(
    ("ours", "theirs"),
    [(Adam, torch.optim.Adam), (AdamW, torch.optim.AdamW)],
    ids=["Adam", "AdamW"],
)
def test_adam_and_adamw_are_bitwise_torchs_for_every_option(
    ours: type, theirs: type, options: dict[str, Any], dtype: torch.dtype
) -> None:
    hyper = {"lr": 0.01, "betas": (0.8, 0.95), "eps": 1e-6, **options}
    _assert_bitwise(*_bitwise_twins(ours, _torch_loop(theirs), hyper, dtype, 1, 25))


@settings(max_examples=25, deadline=None)
@given(
    hyper=st.fixed_dictionaries(
        {
            "lr": st.floats(min_value=1e-5, max_value=1.0),
            "alpha": unit,
            "eps": st.one_of(st.just(0.0), st.floats(min_value=1e-12, max_value=1e-2)),
            "weight_decay": st.one_of(st.just(0.0), st.floats(min_value=0.0, max_value=0.1)),
            "momentum": st.one_of(st.just(0.0), unit),
            "centered": st.booleans(),
            "maximize": st.booleans(),
        }
    ),
    dtype=st.sampled_from(DTYPES),
    seed=st.integers(0, 2**16),
)
def test_rmsprop_matches_torch_bit_for_bit_over_hyperparameters(hyper, dtype, seed) -> None:
    _assert_bitwise(
        *_bitwise_twins(RMSprop, _torch_loop(torch.optim.RMSprop), hyper, dtype, seed, 20)
    )


@settings(max_examples=25, deadline=None)
@given(
    hyper=st.fixed_dictionaries({**common, "amsgrad": st.booleans()}),
    decoupled=st.booleans(),
    dtype=st.sampled_from(DTYPES),
    seed=st.integers(0, 2**16),
)
def test_adam_amsgrad_and_adamw_match_torch_bit_for_bit_over_hyperparameters(
    hyper, decoupled, dtype, seed
) -> None:
    ours, theirs = (AdamW, torch.optim.AdamW) if decoupled else (Adam, torch.optim.Adam)
    _assert_bitwise(*_bitwise_twins(ours, _torch_loop(theirs), hyper, dtype, seed, 20))


def test_the_new_defaults_are_torchs_and_adamw_is_an_adam() -> None:
    w = [torch.zeros(2, requires_grad=True)]
    for ours, theirs in ((RMSprop, torch.optim.RMSprop), (AdamW, torch.optim.AdamW)):
        mine, ref = ours(w).defaults, theirs(w).defaults
        assert mine == {k: ref[k] for k in mine}
    assert AdamW(w).defaults["weight_decay"] == 1e-2 and Adam(w).defaults["amsgrad"] is False
    assert isinstance(AdamW(w), Adam)  # as torch.optim.AdamW subclasses torch.optim.Adam


def test_amsgrad_keeps_the_running_maximum_of_the_second_moment() -> None:
    """max_exp_avg_sq is max over s <= t of v_s: never below v_t, never decreasing."""
    w = torch.zeros(5, dtype=torch.float64, requires_grad=True)
    opt = Adam([w], lr=0.01, betas=(0.9, 0.5), amsgrad=True)
    gen = torch.Generator().manual_seed(0)
    history, previous = [], torch.zeros(5, dtype=torch.float64)
    for k in range(30):
        w.grad = torch.randn(5, generator=gen, dtype=torch.float64) * (10.0 if k == 3 else 1.0)
        opt.step()
        state = opt.state[w]
        history.append(state["exp_avg_sq"].clone())
        assert torch.equal(state["max_exp_avg_sq"], torch.stack(history).amax(0))
        assert bool((state["max_exp_avg_sq"] >= previous).all())
        previous = state["max_exp_avg_sq"].clone()
    assert bool((previous > state["exp_avg_sq"]).all())  # the big gradient of step 3 is remembered


def test_adamw_decays_every_weight_by_one_minus_lr_times_weight_decay() -> None:
    """With zero gradients AdamW multiplies each weight by (1 - lr wd); Adam's L2 term instead
    moves each weight by about lr, a fraction that depends on the weight (decoupling)."""
    start = torch.tensor([1e-3, 1.0, 1e3], dtype=torch.float64)
    lr, wd = 0.01, 0.1
    w, u = start.clone().requires_grad_(), start.clone().requires_grad_()
    adamw, adam_l2 = AdamW([w], lr=lr, weight_decay=wd), Adam([u], lr, weight_decay=wd, eps=0)
    for p, opt in ((w, adamw), (u, adam_l2)):
        p.grad = torch.zeros(3, dtype=torch.float64)
        opt.step()
    assert torch.equal(w.detach(), start * (1 - lr * wd))
    # Adam: g = wd * theta, so the first step is lr * sign(theta) whatever theta is
    torch.testing.assert_close(start - u.detach(), torch.full((3,), lr, dtype=torch.float64))


def test_rmsprops_first_step_is_lr_over_sqrt_one_minus_alpha() -> None:
    """No bias correction: v_1 = (1 - alpha) g^2, so step 1 is lr / sqrt(1 - alpha) per unit."""
    for alpha in (0.0, 0.9, 0.99):
        w = torch.zeros(3, dtype=torch.float64, requires_grad=True)
        opt = RMSprop([w], lr=1e-3, alpha=alpha, eps=0.0)
        w.grad = torch.tensor([2.0, -3.0, 1e-6], dtype=torch.float64)
        opt.step()
        expected = -1e-3 / math.sqrt(1 - alpha) * torch.sign(w.grad)
        torch.testing.assert_close(w.detach(), expected, rtol=1e-12, atol=0.0)


@pytest.mark.parametrize(
    ("make", "keys"),
    [
        (lambda ps: RMSprop(ps), {"step", "square_avg"}),
        (
            lambda ps: RMSprop(ps, momentum=0.5, centered=True),
            {"step", "square_avg", "momentum_buffer", "grad_avg"},
        ),
        (lambda ps: Adam(ps, amsgrad=True), {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}),
        (lambda ps: AdamW(ps), {"step", "exp_avg", "exp_avg_sq"}),
    ],
)
def test_state_holds_torchs_keys(make: Any, keys: set[str]) -> None:
    w = torch.zeros(3, requires_grad=True)
    opt = make([w])
    w.grad = torch.ones(3)
    opt.step()
    assert set(opt.state[w]) == keys


NEW = [
    pytest.param(lambda ps, **kw: RMSprop(ps, momentum=0.9, centered=True, **kw), id="RMSprop"),
    pytest.param(lambda ps, **kw: Adam(ps, amsgrad=True, **kw), id="AMSGrad"),
    pytest.param(lambda ps, **kw: AdamW(ps, amsgrad=True, **kw), id="AdamW"),
]


@pytest.mark.parametrize("make", NEW)
def test_state_dict_round_trip_continues_the_same_trajectory(make: Any) -> None:
    torch.manual_seed(2)
    ps = [torch.randn(4, 3, requires_grad=True), torch.randn(3, requires_grad=True)]
    qs = [p.detach().clone().requires_grad_() for p in ps]
    ours, twin = make(ps, lr=0.05), make(qs, lr=0.05)
    gen = torch.Generator().manual_seed(2)
    for k in range(8):
        if k == 4:  # rebuild the twin from a saved state, as after a checkpoint
            saved = twin.state_dict()
            twin = make(qs, lr=0.5)
            twin.load_state_dict(saved)
        for p, q in zip(ps, qs, strict=True):
            p.grad = torch.randn(p.shape, generator=gen)
            q.grad = p.grad.clone()
        ours.step()
        twin.step()
    for p, q in zip(ps, qs, strict=True):
        assert torch.equal(p, q)


@pytest.mark.parametrize("make", NEW)
def test_step_runs_the_closure_with_gradients_enabled_and_returns_its_loss(make: Any) -> None:
    w = torch.nn.Parameter(torch.tensor([3.0, -1.0]))
    opt = make([w], lr=0.1)
    calls = []

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = (w**2).sum()
        loss.backward()
        calls.append(torch.is_grad_enabled())
        return loss

    loss = opt.step(closure)
    assert loss is not None and loss.requires_grad and calls == [True]
    first, second = w.detach().tolist()
    assert first < 3.0 and second > -1.0  # the step followed the closure's gradient


@pytest.mark.parametrize("make", NEW)
def test_parameters_without_gradient_are_left_alone_and_sparse_ones_refused(make: Any) -> None:
    a, b = torch.ones(3, requires_grad=True), torch.ones(2, requires_grad=True)
    opt = make([a, b], lr=0.1)
    a.grad = torch.ones(3)
    opt.step()
    assert torch.equal(b, torch.ones(2)) and b not in opt.state
    a.grad = torch.zeros(3).to_sparse()
    with pytest.raises(RuntimeError, match="sparse"):
        opt.step()


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"alpha": -0.1}, ValueError, "alpha"),
        ({"alpha": 1.0}, ValueError, "alpha"),  # torch accepts it; v then never grows
        ({"alpha": "0.9"}, TypeError, "alpha"),
        ({"momentum": -0.5}, ValueError, "momentum"),
        ({"momentum": 1.0}, ValueError, "momentum"),
        ({"eps": -1e-8}, ValueError, "eps"),
        ({"eps": math.inf}, ValueError, "eps"),
        ({"weight_decay": -0.1}, ValueError, "weight_decay"),
        ({"lr": -1e-3}, ValueError, "lr"),
        ({"lr": True}, TypeError, "lr"),
        ({"centered": 1}, TypeError, "centered"),
        ({"maximize": "yes"}, TypeError, "maximize"),
    ],
)
def test_bad_rmsprop_hyperparameters_are_named(kwargs: dict, error: type, name: str) -> None:
    with pytest.raises(error, match=rf"\b{name}\b"):
        RMSprop([torch.zeros(2, requires_grad=True)], **kwargs)


@pytest.mark.parametrize("cls", [Adam, AdamW])
def test_bad_amsgrad_and_adamw_hyperparameters_are_named(cls: type) -> None:
    w = [torch.zeros(2, requires_grad=True)]
    with pytest.raises(TypeError, match="amsgrad"):
        cls(w, amsgrad="yes")
    with pytest.raises(ValueError, match="weight_decay"):
        cls(w, weight_decay=-1e-2)
    with pytest.raises(ValueError, match=r"betas\[1\]"):
        cls(w, betas=(0.9, 1.0))


@pytest.mark.parametrize("make", NEW)
def test_add_param_group_checks_hyperparameters_and_changes_nothing_on_error(make: Any) -> None:
    opt = make([torch.zeros(2, requires_grad=True)], lr=0.1)
    before = [dict(g) for g in opt.param_groups]
    with pytest.raises(ValueError, match=r"\blr\b"):
        opt.add_param_group({"params": [torch.zeros(2, requires_grad=True)], "lr": -1.0})
    assert opt.param_groups == before


@pytest.mark.parametrize("cls", [RMSprop, AdamW])
@pytest.mark.parametrize(
    ("params", "error"),
    [
        (torch.zeros(2, requires_grad=True), TypeError),
        ([], ValueError),
        ([torch.zeros(2, dtype=torch.long)], TypeError),
        (3, TypeError),
    ],
)
def test_bad_params_of_the_new_optimizers_are_named(cls: type, params: object, error: type) -> None:
    with pytest.raises(error, match="params"):
        cls(params)
