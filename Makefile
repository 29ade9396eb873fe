# Single entry point. `make book` and `make test` do all the set-up on a fresh machine.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# nag_lib.fused's C++ steps, built once per machine (and again when their source changes) before
# anything runs a notebook; torch caches the library under $TORCH_EXTENSIONS_DIR.
FUSED := $(VENV)/.fused-built
NOTEBOOKS := $(sort $(wildcard chapters/*.ipynb))
# Strict nbval: every stored output is compared, after the normalisations in the sanitize file
# (PNG data, figure reprs, memory addresses). The lax mode is never used.
# Hypothesis's pytest plugin is left out of these runs: they have no property tests, and it costs
# each pytest process 1.2 s to load.
NBVAL_ARGS := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg \
	-p no:hypothesispytest
# Unit and property tests of nag_lib plus its docstring examples; coverage by these alone (the
# threshold is pyproject.toml's [tool.coverage.report] fail_under, set there only).
UNIT_ARGS := tests nag_lib --doctest-modules -m "not browser and not axe and not package" \
	--cov=nag_lib --cov-branch --cov-report=term-missing:skip-covered
export PYTHONHASHSEED := 0
# Notebooks executed by make (nbval, execute, test) draw off-screen and store no live widget
# views (see nag_lib.widgets); `make lab` removes both variables again for its kernels.
HEADLESS_VARS := MPLBACKEND NAG_BOOK_HEADLESS
export MPLBACKEND := Agg
export NAG_BOOK_HEADLESS := 1

.PHONY: help venv book test test-graph test-site lint typecheck unit nbval \
	nbval-1 nbval-2 browser browser-setup test-lab axe execute dist diff nbdime lab serve bench pipeline clean FORCE

help:  ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

venv: $(STAMP)  ## create .venv with the pinned dependencies

$(FUSED): $(STAMP) nag_lib/_step.cpp nag_lib/fused.py
	$(BIN)/python -m nag_lib.fused
	touch $@

# Extra arguments for jupyter-book build (benchmarks/pipeline.py --build-dir sets --path-output).
BOOK_ARGS ?=

book: $(STAMP) $(FUSED)  ## build the static site into _build/html from the stored outputs (-W)
	$(BIN)/jupyter-book build . -W -n --keep-going $(BOOK_ARGS)

LINTED := nag_lib tests benchmarks _ext chapters templates

lint: $(STAMP)  ## ruff lint + format check: library, tests, benchmarks, extensions, notebooks
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

typecheck: $(STAMP)  ## mypy --strict over nag_lib
	$(BIN)/mypy

unit: $(STAMP) $(FUSED)  ## unit/property tests and doctests, with line+branch coverage (>= 90 %)
	$(BIN)/python -m pytest $(UNIT_ARGS)

nbval-1: $(STAMP) $(FUSED)  ## strict nbval over every chapter notebook, torch on 1 thread
	NAG_BOOK_THREADS=1 $(BIN)/python -m pytest $(NBVAL_ARGS) $(NOTEBOOKS)

nbval-2: $(STAMP) $(FUSED)  ## the same stored outputs must come out with 2 threads
	NAG_BOOK_THREADS=2 $(BIN)/python -m pytest $(NBVAL_ARGS) $(NOTEBOOKS)

nbval: nbval-1 nbval-2  ## strict nbval at 1 and at 2 torch threads

# tests/browser_setup.py finds Chromium or Chrome ($$NAG_BOOK_CHROMIUM, Playwright's, the
# system's), installs one when there is none (and a CJK font on Debian as root), or stops with
# one line saying what to run.
BROWSER_SITE := $(BIN)/python -m pytest tests -m "browser and not lab"
BROWSER_LAB := $(BIN)/python -m pytest tests -m lab

browser-setup: $(STAMP)
	$(BIN)/python -m tests.browser_setup

browser: browser-setup $(FUSED)  ## headless Chromium: sweep of the built site (after `make book`), then `make lab`
	$(BROWSER_SITE)
	$(BROWSER_LAB)

# `make test` keeps both cores of a small CI machine busy: its phases run JOBS at a time as one
# dependency graph: the site job (the -W build, then the browser sweep over it), lint, mypy
# (half a minute from a cold cache), the unit tests and each notebook, at 1 and at 2 torch
# threads. Each job's log is printed whole when it ends, and the first failure stops the run.
# A 2-thread kernel that shares the cores with another job would spin at every parallel region
# while its second thread waits for a core (1.65x slower, measured); OMP_WAIT_POLICY=PASSIVE
# lets that thread sleep instead (1.2x), and changes no result. JOBS=1 runs all in series.
JOBS ?= 2
NBVAL_1 := $(NOTEBOOKS:chapters/%.ipynb=nbval-1/%)
NBVAL_2 := $(NOTEBOOKS:chapters/%.ipynb=nbval-2/%)

test: $(STAMP) $(FUSED)  ## the whole suite: lint, types, -W build, browser, unit+coverage, nbval x2
	$(MAKE) --no-print-directory browser-setup
	$(MAKE) --no-print-directory --output-sync=target -j$(JOBS) test-graph

# The site job (build, then the browser sweep) comes first: at about 3 minutes it is the
# longest, and half of it is the browser waiting, which the other jobs fill. (A sweep target of
# its own that depends on the build was measured to start only after the other jobs: make -j
# does not go back to it when the build ends.) The `make lab` check needs no site, so it is a job
# of its own beside it instead of 40 s more on that longest chain. The browser is found (or
# installed, once) before the graph starts: a prerequisite shared by both jobs would hold the
# second one back to the end of the run, as above.
test-graph: test-site test-lab lint typecheck unit $(NBVAL_1) $(NBVAL_2)

test-site:
	$(MAKE) --no-print-directory book
	$(BROWSER_SITE)

test-lab: $(FUSED)
	$(BROWSER_LAB)

axe: book  ## axe-core (WCAG 2.1 A/AA) over every page, light and dark mode (about 4 min)
	$(BIN)/python -m tests.browser_setup
	$(BIN)/python -m pytest tests -m axe

nbval-1/%: $(FUSED) FORCE
	NAG_BOOK_THREADS=1 $(BIN)/python -m pytest -q $(NBVAL_ARGS) chapters/$*.ipynb

nbval-2/%: $(FUSED) FORCE
	OMP_WAIT_POLICY=PASSIVE NAG_BOOK_THREADS=2 $(BIN)/python -m pytest -q $(NBVAL_ARGS) chapters/$*.ipynb

FORCE:

# No per-cell timestamps are stored (record_timing=False): re-executing an unchanged chapter
# rewrites it byte for byte, and a diff shows only what changed. One chapter:
# `make execute/NN-name nbval-1/NN-name nbval-2/NN-name`.
execute: $(STAMP)  ## re-execute every chapter notebook in place (authors), then validate
	$(MAKE) --no-print-directory $(NOTEBOOKS:chapters/%.ipynb=execute/%)
	$(MAKE) --no-print-directory nbval

# The second pass joins a cell's consecutive prints into one stream output: how many the kernel
# sends depends on timing (it flushes every 0.2 s), and the file should not.
execute/%: $(FUSED) FORCE
	NAG_BOOK_THREADS=1 $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.timeout=600 --ExecutePreprocessor.kernel_name=python3 \
		--ExecutePreprocessor.record_timing=False chapters/$*.ipynb
	$(BIN)/jupyter nbconvert --to notebook --inplace --CoalesceStreamsPreprocessor.enabled=True \
		chapters/$*.ipynb

# nag_lib as readers install it from an index: the wheel and sdist, checked by twine, then the
# wheel installed in a fresh venv and chapter 11 run against it under strict nbval.
dist: $(STAMP)  ## build nag_lib's wheel and sdist into dist/, twine check, run a chapter on the wheel
	rm -rf dist
	$(BIN)/python -m build --outdir dist .
	$(BIN)/python -m twine check --strict dist/*
	$(BIN)/python -m pytest tests -m package

# Reviewing notebooks: a chapter's change as text and numbers, each image as a checksum.
# `make diff` compares every changed notebook with the last commit; NB picks one, and REV another
# commit or a second notebook file: `make diff NB=chapters/03-momentum-nesterov.ipynb REV=main~1`.
REV ?= HEAD
NB ?=

diff: $(STAMP)  ## notebooks' changes since REV (default HEAD) as text and numbers, images as checksums
	$(BIN)/nbdiff --color-words $(REV) $(NB)

# .gitattributes (committed) names the drivers; this sets them in .git/config, with the venv's
# absolute path so that git finds them outside the venv too.
nbdime: $(STAMP)  ## make `git diff` and `git merge` of notebooks use nbdime, in this clone only
	git config diff.jupyternotebook.command "$(abspath $(BIN))/git-nbdiffdriver diff"
	git config merge.jupyternotebook.driver \
		"$(abspath $(BIN))/git-nbmergedriver merge %O %A %B %L %P"
	git config merge.jupyternotebook.name "jupyter notebook merge driver"

# JupyterLab for readers: on 127.0.0.1 only, behind Jupyter's token (printed in the URL), with
# live explorers (the headless variables are removed). LAB_DIR and LAB_ARGS exist for
# tests/test_lab.py, which runs this very target on a copy of a chapter and a free port.
LAB_DIR ?= chapters
LAB_ARGS ?=

lab: $(STAMP) $(FUSED)  ## JupyterLab on the chapters, on 127.0.0.1 with a token (live explorers work here)
	env $(HEADLESS_VARS:%=-u %) $(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 $(LAB_ARGS) $(LAB_DIR)

serve:  ## serve the built site on http://127.0.0.1:8000
	$(PYTHON) -m http.server --directory _build/html --bind 127.0.0.1 8000

bench: $(STAMP) $(FUSED)  ## benchmarks: optimizer step (ratios vs torch), ensemble vs one-at-a-time loop
	$(BIN)/python benchmarks/optim_step.py
	$(BIN)/python benchmarks/ensemble.py

pipeline: $(STAMP)  ## wall time of each `make test` phase against the budgets (6 min; 30 s a notebook)
	$(BIN)/python benchmarks/pipeline.py

clean:  ## remove the build (keeps .venv)
	rm -rf _build .pytest_cache .mypy_cache .ruff_cache .coverage
