# evtlib: two commands do all the setup on a fresh machine.
#   make lab    venv + install, then JupyterLab on notebooks/ (127.0.0.1, token auth)
#   make test   venv (refreshed when pyproject.toml changes) + chromium check, then every test
# Other targets: browser, notebooks, bench, clean, distclean, help.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON       ?= python3
VENV         ?= .venv
VPY          := $(VENV)/bin/python
STAMP        := $(VENV)/.evtlib-installed
EXTRAS       ?= test
LAB_PORT     ?= 8888
CELL_TIMEOUT ?= 120
PYTEST_ARGS  ?=
CHROMIUM     ?= /usr/bin/chromium

NOTEBOOKS_IPYNB := $(sort $(wildcard notebooks/*.ipynb))
NOTEBOOK_STEMS  := $(sort $(basename $(wildcard notebooks/*.ipynb notebooks/*.py)))
BENCHMARKS      := $(sort $(wildcard benchmarks/*.py))

IS_ROOT    := $(filter 0,$(shell id -u))
# JupyterLab refuses to start as root without --allow-root; a root browser could not open anyway
LAB_FLAGS  ?= $(if $(IS_ROOT),--allow-root --no-browser,)
# Project-level Lab settings: lab-settings/overrides.json sets Lab's defaults (news pop-up and
# update check off). The user's own Lab settings still win; Lab never writes into lab-settings/.
LAB_SETTINGS := $(CURDIR)/lab-settings
LAB_ROOT     ?= notebooks
LAB_START    := index.ipynb

NBVAL_ARGS := --nbval --nbval-current-env \
              --nbval-sanitize-with tests/nbval_sanitize.cfg \
              --nbval-cell-timeout=$(CELL_TIMEOUT)

.PHONY: help venv lab test browser notebooks bench clean distclean

help:
	@echo "make lab        create .venv if needed, install evtlib[$(EXTRAS)], open JupyterLab on notebooks/"
	@echo "make test       refresh .venv, ensure chromium (make browser), run unit + nbval + browser tests"
	@echo "make browser    install Debian chromium at $(CHROMIUM) if missing (root + apt only)"
	@echo "make notebooks  re-execute every notebook, normalize outputs (nbstripout), re-sync .py twins"
	@echo "make bench      run every benchmarks/*.py"
	@echo "make clean      remove caches and build files; make distclean also removes $(VENV)"
	@echo "variables: PYTHON=$(PYTHON) LAB_PORT=$(LAB_PORT) CELL_TIMEOUT=$(CELL_TIMEOUT) PYTEST_ARGS='$(PYTEST_ARGS)'"

# ---------------------------------------------------------------- virtual environment
# Re-installs when pyproject.toml is newer than the stamp (or the venv is gone).
$(STAMP): pyproject.toml
	@test -x $(VPY) || { echo "creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	$(VPY) -m pip install --disable-pip-version-check -q -e ".[$(EXTRAS)]"
	@# build matplotlib's font cache now: its first-import message on stderr would
	@# otherwise be a spurious stderr output in the first notebook cell that plots
	$(VPY) -c "import matplotlib.pyplot"
	@touch $@

venv: $(STAMP)

# ---------------------------------------------------------------- JupyterLab
# Opens on the start page notebooks/$(LAB_START) (the course map).
lab: $(STAMP)
	$(VPY) -m jupyterlab --ServerApp.ip=127.0.0.1 --ServerApp.port=$(LAB_PORT) \
	    --ServerApp.root_dir=$(LAB_ROOT) --LabApp.default_url=/lab/tree/$(LAB_START) \
	    --LabApp.app_settings_dir=$(LAB_SETTINGS) $(LAB_FLAGS)

# ---------------------------------------------------------------- chromium for browser tests
# Installs Debian chromium when missing and we are root with apt-get. Without it, browser tests
# skip on a developer machine and fail under CI (CI=true), where this target also fails.
browser:
	@bash .ci/ensure-chromium "$(CHROMIUM)"

# ---------------------------------------------------------------- tests
# One pytest run: tests/ (unit, environment, notebook pairs, browser) and strict nbval on
# every notebooks/*.ipynb. pytest's exit code 5 (no tests collected) fails too.
test: $(STAMP) browser
	@set -u; \
	nb="$(NOTEBOOKS_IPYNB)"; \
	if [ -n "$$nb" ]; then nbargs="$(NBVAL_ARGS) $$nb"; \
	else echo "make test: no notebooks/*.ipynb yet, nbval has nothing to check"; nbargs=""; fi; \
	echo "+ $(VPY) -m pytest tests $$nbargs $(PYTEST_ARGS)"; \
	rc=0; EVT_CHROMIUM="$(CHROMIUM)" $(VPY) -m pytest tests $$nbargs $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: FAILED: pytest collected no tests (exit 5)"; fi; \
	if [ $$rc -ne 0 ]; then echo "make test: FAILED (pytest exit $$rc)"; fi; \
	exit $$rc

# ---------------------------------------------------------------- notebooks
# For each notebook pair: sync the inputs from the newer of NAME.py / NAME.ipynb, execute
# the .ipynb (nbclient, per-cell timeout), normalize it with nbstripout, re-sync the .py.
notebooks: $(STAMP)
	@set -e; \
	if [ -z "$(NOTEBOOK_STEMS)" ]; then echo "no notebooks/*.ipynb or *.py"; exit 0; fi; \
	for stem in $(NOTEBOOK_STEMS); do \
	  src=$$stem.py; [ -e "$$src" ] || src=$$stem.ipynb; \
	  echo "== $$stem"; \
	  $(VENV)/bin/jupytext --sync --set-kernel python3 "$$src"; \
	  $(VPY) -m jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.timeout=$(CELL_TIMEOUT) \
	    --ExecutePreprocessor.kernel_name=python3 "$$stem.ipynb"; \
	  $(VENV)/bin/nbstripout --keep-output --keep-count \
	    --extra-keys "cell.metadata.execution metadata.widgets" "$$stem.ipynb"; \
	  $(VENV)/bin/jupytext --sync "$$stem.ipynb"; \
	  touch "$$stem.py"; \
	done

# ---------------------------------------------------------------- benchmarks
bench: $(STAMP)
	@set -e; \
	if [ -z "$(BENCHMARKS)" ]; then echo "no benchmarks/*.py"; exit 0; fi; \
	for f in $(BENCHMARKS); do echo "== $$f"; $(VPY) "$$f"; done

# ---------------------------------------------------------------- cleaning
clean:
	rm -rf build dist *.egg-info .pytest_cache .hypothesis .ruff_cache
	find . -path ./$(VENV) -prune -o \( -name __pycache__ -o -name .ipynb_checkpoints \) -type d -print0 \
	    | xargs -0 rm -rf

distclean: clean
	rm -rf $(VENV)
