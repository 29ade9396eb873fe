"""Strict nbval is a real gate: change one stored output of a chapter notebook and the run fails;
leave it alone and it passes. nbval's blind spot (a cell stored without an execution count is
not compared) is closed by the notebook policy, checked here on the same copy.

To stay fast, the copies keep only a chapter's first cells, up to the first code cell after
the set-up cell that stores a text output (the shortest such prefix among the chapters).
"""

from __future__ import annotations

import configparser
import copy
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from tests.notebooks import SANITIZE, chapter_notebooks, load, policy_problems

pytestmark = pytest.mark.slow


def _text_outputs(cell: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        o
        for o in cell.get("outputs", [])
        if o.get("output_type") == "stream" or "text/plain" in o.get("data", {})
    ]


def _shortest_prefix() -> tuple[str, dict[str, Any], int]:
    """(chapter name, notebook cut after its first text-output cell, that cell's index)."""
    best: tuple[int, str, dict[str, Any], int] | None = None
    for path in chapter_notebooks():
        nb = load(path)
        if policy_problems(nb):
            continue  # a notebook still being written: not a fair reference
        code_seen = 0
        for i, cell in enumerate(nb["cells"]):
            if cell["cell_type"] != "code":
                continue
            code_seen += 1
            if code_seen > 1 and _text_outputs(cell):
                if best is None or code_seen < best[0]:
                    best = (code_seen, path.name, {**nb, "cells": nb["cells"][: i + 1]}, i)
                break
    if best is None:
        pytest.skip("no executed chapter notebook stores a text output yet")
    return best[1], best[2], best[3]


def _corrupt(nb: dict[str, Any], index: int) -> dict[str, Any]:
    """The same notebook with one character of one stored text output changed."""
    bad = copy.deepcopy(nb)
    out = _text_outputs(bad["cells"][index])[0]
    key, holder = ("text", out) if "text" in out else ("text/plain", out["data"])
    text = "".join(holder[key]) if isinstance(holder[key], list) else holder[key]
    i = next((j for j, ch in enumerate(text) if ch.isdigit()), 0)
    changed = "7" if text[i : i + 1] != "7" else "8"
    holder[key] = text[:i] + changed + text[i + 1 :]
    assert holder[key] != text
    return bad


def _unrun(nb: dict[str, Any], index: int) -> dict[str, Any]:
    """The corrupted notebook, but with that cell saved unexecuted (no count, no outputs)."""
    bad = _corrupt(nb, index)
    bad["cells"][index]["execution_count"] = None
    bad["cells"][index]["outputs"] = []
    return bad


def _run_nbval(paths: list[Path], tmp: Path) -> dict[str, bool]:
    """Run strict nbval on ``paths`` in a subprocess; map each notebook name to 'all passed'."""
    report = tmp / "report.xml"
    env = {
        **os.environ,
        "NAG_BOOK_THREADS": "1",
        "NAG_BOOK_HEADLESS": "1",
        "MPLBACKEND": "Agg",
        "PYTHONHASHSEED": "0",
    }
    cmd = [
        sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
        "--nbval", "--nbval-current-env", "--nbval-sanitize-with", str(SANITIZE),
        f"--junitxml={report}", "--rootdir", str(tmp), *map(str, paths),
    ]  # fmt: skip
    proc = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True, timeout=300)
    assert report.exists(), proc.stdout + proc.stderr
    passed = {p.name: True for p in paths}
    for case in ET.parse(report).getroot().iter("testcase"):
        name = case.get("file") or case.get("classname", "")
        failed = case.find("failure") is not None or case.find("error") is not None
        for p in paths:
            if p.stem in name and failed:
                passed[p.name] = False
    # the process exit status agrees: 0 only if every notebook passed
    assert (proc.returncode == 0) == all(passed.values()), proc.stdout[-3000:]
    return passed


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    name, nb, index = _shortest_prefix()
    tmp = tmp_path_factory.mktemp("nbval")
    files = {"original": nb, "corrupted": _corrupt(nb, index)}
    paths = []
    for stem, content in files.items():
        path = tmp / f"{stem}.ipynb"
        path.write_text(json.dumps(content), encoding="utf-8")
        paths.append(path)
    return {"chapter": name, "notebook": nb, "index": index, **_run_nbval(paths, tmp)}


def test_the_unmodified_copy_passes_strict_nbval(verdicts: dict[str, Any]) -> None:
    assert verdicts["original.ipynb"], f"a prefix of {verdicts['chapter']} fails nbval as stored"


def test_changing_one_stored_output_makes_strict_nbval_fail(verdicts: dict[str, Any]) -> None:
    assert not verdicts["corrupted.ipynb"], (
        f"nbval missed a changed output in {verdicts['chapter']}"
    )


def test_a_cell_stored_unexecuted_is_caught_by_the_notebook_policy(
    verdicts: dict[str, Any],
) -> None:
    """nbval compares a cell only if its stored execution_count is set (``unrun`` cells pass
    whatever they print: see nbval's plugin), so the policy refuses such a cell."""
    assert policy_problems(verdicts["notebook"]) == []
    unrun = _unrun(verdicts["notebook"], verdicts["index"])
    assert policy_problems(unrun) == [
        f"cell {verdicts['index']} was never executed (run `make execute`)"
    ]


def test_the_sanitizer_only_normalises_images_figure_reprs_and_addresses() -> None:
    cfg = configparser.ConfigParser()
    cfg.read(SANITIZE, encoding="utf-8")
    assert cfg.sections() == ["png-data-uri", "figure-repr", "memory-address"]
    ordinary = "loss 0.1234 after 50 steps; ratio 2.5e-03 (seed 0); 0x1F is hex"
    for section in cfg.sections():
        pattern = re.compile(cfg[section]["regex"])
        assert pattern.sub(cfg[section]["replace"], ordinary) == ordinary, section
