"""Report the wall time of each phase of ``make test`` against the budgets: 6 minutes in all
(``make test`` runs phases in parallel, so its own time is below the series total printed here),
and 30 s for each chapter notebook at one thread.

Runs the phases one after the other, as ``make test`` does, with the installed ``.venv`` (no
install time): ruff (lint + format check), mypy, the unit tests with coverage, strict nbval for
each chapter notebook at 1 and at 2 torch threads, the ``-W`` book build, and the browser sweep.
A phase that fails is reported as such, and the run goes on. This is a report, not a timed test:
the numbers depend on the machine and on what else runs on it.

nbval is run here one notebook per pytest process, to time each notebook; ``make test`` runs
each thread count in one process, so its nbval phases are shorter by one pytest start-up (about
a second) per notebook.

Usage::

    python benchmarks/pipeline.py [--build-dir DIR] [--skip PHASE ...] [--budget 360]
        [--notebook-budget 30]

``--build-dir`` builds the book under another folder (``jupyter-book --path-output``) and points
the browser sweep at it, so that the report does not touch ``_build``.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
NBVAL = ["--nbval", "--nbval-current-env", "--nbval-sanitize-with", "tests/nbval_sanitize.cfg"]
LINTED = ["nag_lib", "tests", "benchmarks", "_ext", "chapters", "templates"]


@dataclass
class Phase:
    """One step of ``make test``: a name, the group it is reported under, and its commands."""

    name: str
    group: str
    commands: list[list[str]]
    env: dict[str, str]


def phases(build_dir: Path | None) -> list[Phase]:
    """The phases of ``make test``, in its order."""
    py = [str(BIN / "python"), "-m"]
    notebooks = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "chapters").glob("*.ipynb"))
    book = [str(BIN / "jupyter-book"), "build", ".", "-W", "-n", "--keep-going"]
    site_env: dict[str, str] = {}
    if build_dir is not None:
        book += ["--path-output", str(build_dir)]
        site_env["NAG_BOOK_SITE"] = str(build_dir / "_build" / "html")
    out = [
        Phase(
            "ruff (lint + format)",
            "lint",
            [[*py, "ruff", "check", *LINTED], [*py, "ruff", "format", "--check", *LINTED]],
            {},
        ),
        Phase("mypy --strict", "types", [[*py, "mypy"]], {}),
        Phase("book build -W", "book", [book], {}),
        Phase(
            "unit tests + coverage",
            "unit",
            [
                [
                    *py,
                    "pytest",
                    "-q",
                    "tests",
                    "nag_lib",
                    "--doctest-modules",
                    "-m",
                    "not browser and not axe",
                    "--cov=nag_lib",
                    "--cov-branch",
                ]
            ],
            site_env,
        ),
    ]
    for threads in (1, 2):
        for nb in notebooks:
            out.append(
                Phase(
                    f"nbval {Path(nb).stem} @{threads}",
                    f"nbval @{threads} threads",
                    [[*py, "pytest", "-q", "-p", "no:cacheprovider", *NBVAL, nb]],
                    {"NAG_BOOK_THREADS": str(threads)},
                )
            )
    out.append(
        Phase(
            "browser sweep", "browser", [[*py, "pytest", "-q", "tests", "-m", "browser"]], site_env
        )
    )
    return out


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(phase: Phase) -> tuple[float, float, bool]:
    """Wall seconds, CPU seconds (all its processes) and success of one phase."""
    env = {
        **os.environ,
        "PYTHONHASHSEED": "0",
        "MPLBACKEND": "Agg",
        "NAG_BOOK_HEADLESS": "1",
        **phase.env,
    }
    ok = True
    start, cpu = time.perf_counter(), _children_cpu()
    for cmd in phase.commands:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
        ok = ok and proc.returncode == 0
    return time.perf_counter() - start, _children_cpu() - cpu, ok


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
