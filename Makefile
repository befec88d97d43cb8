# remitwatch: `make run` sets up and runs on the embedded SQLite store with the bundled
# sample; `make test` sets up and runs the whole test suite (what CI runs).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q
# Two installs stamp their state, so a changed lock or pyproject reinstalls.
RUN_STAMP  := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
PYTEST_WORKERS ?= 2

.PHONY: run test setup setup-test lint typecheck bench lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): $(BIN)/python pyproject.toml requirements.lock
	$(PIP) install -c requirements.lock -e .
	touch $@

$(TEST_STAMP): $(BIN)/python pyproject.toml requirements.lock
	$(PIP) install -c requirements.lock -e '.[test]'
	touch $@ $(RUN_STAMP)

setup: $(RUN_STAMP)

setup-test: $(TEST_STAMP)

## run: migrate the SQLite store (var/remitwatch.db), ingest the bundled sample, fit the
## models over its history, print the status and the shocks of total inflows, then serve
## the API, /metrics and the scheduled jobs on http://127.0.0.1:8000 until Ctrl-C
run: setup
	$(BIN)/remitwatch db upgrade
	$(BIN)/remitwatch ingest sample
	$(BIN)/remitwatch fit
	$(BIN)/remitwatch status
	$(BIN)/remitwatch shocks --series remit.in.total.M
	$(BIN)/remitwatch serve

## test: lint, type-check, import contracts, then the whole pytest suite (PostgreSQL included)
test: setup-test lint typecheck
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile -p no:cacheprovider

lint: setup-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup-test
	$(BIN)/mypy .

## bench: every benchmark under bench/, figures and goals printed and written to
## bench/results/latest.json (not asserted; not part of `make test`)
bench: setup-test
	$(PIP) install -c requirements.lock -e '.[test,bench]'
	$(BIN)/python bench/run.py

## lock: re-pin requirements.lock from the current environment
lock: setup-test
	$(BIN)/python -m pip freeze --exclude-editable | grep -vi '^remitwatch' > requirements.lock.new
	{ head -n 2 requirements.lock; cat requirements.lock.new; } > requirements.lock.tmp
	rm requirements.lock.new && mv requirements.lock.tmp requirements.lock

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
