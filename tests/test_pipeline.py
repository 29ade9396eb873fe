"""benchmarks/pipeline.py times the Makefile's own targets: the same phases, commands and
arguments as ``make test`` (checked with ``make -n``), and every notebook the Makefile lists."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from types import ModuleType

from tests.notebooks import ROOT, chapter_notebooks
from tests.test_notebook_policy import make_dry_run


def _pipeline() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pipeline", ROOT / "benchmarks" / "pipeline.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_the_report_lists_the_makefiles_notebooks() -> None:
    assert _pipeline().make_notebooks() == [p.stem for p in chapter_notebooks()]


def test_every_phase_runs_exactly_the_commands_of_make_test() -> None:
    phases = _pipeline().phases(None)
    timed: list[str] = []
    for phase in phases:
        assert phase.command[0] == "make"
        dry = [*phase.command[:1], "-n", *phase.command[1:]]
        out = subprocess.run(dry, cwd=ROOT, capture_output=True, text=True, check=True).stdout
        assert out.strip(), phase.name  # a phase that runs nothing times nothing
        timed += out.splitlines()
    graph = [line for line in make_dry_run("test") if not line.startswith("make ")]
    assert sorted(timed) == sorted(graph)


def test_the_build_dir_option_reaches_the_book_build_and_the_browser_sweep(tmp_path) -> None:
    phases = {p.group: p for p in _pipeline().phases(tmp_path)}
    dry = [*phases["book"].command[:1], "-n", *phases["book"].command[1:]]
    out = subprocess.run(dry, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert f"--path-output {tmp_path}" in out
    assert phases["browser"].env["NAG_BOOK_SITE"] == str(tmp_path / "_build" / "html")
