"""Builders for tests: dossiers in known states on the small Kon Tum catalogue
(``api.bench.catalogue``, shared with the benchmarks)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from uuid import UUID, uuid4

from api.bench.catalogue import (
    ADMIN,
    APPLICANT,
    BIRTH,
    BUILDING,
    COMMUNE,
    CONSTRUCTION,
    CRIMINAL_RECORD,
    DISTRICT,
    JUSTICE,
    MONDAY,
    OTHER_APPLICANT,
    OTHER_PROVINCE,
    PROVINCE,
    VN,
    birth_registration,
    building_permit,
    criminal_record,
    desk,
    leader,
    seed_catalogue,
    specialist,
)
from application.clock import trace_for
from application.onestop import OneStop, Reception
from domain.dossier_values import Applicant, DocumentMetadata, Holder, IssuedResult
from domain.values import Actor, Role, Trace
from tests.pki import ensure_pki
from tests.scans import store

__all__ = [  # the shared catalogue, as tests have always imported it from here
    "ADMIN",
    "APPLICANT",
    "BIRTH",
    "BUILDING",
    "COMMUNE",
    "CONSTRUCTION",
    "CRIMINAL_RECORD",
    "DISTRICT",
    "JUSTICE",
    "MONDAY",
    "OTHER_APPLICANT",
    "OTHER_PROVINCE",
    "PROVINCE",
    "VN",
    "birth_registration",
    "building_permit",
    "criminal_record",
    "desk",
    "leader",
    "seed_catalogue",
    "specialist",
]


def at(day_offset: int = 0, hour: int = 8, minute: int = 0) -> datetime:
    return (MONDAY + timedelta(days=day_offset)).replace(hour=hour, minute=minute)


def citizen(applicant: Applicant = APPLICANT) -> Actor:
    return Actor(applicant.id, Role.CITIZEN)


def trace(actor: Actor, when: datetime | None = None) -> Trace:
    return trace_for(actor, at=when or MONDAY)


def sha(text: str = "scan") -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def document(
    text: str = "scan", app: OneStop | None = None, by: Actor | None = None
) -> DocumentMetadata:
    """Metadata of the scan of ``text``; uploaded to ``app``'s files when given
    (and recorded as ``by``'s upload: a citizen may only name their own)."""
    if app is None:
        return DocumentMetadata(
            document_id=uuid4(), sha256=sha(text), number_symbol="01/GKS"
        )
    stored = store(app.files, text)
    if by is not None:
        app.record_upload(trace(by), stored, ())
    return DocumentMetadata(
        document_id=uuid4(), sha256=stored.sha256, number_symbol="01/GKS"
    )


def receive(
    app: OneStop,
    *,
    when: datetime = MONDAY,
    procedure: str = BIRTH,
    applicant: Applicant = APPLICANT,
    officer: Actor | None = None,
) -> Reception:
    return app.receive_dossier(
        trace=trace(officer or desk(), when),
        applicant=applicant,
        procedure_code=procedure,
    )


def digitize_and_sign(app: OneStop, dossier_id: UUID, when: datetime = MONDAY) -> None:
    ensure_pki(app)
    for code in ("TP1", "TP2"):
        app.digitize_component(
            dossier_id,
            trace=trace(desk(), when),
            component_code=code,
            document=document(code, app),
        )
        app.sign_component(
            dossier_id,
            trace=trace(desk(), when),
            component_code=code,
        )


def in_progress(app: OneStop, when: datetime = MONDAY) -> UUID:
    dossier_id = receive(app, when=when).dossier_id
    digitize_and_sign(app, dossier_id, when)
    app.forward_dossier(
        dossier_id, trace=trace(desk(), when), to=Holder(JUSTICE, "PHC")
    )
    return dossier_id


def result(app: OneStop, text: str = "result") -> IssuedResult:
    """A result document uploaded to ``app``'s files (signed when resolved)."""
    ensure_pki(app)
    stored = store(app.files, text)
    return IssuedResult("KQ.H34.000001", uuid4(), stored.sha256, "123/GKS")


def warehouse_document(
    app: OneStop,
    component: str = "TP2",
    *,
    applicant: Applicant = APPLICANT,
    when: datetime = MONDAY,
    metadata: DocumentMetadata | None = None,
) -> UUID:
    """A document of ``applicant`` in the warehouse: scanned for ``component``
    of an earlier birth-registration dossier."""
    earlier = receive(app, applicant=applicant, when=when).dossier_id
    scanned = metadata or document(f"{component}-{uuid4()}", app)
    app.digitize_component(
        earlier, trace=trace(desk(), when), component_code=component, document=scanned
    )
    return scanned.document_id
