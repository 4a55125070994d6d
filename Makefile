# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
PYTEST_ARGS ?= -n auto
# the suites that run the Numba kernels, small enough to run as plain Python
JIT_OFF_TESTS := tests/kernels tests/flows tests/potential tests/stats tests/network \
	tests/test_decay.py geoai/kernels

.PHONY: run test lint format typecheck bench data sources docs clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "geoai needs Python >= 3.11; run e.g. make PYTHON=python3.12"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[viz,dask]'
	$(BIN)/geoai warmup --only flows,potential,stats,scenario  # what the run needs; all: geoai warmup
	@touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@ $(RUN_STAMP)

## run: set up .venv and run the main job on the embedded data
run: $(RUN_STAMP)
	$(BIN)/geoai run --out out --overwrite

## test: set up .venv with the dev extra, lint, and run the whole test suite
test: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy geoai
	$(BIN)/python -m pytest $(PYTEST_ARGS) --cov --cov-report= --cov-fail-under=0
	@echo "== the kernel suites again with NUMBA_DISABLE_JIT=1, for the coverage of geoai/kernels"
	NUMBA_DISABLE_JIT=1 $(BIN)/python -m pytest $(PYTEST_ARGS) -q -m "not needs_jit and not jit_heavy" $(JIT_OFF_TESTS) \
		--cov --cov-append --cov-report=term

lint: $(DEV_STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: $(DEV_STAMP)
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

typecheck: $(DEV_STAMP)
	$(BIN)/mypy geoai

## bench: install the benchmarks' peers (pandana) and run every benchmark (slow; prints tables)
bench: $(DEV_STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

## docs: build the API reference and the design notes into site/ (offline; warnings are errors)
docs: $(DEV_STAMP)
	$(BIN)/mkdocs build --strict -d site

## data: rebuild every derived data file from the sources shipped in data/ (deterministic)
data: $(DEV_STAMP)
	$(BIN)/python data/niip/build.py
	$(BIN)/python data/build_countries.py
	$(BIN)/python data/ai_index/build.py
	$(BIN)/python data/un_wup2018/build.py
	$(BIN)/python data/ai_exposure/build.py
	$(BIN)/python data/us_oews_2025/build.py
	$(BIN)/python data/naturalearth/build.py
	$(BIN)/python data/geonames/build.py
	$(BIN)/python data/build_readme.py

## sources: refresh the raw UN, BLS and Eloundou et al. files from ../shared/data (by hand only)
sources: $(DEV_STAMP)
	$(BIN)/python data/copy_sources.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis build dist *.egg-info
