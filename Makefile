# Hallmark — `make run` serves the identity provider; `make test` runs the whole suite.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
export HALLMARK_INSTANCE ?= $(CURDIR)/instance
PORT   ?= 8080

.PHONY: run test bench install test-deps system-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

test-deps: $(BIN)/python system-deps
	$(BIN)/pip install --quiet -e '.[test]'

# Debian packages the suite drives for real: Chromium, PostgreSQL, Redis, SoftHSM2.
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
	$(BIN)/hallmark dev --port $(PORT)

test: test-deps
	$(BIN)/python -m pytest -q -n 2 tests

bench: test-deps
	$(BIN)/python bench/load.py --db sqlite
	$(BIN)/python bench/load.py --db postgresql --no-peer
	$(BIN)/python bench/sign.py

clean:
	rm -rf $(VENV) instance .pytest_cache
