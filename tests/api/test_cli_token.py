"""``motcua token``: development JWTs from the local key."""

from __future__ import annotations

import stat
from pathlib import Path

import jwt
import pytest
from typer.testing import CliRunner

from adapters.keys import dev_key_path
from adapters.settings import Settings
from api.auth import AccessLevel, AuthSettings, Principal, TokenVerifier
from api.cli.main import app
from domain.values import Role

DEPARTMENT = "000.00.12.H34"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path))
    for name in ("ISSUER", "AUDIENCE", "JWKS_URL", "PUBLIC_KEY_FILE"):
        monkeypatch.delenv(f"MOTCUA_JWT_{name}", raising=False)
    return tmp_path


def run_token(*args: str) -> str:
    result = CliRunner().invoke(app, ["token", *args])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    return lines[0]


def verify(token: str) -> Principal:
    return TokenVerifier(AuthSettings.from_settings(Settings.from_env())).verify(token)


@pytest.mark.parametrize(
    ("args", "level", "subject", "agency"),
    [
        (["--role", "anonymous"], AccessLevel.ANONYMOUS, None, None),
        (
            ["--role", "citizen", "--subject", "012345678901"],
            AccessLevel.CITIZEN,
            "012345678901",
            None,
        ),
        (
            ["--role", "officer", "--agency", DEPARTMENT],
            AccessLevel.OFFICER,
            f"officer-{DEPARTMENT}",
            DEPARTMENT,
        ),
        (["--role", "monitor"], AccessLevel.MONITOR, "monitor", None),
        (
            ["--role", "reviewer", "--agency", "000.00.00.H34"],
            AccessLevel.REVIEWER,
            "reviewer",
            "000.00.00.H34",
        ),
    ],
)
def test_every_role_gets_a_token_the_verifier_accepts(
    data_dir: Path,
    args: list[str],
    level: AccessLevel,
    subject: str | None,
    agency: str | None,
) -> None:
    principal = verify(run_token(*args))
    assert (principal.level, principal.subject, principal.agency_code) == (
        level,
        subject,
        agency,
    )


def test_an_officer_gets_all_roles_by_default(data_dir: Path) -> None:
    principal = verify(run_token("--role", "officer", "--agency", DEPARTMENT))
    assert principal.roles == (Role.DESK, Role.SPECIALIST, Role.LEADER)


def test_officer_options_are_carried(data_dir: Path) -> None:
    token = run_token(
        "--role",
        "officer",
        "--agency",
        DEPARTMENT,
        "--subject",
        "nv.binh",
        "--department",
        "Phòng Hành chính",
        "--roles",
        "leader, desk",
        "--ttl-minutes",
        "5",
    )
    principal = verify(token)
    assert principal.subject == "nv.binh"
    assert principal.department == "Phòng Hành chính"
    assert principal.roles == (Role.LEADER, Role.DESK)
    payload = jwt.decode(token, options={"verify_signature": False})
    assert payload["exp"] - payload["iat"] == 300


def test_a_citizen_may_be_an_enterprise_with_eid_level_1(data_dir: Path) -> None:
    principal = verify(
        run_token(
            "--role", "citizen", "--subject", "0101234567-001", "--eid-level", "1"
        )
    )
    assert (principal.subject, principal.eid_level) == ("0101234567-001", 1)


def test_the_key_is_created_private_on_first_run_and_reused(data_dir: Path) -> None:
    key_file = dev_key_path(data_dir)
    assert not key_file.exists()
    first = run_token("--role", "monitor")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    content = key_file.read_bytes()
    second = run_token("--role", "monitor")
    assert key_file.read_bytes() == content
    kid = jwt.get_unverified_header(first)["kid"]
    assert jwt.get_unverified_header(second)["kid"] == kid
    assert verify(first).subject == verify(second).subject == "monitor"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "admin"], "--role"),
        (["--role", "citizen"], "--subject"),
        (["--role", "citizen", "--subject", "12345"], "12-digit"),
        (
            ["--role", "citizen", "--subject", "012345678901", "--eid-level", "3"],
            "1 or 2",
        ),
        (["--role", "officer"], "--agency"),
        (["--role", "officer", "--agency", "H34"], "QCVN 102"),
        (["--role", "officer", "--agency", DEPARTMENT, "--roles", "admin"], "--roles"),
        (["--role", "officer", "--agency", DEPARTMENT, "--roles", ""], "--roles"),
        (["--role", "officer", "--agency", DEPARTMENT, "--subject", " "], "--subject"),
        (["--role", "monitor", "--roles", "desk"], "--roles"),
        (["--role", "monitor", "--agency", "000.01.00.H34"], "QCVN 102"),
        (["--role", "anonymous", "--subject", "012345678901"], "anonymous"),
        (["--role", "monitor", "--ttl-minutes", "0"], "--ttl-minutes"),
        (["--role", "monitor", "--ttl-minutes", "-5"], "--ttl-minutes"),
        (["--role", "monitor", "--ttl-minutes", "99999999"], "--ttl-minutes"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(
    data_dir: Path, args: list[str], message: str
) -> None:
    result = CliRunner().invoke(app, ["token", *args])
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""
    assert not dev_key_path(data_dir).exists()


def test_a_corrupt_key_file_exits_2_with_a_bilingual_message(data_dir: Path) -> None:
    dev_key_path(data_dir).parent.mkdir(parents=True)
    dev_key_path(data_dir).write_text("garbage")
    result = CliRunner().invoke(app, ["token", "--role", "monitor"])
    assert result.exit_code == 2
    assert "Cấu hình không hợp lệ" in result.stderr
    assert "Invalid configuration" in result.stderr
