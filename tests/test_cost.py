"""nag_lib.cost: what an optimizer step costs, counted exactly."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from nag_lib import optim as nopt
from nag_lib.cost import (
    PassCounter,
    grad_evals_per_step,
    matmul_flops,
    optimizer_state_floats,
    parameter_count,
    relative_times,
    state_buffers_per_parameter,
    step_bytes_per_parameter,
    step_writes_per_parameter,
)

Maker = Callable[[list[nn.Parameter]], torch.optim.Optimizer]

#: name -> (factory, parameter-sized state buffers, elements written per parameter by a step)
FIRST_ORDER: dict[str, tuple[Maker, int, int]] = {
    "sgd": (lambda p: torch.optim.SGD(p, lr=0.01), 0, 1),
    "heavy_ball": (lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9), 1, 3),
    "nag": (lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9, nesterov=True), 1, 4),
    "adam": (lambda p: torch.optim.Adam(p, lr=0.01), 2, 7),
    "nadam": (lambda p: torch.optim.NAdam(p, lr=0.01), 2, 8),
    "nag_lib_sgd": (lambda p: nopt.HeavyBall(p, lr=0.01, momentum=0.0, fused=False), 0, 1),
    "nag_lib_heavy_ball": (lambda p: nopt.HeavyBall(p, lr=0.01, fused=False), 1, 3),
    "nag_lib_nag": (lambda p: nopt.NAG(p, lr=0.01, fused=False), 1, 4),
    "nag_lib_adam": (lambda p: nopt.Adam(p, lr=0.01), 2, 7),
    "nag_lib_nadam": (lambda p: nopt.NAdam(p, lr=0.01), 2, 8),
    # one pass over memory (nag_lib.fused): each updated tensor written once
    "single_pass_sgd": (lambda p: nopt.HeavyBall(p, lr=0.01, momentum=0.0, fused=True), 0, 1),
    "single_pass_heavy_ball": (lambda p: nopt.HeavyBall(p, lr=0.01, fused=True), 1, 2),
    "single_pass_nag": (lambda p: nopt.NAG(p, lr=0.01, fused=True), 1, 2),
    "single_pass_adam": (lambda p: nopt.Adam(p, lr=0.01, fused=True), 2, 3),
    "single_pass_amsgrad": (lambda p: nopt.Adam(p, lr=0.01, amsgrad=True, fused=True), 3, 4),
    "single_pass_nadam": (lambda p: nopt.NAdam(p, lr=0.01, fused=True), 2, 3),
}


def _problem(
    make: Maker, shapes: tuple[tuple[int, ...], ...] = ((3, 4), (4,))
) -> tuple[list[nn.Parameter], torch.optim.Optimizer, Callable[[], torch.Tensor]]:
    gen = torch.Generator().manual_seed(0)
    params = [nn.Parameter(torch.randn(s, generator=gen, dtype=torch.float64)) for s in shapes]
    opt = make(params)

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = sum(((p - 1.0) ** 4).sum() for p in params)
        assert isinstance(loss, torch.Tensor)
        loss.backward()
        return loss

    return params, opt, closure


def _rosenbrock_lbfgs(max_iter: int) -> tuple[torch.optim.Optimizer, Callable[[], torch.Tensor]]:
    w = torch.tensor([-1.5, 2.0], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w], max_iter=max_iter)

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = (1 - w[0]) ** 2 + 100 * (w[1] - w[0] ** 2) ** 2
        loss.backward()
        return loss

    return opt, closure


@pytest.mark.parametrize("name", FIRST_ORDER)
def test_first_order_methods_evaluate_one_gradient_per_step(name: str) -> None:
    _, opt, closure = _problem(FIRST_ORDER[name][0])
    assert grad_evals_per_step(opt, closure, steps=4) == [1, 1, 1, 1]


@pytest.mark.parametrize("max_iter", [1, 5, 20])
def test_lbfgs_without_line_search_evaluates_max_iter_gradients_per_step(max_iter: int) -> None:
    opt, closure = _rosenbrock_lbfgs(max_iter)
    assert grad_evals_per_step(opt, closure, steps=2) == [max_iter, max_iter]


@settings(max_examples=25, deadline=None)
@given(
    name=st.sampled_from(sorted(FIRST_ORDER)),
    shapes=st.lists(
        st.lists(st.integers(1, 5), min_size=1, max_size=3).map(tuple), min_size=1, max_size=3
    ).map(tuple),
)
def test_state_buffers_are_0_1_or_2_per_parameter(
    name: str, shapes: tuple[tuple[int, ...], ...]
) -> None:
    make, buffers, _ = FIRST_ORDER[name]
    params, opt, closure = _problem(make, shapes)
    opt.step(closure)
    n = sum(p.numel() for p in params)
    assert parameter_count(opt) == n
    assert optimizer_state_floats(opt) == buffers * n
    assert state_buffers_per_parameter(opt) == buffers


def test_scalar_state_is_counted_only_on_request() -> None:
    params, opt, closure = _problem(FIRST_ORDER["adam"][0])
    opt.step(closure)
    n = sum(p.numel() for p in params)
    # one 0-dimensional step counter per parameter tensor
    assert optimizer_state_floats(opt, include_scalars=True) == 2 * n + len(params)


def test_lbfgs_state_grows_with_its_curvature_history() -> None:
    opt, closure = _rosenbrock_lbfgs(5)
    sizes = []
    for _ in range(3):
        opt.step(closure)
        sizes.append(state_buffers_per_parameter(opt))
    assert sizes[0] < sizes[1] < sizes[2]
    assert sizes[0] > 2


@pytest.mark.parametrize("name", FIRST_ORDER)
def test_step_writes_count_the_elementwise_passes_of_each_method(name: str) -> None:
    make, _, writes = FIRST_ORDER[name]
    _, opt, closure = _problem(make)
    for _ in range(2):  # the second step is the steady state (buffers exist)
        closure()
        measured = step_writes_per_parameter(opt)
    assert measured == pytest.approx(writes, abs=1e-9)


BYTES = {  # float32 parameters: bytes read and written per parameter by one steady-state step
    "sgd": (lambda p: torch.optim.SGD(p, lr=0.01), 12),
    "heavy_ball": (lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9), 32),
    "nag": (lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9, nesterov=True), 44),
    "adam": (lambda p: torch.optim.Adam(p, lr=0.01), 72),
    "single_pass_heavy_ball": (lambda p: nopt.HeavyBall(p, lr=0.01, fused=True), 20),
    "single_pass_nag": (lambda p: nopt.NAG(p, lr=0.01, fused=True), 20),
    "single_pass_adam": (lambda p: nopt.Adam(p, lr=0.01, fused=True), 28),
    "single_pass_amsgrad": (lambda p: nopt.Adam(p, lr=0.01, amsgrad=True, fused=True), 36),
    "single_pass_nadam": (lambda p: nopt.NAdam(p, lr=0.01, fused=True), 28),
}


@pytest.mark.parametrize("name", BYTES)
def test_step_bytes_count_what_each_operator_reads_and_writes(name: str) -> None:
    """sgd: read p, g, write p (3 floats). heavy ball: b *= m (2), b += g (3), p -= lr b (3).
    NAG: one pass more, t = g + m b (3). Adam: lerp (3), v *= b2 (2), v += g g (3),
    sqrt (2), / (2), += eps (2), addcdiv (4). A single pass: each tensor once."""
    make, expected = BYTES[name]
    params = [nn.Parameter(torch.randn(s)) for s in ((5, 4), (4,))]
    opt = make(params)
    for _ in range(2):
        for p in params:
            p.grad = torch.randn_like(p)
        measured = step_bytes_per_parameter(opt)
    assert measured == expected


def test_step_writes_need_gradients() -> None:
    w = nn.Parameter(torch.ones(2))
    with pytest.raises(ValueError, match="no gradient"):
        step_writes_per_parameter(torch.optim.SGD([w], lr=0.1))


@given(batch=st.integers(1, 8), n_in=st.integers(1, 6), n_out=st.integers(1, 6))
@settings(max_examples=20, deadline=None)
def test_matmul_flops_of_a_linear_layer_are_2_batch_in_out(
    batch: int, n_in: int, n_out: int
) -> None:
    lin = nn.Linear(n_in, n_out)
    x = torch.ones(batch, n_in)
    assert matmul_flops(lambda: lin(x)) == 2 * batch * n_in * n_out


def test_backward_costs_twice_the_forward_except_for_the_first_layer() -> None:
    net = nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3))
    x = torch.ones(4, 5)
    fwd = matmul_flops(lambda: net(x))
    both = matmul_flops(lambda: net(x).sum().backward())
    first, second = 2 * 4 * 5 * 7, 2 * 4 * 7 * 3
    assert fwd == first + second
    assert both - fwd == first + 2 * second


def test_pass_counter_sees_one_forward_and_one_backward_per_plain_step() -> None:
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    with PassCounter(net) as passes:
        for _ in range(3):
            opt.zero_grad()
            net(torch.ones(2, 3)).sum().backward()
            opt.step()
    assert (passes.forward, passes.backward) == (3, 3)
    net(torch.ones(2, 3)).sum().backward()  # after the block nothing is counted
    assert (passes.forward, passes.backward) == (3, 3)


def test_pass_counter_would_see_a_second_backward() -> None:
    lin = nn.Linear(2, 1)
    with PassCounter(lin) as passes:
        out = lin(torch.ones(1, 2)).sum()
        out.backward(retain_graph=True)
        out.backward()
    assert (passes.forward, passes.backward) == (1, 2)


def test_pass_counter_ignores_frozen_parameters() -> None:
    net = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    net[0].weight.requires_grad_(False)
    with PassCounter(net) as passes:
        net(torch.ones(1, 2)).sum().backward()
    assert (passes.forward, passes.backward) == (1, 1)
    assert net[0].weight.grad is None


def test_relative_times_are_ratios_to_the_baseline() -> None:
    r = relative_times(
        {"fast": lambda: None, "slow": lambda: time.sleep(0.002)}, "fast", repeats=2, rounds=3
    )
    assert r["fast"] == 1.0
    assert r["slow"] > 5.0


@pytest.mark.parametrize(
    ("kwargs", "error", "fragment"),
    [
        ({"fns": {}, "baseline": "a"}, ValueError, "non-empty"),
        ({"fns": {"a": 3}, "baseline": "a"}, TypeError, "fns\\['a'\\]"),
        ({"fns": {"a": lambda: None}, "baseline": "b"}, ValueError, "baseline"),
        ({"fns": {"a": lambda: None}, "baseline": "a", "repeats": 0}, ValueError, "repeats"),
        ({"fns": {"a": lambda: None}, "baseline": "a", "rounds": 1.5}, TypeError, "rounds"),
        ({"fns": {"a": lambda: None}, "baseline": "a", "clock": 0}, TypeError, "clock"),
    ],
)
def test_relative_times_rejects_bad_arguments(
    kwargs: dict[str, object], error: type[Exception], fragment: str
) -> None:
    with pytest.raises(error, match=fragment):
        relative_times(**kwargs)  # type: ignore[arg-type]


def test_relative_times_reads_the_clock_it_is_given() -> None:
    ticks = iter(range(100))
    fake = lambda: float(next(ticks))  # noqa: E731 - each call advances the clock by 1
    # "a" spans 2 ticks per round (start, stop), "b" calls the clock once more inside
    r = relative_times({"a": lambda: None, "b": fake}, "a", repeats=1, rounds=2, clock=fake)
    assert r == {"a": 1.0, "b": 2.0}


def test_relative_times_refuses_a_baseline_that_took_no_time() -> None:
    with pytest.raises(ValueError, match="no measurable time"):
        relative_times({"a": lambda: None}, "a", rounds=1, clock=lambda: 1.0)


def test_bad_arguments_name_themselves() -> None:
    w = nn.Parameter(torch.ones(1))
    opt = torch.optim.SGD([w], lr=0.1)
    with pytest.raises(TypeError, match="optimizer"):
        parameter_count("sgd")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="closure"):
        grad_evals_per_step(opt, 3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="steps"):
        grad_evals_per_step(opt, lambda: w.sum(), steps=0)
    with pytest.raises(TypeError, match="steps"):
        grad_evals_per_step(opt, lambda: w.sum(), steps=True)
    with pytest.raises(TypeError, match="include_scalars"):
        optimizer_state_floats(opt, include_scalars=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="fn"):
        matmul_flops(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="model"):
        PassCounter(w)  # type: ignore[arg-type]
