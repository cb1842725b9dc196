# Hallmark — `make run` serves the identity provider; `make test` runs the whole suite.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
export HALLMARK_INSTANCE ?= $(CURDIR)/instance
PORT   ?= 8080

.PHONY: run test bench install test-deps chromium clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

test-deps: $(BIN)/python chromium
	$(BIN)/pip install --quiet -e '.[test]'

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

run: install
	$(BIN)/hallmark dev --port $(PORT)

test: test-deps
	$(BIN)/python -m pytest -q -n 2 tests

bench: test-deps
	$(BIN)/python bench/sign.py

clean:
	rm -rf $(VENV) instance .pytest_cache
