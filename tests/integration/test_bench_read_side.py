"""The lookup and projection benchmarks run end to end and report sane numbers."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time

import pytest

from api.bench.lookup import QUERIES, Topology, run_lookup_benchmark
from api.bench.processes import tree_cpu_seconds
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


BURN = """
import time
started = time.process_time()
while time.process_time() - started < 0.3:
    pass
print("burnt", flush=True)
time.sleep(60)
"""


def test_cpu_of_a_process_tree_counts_its_children() -> None:
    """The lookup bench's CPU per request reads ``motcua serve`` and its
    workers: a child's CPU counts for its parent's tree, not for a stranger's."""
    before = tree_cpu_seconds(os.getpid())
    child = subprocess.Popen(
        [sys.executable, "-c", BURN], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "burnt"
        # The child's own first: it may still burn a tick after printing, and
        # the tree read afterwards then includes at least what was read.
        its = tree_cpu_seconds(child.pid)
        mine = tree_cpu_seconds(os.getpid()) - before
    finally:
        child.kill()
        child.wait()

    assert its >= 0.25
    # Two reads subtracted: equal tick counts may differ in the last float bit.
    assert mine >= its - 1e-9
    assert tree_cpu_seconds(2**22 + 12345) == 0  # no such process
    started = time.process_time()
    assert tree_cpu_seconds(os.getpid()) >= started - 0.05


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
            # The served processes' CPU per request: more than nothing, and
            # less than the whole run's wall time spread over its requests.
            assert figure.cpu_us is not None
            assert 0 < figure.cpu_us < 1e6 / figure.app * 2 * 2  # 2 cores, slack
        assert report.to_json()["figures"][0]["p99Ms"] > 0
        assert report.to_json()["figures"][0]["cpuUsPerRequest"] > 0


def test_lookups_under_writes_report_the_hit_rate_and_the_write_rate() -> None:
    """``bench lookup --quick --writes-per-second 5`` (the command line, as a
    user runs it): a writer process sends officer commands while wrk reads,
    every authenticated figure carries the page cache's hit rate (below 1:
    the writes drop pages being read) and the rate the writer achieved."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "api.cli",
            "bench",
            "lookup",
            "--quick",
            "--writes-per-second",
            "5",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert any("writes: 5 officer commands/s" in note for note in report["notes"])
    figures = report["figures"]
    assert {f["query"] for f in figures} == {q.name for q in QUERIES}
    for figure in figures:
        assert figure["failures"] == 0
        assert figure["writeFailures"] == 0
        assert 0 < figure["writesPerSecond"] < 50
        if figure["who"] == "anonymous":
            assert "pageHitRate" not in figure
        else:
            assert 0 <= figure["pageHitRate"] <= 1
    rates = [f["pageHitRate"] for f in figures if "pageHitRate" in f]
    assert min(rates) < 1  # pages were dropped by the writes and rebuilt
    assert max(rates) > 0  # and reused in between


def test_without_writes_no_write_rate_is_reported() -> None:
    report = run_lookup_benchmark(
        (Topology("sqlite", 1),), connections=(2,), seconds=1, rounds=1
    )
    assert report.notes[-1] == "writes: none (read-only)"
    for figure in report.figures:
        assert figure.writes_per_second is None
        assert "writesPerSecond" not in figure.to_json()
        if figure.who != "anonymous":
            assert figure.hit_rate is not None
            assert 0 < figure.hit_rate <= 1


@pytest.mark.postgres
class TestProjectBenchmark:
    def test_rebuilds_every_read_model_from_the_same_log(
        self, postgres_server: PostgresServer
    ) -> None:
        report = run_project_benchmark(postgres_server.url, dossiers=15, rounds=1)
        assert_sane(report, 1)
        assert report.notes[0].split()[0].isdigit()
        assert int(report.notes[0].split()[0]) > 15
        (memory,) = [n for n in report.notes if "peak RSS" in n]
        # The memory check rebuilds a log grown by copies of its dossiers.
        grown = re.search(r"MiB rebuilding (\d+) events", memory)
        assert grown is not None
        assert int(grown.group(1)) > int(report.notes[0].split()[0])
