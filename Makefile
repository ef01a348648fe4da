# The two commands a new user needs: `make serve` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: serve test install openapi seed migrate bench bench-full bench-import bench-mixed bench-platform clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "CommonGround needs Python 3.11 or newer (found " + sys.version.split()[0] + "); run: make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

serve: $(STAMP)
	$(BIN)/commonground serve

test: $(STAMP)
	$(BIN)/python -m pytest

openapi: $(STAMP)
	$(BIN)/commonground openapi --output openapi.yaml

seed: $(STAMP)
	$(BIN)/commonground seed

migrate: $(STAMP)
	$(BIN)/commonground migrate

bench: $(STAMP)
	$(BIN)/python -m bench

bench-full: $(STAMP)
	$(BIN)/python -m bench --sizes 10000 100000 1000000

bench-mixed: $(STAMP)
	$(BIN)/python -m bench.mixed --size 100000

bench-platform: $(STAMP)
	$(BIN)/python -m bench.platform --size 10000

bench-import: $(STAMP)
	$(BIN)/python -m bench.imports --services 100000

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
