# Two commands on a fresh machine:  `make dashboard`  and  `make test`  (see README.md).
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: dashboard test lint install install-dev fonts

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## Start the dashboard on the shipped artifacts/ (http://localhost:8501).
dashboard: $(VENV)/.installed
	$(VENV)/bin/streamlit run dashboard/app.py

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

## Lint, type-check and run the whole test suite (browser tests included).
test: lint
	$(PY) -m pytest -n 2 --dist loadgroup

## Training-time asset: the pinned Google Fonts set (crnn_core/data/fonts_lock.tsv) via npm.
fonts:
	$(PYTHON) scripts/fonts/install.py
