"""The lookup and projection benchmarks run end to end and report sane numbers."""

from __future__ import annotations

import re

import pytest

from api.bench.lookup import QUERIES, Topology, run_lookup_benchmark
from api.bench.project import run_project_benchmark
from api.bench.report import BenchReport
from tests.services import PostgresServer


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
    def test_reports_every_query_beside_the_reference(self) -> None:
        report = run_lookup_benchmark(
            (Topology("sqlite", 1),), connections=(2, 4), seconds=1, rounds=1
        )
        assert_sane(report, 1)
        assert report.name == "lookup"
        shown = {(f.query, f.connections) for f in report.figures}
        assert shown == {(q.name, c) for q in QUERIES for c in (2, 4)}
        for figure in report.figures:
            assert figure.app > 0
            assert figure.reference > 0
            assert figure.ratio == pytest.approx(figure.app / figure.reference)
            assert 0 < figure.p50_ms <= figure.p99_ms
            assert figure.failures == 0
        assert report.to_json()["figures"][0]["p99Ms"] > 0


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
        # The memory check rebuilds a log grown by copies of its dossiers.
        grown = re.search(r"MiB rebuilding (\d+) events", report.notes[1])
        assert grown is not None
        assert int(grown.group(1)) > int(report.notes[0].split()[0])
