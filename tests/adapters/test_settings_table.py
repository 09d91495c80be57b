"""The settings table: every row parses its default and refuses bad values; unknown
variables are reported; the README table and the code's setting names match it."""

from __future__ import annotations

import contextlib
import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.settings import (
    KNOWN,
    VARIABLES,
    ConfigurationError,
    InvalidSettingError,
    Settings,
    Variable,
    markdown_table,
)
from application.options import OneStopOptions
from domain.deadline import Granularity

ROOT = Path(__file__).resolve().parents[2]
ROWS = pytest.mark.parametrize("variable", VARIABLES, ids=lambda v: v.name)


@ROWS
def test_every_row_parses_its_default(variable: Variable) -> None:
    if variable.default is not None:
        variable.parse(variable.default)
    settings_ = Settings()
    value = settings_.value(variable.name)
    assert (value is None) == (variable.default is None)


@ROWS
@pytest.mark.parametrize("raw", ["", "   ", "\x00", "x" * 5000, "a/" * 3000])
def test_every_row_refuses_garbage(variable: Variable, raw: str) -> None:
    refuse(variable, raw)


NUMERIC_OR_CHOICE = [
    v for v in VARIABLES if v.kind.values not in ("text", "directory", "file path")
]


@pytest.mark.parametrize("variable", NUMERIC_OR_CHOICE, ids=lambda v: v.name)
@pytest.mark.parametrize(
    "raw", ["1e999999999", "NaN", "-Infinity", "-1", "٣", "\udcff", "1" * 40]
)
def test_value_rows_refuse_numbers_tricks(variable: Variable, raw: str) -> None:
    refuse(variable, raw)


def refuse(variable: Variable, raw: str) -> None:
    with pytest.raises(InvalidSettingError) as refused:
        variable.parse(raw)
    assert variable.env_name in refused.value.message("vi")
    assert variable.env_name in refused.value.message("en")
    assert refused.value.message("vi") != refused.value.message("en")


@ROWS
@settings(max_examples=60, deadline=None)
@given(raw=st.text(max_size=80))
def test_any_text_is_a_value_or_a_clear_refusal(variable: Variable, raw: str) -> None:
    """Never another exception (no OverflowError, OSError, UnicodeError …)."""
    with contextlib.suppress(InvalidSettingError):
        variable.parse(raw)


INTEGER_ROWS = [v for v in VARIABLES if v.kind.values.startswith("integer")]


@pytest.mark.parametrize("variable", INTEGER_ROWS, ids=lambda v: v.name)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_integers_outside_the_range_are_refused(
    variable: Variable, data: st.DataObject
) -> None:
    low, high = (int(n) for n in re.findall(r"\d+", variable.kind.values))
    outside = data.draw(
        st.one_of(
            st.integers(max_value=low - 1),
            st.integers(min_value=high + 1),
        )
    )
    with pytest.raises(InvalidSettingError):
        variable.parse(str(outside))
    inside = data.draw(st.integers(min_value=low, max_value=high))
    assert variable.parse(str(inside)) == inside


FLAG_ROWS = [v for v in VARIABLES if v.kind.values == "`y` or `n`"]
FLAG_WORDS = {"y", "yes", "true", "t", "on", "1", "n", "no", "false", "f", "off", "0"}


@pytest.mark.parametrize("variable", FLAG_ROWS, ids=lambda v: v.name)
@settings(max_examples=40, deadline=None)
@given(raw=st.text(min_size=1, max_size=8))
def test_flags_take_only_yes_or_no_words(variable: Variable, raw: str) -> None:
    if raw.strip().lower() in FLAG_WORDS:
        assert variable.parse(raw) in (True, False)
    else:
        with pytest.raises(InvalidSettingError):
            variable.parse(raw)


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("LOOKUP_RATE_LIMIT", "0"),
        ("LOOKUP_RATE_LIMIT", "sixty"),
        ("LOOKUP_RATE_WINDOW", "99999999999999999999999"),
        ("DUE_AT_CLOSE_ROLLS_OVER", "maybe"),
        ("TIMELINESS_GRANULARITY", "Instant"),
        ("CROSS_BOUNDARY_CODE_UNIT", "receving"),
        ("CATALOGUE_CACHE_SECONDS", "1e3"),
        ("CATALOGUE_CACHE_SECONDS", "Infinity"),
        ("PROJECTOR", "embeded"),
        ("DATABASE_URL", "mysql://localhost/motcua"),
        ("DATABASE_URL", "postgresql://host:notaport/db"),
        ("DATABASE_URL", "postgresql:///nohost"),
        ("DATABASE_URL", "sqlite:///"),
        ("REDIS_URL", "localhost:6379"),
        ("JWT_JWKS_URL", "file:///etc/passwd"),
        ("JWT_PUBLIC_KEY_FILE", "/nonexistent/key.pem"),
        ("ENV", "prod"),
    ],
)
def test_bad_values_are_refused_at_start(name: str, raw: str) -> None:
    with pytest.raises(ConfigurationError) as refused:
        Settings.from_env({f"MOTCUA_{name}": raw})
    assert f"MOTCUA_{name}" in str(refused.value)
    assert f"MOTCUA_{name}" in refused.value.message("vi")


def test_a_password_is_not_echoed_in_the_message() -> None:
    with pytest.raises(ConfigurationError) as refused:
        Settings.from_env({"MOTCUA_DATABASE_URL": "postgresql://u:s3cret@h:99999/db"})
    assert "s3cret" not in refused.value.message("vi")
    assert "s3cret" not in refused.value.message("en")


def test_a_data_dir_under_a_regular_file_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigurationError, match="MOTCUA_DATA_DIR"):
        Settings.from_env({"MOTCUA_DATA_DIR": str(blocker / "var")})


def test_settings_built_in_code_are_validated_too() -> None:
    with pytest.raises(ConfigurationError, match="MOTCUA_LOOKUP_RATE_LIMIT"):
        Settings(options={"LOOKUP_RATE_LIMIT": "0"})
    with pytest.raises(ConfigurationError, match="MOTCUA_DATABASE_URL"):
        Settings(database_url="oracle://x")


def test_typed_values_and_defaults(tmp_path: Path) -> None:
    settings_ = Settings.from_env(
        {
            "MOTCUA_DATA_DIR": str(tmp_path),
            "MOTCUA_LOOKUP_RATE_LIMIT": "7",
            "MOTCUA_DUE_AT_CLOSE_ROLLS_OVER": "No",
            "MOTCUA_REDIS_URL": "",  # empty = unset
        }
    )
    assert settings_.value("LOOKUP_RATE_LIMIT") == 7
    assert settings_.value("LOOKUP_RATE_WINDOW") == 60
    assert settings_.value("DUE_AT_CLOSE_ROLLS_OVER") is False
    assert settings_.redis_url is None
    assert settings_.database_url == f"sqlite:///{tmp_path / 'motcua.db'}"
    assert settings_.options["LOOKUP_RATE_LIMIT"] == "7"  # existing callers


def test_single_round_trip_setting_reaches_the_recorder() -> None:
    url = "postgresql://u@localhost/db"
    on = Settings(database_url=url).eventsourcing_env()
    off = Settings(
        database_url=url, options={"POSTGRES_SINGLE_ROUND_TRIP": "n"}
    ).eventsourcing_env()
    assert "APPLICATION_RECORDER_TOPIC" in on
    assert "APPLICATION_RECORDER_TOPIC" not in off


def test_unknown_variables_are_reported_with_a_guess() -> None:
    settings_ = Settings.from_env(
        {"MOTCUA_LOOKUP_RATE_LIMT": "5", "MOTCUA_FROBNICATE": "1", "OTHER": "x"}
    )
    assert settings_.unknown == ("MOTCUA_FROBNICATE", "MOTCUA_LOOKUP_RATE_LIMT")
    guess, plain = sorted(settings_.warnings(), key=lambda w: "LIMT" not in w)
    assert "did you mean MOTCUA_LOOKUP_RATE_LIMIT?" in guess
    assert "có phải MOTCUA_LOOKUP_RATE_LIMIT?" in guess
    assert "MOTCUA_FROBNICATE" in plain
    assert "did you mean" not in plain
    # Still passed on, so a variable added elsewhere keeps working until its row.
    assert settings_.options["FROBNICATE"] == "1"


def test_the_readme_table_is_generated_from_the_settings_table() -> None:
    readme = (ROOT / "README.md").read_text()
    begin, end = "<!-- settings-table:begin -->\n", "<!-- settings-table:end -->"
    assert begin in readme
    assert end in readme
    documented = readme.split(begin, 1)[1].split(end, 1)[0]
    assert documented.strip() == markdown_table().strip(), (
        "README settings table is stale: regenerate it with "
        "`uv run python -m adapters.settings`"
    )


SETTING_USES = re.compile(
    r"""(?:options\.get|\.setting|\.flag|\.value)\(\s*["']([A-Z][A-Z0-9_]+)["']"""
)


def test_every_setting_the_code_reads_has_a_row() -> None:
    used: set[str] = set()
    for folder in ("domain", "application", "projections", "adapters", "api"):
        for source in (ROOT / folder).rglob("*.py"):
            used.update(SETTING_USES.findall(source.read_text()))
    assert used, "the pattern finds the settings the code reads"
    assert used - set(KNOWN) == set(), "add a row to adapters.settings.VARIABLES"


UNTYPED_READS = re.compile(
    r"""(?:options\.get\(|options\[|\.setting\(|\.flag\()\s*["'][A-Z][A-Z0-9_]+["']"""
    r"""|(?:environ\.get\(|getenv\()\s*["']MOTCUA_"""
    r"""|environ\[\s*["']MOTCUA_[A-Z0-9_]+["']\s*\](?!\s*=[^=])"""
)


def test_components_read_typed_values_only() -> None:
    """No component reads a setting by name with a default of its own (they
    would drift from the table): values come typed, from ``Settings.value``
    or an options object built from it."""
    found = []
    for folder in ("domain", "application", "projections", "adapters", "api"):
        for source in (ROOT / folder).rglob("*.py"):
            if source.name == "settings.py" and source.parent.name == "adapters":
                continue
            for line in source.read_text().splitlines():
                if UNTYPED_READS.search(line):
                    found.append(f"{source.relative_to(ROOT)}: {line.strip()}")
    assert found == []


def test_the_pattern_finds_an_untyped_read() -> None:
    assert UNTYPED_READS.search('x = settings.options.get("METRICS_TOKEN") or None')
    assert UNTYPED_READS.search('float(self.setting("CATALOGUE_CACHE_SECONDS", "1"))')
    assert UNTYPED_READS.search('os.environ.get("MOTCUA_WORKERS")')
    assert UNTYPED_READS.search('if os.environ["MOTCUA_WORKERS"] == "1":')
    assert not UNTYPED_READS.search('settings.value("METRICS_TOKEN")')
    assert not UNTYPED_READS.search('os.environ["MOTCUA_WORKERS"] = str(workers)')


def test_the_application_defaults_are_the_table_defaults() -> None:
    assert Settings().onestop_options() == OneStopOptions()


@settings(max_examples=30)
@given(
    granularity=st.sampled_from(["date", "instant"]),
    cutoff=st.integers(0, 80),
    unit=st.sampled_from(["competent", "receiving"]),
    saved=st.integers(0, 1_000_000),
    seconds=st.decimals(0, 3600, places=3),
)
def test_the_application_receives_the_environment_typed(
    granularity: str, cutoff: int, unit: str, saved: int, seconds: Decimal
) -> None:
    options = Settings.from_env(
        {
            "MOTCUA_TIMELINESS_GRANULARITY": granularity,
            "MOTCUA_APOLOGY_CUTOFF_HOURS": str(cutoff),
            "MOTCUA_CROSS_BOUNDARY_CODE_UNIT": unit,
            "MOTCUA_SAVED_DOSSIERS_CACHE": str(saved),
            "MOTCUA_CATALOGUE_CACHE_SECONDS": str(seconds),
        }
    ).onestop_options()
    assert options == OneStopOptions(
        granularity=Granularity(granularity),
        apology_cutoff_hours=cutoff,
        cross_boundary_code_unit=unit,  # type: ignore[arg-type]
        saved_dossiers_cache=saved,
        catalogue_cache_seconds=float(seconds),
    )


def test_our_settings_do_not_leak_into_the_library_environment() -> None:
    settings = Settings.from_env(
        {"MOTCUA_SAVED_DOSSIERS_CACHE": "0", "MOTCUA_METRICS_TOKEN": "x" * 20}
    )
    env = settings.eventsourcing_env()
    assert "SAVED_DOSSIERS_CACHE" not in env
    assert "METRICS_TOKEN" not in env
    assert env["PERSISTENCE_MODULE"]


def test_each_variable_has_one_row() -> None:
    names = [v.name for v in VARIABLES]
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"[A-Z][A-Z0-9_]*", n) for n in names)
    assert all(v.doc and "|" not in v.doc + v.kind.values for v in VARIABLES)
