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


class ClaimsTable(SphinxDirective):
    """``{claims-table}``: one kind of claim (``:kind: idea`` or ``:kind: code``) as a table.

    Claims about ideas get their short answer and a link to the figure or table that decides
    them; claims about the posts' code get the correct statement. Both link to the section
    whose code settles the claim with an assertion.
    """

    has_content = False
    option_spec: ClassVar[dict[str, Callable[[str], Any]]] = {"kind": directives.unchanged_required}

    def run(self) -> list[nodes.Node]:
        root = Path(self.env.srcdir)
        self.env.note_dependency(str(root / CLAIMS_FILE))
        data = load_claims(root)
        kind = self.options.get("kind", "idea")
        if kind not in KINDS:
            raise self.error(f"claims-table: kind must be one of {KINDS}, got {kind!r}")
        posts = {p["id"]: p for p in data["posts"]}
        # The directive lives in a MyST page, so its generated content is MyST markdown.
        if kind == "idea":
            header = ["What the posts claim (paraphrased)", "The short answer", "Decided by"]
            widths = "40 40 20"
        else:
            header = ["What the posts claim (paraphrased)", "What is true", "Settled in"]
            widths = "40 42 18"
        lines = [
            "```{list-table}",
            ":header-rows: 1",
            f":widths: {widths}",
            f":class: claims-table claims-{kind}",
            "",
            f"* - {header[0]}",
            f"  - {header[1]}",
            f"  - {header[2]}",
        ]
        for c in data["claims"]:
            if c.get("kind") != kind:
                continue
            where = ", ".join(posts[s]["short"] for s in c["sources"])
            section = c["section"]
            settled = f"{{ref}}`the code <{section}>`"
            if kind == "idea":
                decided = f"{{ref}}`{_cell(c['deciding_text'])} <{c['deciding']}>`; {settled}"
                answer = f"**{c['verdict']}.** {_cell(c['answer'])}"
            else:
                decided = settled
                answer = f"**{c['verdict']}.** {_cell(c['truth'])}"
            lines += [
                f"* - **{c['id']}** {_cell(c['claim'])} (post {where})",
                f"  - {answer}",
                f"  - {decided}",
            ]
        lines.append("```")
        container = nodes.container()
        self.state.nested_parse(StringList(lines), self.content_offset, container)
        return container.children


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("claims-table", ClaimsTable)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
