"""Daily code numbers from PostgreSQL: distinct under concurrency, never below
what is known taken, and a role that may not create the table still receives."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from urllib.parse import urlparse

import psycopg
import pytest
from eventsourcing.postgres import PostgresDatastore
from psycopg import sql

from adapters.code_numbers import TABLE, PostgresCodeNumbers

pytestmark = pytest.mark.postgres

DAY = date(2026, 3, 2)
UNIT = "000.00.00.H34"


def _datastore(
    url: str, user: str | None = None, password: str = ""
) -> PostgresDatastore:
    parts = urlparse(url)
    return PostgresDatastore(
        dbname=parts.path.strip("/"),
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=user or parts.username or "postgres",
        password=password or parts.password or "",
        pool_size=4,
        max_overflow=8,
    )


@pytest.fixture
def numbers(postgres_url: str) -> Iterator[PostgresCodeNumbers]:
    datastore = _datastore(postgres_url)
    try:
        yield PostgresCodeNumbers(datastore)
    finally:
        datastore.close()


def test_concurrent_claims_get_distinct_consecutive_numbers(
    numbers: PostgresCodeNumbers,
) -> None:
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda _: numbers.next_number(UNIT, DAY, 0), range(60)))
    assert sorted(got) == list(range(1, 61))
    # another unit, another day: their own sequences
    assert numbers.next_number("000.00.12.H34", DAY, 0) == 1
    assert numbers.next_number(UNIT, date(2026, 3, 3), 0) == 1


def test_a_number_is_never_at_or_below_the_floor(numbers: PostgresCodeNumbers) -> None:
    assert numbers.next_number(UNIT, DAY, 0) == 1
    # codes taken that the row does not know of (written before it existed,
    # or a lost increment after a crash): the caller's floor lifts it
    assert numbers.next_number(UNIT, DAY, 40) == 41
    assert numbers.next_number(UNIT, DAY, 0) == 42
    assert numbers.next_number(UNIT, DAY, 10) == 43


def test_a_role_that_may_not_create_the_table_guesses_as_before(
    postgres_url: str,
) -> None:
    role = f"nocreate_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(
            sql.SQL("CREATE ROLE {0} LOGIN PASSWORD 'pw'").format(sql.Identifier(role))
        )
        admin.execute(
            sql.SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC, {0}").format(
                sql.Identifier(role)
            )
        )
        admin.execute(
            sql.SQL("GRANT USAGE ON SCHEMA public TO {0}").format(sql.Identifier(role))
        )
    datastore = _datastore(postgres_url, role, "pw")
    try:
        numbers = PostgresCodeNumbers(datastore)
        assert numbers.next_number(UNIT, DAY, 6) == 7
        assert numbers.next_number(UNIT, DAY, 7) == 8
    finally:
        datastore.close()
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            found = admin.execute("SELECT to_regclass(%s)", (TABLE,)).fetchone()
            assert found is not None
            assert found[0] is None  # nothing was created
            admin.execute(sql.SQL("DROP OWNED BY {0}").format(sql.Identifier(role)))
            admin.execute(sql.SQL("DROP ROLE {0}").format(sql.Identifier(role)))
