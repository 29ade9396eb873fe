"""Report the wall time of each phase of ``make test`` against the budgets: 6 minutes in all
(``make test`` runs its phases two at a time, so its own time is below the series total printed
here), and 30 s for each chapter notebook at one thread.

The phases are the Makefile's own targets, run one after the other with ``make`` (so every
command, argument and environment variable comes from the Makefile, the one source of truth):
``lint``, ``typecheck``, ``book``, ``unit``, ``nbval-1/<chapter>`` and ``nbval-2/<chapter>``
for every notebook the Makefile lists, and ``browser``. The install is not timed (``.venv`` must
exist). A phase that fails is reported as such, and the run goes on. This
is a report, not a timed test: the numbers depend on the machine and on what else runs on it.

Usage::

    python benchmarks/pipeline.py [--build-dir DIR] [--skip GROUP ...] [--budget 360]
        [--notebook-budget 30]

``--build-dir`` builds the book under another folder (the Makefile's ``BOOK_ARGS``, passed to
``jupyter-book build``) and points the browser sweep at it, so that the report does not touch
``_build``.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: ``make`` without remaking the install (the report times the phases, not pip).
MAKE = ["make", "--no-print-directory", "-o", ".venv/.installed"]


@dataclass
class Phase:
    """One target of ``make test``: a name, the group it is reported under, and its command."""

    name: str
    group: str
    command: list[str]
    env: dict[str, str]


def make_notebooks() -> list[str]:
    """The chapter notebooks' stems, as the Makefile lists them (its ``NOTEBOOKS``)."""
    probe = "_pipeline_notebooks: ; @echo $(NOTEBOOKS)"
    cmd = [*MAKE, "-s", "--eval", probe, "_pipeline_notebooks"]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [Path(p).stem for p in out.split()]


def target(name: str, *done: str, variables: tuple[str, ...] = ()) -> list[str]:
    """``make name``, with the prerequisites in ``done`` taken as made."""
    return [*MAKE, *(arg for t in done for arg in ("-o", t)), *variables, name]


def phases(build_dir: Path | None) -> list[Phase]:
    """The phases of ``make test``, in its order."""
    book_vars: tuple[str, ...] = ()
    site_env: dict[str, str] = {}
    if build_dir is not None:
        book_vars = (f"BOOK_ARGS=--path-output {build_dir}",)
        site_env["NAG_BOOK_SITE"] = str(build_dir / "_build" / "html")
    out = [
        Phase("ruff (lint + format)", "lint", target("lint"), {}),
        Phase("mypy --strict", "types", target("typecheck"), {}),
        Phase(
            "book build -W",
            "book",
            target("book", variables=book_vars),
            {},
        ),
        Phase("unit tests + coverage", "unit", target("unit"), {}),
    ]
    for threads in (1, 2):
        for nb in make_notebooks():
            out.append(
                Phase(
                    f"nbval {nb} @{threads}",
                    f"nbval @{threads} threads",
                    target(f"nbval-{threads}/{nb}"),
                    {},
                )
            )
    out.append(Phase("browser sweep", "browser", target("browser"), site_env))
    return out


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(phase: Phase) -> tuple[float, float, bool]:
    """Wall seconds, CPU seconds (all its processes) and success of one phase."""
    env = {**os.environ, **phase.env}
    start, cpu = time.perf_counter(), _children_cpu()
    proc = subprocess.run(phase.command, cwd=ROOT, env=env, capture_output=True, text=True)
    return time.perf_counter() - start, _children_cpu() - cpu, proc.returncode == 0


def main(argv: list[str] | None = None) -> None:
    """Run the phases and print the per-phase and per-group report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, default=None)
    parser.add_argument("--skip", nargs="*", default=[], help="groups to skip, e.g. browser")
    parser.add_argument("--budget", type=float, default=360.0, help="seconds (default 6 min)")
    parser.add_argument(
        "--notebook-budget", type=float, default=30.0, help="seconds per notebook at 1 thread"
    )
    args = parser.parse_args(argv)
    results: list[tuple[Phase, float, float, bool]] = []
    print(f"  {'phase':<40}{'wall s':>8}{'CPU s':>8}")
    for phase in phases(args.build_dir):
        if phase.group in args.skip or phase.group.split()[0] in args.skip:
            continue
        wall, cpu, ok = run(phase)
        results.append((phase, wall, cpu, ok))
        print(f"  {phase.name:<40}{wall:8.1f}{cpu:8.1f}  {'ok' if ok else 'FAILED'}", flush=True)
    total = sum(r[1] for r in results)
    total_cpu = sum(r[2] for r in results)
    print(f"\n{'phase group':<28}{'wall s':>8}{'share':>7}{'CPU s':>8}{'share':>7}")
    groups: dict[str, list[float]] = {}
    for phase, wall, cpu, _ in results:
        acc = groups.setdefault(phase.group, [0.0, 0.0])
        acc[0] += wall
        acc[1] += cpu
    for group, (wall, cpu) in groups.items():
        print(f"{group:<28}{wall:8.1f}{wall / total:7.0%}{cpu:8.1f}{cpu / total_cpu:7.0%}")
    print(f"{'total':<28}{total:8.1f}{'':7}{total_cpu:8.1f}")
    print(f"wall time = {total / args.budget:.0%} of the {args.budget:.0f} s budget (in series)")
    slow = [
        f"{p.name} ({wall:.1f} s)"
        for p, wall, _, _ in results
        if p.name.startswith("nbval") and p.name.endswith("@1") and wall > args.notebook_budget
    ]
    print(
        f"notebooks over {args.notebook_budget:.0f} s at one thread: "
        f"{', '.join(slow) if slow else 'none'}"
    )
    failed = [p.name for p, _, _, ok in results if not ok]
    print(f"failed phases: {', '.join(failed) if failed else 'none'}")
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"(load average at the end: {load}; {os.cpu_count()} CPU(s); CPU s counts all threads)")


if __name__ == "__main__":
    main()
