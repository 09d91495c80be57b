"""The outbox to a real NATS JetStream: order, ids, outage, crash, duplicates."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.integration import envelope
from adapters.integration.integrator import run_in_thread
from adapters.integration.nats_outbox import NatsOutbox
from adapters.integration.outbox_options import OutboxOptions
from adapters.integration.positions import statuses
from adapters.readstore.sqlite import SQLiteReadStore
from adapters.settings import persistence_env
from application.onestop import OneStop
from tests.factories import receive, seed_catalogue
from tests.integration.nats_helpers import (
    fresh_province,
    stream_config,
    stream_messages,
)
from tests.services import TemporaryNats


@pytest.fixture
def app(tmp_path: Path) -> Iterator[OneStop]:
    application = OneStop(env=persistence_env(f"sqlite:///{tmp_path / 'e.db'}"))
    seed_catalogue(application)
    yield application
    application.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteReadStore]:
    read_store = SQLiteReadStore(str(tmp_path / "e.db"))
    yield read_store
    read_store.close()


def head(app: OneStop) -> int:
    return app.recorder.max_notification_id() or 0


def wait_for(condition: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def test_subjects_follow_the_contract() -> None:
    assert envelope.subject("H34", "domain.dossier:Dossier.Received") == (
        "motcua.H34.dossier.Received"
    )
    assert envelope.event_name("domain.agency:Agency.Registered") == (
        "agency",
        "Registered",
    )


def test_every_event_in_log_order_with_its_id(
    app: OneStop, store: SQLiteReadStore, nats_server: TemporaryNats
) -> None:
    province = fresh_province()
    for _ in range(3):
        receive(app)
    outbox = NatsOutbox(
        app, store, OutboxOptions(nats_server.url, province, batch_size=7)
    )
    stop = threading.Event()
    thread = run_in_thread(outbox, stop)
    try:
        wait_for(lambda: outbox.positions.position() == head(app))
    finally:
        stop.set()
        thread.join(10)
    got = stream_messages(nats_server.url, province)
    notifications = app.recorder.select_notifications(start=1, limit=10_000)
    assert [m.position for m in got] == [n.id for n in notifications]
    assert [m.msg_id for m in got] == [
        f"{n.originator_id}/{n.originator_version}" for n in notifications
    ]
    assert [m.subject for m in got] == [
        envelope.subject(province, n.topic) for n in notifications
    ]
    received = [m for m in got if m.subject.endswith(".dossier.ReceivedAtDesk")]
    assert len(received) == 3
    assert received[0].body["data"]["code"].startswith("000.00.00.H34-")
    config = stream_config(nats_server.url, province)
    assert config.subjects == [f"motcua.{province}.>"]
    assert config.duplicate_window == 7200


def test_a_crash_before_the_position_write_republishes_without_duplicates(
    app: OneStop, store: SQLiteReadStore, nats_server: TemporaryNats
) -> None:
    province = fresh_province()
    receive(app)
    options = OutboxOptions(nats_server.url, province)
    first = NatsOutbox(app, store, options)
    stop = threading.Event()
    thread = run_in_thread(first, stop)
    wait_for(lambda: first.positions.position() == head(app))
    stop.set()
    thread.join(10)
    count = len(stream_messages(nats_server.url, province))
    # The position write was lost: everything is published again.
    first.positions.reset(0)
    receive(app)
    again = NatsOutbox(app, store, options)
    stop = threading.Event()
    thread = run_in_thread(again, stop)
    try:
        wait_for(lambda: again.positions.position() == head(app))
    finally:
        stop.set()
        thread.join(10)
    got = stream_messages(nats_server.url, province)
    assert again.duplicates == count
    assert len(got) == head(app)
    assert len({m.msg_id for m in got}) == len(got)
    assert [m.position for m in got] == sorted(m.position for m in got)


def test_nats_down_keeps_a_backlog_and_catches_up_losing_nothing(
    app: OneStop, store: SQLiteReadStore
) -> None:
    province = fresh_province()
    with TemporaryNats() as server:
        outbox = NatsOutbox(
            app,
            store,
            OutboxOptions(server.url, province, batch_size=5, ack_timeout=1.0),
        )
        stop = threading.Event()
        thread = run_in_thread(outbox, stop)
        try:
            wait_for(lambda: outbox.positions.position() == head(app))
            writer_stop = threading.Event()

            def write() -> None:
                while not writer_stop.is_set():
                    receive(app)
                    time.sleep(0.01)

            writer = threading.Thread(target=write)
            writer.start()
            time.sleep(0.3)
            server._shutdown()  # NATS goes away mid-stream
            time.sleep(1.5)
            (status,) = statuses(store, head(app))
            assert status.name == "nats"
            assert status.error
            assert status.backlog > 0
            server._launch()  # same port, same JetStream directory
            time.sleep(0.5)
            writer_stop.set()
            writer.join(10)
            wait_for(lambda: outbox.positions.position() == head(app))
        finally:
            stop.set()
            thread.join(10)
        (status,) = statuses(store, head(app))
        assert status.backlog == 0
        assert status.error == ""
        got = stream_messages(server.url, province)
    notifications = app.recorder.select_notifications(start=1, limit=100_000)
    assert [m.position for m in got] == [n.id for n in notifications]
    assert len({m.msg_id for m in got}) == len(got)
