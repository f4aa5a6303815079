# Two commands do all set-up on a fresh machine: `make serve` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: serve test train benchmark chromium clean

serve: $(VENV)/.serve
	$(PY) -m mlsandbox fetch
	$(PY) -m mlsandbox serve --host $(HOST) --port $(PORT)

test: $(VENV)/.dev chromium
	$(PY) -m mlsandbox fetch
	$(PY) -m pytest

train: $(VENV)/.dev
	for id in $$($(PY) -m mlsandbox list --ids); do $(PY) -m mlsandbox train $$id || exit 1; done

benchmark: $(VENV)/.dev
	$(PY) benchmarks/run.py

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Serving needs no torch; training, notebooks and tests add it (the CPU build, pinned).
$(VENV)/.serve: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.dev: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[train,test]'
	touch $@ $(VENV)/.serve

# Browser tests drive Debian's Chromium through Playwright (Playwright's own browser download is not used).
chromium:
	@command -v chromium >/dev/null || { \
		SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium; }

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache
