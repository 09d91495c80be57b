"""A batch's reads share round trips; the collector pauses only for a batch."""

from __future__ import annotations

import gc

import pytest

from projections.registry import all_projections
from projections.runtime import Projector
from tests.projections.conftest import Backend
from tests.projections.support import (
    Fault,
    InjectedCrashError,
    crashing_projections,
    populate,
)


def test_reads_sent_together_each_get_their_own_rows(backend: Backend) -> None:
    with backend.store.batch() as sql:
        sql.execute("CREATE TABLE t_reads (k TEXT PRIMARY KEY, v BIGINT NOT NULL)")
        sql.insert_rows(
            "INSERT INTO t_reads (k, v) VALUES (?, ?)",
            [(f"k{n}", n) for n in range(10)],
        )
        later = [
            sql.query_later("SELECT k, v FROM t_reads WHERE v >= ? ORDER BY v", (n,))
            for n in (7, 0, 9)
        ]
        maximum = sql.query_later("SELECT MAX(v) FROM t_reads")
        sql.execute("INSERT INTO t_reads (k, v) VALUES (?, ?)", ("late", 99))
        assert maximum() == [(9,)]  # as it was when the query was sent
        assert [rows() for rows in reversed(later)] == [
            [("k9", 9)],
            [(f"k{n}", n) for n in range(10)],
            [("k7", 7), ("k8", 8), ("k9", 9)],
        ]


def test_the_collector_runs_again_after_a_batch_even_one_that_failed(
    backend: Backend,
) -> None:
    populate(backend.app)
    assert gc.isenabled()
    failing = Projector(
        backend.app, backend.store, crashing_projections(Fault(at=3)), batch_size=25
    )
    with pytest.raises(InjectedCrashError):
        failing.catch_up()
    assert gc.isenabled()
    Projector(backend.app, backend.store, all_projections()).catch_up()
    assert gc.isenabled()
