# evtlib: two commands do all the setup on a fresh machine.
#   make lab    venv + install, then JupyterLab on notebooks/ (127.0.0.1, token auth), opened on
#               the start page notebooks/index.ipynb
#   make test   venv (refreshed when pyproject.toml changes) + chromium check, then every test
#   make present  class mode: Voila serves the notebooks, code hidden, widgets live
#   make html     static site of the notebooks in site/, from their stored outputs
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
# NAME of each pair notebooks/NAME.ipynb + notebooks/py/NAME.py (notebooks/jupytext.toml pairs them)
NOTEBOOK_NAMES  := $(sort $(basename $(notdir $(wildcard notebooks/*.ipynb notebooks/py/*.py))))
BENCHMARKS      := $(sort $(wildcard benchmarks/*.py))

IS_ROOT    := $(filter 0,$(shell id -u))
# JupyterLab refuses to start as root without --allow-root; a root browser could not open anyway
LAB_FLAGS  ?= $(if $(IS_ROOT),--allow-root --no-browser,)
# Project-level Lab settings: lab-settings/overrides.json sets Lab's defaults (news pop-up and
# update check off). The user's own Lab settings still win; Lab never writes into lab-settings/.
LAB_SETTINGS := $(CURDIR)/lab-settings
LAB_ROOT     ?= notebooks
LAB_START    := index.ipynb
# Class mode (make present): Voila on 127.0.0.1:PRESENT_PORT serving PRESENT_ROOT with the template
# share/jupyter/voila/templates/evtlib-class; the static site (make html) goes to SITE.
PRESENT_PORT  ?= 8866
PRESENT_ROOT  ?= notebooks
PRESENT_FLAGS ?=
SITE          ?= site

NBVAL_ARGS := --nbval --nbval-current-env \
              --nbval-sanitize-with tests/nbval_sanitize.cfg \
              --nbval-cell-timeout=$(CELL_TIMEOUT)

.PHONY: help venv lab present html test browser notebooks bench clean distclean

help:
	@echo "make lab        create .venv if needed, install evtlib[$(EXTRAS)], open JupyterLab on notebooks/$(LAB_START)"
	@echo "make present    class mode: Voila on notebooks/ (code hidden, widgets live, answers folded), prints the URL"
	@echo "make html       static site in $(SITE)/ from the notebooks' stored outputs (no kernel needed to read it)"
	@echo "make test       refresh .venv, ensure chromium (make browser), run unit + nbval + browser tests"
	@echo "make browser    install Debian chromium at $(CHROMIUM) if missing (root + apt only)"
	@echo "make notebooks  re-execute every notebook, normalize outputs (nbstripout), re-sync the notebooks/py/ twins"
	@echo "make bench      run every benchmarks/*.py"
	@echo "make clean      remove caches and build files; make distclean also removes $(VENV)"
	@echo "variables: PYTHON=$(PYTHON) LAB_PORT=$(LAB_PORT) PRESENT_PORT=$(PRESENT_PORT) CELL_TIMEOUT=$(CELL_TIMEOUT) PYTEST_ARGS='$(PYTEST_ARGS)'"

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
# Opens on the start page notebooks/$(LAB_START) (the course map); tests/browser/test_start_page.py
# starts Lab through this target.
lab: $(STAMP)
	$(VPY) -m jupyterlab --ServerApp.ip=127.0.0.1 --ServerApp.port=$(LAB_PORT) \
	    --ServerApp.root_dir=$(LAB_ROOT) --LabApp.default_url=/lab/tree/$(LAB_START) \
	    --LabApp.app_settings_dir=$(LAB_SETTINGS) $(LAB_FLAGS)

# ---------------------------------------------------------------- class mode (Voila)
# Voila serves $(PRESENT_ROOT)/ on 127.0.0.1 with a token ($$JUPYTER_TOKEN if set, else a fresh one),
# with the project's template share/jupyter/voila/templates/evtlib-class (found through
# JUPYTER_PATH): code hidden, widgets live, each answer folded until clicked. Jupytext's Lab
# extension (which fails in Voila's page) is left out, and the tree at / hides the py/ twins.
# Each page view starts a kernel; Voila's shutdown on leaving a page fails its XSRF check
# (voila-dashboards/voila#1458), so the kernel of a closed page is culled after 10 idle
# minutes (the kernel of an open page is never culled: it stays connected).
# It opens no browser: it prints the course map's URL. tests/browser/test_present.py starts it
# through this target.
present: $(STAMP)
	@tok="$${JUPYTER_TOKEN:-$$($(VPY) -c 'import secrets; print(secrets.token_hex(24))')}"; \
	url="http://127.0.0.1:$(PRESENT_PORT)"; \
	echo "Class mode (Voila): code hidden, widgets live, answers folded. Open the course map:"; \
	echo ""; echo "    $$url/voila/render/$(LAB_START)?token=$$tok"; echo ""; \
	echo "(every notebook is also listed at $$url/?token=$$tok ; stop with Ctrl+C)"; \
	export JUPYTER_TOKEN="$$tok" JUPYTER_PATH="$(CURDIR)/share/jupyter$${JUPYTER_PATH:+:$$JUPYTER_PATH}"; \
	exec $(VPY) -m voila --no-browser --token --Voila.ip=127.0.0.1 --port=$(PRESENT_PORT) \
	    --Voila.port_retries=0 --template=evtlib-class \
	    --VoilaConfiguration.extension_denylist=jupyterlab-jupytext \
	    --MappingKernelManager.cull_idle_timeout=600 --MappingKernelManager.cull_interval=60 \
	    $(foreach g,__pycache__ *.pyc *~ py,'--LargeFileManager.hide_globs=$(g)') \
	    $(PRESENT_ROOT) $(PRESENT_FLAGS)

# ---------------------------------------------------------------- static site
# One page per notebooks/NN-*.ipynb plus index.html (the course map), from the stored outputs
# (nothing runs): tools/build_site.py with the nbconvert template
# share/jupyter/nbconvert/templates/evtlib-site. $(SITE)/ is rewritten each time.
html: $(STAMP)
	$(VPY) tools/build_site.py --notebooks notebooks --out $(SITE)

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
# For each notebook pair notebooks/NAME.ipynb + notebooks/py/NAME.py: sync the inputs from the
# newer of the two, execute the .ipynb (nbclient, per-cell timeout), merge each cell's stdout
# pieces into one output (how they split depends on flush timing), normalize it with nbstripout
# (cell tags and the `jupyter` collapse metadata of answer cells are kept), re-sync the .py.
notebooks: $(STAMP)
	@set -e; \
	if [ -z "$(NOTEBOOK_NAMES)" ]; then echo "no notebooks/*.ipynb or notebooks/py/*.py"; exit 0; fi; \
	for name in $(NOTEBOOK_NAMES); do \
	  nb=notebooks/$$name.ipynb; py=notebooks/py/$$name.py; \
	  src=$$py; [ -e "$$src" ] || src=$$nb; \
	  echo "== $$name"; \
	  $(VENV)/bin/jupytext --sync --set-kernel python3 "$$src"; \
	  $(VPY) -m jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.timeout=$(CELL_TIMEOUT) \
	    --ExecutePreprocessor.kernel_name=python3 "$$nb"; \
	  $(VPY) -m jupyter nbconvert --to notebook --inplace --coalesce-streams "$$nb"; \
	  $(VENV)/bin/nbstripout --keep-output --keep-count \
	    --extra-keys "cell.metadata.execution metadata.widgets" "$$nb"; \
	  $(VENV)/bin/jupytext --sync "$$nb"; \
	  touch "$$py"; \
	done

# ---------------------------------------------------------------- benchmarks
bench: $(STAMP)
	@set -e; \
	if [ -z "$(BENCHMARKS)" ]; then echo "no benchmarks/*.py"; exit 0; fi; \
	for f in $(BENCHMARKS); do echo "== $$f"; $(VPY) "$$f"; done

# ---------------------------------------------------------------- cleaning
clean:
	rm -rf build dist site *.egg-info .pytest_cache .hypothesis .ruff_cache
	find . -path ./$(VENV) -prune -o \( -name __pycache__ -o -name .ipynb_checkpoints \) -type d -print0 \
	    | xargs -0 rm -rf

distclean: clean
	rm -rf $(VENV)
