"""``motcua bench write`` measures what it claims (no timing assertions)."""

from __future__ import annotations

import json
import os
import re
import statistics
from collections.abc import Iterator
from urllib.parse import urlsplit

import psycopg
import pytest
from typer.testing import CliRunner

from api.bench.catalogue import APPLICANT as BENCH_APPLICANT
from api.bench.report import BenchReport, RoundReport
from api.bench.write import (
    EVENTS_PER_DOSSIER,
    RAW_TABLE,
    WriteResult,
    run_write_benchmark,
)
from api.cli import bench
from api.cli.main import app as cli
from tests.services import PostgresServer

COMMANDS, ROUNDS, WARMUP = 12, 3, 2


@pytest.fixture(scope="module")
def kept(postgres_server: PostgresServer) -> Iterator[tuple[WriteResult, str]]:
    """One small run whose database is kept for inspection, then dropped."""
    result = run_write_benchmark(
        postgres_server.url,
        commands=COMMANDS,
        rounds=ROUNDS,
        warmup=WARMUP,
        keep_database=True,
    )
    assert result.database_url is not None
    try:
        yield result, result.database_url
    finally:
        postgres_server.drop_database(urlsplit(result.database_url).path.lstrip("/"))


def _scalar(url: str, query: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(query).fetchone()
    assert row is not None
    return int(row[0])


def test_rates_medians_and_ratio_are_consistent(
    kept: tuple[WriteResult, str],
) -> None:
    result, _ = kept
    assert len(result.rounds) == ROUNDS
    assert [r.order for r in result.rounds] == [
        "app,reference",
        "reference,app",
        "app,reference",
    ]
    for r in result.rounds:
        assert r.app_commands_per_second > 0
        assert r.reference_inserts_per_second > 0
        assert r.app_commands_per_second == pytest.approx(COMMANDS / r.app_seconds)
    assert result.app_median == statistics.median(
        r.app_commands_per_second for r in result.rounds
    )
    assert result.reference_median == statistics.median(
        r.reference_inserts_per_second for r in result.rounds
    )
    assert result.ratio == pytest.approx(result.app_median / result.reference_median)
    assert result.median_round_ratio == pytest.approx(
        statistics.median(r.ratio for r in result.rounds)
    )
    assert result.commands == result.inserts == COMMANDS
    assert result.state_bytes > 100


def test_the_application_wrote_two_dossier_events_per_dossier(
    kept: tuple[WriteResult, str],
) -> None:
    result, url = kept
    dossiers = WARMUP + ROUNDS * COMMANDS // 2
    assert result.dossiers == dossiers
    assert result.events_written == EVENTS_PER_DOSSIER * dossiers
    topics = "SELECT count(*) FROM motcua_events WHERE topic = 'domain.{}'"
    assert _scalar(url, topics.format("dossier:Dossier.ReceivedAtDesk")) == dossiers
    assert _scalar(url, topics.format("dossier:Dossier.Forwarded")) == dossiers
    assert _scalar(url, topics.format("dossier_code:DossierCode.Issued")) == dossiers
    forwarded_at_version_2 = _scalar(
        url,
        "SELECT count(*) FROM (SELECT originator_id FROM motcua_events "
        "WHERE topic LIKE 'domain.dossier:Dossier.%' GROUP BY originator_id "
        "HAVING count(*) = 2 AND max(originator_version) = 2) AS d",
    )
    assert forwarded_at_version_2 == dossiers
    catalogue = _scalar(
        url,
        "SELECT count(*) FROM motcua_events WHERE topic NOT LIKE 'domain.dossier%'",
    )
    total = _scalar(url, "SELECT count(*) FROM motcua_events")
    assert total - catalogue == result.events_written


def test_the_direct_path_seals_personal_data_as_the_product_does(
    kept: tuple[WriteResult, str],
) -> None:
    """The reference of ``--via graphql`` is the product's own path: the
    applicant is stored sealed (the served process has a subject key store)."""
    _, url = kept
    with psycopg.connect(url) as conn:
        states = [
            bytes(row[0])
            for row in conn.execute(
                "SELECT state FROM motcua_events "
                "WHERE topic = 'domain.dossier:Dossier.ReceivedAtDesk'"
            )
        ]
    assert states
    for state in states:
        assert b"pd:applicant" in state
        assert BENCH_APPLICANT.id.encode() not in state
        assert BENCH_APPLICANT.name.encode() not in state


def test_the_reference_inserted_one_row_per_command(
    kept: tuple[WriteResult, str],
) -> None:
    result, url = kept
    expected = 2 * WARMUP + ROUNDS * COMMANDS
    assert result.reference_rows == expected
    assert _scalar(url, f"SELECT count(*) FROM {RAW_TABLE}") == expected
    assert (
        _scalar(url, f"SELECT min(octet_length(state)) FROM {RAW_TABLE}")
        == result.state_bytes
    )


def test_the_report_has_the_bench_contract_keys(
    kept: tuple[WriteResult, str],
) -> None:
    body = kept[0].report().to_json()
    assert list(body) == [
        "name",
        "app",
        "reference",
        "ratio",
        "rounds",
        "unit",
        "notes",
    ]
    assert body["name"] == "write"
    assert len(body["rounds"]) == ROUNDS
    assert body["notes"]


def test_scratch_databases_are_dropped(postgres_server: PostgresServer) -> None:
    def bench_databases() -> int:
        return _scalar(
            postgres_server.url,
            "SELECT count(*) FROM pg_database WHERE datname LIKE 'motcua_bench_%'",
        )

    before = bench_databases()
    run_write_benchmark(postgres_server.url, commands=2, rounds=1, warmup=0)
    assert bench_databases() == before


def test_odd_command_counts_are_refused(postgres_server: PostgresServer) -> None:
    with pytest.raises(ValueError, match="even"):
        run_write_benchmark(postgres_server.url, commands=3, rounds=1)


def test_cli_write_prints_json_for_the_given_server(
    postgres_server: PostgresServer,
) -> None:
    outcome = CliRunner().invoke(
        cli,
        ["bench", "write", "--json", "--commands", "4", "--rounds", "2"],
        env={"MOTCUA_DATABASE_URL": postgres_server.url},
    )
    assert outcome.exit_code == 0, outcome.output
    body = json.loads(outcome.stdout)
    assert body["name"] == "write"
    assert len(body["rounds"]) == 2
    assert body["ratio"] == pytest.approx(body["app"] / body["reference"], rel=1e-3)
    assert any("given server" in note for note in body["notes"])


def test_cli_all_runs_every_registered_bench(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bench.BenchOptions] = []

    def fake(options: bench.BenchOptions) -> BenchReport:
        seen.append(options)
        return BenchReport("fake", 2.0, 4.0, 0.5, (RoundReport(2.0, 4.0),), "x/s")

    monkeypatch.setattr(bench, "BENCHES", {"fake": fake, "again": fake})
    outcome = CliRunner().invoke(
        cli,
        ["bench", "all", "--quick", "--json"],
        env={"MOTCUA_DATABASE_URL": "sqlite:///ignored.db"},
    )
    assert outcome.exit_code == 0, outcome.output
    assert [b["name"] for b in json.loads(outcome.stdout)] == ["fake", "fake"]
    assert all(o.quick and o.database_url is None for o in seen)
    assert len(seen) == 2


def test_concurrent_writers_write_every_dossier_once_and_share_transactions(
    postgres_server: PostgresServer,
) -> None:
    result = run_write_benchmark(
        postgres_server.url, commands=40, rounds=2, warmup=4, writers=4
    )
    dossiers = 4 + 2 * 20
    assert result.dossiers == dossiers
    assert result.events_written == EVENTS_PER_DOSSIER * dossiers
    assert result.reference_rows == 2 * 4 + 2 * 40
    assert any(note.startswith("writers: 4 concurrent") for note in result.notes)
    (shared,) = [n for n in result.notes if "timed rounds: 80 commands in" in n]
    transactions = int(shared.split(" commands in ")[1].split()[0])
    assert 1 <= transactions <= 80, shared


def test_one_writer_writes_one_transaction_per_command(
    kept: tuple[WriteResult, str],
) -> None:
    """Counted from the events table (rows of a transaction share ``xmin``)."""
    result, _ = kept
    commands = COMMANDS * ROUNDS
    assert any(
        f"timed rounds: {commands} commands in {commands} transactions" in note
        for note in result.notes
    ), result.notes


def test_cli_write_via_graphql_drives_a_served_process(
    postgres_server: PostgresServer,
) -> None:
    outcome = CliRunner().invoke(
        cli,
        [
            *("bench", "write", "--via", "graphql", "--json"),
            *("--commands", "30", "--rounds", "2", "--writers", "2"),
            *("--api-workers", "2"),
        ],
        env={"MOTCUA_DATABASE_URL": postgres_server.url},
    )
    assert outcome.exit_code == 0, outcome.output
    body = json.loads(outcome.stdout)
    assert body["name"] == "write-graphql"
    assert [r["order"] for r in body["rounds"]] == ["graphql,direct", "direct,graphql"]
    assert body["ratio"] == pytest.approx(body["app"] / body["reference"], rel=1e-3)
    assert any("load generator CPU" in note for note in body["notes"])
    assert any("serve --workers 2" in note for note in body["notes"])
    (counted,) = [n for n in body["notes"] if "mutations in" in n]
    transactions = int(counted.split(" mutations in ")[1].split()[0])
    assert 1 <= transactions <= 60, counted
    (cpu,) = [n for n in body["notes"] if n.startswith("CPU per command")]
    found = re.search(
        r"serve process (\d+) µs per mutation \(event-loop threads (\d+) µs\), "
        r"direct path (\d+)",
        cpu,
    )
    assert found is not None, cpu
    serve, loop, direct = (int(spent) for spent in found.groups())
    assert serve > 0, cpu
    assert direct > 0, cpu
    # Process and thread CPU are counted in clock ticks, each rounded on its
    # own: a tick per process (serve + 2 workers) spread over a round's 30.
    tick_us = 1e6 / os.sysconf("SC_CLK_TCK")
    assert 0 <= loop <= serve + 3 * tick_us / 30, cpu


def test_cli_write_via_graphql_passes_settings_to_the_served_product(
    postgres_server: PostgresServer,
) -> None:
    outcome = CliRunner().invoke(
        cli,
        [
            *("bench", "write", "--via", "graphql", "--json"),
            *("--commands", "4", "--rounds", "1", "--set", "GRAPHQL_FAST_PATH=n"),
        ],
        env={"MOTCUA_DATABASE_URL": postgres_server.url},
    )
    assert outcome.exit_code == 0, outcome.output
    notes = json.loads(outcome.stdout)["notes"]
    assert any("MOTCUA_GRAPHQL_FAST_PATH=n" in note for note in notes), notes


@pytest.mark.parametrize(
    "arguments",
    [
        ["--via", "rest"],
        ["--writers", "0"],
        ["--writers", "257"],
        ["--api-workers", "2"],
        ["--via", "graphql", "--api-workers", "0"],
        ["--set", "GRAPHQL_FAST_PATH=n"],
        ["--via", "graphql", "--set", "NO_SUCH_SETTING=1"],
        ["--via", "graphql", "--set", "GRAPHQL_FAST_PATH"],
    ],
)
def test_cli_write_refuses_bad_options(arguments: list[str]) -> None:
    outcome = CliRunner().invoke(
        cli,
        ["bench", "write", *arguments],
        env={"MOTCUA_DATABASE_URL": "sqlite:///ignored.db"},
    )
    assert outcome.exit_code == 2, outcome.output


def test_one_writer_says_where_a_command_goes_from_a_profile(
    kept: tuple[WriteResult, str],
) -> None:
    """The split comes from cProfile over half the warm-up (one dossier of
    ``WARMUP`` = 2 commands), not from wrappers around the product."""
    result, _ = kept
    (note,) = [n for n in result.notes if n.startswith("profile (cProfile")]
    found = re.search(
        r"(\d+) commands .* (\d+) µs/command under the profiler = (\d+) writing "
        r"events .* \+ (\d+) reading events .* \+ (-?\d+) rest",
        note,
    )
    assert found is not None, note
    commands, total, write, read, rest = map(int, found.groups())
    assert commands == WARMUP // 2 * 2
    assert 0 < write < total
    assert read >= 0
    assert rest > 0
    assert abs(total - (write + read + rest)) <= 2
