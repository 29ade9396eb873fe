"""The single-pass optimizer steps (nag_lib.fused) against torch.optim and against the book's
own tensor-operation form: heavy ball and NAG bit for bit; Adam, AdamW, AMSGrad and NAdam bit
for bit in their moments and, in the parameters, equal to torch's arithmetic with a correctly
rounded square root (one step, emulated in NumPy) and as close to torch's loop as torch's own
fused Adam is (50 steps). Results do not depend on the thread count; anything the single pass
cannot take goes to the tensor-operation form, or is refused by name under ``fused=True``."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any
from unittest import mock

import numpy as np
import pytest
import torch

from nag_lib import fused
from nag_lib.optim import NAG, Adam, AdamW, HeavyBall, NAdam


def test_the_single_pass_is_built_and_loaded() -> None:
    """make test builds it first; every test below relies on it (none is skipped without it)."""
    assert fused.available(), fused.unavailable_reason()


SIZES = (1, 7, 1000, 4099)  # one element, odd tails (the loops are vectorised 8 or 4 wide)
BIG = (2**18 + 5, 3)  # several work items of 2**18 elements: both threads busy
STEPS = 20


@contextmanager
def threads(n: int) -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _params(dtype: torch.dtype, sizes: tuple[int, ...] = SIZES) -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    return [torch.randn(n, generator=gen, dtype=dtype) for n in sizes]


def _run(
    make: Callable[[list[torch.Tensor]], torch.optim.Optimizer],
    dtype: torch.dtype,
    steps: int = STEPS,
    sizes: tuple[int, ...] = SIZES,
) -> tuple[list[torch.Tensor], torch.optim.Optimizer]:
    """``steps`` steps of ``make(params)`` on gradients drawn from a fixed seed; returns the
    parameters and the optimizer."""
    params = [p.requires_grad_() for p in _params(dtype, sizes)]
    opt = make(params)
    gen = torch.Generator().manual_seed(1)
    for k in range(steps):
        for p in params:
            p.grad = torch.randn(p.shape, generator=gen, dtype=dtype) * (1 + k % 3)
        opt.step()
    return [p.detach() for p in params], opt


def _same(a: list[torch.Tensor], b: list[torch.Tensor]) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a, b, strict=True))


def _max_diff(a: list[torch.Tensor], b: list[torch.Tensor]) -> float:
    return max(float((x - y).abs().max()) for x, y in zip(a, b, strict=True))


SGD_OPTIONS = [
    {"momentum": m, "dampening": d, "weight_decay": wd, "maximize": mx}
    for m, d, wd, mx in itertools.product((0.0, 0.9), (0.0, 0.3), (0.0, 0.1), (False, True))
    if not (m == 0.0 and d != 0.0)
]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("kw", SGD_OPTIONS, ids=str)
def test_heavy_ball_in_one_pass_is_bitwise_torch_sgd(
    kw: dict[str, Any], dtype: torch.dtype
) -> None:
    with mock.patch.object(fused, "_sgd_step", wraps=fused._sgd_step) as one:
        ours, opt = _run(lambda ps: HeavyBall(ps, lr=0.05, fused=True, **kw), dtype)
    theirs, ref = _run(lambda ps: torch.optim.SGD(ps, lr=0.05, foreach=False, **kw), dtype)
    assert one.call_count >= STEPS
    assert _same(ours, theirs)
    if kw["momentum"]:
        bufs = [opt.state[p]["momentum_buffer"] for g in opt.param_groups for p in g["params"]]
        refs = [ref.state[p]["momentum_buffer"] for g in ref.param_groups for p in g["params"]]
        assert _same(bufs, refs)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(("wd", "maximize"), [(0.0, False), (0.1, True)])
def test_nag_in_one_pass_is_bitwise_torch_sgd_nesterov_and_the_default(
    wd: float, maximize: bool, dtype: torch.dtype
) -> None:
    kw = {"lr": 0.05, "momentum": 0.9, "weight_decay": wd, "maximize": maximize}
    with mock.patch.object(fused, "_sgd_step", wraps=fused._sgd_step) as one:
        ours, _ = _run(lambda ps: NAG(ps, **kw), dtype)  # fused=None: the single pass
    assert one.call_count == STEPS
    theirs, _ = _run(lambda ps: torch.optim.SGD(ps, nesterov=True, foreach=False, **kw), dtype)
    spec, _ = _run(lambda ps: NAG(ps, fused=False, **kw), dtype)
    assert _same(ours, theirs)
    assert _same(spec, theirs)


ADAM_OPTIONS = [
    {"weight_decay": wd, "amsgrad": ams, "maximize": mx, "betas": (0.9, 0.999)}
    for wd, ams, mx in itertools.product((0.0, 0.1), (False, True), (False, True))
] + [{"betas": (0.3, 0.99)}]  # a first-moment weight over 0.5: lerp's other branch


def _moments(opt: torch.optim.Optimizer, key: str) -> list[torch.Tensor]:
    return [opt.state[p][key] for g in opt.param_groups for p in g["params"]]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("cls", [Adam, AdamW])
@pytest.mark.parametrize("kw", ADAM_OPTIONS, ids=str)
def test_adam_in_one_pass_is_as_close_to_torchs_loop_as_torchs_fused_adam(
    kw: dict[str, Any], cls: type[Adam], dtype: torch.dtype
) -> None:
    """50 steps. The moments do not involve the square root: bit for bit. The parameters differ
    from torch's loop only through its square root, by no more than torch's fused Adam does."""
    torch_cls = torch.optim.AdamW if cls is AdamW else torch.optim.Adam
    ours, opt = _run(lambda ps: cls(ps, lr=0.01, fused=True, **kw), dtype, steps=50)
    loop, ref = _run(lambda ps: torch_cls(ps, lr=0.01, foreach=False, **kw), dtype, steps=50)
    theirs_fused, _ = _run(lambda ps: torch_cls(ps, lr=0.01, fused=True, **kw), dtype, steps=50)
    if kw.get("weight_decay", 0.0) == 0.0 or cls is AdamW:  # the moments never see the params
        for key in ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if kw.get("amsgrad") else ()):
            assert _same(_moments(opt, key), _moments(ref, key)), key
    ulp = torch.finfo(dtype).eps
    assert 0 < _max_diff(ours, loop) <= max(2 * _max_diff(theirs_fused, loop), 4 * ulp)
    assert _max_diff(ours, loop) <= 16 * ulp  # a few roundings, on parameters of size ~1-3


def _nadam_coefs(t: int, lr: float, beta1: float, psi: float) -> tuple[float, float]:
    """NAdam's two step coefficients at step t (as torch.optim.NAdam's loop computes them)."""
    mu = [beta1 * (1.0 - 0.5 * 0.96 ** (k * psi)) for k in range(1, t + 2)]
    prod = float(torch.tensor(1.0, dtype=torch.float32).mul_(mu[0]).item())
    for k in range(1, t):
        prod = float(torch.tensor(prod, dtype=torch.float32).mul_(mu[k]).item())
    return -lr * (1 - mu[t - 1]) / (1 - prod), -lr * mu[t] / (1 - prod * mu[t])


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("kind", ["adam", "amsgrad", "adamw", "nadam", "nadam_decoupled"])
def test_one_step_is_torchs_arithmetic_with_a_correctly_rounded_square_root(
    kind: str, dtype: torch.dtype
) -> None:
    """One step from random state, emulated in NumPy operation for operation (each NumPy
    operation rounds once; the multiply-adds that torch's kernels fuse are computed exactly in
    float64 or with an exact float32 product, then rounded once)."""
    gen = torch.Generator().manual_seed(3)
    n = 70001 if dtype == torch.float32 else 3001  # the float64 emulation is slow
    p, g, m = (torch.randn(n, generator=gen, dtype=dtype) for _ in range(3))
    v, vmax = (torch.rand(n, generator=gen, dtype=dtype) for _ in range(2))
    np_t = np.float32 if dtype == torch.float32 else np.float64
    P, G, M, V, VM = (x.numpy().copy() for x in (p, g, m, v, vmax))
    lr, b1, b2, eps, wd = 0.01, 0.9, 0.999, 1e-8, 0.1
    shrink = np_t(1 - lr * wd) if kind in ("adamw", "nadam_decoupled") else np_t(1)
    decay = kind in ("adam", "amsgrad", "nadam")

    def fma(a: Any, b: Any, c: Any) -> Any:
        if np_t is np.float32:  # the product of two float32 is exact in float64
            return (a.astype(np.float64) * b + c).astype(np.float32)
        return np.array([float(x) for x in _fma64(a, b, c)])

    Pd = P * shrink
    Gd = fma(Pd, np_t(wd), G) if decay else G
    Mn = fma(np_t(1 - b1), Gd - M, M)
    Vn = fma(np_t(1 - b2) * Gd, Gd, V * np_t(b2))
    ps, gs, ms, vs, vms = ([t.clone()] for t in (p, g, m, v, vmax))
    if kind.startswith("nadam"):
        t = 1
        cg, cm = _nadam_coefs(t, lr, b1, 4e-3)
        denom = np.sqrt(Vn / np_t(1 - b2**t)) + np_t(eps)
        expected = Pd + (np_t(cg) * Gd) / denom
        expected = expected + (np_t(cm) * Mn) / denom
        fused._nadam_step(
            ps, gs, ms, vs, [1 - b2**t], [cg], [cm], shrink=1 - lr * wd, beta1=b1,
            beta2=b2, eps=eps, weight_decay=wd, maximize=False, decoupled=not decay,
        )  # fmt: skip
    else:
        t = 4
        vd = np.maximum(VM, Vn) if kind == "amsgrad" else Vn
        denom = np.sqrt(vd) / np_t((1 - b2**t) ** 0.5) + np_t(eps)
        expected = Pd + (np_t(-lr / (1 - b1**t)) * Mn) / denom
        fused._adam_step(
            ps, gs, ms, vs, vms if kind == "amsgrad" else [], [lr / (1 - b1**t)],
            [(1 - b2**t) ** 0.5], shrink=1 - lr * wd, beta1=b1, beta2=b2, eps=eps,
            weight_decay=wd, amsgrad=kind == "amsgrad", maximize=False, decoupled=not decay,
        )  # fmt: skip
    assert np.array_equal(ms[0].numpy(), Mn)
    assert np.array_equal(vs[0].numpy(), Vn)
    assert np.array_equal(ps[0].numpy(), expected)


def _fma64(a: Any, b: Any, c: Any) -> Iterator[float]:
    """Exactly rounded a * b + c for float64 (Python's math.fma needs 3.13; use fractions)."""
    from fractions import Fraction

    flat = (arr.ravel().tolist() for arr in np.broadcast_arrays(a, b, c))
    for x, y, z in zip(*flat, strict=True):
        yield float(Fraction(x) * Fraction(y) + Fraction(z))


NADAM_OPTIONS = [
    {},
    {"weight_decay": 0.1},
    {"weight_decay": 0.1, "decoupled_weight_decay": True},
    {"maximize": True, "momentum_decay": 6e-3},
]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("kw", NADAM_OPTIONS, ids=str)
def test_nadam_in_one_pass_keeps_torchs_moments_and_is_within_a_few_roundings(
    kw: dict[str, Any], dtype: torch.dtype
) -> None:
    ours, opt = _run(lambda ps: NAdam(ps, lr=0.01, fused=True, **kw), dtype, steps=50)
    loop, ref = _run(lambda ps: torch.optim.NAdam(ps, lr=0.01, foreach=False, **kw), dtype, 50)
    spec, _ = _run(lambda ps: NAdam(ps, lr=0.01, **kw), dtype, steps=50)
    assert _same(spec, loop)  # the default is torch's loop, bit for bit
    if kw.get("weight_decay", 0.0) == 0.0 or kw.get("decoupled_weight_decay"):
        assert _same(_moments(opt, "exp_avg"), _moments(ref, "exp_avg"))
        assert _same(_moments(opt, "exp_avg_sq"), _moments(ref, "exp_avg_sq"))
    for key in ("step", "mu_product"):
        assert _same(_moments(opt, key), _moments(ref, key))
    assert 0 < _max_diff(ours, loop) <= 16 * torch.finfo(dtype).eps


def _sgd(ps: list[torch.Tensor], **kw: Any) -> torch.optim.Optimizer:
    return torch.optim.SGD(ps, lr=0.05, momentum=0.9, foreach=False, **kw)


BIG_CASES = [
    (partial(HeavyBall, lr=0.05, weight_decay=0.1, fused=True), partial(_sgd, weight_decay=0.1), 0),
    (partial(NAG, lr=0.05, maximize=True), partial(_sgd, nesterov=True, maximize=True), 0),
    (
        partial(Adam, lr=0.01, amsgrad=True, fused=True),
        partial(torch.optim.Adam, lr=0.01, amsgrad=True, foreach=False),
        16,
    ),
    (
        partial(NAdam, lr=0.01, weight_decay=0.1, fused=True),
        partial(torch.optim.NAdam, lr=0.01, weight_decay=0.1, foreach=False),
        16,
    ),
]


@pytest.mark.parametrize(("ours", "theirs", "ulps"), BIG_CASES)
def test_on_several_work_items_the_thread_count_does_not_change_a_single_bit(
    ours: Any, theirs: Any, ulps: int
) -> None:
    """A tensor of 2**18 + 5 elements is two work items: at 2 threads each thread takes one.
    The result is the same at 1 and 2 threads, bit for bit, and torch's (within ``ulps``)."""
    results = []
    for n in (1, 2):
        with threads(n):
            results.append(_run(ours, torch.float32, steps=5, sizes=BIG)[0])
    assert _same(*results)
    ref = _run(theirs, torch.float32, steps=5, sizes=BIG)[0]
    assert _max_diff(results[0], ref) <= ulps * torch.finfo(torch.float32).eps


TENSOR_LR = [
    (NAG, {"lr": torch.tensor(0.05)}, torch.optim.SGD, {"momentum": 0.9, "nesterov": True}),
    (HeavyBall, {"lr": torch.tensor([0.05])}, torch.optim.SGD, {"momentum": 0.9}),
    (AdamW, {"lr": torch.tensor(0.01)}, torch.optim.AdamW, {}),
    (NAdam, {"lr": torch.tensor(0.01), "weight_decay": 0.1}, torch.optim.NAdam, {}),
]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(("ours", "kw", "theirs", "extra"), TENSOR_LR)
def test_a_tensor_learning_rate_gives_torchs_bits(
    ours: Any, kw: dict[str, Any], theirs: Any, extra: dict[str, Any], dtype: torch.dtype
) -> None:
    mine = _run(lambda ps: ours(ps, **kw), dtype)[0]
    ref = _run(lambda ps: theirs(ps, foreach=False, **kw, **extra), dtype)[0]
    assert _same(mine, ref)


def test_what_the_single_pass_cannot_take_goes_to_the_tensor_operations() -> None:
    """Transposed (non-contiguous) parameters and mixed dtypes: same bits, tensor operations;
    ``fused=True`` refuses them, naming the option."""
    gen = torch.Generator().manual_seed(0)
    cases = {
        "transposed": [torch.randn(30, 20, generator=gen).t().requires_grad_()],
        "mixed dtypes": [
            torch.randn(5, generator=gen).requires_grad_(),
            torch.randn(5, generator=gen, dtype=torch.float64).requires_grad_(),
        ],
        "bfloat16": [torch.randn(5, generator=gen).bfloat16().requires_grad_()],
    }
    for name, params in cases.items():
        twins = [p.detach().clone().requires_grad_() for p in params]
        ours, ref = NAG(params, lr=0.1), torch.optim.SGD(twins, lr=0.1, momentum=0.9, nesterov=True)
        with mock.patch.object(fused, "_sgd_step", wraps=fused._sgd_step) as one:
            for _ in range(3):
                for p, q in zip(params, twins, strict=True):
                    p.grad = torch.ones_like(p)
                    q.grad = torch.ones_like(q)
                ours.step()
                ref.step()
        assert one.call_count == 0, name
        assert _same([p.detach() for p in params], [q.detach() for q in twins]), name
        strict = NAG(params, lr=0.1, fused=True)
        with pytest.raises(RuntimeError, match="fused=True"):
            strict.step()


def test_fused_must_be_none_or_a_bool() -> None:
    w = torch.nn.Parameter(torch.ones(2))
    for cls in (HeavyBall, NAG, Adam, AdamW, NAdam):
        with pytest.raises(TypeError, match="fused"):
            cls([w], lr=0.1, fused="yes")  # type: ignore[arg-type]


def test_without_the_extension_every_optimizer_runs_its_tensor_operations() -> None:
    """In a fresh process with the single pass switched off: fused=None still trains (same
    bits as torch), and fused=True says why it cannot run."""
    code = (
        "import torch\n"
        "from nag_lib import fused\n"
        "from nag_lib.optim import NAG\n"
        "assert not fused.available() and 'NAG_LIB_NO_FUSED' in fused.unavailable_reason()\n"
        "w = torch.nn.Parameter(torch.ones(3)); v = torch.nn.Parameter(torch.ones(3))\n"
        "a, b = NAG([w], lr=0.1), torch.optim.SGD([v], lr=0.1, momentum=0.9, nesterov=True)\n"
        "for _ in range(3):\n"
        "    w.grad = torch.full((3,), 0.5); v.grad = torch.full((3,), 0.5); a.step(); b.step()\n"
        "assert torch.equal(w, v)\n"
        "try:\n"
        "    w.grad = torch.ones(3); NAG([w], lr=0.1, fused=True).step()\n"
        "except RuntimeError as e:\n"
        "    print(e)\n"
    )
    env = {**os.environ, "NAG_LIB_NO_FUSED": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert "fused=True" in out and "NAG_LIB_NO_FUSED" in out


def test_a_step_advances_the_version_counters_as_an_in_place_update_does() -> None:
    """Autograd must still see that a tensor saved for backward was changed by the step."""
    w = torch.nn.Parameter(torch.ones(4))
    opt = NAG([w], lr=0.1)
    loss = (w * w).sum()  # saves w for backward
    w.grad = torch.ones(4)
    opt.step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()
