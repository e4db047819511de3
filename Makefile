# Quick start: `make lab` opens JupyterLab on examples/, `make test` runs every test.
# Each target installs what it needs itself (virtual environment, Python and Debian packages).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.fpgalab-installed
AP_TYPES := .cache/ap_types/ap_fixed.h
PYTEST_ARGS ?=

.PHONY: setup lab test test-unit test-tf test-tools test-fast bench clean

setup: $(STAMP) $(AP_TYPES)

$(STAMP): pyproject.toml
	bash scripts/ensure-debian.sh g++ make
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The open-source ap_types headers (ap_fixed.h and friends), taken from the hls4ml wheel on PyPI
# without installing hls4ml: the g++ oracle for bit-exact tests and the HLS C++ backend's csim.
$(AP_TYPES): | $(STAMP)
	$(PY) scripts/fetch_ap_types.py .cache/ap_types

lab: setup
	$(VENV)/bin/jupyter lab --notebook-dir=examples $(if $(CI),--no-browser,)

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

test-unit: setup
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

test-tf: setup
	$(PY) -m pytest tests/tf $(PYTEST_ARGS)

test-tools: setup
	$(PY) -m pytest tests/tools $(PYTEST_ARGS)

test-fast: setup
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

bench: setup
	$(PY) bench/run_core.py

clean:
	rm -rf $(VENV) .cache .pytest_cache .hypothesis build dist
