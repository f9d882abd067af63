# Two commands for a fresh machine with Python 3.11+:  make run  |  make test
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test bench bench-big bench-db bench-quick venv venv-dev

# Runtime requirements only (make run); the test tools on top of them have their own stamp (make test).
$(BIN)/.installed: requirements.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(BIN)/.installed-dev: $(BIN)/.installed requirements-dev.txt
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

venv: $(BIN)/.installed

venv-dev: $(BIN)/.installed-dev

# Starts the app; a fresh database loads the shipped sample data on first open.
run: venv
	$(BIN)/streamlit run app.py --browser.gatherUsageStats false

# Two workers, whole files to a worker (module fixtures are built once): the suite waits on browsers, app
# processes and PostgreSQL more than it computes, so two workers halve the wall on 2 cores (TEST_JOBS=0: one process).
TEST_JOBS ?= 2

test: venv-dev
	$(BIN)/python -m pytest -q $(if $(filter 0,$(TEST_JOBS)),,-n $(TEST_JOBS) --dist loadfile)

# Every command and page at 200,000 projects x 5 years (bench/README.md). The databases are built once by
# bench-db (about 3 minutes, cached in bench/out or $$PERFBOARD_BENCH_CACHE); bench builds them if missing.
bench: venv-dev
	$(BIN)/python bench/run_all.py

# The 1,000,000-project rows alone (judged on memory only; make bench runs them too when that database is
# cached), merged into bench/results/latest (when a make bench wrote one): a second run replaces them.
bench-big: venv-dev
	$(BIN)/python bench/run_all.py --only big --out bench/results/big
	if [ -f bench/results/latest.json ]; then \
		$(BIN)/python bench/run_all.py --merge bench/results/latest.json bench/results/big.json; fi

bench-db: venv-dev
	$(BIN)/python bench/run_all.py --db-only

bench-quick: venv-dev
	$(BIN)/python bench/run_all.py --quick
