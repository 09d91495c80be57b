"""Who opened a dossier: the access log tables and the citizen's view of it.

Rows come from the API's spool files (api/access_log.py), each keyed by its
spool file and byte offset, so a spool drained twice adds nothing twice.

A read is one row of ``audit_access_read`` naming the *set* of dossiers it
showed (an officer's worklist page: twenty); the set's members are rows of
``audit_access_set``, written once per distinct set. A kept worklist page
read again and again thus adds one row per read, not one per dossier shown
(twenty times fewer rows to insert), and "who opened my dossier" finds every
read through the dossier's sets. ``audit_access_log`` (one row per dossier
and read) holds what was recorded before, and is still read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from projections.base import local_time
from projections.ports import ReadStore, Sql
from projections.seal import exists, sqlite_append_only

ACCESS_LOG = "audit_access_log"
ACCESS_READS = "audit_access_read"
ACCESS_SETS = "audit_access_set"


def ensure_access_log(sql: Sql) -> None:
    _ensure_rows_per_dossier(sql)
    if exists(sql, f"ix_{ACCESS_SETS}_dossier"):
        return
    sql.execute(
        f"CREATE TABLE IF NOT EXISTS {ACCESS_READS} (spool TEXT NOT NULL, "
        "spool_offset BIGINT NOT NULL, dossiers TEXT NOT NULL, at TEXT NOT NULL, "
        "actor_id TEXT NOT NULL, role TEXT NOT NULL, agency_code TEXT, "
        "department TEXT, purpose TEXT NOT NULL, PRIMARY KEY (spool, spool_offset))"
    )
    sql.execute(
        f"CREATE INDEX IF NOT EXISTS ix_{ACCESS_READS}_dossiers "
        f"ON {ACCESS_READS} (dossiers, at)"
    )
    sql.execute(
        f"CREATE TABLE IF NOT EXISTS {ACCESS_SETS} (dossiers TEXT NOT NULL, "
        "dossier_id TEXT NOT NULL, PRIMARY KEY (dossiers, dossier_id))"
    )
    sql.execute(
        f"CREATE INDEX IF NOT EXISTS ix_{ACCESS_SETS}_dossier "
        f"ON {ACCESS_SETS} (dossier_id)"
    )
    if sql.dialect == "sqlite":
        for table in (ACCESS_READS, ACCESS_SETS):
            for statement in sqlite_append_only(table):
                sql.execute(statement)


def _ensure_rows_per_dossier(sql: Sql) -> None:
    """The table of rows recorded before reads named sets (still read)."""
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


def dossier_set(dossier_ids: Iterable[str]) -> str:
    """The key of a set of dossiers: the same whatever their order."""
    joined = "\n".join(sorted(set(dossier_ids))).encode()
    return hashlib.blake2b(joined, digest_size=16).hexdigest()


def insert_reads(
    sql: Sql,
    reads: Sequence[Sequence[Any]],
    sets: Mapping[str, Sequence[str]],
) -> None:
    """``reads``: (spool, offset, set key, at, actor, role, agency, department,
    purpose); ``sets``: the members of each set key they name (written here
    unless known to be stored already)."""
    members = [(key, d) for key, ids in sets.items() for d in ids]
    if members:
        sql.insert_rows(
            f"INSERT INTO {ACCESS_SETS} (dossiers, dossier_id) VALUES (?, ?) "
            "ON CONFLICT DO NOTHING",
            members,
        )
    sql.insert_rows(
        f"INSERT INTO {ACCESS_READS} (spool, spool_offset, dossiers, at, actor_id, "
        "role, agency_code, department, purpose) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT DO NOTHING",
        reads,
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
        with store.schema() as sql:
            ensure_access_log(sql)

    def for_dossier(self, dossier_id: str, limit: int = 200) -> list[AccessEntry]:
        columns = "at, actor_id, role, agency_code, department, purpose, spool_offset"
        rows = self.store.query(
            f"SELECT {columns} FROM {ACCESS_LOG} WHERE dossier_id = ? "
            f"UNION ALL SELECT r.at, r.actor_id, r.role, r.agency_code, "
            f"r.department, r.purpose, r.spool_offset FROM {ACCESS_SETS} s "
            f"JOIN {ACCESS_READS} r ON r.dossiers = s.dossiers "
            f"WHERE s.dossier_id = ? ORDER BY 1 DESC, 7 LIMIT {int(limit)}",
            (dossier_id, dossier_id),
        )
        return [
            AccessEntry(
                local_time(str(r[0])), str(r[1]), str(r[2]), r[3], r[4], str(r[5])
            )
            for r in rows
        ]
