# Two commands do all set-up on a fresh machine: `make serve` and `make test`; `make lab` serves with training on.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 1

.PHONY: serve lab test train benchmark fuzz lock chromium clean

serve: $(VENV)/.serve
	$(PY) -m mlsandbox fetch
	$(PY) -m mlsandbox serve --host $(HOST) --port $(PORT) --workers $(WORKERS)

lab: $(VENV)/.train
	$(PY) -m mlsandbox fetch
	$(PY) -m mlsandbox serve --lab --host $(HOST) --port $(PORT) --workers $(WORKERS)

test: $(VENV)/.dev chromium
	$(PY) -m mlsandbox fetch
	$(PY) -m pytest

train: $(VENV)/.dev
	for id in $$($(PY) -m mlsandbox list --ids); do $(PY) -m mlsandbox train $$id || exit 1; done

benchmark: $(VENV)/.dev
	$(PY) benchmarks/run.py

fuzz: $(VENV)/.dev
	$(PY) tools/fuzz.py $(FUZZ)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

# Every package, transitive ones and the build's included, is installed from a lock with hashes (requirements/,
# written by `make lock`). Serving needs no torch; the lab (training from the page) adds it (the CPU build), and
# notebooks and tests add their tools to that.
$(VENV)/.serve: requirements/serve.txt pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet --require-hashes -r requirements/serve.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

$(VENV)/.train: requirements/train.txt pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet --require-hashes -r requirements/train.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@ $(VENV)/.serve

$(VENV)/.dev: requirements/dev.txt pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet --require-hashes -r requirements/dev.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@ $(VENV)/.train $(VENV)/.serve

# The locks, from pyproject.toml, by pip-tools in an environment of its own; UPGRADE=--upgrade takes the newest
# releases that pyproject.toml allows, else the pins already locked are kept.
LOCKER := build/lock-venv
LOCK := $(LOCKER)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
	--no-emit-find-links --build-deps-for editable $(UPGRADE)
lock:
	[ -x $(LOCKER)/bin/pip-compile ] || { $(PYTHON) -m venv $(LOCKER) && $(LOCKER)/bin/pip install --quiet pip-tools==7.6.2; }
	$(LOCK) -o requirements/serve.txt pyproject.toml
	$(LOCK) --extra train -c requirements/serve.txt -o requirements/train.txt pyproject.toml
	$(LOCK) --extra train --extra test -c requirements/train.txt -o requirements/dev.txt pyproject.toml

# Browser tests drive Debian's Chromium through Playwright (Playwright's own browser download is not used).
chromium:
	@command -v chromium >/dev/null || { \
		SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium; }

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache
