# citystat — `make run` sets up and runs the demo; `make test` sets up and runs every check.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)

.DEFAULT_GOAL := help
.PHONY: help setup run demo serve test lint format bench screenshots clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,spark,bench]'
	rm -f $(VENV)/.installed-*
	touch $@

setup: $(STAMP) ## Create .venv and install citystat with its pinned dependencies

run: $(STAMP) ## Build the synthetic demo city and serve it on http://127.0.0.1:8000
	$(BIN)/citystat demo
	$(BIN)/citystat serve

demo: $(STAMP) ## Build the synthetic demo city only
	$(BIN)/citystat demo

serve: $(STAMP) ## Serve the current warehouse
	$(BIN)/citystat serve

lint: $(STAMP) ## ruff (lint + format check) and mypy --strict
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy

test: lint ## Set up, lint, and run the whole test suite (Spark tests second, in one JVM)
	$(BIN)/pytest -n 2 --dist loadfile -m "not spark"
	$(BIN)/pytest -m spark

format: $(STAMP) ## Reformat and auto-fix
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

bench: $(STAMP) ## Ingest, compute and web benchmarks on 1M synthetic rows (ratios to baselines, same run)
	$(BIN)/citystat bench ingest --rows 1000000
	$(BIN)/citystat bench compute --rows 1000000
	$(BIN)/citystat bench web --rows 1000000 --reuse

screenshots: $(STAMP) ## PNGs of the home and a measure page at 1280 and 375 px into screenshots/ (demo city if no warehouse)
	$(BIN)/citystat screenshots --out screenshots

clean: ## Remove the venv, generated data and the warehouse
	rm -rf $(VENV) data citystat.duckdb citystat.duckdb.wal citystat-store.db* .pytest_cache .mypy_cache .ruff_cache
