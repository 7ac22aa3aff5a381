# Thin wrappers: the real work is in dev.py (set-up, tests) and manage.py.
PY ?= python3
VENV_PY = .venv/bin/python
PG_URL ?= postgres://postgres@127.0.0.1:5432/huigong

.PHONY: run test test-pg lint seed reset-demo ci

run:  ## install, migrate, load the demo, serve http://127.0.0.1:8000
	$(PY) dev.py run

test:  ## the whole suite on SQLite (ARGS="-k roster" to narrow)
	$(PY) dev.py test $(ARGS)

test-pg:  ## the whole suite on PostgreSQL ($(PG_URL))
	DATABASE_URL=$(PG_URL) $(PY) dev.py test $(ARGS)

lint:
	.venv/bin/ruff check .

seed:  ## build the demo if it is not there
	$(VENV_PY) manage.py seed_demo

reset-demo:  ## wipe the demo database and build it again
	$(VENV_PY) manage.py seed_demo --reset

ci:
	bash .ci/run
