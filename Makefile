# Quick start: `make lab` opens JupyterLab on examples/, `make test` runs every test.
# Each target installs what it needs itself (virtual environment, Python and Debian packages).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.fpgalab-installed
AP_TYPES := .cache/ap_types/ap_fixed.h
PYTEST_ARGS ?=
# The JupyterLab side panel (labextension/): built once, again when its sources change
LAB_STAMP := $(VENV)/.fpgalab-labextension
LAB_SOURCES := $(wildcard labextension/src/*.ts labextension/style/*) labextension/package.json \
	labextension/yarn.lock labextension/tsconfig.json scripts/build_labextension.sh
UI_STAMP := labextension/ui-tests/node_modules/.fpgalab-installed
# PyTorch for the torch tier (tests/torch, fpgalab[torch]): the CPU-only build (TORCH_VERSION), 192 MB to
# download and 754 MB installed, without the GBs of nvidia-* packages the default Linux wheel brings; where
# pip's indexes do not have it, the default wheel. Installing it (and its sympy, networkx, fsspec, filelock)
# into a fresh venv took 20 s; the tier runs in seconds, so `make test` installs and runs it too.
# TORCH_INDEX: an extra package index to look in (empty: pip's own).
TORCH_VERSION ?= 2.13.0+cpu
TORCH_INDEX ?=
TORCH_STAMP := $(VENV)/.fpgalab-torch
# hls4ml 1.3.0 for design.compare_hls4ml and tests/tools/test_hls4ml_bits.py (fpgalab[hls4ml]): it adds only
# hls4ml, pyDigitalWaveTools and quantizers to the venv (pip install --dry-run), its C simulation needs g++
HLS4ML_STAMP := $(VENV)/.fpgalab-hls4ml
# In make's runs a missing PyTorch fails the torch tier instead of skipping it
REQUIRE_TORCH := FPGALAB_REQUIRE_TORCH=1

.PHONY: setup lab lint test test-unit test-tf test-tools test-torch test-fast test-js test-browser test-notebooks \
	notebooks screenshots bench clean

setup: $(STAMP) $(AP_TYPES) $(LAB_STAMP)

$(STAMP): pyproject.toml
	bash scripts/ensure-debian.sh g++ make perl libxrt-dev  # libxrt-dev: XRT's headers, to compile the Vitis host
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The open-source ap_types headers (ap_fixed.h and friends), taken from the hls4ml wheel on PyPI
# without installing hls4ml: the g++ oracle for bit-exact tests and the HLS C++ backend's csim.
$(AP_TYPES): | $(STAMP)
	$(PY) scripts/fetch_ap_types.py .cache/ap_types

$(HLS4ML_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev,hls4ml]'
	touch $(HLS4ML_STAMP)

$(TORCH_STAMP): $(STAMP)
	$(PY) -m pip install --quiet $(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX),) -e '.[dev,torch]' \
		'torch==$(TORCH_VERSION)' || $(PY) -m pip install --quiet -e '.[dev,torch]'
	touch $(TORCH_STAMP)

# The side panel, with the Node.js and npm on the machine (scripts/build_labextension.sh says what it needs)
$(LAB_STAMP): $(STAMP) $(LAB_SOURCES)
	bash scripts/build_labextension.sh
	touch $(LAB_STAMP)

$(UI_STAMP): labextension/ui-tests/package.json labextension/ui-tests/yarn.lock | $(STAMP)
	bash scripts/build_labextension.sh ui-tests
	touch $(UI_STAMP)

lab: setup $(HLS4ML_STAMP)
	$(VENV)/bin/jupyter lab --notebook-dir=examples $(if $(CI),--no-browser,)

# The panel's TypeScript (jest) and browser (Playwright) tests first, so that pytest's summary closes the run
NBVAL := --nbval-lax --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg

# The house: ruff (lint and format) and the import-linter contracts of pyproject.toml (docs/architecture.md)
lint: setup
	$(VENV)/bin/ruff check fpgalab tests bench scripts docs examples
	$(VENV)/bin/ruff format --check fpgalab tests bench scripts docs examples
	$(VENV)/bin/lint-imports

test: setup $(TORCH_STAMP) $(HLS4ML_STAMP)
	$(MAKE) lint
	$(MAKE) test-js test-browser
	$(REQUIRE_TORCH) $(PY) -m pytest $(PYTEST_ARGS) tests $(NBVAL) examples

# The nine example notebooks, executed by nbval (cells marked NBVAL_CHECK_OUTPUT must keep their figures)
test-notebooks: setup $(HLS4ML_STAMP)
	$(PY) -m pytest $(NBVAL) examples $(PYTEST_ARGS)

# Re-execute the example notebooks and keep their checked outputs (after a cost-model or scheduler change)
notebooks: setup
	$(PY) examples/make_notebooks.py --execute

screenshots: setup
	bash scripts/ensure-debian.sh chromium fonts-dejavu-core
	$(PY) docs/take_screenshots.py

test-js: setup
	cd labextension && PATH=$(CURDIR)/$(VENV)/bin:$$PATH jlpm test

# Galata + Playwright drive Debian's chromium (never `playwright install`) against a JupyterLab it starts
test-browser: setup $(UI_STAMP)
	bash scripts/ensure-debian.sh chromium fonts-dejavu-core
	cd labextension/ui-tests && PATH=$(CURDIR)/$(VENV)/bin:$$PATH jlpm test

test-unit: setup
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

test-tf: setup
	$(PY) -m pytest tests/tf $(PYTEST_ARGS)

test-tools: setup $(HLS4ML_STAMP)
	$(PY) -m pytest tests/tools $(PYTEST_ARGS)

# PyTorch modules through torch.onnx.export (installs the CPU wheel first)
test-torch: setup $(TORCH_STAMP)
	$(REQUIRE_TORCH) $(PY) -m pytest -m torch tests/torch $(PYTEST_ARGS)

test-fast: setup
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

bench: setup
	$(PY) bench/run_core.py
	$(PY) bench/run_onnx.py
	$(PY) bench/run_hls.py
	$(PY) bench/run_magics.py
	$(PY) bench/fidelity_hls.py

clean:
	rm -rf $(VENV) .cache .pytest_cache .hypothesis build dist fpgalab/labextension labextension/lib \
		labextension/node_modules labextension/ui-tests/node_modules
