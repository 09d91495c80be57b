"""The lookup and projection benchmarks run end to end and report sane numbers."""

from __future__ import annotations

import pytest

from adapters.bench.report import BenchReport
from adapters.services.postgres import PostgresServer
from api.bench.lookup import run_lookup_benchmark
from api.bench.project import run_project_benchmark


def assert_sane(report: BenchReport, rounds: int) -> None:
    assert len(report.rounds) == rounds
    assert report.app > 0
    assert report.reference > 0
    assert all(r.app > 0 and r.reference > 0 for r in report.rounds)
    assert report.ratio == pytest.approx(
        sorted(r.ratio for r in report.rounds)[rounds // 2]
    )
    assert report.to_json()["name"] == report.name


class TestLookupBenchmark:
    def test_reports_both_sides_and_their_ratio(self) -> None:
        report = run_lookup_benchmark(requests=60, concurrency=4, rounds=3)
        assert_sane(report, 3)
        assert report.name == "lookup"


@pytest.mark.postgres
class TestProjectBenchmark:
    def test_rebuilds_every_read_model_from_the_same_log(
        self, postgres_server: PostgresServer
    ) -> None:
        report = run_project_benchmark(postgres_server.url, dossiers=15, rounds=1)
        assert_sane(report, 1)
        assert report.notes[0].split()[0].isdigit()
        assert int(report.notes[0].split()[0]) > 15
        assert "peak RSS" in report.notes[1]
