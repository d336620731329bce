# Quickstart: `make run` and `make test`; each sets up .venv on its own.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DB ?= ipe.sqlite

.PHONY: run test test-long check lint types imports audit test-fast bench bench-quick clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[service,dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/ipe demo --database $(DB)

# `make test`: the whole suite with short fuzz/property runs (at most 8 minutes on a
# 2-core machine). `make test-long`: the same suite with the long ones (the API fuzz at
# 100 examples per operation and role, the 2,000-student explanation, speed figures);
# IPE_TEST_LONG=1 selects them and the hypothesis profile "long" (tests/long_run.py).
# Tests run in parallel (pytest-xdist): TEST_WORKERS processes, each given whole test
# files, so a module's databases are built once; TEST_WORKERS=0 runs them in this process
# (tests/conftest.py says what keeps the workers apart). 3 on the 2 cores the 8-minute
# budget is for: much of a test's time is waiting on servers, workers and solves, which a
# third worker fills (README, "Test time"); `auto` = one per core.
TEST_WORKERS ?= 3
PYTEST := $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

test: $(STAMP)
	$(PYTEST) -q

# Serial by default: its speed figures mean something only on an otherwise quiet machine.
LONG_TEST_WORKERS ?= 0

test-long: $(STAMP)
	IPE_TEST_LONG=1 $(BIN)/python -m pytest -n $(LONG_TEST_WORKERS) --dist loadfile -q --durations=20

test-fast: $(STAMP)
	$(PYTEST) -q -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(STAMP)
	$(BIN)/mypy scheduler solver api

imports: $(STAMP)
	$(BIN)/lint-imports

# Known vulnerabilities in the installed dependencies (pip-audit, PyPI's advisory data).
# Fails on any finding; says "NOT DONE" and passes when the service cannot be reached,
# unless AUDIT_STRICT=1 (see README, Security).
audit: $(STAMP)
	$(BIN)/python -m tools.audit_dependencies $(BIN)/pip-audit

check: lint types imports audit test

# Benchmarks also need the `bench` extra (the deferred-acceptance baseline); `make test`
# does not install it. Results: bench/results/{full,quick}.{json,md} and the plot.
BENCH_STAMP := $(VENV)/.installed-bench

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[service,dev,bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python -m bench.run

bench-quick: $(BENCH_STAMP)
	$(BIN)/python -m bench.run --quick

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
