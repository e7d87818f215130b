# Preflight: `make demo` and `make test` are the two commands that matter.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export PREFLIGHT_HOME ?= $(CURDIR)/.preflight
# Presidio's e-mail recognizer would otherwise try to download the public suffix list.
export TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS :=
STAMP := $(VENV)/.installed-$(shell cat constraints.txt pyproject.toml | sha1sum | cut -c1-12)

.PHONY: install demo test test-unit bench bench-install bench-clean bench-celery airflow lint validate validate-compose clean chromium

# Reinstalls only when constraints.txt or pyproject.toml change (the stamp names their hash).
install: $(STAMP)
$(STAMP):
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24" -c constraints.txt
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	@rm -f $(VENV)/.installed-*
	@touch $@
	@echo "preflight installed into $(VENV)"

validate: install
	$(BIN)/preflight validate

# docker-compose.yaml against the Compose Specification and its own cross-references,
# without a container engine (CI runs it before the tests).
validate-compose: install
	$(BIN)/python scripts/validate_compose.py

demo: install
	$(BIN)/preflight demo

# Installs Debian's chromium for the browser test where we may (root + apt), else the
# browser test skips and says why.
chromium:
	@bash scripts/ensure-chromium.sh || true

test: install chromium
	$(BIN)/python -m pytest tests

test-unit: install
	$(BIN)/python -m pytest tests/unit

# Every case of issue 11, medians of interleaved whole-process runs, written to
# benchmarks/results.md and results.json (BENCH_ARGS: e.g. --large, --only CASE, --runs N).
bench: install bench-install
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# The tools compared against, each in its own venv under $(PREFLIGHT_HOME)/bench/venvs from
# the pinned bench/constraints-*.txt (reinstalls only when a constraints file changes).
bench-install: install
	$(BIN)/python -m bench.venvs

# Drops the bench_* tables `make bench` keeps on the PostgreSQL/MariaDB test servers.
bench-clean: install
	$(BIN)/python -m bench.clean

# 100 small datasets through the native Celery stack vs `preflight audit`, in one run;
# needs PREFLIGHT_TEST_POSTGRES_URL and PREFLIGHT_TEST_REDIS_URL (a Redis database of its own).
bench-celery: install
	$(BIN)/python -m bench.celery_bench

airflow: install
	$(BIN)/preflight airflow

lint: install
	$(BIN)/ruff check include dags plugins tests bench scripts
	$(BIN)/mypy

clean:
	rm -rf $(PREFLIGHT_HOME)
