# Thin wrappers over the README's two commands: `make run` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3
export FLASK_APP := wsgi
PG_TEST_URL ?= postgresql+psycopg://127.0.0.1:5432/test
PYTEST_WORKERS ?= 2

.PHONY: help setup assets run test test-sqlite test-postgres lint typecheck fmt migrate migration bench ci clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-14s %s\n", $$1, $$2}'

setup: $(BIN)/.installed node_modules/.installed webapp/static/nhsuk/.copied webapp/static/socketio/.copied ## Install everything a fresh machine lacks

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

webapp/static/nhsuk/.copied: node_modules/.installed
	rm -rf webapp/static/nhsuk && mkdir -p webapp/static/nhsuk
	cp node_modules/nhsuk-frontend/dist/nhsuk/nhsuk-frontend.min.css \
	   node_modules/nhsuk-frontend/dist/nhsuk/nhsuk-frontend.min.js webapp/static/nhsuk/
	cp -r node_modules/nhsuk-frontend/dist/nhsuk/assets webapp/static/nhsuk/assets
	touch $@

webapp/static/socketio/.copied: node_modules/.installed
	rm -rf webapp/static/socketio && mkdir -p webapp/static/socketio
	cp node_modules/socket.io-client/dist/socket.io.esm.min.js \
	   node_modules/socket.io-client/dist/socket.io.esm.min.js.map webapp/static/socketio/
	touch $@

assets: webapp/static/nhsuk/.copied webapp/static/socketio/.copied ## Copy the NHS.UK frontend and the Socket.IO client into static/

run: setup ## Run the service on http://localhost:5000 with SQLite and the demo world
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo
	$(BIN)/flask run --host 127.0.0.1 --port 5000

test: setup lint typecheck test-sqlite ## Lint, type-check and run every test (PostgreSQL too when CI=true or DATABASE_URL names it)
	@if [ "$$CI" = "true" ] || [[ "$$DATABASE_URL" == postgres* ]]; then $(MAKE) --no-print-directory test-postgres; fi

test-sqlite: ## The test suite on SQLite (T=path to narrow it)
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) -q $(T)

test-postgres: ## The database tests again on PostgreSQL (T=path to narrow it); browser tests serve their own SQLite file, so once is enough
	TEST_DATABASE_URL="$${DATABASE_URL:-$(PG_TEST_URL)}" $(BIN)/python -m pytest -n $(PYTEST_WORKERS) -q -m "not pure and not browser" $(T)

lint: ## ruff check, ruff format --check and the import-linter contracts
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: ## mypy, strict on the pure packages
	$(BIN)/mypy

fmt: ## Format the code
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrate: ## Upgrade the database to the newest migration
	$(BIN)/flask db upgrade

migration: ## Write the next numbered migration: make migration name="create referrals"
	$(BIN)/flask db revision -m "$(name)"

bench: setup ## The benchmarks: booking (SQLite), a chat message's write, the chat load run, then pages catching up while Redis is down (PAIRS=500 INTERVAL=4 DURATION=20; needs PostgreSQL and Redis)
	$(BIN)/python benchmarks/booking.py
	$(BIN)/python -m benchmarks.message_write
	$(BIN)/python -m benchmarks.chat --pairs $${PAIRS:-500} --interval $${INTERVAL:-4} --duration $${DURATION:-20}
	$(BIN)/python -m benchmarks.catch_up --pairs $${PAIRS:-500} --duration $${DURATION:-20}

ci: test ## What .ci/run calls

clean: ## Remove the virtual environment, node modules and copied assets
	rm -rf $(VENV) node_modules webapp/static/nhsuk webapp/static/socketio
