# Parent Portal assistant. `make run` sets everything up and starts it; `make test` sets up and tests.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
RASA := $(BIN)/rasa
export PYTHONPATH := $(CURDIR)
export TF_CPP_MIN_LOG_LEVEL := 3
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export RASA_TELEMETRY_ENABLED := false

.PHONY: setup run shell train test validate test-stories test-py bench db clean browser

$(STAMP): requirements.txt requirements-dev.txt constraints.txt pyproject.toml scripts/find-python310.sh
	@PY310=$$(scripts/find-python310.sh) || exit 1; \
	if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))'; then \
	  echo "Creating $(VENV) with $$PY310"; rm -rf $(VENV); "$$PY310" -m venv $(VENV) || exit 1; \
	fi
	$(PY) -m pip install --quiet --upgrade "pip<24.1" wheel "setuptools<71"
	$(PY) -m pip install --quiet -r requirements-dev.txt -c constraints.txt
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

setup: $(STAMP)

# Trains only when the data, domain, config, our components or the Rasa pin changed (scripts/model_fingerprint.py;
# Rasa alone would write a new 27 MB model every time), then keeps only the newest model in models/.
FINGERPRINT := $(PY) scripts/model_fingerprint.py
train: setup
	@$(FINGERPRINT) check && exit 0; \
	$(FINGERPRINT) snapshot models/.fingerprint-pending.json && \
	$(RASA) train --quiet && \
	$(FINGERPRINT) record --from models/.fingerprint-pending.json && \
	rm -f models/.fingerprint-pending.json && \
	$(FINGERPRINT) prune --keep 1

db: setup
	$(BIN)/portal-admin seed-demo --if-empty

# Debian's chromium, webchat's npm packages (axe-core) and Playwright's driver for the browser tests;
# quiet when already installed (never downloads a browser of its own).
browser: setup
	@scripts/install-browser.sh

validate: setup
	$(RASA) data validate --fail-on-warnings

run: train db
	@scripts/run.sh

shell: train db
	@scripts/run.sh shell

# PYTEST_WORKERS=2 runs the tests on two pytest-xdist processes, the tests that share a set of servers (Rasa,
# action server, help desk; the two-server cluster; Chromium) on one worker each (tests/conftest.py, --dist
# loadgroup). Off by default: measured 2026-12-02, two workers took 850 s against 584 s in one process (the e2e
# group alone sets the pace) and 169 async tests failed with "Runner.run() cannot be called from a running event
# loop" (a test leaves an event loop running in its worker; not found yet). PYTEST_ARGS adds options.
PYTEST_WORKERS ?= 0
PYTEST_ARGS ?=
PYTEST := $(PY) -m pytest -q -p no:cacheprovider -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

test-py: setup browser
	$(PYTEST)

test-stories: train
	$(RASA) test core --stories tests/test_stories.yml --fail-on-prediction-errors --out results/stories

test: validate train browser
	$(PYTEST)
	$(RASA) test core --stories tests/test_stories.yml --fail-on-prediction-errors --out results/stories

bench: train
	$(PY) bench/nlu_eval.py --cross-validation
	$(PY) bench/conversations.py
	$(PY) bench/readability.py --write-docs
	$(PY) bench/roster_import.py --write-docs
	$(PY) bench/latency.py
	$(PY) bench/long_conversation.py --write-docs

clean:
	rm -rf results .pytest_cache
