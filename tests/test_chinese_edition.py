"""The Chinese edition (``zh/``): every claim in both languages, a Chinese page for every chapter,
numbers pasted from the English notebooks (never typed), links to English sections that exist,
and, in the built site, ``lang="zh-CN"`` and a language switch on every page with a counterpart.
"""

from __future__ import annotations

import copy
import html
import re
import sys
from pathlib import Path

import pytest
import yaml

from tests.notebooks import LABEL, ROOT, chapter_notebooks, load, source

# The build's own checks, imported from its extensions (not copied here).
sys.path.insert(0, str(ROOT / "_ext"))
from claims import missing_fields
from languages import counterparts

ZH = ROOT / "zh"
DATA = yaml.safe_load((ROOT / "chapters" / "claims.yml").read_text(encoding="utf-8"))
CLAIMS = DATA["claims"]
CJK = re.compile(r"[\u4e00-\u9fff]")
PASTE = re.compile(r"\{glue:text\}`([^`]+?)::([A-Za-z0-9_.]+):s`")
REF = re.compile(r"\{ref\}`(?:[^`<]*<)?([A-Za-z0-9_-]+)>?`")
CHAPTER_PAGES = [ZH / f"{nb.stem}.md" for nb in chapter_notebooks()]
ZH_PAGES = sorted(ZH.glob("*.md"))


def _labels() -> dict[str, str]:
    """Every MyST target of the book -> the file that defines it."""
    found = {}
    for nb in chapter_notebooks():
        for cell in load(nb)["cells"]:
            for label in LABEL.findall(source(cell)):
                found[label] = nb.stem
    for page in [*ROOT.glob("*.md"), *(ROOT / "chapters").glob("*.md"), *ZH_PAGES]:
        for label in LABEL.findall(page.read_text(encoding="utf-8")):
            found[label] = str(page.relative_to(ROOT))
    return found


LABELS = _labels()


def glued(notebook: Path) -> dict[str, str]:
    """The text/plain value of every key the notebook's stored outputs glue."""
    out = {}
    for cell in load(notebook)["cells"]:
        for o in cell.get("outputs", []):
            record = o.get("metadata", {}).get("scrapbook")
            if record:
                data = o["data"]
                text = data.get(record["mime_prefix"] + "text/plain", "")
                out[record["name"]] = "".join(text) if isinstance(text, list) else str(text)
    return out


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c["id"])
def test_every_claim_exists_in_english_and_in_chinese(claim: dict) -> None:
    assert not missing_fields(claim), f"{claim['id']} lacks {missing_fields(claim)}"
    for key, value in claim.items():
        if key.endswith("_zh"):
            assert CJK.search(str(value)), f"{claim['id']}.{key} has no Chinese text: {value!r}"


def test_the_check_refuses_an_entry_missing_either_language() -> None:
    idea = next(c for c in CLAIMS if c["kind"] == "idea")
    for field in ("claim", "claim_zh", "answer_zh", "truth"):
        broken = copy.deepcopy(idea)
        broken[field] = "  "
        assert missing_fields(broken) == [field], field
    assert missing_fields(idea) == []


def test_every_post_has_its_original_title() -> None:
    assert all(str(p.get("title_zh", "")).strip() for p in DATA["posts"])


def test_every_chapter_has_a_chinese_page_in_the_table_of_contents() -> None:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = {ch["file"] for part in toc["parts"] for ch in part["chapters"]}
    for page in [ZH / "index.md", ZH / "claims.md", *CHAPTER_PAGES]:
        assert page.is_file(), f"no Chinese page {page.relative_to(ROOT)}"
        assert str(page.relative_to(ROOT).with_suffix("")) in files, f"{page.name} not in _toc"


@pytest.mark.parametrize("page", ZH_PAGES, ids=lambda p: p.stem)
def test_pasted_numbers_exist_and_every_link_leads_somewhere(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    for path, key in PASTE.findall(text):
        notebook = (page.parent / path).resolve()
        assert notebook.is_file(), f"{page.name}: no notebook {path}"
        values = glued(notebook)
        assert key in values, f"{page.name}: {key} is not glued in {notebook.name}"
        value = values[key].strip("'\"")
        assert len(value) <= 40 and not re.search(r"[A-Za-z]{4,}", value), (
            f"{page.name}: {key} pastes a sentence, not a number: {value!r}"
        )
    for label in REF.findall(text):
        assert label in LABELS, f"{page.name}: {{ref}} to a label that does not exist: {label}"
    assert CJK.search(text), f"{page.name} has no Chinese text"


def typed_numbers(text: str) -> list[str]:
    """Decimal numbers written into the prose by hand (outside pasted values, math and code)."""
    prose = re.sub(r"\{glue:text\}`[^`]*`|\$\$.*?\$\$|\$[^$\n]*\$|`[^`\n]*`", "", text, flags=re.S)
    prose = re.sub(r"95\s?%\s?置信区间", "", prose)  # the name of the interval, not a result
    return re.findall(r"(?<![\w.])\d+\.\d+(?![\w.])|\d+(?:\.\d+)?\s?%", prose)


@pytest.mark.parametrize("page", CHAPTER_PAGES, ids=lambda p: p.stem)
def test_a_chapter_page_pastes_its_numbers_and_links_to_its_english_sections(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    assert not typed_numbers(text), f"{page.name}: typed numbers {typed_numbers(text)}"
    own = [label for label in REF.findall(text) if LABELS.get(label) == page.stem]
    assert own, f"{page.name} links to no section of chapters/{page.stem}.ipynb"
    if any(c["section"] in LABELS and LABELS[c["section"]] == page.stem for c in CLAIMS):
        assert PASTE.search(text) or page.stem.startswith("09"), f"{page.name} pastes nothing"


def test_the_typed_number_check_catches_a_number_and_spares_pasted_math_and_code() -> None:
    assert typed_numbers("准确率为 0.952，提高了 3 %") == ["0.952", "3 %"]
    assert typed_numbers("均值与 95% 置信区间") == []
    clean = "准确率为 {glue:text}`../chapters/x.ipynb::k:s`，$\\beta = 0.9$，`lr=0.01`"
    assert typed_numbers(clean) == []


def test_every_chinese_page_and_its_english_page_are_counterparts() -> None:
    docs = {str(p.relative_to(ROOT).with_suffix("")) for p in ZH_PAGES}
    docs |= {"intro", "chapters/claims"} | {f"chapters/{nb.stem}" for nb in chapter_notebooks()}
    pairs = counterparts(docs)
    assert pairs["zh/index"] == "intro" and pairs["chapters/claims"] == "zh/claims"
    for nb in chapter_notebooks():
        assert pairs[f"chapters/{nb.stem}"] == f"zh/{nb.stem}"


@pytest.mark.browser
@pytest.mark.parametrize("page", ZH_PAGES, ids=lambda p: p.stem)
def test_a_built_chinese_page_is_marked_chinese_and_links_to_its_english_page(
    built_site: Path, page: Path
) -> None:
    html = (built_site / "zh" / f"{page.stem}.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN"' in html
    english = "intro" if page.stem == "index" else f"chapters/{page.stem}"
    rel = "../" + english + ".html"
    assert f'<a href="{rel}" hreflang="en" lang="en">English</a>' in html, rel
    back = (built_site / f"{english}.html").read_text(encoding="utf-8")
    assert 'hreflang="zh-CN" lang="zh-CN">中文</a>' in back
    assert '<html lang="en"' in back


@pytest.mark.browser
def test_the_built_chinese_claims_page_holds_every_claim_in_chinese(built_site: Path) -> None:
    page = (built_site / "zh" / "claims.html").read_text(encoding="utf-8")
    text = re.sub(r"\s+", "", html.unescape(re.sub(r"<[^>]+>", " ", page)))
    for claim in CLAIMS:
        assert claim["id"] in text, f"{claim['id']} is not on the Chinese claims page"
        shown_keys = (
            "claim_zh",
            "verdict_zh",
            "truth_zh" if claim["kind"] == "code" else "answer_zh",
        )
        for key in shown_keys:
            shown = re.sub(r"\s+|`|\*", "", str(claim[key]))[:20]
            assert shown in text, f"{claim['id']}.{key} is not on the page: {shown}"
