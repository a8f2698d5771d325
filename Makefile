# Business Lounge: `make run` serves the dashboard on demo data, `make test` sets up and runs
# `make check` (lint, format, types, every test).
# Both create .venv with the pinned requirements on first use.

# The newest Python 3.11+ that runs (pyenv shims may exist for versions that do not);
# `make PYTHON=/path/to/python` overrides it. Evaluated once.
ifeq ($(origin PYTHON), undefined)
PYTHON := $(shell for p in python3.13 python3.12 python3.11 python3; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 \
	&& { command -v $$p; break; }; done)
endif
VENV := .venv
BIN := $(VENV)/bin
# pytest-xdist workers: `auto` is one per core; `make check PYTEST_WORKERS=0` runs in one process.
PYTEST_WORKERS ?= auto

.PHONY: run test check lint typecheck bench messages chromium clean

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed (python3.11 / python3.12 / python3)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.test: requirements.txt requirements-test.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-test.txt
	@touch $@ $(VENV)/.runtime

run: $(VENV)/.runtime
	$(BIN)/python -m lounge init-db
	$(BIN)/python -m lounge demo --if-empty
	$(BIN)/gunicorn -c gunicorn.conf.py

test: $(VENV)/.test chromium
	$(MAKE) check

# Everything CI checks, on an environment that is already set up.
check:
	$(BIN)/python -m ruff check .
	$(BIN)/python -m ruff format --check .
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS)

lint: $(VENV)/.test
	$(BIN)/python -m ruff check .
	$(BIN)/python -m ruff format --check .

typecheck: $(VENV)/.test
	$(BIN)/python -m mypy

chromium:
	@bash scripts/ensure-chromium.sh

# Quick runs of every benchmark (see benchmarks/README.md for the full-size ones).
bench: $(VENV)/.test
	$(BIN)/python -m benchmarks.classify --quick
	$(BIN)/python -m benchmarks.import_readings
	$(BIN)/python -m benchmarks.consumption
	$(BIN)/python -m benchmarks.bill_pdf

# Refresh the translation catalogs after adding or changing user-facing strings.
messages: $(VENV)/.test
	$(BIN)/pybabel extract -F babel.cfg -k _ -k N_ -k ngettext:1,2 --no-location \
		--sort-output -o lounge/translations/messages.pot .
	$(BIN)/pybabel update -i lounge/translations/messages.pot -d lounge/translations \
		-l he --no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf $(VENV) instance
