# Two commands matter: `make run` (the whole system locally) and `make test` (every test).
SHELL := /bin/bash
PYTHON_VERSION := 3.12.1
# The Lambda runtime's Python: python3.12 on PATH, else pyenv's.
PY ?= $(shell command -v python3.12 2>/dev/null || echo $(HOME)/.pyenv/versions/$(PYTHON_VERSION)/bin/python)
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DDB_STAMP := .cache/dynamodb-local/.installed

.PHONY: install test bench clean

install: $(STAMP) $(DDB_STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	@test -x "$(PY)" || { echo "Python $(PYTHON_VERSION) not found (tried $(PY)); install it with pyenv." >&2; exit 1; }
	@test -x $(VPY) || $(PY) -m venv $(VENV)
	$(VPY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	@touch $@

$(DDB_STAMP): $(STAMP) infra/dynamodb_local.py
	$(VPY) -c "from infra.dynamodb_local import ensure_installed; ensure_installed()"

test: install
	$(VPY) -m pytest

bench: install
	$(VPY) bench/run_all.py

clean:
	rm -rf $(VENV) .cache dist .pytest_cache
