# Single entry point. `make book` and `make test` do all the set-up on a fresh machine.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard chapters/*.ipynb))
# Strict nbval: every stored output is compared, after the normalisations in the sanitize file
# (PNG data, figure reprs, memory addresses). The lax mode is never used.
NBVAL_ARGS := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg
# Unit and property tests of nag_lib plus its docstring examples; coverage by these alone.
UNIT_ARGS := tests nag_lib --doctest-modules -m "not browser and not axe" \
	--cov=nag_lib --cov-branch --cov-report=term-missing:skip-covered --cov-fail-under=90
export PYTHONHASHSEED := 0
# Notebooks executed by make (nbval, execute, test) draw off-screen and store no live widget
# views (see nag_lib.widgets); `make lab` removes both variables again for its kernels.
HEADLESS_VARS := MPLBACKEND NAG_BOOK_HEADLESS
export MPLBACKEND := Agg
export NAG_BOOK_HEADLESS := 1

.PHONY: help venv book test test-graph test-book test-unit test-browser lint typecheck unit nbval \
	nbval-1 nbval-2 browser axe execute lab serve bench pipeline clean FORCE

help:  ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

venv: $(STAMP)  ## create .venv with the pinned dependencies

book: $(STAMP)  ## build the static site into _build/html from the stored outputs (-W)
	$(BIN)/jupyter-book build . -W -n --keep-going

LINTED := nag_lib tests benchmarks _ext chapters templates

lint: $(STAMP)  ## ruff lint + format check: library, tests, benchmarks, extensions, notebooks
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

typecheck: $(STAMP)  ## mypy --strict over nag_lib
	$(BIN)/mypy

unit: $(STAMP)  ## unit/property tests and doctests, with line+branch coverage (>= 90 %)
	$(BIN)/python -m pytest $(UNIT_ARGS)

nbval-1: $(STAMP)  ## strict nbval over every chapter notebook, torch on 1 thread
	NAG_BOOK_THREADS=1 $(BIN)/python -m pytest $(NBVAL_ARGS) $(NOTEBOOKS)

nbval-2: $(STAMP)  ## the same stored outputs must come out with 2 threads
	NAG_BOOK_THREADS=2 $(BIN)/python -m pytest $(NBVAL_ARGS) $(NOTEBOOKS)

nbval: nbval-1 nbval-2  ## strict nbval at 1 and at 2 torch threads

browser: $(STAMP)  ## headless-Chromium sweep of the built site (after `make book`)
	$(BIN)/python -m pytest tests -m browser

# `make test` keeps both cores of a small CI machine busy. First, the single-threaded phases run
# JOBS at a time as one dependency graph (the unit tests and the browser sweep need the built
# site; lint, types and each notebook at 1 thread stand alone); each job's log is printed whole
# when it ends, and the first failure stops the run. Then the notebooks run again with torch on
# 2 threads, alone: a 2-thread kernel that shares the cores with another job waits at every
# parallel region and runs several times slower. JOBS=1 runs everything in series.
JOBS ?= 2
NBVAL_1 := $(NOTEBOOKS:chapters/%.ipynb=nbval-1/%)

test: $(STAMP)  ## the whole suite: lint, types, -W build, browser, unit+coverage, nbval x2
	$(MAKE) --no-print-directory --output-sync=target -j$(JOBS) test-graph
	$(MAKE) --no-print-directory nbval-2

test-graph: lint typecheck test-book test-unit test-browser $(NBVAL_1)

test-book: lint typecheck
	$(BIN)/jupyter-book build . -W -n --keep-going

test-unit: test-book
	$(BIN)/python -m pytest $(UNIT_ARGS)

test-browser: test-book
	$(BIN)/python -m pytest tests -m browser

axe: book  ## axe-core (WCAG 2.1 A/AA) over every page, light and dark mode (about 4 min)
	$(BIN)/python -m pytest tests -m axe

nbval-1/%: FORCE
	NAG_BOOK_THREADS=1 $(BIN)/python -m pytest -q $(NBVAL_ARGS) chapters/$*.ipynb

FORCE:

execute: $(STAMP)  ## re-execute every chapter notebook in place (authors), then validate
	for nb in $(NOTEBOOKS); do \
		echo "executing $$nb"; \
		NAG_BOOK_THREADS=1 $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
			--ExecutePreprocessor.timeout=600 --ExecutePreprocessor.kernel_name=python3 "$$nb"; \
	done
	$(MAKE) --no-print-directory nbval

# JupyterLab for readers: on 127.0.0.1 only, behind Jupyter's token (printed in the URL), with
# live explorers (the headless variables are removed). LAB_DIR and LAB_ARGS exist for
# tests/test_lab.py, which runs this very target on a copy of a chapter and a free port.
LAB_DIR ?= chapters
LAB_ARGS ?=

lab: $(STAMP)  ## JupyterLab on the chapters, on 127.0.0.1 with a token (live explorers work here)
	env $(HEADLESS_VARS:%=-u %) $(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 $(LAB_ARGS) $(LAB_DIR)

serve:  ## serve the built site on http://127.0.0.1:8000
	$(PYTHON) -m http.server --directory _build/html --bind 127.0.0.1 8000

bench: $(STAMP)  ## benchmarks: optimizer step (ratios vs torch), ensemble vs one-at-a-time loop
	$(BIN)/python benchmarks/optim_step.py
	$(BIN)/python benchmarks/ensemble.py

pipeline: $(STAMP)  ## wall time of each `make test` phase against the budgets (6 min; 30 s a notebook)
	$(BIN)/python benchmarks/pipeline.py

clean:  ## remove the build (keeps .venv)
	rm -rf _build .pytest_cache .mypy_cache .ruff_cache .coverage
