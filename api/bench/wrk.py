"""``wrk`` (an external, non-Python HTTP load generator) driving POST requests.

A Lua script per request shape sets the method, JSON body and headers, and
prints the summary as one JSON line from wrk's ``done`` hook.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WRK_MISSING = (
    "Không tìm thấy wrk: cài bằng `apt-get install wrk` hoặc `make ensure-services` "
    "(wrk not found: install it with `apt-get install wrk` or `make ensure-services`)"
)


class WrkMissingError(RuntimeError):
    def __init__(self) -> None:
        super().__init__(WRK_MISSING)


def require_wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise WrkMissingError()
    return path


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    non_2xx: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def _lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string literal is a valid Lua string here


def script(body: dict[str, Any], token: str | None) -> str:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    lines = ['wrk.method = "POST"', f"wrk.body = {_lua_string(json.dumps(body))}"]
    lines += [
        f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items()
    ]
    lines.append(
        """
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\n{"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,' ..
    '"errors":%d,"non_2xx":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(99), e.connect + e.read + e.write + e.timeout, e.status))
end
"""
    )
    return "\n".join(lines)


def run_wrk(
    url: str,
    body: dict[str, Any],
    *,
    token: str | None,
    connections: int,
    seconds: float,
    threads: int = 1,
) -> WrkResult:
    binary = require_wrk()
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script(body, token))
        lua = Path(file.name)
    try:
        completed = subprocess.run(
            [
                binary,
                f"-t{min(threads, connections)}",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "10s",
                "-s",
                str(lua),
                url,
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=False,
        )
    finally:
        lua.unlink()
    summary = next(
        (
            line
            for line in completed.stdout.splitlines()
            if line.startswith('{"requests"')
        ),
        None,
    )
    if completed.returncode != 0 or summary is None:
        raise RuntimeError(
            f"wrk failed ({completed.returncode}): {completed.stderr[-500:]}"
            f"{completed.stdout[-500:]}"
        )
    values = json.loads(summary)
    return WrkResult(
        requests=values["requests"],
        seconds=values["duration_us"] / 1e6,
        p50_ms=values["p50_us"] / 1000,
        p99_ms=values["p99_us"] / 1000,
        errors=values["errors"],
        non_2xx=values["non_2xx"],
    )
