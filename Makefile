# Developer verbs. `make help` lists them. Everything runs inside .venv (python3 scripts/bootstrap.py test creates it).
BIN := .venv/bin
.DEFAULT_GOAL := help

help: ## list the verbs
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

setup: ## create .venv and install the locked dependencies
	python3 scripts/bootstrap.py setup

lint: ## ruff over src, tests, benchmarks; mypy over tests (non-strict); the package layers (import-linter contracts)
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/mypy tests
	$(BIN)/lint-imports

format: ## ruff format
	$(BIN)/ruff format src tests benchmarks scripts

types: ## mypy strict on src, non-strict on tests
	$(BIN)/mypy
	$(BIN)/mypy tests

test: ## the whole suite (as CI runs it)
	python3 scripts/bootstrap.py test

unit: ## unit tests only (no servers)
	$(BIN)/pytest -q tests/unit

golden-update: ## rewrite golden files from the compiler's current output
	PAVEDROAD_GOLDEN_UPDATE=1 $(BIN)/pytest -q tests/golden

demo: ## run pavedroad demo
	$(BIN)/pavedroad demo

artifact: ## the offline artifact of HEAD into dist/ (tarball, CycloneDX SBOM, checksums; reproducible)
	$(BIN)/pavedroad build --out dist

release: ## artifact + changelog section since the last vX.Y.Z tag, into dist/ (version from the tags)
	$(BIN)/pavedroad build --out dist --release

image: ## an OCI image of the newest artifact in dist/ (buildah + debootstrap, as root; no registry needed)
	sh scripts/build_image.sh "$$(ls -t dist/pavedroad-*.tar.gz | head -1)"

bench: ## every benchmark in quick mode
	@for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b --quick || exit 1; done

.PHONY: help setup lint format types test unit golden-update demo artifact release image bench
