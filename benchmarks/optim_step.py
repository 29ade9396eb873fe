"""Time one optimizer step of nag_lib's single pass against torch.optim's loop, foreach and fused.

For each of heavy ball, NAG, Adam and NAdam, on ~10 M float32 parameters in ~100 tensors:

* our single pass (``fused=True``, :mod:`nag_lib.fused`) and our tensor-operation form
  (``fused=False``, the specification), torch's per-tensor loop (``foreach=False``), its
  multi-tensor path (``foreach=True``) and its fused kernel (``fused=True``, where torch has one:
  not for NAdam);
* the ratio of our single pass to torch's fastest variant (target: <= 1.0), taken round by round
  (each round times every variant once, so the ratio pairs runs made under the same load) and
  summarised by its median;
* the bytes each step must move (heavy ball and NAG: read parameter, gradient, buffer, write
  parameter and buffer, 20 bytes per float32 parameter; Adam and NAdam: 28) per second, as a
  fraction of the bandwidth of a plain copy measured in the same rounds (8 bytes per element:
  read one, write one). Target for heavy ball and NAG: >= 80 %.

Every variant runs on its own copy of the same parameters and gradients; rounds rotate the
order of the variants so that none always runs after another. Times are printed as ratios and
fractions, which mean something on any machine, with the medians in milliseconds for this one.

Usage::

    python benchmarks/optim_step.py [--params 10000000] [--tensors 100] [--rounds 21]
        [--threads N] [--methods heavy_ball,nag,adam,nadam]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import torch

from nag_lib import fused
from nag_lib.optim import NAG, Adam, HeavyBall, NAdam

#: method -> (bytes per float32 parameter, our class, torch's class, shared keyword arguments)
METHODS: dict[str, tuple[int, Any, Any, dict[str, Any]]] = {
    "heavy_ball": (20, HeavyBall, torch.optim.SGD, {"lr": 0.01, "momentum": 0.9}),
    "nag": (20, NAG, torch.optim.SGD, {"lr": 0.01, "momentum": 0.9, "nesterov": True}),
    "adam": (28, Adam, torch.optim.Adam, {"lr": 1e-3}),
    "nadam": (28, NAdam, torch.optim.NAdam, {"lr": 1e-3}),
}
COPY = "copy (bandwidth probe)"


def _params(total: int, count: int) -> list[torch.Tensor]:
    size = total // count
    gen = torch.Generator().manual_seed(0)
    out = []
    for _ in range(count):
        p = torch.randn(size, generator=gen).requires_grad_()
        p.grad = torch.randn(size, generator=gen) * 1e-3
        out.append(p)
    return out


def _clone(params: list[torch.Tensor]) -> list[torch.Tensor]:
    out = []
    for p in params:
        q = p.detach().clone().requires_grad_()
        assert p.grad is not None
        q.grad = p.grad.clone()
        out.append(q)
    return out


def steppers(method: str, params: list[torch.Tensor]) -> dict[str, Callable[[], object]]:
    """One ``step`` callable per variant of ``method``, each over its own copy of ``params``."""
    _, ours, theirs, kw = METHODS[method]
    own = {k: v for k, v in kw.items() if k != "nesterov"}
    out: dict[str, Callable[[], object]] = {
        "ours, single pass": ours(_clone(params), fused=True, **own).step,
        "ours, tensor operations": ours(_clone(params), fused=False, **own).step,
        "torch loop": theirs(_clone(params), foreach=False, **kw).step,
        "torch foreach": theirs(_clone(params), foreach=True, **kw).step,
    }
    if method != "nadam":  # torch has no fused NAdam
        out["torch fused"] = theirs(_clone(params), fused=True, **kw).step
    return out


def measure(
    method: str, total: int, count: int, rounds: int, warmup: int = 3
) -> dict[str, list[float]]:
    """Seconds per call of each variant (and of a copy of the same bytes), round by round."""
    params = _params(total, count)
    fns = steppers(method, params)
    src = torch.cat([p.detach().reshape(-1) for p in params])
    dst = torch.empty_like(src)
    fns[COPY] = lambda: dst.copy_(src)
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    order = list(fns.items())
    for r in range(rounds):
        for name, fn in order[r % len(order) :] + order[: r % len(order)]:
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return times


def summarise(method: str, times: dict[str, list[float]], total: int) -> dict[str, float]:
    """Median times, the median round-by-round ratio to torch's fastest, bandwidth fractions."""
    med = {name: statistics.median(ts) for name, ts in times.items()}
    torch_names = [n for n in times if n.startswith("torch")]
    fastest = min(torch_names, key=med.__getitem__)
    ratios = [a / b for a, b in zip(times["ours, single pass"], times[fastest], strict=True)]
    copy_bw = 8 * total / med[COPY]
    moved = METHODS[method][0] * total
    return {
        **{f"{name} ms": 1e3 * t for name, t in med.items()},
        "torch fastest": float(torch_names.index(fastest)),
        "ratio": statistics.median(ratios),
        "bandwidth": moved / med["ours, single pass"] / copy_bw,
        "torch bandwidth": moved / med[fastest] / copy_bw,
        "copy GB/s": copy_bw / 1e9,
    }


def report(methods: list[str], total: int, count: int, rounds: int) -> dict[str, dict[str, float]]:
    """Print one table per method; return the summaries."""
    print(f"{total / 1e6:.1f} M float32 parameters in {count} tensor(s), {rounds} rounds\n")
    out = {}
    for method in methods:
        times = measure(method, total, count, rounds)
        s = summarise(method, times, total)
        torch_names = [n for n in times if n.startswith("torch")]
        fastest = torch_names[int(s["torch fastest"])]
        print(f"{method} ({METHODS[method][0]} bytes per parameter)")
        for name in times:
            if name != COPY:
                print(f"  {name:<26}{s[f'{name} ms']:7.2f} ms")
        print(f"  single pass / {fastest} (median of rounds): {s['ratio']:.2f}")
        print(
            f"  bytes moved per second / copy bandwidth: single pass {s['bandwidth']:.0%},"
            f" {fastest} {s['torch bandwidth']:.0%} (copy: {s['copy GB/s']:.1f} GB/s)\n"
        )
        out[method] = s
    return out


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", type=int, default=10_000_000)
    parser.add_argument("--tensors", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("--methods", default=",".join(METHODS))
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    fused.build()
    methods = args.methods.split(",")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s)")
    print("(on a shared machine ratios vary by several %: compare several runs)\n")
    summary = report(methods, args.params, args.tensors, args.rounds)
    print("targets: ratio <= 1.0 for every method; bandwidth >= 80 % for heavy ball and NAG")
    for method, s in summary.items():
        ok = s["ratio"] <= 1.0 and (method in ("adam", "nadam") or s["bandwidth"] >= 0.8)
        print(f"  {method:<11} ratio {s['ratio']:.2f}  bandwidth {s['bandwidth']:.0%}  "
              f"{'met' if ok else 'NOT met'}")  # fmt: skip


if __name__ == "__main__":
    main()
