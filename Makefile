# Hallmark — `make run` serves the identity provider; `make test` runs the whole suite.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
export HALLMARK_INSTANCE ?= $(CURDIR)/instance
PORT   ?= 8080
STACK_PORT ?= 8081
STAMP   = $(VENV)/.installed

.PHONY: run test lint screens axe bench install test-deps system-deps lock sigstore-bins sigstore-js translations clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Dependencies come from requirements.lock (every version pinned, every file hash-checked);
# `make lock` regenerates it from pyproject.toml.
# Installed again only when pyproject.toml or the lock changed (the code itself is an editable install).
$(STAMP): pyproject.toml tests/support/pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e . -e tests/support
	touch $(STAMP)

install: $(STAMP)

test-deps: install system-deps sigstore-bins sigstore-js axe

# sigstore-js, a judge of Hallmark's bundles (tests/judges), from its lock file.
SIGSTORE_JS = tests/judges/sigstore_js
sigstore-js: $(SIGSTORE_JS)/node_modules/.installed
$(SIGSTORE_JS)/node_modules/.installed: $(SIGSTORE_JS)/package-lock.json
	npm ci --silent --no-audit --no-fund --prefix $(SIGSTORE_JS)
	touch $@

# axe-core, the accessibility checker tests/e2e/test_accessibility.py runs in Chromium, from its lock file.
AXE = tests/e2e/axe
axe: $(AXE)/node_modules/.installed
$(AXE)/node_modules/.installed: $(AXE)/package-lock.json
	npm ci --silent --no-audit --no-fund --prefix $(AXE)
	touch $@

# The real Sigstore servers and clients, pinned in tools/sigstore.versions, built from source.
sigstore-bins:
	bash tools/build-sigstore-bins.sh

lock:
	$(PYTHON) -m venv .lock-venv && .lock-venv/bin/pip install --quiet pip-tools
	.lock-venv/bin/pip-compile --quiet --generate-hashes --extra test --strip-extras --allow-unsafe \
	  --no-emit-find-links -o requirements.lock pyproject.toml
	rm -rf .lock-venv

# Debian packages the suite drives for real: Chromium, PostgreSQL, Redis, SoftHSM2 (and, through
# sigstore-bins, the real Fulcio the judges in tests/judges/ run).
system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	command -v softhsm2-util >/dev/null 2>&1 || missing="$$missing softhsm2"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages for the tests:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

run: install
	$(BIN)/hallmark dev --port $(PORT) --stack-port $(STACK_PORT)

# The gate: ruff (configured in pyproject.toml) and mypy --strict over the whole idp package.
lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy --strict idp

test: lint test-deps
	$(BIN)/python -m pytest -q -n 2 tests

# The pages' languages (idp/translations): extract every message from the code and templates (babel.cfg),
# merge them into each language's .po (new ones come out untranslated; tests/test_translations.py fails until
# they are translated), and compile the .mo files Hallmark reads.
translations: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k ngettext:1,2 --no-location --sort-output -o idp/translations/messages.pot .
	$(BIN)/pybabel update -i idp/translations/messages.pot -d idp/translations -D messages --no-wrap --no-fuzzy-matching --ignore-pot-creation-date
	$(BIN)/pybabel compile -d idp/translations -D messages --statistics

# docs/screens/: the main pages rendered by headless Chromium (the README shows them).
screens: test-deps
	$(BIN)/python tools/render_screens.py

bench: test-deps
	$(BIN)/python bench/load.py --db sqlite
	$(BIN)/python bench/load.py --db postgresql --no-peer
	$(BIN)/python bench/sign.py
	$(BIN)/python bench/signing_path.py
	$(BIN)/python bench/monitor.py

clean:
	rm -rf $(VENV) instance .pytest_cache
