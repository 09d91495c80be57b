"""LISTEN/NOTIFY wake-ups for followers of the PostgreSQL event log."""

from __future__ import annotations

import psycopg
from psycopg import sql


class PostgresWakeup:
    """Blocks until the event table's channel is notified or a timeout passes.

    A lost NOTIFY (eventsourcing issue #305) only delays the follower until the
    timeout, because the follower polls after every wake-up anyway.
    """

    def __init__(self, url: str, channel: str) -> None:
        self._url = url
        self._channel = channel
        self._connection: psycopg.Connection[tuple[object, ...]] | None = None

    def _connect(self) -> psycopg.Connection[tuple[object, ...]]:
        if self._connection is None or self._connection.closed:
            connection = psycopg.Connection.connect(self._url, autocommit=True)
            connection.execute(
                sql.SQL("LISTEN {}").format(sql.Identifier(self._channel))
            )
            self._connection = connection
        return self._connection

    def __call__(self, timeout: float) -> None:
        try:
            connection = self._connect()
            for _ in connection.notifies(timeout=timeout, stop_after=1):
                break
            # The follower reads everything new after waking: the notifies of
            # events committed meanwhile would each wake it again for nothing
            # (a pass that finds no event, before the next event's pass).
            for _ in connection.notifies(timeout=0.0):
                pass
        except psycopg.OperationalError:
            self.close()

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
