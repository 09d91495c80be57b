# motcua: `make run` serves a seeded demo on http://127.0.0.1:8000,
# `make test` installs what the tests need and runs lint, types and the suite.
# POSIX make; recipes are indented with tabs.

.POSIX:
.PHONY: run test unit lint fmt ensure-uv sync bytecode ensure-services

# uv from PATH, else through the Python package that `pip install uv` installs
# (its scripts directory, e.g. ~/.local/bin, is often not on PATH).
UV = $$(command -v uv 2>/dev/null || echo python3 -m uv)
# Test processes: the suite spends much of its time waiting on servers it
# started (PostgreSQL, motcua serve), so more workers than cores pays off.
# `make test WORKERS=0` runs in one process.
WORKERS = 3
HOST = 127.0.0.1
PORT = 8000
DEMO_DB = var/motcua.db

run: sync
	@if [ ! -e $(DEMO_DB) ]; then \
		echo "seeding a demo province ($(DEMO_DB))"; \
		$(UV) run --frozen motcua demo --dossiers 200 --seed 1; \
	fi
	$(UV) run --frozen motcua serve --host $(HOST) --port $(PORT)

test: sync ensure-services bytecode
	$(UV) run --frozen ruff check .
	$(UV) run --frozen mypy
	$(UV) run --frozen pytest -q -p no:cacheprovider -n $(WORKERS) --dist loadfile

# The fast suite: every test that needs no PostgreSQL, Redis or NATS server.
unit: sync bytecode
	MOTCUA_TEST_NO_SERVERS=y $(UV) run --frozen pytest -q -p no:cacheprovider \
		-n $(WORKERS) --dist loadfile -m "not postgres and not redis and not nats"

lint: sync
	$(UV) run --frozen ruff check .
	$(UV) run --frozen mypy

fmt: sync
	$(UV) run --frozen ruff check --fix .

# Compiled once here rather than in every process: each `motcua serve` and
# each test worker would otherwise compile every imported module again
# (always, where PYTHONDONTWRITEBYTECODE is set).
sync: ensure-uv
	$(UV) sync --frozen --compile-bytecode

bytecode: sync
	$(UV) run --frozen python -m compileall -q adapters api application domain projections tests

ensure-uv:
	@if ! command -v uv >/dev/null 2>&1 && \
	    ! python3 -m uv --version >/dev/null 2>&1; then \
		echo "installing uv"; \
		python3 -m pip install --user --quiet uv 2>/dev/null \
		|| python3 -m pip install --user --quiet --break-system-packages uv 2>/dev/null \
		|| pip install --quiet uv; \
	fi

# The test harness starts PostgreSQL, Redis and NATS itself (nats-server comes
# with the dev dependencies); install the server packages when they are missing,
# wrk, the load generator of `motcua bench lookup`, and the independent PAdES
# validators the signature tests use (poppler's pdfsig with an NSS trust store,
# openssl cms), and chromium for the dashboard test (headless screenshots).
# A failed apt-get is only a warning: the tests then fail with a clear message.
ensure-services:
	@SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO="sudo -n"; \
	missing=""; \
	command -v redis-server >/dev/null 2>&1 || missing=" redis-server"; \
	command -v wrk >/dev/null 2>&1 || missing="$$missing wrk"; \
	command -v pdfsig >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	command -v certutil >/dev/null 2>&1 || missing="$$missing libnss3-tools"; \
	command -v openssl >/dev/null 2>&1 || missing="$$missing openssl"; \
	command -v chromium >/dev/null 2>&1 || \
	    command -v chromium-browser >/dev/null 2>&1 || missing="$$missing chromium"; \
	if ! command -v initdb >/dev/null 2>&1 && \
	    ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		missing="$$missing postgresql"; \
	fi; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing with apt-get"; \
		{ $$SUDO apt-get update -qq && \
		  $$SUDO env DEBIAN_FRONTEND=noninteractive \
		    apt-get install -y -qq $$missing; } \
		|| echo "warning: could not install $$missing with apt-get" >&2; \
	fi
