"""Online submissions and citizen supplements carry real, own uploads (issue 9).

Every store (memory, SQLite, PostgreSQL): a document must name a stored file
its citizen uploaded; the size, pages and type recorded are the store's; the
in-scope files enter the owner's warehouse when the desk receives the dossier,
with the validation of any signature they carry.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from uuid import UUID, uuid4

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from application.errors import DocumentExistsError
from application.onestop import OneStop
from application.signatures import SignerRef
from domain.digitized_document import DocumentKind
from domain.dossier_events import SubmittedOnline, SupplementReceived
from domain.dossier_values import Applicant, ApplicantKind, DocumentMetadata
from domain.files import MediaType, StoredFile, UnknownFileError
from domain.upload import Upload, upload_id
from domain.values import Actor, Role
from tests.factories import (
    APPLICANT,
    BIRTH,
    JUSTICE,
    OTHER_APPLICANT,
    at,
    citizen,
    desk,
    document,
    leader,
    specialist,
    trace,
)
from tests.pki import shared_pki
from tests.scans import pdf_bytes


def submit(app: OneStop, documents: dict[str, DocumentMetadata]) -> UUID:
    dossier_id, _ = app.submit_dossier(
        trace=trace(citizen(), at(0, 7)),
        applicant=APPLICANT,
        procedure_code=BIRTH,
        documents=documents,
    )
    return dossier_id


def own_uploads(app: OneStop, by: Actor | None = None) -> dict[str, DocumentMetadata]:
    return {code: document(code, app, by or citizen()) for code in ("TP1", "TP2")}


def refused_without_writing(
    app: OneStop, run: Callable[[], object]
) -> UnknownFileError:
    before = app.recorder.max_notification_id()
    with pytest.raises(UnknownFileError) as caught:
        run()
    assert app.recorder.max_notification_id() == before
    return caught.value


def upload_signed(app: OneStop, by: Actor, text: str) -> DocumentMetadata:
    """A PDF signed by the justice department, uploaded by ``by`` the way
    ``POST /api/files`` does (validated, then recorded with its checks)."""
    signed = shared_pki().sign(pdf_bytes(text), SignerRef.agency(JUSTICE))
    checks = app.signing.check_upload(signed)
    digest = hashlib.sha256(signed).hexdigest()
    stored = app.files.add(signed, StoredFile(digest, len(signed), 1))
    app.record_upload(trace(by), stored, checks)
    return DocumentMetadata(uuid4(), digest, number_symbol="12/GKS")


class TestOnlineSubmission:
    def test_a_hash_nobody_uploaded_is_refused_and_nothing_written(
        self, app: OneStop
    ) -> None:
        documents = own_uploads(app)
        never = hashlib.sha256(b"never uploaded").hexdigest()
        documents["TP2"] = DocumentMetadata(uuid4(), never)
        error = refused_without_writing(app, lambda: submit(app, documents))
        assert error.code == "UNKNOWN_FILE"
        assert never in error.message("vi")
        assert never in error.message("en")
        assert error.message("vi") != error.message("en")

    @settings(
        max_examples=8,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(
        uploader=st.sampled_from(
            [
                citizen(OTHER_APPLICANT),
                Actor("062000000003", Role.CITIZEN),
                desk(),
                specialist(),
                leader(),
            ]
        ),
        component=st.sampled_from(["TP1", "TP2"]),
    )
    def test_a_file_someone_else_uploaded_is_not_the_citizens(
        self, app: OneStop, uploader: Actor, component: str
    ) -> None:
        """Another citizen's scan, an officer's scan or result: the blob is in
        the store, but it is not this citizen's upload."""
        documents = own_uploads(app)
        documents[component] = document(f"of {uploader.id}", app, uploader)
        assert app.files.facts(documents[component].sha256) is not None
        refused_without_writing(app, lambda: submit(app, documents))

    def test_the_same_bytes_uploaded_by_the_citizen_too_are_theirs(
        self, app: OneStop
    ) -> None:
        """Content addressing shares one blob; the upload record is per person."""
        documents = own_uploads(app)
        other = Actor(OTHER_APPLICANT.id, Role.CITIZEN)
        app.record_upload(trace(other), app.files.facts(documents["TP1"].sha256), ())  # type: ignore[arg-type]
        assert app.id_taken(upload_id(other, documents["TP1"].sha256))
        submit(app, documents)

    def test_the_recorded_facts_are_the_stores(self, app: OneStop) -> None:
        documents = own_uploads(app)
        dossier_id = submit(app, documents)
        lodged = next(iter(app.events.get(dossier_id)))
        assert isinstance(lodged, SubmittedOnline)
        assert lodged.documents == documents
        expected = {app.files.facts(d.sha256) for d in documents.values()}
        assert set(lodged.files) == expected
        assert {f.media_type for f in lodged.files} == {MediaType.PNG}  # the scans

    def test_an_upload_is_recorded_once_per_person(self, app: OneStop) -> None:
        first = document("TP1", app, citizen())
        position = app.recorder.max_notification_id()
        again = app.files.facts(first.sha256)
        assert again is not None
        app.record_upload(trace(citizen()), again, ())
        assert app.recorder.max_notification_id() == position
        upload: Upload = app.repository.get(upload_id(citizen(), first.sha256))
        assert isinstance(upload, Upload)
        assert upload.uploader == f"citizen:{APPLICANT.id}"
        assert upload.file == again


class TestCitizenSupplement:
    def awaiting(self, app: OneStop) -> UUID:
        dossier_id = submit(app, own_uploads(app))
        app.receive_submitted_dossier(dossier_id, trace=trace(desk(), at(0, 8)))
        app.request_supplement(
            dossier_id, trace=trace(desk(), at(0, 9)), items=("TP2",), reason="Mờ"
        )
        return dossier_id

    def test_another_persons_upload_is_refused(self, app: OneStop) -> None:
        dossier_id = self.awaiting(app)
        for uploader in (citizen(OTHER_APPLICANT), desk()):
            theirs = {"TP2": document(f"TP2 {uploader.id}", app, uploader)}

            def supply(given: dict[str, DocumentMetadata] = theirs) -> object:
                return app.receive_supplement(
                    dossier_id, trace=trace(citizen(), at(1, 9)), documents=given
                )

            refused_without_writing(app, supply)
        never = {"TP2": DocumentMetadata(uuid4(), hashlib.sha256(b"x").hexdigest())}
        refused_without_writing(
            app,
            lambda: app.receive_supplement(
                dossier_id, trace=trace(citizen(), at(1, 9)), documents=never
            ),
        )

    def test_an_own_upload_is_recorded_and_enters_the_warehouse(
        self, app: OneStop
    ) -> None:
        dossier_id = self.awaiting(app)
        mine = {"TP2": document("TP2 clear", app, citizen())}
        app.receive_supplement(
            dossier_id, trace=trace(citizen(), at(1, 9)), documents=mine
        )
        last = list(app.events.get(dossier_id))[-1]
        assert isinstance(last, SupplementReceived)
        assert tuple(last.files) == (app.files.facts(mine["TP2"].sha256),)
        kept = app.warehouse_document(mine["TP2"].document_id)
        assert kept is not None
        assert kept.owner_id == APPLICANT.id
        assert kept.origin.dossier_code == app.get_dossier(dossier_id).code
        assert kept.file.sha256 == mine["TP2"].sha256

    def test_a_desk_supplement_needs_a_stored_file(self, app: OneStop) -> None:
        dossier_id = self.awaiting(app)
        never = {"TP2": DocumentMetadata(uuid4(), hashlib.sha256(b"y").hexdigest())}
        refused_without_writing(
            app,
            lambda: app.receive_supplement(
                dossier_id, trace=trace(desk(), at(1, 9)), documents=never
            ),
        )
        scanned = {"TP2": document("TP2 desk", app)}
        app.receive_supplement(
            dossier_id, trace=trace(desk(), at(1, 9)), documents=scanned
        )


class TestWarehouseAtReception:
    def test_in_scope_uploads_enter_the_owners_warehouse(self, app: OneStop) -> None:
        documents = own_uploads(app)
        dossier_id = submit(app, documents)
        for d in documents.values():
            assert app.warehouse_document(d.document_id) is None  # not yet
        code = app.receive_submitted_dossier(
            dossier_id, trace=trace(desk(), at(0, 8))
        ).code
        for component, metadata in documents.items():
            kept = app.warehouse_document(metadata.document_id)
            assert kept is not None
            assert kept.kind is DocumentKind.COMPONENT
            assert kept.owner_id == APPLICANT.id
            assert kept.metadata == metadata
            assert kept.file == app.files.facts(metadata.sha256)
            assert kept.origin.agency_code == desk().agency_code
            assert (kept.origin.dossier_code, kept.origin.item_code) == (
                code,
                component,
            )
            assert kept.digitizer == desk().id

    def test_a_later_dossier_of_the_owner_reuses_them(self, app: OneStop) -> None:
        documents = own_uploads(app)
        first = submit(app, documents)
        app.receive_submitted_dossier(first, trace=trace(desk(), at(0, 8)))
        later = app.receive_dossier(
            trace=trace(desk(), at(1, 8)), applicant=APPLICANT, procedure_code=BIRTH
        ).dossier_id
        app.reuse_component(
            later,
            trace=trace(desk(), at(1, 8)),
            component_code="TP1",
            document_id=documents["TP1"].document_id,
        )
        reused = app.warehouse_document(documents["TP1"].document_id)
        assert reused is not None
        assert reused.reused_by == [later]

    def test_a_document_id_already_in_the_warehouse_is_refused(
        self, app: OneStop
    ) -> None:
        documents = own_uploads(app)
        first = submit(app, documents)
        app.receive_submitted_dossier(first, trace=trace(desk(), at(0, 8)))
        again = own_uploads(app)
        again["TP1"] = DocumentMetadata(
            documents["TP1"].document_id, again["TP1"].sha256
        )
        before = app.recorder.max_notification_id()
        with pytest.raises(DocumentExistsError):
            submit(app, again)
        assert app.recorder.max_notification_id() == before

    def test_a_signed_upload_is_validated_and_recorded(self, app: OneStop) -> None:
        documents = own_uploads(app)
        documents["TP2"] = upload_signed(app, citizen(), "Giấy chứng sinh")
        upload: Upload = app.repository.get(
            upload_id(citizen(), documents["TP2"].sha256)
        )
        assert [c.indication for c in upload.checks] == ["TOTAL_PASSED"]
        assert upload.checks[0].signer
        dossier_id = submit(app, documents)
        app.receive_submitted_dossier(dossier_id, trace=trace(desk(), at(0, 8)))
        kept = app.warehouse_document(documents["TP2"].document_id)
        assert kept is not None
        assert [c.indication for c in kept.checks] == ["TOTAL_PASSED"]
        assert kept.checks[0].certificate_sha256 == upload.checks[0].certificate_sha256
        unsigned = app.warehouse_document(documents["TP1"].document_id)
        assert unsigned is not None
        assert unsigned.checks == []

    def test_an_applicant_of_another_kind_is_keyed_canonically(
        self, app: OneStop
    ) -> None:
        """An enterprise's plain 13-digit tax code and its hyphenated form are
        one uploader."""
        owner = Applicant("0101234567001", "Chi nhánh An", ApplicantKind.ENTERPRISE)
        plain = Actor("0101234567001", Role.CITIZEN)
        hyphen = Actor("0101234567-001", Role.CITIZEN)
        documents = {c: document(c, app, plain) for c in ("TP1", "TP2")}
        assert upload_id(plain, "a" * 64) == upload_id(hyphen, "a" * 64)
        app.submit_dossier(
            trace=trace(hyphen),
            applicant=owner,
            procedure_code=BIRTH,
            documents=documents,
        )
