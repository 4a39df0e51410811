# Loom's two commands: `make run` (demo marketplace on embedded defaults) and `make test` (the whole suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

I18N_LOCALES := es fr sw hi am

.PHONY: i18n-extract i18n-update i18n-compile run test import-graph bench-search bench-payments bench-write-load bench-web services services-down clean

$(BIN)/python:
	@echo "Making a virtual environment in $(VENV)..."
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip

# Running needs only Loom's own dependencies; the test extra (pytest, Playwright, benchmarks' servers) is for `make test`.
$(STAMP): pyproject.toml | $(BIN)/python
	@echo "Installing Loom and what it needs to run into $(VENV)..."
	@$(BIN)/pip install --quiet --disable-pip-version-check -e .
	@touch $(STAMP)

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP) $(TEST_STAMP)

## make i18n-extract: collect every marked string into translations/messages.pot
i18n-extract: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ -k lazy_gettext -k lazy_ngettext:1,2 --no-wrap --sort-by-file \
		--project Loom --msgid-bugs-address translators@loom.local -o translations/messages.pot .

## make i18n-update: merge the template into each catalog (new strings arrive untranslated, gone ones are kept as obsolete)
i18n-update: i18n-extract
	for locale in $(I18N_LOCALES); do \
		if [ -f translations/$$locale/LC_MESSAGES/messages.po ]; then \
			$(BIN)/pybabel update --no-wrap --ignore-obsolete --no-fuzzy-matching -i translations/messages.pot -d translations -l $$locale; \
		else $(BIN)/pybabel init --no-wrap -i translations/messages.pot -d translations -l $$locale; fi; \
	done

## make i18n-compile: compile the catalogs to .mo (the app also does this at start when a .po is newer)
i18n-compile: $(STAMP)
	$(BIN)/python -c "from marketplace.i18n import compile_catalogs; compile_catalogs()"

## make run: install, migrate, seed the demo once, serve at http://127.0.0.1:5000
run: $(STAMP)
	@$(BIN)/loom db upgrade
	@$(BIN)/loom seed-demo --if-empty --no-logins
	@$(BIN)/loom search rebuild
	@$(BIN)/loom serve

## make test: ruff and bandit on the code, then start PostgreSQL, Elasticsearch, stripe-mock and Redis on 127.0.0.1 and run every test
test: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit -q -ll -c pyproject.toml -r marketplace search erp_connector payments
	@eval "$$(dev/services up)" && $(BIN)/python -m pytest $(PYTEST_ARGS)

## make import-graph: the import contracts (pyproject.toml) and the package-level import graph, one edge a line
import-graph: $(TEST_STAMP)
	$(BIN)/lint-imports
	$(BIN)/python dev/import_graph.py
	$(BIN)/python dev/import_graph.py --summary

## make bench-search: 100,000 generated groups, both search backends side by side
bench-search: $(TEST_STAMP)
	@eval "$$(dev/services up)" && $(BIN)/python bench/search.py $(BENCH_ARGS)

## make bench-payments: Stripe webhook latency against an empty POST through the same app
bench-payments: $(TEST_STAMP)
	@$(BIN)/python bench/payments.py $(BENCH_ARGS)

## make bench-write-load: 20 clients posting messages and RFQs for 60 s, loom serve and gunicorn, SQLite and PostgreSQL
bench-write-load: $(TEST_STAMP)
	@eval "$$(dev/services up)" && $(BIN)/python bench/write_load.py $(BENCH_ARGS)

## make bench-web: Loom's pages against a minimal Flask page under gunicorn, SQLite and PostgreSQL, 72 and 10,000 groups
bench-web: $(TEST_STAMP)
	@eval "$$(dev/services up)" && $(BIN)/python bench/web.py $(BENCH_ARGS)

services:
	dev/services up

services-down:
	dev/services down

clean:
	rm -rf $(VENV) instance .pytest_cache
