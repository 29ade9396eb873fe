"""The claims page: one entry per catalogued claim (the ids read from ``chapters/claims.yml``:
M01, M02, ... in order), each pointing at a section that exists and holds an executable
assertion (an ``assert`` statement, found by parsing the code, not by reading the word)."""

from __future__ import annotations

import ast

import pytest
import yaml

from tests.notebooks import CHAPTERS, LABEL, chapter_notebooks, load, source

DATA = yaml.safe_load((CHAPTERS / "claims.yml").read_text(encoding="utf-8"))
CLAIMS = DATA["claims"]


def _sections() -> dict[str, tuple[str, list[dict]]]:
    """label -> (notebook, its cells up to the next label or same-level heading)."""
    found: dict[str, tuple[str, list[dict]]] = {}
    for path in chapter_notebooks():
        cells = load(path)["cells"]
        for i, cell in enumerate(cells):
            if cell["cell_type"] != "markdown":
                continue
            for label in LABEL.findall(source(cell)):
                body = [cell]
                for nxt in cells[i + 1 :]:
                    text = source(nxt)
                    if nxt["cell_type"] == "markdown" and (
                        LABEL.search(text) or text.lstrip().startswith(("# ", "## "))
                    ):
                        break
                    body.append(nxt)
                found[label] = (path.name, body)
    return found


SECTIONS = _sections()


def test_the_catalogue_has_every_claim_once() -> None:
    ids = [c["id"] for c in CLAIMS]
    assert len(ids) >= 36, "the 36 catalogued claims stay on the page"
    assert ids == [f"M{i:02d}" for i in range(1, len(ids) + 1)], "ids are M01, M02, ... once each"


def test_every_claim_is_complete_and_cites_known_posts() -> None:
    posts = {p["id"] for p in DATA["posts"]}
    for c in CLAIMS:
        for key in ("claim", "verdict", "truth"):
            assert str(c.get(key, "")).strip(), f"{c['id']} lacks {key}"
        assert c["sources"] and set(c["sources"]) <= posts, c["id"]


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c["id"])
def test_claim_links_to_a_section_that_ends_in_an_assertion(claim) -> None:
    label = claim.get("section")
    assert label, f"{claim['id']} has no section yet"
    assert label in SECTIONS, f"{claim['id']}: no chapter defines the label ({label})="
    name, body = SECTIONS[label]
    asserted = any(c["cell_type"] == "code" and has_assert(source(c)) for c in body)
    assert asserted, f"{claim['id']}: section {label} in {name} has no code cell with an assert"


def has_assert(code: str) -> bool:
    """Whether ``code`` (a code cell; IPython's ``%`` and ``!`` lines are skipped) holds an
    ``assert`` statement: not the word in a comment or a string."""
    lines = [line for line in code.splitlines() if not line.lstrip().startswith(("%", "!"))]
    return any(isinstance(node, ast.Assert) for node in ast.walk(ast.parse("\n".join(lines))))


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("assert x == 1", True),
        ("%matplotlib inline\nfor v in xs:\n    assert v > 0, v", True),
        ("x = 1  # assert x == 1", False),
        ('print("assert nothing")', False),
        ('"""assert in a docstring"""', False),
    ],
)
def test_the_assert_finder_counts_statements_not_words(code: str, expected: bool) -> None:
    assert has_assert(code) is expected


def _targets() -> dict[str, str]:
    """Every MyST target ``(label)=`` in the chapter notebooks and pages -> its file."""
    found = {}
    for path in chapter_notebooks():
        for cell in load(path)["cells"]:
            if cell["cell_type"] == "markdown":
                for label in LABEL.findall(source(cell)):
                    found[label] = path.name
    return found


TARGETS = _targets()


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c["id"])
def test_each_claim_is_an_idea_with_a_short_answer_and_a_deciding_figure_or_a_code_error(
    claim,
) -> None:
    assert claim.get("kind") in ("idea", "code"), f"{claim['id']}: kind must be idea or code"
    if claim["kind"] == "idea":
        answer = str(claim.get("answer", "")).strip()
        assert answer, f"{claim['id']}: an idea claim needs its short answer"
        assert len(answer.split()) <= 40, f"{claim['id']}: the short answer is not short"
        assert str(claim.get("deciding_text", "")).strip(), f"{claim['id']} lacks deciding_text"
        label = claim.get("deciding")
        assert label in TARGETS, f"{claim['id']}: deciding label ({label})= is in no chapter"


def test_the_claims_page_puts_the_ideas_first_and_the_code_errors_second() -> None:
    page = (CHAPTERS / "claims.md").read_text(encoding="utf-8")
    idea, code = page.find(":kind: idea"), page.find(":kind: code")
    assert 0 <= idea < code, "the claims about ideas must come before the code errors"
    kinds = [c["kind"] for c in CLAIMS]
    assert kinds.count("idea") >= 10 and kinds.count("code") >= 10
