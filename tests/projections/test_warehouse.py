"""The warehouse read model on SQLite and PostgreSQL, applied in one batch and
one event at a time: search by owner, type and validity; results hidden until
returned; reuse counts and signatures."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID, uuid4

from api.wiring import build_projector
from domain.digitized_document import DocumentKind
from domain.dossier_values import DocumentMetadata, Holder, ReturnMethod
from projections.warehouse import WarehouseView
from tests.factories import (
    APPLICANT,
    JUSTICE,
    MONDAY,
    OTHER_APPLICANT,
    at,
    desk,
    digitize_and_sign,
    leader,
    receive,
    result,
    seed_catalogue,
    trace,
    warehouse_document,
)
from tests.pki import ensure_pki
from tests.projections.conftest import Backend
from tests.scans import store


def _scenario(backend: Backend) -> dict[str, object]:
    app = ensure_pki(backend.app)
    seed_catalogue(app)
    expired_sha = store(app.files, "cũ").sha256
    expired = warehouse_document(
        app,
        "TP2",
        metadata=DocumentMetadata(
            document_id=uuid4(),
            sha256=expired_sha,
            valid_until=date(2026, 3, 10),
        ),
    )
    kept = warehouse_document(app, "TP2")
    warehouse_document(app, "TP2", applicant=OTHER_APPLICANT)
    dossier = receive(app, when=at(1)).dossier_id
    app.reuse_component(
        dossier, trace=trace(desk(), at(1, 9)), component_code="TP2", document_id=kept
    )
    resolved = receive(app, when=at(2)).dossier_id
    digitize_and_sign(app, resolved, at(2))
    app.forward_dossier(
        resolved, trace=trace(desk(), at(2, 10)), to=Holder(JUSTICE, "PHC")
    )
    issued = result(app)
    app.resolve_dossier(
        resolved, trace=trace(leader(), at(3)), results=(issued,), decision="Cấp"
    )
    return {
        "app": app,
        "resolved": resolved,
        "expired": str(expired),
        "kept": str(kept),
        "result": str(issued.document_id),
    }


def test_search_hidden_results_and_reuse(backend: Backend) -> None:
    s = _scenario(backend)
    app = backend.app
    projector = build_projector(app, backend.store, ["warehouse"], batch_size=1000)
    projector.setup()
    projector.catch_up()
    assert not projector.dead_letters()
    view = WarehouseView(backend.store)

    every = view.search(APPLICANT.id)
    kinds = sorted(d.kind.value for d in every)
    assert kinds == ["component"] * 4 + ["result"]
    certificates = view.search(APPLICANT.id, "GT.GCS")
    assert {d.document_id for d in certificates} >= {s["expired"], s["kept"]}
    valid = view.search(APPLICANT.id, "GT.GCS", date(2026, 3, 20))
    assert s["expired"] not in {d.document_id for d in valid}
    assert s["kept"] in {d.document_id for d in valid}
    (kept,) = [d for d in every if d.document_id == s["kept"]]
    assert kept.reuse_count == 1
    assert kept.valid_until == (MONDAY + timedelta(days=183)).date()
    (issued,) = [d for d in every if d.kind is DocumentKind.RESULT]
    assert issued.hidden
    assert issued.signatures == "TOTAL_PASSED"
    assert s["result"] not in {
        d.document_id for d in view.search(APPLICANT.id, include_hidden=False)
    }
    assert all(
        d.owner_id == OTHER_APPLICANT.id for d in view.search(OTHER_APPLICANT.id)
    )

    app.return_result(
        UUID(str(s["resolved"])),
        trace=trace(desk(), at(4)),
        method=ReturnMethod.ELECTRONIC,
    )
    projector.catch_up()
    shown = view.search(APPLICANT.id, include_hidden=False)
    assert s["result"] in {d.document_id for d in shown}
