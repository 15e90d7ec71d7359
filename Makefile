# The two commands: `make test` (every check) and `make demo` (the main job on a demo database).
# `make fix` formats and regenerates what is generated; `make docs` regenerates docs/cli.md;
# `make demo-postgres` runs the demo on a PostgreSQL server, as a team with one login each.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: test demo demo-postgres lint types unit bench clean docs fix test-lowest

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "wegings needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

COG := $(BIN)/cog -I scripts
# The tests run on every core; `make unit PYTEST_ARGS=` runs them in one process.
PYTEST_ARGS ?= -n auto --dist worksteal
# The tests run on SQLite and on PostgreSQL: WEGINGS_TEST_DATABASE_URL names a server, or
# scripts/pg-cluster.sh starts a throwaway one (and says so when it cannot; CI=true fails then).
# The suite runs twice (scripts/both-backends.sh): on SQLite files, then with --backend=postgres,
# each test with a database of its own on a fresh database on the server.
WITH_POSTGRES := bash scripts/with-postgres.sh
BOTH_BACKENDS := bash scripts/both-backends.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(COG) --check --diff --check-fail-msg='run `make docs`' docs/cli.md

types: $(STAMP)
	$(BIN)/mypy --strict wegings tests bench scripts

# The CLI reference from every command's --help.
docs: $(STAMP)
	$(COG) -r docs/cli.md

fix: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
	$(COG) -r docs/cli.md

unit: $(STAMP)
	$(WITH_POSTGRES) $(BOTH_BACKENDS) $(BIN)/pytest $(PYTEST_ARGS)

test: lint types unit

# The tests on the lowest versions pyproject.toml allows, in .venv-lowest (CI runs it after `make test`).
test-lowest: $(STAMP)
	PYTHON=$(PYTHON) UV=$(BIN)/uv $(WITH_POSTGRES) bash scripts/lowest-deps.sh $(PYTEST_ARGS)

demo: $(STAMP)
	env -u WEGINGS_DATABASE_URL PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/demo.sh

# The demo on the server WEGINGS_TEST_DATABASE_URL names (as a login that may create databases
# and roles), or on a throwaway cluster: a database wegings_demo, one login per person.
demo-postgres: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(WITH_POSTGRES) --required \
	  sh -c 'WEGINGS_DATABASE_URL="$$WEGINGS_TEST_DATABASE_URL" exec bash scripts/demo.sh'

# The goals of issue 13 measured in one run, with PostgreSQL, and printed as a table with the date
# and machine (15 to 30 minutes). BENCH_ARGS=--quick: small sizes, a few minutes;
# BENCH_ARGS='--consents-large 10000000' adds a database of 10,000,000 consents (slow to build).
BENCH_ARGS ?=
bench: $(STAMP)
	$(BIN)/python bench/bench_render.py
	$(WITH_POSTGRES) --required $(BIN)/python bench/bench_goals.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .venv-lowest .demo build dist .pytest_cache .mypy_cache .ruff_cache
