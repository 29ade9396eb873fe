"""The rules that make strict nbval meaningful: every chapter cell executed, no stored errors,
the python3 kernel, and every notebook in the table of contents."""

from __future__ import annotations

import pytest
import yaml

from tests.notebooks import ROOT, chapter_notebooks, load, source

NOTEBOOKS = chapter_notebooks()


def test_there_are_chapter_notebooks() -> None:
    assert len(NOTEBOOKS) >= 8


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_code_cell_was_executed_and_none_stored_an_error(path) -> None:
    nb = load(path)
    unrun, errors = [], []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code" or not source(cell).strip():
            continue
        if cell.get("execution_count") is None:
            unrun.append(i)
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            errors.append(i)
    assert not unrun, f"{path.name}: cells {unrun} were never executed (run `make execute`)"
    assert not errors, f"{path.name}: cells {errors} store an error output"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_uses_the_python3_kernel_and_the_shared_setup(path) -> None:
    nb = load(path)
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    code = [source(c) for c in nb["cells"] if c["cell_type"] == "code"]
    assert code and "setup(" in code[0], "the first code cell must call nag_lib.repro.setup()"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_stored_output_holds_a_timing_or_address_unless_ignored(path) -> None:
    import re

    varying = re.compile(r"\b\d+(\.\d+)?\s?(ms|µs|us|ns)\b|\bat 0x[0-9a-f]{6,}|Wall time|CPU times")
    for i, cell in enumerate(load(path)["cells"]):
        if cell["cell_type"] != "code" or "NBVAL_IGNORE_OUTPUT" in source(cell):
            continue
        for out in cell.get("outputs", []):
            text = "".join(out.get("text", "")) + "".join(
                out.get("data", {}).get("text/plain", "")
            )
            assert not varying.search(text), f"{path.name} cell {i} stores a varying value: {text!r}"


def test_every_chapter_notebook_is_in_the_table_of_contents() -> None:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = {ch["file"] for part in toc["parts"] for ch in part["chapters"]}
    for path in NOTEBOOKS:
        assert f"chapters/{path.stem}" in files, f"{path.name} is not in _toc.yml"


def test_make_test_runs_nbval_strictly() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "--nbval " in makefile or "--nbval\n" in makefile
    assert "nbval-lax" not in makefile
