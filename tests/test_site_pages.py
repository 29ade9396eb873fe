"""The reference pages readers of a Jupyter Book expect, checked in the source and in the build:
an API page generated for every ``nag_lib`` module, a bibliography, folded exercise solutions,
a landing page that leads to the claims and tells readers how to run the chapters themselves.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.site_check import ROOT, html_pages, read_page

MODULES = sorted(p.stem for p in (ROOT / "nag_lib").glob("*.py") if not p.stem.startswith("_"))


def public_names(module: str) -> list[str]:
    """``__all__`` of ``nag_lib.<module>``, read from its source without importing it."""
    tree = ast.parse((ROOT / "nag_lib" / f"{module}.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            return [str(ast.literal_eval(elt)) for elt in node.value.elts]  # type: ignore[attr-defined]
    return [
        n.name
        for n in tree.body
        if isinstance(n, ast.FunctionDef | ast.ClassDef) and not n.name.startswith("_")
    ]


def test_the_api_page_documents_every_module_of_nag_lib() -> None:
    api = (ROOT / "chapters" / "api.md").read_text(encoding="utf-8")
    for module in MODULES:
        assert f".. automodule:: nag_lib.{module}\n" in api, f"api.md lacks nag_lib.{module}"
        assert f"| {{py:mod}}`nag_lib.{module}` |" in api, f"no table row for {module}"


def test_the_landing_page_leads_to_the_claims_and_to_running_the_chapters() -> None:
    intro = (ROOT / "intro.md").read_text(encoding="utf-8")
    assert "{ref}`claims-under-review`" in intro
    assert "(run-it-locally)=" in intro and "make lab" in intro
    for notebook in sorted((ROOT / "chapters").glob("[0-9][0-9]-*.ipynb")):
        assert f"`chapters/{notebook.name}`" in intro, f"intro.md: how to open {notebook.name}?"


@pytest.mark.browser
def test_the_built_api_page_has_an_entry_for_every_public_name(built_site: Path) -> None:
    ids = read_page(built_site, "chapters/api.html").ids
    missing = [
        f"nag_lib.{m}.{name}"
        for m in MODULES
        for name in public_names(m)
        if f"nag_lib.{m}.{name}" not in ids
    ]
    assert not missing, f"not on the API page (no docstring?): {missing}"


@pytest.mark.browser
def test_the_bibliography_lists_every_reference(built_site: Path) -> None:
    entries = len(re.findall(r"^@\w+\{", (ROOT / "references.bib").read_text(), re.M))
    html = (built_site / "chapters" / "bibliography.html").read_text(encoding="utf-8")
    assert html.count('<div class="citation"') == entries


@pytest.mark.browser
def test_every_exercise_solution_is_folded_away(built_site: Path) -> None:
    unfolded = []
    for path in html_pages(built_site):
        html = (built_site / path).read_text(encoding="utf-8")
        for classes in re.findall(r'<div class="(solution[^"]*)"', html):
            if "dropdown" not in classes.split():
                unfolded.append(f"{path}: <div class={classes!r}> (add :class: dropdown)")
    assert not unfolded, "\n".join(unfolded)


@pytest.mark.browser
def test_no_page_offers_a_launch_button_to_a_remote_service(built_site: Path) -> None:
    remote = re.compile(r"mybinder\.org|colab\.research\.google\.com|binder-examples|thebe-launch")
    bad = [p for p in html_pages(built_site) if remote.search((built_site / p).read_text())]
    assert not bad, f"pages with a remote launch button or thebe: {bad}"
