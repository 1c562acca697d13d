# Two commands matter: `make run` and `make test`. Everything else is a helper for them.
# Installs come from the lock files (exact versions, hashes checked): requirements-dev.lock
# here (the app, the embedded servers and demo data, the dev tools), requirements.lock in the
# production image. `make lock` recompiles both after pyproject.toml changes.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LOCK_OPTIONS := --universal --generate-hashes --python-version 3.11 --quiet

.PHONY: run test lint bench lock clean

$(STAMP): pyproject.toml requirements-dev.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Aries needs Python 3.11 or newer")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.lock
	@$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/aries dev

# Two test processes (pytest-xdist), a module's tests in one of them, in file order: 7.5 against
# 11 minutes in one process here, at most 78 of PostgreSQL's 100 connections.
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-logo

bench: $(STAMP)
	$(BIN)/python -m bench

lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml $(LOCK_OPTIONS) -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra embedded --extra dev $(LOCK_OPTIONS) \
		-o requirements-dev.lock

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .ruff_cache .import_linter_cache *.egg-info
