"""`make diff` shows a notebook's change as text and numbers, and each changed image as a
checksum, never as its base64 payload (nbdime's nbdiff, run by the Makefile's own recipe)."""

from __future__ import annotations

import copy
import json
import re
import subprocess
from pathlib import Path

from tests.notebooks import ROOT, load

CHAPTER = ROOT / "chapters" / "03-momentum-nesterov.ipynb"


def _stdout(*cmd: str) -> str:
    """What ``cmd`` prints, run in the project root (it must succeed)."""
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True).stdout


def _changed(nb: dict) -> dict:
    """The chapter with the first digit of its first printed line and one figure changed."""
    out = copy.deepcopy(nb)
    text_done = image_done = False
    for cell in out["cells"]:
        for o in cell.get("outputs", []):
            if not text_done and o.get("name") == "stdout":
                text = "".join(o["text"])
                i = next(j for j, ch in enumerate(text) if ch.isdigit())
                o["text"] = text[:i] + ("7" if text[i] != "7" else "8") + text[i + 1 :]
                text_done = True
            if not image_done and "image/png" in o.get("data", {}):
                o["data"]["image/png"] = o["data"]["image/png"][:-8] + "AAAAAAAA"
                image_done = True
    assert text_done and image_done
    return out


def test_make_diff_shows_numbers_as_text_and_images_as_checksums(tmp_path: Path) -> None:
    before, after = tmp_path / "before.ipynb", tmp_path / "after.ipynb"
    nb = load(CHAPTER)
    before.write_text(json.dumps(nb), encoding="utf-8")
    after.write_text(json.dumps(_changed(nb)), encoding="utf-8")
    out = _stdout(
        "make",
        "--no-print-directory",
        "-s",
        "-o",
        ".venv/.installed",
        "diff",
        f"REV={before}",
        f"NB={after}",
    )
    plain = re.sub(r"\x1b\[[0-9;]*m", "", out)
    assert "modified /cells/" in plain and "/outputs/0/text" in plain  # the printed line
    assert plain.count("<snip base64, md5=") == 2  # the figure, before and after: checksums
    assert not re.search(r"[A-Za-z0-9+/]{200}", plain)  # no image payload
    assert len(out) < 20_000 < CHAPTER.stat().st_size


def test_notebooks_name_nbdimes_drivers_and_make_nbdime_sets_drivers_that_exist() -> None:
    attrs = _stdout(
        "git", "check-attr", "diff", "merge", "--", "chapters/01-vanishing-gradients.ipynb"
    )
    assert attrs.count(": jupyternotebook") == 2, attrs
    dry = _stdout("make", "--no-print-directory", "-n", "-o", ".venv/.installed", "nbdime")
    dry = dry.replace("\\\n", " ")
    drivers = re.findall(r'"(/\S+/git-nb(?:diff|merge)driver) ', dry)
    assert len(drivers) == 2 and all(Path(d).is_file() for d in drivers), dry
