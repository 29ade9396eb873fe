"""Sphinx extension: the ``claims-table`` directive renders ``chapters/claims.yml``.

Two tables: the claims about ideas (each with its short answer and a link to the deciding figure
or table) and the claims about the posts' code (each with the correct statement). Every row names
the posts that make the claim and links to the section that settles it. A section label that
does not exist is an undefined-label warning, which the ``-W`` build turns into a failure.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import yaml
from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

CLAIMS_FILE = Path("chapters") / "claims.yml"
#: The two kinds of claim: about the ideas, and about the posts' code.
KINDS = ("idea", "code")


def load_claims(root: Path) -> dict[str, Any]:
    """Parse the claims data file under ``root``."""
    with open(root / CLAIMS_FILE, encoding="utf-8") as fh:
        data: dict[str, Any] = yaml.safe_load(fh)
    return data


def _cell(text: str) -> str:
    return " ".join(str(text).split())


#: Every claim carries these fields in both languages (``claim`` and ``claim_zh`` ...); an idea
#: claim also its short answer and the text of the link to the figure that decides it.
FIELDS = ("claim", "verdict", "truth")
IDEA_FIELDS = ("answer", "deciding_text")
#: The words of the table in each language.
WORDS: dict[str, dict[str, str]] = {
    "en": {
        "claim": "What the posts claim (paraphrased)",
        "answer": "The short answer",
        "truth": "What is true",
        "decided": "Decided by",
        "settled": "Settled in",
        "code": "the code",
        "post": "post",
        "sep": ", ",
        "stop": ".",
        "open": " (",
        "close": ")",
    },
    "zh": {
        "claim": "帖子的说法（转述）",
        "answer": "简短回答",
        "truth": "正确的说法",
        "decided": "判定依据",
        "settled": "代码验证",
        "code": "英文原文中的代码",
        "post": "帖子",
        "sep": "、",
        "stop": "。",
        "open": "（",
        "close": "）",
    },
}


def missing_fields(claim: dict[str, Any]) -> list[str]:
    """The fields ``claim`` lacks in either language (an entry must exist in both)."""
    need = list(FIELDS) + (list(IDEA_FIELDS) if claim.get("kind") == "idea" else [])
    return [
        f"{name}{suffix}"
        for name in need
        for suffix in ("", "_zh")
        if not str(claim.get(f"{name}{suffix}", "")).strip()
    ]


class ClaimsTable(SphinxDirective):
    """``{claims-table}``: one kind of claim (``:kind: idea`` or ``:kind: code``) as a table,
    in English or, with ``:lang: zh``, in Chinese from the same entries.

    Claims about ideas get their short answer and a link to the figure or table that decides
    them; claims about the posts' code get the correct statement. Both link to the section
    whose code settles the claim with an assertion. An entry that lacks a field in either
    language stops the build.
    """

    has_content = False
    option_spec: ClassVar[dict[str, Callable[[str], Any]]] = {
        "kind": directives.unchanged_required,
        "lang": directives.unchanged_required,
    }

    def run(self) -> list[nodes.Node]:
        root = Path(self.env.srcdir)
        self.env.note_dependency(str(root / CLAIMS_FILE))
        data = load_claims(root)
        kind = self.options.get("kind", "idea")
        lang = self.options.get("lang", "en")
        if kind not in KINDS:
            raise self.error(f"claims-table: kind must be one of {KINDS}, got {kind!r}")
        if lang not in WORDS:
            raise self.error(f"claims-table: lang must be one of {tuple(WORDS)}, got {lang!r}")
        for c in data["claims"]:
            if missing := missing_fields(c):
                raise self.error(f"claims-table: {c['id']} lacks {', '.join(missing)}")
        w, sfx = WORDS[lang], ("" if lang == "en" else f"_{lang}")
        posts = {p["id"]: p for p in data["posts"]}
        # The directive lives in a MyST page, so its generated content is MyST markdown.
        third = w["decided"] if kind == "idea" else w["settled"]
        second = w["answer"] if kind == "idea" else w["truth"]
        widths = "40 40 20" if kind == "idea" else "40 42 18"
        lines = [
            "```{list-table}",
            ":header-rows: 1",
            f":widths: {widths}",
            f":class: claims-table claims-{kind}",
            "",
            f"* - {w['claim']}",
            f"  - {second}",
            f"  - {third}",
        ]
        for c in data["claims"]:
            if c.get("kind") != kind:
                continue
            where = w["sep"].join(f"{w['post']} {posts[s]['short']}" for s in c["sources"])
            settled = f"{{ref}}`{w['code']} <{c['section']}>`"
            text = {key: _cell(c.get(f"{key}{sfx}", "")) for key in (*FIELDS, *IDEA_FIELDS)}
            if kind == "idea":
                decided = f"{{ref}}`{text['deciding_text']} <{c['deciding']}>`; {settled}"
                answer = f"**{text['verdict']}{w['stop']}** {text['answer']}"
            else:
                decided = settled
                answer = f"**{text['verdict']}{w['stop']}** {text['truth']}"
            lines += [
                f"* - **{c['id']}** {text['claim']}{w['open']}{where}{w['close']}",
                f"  - {answer}",
                f"  - {decided}",
            ]
        lines.append("```")
        container = nodes.container()
        self.state.nested_parse(StringList(lines), self.content_offset, container)
        return container.children


class PostsList(SphinxDirective):
    """``{posts-list}``: the five posts, by their original (Chinese) title and its translation."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        root = Path(self.env.srcdir)
        self.env.note_dependency(str(root / CLAIMS_FILE))
        lines = []
        for p in load_claims(root)["posts"]:
            if not str(p.get("title_zh", "")).strip():
                raise self.error(f"posts-list: post {p['short']} lacks title_zh")
            if p["title_zh"] == p["title"]:  # a post published under an English title
                lines.append(f'- **{p["short"]}**："{p["title"]}"（原标题为英文）')
            else:
                lines.append(f'- **{p["short"]}**：《{p["title_zh"]}》（英文译名："{p["title"]}"）')
        container = nodes.container()
        self.state.nested_parse(StringList(lines), self.content_offset, container)
        return container.children


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("claims-table", ClaimsTable)
    app.add_directive("posts-list", PostsList)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
