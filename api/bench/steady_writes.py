"""Officer commands at a steady rate, as its own process (``bench lookup --writes-per-second``).

``python -m api.bench.steady_writes '<json job>'`` opens ``connections``
keep-alive HTTP/1.1 connections (``http.client``, one thread each) to a served
motcua and sends GraphQL mutations on a fixed schedule: command *i* is due at
``start + i / rate`` (open loop: a late command is sent at once, none is
skipped, so the achieved rate shows when the server could not keep up). Each
dossier is one ``receiveDossier`` (paper, at the desk) then one
``forwardDossier`` of the code it returned; the dossiers go round the job's
``targets`` (applicant, procedure, receiving agency and department), so the
caller decides whose pages the writes reach.

It prints ``ready`` once connected, writes until its standard input is
closed, then prints one JSON line: commands acknowledged, failures, wall
seconds between the first due command and the stop, its own CPU seconds.
"""

from __future__ import annotations

import http.client
import itertools
import json
import sys
import threading
import time
from typing import Any

from api.bench.mutation_load import FORWARD, RECEIVE, GraphQLConnection, cpu_seconds


class _Schedule:
    """The due time of each next command, shared by the connections."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self.start = time.perf_counter()
        self._numbers = itertools.count()
        self._lock = threading.Lock()

    def wait_turn(self, stop: threading.Event) -> bool:
        """Sleep until this caller's command is due; ``False`` once stopped."""
        with self._lock:
            due = self.start + next(self._numbers) * self.interval
        return not stop.wait(max(0.0, due - time.perf_counter()))


class _Writer(GraphQLConnection, threading.Thread):
    def __init__(
        self,
        job: dict[str, Any],
        schedule: _Schedule,
        targets: itertools.cycle[dict[str, str]],
        stop: threading.Event,
    ) -> None:
        GraphQLConnection.__init__(self, job)
        threading.Thread.__init__(self, daemon=True)
        self.schedule = schedule
        self.targets = targets
        self.stop = stop
        self.acknowledged = 0
        self.failures: list[str] = []

    def command(self, query: str, variables: dict[str, Any], field: str) -> str | None:
        """The outcome's type name, or ``None`` (recorded as a failure)."""
        try:
            answer = self.post(query, variables)
        except (OSError, RuntimeError, http.client.HTTPException, ValueError) as error:
            self.failures.append(repr(error)[:300])
            self.conn.close()  # reconnects on the next request
            return None
        outcome = (answer.get("data") or {}).get(field) or {}
        name = outcome.get("__typename")
        if name not in ("DossierReceived", "DossierUpdated"):
            self.failures.append(json.dumps(answer)[:300])
            return None
        self.acknowledged += 1
        code = outcome.get("code")
        return str(code) if code else str(name)

    def run(self) -> None:
        while self.schedule.wait_turn(self.stop):
            target = next(self.targets)
            code = self.command(
                RECEIVE,
                {
                    "p": target["procedure"],
                    "id": target["applicant_id"],
                    "name": target["name"],
                },
                "receiveDossier",
            )
            if code is None or not self.schedule.wait_turn(self.stop):
                continue
            self.command(
                FORWARD,
                {"code": code, "to": target["to"], "dept": target["department"]},
                "forwardDossier",
            )


def main(job: dict[str, Any]) -> dict[str, Any]:
    rate = float(job["rate"])
    if rate <= 0:
        raise ValueError("rate must be > 0")
    stop = threading.Event()
    targets = itertools.cycle(job["targets"])
    schedule = _Schedule(rate)
    writers = [
        _Writer(job, schedule, targets, stop) for _ in range(job.get("connections", 4))
    ]
    for writer in writers:
        writer.conn.connect()
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    cpu = cpu_seconds()
    schedule.start = started = time.perf_counter()
    for writer in writers:
        writer.start()
    sys.stdin.read()  # until the caller closes it
    stop.set()
    elapsed = time.perf_counter() - started
    for writer in writers:
        writer.join(timeout=60)
    failures = [f for w in writers for f in w.failures]
    return {
        "seconds": elapsed,
        "commands": sum(w.acknowledged for w in writers),
        "failures": len(failures),
        "first_failure": failures[0] if failures else None,
        "cpu_seconds": cpu_seconds() - cpu,
    }


if __name__ == "__main__":
    sys.stdout.write(json.dumps(main(json.loads(sys.argv[1]))) + "\n")
