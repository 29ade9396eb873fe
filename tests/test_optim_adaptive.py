"""nag_lib.optim.Adam and NAdam are torch.optim.Adam and torch.optim.NAdam, written from the
equations: a property test over hyperparameters, dtypes and shapes, plus the argument checks."""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nag_lib.optim import Adam, NAdam

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
        assert {k: mine[k] for k in mine} == {k: ref[k] for k in mine}


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
