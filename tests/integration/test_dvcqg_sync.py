"""DVCQG sync against a real local HTTP server playing the national portal."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from adapters.dvcqg import payloads
from adapters.dvcqg.client import PortalClient, PortalOptions
from adapters.dvcqg.sync import (
    SENDER,
    TABLE,
    DvcqgSync,
    SyncOptions,
    rows,
)
from adapters.integration.positions import statuses
from adapters.readstore.sqlite import SQLiteReadStore
from adapters.settings import persistence_env
from application.onestop import OneStop
from domain.dossier_values import (
    Applicant,
    ApplicantKind,
    DigitalAccount,
    Holder,
    PaymentChannel,
    ReturnMethod,
)
from domain.portal_acceptance import PortalAcceptance, acceptance_id, accepted_at
from domain.procedure import Fee
from tests.dvcqg_portal import PASSWORD, USERNAME, PortalServer
from tests.factories import (
    JUSTICE,
    at,
    citizen,
    desk,
    digitize_and_sign,
    document,
    in_progress,
    leader,
    receive,
    result,
    seed_catalogue,
    specialist,
    trace,
)
from tests.integration.dvcqg_rates import sync_rate


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


@pytest.fixture
def portal() -> Iterator[PortalServer]:
    with PortalServer() as server:
        yield server


def make_sync(
    app: OneStop,
    store: SQLiteReadStore,
    portal: PortalServer,
    *,
    timeout: float = 1.0,
    retries: int = 3,
) -> DvcqgSync:
    options = PortalOptions(
        url=portal.url,
        auth_url=portal.auth_url,
        username=USERNAME,
        password=PASSWORD,
        timeout=timeout,
        retries=retries,
        backoff=0.01,
    )
    return DvcqgSync(
        app,
        store,
        SyncOptions(options, "https://dvc.kontum.example", retry_base=0.05),
    )


async def _drain(sync: DvcqgSync, rounds: int) -> PortalClient:
    client = PortalClient(sync.options.portal)
    try:
        for _ in range(rounds):
            while sync.track():
                pass
            await sync.send_due(client)
            open_rows = [
                r
                for r in rows(sync.store).values()
                if r.state in ("pending", "failing")
            ]
            if not open_rows:
                break
            await asyncio.sleep(0.06)
    finally:
        await client.close()
    return client


def drain(sync: DvcqgSync, rounds: int = 30) -> PortalClient:
    return asyncio.run(_drain(sync, rounds))


def full_life(app: OneStop) -> UUID:
    dossier_id = receive(app, when=at(0, 8)).dossier_id
    app.check_digital_account(
        dossier_id,
        trace=trace(desk(), at(0, 8)),
        account=DigitalAccount(True, verified_with_vneid=True, eid_level=2),
    )
    digitize_and_sign(app, dossier_id, at(0, 8))
    app.forward_dossier(
        dossier_id, trace=trace(desk(), at(0, 8)), to=Holder(JUSTICE, "PHC")
    )
    app.request_supplement(
        dossier_id,
        trace=trace(specialist(), at(0, 9)),
        items=("TP2",),
        reason="Giấy chứng sinh bị mờ",
    )
    app.receive_supplement(
        dossier_id,
        trace=trace(citizen(), at(1, 9)),
        documents={"TP2": document("n", app, citizen())},
    )
    app.request_payment(
        dossier_id,
        trace=trace(specialist(), at(1, 10)),
        fees=(Fee("LP1", "Lệ phí đăng ký khai sinh", Decimal(8000)),),
    )
    app.confirm_payment(
        dossier_id,
        trace=trace(desk(), at(1, 13, 30)),
        channel=PaymentChannel.ONLINE_NATIONAL,
        receipt="BL-001",
    )
    app.resolve_dossier(
        dossier_id,
        trace=trace(leader(), at(1, 14)),
        results=(result(app),),
        decision="Cấp giấy khai sinh",
    )
    app.return_result(
        dossier_id, trace=trace(desk(), at(1, 15)), method=ReturnMethod.POST
    )
    return dossier_id


def test_payload_fields_follow_the_national_contract(app: OneStop) -> None:
    dossier_id = full_life(app)
    dossier = app.get_dossier(dossier_id)
    events: list[Any] = list(app.events.get(dossier_id))
    record = payloads.dossier_record(
        dossier, events, payloads.Links("https://dvc.kontum.example/")
    )
    assert record["MaHoSo"] == dossier.code
    assert record["MaTTHC"] == "1.001193"
    assert record["KenhThucHien"] == "1"
    # 08:00 on Monday 2 March 2026 in Vietnam, whatever zone the event carries.
    assert record["NgayTiepNhan"] == "20260302080000"
    assert record["NgayTra"] == "20260303150000"
    assert record["TrangThaiHoSo"] == "10"
    assert record["HinhThuc"] == "1"
    assert record["DuocThanhToanTrucTuyen"] == "1"
    assert record["TaiKhoanDuocXacThucVoiVNeID"] == "1"
    assert record["HoSoCoThanhPhanSoHoa"] == "1"
    assert record["DinhDanhCHS"] == [
        {"LoaiDinhDanh": "1", "SoDinhDanh": "062000000001"}
    ]
    assert record["LoaiDoiTuong"] == "1"
    by_code = {d["MaThanhPhanHoSo"]: d for d in record["TaiLieuNop"]}
    assert by_code["GT.TKKS"]["DuocSoHoa"] == "1"
    assert by_code["GT.GCS"]["DuocSoHoa"] == "0"  # replaced by the supplement
    assert by_code["GT.TKKS"]["DuongDanTaiTepTin"].startswith(
        "https://dvc.kontum.example/api/documents/"
    )
    (issued,) = record["DanhSachGiayToKetQua"]
    assert issued["MaGiayToKetQua"] == "KQ.H34.000001"
    assert issued["DuongDanTepTinKetQua"].endswith(issued["GiayToId"])
    (fee,) = record["DanhSachLePhi"]
    assert (fee["MaPhiLePhi"], fee["Gia"], fee["HinhThucThu"]) == ("LP1", "8000", "1")
    (supplement,) = record["DanhSachHoSoBoSung"]
    assert supplement["TrangThaiBoSung"] == "1"
    assert supplement["NgayBoSung"] == "20260302090000"
    assert supplement["NgayTiepNhanBoSung"] == "20260303090000"
    assert supplement["NgayHenTraTruoc"] == payloads.date_text(events[0].due_at)
    assert supplement["NgayHenTraMoi"] > supplement["NgayHenTraTruoc"]
    assert all(
        len(v) == 14 and v.isdigit()
        for k, v in record.items()
        if k.startswith("Ngay") and v
    )


def test_enterprise_identity_and_statuses_of_steps(app: OneStop) -> None:
    enterprise = Applicant(
        "0101234567", "Công ty TNHH An Bình", ApplicantKind.ENTERPRISE
    )
    dossier_id = receive(app, applicant=enterprise).dossier_id
    dossier = app.get_dossier(dossier_id)
    record = payloads.dossier_record(
        dossier, list(app.events.get(dossier_id)), payloads.Links("http://x")
    )
    assert record["LoaiDoiTuong"] == "2"
    assert record["DinhDanhCHS"][0]["LoaiDinhDanh"] == "4"
    assert record["DuocThanhToanTrucTuyen"] == "0"
    assert record["TaiKhoanDuocXacThucVoiVNeID"] == "0"


def test_create_then_update_with_every_step_once(
    app: OneStop, store: SQLiteReadStore, portal: PortalServer
) -> None:
    dossier_id = in_progress(app)
    sync = make_sync(app, store, portal)
    drain(sync)
    code = app.get_dossier(dossier_id).code
    assert code is not None
    assert portal.portal.dossiers[code]["TrangThaiHoSo"] == "4"
    before = len(portal.portal.steps[code])
    assert [
        c["isUpdating"] for c in portal.portal.calls if c["service"] == "DongBoHoSoMC"
    ] == ["False"]
    app.resolve_dossier(
        dossier_id,
        trace=trace(leader(), at(0, 10)),
        results=(result(app),),
        decision="Cấp",
    )
    drain(sync)
    assert portal.portal.dossiers[code]["TrangThaiHoSo"] == "9"
    creates = [
        c["isUpdating"] for c in portal.portal.calls if c["service"] == "DongBoHoSoMC"
    ]
    assert creates == ["False", "True"]
    steps = portal.portal.steps[code]
    events = list(app.events.get(dossier_id))
    assert len(steps) == len(events) == before + 1  # each event one step, once
    assert steps[0]["TrangThai"] == "2"
    assert steps[0]["NoiDungXuLy"] == "Tiếp nhận hồ sơ"
    assert steps[-1]["TrangThai"] == "9"
    assert steps[-1]["NoiDungXuLy"] == "Có kết quả giải quyết"
    assert [s["ThoiDiemXuLy"] for s in steps] == sorted(
        s["ThoiDiemXuLy"] for s in steps
    )
    assert rows(store)[str(dossier_id)].state == "synced"
    assert sync_rate(store).rate == 1.0


def test_already_exists_switches_to_update(
    app: OneStop, store: SQLiteReadStore, portal: PortalServer
) -> None:
    dossier_id = receive(app).dossier_id
    code = str(app.get_dossier(dossier_id).code)
    portal.portal.dossiers[code] = {"MaHoSo": code, "TrangThaiHoSo": "1"}
    drain(make_sync(app, store, portal))
    assert portal.portal.dossiers[code]["TrangThaiHoSo"] == "2"
    sent = [
        c["isUpdating"] for c in portal.portal.calls if c["service"] == "DongBoHoSoMC"
    ]
    assert sent == ["False", "True"]


def test_an_update_the_portal_does_not_know_creates_the_dossier_again(
    app: OneStop, store: SQLiteReadStore, portal: PortalServer
) -> None:
    dossier_id = in_progress(app)
    sync = make_sync(app, store, portal)
    drain(sync)
    code = str(app.get_dossier(dossier_id).code)
    portal.portal.dossiers.clear()  # the portal lost it
    app.resolve_dossier(
        dossier_id,
        trace=trace(leader(), at(0, 10)),
        results=(result(app),),
        decision="x",
    )
    drain(sync)
    assert portal.portal.dossiers[code]["TrangThaiHoSo"] == "9"
    sent = [
        c["isUpdating"] for c in portal.portal.calls if c["service"] == "DongBoHoSoMC"
    ]
    assert sent == ["False", "True", "False"]
    assert rows(store)[str(dossier_id)].state == "synced"


@pytest.mark.parametrize("failure", ["500", "timeout", "malformed", "no_code"])
def test_transient_failures_are_retried(
    app: OneStop, store: SQLiteReadStore, portal: PortalServer, failure: str
) -> None:
    dossier_id = receive(app).dossier_id
    portal.portal.slow_seconds = 1.5
    portal.portal.script.extend([failure, failure])
    drain(make_sync(app, store, portal, timeout=0.5))
    code = str(app.get_dossier(dossier_id).code)
    assert code in portal.portal.dossiers
    assert rows(store)[str(dossier_id)].state == "synced"


def test_session_expiry_logs_in_again(
    app: OneStop, store: SQLiteReadStore, portal: PortalServer
) -> None:
    first = receive(app).dossier_id
    sync = make_sync(app, store, portal)
    drain(sync)
    portal.portal.script.append("expire")
    second = receive(app).dossier_id
    drain(sync)
    assert portal.portal.logins >= 2
    for dossier_id in (first, second):
        assert rows(store)[str(dossier_id)].state == "synced"


def test_a_portal_that_stays_down_leaves_the_dossier_failing_until_it_returns(
    app: OneStop, store: SQLiteReadStore, portal: PortalServer
) -> None:
    dossier_id = receive(app).dossier_id
    portal.portal.always = "500"
    sync = make_sync(app, store, portal, retries=1)
    drain(sync, rounds=3)
    row = rows(store)[str(dossier_id)]
    assert row.state == "failing"
    assert "503" in row.error
    assert row.attempts >= 1
    (follower,) = statuses(store, app.recorder.max_notification_id() or 0)
    assert follower.name == "dvcqg"
    assert "503" in follower.error
    assert sync_rate(store).failing == 1
    assert sync_rate(store).rate == 0.0
    assert acceptances(app, dossier_id) == []  # 1.4 does not count it
    portal.portal.always = None
    drain(sync)
    assert rows(store)[str(dossier_id)].state == "synced"
    assert len(acceptances(app, dossier_id)) == 1
    (follower,) = statuses(store, app.recorder.max_notification_id() or 0)
    assert follower.error == ""


def test_refused_content_is_reported_with_the_portal_message(
    app: OneStop, store: SQLiteReadStore, portal: PortalServer
) -> None:
    dossier_id = receive(app).dossier_id
    portal.portal.always = "refuse"
    drain(make_sync(app, store, portal), rounds=2)
    row = rows(store)[str(dossier_id)]
    assert row.state == "failing"
    assert "MaTTHC không hợp lệ" in row.error
    assert portal.portal.dossiers == {}


def test_wrong_credentials_fail_clearly(
    app: OneStop, store: SQLiteReadStore, portal: PortalServer
) -> None:
    dossier_id = receive(app).dossier_id
    sync = make_sync(app, store, portal)
    sync.options = SyncOptions(
        PortalOptions(portal.url, portal.auth_url, USERNAME, "wrong", backoff=0.01),
        retry_base=0.05,
    )
    drain(sync, rounds=2)
    row = rows(store)[str(dossier_id)]
    assert row.state == "failing"
    assert "login refused" in row.error


def test_online_submission_waits_for_reception(
    app: OneStop, store: SQLiteReadStore, portal: PortalServer
) -> None:
    from tests.factories import APPLICANT, BIRTH

    dossier_id, _ = app.submit_dossier(
        trace=trace(citizen()),
        applicant=APPLICANT,
        procedure_code=BIRTH,
        documents={
            "TP1": document("a", app, citizen()),
            "TP2": document("b", app, citizen()),
        },
    )
    drain(make_sync(app, store, portal))
    assert portal.portal.calls == []
    assert rows(store)[str(dossier_id)].state == "waiting"
    assert sync_rate(store).eligible == 0


def acceptances(app: OneStop, dossier_id: UUID) -> list[Any]:
    return list(app.events.get(acceptance_id(dossier_id)))


def test_the_portals_first_acceptance_is_recorded_once_in_the_log(
    app: OneStop, store: SQLiteReadStore, portal: PortalServer
) -> None:
    """Indicator 1.4 reads it from the log: once, by the sender, when the portal
    first took the record; updates afterwards record nothing more."""
    dossier_id = in_progress(app)
    sync = make_sync(app, store, portal)
    before = datetime.now(UTC)
    drain(sync)
    (accepted,) = acceptances(app, dossier_id)
    assert isinstance(accepted, PortalAcceptance.Accepted)
    assert accepted.dossier_id == dossier_id
    assert accepted.trace.actor == SENDER
    assert accepted.since is None
    assert before <= accepted_at(accepted) <= datetime.now(UTC)
    app.resolve_dossier(
        dossier_id,
        trace=trace(leader(), at(0, 10)),
        results=(result(app),),
        decision="x",
    )
    drain(sync)
    assert len(acceptances(app, dossier_id)) == 1
    assert sync.record_acceptances() == 0


def test_acceptances_from_before_the_upgrade_are_recorded_from_reception(
    app: OneStop, store: SQLiteReadStore, portal: PortalServer
) -> None:
    """A table of the previous layout (no ``accepted`` column): its accepted
    rows are recorded on the next round, counted from each dossier's
    reception as the table had counted them; rows never accepted are not."""
    taken = receive(app, when=at(0, 8)).dossier_id
    never = receive(app, when=at(0, 9)).dossier_id
    # A row whose dossier this log does not hold, ordered before the others:
    # it must not stop them being recorded, round after round.
    missing = UUID(int=0)
    with store.transaction() as sql:
        sql.execute(
            f"CREATE TABLE {TABLE} (dossier_id TEXT PRIMARY KEY, "
            "code TEXT NOT NULL, seen_version INTEGER NOT NULL, "
            "record_version INTEGER NOT NULL, steps_version INTEGER NOT NULL, "
            "created INTEGER NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL, "
            "error TEXT NOT NULL, next_attempt_at TEXT NOT NULL, synced_at TEXT NOT NULL)"
        )
        rows_before = (
            (missing, 1, "synced"),
            (taken, 1, "synced"),
            (never, 0, "failing"),
        )
        for dossier_id, created, state in rows_before:
            sql.execute(
                f"INSERT INTO {TABLE} VALUES (?, 'c', 1, 1, 1, ?, ?, 0, '', '', "
                "'2026-11-01T00:00:00+00:00')",
                (str(dossier_id), created, state),
            )
    sync = make_sync(app, store, portal)
    assert sync.record_acceptances() == 1
    (accepted,) = acceptances(app, taken)
    assert accepted.since == app.get_dossier(taken).received_at == at(0, 8)
    assert accepted_at(accepted) == at(0, 8)
    assert acceptances(app, never) == []
    assert acceptances(app, missing) == []
    assert sync.record_acceptances() == 0


def test_an_acceptance_a_crash_kept_from_the_log_is_recorded_on_the_next_round(
    app: OneStop, store: SQLiteReadStore, portal: PortalServer
) -> None:
    """Died after the portal's answer, before the event: recorded next round,
    from then (no earlier moment is known). Died after the event, before the
    mark: marked, and the stream keeps its one event."""
    lost = in_progress(app)
    unmarked = receive(app, when=at(0, 9)).dossier_id
    sync = make_sync(app, store, portal)
    drain(sync)
    assert len(acceptances(app, unmarked)) == 1
    with store.transaction() as sql:
        sql.execute(f"UPDATE {TABLE} SET accepted = 0")
    # ``lost``'s event never made it: a fresh log with the same sync table.
    fresh = OneStop(env=persistence_env("memory://"))
    try:
        for event in app.events.get(lost):
            fresh.recorder.insert_events([fresh.mapper.to_stored_event(event)])
        for event in acceptances(app, unmarked):
            fresh.recorder.insert_events([fresh.mapper.to_stored_event(event)])
        for event in app.events.get(unmarked):
            fresh.recorder.insert_events([fresh.mapper.to_stored_event(event)])
        again = DvcqgSync(fresh, store, sync.options)
        before = datetime.now(UTC)
        assert again.record_acceptances() == 2
        (recorded,) = acceptances(fresh, lost)
        assert recorded.since is None
        assert accepted_at(recorded) >= before
        assert len(acceptances(fresh, unmarked)) == 1
        assert again.record_acceptances() == 0
    finally:
        fresh.close()
