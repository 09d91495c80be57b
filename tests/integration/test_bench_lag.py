"""``motcua bench lag`` runs the production topology end to end and reports sane
percentiles (not a timed test: no bound on the figures themselves)."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.bench.lag import LagRound, run_lag_benchmark
from api.bench.lag_stages import STAGES, Batch, Sighting, freshness_ms, trace
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
    assert f"alone: {report.reference:.1f} ms median" in report.notes[4]
    found = re.match(r"p50 ([\d.]+) ms, p99 ([\d.]+) ms", report.notes[0])
    assert found is not None, report.notes
    p50, p99 = float(found.group(1)), float(found.group(2))
    assert 0 < p50 <= p99 == pytest.approx(report.app, abs=0.05)
    assert "never seen: 0" in report.notes[0]
    assert report.notes[4].startswith("120 forwards")
    joined = re.search(r"(\d+) commands joined", report.notes[1])
    assert joined is not None, report.notes
    assert int(joined.group(1)) >= 114  # nearly every command traced to its batch
    # A worker's own lookup cache may answer the old status only while its
    # last barrier through the change channel is younger than the bound
    # (MOTCUA_LOOKUP_LOCAL_CACHE_MS, 100 ms by default): a lookup sent later
    # than that after the commit never shows old data.
    stale = re.search(
        r"still showed the old status: (\d+), the latest ([\d.]+) ms", report.notes[1]
    )
    assert stale is not None, report.notes
    assert int(stale.group(1)) <= int(joined.group(1))
    assert float(stale.group(2)) <= 100.0
    assert all(stage in report.notes[3] for stage in STAGES)
    assert report.to_json()["name"] == "lag"
    assert BENCHES["lag"] is not None


@given(st.lists(st.floats(0, 10_000), min_size=1, max_size=300))
def test_percentiles_are_ordered_values_of_the_sample(lags: list[float]) -> None:
    sightings = [Sighting("d", 0.0, 1.0, 1.0 + lag / 1000, 1.0, None) for lag in lags]
    measured = LagRound(tuple(sightings), len(lags), 1.0)
    p50, p99 = measured.percentile(0.5), measured.percentile(0.99)
    assert p50 == pytest.approx(min(lags, key=lambda lag: abs(lag - p50)))
    assert p99 == pytest.approx(min(lags, key=lambda lag: abs(lag - p99)))
    lags = measured.lags_ms
    assert p50 in lags
    assert p99 in lags
    assert min(lags) <= p50 <= p99 <= max(lags)
    assert sum(lag <= p99 for lag in lags) >= 0.99 * len(lags)


def _batch(started: float, step: float, origin: str) -> Batch:
    return Batch(
        woke=None,
        started=started,
        selected=started + step,
        loaded=started + 2 * step,
        applied=started + 3 * step,
        published=started + 4 * step,
        committed=started + 5 * step,
        notifications=1,
        originators=(origin,),
    )


@given(
    st.floats(-0.005, 0.05),  # commit → batch start (may start before the return)
    st.floats(0.0001, 0.01),  # each stage of the batch
    st.floats(0.0, 0.02),  # the batch's commit → the probe that showed it sent
    st.floats(0.0005, 0.03),  # that probe's round trip
)
def test_a_command_splits_into_stages_that_add_up_to_what_the_prober_saw(
    wait: float, step: float, after: float, lookup: float
) -> None:
    committed = 100.0
    batch = _batch(committed + wait, step, "d1")
    # A batch of the same dossier before the command (its reception) is not it.
    earlier = _batch(committed - 5.0, step, "d1")
    asked = batch.committed + after
    issued = min(committed, batch.started) - 0.001  # the batch read it after
    seen = Sighting("d1", issued, committed, asked + lookup, asked, None)
    (traced,) = trace([seen], [earlier, batch])
    raw = (seen.seen - committed) * 1000
    assert traced.total_ms == pytest.approx(raw)
    assert list(traced.stages) == list(STAGES)
    assert traced.visible_ms == pytest.approx((wait + 5 * step) * 1000)
    assert traced.consistent
    (fresh,) = freshness_ms([seen], [earlier, batch])
    assert fresh == pytest.approx(min(traced.visible_ms + lookup * 1000, raw))
    assert fresh <= raw + 1e-9


def test_a_command_without_its_batch_or_seen_stale_counts_as_the_prober_saw_it() -> (
    None
):
    batch = _batch(100.01, 0.002, "d1")
    untraced = Sighting("d2", 99.999, 100.0, 100.2, 100.15, None)
    stale = Sighting("d1", 99.999, 100.0, 100.2, 100.15, batch.committed + 0.05)
    lost = Sighting("d1", 99.999, 100.0, float("inf"), 100.15, None)
    assert freshness_ms([untraced, stale], [batch]) == pytest.approx([200.0, 200.0])
    assert [t.consistent for t in trace([stale], [batch])] == [False]
    assert trace([lost, untraced], [batch]) == []
