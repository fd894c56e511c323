# The README's commands. `make up` installs and runs the whole system; `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

# Locking: uv resolves pyproject.toml into requirements.lock (the image's runtime dependencies)
# and requirements-dev.lock (with the test and embedded extras), every pin with its hashes.
UV_VERSION := 0.13.9
UV_VENV ?= .venv-uv
LOCK_FLAGS := --universal --python-version 3.11 --generate-hashes --quiet \
	--custom-compile-command "make lock"

.PHONY: install up test lint format bench lock

# Installs exactly the locked versions (hash-checked), then cxloop itself without dependencies.
$(BIN)/cxloop: pyproject.toml requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $@

install: $(BIN)/cxloop

up: install
	$(BIN)/cxloop up

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# After changing dependencies in pyproject.toml. Unchanged pins stay; `make lock UPGRADE=--upgrade`
# moves every package to its newest allowed version.
lock:
	test -x $(UV_VENV)/bin/uv || $(PYTHON) -m venv $(UV_VENV)
	$(UV_VENV)/bin/pip install --quiet uv==$(UV_VERSION)
	$(UV_VENV)/bin/uv pip compile pyproject.toml $(LOCK_FLAGS) $(UPGRADE) -o requirements.lock
	$(UV_VENV)/bin/uv pip compile pyproject.toml --extra test --extra embedded $(LOCK_FLAGS) \
		$(UPGRADE) -o requirements-dev.lock
