"""kill -9 of the projector process in the middle of its catch-up loses nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date, datetime, timedelta, timezone

import pytest

from adapters.demo.seeding import seed_province
from adapters.demo.simulation import Simulation
from adapters.settings import Settings
from api.wiring import build_application, build_projector, build_read_store
from projections.rebuild import checksum, rebuild_many
from projections.registry import READ_MODELS

VN = timezone(timedelta(hours=7))


def start_projector(url: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "MOTCUA_DATABASE_URL": url,
        "MOTCUA_PROJECTOR_BATCH_SIZE": "5",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "api.cli", "projector"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.mark.postgres
class TestProjectorKill:
    def test_resumes_exactly_once_after_kill_minus_nine(
        self, postgres_url: str
    ) -> None:
        settings = Settings(database_url=postgres_url)
        app = build_application(settings)
        store = build_read_store(settings)
        try:
            seed_province(
                app, at=datetime(2026, 1, 2, 8, tzinfo=VN), years=range(2026, 2027)
            )
            # Enough events that a kill at a tenth lands mid-catch-up in
            # batches of 5 (~1,000 events): more only made the test slower.
            Simulation(app, seed=4, start=date(2026, 6, 1), end=date(2026, 8, 1)).run(
                50, lambda _: None
            )
            head = app.recorder.max_notification_id() or 0
            observer = build_projector(app, store)
            observer.setup()
            process = start_projector(postgres_url)
            deadline = time.monotonic() + 60
            while observer.position() < head // 10 and time.monotonic() < deadline:
                time.sleep(0.01)
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            killed_at = observer.position()
            assert 0 < killed_at < head, "the kill must land in the middle of catch-up"
            process = start_projector(postgres_url)
            try:
                assert observer.wait(head, timeout=60)
            finally:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=20)
            assert process.returncode == 0
            live = {
                name: checksum(store, model()) for name, model in READ_MODELS.items()
            }
            for name in READ_MODELS:
                rebuild_many(app, store, [name])
            rebuilt = {
                name: checksum(store, model()) for name, model in READ_MODELS.items()
            }
            assert live == rebuilt
        finally:
            store.close()
            app.close()
