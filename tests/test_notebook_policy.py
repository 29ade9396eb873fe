"""The rules that make strict nbval meaningful: every chapter cell executed, no stored errors or
varying values, the python3 kernel and the shared setup, every notebook in the table of contents,
and the Makefile running nbval strictly at two thread counts."""

from __future__ import annotations

import copy
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.notebooks import ROOT, chapter_notebooks, load, policy_problems, source

NOTEBOOKS = chapter_notebooks()
TEMPLATE = ROOT / "templates" / "chapter-template.ipynb"


def test_there_are_chapter_notebooks() -> None:
    assert len(NOTEBOOKS) >= 8


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_code_cell_was_executed_and_stores_no_error_or_varying_value(path: Path) -> None:
    problems = policy_problems(load(path))
    assert not problems, f"{path.name}: " + "; ".join(problems)


def install_cell_problems(code: str, version: str) -> list[str]:
    """What keeps a chapter's first code cell from installing nag_lib ``version`` where it is
    missing (a downloaded chapter, Colab, Binder), and only there."""
    problems = []
    if 'if importlib.util.find_spec("nag_lib") is None:' not in code:
        problems.append("the first code cell does not test whether nag_lib is installed")
    pins = re.findall(r"^\s+%pip install --quiet nag_lib==(\S+)$", code, flags=re.M)
    if pins != [version]:
        problems.append(f"the first code cell installs nag_lib=={pins}, not =={version}")
    if f"installing nag_lib=={version}" not in code:
        problems.append("the first code cell does not say that it installs nag_lib")
    return problems


def library_version() -> str:
    text = (ROOT / "nag_lib" / "__init__.py").read_text(encoding="utf-8")
    return re.search(r'^__version__ = "([^"]+)"$', text, flags=re.M).group(1)  # type: ignore[union-attr]


@pytest.mark.parametrize("path", [*NOTEBOOKS, TEMPLATE], ids=lambda p: p.stem)
def test_notebook_uses_the_python3_kernel_installs_nag_lib_and_calls_the_setup(path: Path) -> None:
    nb = load(path)
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    code = [source(c) for c in nb["cells"] if c["cell_type"] == "code"]
    assert len(code) >= 2 and install_cell_problems(code[0], library_version()) == []
    assert "setup(" in code[1], "the second code cell must call nag_lib.repro.setup()"


def test_the_install_check_catches_a_stale_pin_a_silent_install_and_no_test() -> None:
    good = next(source(c) for c in load(NOTEBOOKS[0])["cells"] if c["cell_type"] == "code")
    assert install_cell_problems(good, library_version()) == []
    assert len(install_cell_problems(good, "9.9.9")) == 2  # the pin and the message
    silent = "\n".join(line for line in good.splitlines() if "print(" not in line)
    assert install_cell_problems(silent, library_version()) == [
        "the first code cell does not say that it installs nag_lib"
    ]
    always = good.replace('if importlib.util.find_spec("nag_lib") is None:', "if True:")
    assert len(install_cell_problems(always, library_version())) == 1


@pytest.mark.parametrize("path", [*NOTEBOOKS, TEMPLATE], ids=lambda p: p.stem)
def test_no_cell_stores_execution_timestamps(path: Path) -> None:
    """Timestamps would change on every run: an unchanged chapter, re-executed by
    ``make execute`` (``record_timing=False``), must come out byte for byte the same."""
    timed = [i for i, c in enumerate(load(path)["cells"]) if "execution" in c.get("metadata", {})]
    assert not timed, f"{path.name}: cells {timed} store execution timestamps"


def test_make_execute_stores_no_timestamps_and_one_stream_per_cell() -> None:
    script = "\n".join(make_dry_run("execute")).replace("\\\n", " ")  # one line a command
    lines = [line for line in script.splitlines() if "nbconvert" in line]
    executed = [line for line in lines if "--execute" in line]
    assert executed and all("--ExecutePreprocessor.record_timing=False" in x for x in executed)
    coalesced = [line for line in lines if "CoalesceStreamsPreprocessor.enabled=True" in line]
    assert len(coalesced) == len(executed)  # each run's prints joined: one stream a cell


def test_every_chapter_notebook_is_in_the_table_of_contents() -> None:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = {ch["file"] for part in toc["parts"] for ch in part["chapters"]}
    for path in NOTEBOOKS:
        assert f"chapters/{path.stem}" in files, f"{path.name} is not in _toc.yml"


def make_dry_run(*targets: str) -> list[str]:
    """The commands ``make`` would run for ``targets`` (``make -n``; the install is not redone)."""
    stamp = ".venv/.installed"
    cmd = ["make", "--no-print-directory", "-n", "-o", stamp, *targets]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return out.splitlines()


def test_make_test_runs_strict_nbval_on_every_notebook_at_one_and_two_threads() -> None:
    lines = make_dry_run("test")  # the recipe calls make again: -n runs that call, as a dry run
    nbval = [line for line in lines if " --nbval " in line]
    chapters = {f"chapters/{p.name}" for p in NOTEBOOKS}
    for threads in (1, 2):
        ran = [line.split()[-1] for line in nbval if f"NAG_BOOK_THREADS={threads} " in line]
        assert sorted(ran) == sorted(chapters), threads
    assert nbval and all("--nbval-sanitize-with tests/nbval_sanitize.cfg" in line for line in nbval)
    assert not [line for line in lines if "nbval-" + "lax" in line]  # split: a grep finds no use
    assert any("--doctest-modules" in line and "--cov=nag_lib" in line for line in lines)
    threshold = re.search(r"^fail_under = (\d+)$", (ROOT / "pyproject.toml").read_text(), re.M)
    assert threshold and int(threshold[1]) >= 90  # the one place the threshold is set
    assert any("jupyter-book build . -W" in line for line in lines)
    assert any('pytest tests -m "browser and not lab"' in line for line in lines)  # the sweep
    assert any("pytest tests -m lab" in line for line in lines)  # make lab's explorers


# The policy itself, on a small notebook: each rule catches what it is meant to catch.
GOOD = {
    "cells": [
        {"cell_type": "markdown", "source": "# Title"},
        {"cell_type": "code", "execution_count": 1, "source": "x = 1", "outputs": []},
        {
            "cell_type": "code",
            "execution_count": 2,
            "source": "print(x)",
            "outputs": [{"output_type": "stream", "name": "stdout", "text": ["1\n"]}],
        },
    ]
}


def test_the_policy_accepts_an_executed_notebook() -> None:
    assert policy_problems(GOOD) == []


def test_the_policy_catches_a_code_cell_without_execution_count() -> None:
    nb = copy.deepcopy(GOOD)
    nb["cells"][2]["execution_count"] = None
    nb["cells"][2]["outputs"] = []
    assert policy_problems(nb) == ["cell 2 was never executed (run `make execute`)"]


def test_the_policy_catches_a_stored_error() -> None:
    nb = copy.deepcopy(GOOD)
    nb["cells"][2]["outputs"] = [{"output_type": "error", "ename": "NameError", "evalue": "x"}]
    assert policy_problems(nb) == ["cell 2 stores an error output"]


@pytest.mark.parametrize(
    "text", ["took 12.5 ms\n", "<object at 0x7f3a2b1c9d10>\n", "Wall time: 1s"]
)
def test_the_policy_catches_a_timing_or_address_unless_the_cell_is_ignored(text: str) -> None:
    nb = copy.deepcopy(GOOD)
    nb["cells"][2]["outputs"][0]["text"] = [text]
    assert len(policy_problems(nb)) == 1
    nb["cells"][2]["source"] = "# NBVAL_IGNORE_OUTPUT\nprint(x)"
    assert policy_problems(nb) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_figure_has_alt_text(path: Path) -> None:
    missing = [
        i
        for i, cell in enumerate(load(path)["cells"])
        if cell["cell_type"] == "code"
        and any("image/png" in o.get("data", {}) for o in cell.get("outputs", []))
        and not str(
            cell.get("metadata", {}).get("mystnb", {}).get("image", {}).get("alt", "")
        ).strip()
    ]
    assert not missing, f"{path.name}: figure cells {missing} lack mystnb.image.alt metadata"


def test_the_chapter_template_follows_every_rule_it_teaches() -> None:
    nb = load(TEMPLATE)
    assert policy_problems(nb) == []
    assert displayed_code_problems(nb) == []
    assert "The short answer" in source(nb["cells"][0])
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    code = [source(c) for c in nb["cells"] if c["cell_type"] == "code"]
    assert "_ = setup()" in code[1]
    text = "\n".join(source(c) for c in nb["cells"])
    assert "(claim-mXX)=" in text and "assert " in text and "{glue:}" in text
    figures = [c for c in nb["cells"] if c["cell_type"] == "code" and "plt.show()" in source(c)]
    assert figures and all(c["metadata"]["mystnb"]["image"]["alt"] for c in figures)


def test_the_template_is_outside_the_book_and_the_nbval_run() -> None:
    """The book builds only the table of contents' files; make test runs nbval on the notebooks
    the Makefile lists: the template is in neither (it has placeholders, not results)."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = {toc["root"]} | {ch["file"] for part in toc["parts"] for ch in part["chapters"]}
    assert config["only_build_toc_files"] is True
    assert "templates/chapter-template" not in files
    nbval = [line for line in make_dry_run("test") if " --nbval " in line]
    assert nbval and not [line for line in nbval if "template" in line]


HIDDEN = {"remove-cell", "remove-input"}


def displayed_code_problems(nb: dict) -> list[str]:
    """Code the site would show that it should not: glue bookkeeping, lines over 88 columns,
    an install or setup cell left visible."""
    problems = []
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    for i, cell in enumerate(code):
        tags = set(cell.get("metadata", {}).get("tags", []))
        if i < 2 and not tags & HIDDEN:
            problems.append("the install or setup cell is shown (tag it remove-cell)")
        if tags & HIDDEN:
            continue
        text = source(cell)
        if "glue(" in text:
            problems.append(f"code cell {i} shows glue bookkeeping")
        long = [line for line in text.splitlines() if len(line) > 88]
        if long:
            problems.append(f"code cell {i} has a line over 88 columns: {long[0][:60]!r}")
    return problems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_site_shows_the_experiment_not_the_plumbing(path: Path) -> None:
    problems = displayed_code_problems(load(path))
    assert not problems, f"{path.name}: " + "; ".join(problems)


def test_the_plumbing_check_catches_glue_a_long_line_and_visible_install_and_setup_cells() -> None:
    def cell(text: str, tags: list[str]) -> dict:
        return {"cell_type": "code", "source": text, "metadata": {"tags": tags}}

    install, setup = "%pip install nag_lib", "setup()"
    long = "x = 1" + " " * 90
    bad = [cell(install, []), cell(setup, []), cell("glue('k', 1)", []), cell(long, [])]
    found = displayed_code_problems({"cells": bad})
    assert len(found) == 4, found
    hidden = ["remove-cell"]
    good = {"cells": [cell(install, hidden), cell(setup, hidden), cell("glue('k', 1)", hidden)]}
    assert displayed_code_problems(good) == []
