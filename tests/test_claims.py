"""The claims page: one entry per catalogued claim (M01-M36), each pointing at a section that
exists and that ends in an executable assertion."""

from __future__ import annotations

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
    assert ids == [f"M{i:02d}" for i in range(1, 37)]


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
    asserted = any(c["cell_type"] == "code" and "assert" in source(c) for c in body)
    assert asserted, f"{claim['id']}: section {label} in {name} has no code cell with an assert"
