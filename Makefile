# Flow: `make run` for the demo on embedded defaults, `make test` for the test suite.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml requirements.lock | sha1sum | cut -c1-12)
DEV_ENV := DEBUG=1 DJANGO_SETTINGS_MODULE=flow.settings.base

.PHONY: run test install migrate demo lint messages check-deploy audit sbom bench clean worker

## Exactly the pinned set (requirements.lock, every file's SHA-256), then Flow itself: a fresh clone
## installs what CI tested, not whatever the index offers that day within pyproject's ranges.
$(STAMP): pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

migrate: install
	mkdir -p var/mail var/media
	$(DEV_ENV) $(PY) manage.py migrate --noinput

demo: migrate
	$(DEV_ENV) $(PY) manage.py seed_demo

## The demo: SQLite, Celery eager, files in var/media, e-mails in var/mail and at /dev/mail/.
run: demo
	$(DEV_ENV) $(PY) manage.py runserver 127.0.0.1:8000

## The tests: SQLite by default; DATABASE_URL=postgres://... runs them on PostgreSQL.
test: install
	$(PY) -m pytest -n 2 --dist loadfile

lint: install
	$(PY) -m ruff check .

messages: install
	$(DEV_ENV) $(PY) manage.py makemessages -l en --ignore '.venv/*' --ignore 'tests/*'
	$(DEV_ENV) $(PY) manage.py compilemessages --ignore '.venv/*'

## Benchmarks on the local PostgreSQL (a fresh database each run); BENCH_SCALE=small is the smoke run.
bench: install
	$(PY) -m bench

check-deploy: install
	DJANGO_SETTINGS_MODULE=flow.settings.prod SECRET_KEY=$$(openssl rand -hex 40) ALLOWED_HOSTS=flow.example.org \
	  $(PY) manage.py check --deploy --fail-level WARNING

## Dependencies against known advisories (pip-audit; offline floor table tools/advisories.toml when no service answers).
audit: install
	$(PY) tools/dependency_audit.py

## A CycloneDX SBOM of the installed set, for each build.
sbom: install
	mkdir -p var && $(PY) tools/sbom.py --output var/sbom.cdx.json

worker: install
	$(PY) -m celery -A flow worker -l info

clean:
	rm -rf $(VENV) var staticfiles
