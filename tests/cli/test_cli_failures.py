"""No traceback for any input: every bad input class ends in a bilingual line.

Exit code 2 for bad input or configuration, 1 for runtime failures; ``--debug``
(or ``MOTCUA_DEBUG=y``) shows the traceback. Settings are validated before any
command runs, for every command of the CLI.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer._click import Command, Context
from typer.core import TyperGroup as Group
from typer.main import get_command
from typer.testing import CliRunner, Result

from api.cli.inputs import EARLIEST, LATEST
from api.cli.main import app
from tests.services import find_free_port

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()
ENOUGH = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(__import__("os").environ):
        if name.startswith("MOTCUA_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path))
    return tmp_path


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    return runner.invoke(app, list(args), env=env)


def assert_refused(result: Result, code: int = 2, *, names: str = "") -> None:
    """A clear bilingual refusal: the exit code, 'Lỗi' and 'Error', no traceback."""
    assert result.exit_code == code, result.output
    # An exception that escaped the CLI would be in result.exception, not printed.
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        result.exception
    )
    assert "Traceback" not in result.output
    assert "Lỗi" in result.output, result.output
    assert "Error" in result.output, result.output
    assert names in result.output


def command_paths() -> Iterator[list[str]]:
    """Through click's own listing (subcommands are loaded when named)."""

    def walk(command: Command, path: list[str]) -> Iterator[list[str]]:
        if not isinstance(command, Group):
            yield path
            return
        context = Context(command)
        for name in command.list_commands(context):
            child = command.get_command(context, name)
            assert child is not None, name
            yield from walk(child, [*path, name])

    yield from walk(get_command(app), [])


EVERY_COMMAND = sorted(command_paths())


def test_the_walk_finds_the_commands() -> None:
    assert ["serve"] in EVERY_COMMAND
    assert ["projector"] in EVERY_COMMAND
    assert ["dossier", "show"] in EVERY_COMMAND
    assert len(EVERY_COMMAND) >= 15


class TestSettingsAtStart:
    @pytest.mark.parametrize("path", EVERY_COMMAND, ids=" ".join)
    @pytest.mark.parametrize(
        ("name", "raw"),
        [("LOOKUP_RATE_LIMIT", "0"), ("DUE_AT_CLOSE_ROLLS_OVER", "maybe")],
    )
    def test_every_command_refuses_a_bad_setting(
        self, data_dir: Path, path: list[str], name: str, raw: str
    ) -> None:
        result = invoke(*path, env={f"MOTCUA_{name}": raw})
        assert_refused(result, names=f"MOTCUA_{name}")
        assert not (data_dir / "motcua.db").exists(), "nothing ran"

    def test_help_works_whatever_the_settings(self, data_dir: Path) -> None:
        result = invoke("demo", "--help", env={"MOTCUA_LOOKUP_RATE_LIMIT": "0"})
        assert result.exit_code == 0
        assert "--dossiers" in result.output

    def test_an_unknown_variable_is_a_warning_with_a_guess(
        self, data_dir: Path
    ) -> None:
        result = invoke(
            "token", "--role", "monitor", env={"MOTCUA_LOOKUP_RATE_LIMT": "5"}
        )
        assert result.exit_code == 0, result.output
        assert "did you mean MOTCUA_LOOKUP_RATE_LIMIT?" in result.stderr
        assert result.stdout.count(".") == 2  # still printed the JWT

    @pytest.mark.parametrize(
        ("name", "raw"),
        [
            ("DATABASE_URL", "mysql://localhost/motcua"),
            ("DATABASE_URL", "postgresql://u:pw@localhost:99999/db"),
            ("JWT_PUBLIC_KEY_FILE", "/nonexistent/key.pem"),
            ("TIMELINESS_GRANULARITY", "hour"),
            ("PROJECTOR_BATCH_SIZE", "1e999999999"),
        ],
    )
    def test_bad_urls_missing_files_and_misspelt_choices(
        self, data_dir: Path, name: str, raw: str
    ) -> None:
        assert_refused(invoke("dossier", "list", env={f"MOTCUA_{name}": raw}))

    def test_a_data_dir_that_cannot_be_a_directory(self, tmp_path: Path) -> None:
        blocker = tmp_path / "a-file"
        blocker.write_text("not a directory")
        result = invoke(
            "dossier", "list", env={"MOTCUA_DATA_DIR": str(blocker / "var")}
        )
        assert_refused(result, names="MOTCUA_DATA_DIR")


class TestRuntimeFailures:
    def test_an_unwritable_data_dir_is_a_runtime_failure(self, data_dir: Path) -> None:
        # /proc refuses new directories even to root.
        result = invoke(
            "token", "--role", "monitor", env={"MOTCUA_DATA_DIR": "/proc/motcua"}
        )
        assert_refused(result, code=1, names="/proc/motcua")
        assert "--debug" in result.output

    def test_debug_shows_the_traceback(self, data_dir: Path) -> None:
        env = {"MOTCUA_DATA_DIR": "/proc/motcua"}
        flagged = invoke("--debug", "token", "--role", "monitor", env=env)
        assert flagged.exit_code == 1
        assert "Traceback" in flagged.output
        by_env = invoke("token", "--role", "monitor", env={**env, "MOTCUA_DEBUG": "y"})
        assert by_env.exit_code == 1
        assert "Traceback" in by_env.output

    def test_postgresql_unreachable(self, data_dir: Path) -> None:
        url = f"postgresql://motcua:secret@127.0.0.1:{find_free_port()}/motcua"
        result = invoke(
            "dossier",
            "list",
            env={"MOTCUA_DATABASE_URL": url, "MOTCUA_POSTGRES_CONNECT_TIMEOUT": "2"},
        )
        assert_refused(result, code=1)
        assert "database" in result.output
        assert "secret" not in result.output


class TestBoundedOptions:
    @ENOUGH
    @given(
        days=st.one_of(
            st.integers(max_value=0), st.integers(min_value=3661, max_value=10**30)
        )
    )
    def test_demo_days(self, data_dir: Path, days: int) -> None:
        assert_refused(invoke("demo", "--days", str(days)), names="--days")
        assert not (data_dir / "motcua.db").exists()

    @ENOUGH
    @given(
        dossiers=st.one_of(st.integers(max_value=-1), st.integers(min_value=1_000_001))
    )
    def test_demo_dossiers(self, data_dir: Path, dossiers: int) -> None:
        assert_refused(invoke("demo", "--dossiers", str(dossiers)), names="--dossiers")

    @ENOUGH
    @given(limit=st.one_of(st.integers(max_value=0), st.integers(min_value=100_001)))
    def test_dossier_list_limit(self, data_dir: Path, limit: int) -> None:
        assert_refused(invoke("dossier", "list", "--limit", str(limit)))

    @ENOUGH
    @given(until=st.dates().filter(lambda d: not EARLIEST <= d <= LATEST))
    def test_demo_until_outside_the_window(self, data_dir: Path, until: object) -> None:
        assert_refused(invoke("demo", "--until", str(until)), names="--until")

    @pytest.mark.parametrize(
        "value", ["9999-12-31T16:00:00+07:00", "0001-01-01T00:00:00+00:00"]
    )
    def test_calendar_due_far_instants(self, data_dir: Path, value: str) -> None:
        result = invoke("calendar", "due", "--from", value, "--working-hours", "8")
        assert_refused(result, names="--from")

    @ENOUGH
    @given(
        when=st.datetimes(
            timezones=st.timezones() | st.just(timezone(timedelta(hours=7)))
        ).filter(lambda t: not EARLIEST <= t.date() <= LATEST)
    )
    def test_calendar_due_instants_outside_the_window(
        self, data_dir: Path, when: datetime
    ) -> None:
        result = invoke(
            "calendar", "due", "--from", when.isoformat(), "--working-hours", "8"
        )
        assert_refused(result, names="--from")

    @ENOUGH
    @given(when=st.datetimes(min_value=datetime(2001, 1, 1)))
    def test_calendar_due_needs_a_timezone(
        self, data_dir: Path, when: datetime
    ) -> None:
        result = invoke(
            "calendar", "due", "--from", when.isoformat(), "--working-hours", "8"
        )
        assert_refused(result, names="--from")

    @ENOUGH
    @given(text=st.text(max_size=40).filter(lambda s: "\x00" not in s))
    def test_calendar_due_malformed_times(self, data_dir: Path, text: str) -> None:
        result = invoke("calendar", "due", "--from", text, "--working-hours", "8")
        # A few generated strings are valid instants: those must succeed.
        if result.exit_code != 0:
            assert_refused(result)

    @ENOUGH
    @given(day=st.text(min_size=1, max_size=20).filter(lambda s: "\x00" not in s))
    def test_calendar_day_off_malformed_dates(self, data_dir: Path, day: str) -> None:
        result = invoke("calendar", "day-off", "--date", day, "--reason", "x")
        if result.exit_code != 0:
            assert_refused(result)

    @ENOUGH
    @given(ttl=st.one_of(st.integers(max_value=0), st.integers(min_value=10**6)))
    def test_token_ttl(self, data_dir: Path, ttl: int) -> None:
        result = invoke("token", "--role", "monitor", "--ttl-minutes", str(ttl))
        assert result.exit_code == 2
        assert "Traceback" not in result.output


def test_a_real_process_prints_one_line_and_no_traceback(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "MOTCUA_DATA_DIR": str(tmp_path)}
    for args, code in [
        (["demo", "--days", "999999999"], 2),
        (
            [
                "calendar",
                "due",
                "--from",
                "9999-12-31T16:00:00+07:00",
                "--working-hours",
                "8",
            ],
            2,
        ),
        (["token", "--role", "monitor"], 1),
    ]:
        run_env = {**env, "MOTCUA_DATA_DIR": "/proc/motcua"} if code == 1 else env
        done = subprocess.run(
            [sys.executable, "-m", "api.cli", *args],
            cwd=ROOT,
            env=run_env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == code, done.stderr
        assert "Traceback" not in done.stderr + done.stdout
        assert "Lỗi" in done.stderr
        assert "Error" in done.stderr


@pytest.mark.parametrize("command", [["serve", "--port", "1"], ["projector"]])
@pytest.mark.parametrize("broken", ["data-dir", "postgres"])
def test_servers_fail_at_start_with_one_line(
    tmp_path: Path, command: list[str], broken: str
) -> None:
    """Not a traceback logged from inside uvicorn's lifespan or the projector loop."""
    env = {"PATH": "/usr/bin:/bin", "MOTCUA_DATA_DIR": str(tmp_path)}
    if broken == "data-dir":
        env["MOTCUA_DATA_DIR"] = "/proc/motcua"
    else:
        port = find_free_port()
        env["MOTCUA_DATABASE_URL"] = f"postgresql://u:pw@127.0.0.1:{port}/motcua"
        env["MOTCUA_POSTGRES_CONNECT_TIMEOUT"] = "2"
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert "Error:" in done.stderr
    assert "Lỗi:" in done.stderr


def test_serve_warns_about_unknown_variables_and_refuses_bad_ones(
    tmp_path: Path,
) -> None:
    from tests.served import motcua_env, seeded_settings, served

    settings = seeded_settings(tmp_path / "d")
    with served(settings, extra_env={"MOTCUA_LOOKUP_RATE_LIMT": "5"}) as instance:
        assert "maxLag" in instance.readyz()
        output = instance.server.output()
    assert "did you mean MOTCUA_LOOKUP_RATE_LIMIT?" in output
    env = motcua_env(settings, {"MOTCUA_TIMELINESS_GRANULARITY": "instnat"})
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(find_free_port())],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "MOTCUA_TIMELINESS_GRANULARITY" in done.stderr
    assert "date, instant" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


@pytest.mark.parametrize("reason", ["", "   ", "x" * 1001, "a\x1b[2Jb", "\udcff"])
def test_a_day_off_reason_is_bounded_printable_text(
    data_dir: Path, reason: str
) -> None:
    result = invoke("calendar", "day-off", "--date", "2026-03-03", "--reason", reason)
    assert_refused(result, names="--reason")
    assert not (data_dir / "motcua.db").exists(), "refused before any write"
