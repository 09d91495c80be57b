"""Rows of text, integers and NULLs go to PostgreSQL as one JSON document per
statement (``_PostgresSql.insert_rows``); what they store equals what the same
rows store as parameters, upserts included; other values keep the parameters;
a table made again is read again."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.readstore.postgres import PostgresReadStore
from projections.ports import Sql

pytestmark = pytest.mark.postgres

COLUMNS = "k TEXT NOT NULL, n BIGINT NOT NULL, i INTEGER, t TEXT, PRIMARY KEY (k, n)"

texts = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"),
    max_size=40,
)
rows_strategy = st.lists(
    st.tuples(
        texts,
        st.integers(-(2**63), 2**63 - 1),
        st.none() | st.integers(-(2**31), 2**31 - 1),
        st.none() | texts,
    ),
    min_size=2,
    max_size=60,
    unique_by=lambda row: (row[0], row[1]),
)


@pytest.fixture
def store(postgres_url: str) -> Iterator[PostgresReadStore]:
    opened = PostgresReadStore(postgres_url, max_size=2)
    try:
        with opened.transaction() as sql:
            sql.execute(f"CREATE TABLE as_json ({COLUMNS})")
            sql.execute(f"CREATE TABLE as_params ({COLUMNS})")
        yield opened
    finally:
        opened.close()


def _prepared(sql: Sql) -> list[str]:
    return [
        str(r[0]) for r in sql.query("SELECT statement FROM pg_prepared_statements")
    ]


def _all(sql: Sql, table: str) -> list[tuple[Any, ...]]:
    return sql.query(f"SELECT k, n, i, t FROM {table} ORDER BY k, n")


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(rows=rows_strategy, changed=st.data())
def test_rows_as_json_store_what_parameters_store(
    store: PostgresReadStore, rows: list[tuple[Any, ...]], changed: st.DataObject
) -> None:
    upsert = " ON CONFLICT (k, n) DO UPDATE SET i = excluded.i, t = excluded.t"
    again = [
        (k, n, changed.draw(st.none() | st.integers(0, 9)), changed.draw(texts))
        for k, n, _, _ in rows
    ]
    with store.batch() as sql:
        sql.execute("DELETE FROM as_json")
        sql.execute("DELETE FROM as_params")
        sql.insert_rows("INSERT INTO as_json (k, n, i, t) VALUES (?, ?, ?, ?)", rows)
        # No column list: the parameters' path, as before.
        sql.insert_rows("INSERT INTO as_params VALUES (?, ?, ?, ?)", rows)
        assert _all(sql, "as_json") == _all(sql, "as_params") == sorted(rows)
        sql.insert_rows(
            f"INSERT INTO as_json (k, n, i, t) VALUES (?, ?, ?, ?){upsert}", again
        )
        sql.insert_rows(f"INSERT INTO as_params VALUES (?, ?, ?, ?){upsert}", again)
        assert _all(sql, "as_json") == _all(sql, "as_params") == sorted(again)
        assert any("json_array_elements" in s for s in _prepared(sql))


def test_other_values_keep_the_parameters(store: PostgresReadStore) -> None:
    with store.transaction() as sql:
        sql.execute("CREATE TABLE mixed (k TEXT PRIMARY KEY, x DOUBLE PRECISION)")
        rows = [("a", 0.1), ("b", 1e300), ("c", None)]
        sql.insert_rows("INSERT INTO mixed (k, x) VALUES (?, ?)", rows)
        assert sql.query("SELECT k, x FROM mixed ORDER BY k") == rows
        assert not any("json_array_elements" in s for s in _prepared(sql))
        big = [
            ("d", 2**70),
            ("e", 1),
        ]  # beyond 64 bits: orjson refuses, params carry it
        sql.execute("CREATE TABLE wide (k TEXT PRIMARY KEY, n NUMERIC)")
        sql.insert_rows("INSERT INTO wide (k, n) VALUES (?, ?)", big)
        assert [
            (k, int(n)) for k, n in sql.query("SELECT k, n FROM wide ORDER BY k")
        ] == big


def test_a_table_made_again_is_read_again(store: PostgresReadStore) -> None:
    """Column types are kept per store; DDL through the store forgets them."""
    with store.transaction() as sql:
        sql.insert_rows(
            "INSERT INTO as_json (k, n) VALUES (?, ?)", [("a", 1), ("b", 2)]
        )
        sql.execute("DROP TABLE as_json")
        sql.execute("CREATE TABLE as_json (k TEXT, n TEXT)")
        sql.insert_rows(
            "INSERT INTO as_json (k, n) VALUES (?, ?)", [("a", "007"), ("b", "x")]
        )
        assert sql.query("SELECT k, n FROM as_json ORDER BY k") == [
            ("a", "007"),
            ("b", "x"),
        ]


def test_a_failing_statement_leaves_nothing_of_its_batch(
    store: PostgresReadStore,
) -> None:
    """One JSON statement fails whole (a NOT NULL violation in its last row)
    and the batch's transaction with it: nothing half-written."""
    rows = [("a", 1, 1, "x"), ("b", 2, None, None)]

    def batch() -> None:
        with store.batch() as sql:
            sql.insert_rows(
                "INSERT INTO as_params (k, n, i, t) VALUES (?, ?, ?, ?)", rows
            )
            sql.insert_rows(
                "INSERT INTO as_json (k, n, i, t) VALUES (?, ?, ?, ?)",
                [*rows, ("c", None, 3, "z")],
            )

    with pytest.raises(psycopg.errors.NotNullViolation):
        batch()
    with store.transaction() as sql:
        assert _all(sql, "as_json") == _all(sql, "as_params") == []
