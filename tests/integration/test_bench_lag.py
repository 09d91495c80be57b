"""``motcua bench lag`` runs the production topology end to end and reports sane
percentiles (not a timed test: no bound on the figures themselves)."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.bench.lag import LagRound, run_lag_benchmark
from api.cli.bench import BENCHES
from tests.services import PostgresServer


@pytest.mark.postgres
def test_reports_p50_and_p99_of_every_command(
    postgres_server: PostgresServer, redis_url: str
) -> None:
    report = run_lag_benchmark(
        postgres_server.url, rate=40, seconds=1.5, rounds=2, redis_url=redis_url
    )
    assert report.name == "lag"
    assert len(report.rounds) == 2
    assert 0 < report.reference <= report.app < math.inf
    assert report.ratio == pytest.approx(report.app / report.reference)
    assert f"alone: {report.reference:.1f} ms median" in report.notes[1]
    found = re.match(r"p50 ([\d.]+) ms, p99 ([\d.]+) ms", report.notes[0])
    assert found is not None, report.notes
    p50, p99 = float(found.group(1)), float(found.group(2))
    assert 0 < p50 <= p99 == pytest.approx(report.app, abs=0.05)
    assert "never seen: 0" in report.notes[0]
    assert report.notes[1].startswith("120 forwards")
    assert report.to_json()["name"] == "lag"
    assert BENCHES["lag"] is not None


@given(st.lists(st.floats(0, 10_000), min_size=1, max_size=300))
def test_percentiles_are_ordered_values_of_the_sample(lags: list[float]) -> None:
    measured = LagRound(tuple(lags), len(lags), 1.0)
    p50, p99 = measured.percentile(0.5), measured.percentile(0.99)
    assert p50 in lags
    assert p99 in lags
    assert min(lags) <= p50 <= p99 <= max(lags)
    assert sum(lag <= p99 for lag in lags) >= 0.99 * len(lags)
