# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test setup system-deps messages bytecode lint format bench clean

SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
LOCALE := src/snapshelf/locale

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## Debian packages: Chromium and CJK fonts (browser capture, e2e tests), gettext
## (compiling translations), epubcheck (the e-book tests validate with it; Java is
## its only need). Installed only when missing; without them Snapshelf still runs
## (static capture, English UI).
system-deps:
	@if ! command -v chromium >/dev/null || ! command -v msgfmt >/dev/null \
	    || ! command -v epubcheck >/dev/null \
	    || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
	  echo "installing chromium, fonts-noto-cjk, gettext, epubcheck"; \
	  ( $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    $(SUDO) apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk gettext \
	    epubcheck >/dev/null ) || echo "warning: could not install system packages"; \
	fi

## Compiled translations (.mo) are build output; the .po files are the source.
messages: $(STAMP) system-deps
	cd src/snapshelf && ../../$(BIN)/django-admin compilemessages --ignore=.venv -v 0

## Byte-compiled as an installed package is: an editable install is not, and where
## PYTHONDONTWRITEBYTECODE is set every command would compile our modules again (~0.1 s).
bytecode: $(STAMP)
	$(BIN)/python -m compileall -q src

setup: $(STAMP) system-deps messages bytecode

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

## Every benchmark, then a one-screen summary with the machine and the load average.
## BENCH_ARGS="--quick" runs each smaller; "--only capture bulk" picks some. The corpora
## are read from ../shared/corpora, or from $$SNAPSHELF_CORPORA.
bench: setup
	$(BIN)/python bench/run_all.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
