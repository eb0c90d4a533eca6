# Cognate: `make run` starts a working server on an embedded database; `make test` runs the suite.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test worker bench bench-auth lint clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Cognate needs Python 3.11"'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python pyproject.toml requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade "pip>=24"
	$(BIN)/pip install --quiet --disable-pip-version-check -c requirements.lock -e ".[test]"
	touch $@

install: $(VENV)/.installed

# Secrets for the embedded setup, made once and kept out of git.
.env:
	@umask 077; { \
	  echo "SECRET_KEY=$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')"; \
	  echo "COGNATE_BOOTSTRAP_PASSWORD=$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(12))')"; \
	} > .env
	@echo "wrote .env (SECRET_KEY, COGNATE_BOOTSTRAP_PASSWORD)"

# The printed URLs and boto3 snippet follow HOST and PORT unless COGNATE_PUBLIC_URL is set.
run: export COGNATE_PUBLIC_URL ?= http://$(HOST):$(PORT)
run: install .env
	DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DEBUG=1 $(BIN)/python manage.py bootstrap
	DEBUG=1 $(BIN)/python manage.py runserver --noreload $(HOST):$(PORT)

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

worker: install
	$(BIN)/celery -A config worker --loglevel=INFO

bench: install
	$(BIN)/python benchmarks/wire_overhead.py $(BENCH_ARGS)

# Cognate beside moto's server and cognito-local (npm, pinned in benchmarks/node/package-lock.json),
# on PostgreSQL (DATABASE_URL, default the cognate_bench_auth database, created if missing) and Redis.
$(VENV)/.bench-installed: $(VENV)/.installed pyproject.toml requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check -c requirements.lock -e ".[bench]"
	touch $@

benchmarks/node/node_modules/.package-lock.json: benchmarks/node/package.json benchmarks/node/package-lock.json
	cd benchmarks/node && npm ci --no-audit --no-fund

bench-auth: $(VENV)/.bench-installed benchmarks/node/node_modules/.package-lock.json
	$(BIN)/python benchmarks/auth_compare.py $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
