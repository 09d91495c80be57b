"""Run by tests/services/test_lifetime.py in a pytest that it then kills with
SIGKILL: starts every kind of process the harness starts, writes their pids
to ``$SUITE_PAYLOAD_OUT`` and waits to be killed. Not collected on its
own (the name does not start with ``test_``)."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

from tests.served import seeded_settings, served
from tests.services import PostgresServer, TemporaryNats, TemporaryRedis


def test_wait_to_be_killed(
    tmp_path: Path,
    postgres_server: PostgresServer,
    redis_server: TemporaryRedis,
    nats_server: TemporaryNats,
) -> None:
    # A server started from a thread that then ends (benches do this).
    started: list[TemporaryRedis] = []
    thread = threading.Thread(target=lambda: started.append(TemporaryRedis().start()))
    thread.start()
    thread.join()
    settings = seeded_settings(tmp_path / "d")
    with served(settings, projector=True) as motcua:
        pids = {
            "postgres": getattr(postgres_server, "pid", None),
            "redis": redis_server.pid,
            "nats": nats_server.pid,
            "redis_from_thread": started[0].pid,
            "serve": motcua.server.popen.pid if motcua.server.popen else None,
            "projector": [p.popen.pid for p in motcua.others if p.popen],
        }
        out = Path(os.environ["SUITE_PAYLOAD_OUT"])
        out.with_suffix(".tmp").write_text(json.dumps(pids))
        out.with_suffix(".tmp").rename(out)
        time.sleep(600)
