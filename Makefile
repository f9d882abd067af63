# Two commands for a fresh machine with Python 3.11+:  make run  |  make test
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test bench venv

$(BIN)/.installed: requirements.txt requirements-dev.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

venv: $(BIN)/.installed

# Starts the app; a fresh database loads the shipped sample data on first open.
run: venv
	$(BIN)/streamlit run app.py --browser.gatherUsageStats false

test: venv
	$(BIN)/python -m pytest -q

bench: venv
	$(BIN)/python bench/run_all.py
