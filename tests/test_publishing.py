"""What publishing needs is there and valid: the CI workflows pass the GitHub workflow schema,
the citation file the Citation File Format schema (both checked offline by check-jsonschema's
vendored schemas), the two licence texts exist and the site's footer names them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.notebooks import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def _validate(schema: str, path: Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(path)]
    return subprocess.run(cmd, capture_output=True, text=True, check=False)


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_each_workflow_is_valid(path: Path) -> None:
    done = _validate("vendor.github-workflows", path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_book_workflow_tests_with_make_test_and_deploys_main_to_pages() -> None:
    book = yaml.safe_load((ROOT / ".github" / "workflows" / "book.yml").read_text())
    runs = [s.get("run", "") for s in book["jobs"]["test"]["steps"]]
    assert "make test" in runs
    deploy = book["jobs"]["deploy"]
    assert deploy["needs"] == "test" and "refs/heads/main" in deploy["if"]
    uses = [s.get("uses", "") for s in deploy["steps"]]
    assert any(u.startswith("actions/deploy-pages@") for u in uses)
    build = next(s for s in deploy["steps"] if s.get("run") == "make book")
    pages = next(s for s in deploy["steps"] if s.get("uses", "").startswith("actions/configure-"))
    assert deploy["steps"].index(pages) < deploy["steps"].index(build)  # its address first
    expected = "${{ steps." + pages["id"] + ".outputs.base_url }}"
    assert build["env"]["NAG_BOOK_BASEURL"] == expected
    assert "github.repository" in build["env"]["NAG_BOOK_REPOSITORY_URL"]
    assert any(s.get("with", {}).get("path") == "_build/html" for s in deploy["steps"])


def test_a_broken_workflow_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  test:\n    steps: []\n")  # no runs-on
    assert _validate("vendor.github-workflows", bad).returncode != 0


def test_the_citation_file_is_valid_and_names_both_licences() -> None:
    done = _validate("vendor.citation-file-format", ROOT / "CITATION.cff")
    assert done.returncode == 0, done.stdout + done.stderr
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["license"] == ["MIT", "CC-BY-4.0"]
    version = (ROOT / "nag_lib" / "__init__.py").read_text()
    assert f'__version__ = "{cff["version"]}"' in version


def test_the_licence_texts_are_there_and_the_footer_names_them() -> None:
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    cc = (ROOT / "LICENSE-CC-BY-4.0").read_text()
    assert "Creative Commons Attribution 4.0 International Public License" in cc
    assert "Section 8 -- Interpretation." in cc  # the whole legal code, to its last section
    footer = yaml.safe_load((ROOT / "_config.yml").read_text())["html"]["extra_footer"]
    assert "CC BY 4.0" in footer and "MIT" in footer


def test_binders_environment_pins_the_projects_torch() -> None:
    """Binder installs torch's CPU build from ``binder/requirements.txt``; its version must be the
    one ``pyproject.toml`` pins, or each chapter's first cell would replace it."""
    pins = [
        line.strip()
        for line in (ROOT / "binder" / "requirements.txt").read_text().splitlines()
        if line.strip().startswith("torch")
    ]
    project = (ROOT / "pyproject.toml").read_text()
    assert len(pins) == 1 and f'"{pins[0]}",' in project, pins
