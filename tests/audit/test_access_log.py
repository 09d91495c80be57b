"""Reads of personal data are recorded, survive a killed API, and the citizen
sees who opened the dossier; reviewers reconstruct it as of a time."""

from __future__ import annotations

import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from threading import Barrier
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.readstore.postgres import PostgresReadStore
from api.access_log import AccessJournal
from api.auth import AccessLevel
from domain.values import Role
from projections.access_log import ACCESS_READS, ACCESS_SETS, AccessLogView
from tests.api.conftest import RECEIVE
from tests.factories import APPLICANT, BIRTH, PROVINCE
from tests.served import Served, seeded_settings, served

ACCESSES = (
    f"SELECT COUNT(*) FROM {ACCESS_READS} r JOIN {ACCESS_SETS} s "
    "ON s.dossiers = r.dossiers"
)
"""(read, dossier) pairs recorded: one per dossier each read showed."""

OFFICER_DOSSIER = """
query Q($code: String!) { officerDossier(code: $code) { code applicantName } }
"""
OPENED_BY = """
query Q($code: String!) { dossier(code: $code) { code
  openedBy { at officerId role agencyCode purpose } } }
"""
HISTORY = """
query Q($code: String!, $asOf: DateTime) { dossierHistory(code: $code, asOf: $asOf) {
  known version status code
  due { dueAt calendarVersion procedureVersion explanation }
  steps { version event actorId role agencyCode recordedAt effectiveAt }
} }
"""


def _data(m: Served, query: str, variables: dict[str, Any], token: str) -> Any:
    response = m.graphql(
        query,
        variables,
        token=token,
        headers={"X-Access-Purpose": quote("kiểm tra hồ sơ")},
    )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def _desk(m: Served) -> str:
    return m.tokens.issue(
        AccessLevel.OFFICER,
        subject="desk-1",
        agency=PROVINCE,
        department="TTPVHCC",
        roles=[Role.DESK],
    )


def test_a_read_survives_a_killed_api_and_the_citizen_sees_it(tmp_path: Path) -> None:
    settings = seeded_settings(
        tmp_path / "d", options={"ACCESS_LOG_FLUSH_SECONDS": "3600"}
    )
    with served(settings) as m:
        received = _data(
            m,
            RECEIVE,
            {"procedure": BIRTH, "applicantId": APPLICANT.id, "name": APPLICANT.name},
            _desk(m),
        )["receiveDossier"]
        code = received["code"]
        deadline = time.monotonic() + 10
        while True:  # the officer view is a read model: wait for the projector
            seen = _data(m, OFFICER_DOSSIER, {"code": code}, _desk(m))["officerDossier"]
            if seen is not None or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert seen == {"code": code, "applicantName": APPLICANT.name}
        m.server.stop(signal.SIGKILL)  # nothing flushed yet: an hour to go
    with served(settings) as again:
        citizen = again.tokens.issue(
            AccessLevel.CITIZEN, subject=APPLICANT.id, eid_level=2
        )
        deadline = time.monotonic() + 10
        while True:
            dossier = _data(again, OPENED_BY, {"code": code}, citizen)["dossier"]
            if dossier["openedBy"] or time.monotonic() > deadline:
                break
            time.sleep(0.1)
    opened = dossier["openedBy"]
    assert [(o["officerId"], o["agencyCode"]) for o in opened] == [("desk-1", PROVINCE)]
    assert opened[0]["role"].startswith("officer")
    assert opened[0]["purpose"] == "officerDossier: kiểm tra hồ sơ"


def test_reviewers_reconstruct_the_dossier_as_of_a_time(tmp_path: Path) -> None:
    settings = seeded_settings(tmp_path / "d")
    with served(settings) as m:
        received = _data(
            m,
            RECEIVE,
            {"procedure": BIRTH, "applicantId": APPLICANT.id, "name": APPLICANT.name},
            _desk(m),
        )["receiveDossier"]
        reviewer = m.tokens.issue(
            AccessLevel.REVIEWER, subject="inspector-1", agency=PROVINCE
        )
        now = _data(m, HISTORY, {"code": received["code"]}, reviewer)["dossierHistory"]
        assert now["known"] is True
        assert now["status"] == "received"
        assert now["due"]["dueAt"] is not None
        assert now["due"]["calendarVersion"] >= 1
        (step,) = now["steps"]
        assert (step["event"], step["actorId"], step["agencyCode"]) == (
            "ReceivedAtDesk",
            "desk-1",
            PROVINCE,
        )
        before = _data(
            m,
            HISTORY,
            {"code": received["code"], "asOf": "2001-01-01T00:00:00+07:00"},
            reviewer,
        )["dossierHistory"]
        assert before["known"] is False
        assert before["steps"] == []
        refused = m.graphql(HISTORY, {"code": received["code"]}, token=_desk(m)).json()
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        naive = m.graphql(
            HISTORY,
            {"code": received["code"], "asOf": "2026-01-01T00:00:00"},
            token=reviewer,
        ).json()
        assert "errors" in naive
        unknown = _data(m, HISTORY, {"code": "000.00.00.H34-010101-0001"}, reviewer)[
            "dossierHistory"
        ]
        assert unknown is None


@pytest.mark.parametrize("junk", ["\x00" * 10, "a" * 5000])
def test_the_stated_purpose_is_bounded(junk: str) -> None:
    from api.graphql.context import Context

    context = Context.__new__(Context)
    context.stated_purpose = junk
    purpose = context.purpose("worklist")
    assert len(purpose) <= len("worklist: ") + 200
    assert "\x00" not in purpose


@pytest.mark.parametrize("sync", [False, True])
def test_synced_and_unsynced_spools_record_and_drain_alike(
    tmp_path: Path, sync: bool
) -> None:
    """MOTCUA_ACCESS_LOG_SYNC=y only adds an fdatasync per record: the lines
    and what reaches the table are the same (a power loss itself is not
    simulated here; `bench audit` measures the cost)."""
    from adapters.readstore.sqlite import SQLiteReadStore
    from api.access_log import AccessJournal
    from projections.access_log import AccessLogView

    store = SQLiteReadStore(str(tmp_path / "r.db"))
    journal = AccessJournal(tmp_path / "spool", store, sync=sync)
    try:
        journal.record(
            "d-1",
            "d-2",
            actor_id="desk-1",
            role="desk",
            agency_code=PROVINCE,
            department=None,
            purpose="kiểm tra",
        )
        assert journal.path.read_bytes().count(b"\n") == 1  # one line per read
        assert journal.flush() == 2
        seen = AccessLogView(store).for_dossier("d-2")
        assert [(e.actor_id, e.purpose) for e in seen] == [("desk-1", "kiểm tra")]
    finally:
        journal.close()
        store.close()


def _journal(tmp_path: Path) -> tuple[Any, Any]:
    from adapters.readstore.sqlite import SQLiteReadStore
    from api.access_log import AccessJournal

    store = SQLiteReadStore(str(tmp_path / "r.db"))
    return store, AccessJournal(tmp_path / "spool", store)


@settings(max_examples=20, deadline=None)
@given(
    pages=st.lists(
        st.lists(
            st.text(
                alphabet=st.characters(codec="utf-8"),
                min_size=1,
                max_size=8,
            ),
            min_size=1,
            max_size=25,
            unique=True,
        ),
        min_size=1,
        max_size=5,
    )
)
def test_a_read_of_many_dossiers_is_one_line_and_a_row_per_dossier(
    pages: list[list[str]],
) -> None:
    """A worklist page is one spool append however many rows it shows, and
    one row of the log naming the set of its dossiers; every dossier on it is
    found by its own row of that set (the citizen's "who opened it" reads by
    dossier), and a spool drained twice adds nothing twice."""
    import tempfile

    from projections.access_log import AccessLogView

    with tempfile.TemporaryDirectory() as name:
        store, journal = _journal(Path(name))
        try:
            for index, page in enumerate(pages):
                journal.record(
                    *page,
                    actor_id=f"officer-{index}",
                    role="officer:specialist",
                    agency_code=PROVINCE,
                    department="P1",
                    purpose="worklist",
                )
            assert journal.path.read_bytes().count(b"\n") == len(pages)
            assert journal.flush() == sum(len(page) for page in pages)
            journal._offset = 0  # as if the pass had crashed before noting it
            journal._stored_sets.clear()
            journal.flush()
            (count,) = store.query(ACCESSES)[0]
            assert count == sum(len(page) for page in pages)
            (reads,) = store.query(f"SELECT COUNT(*) FROM {ACCESS_READS}")[0]
            assert reads == len(pages)
            view = AccessLogView(store)
            for dossier in {d for page in pages for d in page}:
                readers = {e.actor_id for e in view.for_dossier(dossier)}
                assert readers == {
                    f"officer-{i}" for i, page in enumerate(pages) if dossier in page
                }
        finally:
            journal.close()
            store.close()


def test_lines_spooled_one_per_dossier_still_drain(tmp_path: Path) -> None:
    """A spool left by a process of the previous version (one line per
    dossier) is drained into the same rows."""
    import orjson

    from projections.access_log import AccessLogView

    store, journal = _journal(tmp_path)
    try:
        old = {
            "at": "2026-01-05T03:04:05.000000+00:00",
            "actor_id": "desk-1",
            "role": "officer:desk",
            "agency_code": PROVINCE,
            "department": None,
            "purpose": "worklist",
        }
        orphan = tmp_path / "spool" / "1-deadbeef.spool"
        orphan.write_bytes(
            b"".join(orjson.dumps({"dossier_id": d, **old}) + b"\n" for d in ("a", "b"))
        )
        assert journal.flush() == 2
        assert not orphan.exists()
        assert [e.actor_id for e in AccessLogView(store).for_dossier("b")] == ["desk-1"]
    finally:
        journal.close()
        store.close()


def test_a_long_spool_drains_in_slices_each_row_once(tmp_path: Path) -> None:
    """A busy pass drains in slices (the GIL let go between them); a pass
    that stopped after some slices and is run again adds nothing twice."""
    from api.access_log import _LINES_PER_SLICE

    store, journal = _journal(tmp_path)
    reads = 5 * _LINES_PER_SLICE + 7
    try:
        for index in range(reads):
            journal.record(
                f"d{index}",
                f"d{index}-b",
                f"d{index}-c",
                actor_id="desk-1",
                role="officer:desk",
                agency_code=PROVINCE,
                department="P1",
                purpose="worklist",
            )
        assert journal.flush() == 3 * reads
        # as if the pass had stopped after its first slice
        spooled = journal.path.read_bytes().splitlines(keepends=True)
        journal._offset = sum(len(line) for line in spooled[:_LINES_PER_SLICE])
        journal.flush()
        (count,) = store.query(ACCESSES)[0]
        assert count == 3 * reads
        ((distinct,),) = store.query(
            f"SELECT COUNT(DISTINCT dossier_id) FROM {ACCESS_SETS}"
        )
        assert distinct == 3 * reads
    finally:
        journal.close()
        store.close()


def test_a_page_read_again_adds_a_row_per_read_and_its_dossiers_once(
    tmp_path: Path,
) -> None:
    """A kept worklist page reused: every read is recorded with its own time,
    the dossiers it showed are stored once for all of them (by a new journal
    too, which does not know the set yet), and each dossier's readers list
    every read."""
    from projections.access_log import AccessLogView

    store, journal = _journal(tmp_path)
    page = [f"d{n:02}" for n in range(20)]
    try:
        for _ in range(30):
            journal.record(
                *reversed(page),  # the order shown does not make another set
                actor_id="spec-1",
                role="officer:specialist",
                agency_code=PROVINCE,
                department="PHC",
                purpose="worklist",
            )
        assert journal.flush() == 30 * 20
        (members,) = store.query(f"SELECT COUNT(*) FROM {ACCESS_SETS}")[0]
        assert members == 20
        (reads,) = store.query(f"SELECT COUNT(*) FROM {ACCESS_READS}")[0]
        assert reads == 30
        journal.close()
        journal = AccessJournal(tmp_path / "spool", store)
        journal.record(
            *page[:3],
            actor_id="spec-2",
            role="officer:specialist",
            agency_code=PROVINCE,
            department="PHC",
            purpose="worklist",
        )
        journal.record(
            *page,
            actor_id="spec-2",
            role="officer:specialist",
            agency_code=PROVINCE,
            department="PHC",
            purpose="worklist",
        )
        assert journal.flush() == 23
        (members,) = store.query(f"SELECT COUNT(*) FROM {ACCESS_SETS}")[0]
        assert members == 23  # the first three again, as a set of their own
        entries = AccessLogView(store).for_dossier("d00", limit=1000)
        assert [e.actor_id for e in entries].count("spec-1") == 30
        assert [e.actor_id for e in entries].count("spec-2") == 2
        assert len(AccessLogView(store).for_dossier("d19", limit=1000)) == 31
        assert entries == sorted(entries, key=lambda e: e.at, reverse=True)
    finally:
        journal.close()
        store.close()


def test_rows_recorded_one_per_dossier_are_still_read(tmp_path: Path) -> None:
    """A database from before sets: its rows of ``audit_access_log`` show
    beside the reads recorded since, newest first."""
    from projections.access_log import ACCESS_LOG, AccessLogView

    store, journal = _journal(tmp_path)
    try:
        with store.transaction() as sql:
            sql.execute(
                f"INSERT INTO {ACCESS_LOG} (spool, spool_offset, dossier_id, at, "
                "actor_id, role, agency_code, department, purpose) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    "old.spool",
                    0,
                    "d1",
                    "2026-01-05T03:04:05.000000+00:00",
                    "desk-0",
                    "officer:desk",
                    PROVINCE,
                    None,
                    "worklist",
                ),
            )
        journal.record(
            "d1",
            "d2",
            actor_id="spec-1",
            role="officer:specialist",
            agency_code=PROVINCE,
            department="PHC",
            purpose="worklist",
        )
        journal.flush()
        view = AccessLogView(store)
        assert [e.actor_id for e in view.for_dossier("d1")] == ["spec-1", "desk-0"]
        assert [e.actor_id for e in view.for_dossier("d2")] == ["spec-1"]
    finally:
        journal.close()
        store.close()


@pytest.mark.postgres
def test_workers_starting_together_create_the_tables_once(
    postgres_server: Any,
) -> None:
    """API workers start at once on a fresh database: each creates the
    access-log tables if missing. ``CREATE ... IF NOT EXISTS`` races in
    PostgreSQL's catalogue (a unique violation on ``pg_type``), which stopped
    a 2-worker server at start; ``ReadStore.schema()`` serialises them."""
    for round_ in range(3):
        name = f"test_race_{round_}_{time.monotonic_ns()}"
        url = postgres_server.create_database(name)
        stores = [PostgresReadStore(url, max_size=1) for _ in range(6)]
        start = Barrier(len(stores))

        def open_view(
            store: PostgresReadStore, start: Barrier = start
        ) -> AccessLogView:
            start.wait(timeout=30)
            return AccessLogView(store)

        try:
            with ThreadPoolExecutor(len(stores)) as pool:
                views = list(pool.map(open_view, stores))
            assert all(view.for_dossier("x") == [] for view in views)
        finally:
            for store in stores:
                store.close()
            postgres_server.drop_database(name)
