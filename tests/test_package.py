"""nag_lib as a package a reader installs from an index (``make dist``): a chapter opened outside
a clone installs the version it was built with by itself, and then runs against it under strict
nbval (chapter 11; its outputs must come out as stored).

The fresh environment starts without nag_lib. Chapter 11's first cell installs it, as it would
in Colab or Binder, with pip pointed at ``dist/`` instead of the index (``PIP_NO_INDEX``,
``PIP_FIND_LINKS``): the wheel built from this tree. For its dependencies (torch and the rest,
hundreds of megabytes) the environment reads the project's ``.venv`` site-packages through a
``.pth`` path, less the editable install of nag_lib (its files and metadata). Run by ``make dist``,
after the build; marked ``package`` so that ``make test`` does not pay for it.
"""

from __future__ import annotations

import json
import os
import re
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


def _first_cell(notebook: Path) -> str:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return "".join(next(c for c in cells if c["cell_type"] == "code")["source"])


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A fresh venv seeing the project's dependencies, and the output of chapter 11's first cell
    run there: it finds no nag_lib and installs it from ``dist/``."""
    root = tmp_path_factory.mktemp("fresh")
    env = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(env)], check=True)
    python = env / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # The project's site-packages, less nag_lib's editable install: pip must not find its
    # metadata there and call nag_lib installed.
    deps = root / "dependencies"
    deps.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if "nag_lib" not in entry.name:
            (deps / entry.name).symlink_to(entry)
    (Path(site) / "project_dependencies.pth").write_text(f"{deps}\n")
    missing = "import importlib.util as u, sys; sys.exit(u.find_spec('nag_lib') is not None)"
    subprocess.run([str(python), "-c", missing], cwd=root, check=True)  # no nag_lib yet
    wheel = _wheel()
    # pip reads dist/ instead of the index, and installs nag_lib alone: its dependencies are the
    # project's (through the .pth), and resolving them again would need the index.
    pip_env = {
        **os.environ,
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(wheel.parent),
        "PIP_NO_DEPS": "1",
    }
    cell = _first_cell(CHAPTER)
    done = subprocess.run(
        [str(python), "-m", "IPython", "--quick", "--no-banner", "--colors=NoColor", "-c", cell],
        cwd=root,  # not the source tree
        env=pip_env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return env, done.stdout + done.stderr


def test_a_chapters_first_cell_installs_the_matching_nag_lib_and_says_so(
    venv: tuple[Path, str], tmp_path: Path
) -> None:
    env, said = venv
    version = re.search(r"nag_lib-([^-]+)-", _wheel().name).group(1)  # type: ignore[union-attr]
    assert f"installing nag_lib=={version} with pip" in said, said
    code = "import nag_lib; print(nag_lib.__version__, nag_lib.__file__)"
    done = subprocess.run(
        [str(env / "bin" / "python"), "-c", code],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        text=True,
    )
    found, where = done.stdout.split()
    assert found == version and where.startswith(str(env)), done.stdout
    again = subprocess.run(  # where nag_lib is there, the cell is silent: strict nbval's case
        [str(env / "bin" / "python"), "-m", "IPython", "--quick", "-c", _first_cell(CHAPTER)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert again.stdout.strip() == "", again.stdout


def test_the_wheel_is_what_the_fresh_environment_imports(
    venv: tuple[Path, str], tmp_path: Path
) -> None:
    env = venv[0]
    code = "import nag_lib, nag_lib.optim, nag_lib.ensemble; print(nag_lib.__file__)"
    where = subprocess.run(
        [str(env / "bin" / "python"), "-c", code],
        cwd=tmp_path,  # not the source tree
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert where.startswith(str(env)), where
    assert (Path(where).parent / "py.typed").is_file()  # the typing marker ships


def test_a_chapter_runs_against_the_wheel_under_strict_nbval(
    venv: tuple[Path, str], tmp_path: Path
) -> None:
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
        [str(venv[0] / "bin" / "python"), *args, "--rootdir", str(tmp_path), CHAPTER.name],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert " passed" in done.stdout
