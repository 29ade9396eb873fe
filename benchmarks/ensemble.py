"""Ensemble trainer against the one-at-a-time loop, on chapter 5's grid shape.

Chapter 5 trains a 10-layer, 32-wide MLP on the digits in four settings (sigmoid with the default
and with Xavier initialisation, Leaky ReLU with He initialisation, sigmoid with batch norm), each
with three optimizers (SGD, NAG, Adam) over their five-point learning-rate grids, in mini-batches
of 16 with a cosine schedule. This script trains that grid twice, at one thread, recording what
the loop records (per-layer gradient norms every step, test accuracy every epoch):

* one network at a time, with ``nag_lib.training.train`` (what ``run_grid`` does);
* one vectorised ensemble per setting, with ``nag_lib.ensemble.train``;

and prints both times, ``speedup: X`` (target: at least 8) and, from the same grid run in float64
for fewer steps, ``max relative difference: Y`` between each member's final weights and step
losses and those of the same network trained alone (target: at most 1e-6). Runs that became
unstable (their loss rose above twice its first value: the top rates of some grids) are listed
apart with their differences: in such a run a rounding difference of 1e-16 (a batched matrix
product sums in another order than a single one) grows without bound, whatever the code.

Usage: ``python benchmarks/ensemble.py [--seeds 1] [--epochs 3] [--check-epochs 2]``.
A benchmark, not a test: it prints ratios and never fails on a time.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import torch

from nag_lib import ensemble
from nag_lib.data import Split, digits
from nag_lib.evidence import log_grid
from nag_lib.models import MLP
from nag_lib.optim import make_optimizer
from nag_lib.repro import seed_everything
from nag_lib.training import DivergenceError, History, cosine, train

BATCH = 16
SETTINGS: dict[str, dict[str, object]] = {
    "sigmoid, default init": {"activation": "sigmoid"},
    "sigmoid, Xavier init": {"activation": "sigmoid", "init": "xavier"},
    "Leaky ReLU, He init": {"activation": "leaky_relu", "init": "he"},
    "sigmoid + batch norm": {"activation": "sigmoid", "norm": "batch"},
}
LRS = {  # chapter 5's grids
    "sgd": log_grid(0.01, 10.0),
    "nag": log_grid(0.00316, 3.16),
    "adam": log_grid(0.000316, 0.316),
}


def builder(kw: dict[str, object]) -> Callable[[ensemble.Member], MLP]:
    def build(_: ensemble.Member) -> MLP:
        return MLP(64, 10, depth=10, width=32, **kw)  # type: ignore[arg-type]

    return build


def alone(
    build: Callable[[ensemble.Member], MLP], m: ensemble.Member, data: Split, epochs: int
) -> tuple[MLP, History | None]:
    """One member trained by itself with the book's loop (``None`` history if it diverged)."""
    seed_everything(m.seed)
    net = build(m).to(data.x_train.dtype)
    opt = make_optimizer(m.kind, net.parameters(), lr=m.lr, momentum=m.momentum)
    try:
        hist = train(
            net, opt, data, epochs, BATCH, m.seed, True, grad_norm_every=1, schedule=cosine
        )
    except DivergenceError:
        return net, None
    return net, hist


def time_both(data: Split, members: list[ensemble.Member], epochs: int) -> tuple[float, float]:
    t0 = time.perf_counter()
    for kw in SETTINGS.values():
        for m in members:
            alone(builder(kw), m, data, epochs)
    t_loop = time.perf_counter() - t0
    t0 = time.perf_counter()
    for kw in SETTINGS.values():
        ensemble.train(
            builder(kw),
            members,
            data,
            epochs,
            BATCH,
            eval_every=1,
            grad_norm_every=1,
            schedule=cosine,
        )
    return t_loop, time.perf_counter() - t0


def relative_differences(
    data: Split, members: list[ensemble.Member], epochs: int
) -> list[tuple[str, ensemble.Member, float, bool]]:
    """Per setting and member: the largest relative difference between the ensemble and the same
    network trained alone (final weights of every layer, every step's loss), in float64, and
    whether the run stayed stable (its loss never rose above twice its first value). A member
    that diverged is left out (the ensemble stops it where the loop raises)."""
    out = []
    for name, kw in SETTINGS.items():
        build = builder(kw)
        hist = ensemble.train(
            build, members, data, epochs, BATCH, dtype=torch.float64, schedule=cosine
        )
        for i, m in enumerate(members):
            if i in hist.diverged:
                continue
            net, h = alone(build, m, data, epochs)
            assert h is not None, f"member {i} diverged alone but not in the ensemble"
            lins = [mod for mod in net.modules() if isinstance(mod, torch.nn.Linear)]
            worst = max(
                float(
                    (hist.model.weights[k][i] - lin.weight).detach().norm()
                    / lin.weight.detach().norm()
                )
                for k, lin in enumerate(lins)
            )
            ref_loss = torch.tensor(h.step_loss, dtype=torch.float64)
            rel = (hist.step_loss[:, i] - ref_loss).abs() / ref_loss.abs()
            stable = bool(ref_loss.max() <= 2 * ref_loss[0])
            out.append((name, m, max(worst, float(rel.max())), stable))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=1, help="seeds per (kind, lr)")
    parser.add_argument("--epochs", type=int, default=3, help="epochs of the timed runs")
    parser.add_argument("--check-epochs", type=int, default=2, help="epochs of the float64 check")
    args = parser.parse_args()
    torch.set_num_threads(1)
    full = digits(val_fraction=0.2)
    data = Split(full.x_train, full.y_train, full.x_test, full.y_test)
    members = ensemble.grid(LRS, seeds=list(range(args.seeds)))
    steps = args.epochs * -(-data.x_train.shape[0] // BATCH)
    print(
        f"grid: {len(SETTINGS)} settings x {len(members)} members "
        f"({len(LRS)} optimizers x 5 learning rates x {args.seeds} seeds), {steps} steps each, "
        "1 thread"
    )
    t_loop, t_ens = time_both(data, members, args.epochs)
    print(f"one at a time (nag_lib.training.train): {t_loop:.2f} s")
    print(f"ensemble (nag_lib.ensemble.train):      {t_ens:.2f} s")
    print(f"speedup: {t_loop / t_ens:.1f}")
    d64 = Split(data.x_train.double(), data.y_train, data.x_test.double(), data.y_test)
    diffs = relative_differences(d64, members, args.check_epochs)
    stable = [d for _, _, d, ok in diffs if ok]
    print(
        f"max relative difference: {max(stable):.1e}  ({len(stable)} of {len(diffs)} runs, float64)"
    )
    unstable = [(n, m, d) for n, m, d, ok in diffs if not ok]
    print(
        f"unstable runs (loss rose above twice its start; there any rounding difference grows "
        f"without bound): {len(unstable)}"
    )
    for name, m, d in unstable:
        print(f"  {name}, {m.kind} lr {m.lr:g}: {d:.1e}")


if __name__ == "__main__":
    main()
