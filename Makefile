# Single entry point. `make book` and `make test` do all the set-up on a fresh machine.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard chapters/*.ipynb))
# Strict nbval: every stored output is compared (never --nbval-lax).
NBVAL_ARGS := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg
export PYTHONHASHSEED := 0
export MPLBACKEND := Agg
# Notebooks executed by make (nbval, execute) do not store live widget views; see nag_lib.widgets.
export NAG_BOOK_HEADLESS := 1

.PHONY: help venv book test lint typecheck unit nbval execute lab serve bench clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

venv: $(STAMP)  ## create .venv with the pinned dependencies

book: $(STAMP)  ## build the static site into _build/html from the stored outputs (-W)
	$(BIN)/jupyter-book build . -W -n --keep-going

lint: $(STAMP)  ## ruff lint + format check over the library, tests, benchmarks and notebooks
	$(BIN)/ruff check nag_lib tests benchmarks _ext chapters
	$(BIN)/ruff format --check nag_lib tests benchmarks _ext

typecheck: $(STAMP)  ## mypy --strict over nag_lib
	$(BIN)/mypy

unit: $(STAMP)  ## unit and property tests of nag_lib, with coverage
	$(BIN)/python -m pytest tests -m "not browser" --cov=nag_lib --cov-branch --cov-report=term-missing

nbval: $(STAMP)  ## strict nbval over every chapter notebook
	$(BIN)/python -m pytest $(NBVAL_ARGS) $(NOTEBOOKS)

test: $(STAMP)  ## the whole suite: lint, types, build with -W, unit + nbval + browser tests
	$(MAKE) --no-print-directory lint typecheck book
	$(BIN)/python -m pytest tests $(NOTEBOOKS) $(NBVAL_ARGS) \
		--cov=nag_lib --cov-branch --cov-report=term-missing:skip-covered --cov-fail-under=90

execute: $(STAMP)  ## re-execute every chapter notebook in place (authors), then validate
	for nb in $(NOTEBOOKS); do \
		echo "executing $$nb"; \
		NAG_BOOK_THREADS=1 $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
			--ExecutePreprocessor.timeout=600 --ExecutePreprocessor.kernel_name=python3 "$$nb"; \
	done

lab: $(STAMP)  ## JupyterLab on the chapters (ipywidgets work here)
	$(BIN)/jupyter lab chapters

serve:  ## serve the built site on http://127.0.0.1:8000
	$(PYTHON) -m http.server --directory _build/html --bind 127.0.0.1 8000

bench: $(STAMP)  ## optimizer-step benchmark (prints ratios)
	$(BIN)/python benchmarks/optim_step.py

clean:  ## remove the build (keeps .venv)
	rm -rf _build .pytest_cache .mypy_cache .ruff_cache .coverage
