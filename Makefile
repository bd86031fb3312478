# resurssimalli: two commands do everything on a fresh machine (python3 + make).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SCENARIO ?= scenarios/baseline.yaml
# the modules setup.py compiles with mypyc: an edit to one of them reinstalls (recompiles)
COMPILED := $(shell grep -o '"src/resurssimalli/[a-z_/]*\.py"' setup.py | tr -d '"')

.PHONY: run test bench lint install clean-venv

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# compileall: the project's bytecode, as a non-editable install has it; every process of a run
# (the command, the workers' fork server) would otherwise compile ~18,000 lines as it starts
$(STAMP): $(BIN)/python pyproject.toml setup.py $(COMPILED)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	$(BIN)/python -m compileall -q src/resurssimalli
	$(BIN)/python -c "from resurssimalli.simulate import native; print('simulation model:', native.implementation())"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/resurssimalli run $(SCENARIO)

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

clean-venv:
	rm -rf $(VENV)
