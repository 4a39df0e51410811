# Loom's two commands: `make run` (demo marketplace on embedded defaults) and `make test` (the whole suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test import-graph bench-search bench-payments bench-write-load bench-web services services-down clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

## make run: install, migrate, seed the demo once, serve at http://127.0.0.1:5000
run: $(STAMP)
	$(BIN)/loom db upgrade
	$(BIN)/loom seed-demo --if-empty
	$(BIN)/loom search rebuild
	$(BIN)/loom serve

## make test: ruff and bandit on the code, then start PostgreSQL, Elasticsearch, stripe-mock and Redis on 127.0.0.1 and run every test
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/bandit -q -ll -c pyproject.toml -r marketplace search erp_connector payments
	@eval "$$(dev/services up)" && $(BIN)/python -m pytest $(PYTEST_ARGS)

## make import-graph: the import contracts (pyproject.toml) and the package-level import graph, one edge a line
import-graph: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/python dev/import_graph.py

## make bench-search: 100,000 generated groups, both search backends side by side
bench-search: $(STAMP)
	@eval "$$(dev/services up)" && $(BIN)/python bench/search.py $(BENCH_ARGS)

## make bench-payments: Stripe webhook latency against an empty POST through the same app
bench-payments: $(STAMP)
	@$(BIN)/python bench/payments.py $(BENCH_ARGS)

## make bench-write-load: 20 clients posting messages and RFQs for 60 s, loom serve and gunicorn, SQLite and PostgreSQL
bench-write-load: $(STAMP)
	@eval "$$(dev/services up)" && $(BIN)/python bench/write_load.py $(BENCH_ARGS)

## make bench-web: Loom's pages against a minimal Flask page under gunicorn, SQLite and PostgreSQL, 72 and 10,000 groups
bench-web: $(STAMP)
	@eval "$$(dev/services up)" && $(BIN)/python bench/web.py $(BENCH_ARGS)

services:
	dev/services up

services-down:
	dev/services down

clean:
	rm -rf $(VENV) instance .pytest_cache
