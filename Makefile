# Sluice: the two commands a fresh Debian machine needs are `make serve` and
# `make test`; both install what is missing first.
SHELL := /bin/bash
SWIFT ?= swift
# One optimised build with testability serves the binary, the Swift tests and
# the Python live tests, so nothing is compiled twice.
BUILD_FLAGS := -c release -Xswiftc -enable-testing
BIN_DIR = $(shell $(SWIFT) build $(BUILD_FLAGS) --show-bin-path)
MODEL := models/SmolLM2-135M-Instruct.Q4_1.gguf
HOST ?= 127.0.0.1
PORT ?= 8080
PYTEST := .venv/bin/python -m pytest

.PHONY: deps deps-serve model build serve test test-swift test-python bench bench-http bench-engine bench-serving bench-gateway bench-before-after bench-structured clean

deps:
	@scripts/install-deps.sh all

deps-serve:
	@scripts/install-deps.sh serve

model:
	@scripts/fetch-model.sh

build:
	$(SWIFT) build $(BUILD_FLAGS) --product sluice

serve: deps-serve model build
	$(BIN_DIR)/sluice serve --host $(HOST) --port $(PORT) --model $(MODEL)

test: deps model
	$(SWIFT) build $(BUILD_FLAGS) --build-tests
	$(MAKE) test-swift test-python

test-swift:
	$(SWIFT) test $(BUILD_FLAGS) --skip-build --no-parallel

# The access tests run sluice-test-server (serve plus test-only routes), which the
# --build-tests build above makes and `make build` never does.
test-python:
	SLUICE_BIN=$(BIN_DIR)/sluice SLUICE_TEST_SERVER=$(BIN_DIR)/sluice-test-server \
	SLUICE_MODEL=$(CURDIR)/$(MODEL) $(PYTEST) -q tests/python

bench: bench-http bench-engine bench-serving bench-structured

bench-http: deps model build
	SLUICE_BIN=$(BIN_DIR)/sluice bench/http.sh

bench-engine: deps model build
	SLUICE_BIN=$(BIN_DIR)/sluice bench/engine.sh

bench-serving: deps model build
	SLUICE_BIN=$(BIN_DIR)/sluice SLUICE_MODEL=$(CURDIR)/$(MODEL) .venv/bin/python bench/serving.py

# Constrained (response_format json_schema over the test corpus) vs unconstrained streaming chat,
# interleaved; plus `sluice bench-grammar` mask timings when the binary has the command.
bench-structured: deps model build
	SLUICE_BIN=$(BIN_DIR)/sluice SLUICE_MODEL=$(CURDIR)/$(MODEL) .venv/bin/python bench/structured.py

bench-gateway: deps model build
	SLUICE_BIN=$(BIN_DIR)/sluice bench/gateway.sh

# Interleaved comparison with an older binary: SLUICE_BIN_BEFORE=/path/to/old/sluice make bench-before-after
bench-before-after: deps model build
	SLUICE_BIN=$(BIN_DIR)/sluice SLUICE_MODEL=$(CURDIR)/$(MODEL) .venv/bin/python bench/before_after.py

clean:
	rm -rf .build
