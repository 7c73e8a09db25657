# Set-up and checks. `make demo` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.sagelab-installed
# The CPU torch wheel must go in before anything that depends on torch, or pip
# resolves a CUDA build of several GB.
TORCH  := torch==2.13.0

.PHONY: install demo test bench clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --constraint constraints.txt $(TORCH)
	$(BIN)/pip install --quiet --constraint constraints.txt -e ".[aws,dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/sagelab run --demo --output-dir runs/demo

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/overhead.py

clean:
	rm -rf $(VENV) runs .pytest_cache
