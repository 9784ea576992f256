# The two set-up commands of the README. Both create .venv and install into it.
#   make demo   install toms and run the end-to-end demo
#   make test   install toms with its dev tools and run lint, type checks and all tests

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest install bench soak clean

demo: $(STAMP)
	$(BIN)/toms demo

test: $(STAMP) lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check toms tests benchmarks
	$(BIN)/ruff format --check toms tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

soak: $(STAMP)
	$(BIN)/python benchmarks/soak/soak.py --orders 100000

install: $(STAMP)

# QuickFIX builds from source on first install (about 6 minutes); pip caches the wheel.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip wheel setuptools
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
