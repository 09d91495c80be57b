"""``motcua bench indicators``: every query figure beside its same-run reference,
and the projection's rebuild beside a raw scan (no timing assertions)."""

from __future__ import annotations

import pytest

from api.bench.indicators import GROUPINGS, run_indicators_benchmark
from tests.services import PostgresServer


@pytest.mark.postgres
def test_every_query_has_its_reference_and_latencies(
    postgres_server: PostgresServer,
) -> None:
    report = run_indicators_benchmark(
        postgres_server.url, simulated=30, dossiers=2_000, rounds=1, samples=3
    )
    assert report.name == "indicators"
    names = [f.query for f in report.figures]
    assert names == [
        f"province-{period}/{g.value}"
        for period in ("quarter", "month")
        for g in GROUPINGS
    ]
    for figure in report.figures:
        assert figure.app > 0
        assert figure.reference > 0
        assert 0 < figure.p50_ms <= figure.p99_ms
        assert 0 < figure.reference_p50_ms <= figure.reference_p99_ms
        assert figure.ratio == pytest.approx(figure.app / figure.reference)
    assert report.ratio == pytest.approx(report.app / report.reference)
    assert any("2000 dossiers" in note for note in report.notes)
    assert any("projection rebuild" in note for note in report.notes)
