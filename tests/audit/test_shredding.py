"""Crypto-shredding: one subject's key destroyed, the others readable, the
chain and the seal still verify."""

from __future__ import annotations

import json
from pathlib import Path
from uuid import UUID

import pytest
from typer.testing import CliRunner

from adapters.audit_keys import CheckpointVerifier, FileCheckpointSigner
from adapters.settings import Settings
from adapters.subject_keys import FileSubjectKeys
from api.cli.main import app as cli
from api.wiring import build_application, build_read_store, build_sealer
from application.complaints import ComplaintNotFoundError, Complaints
from application.history import dossier_history
from application.personal_data import ERASED
from domain.complaint import Complaint
from domain.dossier import Dossier
from domain.values import Actor
from projections.audit_verify import verify_log
from tests.factories import (
    APPLICANT,
    JUSTICE,
    OTHER_APPLICANT,
    citizen,
    receive,
    seed_catalogue,
    specialist,
    trace,
    warehouse_document,
)
from tests.projections.conftest import BACKENDS, database_url
from tests.projections.support import populate


@pytest.fixture(params=BACKENDS)
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    kind = str(request.param)
    return Settings(
        database_url=database_url(kind, request, tmp_path), data_dir=tmp_path / "d"
    )


def _applicants(settings: Settings) -> dict[str, str]:
    """Dossier id → applicant id as a fresh process reads it."""
    app = build_application(settings)
    try:
        found: dict[str, str] = {}
        position = 0
        while True:
            page = app.recorder.select_notifications(start=position, limit=500)
            if not page:
                return found
            for n in page:
                if (
                    n.topic.startswith("domain.dossier:Dossier.")
                    and n.originator_version == 1
                ):
                    dossier = app.get_dossier(UUID(str(n.originator_id)))
                    found[str(dossier.id)] = dossier.applicant.id
            position = page[-1].id + 1
    finally:
        app.close()


def test_shredding_one_subject(settings: Settings) -> None:
    app = build_application(settings)
    store = build_read_store(settings)
    try:
        scenario = populate(app)
        first = app.recorder.select_events(scenario["received"], limit=1)[0]
        assert APPLICANT.name.encode() not in first.state
        assert APPLICANT.id.encode() not in first.state
        build_sealer(settings, app, store).catch_up()
    finally:
        app.close()
        store.close()
    before = _applicants(settings)
    assert set(before.values()) == {APPLICANT.id, OTHER_APPLICANT.id}

    assert settings.subject_keys_dir is not None
    keys = FileSubjectKeys(settings.subject_keys_dir)
    assert keys.destroy(APPLICANT.id)
    assert not keys.destroy(APPLICANT.id)

    after = _applicants(settings)
    assert after == {d: (ERASED if a == APPLICANT.id else a) for d, a in before.items()}
    app = build_application(settings)
    store = build_read_store(settings)
    try:
        shredded: Dossier = app.get_dossier(scenario["received"])
        assert shredded.applicant.name == ERASED
        assert shredded.status.value == "received"  # the rest of the history stays
        other = app.get_dossier(scenario["district"])
        assert other.applicant.id == OTHER_APPLICANT.id
        verifier = CheckpointVerifier(
            FileCheckpointSigner(settings.data_dir).public_pem()
        )
        report = verify_log(app, store, verifier)
        assert report.ok, [f.describe() for f in report.findings]
        assert report.sealed == report.events
    finally:
        app.close()
        store.close()


def test_cli_shred_rebuilds_the_read_models(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'm.db'}", data_dir=tmp_path / "d"
    )
    app = build_application(settings)
    try:
        populate(app)
    finally:
        app.close()
    monkeypatch.setenv("MOTCUA_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(settings.data_dir))
    runner = CliRunner()
    listed = runner.invoke(cli, ["dossier", "list", "--limit", "100", "--json"])
    assert APPLICANT.id in listed.stdout
    shred = runner.invoke(cli, ["audit", "shred", APPLICANT.id])
    assert shred.exit_code == 0, shred.output
    listed = runner.invoke(cli, ["dossier", "list", "--limit", "100", "--json"])
    assert APPLICANT.id not in listed.stdout
    assert OTHER_APPLICANT.id in listed.stdout
    again = runner.invoke(cli, ["audit", "shred", APPLICANT.id])
    assert again.exit_code == 2


def _dossier_states(settings: Settings) -> list[bytes]:
    return _states(settings, "domain.dossier:Dossier.")


def _states(settings: Settings, prefix: str) -> list[bytes]:
    app = build_application(settings)
    try:
        found, position = [], 0
        while page := app.recorder.select_notifications(start=position, limit=500):
            found += [bytes(n.state) for n in page if n.topic.startswith(prefix)]
            position = page[-1].id + 1
        return found
    finally:
        app.close()


def _spellings(text: str) -> list[bytes]:
    """How a text can appear in stored JSON (raw UTF-8 or \\u-escaped)."""
    return [text.encode(), json.dumps(text).encode()[1:-1]]


def test_citizen_actors_and_reasons_are_shredded_with_their_subject(
    settings: Settings,
) -> None:
    """A citizen's id in the traces and the free text of the dossiers
    (reasons, notes, rating comment) are sealed under the applicant's key:
    never stored in plain, readable before, erased after the shred — the
    other applicant's stay readable, and chain and seal still verify."""
    app = build_application(settings)
    store = build_read_store(settings)
    mine_reason, other_reason = "Ông An xin rút, SĐT 0905123456", "Bà Bình đổi ý"
    try:
        scenario = populate(app)
        mine = receive(app).dossier_id
        app.withdraw_dossier(mine, trace=trace(citizen()), reason=mine_reason)
        theirs = receive(app, applicant=OTHER_APPLICANT).dossier_id
        app.withdraw_dossier(
            theirs, trace=trace(citizen(OTHER_APPLICANT)), reason=other_reason
        )
        supplement = scenario["supplement"]
        build_sealer(settings, app, store).catch_up()
    finally:
        app.close()
        store.close()
    stored = b"".join(_dossier_states(settings))
    for secret in (
        APPLICANT.id,
        OTHER_APPLICANT.id,
        mine_reason,
        other_reason,
        "Bản chụp mờ",
        "Thiếu chữ ký",
        "Không đủ điều kiện",
    ):
        for spelling in _spellings(secret):
            assert spelling not in stored, secret

    def steps(dossier_id: UUID) -> list[tuple[str, str, str]]:
        app = build_application(settings)
        try:
            found = dossier_history(app, dossier_id, None)
        finally:
            app.close()
        return [(s.event, s.actor_id, s.reason) for s in found.steps]

    assert ("Withdrawn", APPLICANT.id, mine_reason) in steps(mine)
    assert ("Withdrawn", OTHER_APPLICANT.id, other_reason) in steps(theirs)
    assert [r for _, _, r in steps(supplement) if r] == ["Bản chụp mờ", "Thiếu chữ ký"]

    assert settings.subject_keys_dir is not None
    assert FileSubjectKeys(settings.subject_keys_dir).destroy(APPLICANT.id)

    assert ("Withdrawn", ERASED, ERASED) in steps(mine)
    assert [r for _, _, r in steps(supplement) if r] == [ERASED, ERASED]
    assert APPLICANT.id not in {a for _, a, _ in steps(supplement)}
    # officers stay named: they are the accountable party
    officers = {a for _, a, _ in steps(supplement)} - {ERASED}
    assert officers
    assert all(not a.startswith("0620") for a in officers)
    assert ("Withdrawn", OTHER_APPLICANT.id, other_reason) in steps(theirs)
    _assert_chain_and_seal_verify(settings)


def test_a_complaints_author_and_text_are_shredded_with_their_author(
    settings: Settings,
) -> None:
    """A complaint names its author as its data subject: the author's id, the
    subject line, the content and the officers' reasons and answer are sealed
    under the author's key — erased with it; another author's complaint stays
    readable and the log still verifies."""
    app = build_application(settings)
    store = build_read_store(settings)
    secrets = {
        "subject": "Ông An, SĐT 0905123456, chậm trả",
        "content": "Hồ sơ của Nguyễn Văn An quá hạn, nhà ở 12 Lê Lợi.",
        "reason": "Xin ông An bổ sung số hồ sơ",
        "answer": "Đã trả kết quả cho ông An ngày 05/3",
    }
    try:
        seed_catalogue(app)
        complaints = Complaints(app)
        mine = complaints.submit(
            trace=trace(citizen()),
            agency_code=JUSTICE,
            subject=secrets["subject"],
            content=secrets["content"],
        )
        officer = trace(specialist())
        complaints.request_supplement(mine, trace=officer, reason=secrets["reason"])
        complaints.answer(mine, trace=officer, answer=secrets["answer"])
        theirs = complaints.submit(
            trace=trace(citizen(OTHER_APPLICANT)),
            agency_code=JUSTICE,
            subject="Bà Bình hỏi lệ phí",
            content="Lệ phí khai sinh là bao nhiêu?",
        )
        build_sealer(settings, app, store).catch_up()
    finally:
        app.close()
        store.close()
    stored = b"".join(_states(settings, "domain.complaint:Complaint."))
    assert stored
    for secret in (*secrets.values(), APPLICANT.id, OTHER_APPLICANT.id):
        for spelling in _spellings(secret):
            assert spelling not in stored, secret

    def read(complaint_id: UUID, actor: Actor) -> Complaint:
        app = build_application(settings)
        try:
            return Complaints(app).get(complaint_id, trace(actor))
        finally:
            app.close()

    before = read(mine, citizen())
    assert (before.author_id, before.subject) == (APPLICANT.id, secrets["subject"])

    assert settings.subject_keys_dir is not None
    assert FileSubjectKeys(settings.subject_keys_dir).destroy(APPLICANT.id)

    after = read(mine, specialist())
    assert (after.author_id, after.subject) == (ERASED, ERASED)
    with pytest.raises(ComplaintNotFoundError):
        read(mine, citizen())  # nobody is its author any more
    other = read(theirs, citizen(OTHER_APPLICANT))
    assert (other.author_id, other.subject) == (
        OTHER_APPLICANT.id,
        "Bà Bình hỏi lệ phí",
    )
    _assert_chain_and_seal_verify(settings)


def test_a_warehouse_documents_owner_is_shredded_with_them(
    settings: Settings,
) -> None:
    """The owner id of a digitized document is sealed under the owner's key:
    erased with it, another owner's stays readable."""
    app = build_application(settings)
    try:
        seed_catalogue(app)
        mine = warehouse_document(app)
        theirs = warehouse_document(app, applicant=OTHER_APPLICANT)
    finally:
        app.close()
    stored = b"".join(_states(settings, "domain.digitized_document:"))
    assert stored
    for secret in (APPLICANT.id, OTHER_APPLICANT.id):
        for spelling in _spellings(secret):
            assert spelling not in stored, secret

    def owner(document_id: UUID) -> str:
        app = build_application(settings)
        try:
            found = app.warehouse_document(document_id)
            assert found is not None
            return found.owner_id
        finally:
            app.close()

    assert owner(mine) == APPLICANT.id
    assert settings.subject_keys_dir is not None
    assert FileSubjectKeys(settings.subject_keys_dir).destroy(APPLICANT.id)
    assert owner(mine) == ERASED
    assert owner(theirs) == OTHER_APPLICANT.id


def _assert_chain_and_seal_verify(settings: Settings) -> None:
    app = build_application(settings)
    store = build_read_store(settings)
    try:
        verifier = CheckpointVerifier(
            FileCheckpointSigner(settings.data_dir).public_pem()
        )
        report = verify_log(app, store, verifier)
        assert report.ok, [f.describe() for f in report.findings]
    finally:
        app.close()
        store.close()
