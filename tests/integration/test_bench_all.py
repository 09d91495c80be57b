"""``motcua bench all --quick --json`` runs every registered bench and prints
every figure beside its same-run reference (no timing assertions)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from api.bench.lookup import QUERIES
from api.cli import bench
from api.cli.bench import served_settings
from api.cli.main import app as cli
from tests.services import PostgresServer


def check_figure(figure: dict[str, object]) -> None:
    app, reference = float(figure["app"]), float(figure["reference"])  # type: ignore[arg-type]
    assert app > 0
    assert reference > 0
    assert 0 < float(figure["p50Ms"]) <= float(figure["p99Ms"])  # type: ignore[arg-type]
    assert 0 < float(figure["referenceP50Ms"]) <= float(figure["referenceP99Ms"])  # type: ignore[arg-type]
    assert figure["failures"] == 0


@pytest.mark.postgres
def test_all_quick_prints_every_figure_with_its_reference(
    postgres_server: PostgresServer,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
    env["MOTCUA_DATABASE_URL"] = postgres_server.url
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "bench", "all", "--quick", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    reports = json.loads(done.stdout)
    assert [r["name"] for r in reports] == list(bench.BENCHES)
    for report in reports:
        assert report["app"] > 0
        assert report["reference"] > 0
        assert report["ratio"] > 0
        assert report["rounds"]
        assert report["unit"]
        assert report["notes"]
    lookup = next(r for r in reports if r["name"] == "lookup")
    shown = {(f["query"], f["connections"]) for f in lookup["figures"]}
    assert shown == {(q.name, c) for q in QUERIES for c in (8, 32)}
    for figure in lookup["figures"]:
        check_figure(figure)
        assert figure["ratio"] == pytest.approx(
            figure["app"] / figure["reference"], rel=1e-2
        )


def test_lookup_without_wrk_says_how_to_install_it() -> None:
    outcome = CliRunner().invoke(
        cli, ["bench", "lookup", "--quick"], env={"PATH": "/nonexistent"}
    )
    assert outcome.exit_code == 2
    assert "apt-get install wrk" in outcome.output


@pytest.mark.parametrize(
    ("pair", "said"),
    [
        ("NOPE=1", "known MOTCUA_* setting"),
        ("GRAPHQL_FAST_PATH", "NAME=VALUE"),
        ("MOTCUA_GRAPHQL_FAST_PATH=maybe", "MOTCUA_GRAPHQL_FAST_PATH"),
        ("LOOKUP_RATE_LIMIT=0", "MOTCUA_LOOKUP_RATE_LIMIT"),
    ],
)
def test_lookup_settings_are_checked_against_the_table(pair: str, said: str) -> None:
    outcome = CliRunner().invoke(cli, ["bench", "lookup", "--quick", "--set", pair])
    assert outcome.exit_code == 2
    assert said in outcome.output


def test_lookup_settings_reach_the_served_product() -> None:
    assert served_settings(["MOTCUA_GRAPHQL_FAST_PATH=n", "WORKERS=2"]) == {
        "GRAPHQL_FAST_PATH": "n",
        "WORKERS": "2",
    }


@pytest.mark.parametrize("rate", ["-1", "10001", "nan", "many"])
def test_a_write_rate_out_of_range_is_refused(rate: str) -> None:
    outcome = CliRunner().invoke(
        cli, ["bench", "lookup", "--quick", "--writes-per-second", rate]
    )
    assert outcome.exit_code == 2
    assert "writes-per-second" in outcome.output
