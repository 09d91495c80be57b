"""``motcua serve`` refuses ports it cannot use before starting: one clear line."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.services import find_free_port


def serve(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
    environment |= {"MOTCUA_DATA_DIR": str(tmp_path), **env}
    return subprocess.run(
        [sys.executable, "-m", "api.cli", "serve", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_port_in_use_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = serve(tmp_path, "--port", str(port))
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr + result.stdout
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize("host", ["999.0.0.1", "not a host"])
def test_a_bad_host_is_one_clear_line(tmp_path: Path, host: str) -> None:
    result = serve(tmp_path, "--host", host, "--port", str(find_free_port()))
    assert result.returncode == 2
    assert "cannot listen on" in result.stderr + result.stdout
    assert "Traceback" not in result.stderr + result.stdout


def test_the_metrics_port_must_differ_from_the_port(tmp_path: Path) -> None:
    port = str(find_free_port())
    result = serve(tmp_path, "--port", port, MOTCUA_METRICS_PORT=port)
    assert result.returncode == 2
    assert "must differ from --port" in result.stderr + result.stdout
    assert "Traceback" not in result.stderr + result.stdout
