# Two commands: `make run` (set up and start the app) and `make test` (set up and test).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint unit setup catalogs messages migrate clean

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $(STAMP)

NODE_STAMP := node_modules/.installed
ASSETS := $(patsubst web/assets/%.js,web/static/dist/%.js,$(wildcard web/assets/*.js))

setup: $(STAMP) catalogs $(ASSETS)

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

$(ASSETS) &: $(NODE_STAMP) $(wildcard web/assets/*.js)
	npm run --silent build

# After changing user-visible strings: extract them and merge into both catalogues.
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -k _l -k Phrase --no-location -o web/messages.pot .
	$(BIN)/pybabel update -i web/messages.pot -d web/translations --no-fuzzy-matching
	rm web/messages.pot

catalogs: $(STAMP)
	$(BIN)/pybabel compile --statistics -d web/translations 2>&1 | grep -v "^compiling" || true

migrate: setup
	$(BIN)/flask --app wsgi db-upgrade

run: migrate
	$(BIN)/flask --app wsgi deploy-shipped
	$(BIN)/flask --app wsgi load-demo
	$(BIN)/flask --app wsgi serve --host $(HOST) --port $(PORT)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

test: lint setup
	$(BIN)/python -m pytest

unit: setup
	$(BIN)/python -m pytest tests/unit tests/engine -q

clean:
	rm -rf $(VENV) instance node_modules web/static/dist
