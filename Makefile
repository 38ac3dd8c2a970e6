# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
# installed packages compiled once at install: where PYTHONDONTWRITEBYTECODE is set (CI images,
# containers) every process start otherwise compiles each import again (seconds per worker
# start, so after every restart the first customers wait that much longer)
export UV_COMPILE_BYTECODE := 1
# uv on PATH, else the one pip installs (`python3 -m uv` works wherever pip put its script)
UV ?= $(shell command -v uv 2>/dev/null || echo python3 -m uv)
BENCH ?=

.PHONY: run test bench lint typecheck check sync uv browser clean-data

uv:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv \
		|| python3 -m pip install --quiet --user uv

sync: uv
	@$(UV) sync --frozen --quiet

run: sync
	@$(UV) run --frozen --no-sync python -m app.cli run

browser:
	@bash scripts/install-chromium.sh

test: sync browser
	@$(UV) run --frozen --no-sync python -m pytest -q $(PYTEST_ARGS)

bench: sync
	@$(UV) run --frozen --no-sync python -m bench $(BENCH)

lint: sync
	@$(UV) run --frozen --no-sync ruff check app workers tests bench
	@$(UV) run --frozen --no-sync ruff format --check app workers tests bench

typecheck: sync
	@$(UV) run --frozen --no-sync mypy app workers

check: lint typecheck test

clean-data:
	rm -rf .data
