"""The history tables refuse UPDATE and DELETE at the database level."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psycopg
import pytest

from adapters.append_only import HISTORY_TABLES, protect_postgres
from adapters.readstore.postgres import PostgresReadStore
from adapters.settings import persistence_env
from application.onestop import OneStop
from projections.access_log import AccessLogView
from projections.audit_verify import verify_log
from projections.seal import Sealer
from tests.factories import MONDAY, at, citizen, receive, seed_catalogue, trace
from tests.projections.conftest import open_backend


def test_sqlite_triggers_refuse_update_and_delete(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    backend = open_backend("sqlite", url)
    try:
        seed_catalogue(backend.app)
        receive(backend.app)
        Sealer(backend.app, backend.store).catch_up()
    finally:
        backend.app.close()
        backend.store.close()
    conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        for table in ("stored_events", "audit_seal"):
            (before,) = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
            assert before > 0
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                conn.execute(f"UPDATE {table} SET rowid = rowid + 1000")
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                conn.execute(f"DELETE FROM {table}")
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (before,)
    finally:
        conn.close()


def _as(url: str, user: str, password: str) -> str:
    parts = urlparse(url)
    netloc = f"{user}:{password}@{parts.hostname}:{parts.port}"
    return urlunparse(parts._replace(netloc=netloc))


@pytest.mark.postgres
def test_postgres_app_role_may_only_insert_and_select(postgres_url: str) -> None:
    role = "motcua_app_" + urlparse(postgres_url).path.strip("/")[-12:]
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f"DROP ROLE IF EXISTS {role}")
        admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'app-secret'")
    # The administrator creates the schema, then hands the role its rights.
    setup = OneStop(env=persistence_env(postgres_url))
    store = PostgresReadStore(postgres_url)
    Sealer(setup, store).catch_up()
    AccessLogView(store)
    setup.close()
    store.close()
    protect_postgres(postgres_url, role)

    app_url = _as(postgres_url, role, "app-secret")
    app = OneStop(env=persistence_env(app_url))
    app_store = PostgresReadStore(app_url)
    try:
        seed_catalogue(app)  # the application writes through its own role
        reception = receive(app, when=MONDAY)
        app.withdraw_dossier(reception.dossier_id, trace=trace(citizen(), at(0, 10)))
        Sealer(app, app_store).catch_up()
        assert verify_log(app, app_store).ok
        with psycopg.connect(app_url, autocommit=True) as conn:
            for table in HISTORY_TABLES:
                column = {
                    "motcua_events": "originator_version",
                    "audit_access_log": "spool_offset",
                    "audit_access_read": "spool_offset",
                    "audit_access_set": "dossier_id",
                }.get(table, "position")
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(f"UPDATE {table} SET {column} = {column}")
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(f"DELETE FROM {table}")
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(f"TRUNCATE {table}")
        with psycopg.connect(postgres_url, autocommit=True) as owner:
            # Even the owner goes through the trigger (it must drop it first).
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                owner.execute("DELETE FROM motcua_events")
            (count,) = owner.execute(
                "SELECT count(*) FROM motcua_events"
            ).fetchone() or (0,)
            assert count > 10
    finally:
        app.close()
        app_store.close()
