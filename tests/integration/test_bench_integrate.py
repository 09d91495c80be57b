"""``motcua bench integrate`` runs end to end and reports both comparisons."""

from __future__ import annotations

import pytest

from adapters.services.postgres import PostgresServer
from api.bench.integrate import run_integrate_benchmark


@pytest.mark.postgres
def test_outbox_and_import_are_measured_beside_their_references(
    postgres_server: PostgresServer,
) -> None:
    report = run_integrate_benchmark(postgres_server.url, dossiers=12, rounds=1)
    assert report.name == "integrate"
    assert len(report.rounds) == 1
    assert report.app > 0
    assert report.reference > 0
    assert report.ratio == pytest.approx(report.app / report.reference)
    assert [f.query for f in report.figures] == [
        "outbox → JetStream",
        "legacy import vs COPY",
    ]
    assert all(f.app > 0 and f.reference > 0 for f in report.figures)
    events = int(report.notes[0].split()[0])
    assert events > 12
    with pytest.raises(ValueError, match="≥ 1"):
        run_integrate_benchmark(postgres_server.url, dossiers=0, rounds=1)
