"""``motcua integrator``: the event log to NATS JetStream (and the national portal)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import cast

from eventsourcing.postgres import PostgresApplicationRecorder

from adapters.integration.integrator import build_integrator
from adapters.readstore.listen import PostgresWakeup
from adapters.settings import Settings
from api.cli.common import application, fail
from api.wiring import build_read_store


def integrator() -> None:
    """Publish the event log to NATS JetStream (MOTCUA_NATS_URL) and sync dossiers
    to the national portal until interrupted; survives outages of either."""
    settings = Settings.from_env()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with application() as onestop:
        store = build_read_store(settings)
        wakeups: list[PostgresWakeup] = []
        try:
            running = build_integrator(settings, onestop, store)
            if not running.followers:
                raise fail(
                    "Không có gì để tích hợp: hãy đặt MOTCUA_NATS_URL hoặc "
                    "MOTCUA_DVCQG_URL / nothing to integrate: set MOTCUA_NATS_URL "
                    "or MOTCUA_DVCQG_URL"
                )

            def wakeup() -> Callable[[float], None] | None:
                if not settings.is_postgres:
                    return None
                recorder = cast("PostgresApplicationRecorder", onestop.recorder)
                bell = PostgresWakeup(settings.database_url, recorder.channel_name)
                wakeups.append(bell)
                return bell

            running.start(wakeup)
            while not stop.wait(1.0):
                pass
            running.close()
        finally:
            for bell in wakeups:
                bell.close()
            store.close()
