# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test setup lint format bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

## Set everything up and run Snapshelf (SQLite, local data dir, in-process worker).
run: setup
	$(BIN)/snapshelf serve

## Set everything up and run the whole test suite (SQLite, then PostgreSQL when
## SNAPSHELF_TEST_DATABASE_URL is set: .ci/run sets it).
test: setup
	$(BIN)/pytest -n 2 -q
	if [ -n "$$SNAPSHELF_TEST_DATABASE_URL" ]; then \
		DATABASE_URL="$$SNAPSHELF_TEST_DATABASE_URL" $(BIN)/pytest -n 2 -q -m django_db; fi

lint: setup
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: setup
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
