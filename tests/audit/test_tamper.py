"""Edit history in a real database; verification names the exact event.

Each test tampers the way someone with database access would (triggers off,
then UPDATE/DELETE/INSERT on the event table) after the log was sealed and
a checkpoint signed, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest

from adapters.audit_keys import CheckpointVerifier, FileCheckpointSigner
from application.chain import GENESIS, event_hash, open_state, seal_state
from projections.audit_verify import VerifyReport, verify_log
from projections.seal import Sealer
from tests.factories import at, citizen, trace
from tests.projections.conftest import BACKENDS, Backend, database_url, open_backend
from tests.projections.support import populate


def uid(value: object) -> str:
    return str(UUID(str(value)))


@dataclass
class Log:
    """The event table of one backend, edited behind the application's back."""

    backend: Backend
    signer: FileCheckpointSigner

    @property
    def kind(self) -> str:
        return self.backend.kind

    def _sqlite(self) -> sqlite3.Connection:
        path = self.backend.url.removeprefix("sqlite:///")
        conn = sqlite3.connect(path, isolation_level=None)
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        ).fetchall():
            conn.execute(f"DROP TRIGGER {name}")
        return conn

    def run(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """As the database owner, with the append-only triggers out of the way."""
        if self.kind == "sqlite":
            query = query.replace("%s", "?")
            query = query.replace("motcua_events", "stored_events").replace(
                "notification_id", "rowid"
            )
            lite = self._sqlite()
            try:
                return lite.execute(query, params).fetchall()
            finally:
                lite.close()
        with psycopg.connect(self.backend.url, autocommit=True) as conn:
            conn.execute("SET session_replication_role = replica")
            cursor = conn.execute(query.encode(), params)
            return cursor.fetchall() if cursor.description else []

    def row(self, position: int) -> tuple[Any, ...]:
        (found,) = self.run(
            "SELECT notification_id, originator_id, originator_version, topic, state "
            "FROM motcua_events WHERE notification_id = %s",
            (position,),
        )
        return found

    def verify(self) -> VerifyReport:
        verifier = CheckpointVerifier(self.signer.public_pem())
        return verify_log(self.backend.app, self.backend.store, verifier)


@pytest.fixture(params=BACKENDS)
def log(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Log]:
    kind = str(request.param)
    backend = open_backend(kind, database_url(kind, request, tmp_path))
    try:
        populate(backend.app)
        signer = FileCheckpointSigner(tmp_path / "keys")
        sealer = Sealer(backend.app, backend.store, signer)
        sealer.catch_up()
        sealer.checkpoint()  # at the head (catch_up may have signed it already)
        yield Log(backend, signer)
    finally:
        backend.store.close()
        backend.app.close()


def middle(log: Log) -> int:
    """A dossier event with events of its own stream before and after it."""
    head = log.backend.app.recorder.max_notification_id() or 0
    rows = log.run(
        "SELECT notification_id, originator_id, originator_version FROM motcua_events "
        "WHERE topic LIKE %s ORDER BY notification_id",
        ("domain.dossier:%",),
    )
    versions: dict[str, int] = {}
    for _, originator, version in rows:
        versions[str(originator)] = max(versions.get(str(originator), 0), version)
    for position, originator, version in rows:
        if 1 < version < versions[str(originator)] and position < head - 3:
            return int(position)
    raise AssertionError("no event in the middle of a stream")


def test_an_untouched_log_verifies(log: Log) -> None:
    report = log.verify()
    assert report.ok, [f.describe() for f in report.findings]
    assert report.events == report.sealed > 50
    assert report.chained == report.events
    assert report.signed_position == log.backend.app.recorder.max_notification_id()


def test_one_changed_byte_is_named(log: Log) -> None:
    position = middle(log)
    _, originator, version, _, state = log.row(position)
    changed = bytearray(state)
    changed[-3] ^= 0x01
    log.run(
        "UPDATE motcua_events SET state = %s WHERE notification_id = %s",
        (bytes(changed), position),
    )
    report = log.verify()
    first = report.first
    assert first is not None
    assert (first.kind, first.position) == ("altered", position)
    assert (first.originator_id, first.version) == (uid(originator), version)


def test_a_consistently_rehashed_edit_is_still_named(log: Log) -> None:
    """The editor knows the hash scheme and fixes the event's own hash."""
    position = middle(log)
    _, originator, version, topic, state = log.row(position)
    envelope = open_state(bytes(state))
    assert envelope.prev is not None
    payload = envelope.payload.replace(b"8000", b"9000") + b" "
    own = event_hash(envelope.prev, originator, version, topic, payload)
    log.run(
        "UPDATE motcua_events SET state = %s WHERE notification_id = %s",
        (seal_state(envelope.prev, own, payload), position),
    )
    report = log.verify()
    first = report.first
    assert first is not None
    assert (first.kind, first.position, first.version) == ("altered", position, version)


def test_a_deleted_row_is_named(log: Log) -> None:
    position = middle(log)
    _, originator, version, _, _ = log.row(position)
    log.run("DELETE FROM motcua_events WHERE notification_id = %s", (position,))
    report = log.verify()
    first = report.first
    assert first is not None
    assert first.kind == "removed"
    assert (first.originator_id, first.version) == (uid(originator), version)
    assert first.position == position


def test_the_deleted_last_event_of_a_stream_is_named(log: Log) -> None:
    """Nothing after it in its stream: only the seal can tell."""
    head = log.backend.app.recorder.max_notification_id()
    assert head is not None
    _, originator, version, _, _ = log.row(head)
    log.run("DELETE FROM motcua_events WHERE notification_id = %s", (head,))
    first = log.verify().first
    assert first is not None
    assert (first.kind, first.position) == ("removed", head)
    assert (first.originator_id, first.version) == (uid(originator), version)


def test_two_swapped_rows_are_named(log: Log) -> None:
    first_position = middle(log)
    second_position = first_position + 1
    log.run(
        "UPDATE motcua_events SET notification_id = -1 WHERE notification_id = %s",
        (first_position,),
    )
    log.run(
        "UPDATE motcua_events SET notification_id = %s WHERE notification_id = %s",
        (first_position, second_position),
    )
    log.run(
        "UPDATE motcua_events SET notification_id = %s WHERE notification_id = -1",
        (second_position,),
    )
    report = log.verify()
    first = report.first
    assert first is not None, report
    assert first.kind == "reordered", [f.describe() for f in report.ordered()]
    assert first.position == first_position


def test_a_forged_event_without_the_chain_is_named(log: Log) -> None:
    position = middle(log)
    _, originator, _, topic, state = log.row(position)
    (last,) = log.run(
        "SELECT max(originator_version) FROM motcua_events WHERE originator_id = %s",
        (originator,),
    )
    forged = open_state(bytes(state)).payload
    log.run(
        "INSERT INTO motcua_events (originator_id, originator_version, topic, state) "
        "VALUES (%s, %s, %s, %s)",
        (originator, last[0] + 1, topic, forged),
    )
    head = log.backend.app.recorder.max_notification_id()
    first = log.verify().first
    assert first is not None
    assert (first.kind, first.position, first.version) == (
        "inserted",
        head,
        last[0] + 1,
    )


def test_a_forged_event_inside_the_sealed_range_is_named(log: Log) -> None:
    """Correctly chained to a new stream, but placed where nothing was sealed."""
    position = middle(log)
    _, originator, _, topic, state = log.row(position)
    log.run("DELETE FROM motcua_events WHERE notification_id = %s", (position,))
    payload = open_state(bytes(state)).payload
    forged = "6f0e3c1e-0000-4000-8000-000000000001"
    own = event_hash(GENESIS, forged, 1, topic, payload)
    log.run(
        "INSERT INTO motcua_events (notification_id, originator_id, "
        "originator_version, topic, state) VALUES (%s, %s, 1, %s, %s)",
        (position, forged, topic, seal_state(GENESIS, own, payload)),
    )
    report = log.verify()
    first = report.first
    assert first is not None
    assert first.position == position
    assert first.kind == "inserted"  # another event than the sealed one
    kinds = {(f.kind, f.originator_id) for f in report.findings}
    assert ("removed", uid(originator)) in kinds  # the stream lost its version


def test_a_rewritten_seal_is_caught_by_the_signed_checkpoint(log: Log) -> None:
    position = middle(log)
    log.run("DELETE FROM motcua_events WHERE notification_id = %s", (position,))
    if log.kind == "sqlite":
        log.run("DELETE FROM audit_seal WHERE position = ?", (position,))
    else:
        log.run("DELETE FROM audit_seal WHERE position = %s", (position,))
    report = log.verify()
    kinds = {f.kind for f in report.findings}
    assert "seal_altered" in kinds
    assert report.first is not None
    assert report.first.position is not None
    assert report.first.position <= position + 1


def test_a_checkpoint_signed_by_another_key_fails(log: Log, tmp_path: Path) -> None:
    other = FileCheckpointSigner(tmp_path / "other")
    report = verify_log(
        log.backend.app, log.backend.store, CheckpointVerifier(other.public_pem())
    )
    assert [f.kind for f in report.findings] == ["bad_signature"]


def test_old_unchained_events_still_load_and_the_chain_continues(
    tmp_path: Path,
) -> None:
    """Events stored before the chain (plain JSON) are read, linked and
    continued: the next event of an old stream chains onto their hashes."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    backend = open_backend("sqlite", url)
    try:
        scenario = populate(backend.app)
    finally:
        backend.app.close()
        backend.store.close()
    conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    ).fetchall():
        conn.execute(f"DROP TRIGGER {name}")
    for rowid, state in conn.execute("SELECT rowid, state FROM stored_events"):
        conn.execute(
            "UPDATE stored_events SET state = ? WHERE rowid = ?",
            (open_state(state).payload, rowid),
        )
    conn.execute("DELETE FROM stored_snapshots")
    conn.close()
    again = open_backend("sqlite", url)
    try:
        dossier = scenario["received"]
        before = again.app.get_dossier(dossier).version
        again.app.withdraw_dossier(dossier, trace=trace(citizen(), at(20)))
        (last,) = again.app.recorder.select_events(dossier, desc=True, limit=1)
        assert open_state(last.state).chained
        assert last.originator_version == before + 1
        report = verify_log(again.app, again.store)
        assert report.ok, [f.describe() for f in report.findings]
        assert report.chained == 1
    finally:
        again.app.close()
        again.store.close()


def test_cli_seal_and_verify(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from api.cli.main import app as cli

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    backend = open_backend("sqlite", url)
    try:
        populate(backend.app)
    finally:
        backend.app.close()
        backend.store.close()
    monkeypatch.setenv("MOTCUA_DATABASE_URL", url)
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    sealed = runner.invoke(cli, ["audit", "seal"])
    assert sealed.exit_code == 0, sealed.output
    intact = runner.invoke(cli, ["audit", "verify", "--json"])
    assert intact.exit_code == 0, intact.output
    conn = sqlite3.connect(tmp_path / "cli.db", isolation_level=None)
    conn.execute("DROP TRIGGER stored_events_append_only_delete")
    conn.execute("DELETE FROM stored_events WHERE rowid = 7")
    conn.close()
    broken = runner.invoke(cli, ["audit", "verify"])
    assert broken.exit_code == 1
    assert "removed event at position 7" in broken.stderr
    assert "vị trí 7" in broken.stderr
