# Two commands set everything up: `make run` (the demo: embedded PostgreSQL + file broker) and
# `make test` (the whole suite, on a private PostgreSQL and Redis that it starts and stops).
# Everything else here is a helper for those two.
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export PORT

.PHONY: run test lint lock clean bench load messages

# The venv is rebuilt when the declared dependencies or their pinned versions change.
$(VENV)/.installed: pyproject.toml constraints.txt
	@test -x $(PY) || $$(scripts/find-python) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt '.[dev]'
	@touch $@

# PostgreSQL (var/postgres/), migrate and seed as the maintenance role, then web, worker and
# beat as the application role: config/run.py.
run: $(VENV)/.installed
	$(PY) -m config.run

# The suite starts (and stops) its own PostgreSQL and Redis: tests/services.py.
test: $(VENV)/.installed
	scripts/install-test-services
	scripts/install-browser
	scripts/run-tests

# Style, then the arrows between apps (import-linter contracts in pyproject.toml).
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

# Translations: collect every string into locale/es/LC_MESSAGES/django.po, then compile the .mo
# (both committed). Translate new entries in between (scripts/po-fill check lists them) and run
# it again; tests/test_translations.py fails while any entry is untranslated.
MESSAGES_IGNORE := --ignore=.venv --ignore=node_modules --ignore=staticfiles --ignore=var --ignore=build
messages: $(VENV)/.installed
	scripts/install-gettext
	DJANGO_SETTINGS_MODULE=config.settings.dev $(PY) manage.py makemessages -l es --no-obsolete $(MESSAGES_IGNORE)
	DJANGO_SETTINGS_MODULE=config.settings.dev $(PY) manage.py compilemessages -l es $(MESSAGES_IGNORE)
	@$(PY) scripts/po-fill check || echo "Translate the entries above (scripts/po-fill), then run make messages again."

# Benchmarks against their floors (not part of `make test`): recreates the database
# rapport_bench on a private PostgreSQL and Redis it starts itself, writes docs/benchmarks.md.
# More: make bench BENCH_ARGS='--dispatch 100000 --others 1000x1000x4'
bench: $(VENV)/.installed
	DJANGO_SETTINGS_MODULE=bench.settings $(PY) -m bench run $(BENCH_ARGS)

# The full load run: 100 simulated participants for 60 s against gunicorn (rapport_bench).
load: $(VENV)/.installed
	DJANGO_SETTINGS_MODULE=bench.settings $(PY) -m bench load $(BENCH_ARGS)

# Re-resolve the newest allowed versions and pin them (commit constraints.txt afterwards).
lock:
	rm -rf /tmp/rapport-lock && $$(scripts/find-python) -m venv /tmp/rapport-lock
	/tmp/rapport-lock/bin/pip install --quiet '.[dev]'
	/tmp/rapport-lock/bin/pip freeze --exclude rapport > constraints.txt

clean:
	rm -rf $(VENV) var staticfiles
