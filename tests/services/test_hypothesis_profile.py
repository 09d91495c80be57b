"""``MOTCUA_HYPOTHESIS_PROFILE=thorough`` deepens every property test, also
those that name their own ``max_examples`` (which a plain profile cannot)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import HYPOTHESIS_PROFILE_ENV, THOROUGH_MIN_EXAMPLES

ROOT = Path(__file__).resolve().parents[2]
PAYLOAD = Path(__file__).with_name("profile_payload.py")


def _examples(tmp_path: Path, profile: str | None) -> dict[str, int]:
    out = tmp_path / f"calls-{profile}.json"
    env = {**os.environ, "SUITE_PAYLOAD_OUT": str(out)}
    env.pop(HYPOTHESIS_PROFILE_ENV, None)
    if profile is not None:
        env[HYPOTHESIS_PROFILE_ENV] = profile
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(PAYLOAD)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    calls: dict[str, int] = json.loads(out.read_text())
    return calls


def test_everyday_runs_run_the_written_sizes(tmp_path: Path) -> None:
    assert _examples(tmp_path, None) == {"given": 3, "machine": 2}


def test_thorough_profile_deepens_tests_with_their_own_sizes(tmp_path: Path) -> None:
    calls = _examples(tmp_path, "thorough")
    # Hypothesis stops early once a small strategy is exhausted, so only
    # the unbounded integers test must reach the floor.
    assert calls["given"] >= THOROUGH_MIN_EXAMPLES
    assert calls["machine"] > 2


def test_unknown_profile_is_a_usage_error(tmp_path: Path) -> None:
    env = {**os.environ, HYPOTHESIS_PROFILE_ENV: "thorogh"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(PAYLOAD)],
        cwd=ROOT,
        env={**env, "SUITE_PAYLOAD_OUT": str(tmp_path / "x")},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == pytest.ExitCode.USAGE_ERROR
    assert "thorogh" in result.stderr + result.stdout
