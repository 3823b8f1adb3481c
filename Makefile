# Dadkhahi: `make demo` and `make test` set everything up on a fresh machine.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEMO   ?= build/demo-home

.PHONY: install demo test lint typecheck unit bench clean

install: $(STAMP)

$(STAMP): pyproject.toml scripts/install-system-deps.sh
	bash scripts/install-system-deps.sh
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q -U pip
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $(STAMP)

demo: install
	rm -rf $(DEMO)
	$(VENV)/bin/dadkhahi demo --dir $(DEMO)

lint: install
	$(VENV)/bin/ruff check src tests benchmarks

typecheck: install
	$(VENV)/bin/mypy --strict src/dadkhahi

# Tests of the PostgreSQL path run against a real local server (started if needed).
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres

unit: install
	bash scripts/start-postgres.sh
	DADKHAHI_TEST_DATABASE_URL="$${DADKHAHI_TEST_DATABASE_URL:-$(PG_URL)}" $(VENV)/bin/pytest -q

test: lint typecheck unit

clean:
	rm -rf build $(VENV) .pytest_cache .mypy_cache .ruff_cache
