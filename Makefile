# The README's commands: `make demo` and `make test`; also `make lint` and `make bench`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export DJANGO_SETTINGS_MODULE := bankcrm.settings
PO := src/bankcrm/locale/zh_Hans/LC_MESSAGES/django.po
MO := $(PO:.po=.mo)
PG_URL ?= postgres://postgres@127.0.0.1:5432/bankcrm_ci_$(shell echo $$$$)
DEMO_CUSTOMERS ?= 20000
# Where `make demo` serves the site: `make demo DEMO_PORT=8080` or BANKCRM_DEMO_PORT=8080.
DEMO_PORT ?= $(or $(BANKCRM_DEMO_PORT),8000)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install demo test test-sqlite test-postgres lint bench messages system-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

$(MO): $(PO)
	msgfmt --check -o $@ $<

install: $(VENV)/.installed system-gettext $(MO)

system-gettext:
	@command -v msgfmt >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq gettext; }

messages: $(VENV)/.installed
	cd src/bankcrm && ../../$(BIN)/django-admin makemessages -l zh_Hans --no-obsolete --no-location --add-location=never >/dev/null
	$(MAKE) $(MO)

demo: install
	@mkdir -p var
	$(BIN)/bankcrm migrate --noinput -v0
	$(BIN)/bankcrm demo --customers $(DEMO_CUSTOMERS) --seed 42 --if-empty --progress
	@echo "Serving the demo bank with Django's runserver on http://127.0.0.1:$(DEMO_PORT) (Ctrl-C stops it)"
	DEBUG=1 BANKCRM_DEMO_LOGINS=1 $(BIN)/bankcrm runserver 127.0.0.1:$(DEMO_PORT)

system-deps:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	dpkg -s fonts-wqy-zenhei >/dev/null 2>&1 || missing="$$missing fonts-wqy-zenhei"; \
	command -v msgfmt >/dev/null || missing="$$missing gettext"; \
	if [ -n "$$missing" ]; then echo "apt installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; fi

lint: install
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy src
	BANKCRM_DATABASE_URL=sqlite:///:memory: $(BIN)/bankcrm makemigrations --check --dry-run

# The two suites run side by side (one per core); each one's output is printed when it ends.
test: system-deps install lint
	$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgres

test-sqlite: install
	BANKCRM_DATABASE_URL=sqlite:///:memory: $(BIN)/pytest

test-postgres: install
	@if $(BIN)/python -c "import socket; socket.create_connection(('127.0.0.1', 5432), 2)" 2>/dev/null; then \
	  echo "PostgreSQL answers on 127.0.0.1:5432: running the suite on it"; \
	  BANKCRM_DATABASE_URL=$(PG_URL) $(BIN)/pytest; \
	else echo "PostgreSQL not reachable on 127.0.0.1:5432: skipped"; fi

bench: install
	BANKCRM_DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/bankcrm_bench} $(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
