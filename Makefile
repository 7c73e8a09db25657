# Set-up and checks. `make demo` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.sagelab-installed
# torch's pin lives in constraints.txt with every other pin. It goes in before anything that depends on
# torch: installed later, as a dependency, pip resolves a CUDA build of several GB.
TORCH  := $(shell grep '^torch==' constraints.txt)
CODE   := contract envs rl features experiments
LOCK_VENV ?= /tmp/sagelab-lock-venv

.PHONY: install demo lint typecheck format test bench lock clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --constraint constraints.txt "$(TORCH)"
	$(BIN)/pip install --quiet --constraint constraints.txt -e ".[aws,dev]"
	$(BIN)/pip install --quiet --constraint constraints.txt --no-deps rl_zoo3
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/sagelab run --demo --output-dir runs/demo

# ruff (lint and format) over code, tests, benchmarks and the example notebooks, and mypy over the packages; configured in
# pyproject.toml. `make test` (and so .ci/run) runs it before the tests.
lint: $(STAMP)
	$(BIN)/ruff check $(CODE) tests benchmarks examples
	$(BIN)/ruff format --check $(CODE) tests benchmarks examples
	$(BIN)/mypy

typecheck: $(STAMP)
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix $(CODE) tests benchmarks examples
	$(BIN)/ruff format $(CODE) tests benchmarks examples

# pytest-xdist: one worker per core, whole test files to a worker (a module's shared fixtures are built once).
TEST_WORKERS ?= auto
test: lint
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

bench: $(STAMP)
	$(BIN)/python benchmarks/overhead.py

# Regenerates constraints.txt: the newest versions pyproject.toml's ranges admit, resolved in a fresh
# virtualenv with torch's current pin installed first, as `install` does.
lock:
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet "$(TORCH)"
	$(LOCK_VENV)/bin/pip install --quiet ".[aws,dev]"
	$(LOCK_VENV)/bin/pip install --quiet --no-deps rl_zoo3
	{ echo "# Pinned versions for every install (make demo/test, CI); regenerate with 'make lock'."; \
	  echo "# Ranges live in pyproject.toml. torch is installed first (see Makefile)."; \
	  $(LOCK_VENV)/bin/pip freeze --exclude sagelab | sed 's/+cpu$$//'; } > constraints.txt
	rm -rf $(LOCK_VENV)

clean:
	rm -rf $(VENV) runs .pytest_cache .mypy_cache .ruff_cache
