# Arendalsuka hub — `make run` serves the hub, `make test` runs every check.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
PG_TEST_URI ?= postgresql://postgres@127.0.0.1:5432/test
export FLASK_APP := wsgi

.PHONY: constraints run setup test check lint typecheck pytest pytest-postgres browsers translations \
        translations-update bench screenshots clean

## run: set everything up and serve the hub on http://127.0.0.1:5000 (SQLite, mail to files),
## with the worker (reminders, mail retries, YouTube sync when a key is set) beside it
run: setup
	$(BIN)/flask hub init
	$(BIN)/flask hub worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/flask run --host $(HOST) --port $(PORT)

## setup: virtual environment, requirements, compiled message catalogues
setup: $(VENV)/.installed hub/translations/nb/LC_MESSAGES/messages.mo

$(VENV)/.installed: requirements.txt constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt -c constraints.txt
	touch $@

## constraints: pin every package requirements.txt pulls in (run after changing requirements.txt)
constraints:
	rm -rf .venv-pin && python3 -m venv .venv-pin
	.venv-pin/bin/pip install --quiet -r requirements.txt
	( echo "# Every package requirements.txt pulls in, pinned: make setup installs with -c constraints.txt."; \
	  echo "# Regenerate with: make constraints"; \
	  .venv-pin/bin/pip freeze --all | grep -v -E '^(pip|setuptools|wheel)==' ) > constraints.txt
	rm -rf .venv-pin

hub/translations/nb/LC_MESSAGES/messages.mo: hub/translations/nb/LC_MESSAGES/messages.po $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -d hub/translations

## test: set everything up, then lint, type-check and run the whole suite (SQLite, or
## HUB_TEST_DATABASE_URI when set)
test: setup browsers check pytest

check: lint typecheck

lint: setup
	$(BIN)/ruff check hub tests wsgi.py scripts
	$(BIN)/ruff format --check hub tests wsgi.py scripts

typecheck: setup
	$(BIN)/mypy hub

pytest: setup
	$(BIN)/pytest -q $(PYTEST_ARGS)

## pytest-postgres: the suite against the local PostgreSQL server
pytest-postgres: setup
	HUB_TEST_DATABASE_URI=$(PG_TEST_URI) $(BIN)/pytest -q $(PYTEST_ARGS)

## browsers: Debian's Chromium for the browser tests (Playwright's own download fails offline)
browsers:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	elif command -v sudo >/dev/null && command -v apt-get >/dev/null; then \
	  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "chromium not installed: browser tests will be skipped (apt-get install chromium)"; fi

## translations-update: extract strings and merge them into the catalogues
translations-update: setup
	$(BIN)/pybabel extract --no-location --sort-output -F babel.cfg -k _l -k lazy_gettext -o hub/translations/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -i hub/translations/messages.pot -d hub/translations

## bench: requests per second and memory figures (gunicorn + a load loop on loopback)
bench: setup
	$(PY) scripts/bench.py

## screenshots: the README's screenshots, taken in headless Chromium
screenshots: setup browsers
	$(PY) scripts/screenshots.py
	HUB_SCREENSHOTS=1 $(BIN)/pytest -q tests/browser

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
