# Two commands for a newcomer:
#   make demo   installs recon in .venv and runs the main job on the sample data
#   make test   installs recon with its test tools and runs the whole suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# the benchmark's own environment: recon's runtime dependencies only, as an analyst
# installs it (no test tools: pandera imports hypothesis on first use when it is there)
BENCH := .venv-bench

.PHONY: demo test install install-test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# recon's bytecode is compiled once here: where PYTHONDONTWRITEBYTECODE is set (CI, some
# shared machines) Python would otherwise compile every module on every command (~0.2 s)
install: $(BIN)/python
	$(BIN)/pip install --quiet -e .
	$(BIN)/python -m compileall -q recon

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/python -m compileall -q recon
	@# Chromium, its driver and LibreOffice for the screen tests (installed when missing)
	bash scripts/browser_setup.sh

demo: install
	$(BIN)/recon demo --out recon-demo

test: install-test
	$(BIN)/ruff check .
	@# pytest exits 5 when it collects no test: that is a failure, not a pass
	$(BIN)/python -m pytest -n 2 --nbmake tests notebooks; s=$$?; \
	  if [ $$s -eq 5 ]; then echo "no tests were collected" >&2; exit 1; fi; exit $$s

$(BENCH)/bin/python:
	$(PYTHON) -m venv $(BENCH)
	$(BENCH)/bin/python -m pip install --quiet --upgrade pip

# every job beside its floor from the same run (A B A B ..., medians; benchmarks/RESULTS.md).
# BENCH_ITEMS=200000 for a quicker run on a busy machine (the targets are set at 1M, 2M)
BENCH_ITEMS ?= 1000000
BENCH_RUNS ?= 3
bench: $(BENCH)/bin/python
	$(BENCH)/bin/pip install --quiet -e .
	$(BENCH)/bin/python -m compileall -q recon
	$(BENCH)/bin/python benchmarks/bench_cli.py --items $(BENCH_ITEMS) --runs 5
	$(BENCH)/bin/python benchmarks/bench_apply.py --items $(BENCH_ITEMS) --runs $(BENCH_RUNS) \
	  --formats csv,parquet
	@# a spreadsheet at a fifth of the size: openpyxl reads 1M rows in minutes (RESULTS.md)
	$(BENCH)/bin/python benchmarks/bench_apply.py --items $$(( $(BENCH_ITEMS) / 5 )) --runs $(BENCH_RUNS) \
	  --kinds filled --formats xlsx --naive-rows 0
	$(BENCH)/bin/python benchmarks/bench_import.py --items $(BENCH_ITEMS) --runs $(BENCH_RUNS)
	$(BENCH)/bin/python benchmarks/bench_report.py --items $$(( 2 * $(BENCH_ITEMS) )) \
	  --credits $$(( $(BENCH_ITEMS) / 5 )) --runs $(BENCH_RUNS)

clean:
	rm -rf $(VENV) $(BENCH) recon-demo .pytest_cache .hypothesis
