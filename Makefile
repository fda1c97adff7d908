# Two commands do all set-up on a fresh machine: `make run` and `make test`.
# Both bootstrap .venv on first use; the stamp makes later runs quick.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export NUMBA_CACHE_DIR ?= $(CURDIR)/.cache/numba
export MPLBACKEND ?= Agg
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: run test lab bench lint kernel clean-venv help

help:
	@echo "make run    bootstrap and start the paper engine + dashboard on the shipped data"
	@echo "make test   bootstrap and run the whole test suite"
	@echo "make lab    JupyterLab on the workbench kernel"
	@echo "make bench  run benchmarks/"
	@echo "make lint   ruff + import-linter"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip wheel setuptools
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $(STAMP)

$(VENV)/share/jupyter/kernels/workbench/kernel.json: kernels/workbench/kernel.json $(STAMP)
	$(BIN)/python -m workbench.kernelspec install

kernel: $(VENV)/share/jupyter/kernels/workbench/kernel.json

run: kernel
	$(BIN)/workbench run --demo

test: kernel
	@mkdir -p $(NUMBA_CACHE_DIR)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

lab: kernel
	$(BIN)/jupyter lab --notebook-dir=notebooks

bench: kernel
	@mkdir -p $(NUMBA_CACHE_DIR)
	@for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

lint: $(STAMP)
	$(BIN)/ruff check workbench tests benchmarks dashboards notebooks scripts
	$(BIN)/lint-imports

clean-venv:
	rm -rf $(VENV)
