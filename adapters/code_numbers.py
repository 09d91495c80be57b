"""Daily dossier-code numbers handed out by PostgreSQL, one per reception.

Several API processes receiving at one unit on one day each kept their own
idea of the last number (``application.codes.CodeAllocator``): they tried the
same numbers, and every collision cost a failed group transaction (the
whole group then saved one by one) and a search for the new last number —
4 API workers received at a quarter of one worker's rate. Here the next
number comes from one row per unit and day, raised atomically by an upsert,
so concurrent processes get distinct numbers in arrival order.

The row only hands numbers out; the ``DossierCode`` aggregate's primary key
still decides which code is taken, so uniqueness never rests on it. Its
increments are committed without waiting for the WAL flush: after a server
crash the row may be behind, and the next claim then collides once, finds
the last number taken and raises the row past it (the ``floor`` of every
call). A number whose reception failed is a gap, which R-02 allows.
"""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

import structlog
from eventsourcing.postgres import PostgresDatastore
from psycopg.errors import (
    DuplicateObject,
    DuplicateTable,
    InsufficientPrivilege,
    UniqueViolation,
)
from psycopg.sql import SQL, Identifier

TABLE = "motcua_code_numbers"
log = structlog.get_logger("code_numbers")


class PostgresCodeNumbers:
    def __init__(self, datastore: PostgresDatastore) -> None:
        self.datastore = datastore
        table = SQL("{0}.{1}").format(Identifier(datastore.schema), Identifier(TABLE))
        self._create = SQL(
            "CREATE TABLE IF NOT EXISTS {0} (unit text NOT NULL, day date NOT NULL, "
            "last integer NOT NULL, PRIMARY KEY (unit, day))"
        ).format(table)
        self._claim = SQL(
            "INSERT INTO {0} AS c (unit, day, last) VALUES (%s, %s, %s + 1) "
            "ON CONFLICT (unit, day) DO UPDATE "
            "SET last = GREATEST(c.last + 1, EXCLUDED.last) RETURNING last"
        ).format(table)
        self._ready = False
        self._unavailable = False
        self._creating = threading.Lock()

    def _create_table(self, conn: Any) -> bool:
        """Create the table once; ``False`` when this role may not."""
        if self._ready or self._unavailable:
            return self._ready
        try:
            conn.execute(self._create)
            conn.commit()
        except (UniqueViolation, DuplicateTable, DuplicateObject):
            # Another process created it at the same moment (IF NOT EXISTS
            # is not atomic in PostgreSQL's catalog).
            conn.rollback()
        except InsufficientPrivilege:
            # A role that may not create it: each process guesses from its
            # own last number, as before (collisions are still caught by the
            # code's primary key).
            conn.rollback()
            log.warning("code_numbers.unavailable", table=TABLE)
            self._unavailable = True
            return False
        self._ready = True
        return True

    def next_number(self, unit: str, day: date, floor: int) -> int:
        """A number above ``floor`` (the last one known taken) that no other
        call got for ``unit`` on ``day``."""
        if self._unavailable:
            return floor + 1
        with self.datastore.get_connection() as conn:
            if not self._ready:
                with self._creating:
                    created = self._create_table(conn)
                if not created:
                    return floor + 1
            # One round trip: BEGIN, SET LOCAL, the upsert and COMMIT pipelined.
            with conn.pipeline(), conn.transaction():
                conn.execute("SET LOCAL synchronous_commit = off")
                claimed = conn.execute(self._claim, (unit, day, floor))
            row: Any = claimed.fetchone()
        return int(row["last"])
