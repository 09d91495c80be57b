"""History tables are append-only at the database level.

SQLite: triggers refuse UPDATE and DELETE on the event table and the seal
tables (created with them; a file owner can still drop them, which the hash
chain and the signed seal then reveal).

PostgreSQL: ``protect_postgres`` is the schema set-up run once by an
administrator: it owns the history tables, adds the same triggers (also
TRUNCATE), and grants the application's role only SELECT and INSERT on them.
eventsourcing serialises writers with ``LOCK TABLE … IN EXCLUSIVE MODE``,
which PostgreSQL allows only to roles with UPDATE, DELETE or TRUNCATE; the
set-up therefore also creates ``motcua_lock_events()``, a SECURITY DEFINER
function that takes exactly that lock for the caller's transaction, and
grants the role EXECUTE on it. The recorder calls it when the role has no
UPDATE right (adapters/postgres_recorder.py), so commit order is still
notification order.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from projections.seal import sqlite_append_only

HISTORY_TABLES = (
    "motcua_events",
    "audit_seal",
    "audit_checkpoints",
    "audit_access_log",
    "audit_access_read",
    "audit_access_set",
)
LOCK_FUNCTION = "motcua_lock_events"
_REFUSE = "motcua_refuse_change"


def sqlite_triggers(table: str) -> list[str]:
    return sqlite_append_only(table)


def postgres_triggers(table: str) -> list[sql.Composed]:
    name = sql.Identifier(table)
    return [
        sql.SQL(
            "CREATE OR REPLACE TRIGGER {0} BEFORE UPDATE OR DELETE ON {1} "
            "FOR EACH ROW EXECUTE FUNCTION {2}()"
        ).format(sql.Identifier(f"{table}_append_only"), name, sql.Identifier(_REFUSE)),
        sql.SQL(
            "CREATE OR REPLACE TRIGGER {0} BEFORE TRUNCATE ON {1} "
            "FOR EACH STATEMENT EXECUTE FUNCTION {2}()"
        ).format(sql.Identifier(f"{table}_no_truncate"), name, sql.Identifier(_REFUSE)),
    ]


_REFUSE_FUNCTION = sql.SQL(
    "CREATE OR REPLACE FUNCTION {0}() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME "
    "USING ERRCODE = 'insufficient_privilege'; END $$"
).format(sql.Identifier(_REFUSE))


def protect_postgres(
    admin_url: str, app_role: str, tables: tuple[str, ...] = HISTORY_TABLES
) -> None:
    """Run as the administrator after the tables exist (see module docstring)."""
    role = sql.Identifier(app_role)
    with psycopg.connect(admin_url, autocommit=True) as conn, conn.transaction():
        conn.execute(_REFUSE_FUNCTION)
        conn.execute(
            sql.SQL("GRANT USAGE, CREATE ON SCHEMA public TO {0}").format(role)
        )
        for table in tables:
            name = sql.Identifier(table)
            conn.execute(sql.SQL("ALTER TABLE {0} OWNER TO CURRENT_USER").format(name))
            for statement in postgres_triggers(table):
                conn.execute(statement)
            conn.execute(sql.SQL("REVOKE ALL ON {0} FROM {1}").format(name, role))
            conn.execute(sql.SQL("REVOKE ALL ON {0} FROM PUBLIC").format(name))
            conn.execute(
                sql.SQL("GRANT SELECT, INSERT ON {0} TO {1}").format(name, role)
            )
            if table != "motcua_events":
                continue
            found = conn.execute(
                "SELECT pg_get_serial_sequence(%s, 'notification_id')", (table,)
            ).fetchone()
            if found and found[0]:
                conn.execute(
                    sql.SQL("GRANT USAGE, SELECT ON SEQUENCE {0} TO {1}").format(
                        sql.SQL(found[0]), role
                    )
                )
        others = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND NOT tablename = ANY(%s)",
            (list(tables),),
        ).fetchall()
        for (table,) in others:  # snapshots, read models: the application's own
            conn.execute(
                sql.SQL("ALTER TABLE {0} OWNER TO {1}").format(
                    sql.Identifier(table), role
                )
            )
        conn.execute(
            sql.SQL(
                "CREATE OR REPLACE FUNCTION {0}() RETURNS void LANGUAGE plpgsql "
                "SECURITY DEFINER SET search_path = pg_catalog, public AS $$ "
                "BEGIN LOCK TABLE public.motcua_events IN EXCLUSIVE MODE; END $$"
            ).format(sql.Identifier(LOCK_FUNCTION))
        )
        conn.execute(
            sql.SQL("REVOKE ALL ON FUNCTION {0}() FROM PUBLIC").format(
                sql.Identifier(LOCK_FUNCTION)
            )
        )
        conn.execute(
            sql.SQL("GRANT EXECUTE ON FUNCTION {0}() TO {1}").format(
                sql.Identifier(LOCK_FUNCTION), role
            )
        )
