"""Time one optimizer step of ``nag_lib.optim.NAG`` against ``torch.optim.SGD(nesterov=True)``.

Prints ratios, not absolute times, so the numbers mean something on any machine:

* time per step of ``NAG`` divided by that of torch's per-tensor loop (``foreach=False``) and of
  its multi-tensor path (``foreach=True``), for ~10 M fp32 parameters in ~100 tensors and in one
  tensor (target: ratio <= 1.0 against torch's faster variant);
* the bytes a NAG step must move (read p, g, buf; write p, buf: 20 bytes per fp32 parameter) per
  second, as a fraction of the bandwidth of a plain copy measured on the same machine (8 bytes
  per parameter: read one, write one). Target: >= 75 %.

Every variant runs the same gradients; variants are interleaved round by round (in a rotating
order) so that a burst of load from other processes hits all of them alike; each time is the
median over rounds, with the fastest round alongside.

Usage::

    python benchmarks/optim_step.py [--params 10000000] [--tensors 100] [--rounds 15] [--threads N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch

from nag_lib.optim import NAG

LR, MOMENTUM = 0.01, 0.9


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


def _steppers(params: list[torch.Tensor]) -> dict[str, Callable[[], object]]:
    """One ``step`` callable per variant, each over its own copy of the parameters."""
    nag = NAG(_clone(params), lr=LR, momentum=MOMENTUM)
    loop = torch.optim.SGD(_clone(params), lr=LR, momentum=MOMENTUM, nesterov=True, foreach=False)
    multi = torch.optim.SGD(_clone(params), lr=LR, momentum=MOMENTUM, nesterov=True, foreach=True)
    src = torch.cat([p.detach().reshape(-1) for p in params])
    dst = torch.empty_like(src)
    return {
        "nag_lib NAG": nag.step,
        "torch SGD foreach=False": loop.step,
        "torch SGD foreach=True": multi.step,
        "copy (bandwidth probe)": lambda: dst.copy_(src),
    }


def measure(
    total: int, count: int, rounds: int, warmup: int = 3
) -> tuple[dict[str, float], dict[str, float]]:
    """Median and fastest seconds per call of each variant, interleaved round by round."""
    steppers = _steppers(_params(total, count))
    for fn in steppers.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {name: [] for name in steppers}
    order = list(steppers.items())
    for r in range(rounds):
        # rotate the order each round: no variant always runs after the copy, or first
        for name, fn in order[r % len(order) :] + order[: r % len(order)]:
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    median = {name: statistics.median(ts) for name, ts in times.items()}
    return median, {name: min(ts) for name, ts in times.items()}


def _ratios(t: dict[str, float], total: int) -> dict[str, float]:
    nag = t["nag_lib NAG"]
    loop, multi = t["torch SGD foreach=False"], t["torch SGD foreach=True"]
    copy_bw = 8 * total / t["copy (bandwidth probe)"]
    return {
        "ratio_vs_loop": nag / loop,
        "ratio_vs_foreach": nag / multi,
        "ratio_vs_best": nag / min(loop, multi),
        "bandwidth_fraction": (20 * total / nag) / copy_bw,
        "torch_best_bandwidth_fraction": (20 * total / min(loop, multi)) / copy_bw,
        "nag_ms": 1e3 * nag,
    }


def report(total: int, count: int, rounds: int) -> dict[str, float]:
    """Print the ratios for one layout of the parameters; return those of the medians."""
    median, fastest = measure(total, count, rounds)
    med, best = _ratios(median, total), _ratios(fastest, total)
    print(f"{total / 1e6:.1f} M fp32 parameters in {count} tensor(s), {rounds} rounds:")
    print(f"  {'':34}{'median':>8}{'fastest':>9}")
    rows = [
        ("NAG / SGD(foreach=False)", "ratio_vs_loop", "{:.2f}"),
        ("NAG / SGD(foreach=True)", "ratio_vs_foreach", "{:.2f}"),
        ("NAG / torch's faster variant", "ratio_vs_best", "{:.2f}"),
        ("NAG bytes/s / copy bandwidth", "bandwidth_fraction", "{:.0%}"),
        ("torch's faster, same measure", "torch_best_bandwidth_fraction", "{:.0%}"),
        ("NAG step (ms, this machine)", "nag_ms", "{:.1f}"),
    ]
    for label, key, fmt in rows:
        print(f"  {label:<34}{fmt.format(med[key]):>8}{fmt.format(best[key]):>9}")
    print("  targets: ratio <= 1.0 against torch's faster variant; bandwidth >= 75 %")
    return med


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and print the report for ~100 tensors and for one tensor."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", type=int, default=10_000_000)
    parser.add_argument("--tensors", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s)")
    print("(on a shared machine ratios vary by 10 % or more: compare several runs)\n")
    report(args.params, args.tensors, args.rounds)
    report(args.params, 1, args.rounds)


if __name__ == "__main__":
    main()
