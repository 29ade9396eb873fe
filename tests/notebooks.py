"""Helpers shared by the notebook tests: where the chapters are, what they contain, and the
policy that makes strict nbval meaningful."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"
SANITIZE = ROOT / "tests" / "nbval_sanitize.cfg"
LABEL = re.compile(r"^\(([A-Za-z0-9_-]+)\)=\s*$", re.MULTILINE)
# A stored output that would differ between runs: a timing or a memory address.
VARYING = re.compile(r"\b\d+(\.\d+)?\s?(ms|µs|us|ns)\b|\bat 0x[0-9a-f]{6,}|Wall time|CPU times")


def chapter_notebooks() -> list[Path]:
    """Every chapter notebook, in reading order."""
    return sorted(p for p in CHAPTERS.glob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def load(path: Path) -> dict[str, Any]:
    """The notebook's JSON."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def source(cell: dict[str, Any]) -> str:
    """A cell's source as one string."""
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def output_text(out: dict[str, Any]) -> str:
    """The text nbval compares in one output: a stream's text, or a result's text/plain."""
    text = out.get("text", "")
    plain = out.get("data", {}).get("text/plain", "")
    return ("".join(text) if isinstance(text, list) else str(text)) + (
        "".join(plain) if isinstance(plain, list) else str(plain)
    )


def policy_problems(nb: dict[str, Any]) -> list[str]:
    """Why strict nbval would not check this notebook completely, one line per problem.

    nbval compares a cell's outputs only when the stored cell has an ``execution_count``: a code
    cell saved unexecuted (count ``null``, no outputs) passes whatever it now prints. A stored
    error output means the notebook was committed broken. Both are refused here; so are outputs
    that vary between runs (timings, addresses) outside cells marked ``# NBVAL_IGNORE_OUTPUT``.
    """
    problems = []
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code" or not source(cell).strip():
            continue
        if cell.get("execution_count") is None:
            problems.append(f"cell {i} was never executed (run `make execute`)")
        outputs = cell.get("outputs", [])
        if any(o.get("output_type") == "error" for o in outputs):
            problems.append(f"cell {i} stores an error output")
        if "NBVAL_IGNORE_OUTPUT" not in source(cell):
            for out in outputs:
                found = VARYING.search(output_text(out))
                if found:
                    problems.append(f"cell {i} stores a varying value: {found.group(0)!r}")
    return problems
