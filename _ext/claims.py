"""Sphinx extension: the ``claims-table`` directive renders ``chapters/claims.yml``.

One row per catalogued claim of the source posts: the claim (paraphrased), which post makes it,
the verdict, and a cross-reference to the section that settles it. A section label that does not
exist is an undefined-label warning, which the ``-W`` build turns into a failure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

CLAIMS_FILE = Path("chapters") / "claims.yml"


def load_claims(root: Path) -> dict[str, Any]:
    """Parse the claims data file under ``root``."""
    with open(root / CLAIMS_FILE, encoding="utf-8") as fh:
        data: dict[str, Any] = yaml.safe_load(fh)
    return data


def _cell(text: str) -> str:
    return " ".join(str(text).split())


class ClaimsTable(SphinxDirective):
    """``{claims-table}``: the claims catalogue as a table with links to the refutations."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        root = Path(self.env.srcdir)
        self.env.note_dependency(str(root / CLAIMS_FILE))
        data = load_claims(root)
        posts = {p["id"]: p for p in data["posts"]}
        # The directive lives in a MyST page, so its generated content is MyST markdown.
        lines = [
            "```{list-table}",
            ":header-rows: 1",
            ":widths: 6 34 12 30 18",
            ":class: claims-table",
            "",
            "* - ID",
            "  - What the posts claim (paraphrased)",
            "  - Where",
            "  - Verdict",
            "  - Settled in",
        ]
        for c in data["claims"]:
            where = ", ".join(f"post {posts[s]['short']}" for s in c["sources"])
            section = c.get("section")
            settled = f"{{ref}}`{section}`" if section else "chapter not published yet (coming)"
            lines += [
                f"* - **{c['id']}**",
                f"  - {_cell(c['claim'])}",
                f"  - {where}",
                f"  - **{c['verdict']}.** {_cell(c['truth'])}",
                f"  - {settled}",
            ]
        lines.append("```")
        container = nodes.container()
        self.state.nested_parse(StringList(lines), self.content_offset, container)
        return container.children


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("claims-table", ClaimsTable)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
