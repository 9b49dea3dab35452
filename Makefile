# Two commands for a newcomer:
#   make demo   installs recon in .venv and runs the main job on the sample data
#   make test   installs recon with its test tools and runs the whole suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test install install-test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'

demo: install
	$(BIN)/recon demo --out recon-demo

test: install-test
	$(BIN)/ruff check .
	@# pytest exits 5 when it collects no test: that is a failure, not a pass
	$(BIN)/python -m pytest -n 2 --nbmake tests notebooks; s=$$?; \
	  if [ $$s -eq 5 ]; then echo "no tests were collected" >&2; exit 1; fi; exit $$s

bench: install-test
	$(BIN)/python benchmarks/bench_apply.py

clean:
	rm -rf $(VENV) recon-demo .pytest_cache .hypothesis
