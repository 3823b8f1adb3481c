# Dadkhahi: `make demo` and `make test` set everything up on a fresh machine.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEMO   ?= build/demo-home
# The tested dependency set, every package pinned with its hashes (uv pip compile).
LOCK   := requirements/dev.lock
UV_COMPILE = $(VENV)/bin/uv pip compile pyproject.toml --extra dev --python-version 3.11 \
             --generate-hashes --quiet -o $(LOCK)

.PHONY: install demo test lint typecheck unit bench clean lock upgrade-deps

install: $(STAMP)

# A fresh clone installs exactly the pinned versions the tests passed with.
$(STAMP): $(LOCK) pyproject.toml scripts/install-system-deps.sh
	bash scripts/install-system-deps.sh
	python3 -m venv $(VENV)
	# --no-deps: the lock is already the whole resolved set; letting pip resolve again
	# made it chase extras past the pins (lxml[html_clean] -> an unhashed newer lxml the
	# day lxml 6.2.0 came out). pip check then proves the pinned set is consistent.
	$(VENV)/bin/pip install -q --no-deps --require-hashes -r $(LOCK)
	$(VENV)/bin/pip check
	$(VENV)/bin/pip install -q --no-deps -e .
	touch $(STAMP)

# After a change to pyproject.toml's dependencies: pin what is new, keep the other pins.
lock:
	$(UV_COMPILE)

# To test upgrades: re-resolve everything to the newest allowed versions, then `make test`.
upgrade-deps:
	$(UV_COMPILE) --upgrade

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
