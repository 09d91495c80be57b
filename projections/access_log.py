"""Who opened a dossier: the access log table and the citizen's view of it.

Rows come from the API's spool files (api/access_log.py), each keyed by its
spool file and byte offset, so a spool drained twice adds nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from projections.base import local_time
from projections.ports import ReadStore, Sql
from projections.seal import exists, sqlite_append_only

ACCESS_LOG = "audit_access_log"


def ensure_access_log(sql: Sql) -> None:
    if exists(sql, f"ix_{ACCESS_LOG}_dossier"):
        return
    sql.execute(
        f"CREATE TABLE IF NOT EXISTS {ACCESS_LOG} (spool TEXT NOT NULL, "
        "spool_offset BIGINT NOT NULL, dossier_id TEXT NOT NULL, at TEXT NOT NULL, "
        "actor_id TEXT NOT NULL, role TEXT NOT NULL, agency_code TEXT, "
        "department TEXT, purpose TEXT NOT NULL, PRIMARY KEY (spool, spool_offset))"
    )
    sql.execute(
        f"CREATE INDEX IF NOT EXISTS ix_{ACCESS_LOG}_dossier "
        f"ON {ACCESS_LOG} (dossier_id, at)"
    )
    if sql.dialect == "sqlite":
        for statement in sqlite_append_only(ACCESS_LOG):
            sql.execute(statement)


def insert_accesses(sql: Sql, rows: Sequence[Sequence[Any]]) -> None:
    sql.insert_rows(
        f"INSERT INTO {ACCESS_LOG} (spool, spool_offset, dossier_id, at, actor_id, "
        "role, agency_code, department, purpose) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT DO NOTHING",
        rows,
    )


@dataclass(frozen=True)
class AccessEntry:
    at: datetime
    actor_id: str
    role: str
    agency_code: str | None
    department: str | None
    purpose: str


class AccessLogView:
    def __init__(self, store: ReadStore) -> None:
        self.store = store
        with store.transaction() as sql:
            ensure_access_log(sql)

    def for_dossier(self, dossier_id: str, limit: int = 200) -> list[AccessEntry]:
        rows = self.store.query(
            f"SELECT at, actor_id, role, agency_code, department, purpose "
            f"FROM {ACCESS_LOG} WHERE dossier_id = ? ORDER BY at DESC, spool_offset "
            f"LIMIT {int(limit)}",
            (dossier_id,),
        )
        return [
            AccessEntry(
                local_time(str(r[0])), str(r[1]), str(r[2]), r[3], r[4], str(r[5])
            )
            for r in rows
        ]
