"""nag_lib as a package a reader installs from an index (``make dist``): the wheel built from this
tree installs into a fresh virtual environment, with no access to the source tree, and a chapter
runs against it under strict nbval (chapter 11; its outputs must come out as stored).

The fresh environment gets nag_lib from the wheel only; for its dependencies (torch and the rest,
hundreds of megabytes) it reads the project's ``.venv`` site-packages through a ``.pth`` path,
which does not carry the editable install of nag_lib along. Run by ``make dist``, after the
build; marked ``package`` so that ``make test`` does not pay for it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.notebooks import ROOT, SANITIZE

pytestmark = pytest.mark.package

CHAPTER = ROOT / "chapters" / "11-code-errors.ipynb"


def _wheel() -> Path:
    wheels = sorted((ROOT / "dist").glob("nag_lib-*.whl"))
    assert len(wheels) == 1, "run `make dist` (it builds dist/ first), found " + str(wheels)
    return wheels[0]


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel installed, seeing the project's dependencies (not nag_lib)."""
    root = tmp_path_factory.mktemp("fresh")
    env = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(env)], check=True)
    python = env / "bin" / "python"
    pip = [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(_wheel())]
    subprocess.run(pip, check=True)
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(site) / "project_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return env


def test_the_wheel_is_what_the_fresh_environment_imports(venv: Path, tmp_path: Path) -> None:
    code = "import nag_lib, nag_lib.optim, nag_lib.ensemble; print(nag_lib.__file__)"
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", code],
        cwd=tmp_path,  # not the source tree
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert where.startswith(str(venv)), where
    assert (Path(where).parent / "py.typed").is_file()  # the typing marker ships


def test_a_chapter_runs_against_the_wheel_under_strict_nbval(venv: Path, tmp_path: Path) -> None:
    shutil.copy(CHAPTER, tmp_path / CHAPTER.name)
    shutil.copy(SANITIZE, tmp_path / "sanitize.cfg")
    env = {
        **os.environ,
        "NAG_BOOK_THREADS": "1",
        "NAG_BOOK_HEADLESS": "1",
        "MPLBACKEND": "Agg",
        "PYTHONHASHSEED": "0",
    }
    args = ["-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:hypothesispytest"]
    args += ["--nbval", "--nbval-current-env", "--nbval-sanitize-with", "sanitize.cfg"]
    done = subprocess.run(
        [str(venv / "bin" / "python"), *args, "--rootdir", str(tmp_path), CHAPTER.name],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert " passed" in done.stdout
