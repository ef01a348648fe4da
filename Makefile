# The two commands a new user needs: `make serve` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# Every package, pinned with its hashes; `make lock` refreshes it from pyproject.toml.
LOCK   := requirements.lock

.PHONY: serve test lint install lock vendor openapi seed migrate bench bench-quick bench-full bench-import bench-mixed bench-platform bench-field bench-faults screenshots clean

$(STAMP): pyproject.toml $(LOCK)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "CommonGround needs Python 3.11 or newer (found " + sys.version.split()[0] + "); run: make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $(STAMP)

install: $(STAMP)

lock: $(STAMP)
	$(BIN)/pip-compile --quiet --extra dev --generate-hashes --allow-unsafe --strip-extras \
		--no-emit-index-url --no-emit-find-links --output-file $(LOCK) pyproject.toml

serve: $(STAMP)
	$(BIN)/commonground serve

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check service schemas seeds tests bench examples
	$(BIN)/ruff format --check service schemas seeds tests bench examples
	$(BIN)/mypy

# Vendored JavaScript, from the npm registry at pinned versions and hashes: the field app's QR
# encoder and the tests' axe-core.
vendor:
	service/field/vendor.sh
	tests/vendor/update.sh

openapi: $(STAMP)
	$(BIN)/commonground openapi --output openapi.yaml

seed: $(STAMP)
	$(BIN)/commonground seed

migrate: $(STAMP)
	$(BIN)/commonground migrate

bench: $(STAMP)
	$(BIN)/python -m bench

bench-quick: $(STAMP)
	$(BIN)/python -m bench.quick

bench-full: $(STAMP)
	$(BIN)/python -m bench --sizes 10000 100000 1000000
	$(BIN)/python -m bench.scale --sizes 10000 100000 1000000

bench-mixed: $(STAMP)
	$(BIN)/python -m bench.mixed --size 100000

bench-platform: $(STAMP)
	$(BIN)/python -m bench.platform --size 10000

# The field app's main screens at 360x740, light and dark (service/field/screenshots/, linked from the README).
screenshots: $(STAMP)
	$(BIN)/python -m tests.screenshots

bench-field: $(STAMP)
	$(BIN)/python -m bench.field --size 100000

bench-faults: $(STAMP)
	$(BIN)/python -m bench.faults

bench-import: $(STAMP)
	$(BIN)/python -m bench.imports --services 100000

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
