"""Reuse from the national warehouse over real HTTP (a local stand-in server).

The desk asks for the applicant's document of a result code; the file comes
into the provincial warehouse as a ``NATIONAL`` document and the component is
reused with the source ``national_warehouse``. Every failure is typed and
writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from uuid import UUID

import pytest

from adapters.national_warehouse import HttpNationalWarehouse
from application.national_warehouse import (
    NationalDocumentNotFoundError,
    NationalWarehouseError,
    NationalWarehouseMalformedError,
    NationalWarehouseUnavailableError,
)
from application.onestop import OneStop
from application.signatures import SignerRef
from domain.digitized_document import DocumentKind
from domain.dossier_events import ComponentReused
from domain.dossier_values import ComponentStatus, ReuseSource
from domain.errors import ActorNotAllowedError, LabelledError
from domain.files import FileRefusedError, SignatureRefusedError
from domain.values import Actor
from tests.factories import (
    APPLICANT,
    BIRTH,
    JUSTICE,
    OTHER_APPLICANT,
    desk,
    receive,
    specialist,
    trace,
)
from tests.national_warehouse import WarehouseServer
from tests.pki import shared_pki
from tests.scans import LIMITS, pdf_bytes

RESULT = "KQ.G15.000123"
SMALL = replace(LIMITS, max_bytes=2**20)
"""A 1 MiB file limit: the stand-in's oversized file is 2 MiB."""


@pytest.fixture
def server() -> Iterator[WarehouseServer]:
    with WarehouseServer() as running:
        yield running


@pytest.fixture
def national(app: OneStop, server: WarehouseServer) -> OneStop:
    app.national_warehouse = HttpNationalWarehouse(server.url, SMALL, timeout=1.0)
    return app


def signed_birth_certificate(text: str = "Giấy khai sinh") -> bytes:
    return shared_pki().sign(pdf_bytes(text), SignerRef.agency(JUSTICE))


def reuse(
    app: OneStop,
    dossier_id: UUID,
    *,
    who: Actor | None = None,
    symbol: str = "",
) -> object:
    return app.reuse_from_national_warehouse(
        dossier_id,
        trace=trace(who or desk()),
        component_code="TP2",
        result_code=RESULT,
        number_symbol=symbol,
    )


def nothing_written(
    app: OneStop, dossier_id: UUID, run: Callable[[], object]
) -> LabelledError:
    before = app.recorder.max_notification_id()
    with pytest.raises(LabelledError) as caught:
        run()
    assert app.recorder.max_notification_id() == before
    component = app.get_dossier(dossier_id).components["TP2"]
    assert component.status is ComponentStatus.PENDING
    return caught.value


def test_a_document_comes_from_the_national_warehouse_with_its_provenance(
    national: OneStop, server: WarehouseServer
) -> None:
    pdf = signed_birth_certificate()
    server.warehouse.add(APPLICANT.id, RESULT, "15/2020/GKS", pdf)
    dossier_id = receive(national).dossier_id
    reuse(national, dossier_id, symbol="15/2020/GKS")

    (call,) = server.warehouse.calls
    assert call["SoDinhDanhChuSoHuu"] == APPLICANT.id
    assert call["KenhThucHien"] == "1"
    assert call["MaThuTuc"] == BIRTH
    assert call["SoDinhDanhNguoiYeuCau"] == desk().id
    assert call["DanhSachDanhMucKetQua"] == [
        {"MaKetQua": RESULT, "SoKyHieu": "15/2020/GKS"}
    ]

    dossier = national.get_dossier(dossier_id)
    component = dossier.components["TP2"]
    assert component.status is ComponentStatus.REUSED
    assert component.reuse_source is ReuseSource.NATIONAL_WAREHOUSE
    event = list(national.events.get(dossier_id))[-1]
    assert isinstance(event, ComponentReused)
    assert event.source is ReuseSource.NATIONAL_WAREHOUSE
    assert component.document_id is not None
    document = national.warehouse_document(component.document_id)
    assert document is not None
    assert document.kind is DocumentKind.NATIONAL
    assert document.owner_id == APPLICANT.id
    assert document.origin.item_code == RESULT
    assert document.origin.dossier_id == dossier_id
    assert document.metadata.number_symbol == "15/2020/GKS"
    assert document.metadata.issuer == "UBND xã Đắk Cấm"
    assert document.metadata.summary == "Giấy khai sinh"
    assert national.files.read(document.file.sha256) == pdf
    assert [c.indication for c in document.checks] == ["TOTAL_PASSED"]
    assert document.reused_by == [dossier_id]
    assert dossier.state.status.national_code == 2  # nothing else moved


def test_without_a_number_symbol_the_first_of_the_code_is_taken(
    national: OneStop, server: WarehouseServer
) -> None:
    server.warehouse.add(APPLICANT.id, RESULT, "1/GKS", pdf_bytes("một"))
    dossier_id = receive(national).dossier_id
    reuse(national, dossier_id)
    document_id = national.get_dossier(dossier_id).components["TP2"].document_id
    assert document_id is not None
    found = national.warehouse_document(document_id)
    assert found is not None
    assert found.checks == []  # unsigned: nothing to validate


@pytest.mark.parametrize(
    ("owner", "result", "symbol"),
    [
        (OTHER_APPLICANT.id, RESULT, ""),  # another person's document
        (APPLICANT.id, "KQ.G15.999999", ""),  # another result code (RESULT asked)
        (APPLICANT.id, RESULT, "99/GKS"),  # another number-symbol
    ],
)
def test_a_document_not_found_is_typed(
    national: OneStop, server: WarehouseServer, owner: str, result: str, symbol: str
) -> None:
    server.warehouse.add(owner, result, "15/GKS", pdf_bytes("x"))
    dossier_id = receive(national).dossier_id
    error = nothing_written(
        national, dossier_id, lambda: reuse(national, dossier_id, symbol=symbol)
    )
    assert isinstance(error, NationalDocumentNotFoundError)
    assert error.code == "NATIONAL_DOCUMENT_NOT_FOUND"
    assert error.message("vi") != error.message("en")


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("timeout", NationalWarehouseUnavailableError),
        ("500", NationalWarehouseUnavailableError),
        ("refuse", NationalWarehouseUnavailableError),
        ("malformed", NationalWarehouseMalformedError),
        ("no_code", NationalWarehouseMalformedError),
        ("bad_list", NationalWarehouseMalformedError),
        ("offsite", NationalWarehouseMalformedError),
        ("gone", NationalDocumentNotFoundError),
        ("huge", NationalWarehouseMalformedError),
        ("not_pdf", FileRefusedError),
    ],
)
def test_a_failing_warehouse_is_typed_and_writes_nothing(
    national: OneStop,
    server: WarehouseServer,
    mode: str,
    expected: type[LabelledError],
) -> None:
    server.warehouse.add(APPLICANT.id, RESULT, "15/GKS", pdf_bytes("x"))
    server.warehouse.mode = mode
    server.warehouse.slow_seconds = 2.5
    dossier_id = receive(national).dossier_id
    error = nothing_written(national, dossier_id, lambda: reuse(national, dossier_id))
    assert isinstance(error, expected), error
    if isinstance(error, NationalWarehouseError):
        assert error.code.startswith("NATIONAL_")


def test_a_signature_changed_after_signing_is_refused(
    national: OneStop, server: WarehouseServer
) -> None:
    pdf = signed_birth_certificate()
    tampered = pdf.replace(b"/Count 1", b"/Count 1 ", 1)
    assert tampered != pdf
    server.warehouse.add(APPLICANT.id, RESULT, "15/GKS", tampered)
    dossier_id = receive(national).dossier_id
    error = nothing_written(national, dossier_id, lambda: reuse(national, dossier_id))
    assert isinstance(error, SignatureRefusedError | FileRefusedError)


def test_not_configured_and_not_the_desk_are_refused_before_any_call(
    app: OneStop, server: WarehouseServer
) -> None:
    dossier_id = receive(app).dossier_id
    error = nothing_written(app, dossier_id, lambda: reuse(app, dossier_id))
    assert isinstance(error, NationalWarehouseUnavailableError)
    app.national_warehouse = HttpNationalWarehouse(server.url, LIMITS, timeout=0.5)
    error = nothing_written(
        app, dossier_id, lambda: reuse(app, dossier_id, who=specialist())
    )
    assert isinstance(error, ActorNotAllowedError)
    assert server.warehouse.calls == []
