"""Issue 9 items 1–3, 6: files, the desk's digitization flow, the warehouse and
citizen access, against ``motcua serve`` with real HTTP multipart and real
PAdES signatures (pyhanko, the development PKI under the data directory)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from adapters.pki import Pki
from api.auth import AccessLevel
from api.wiring import build_application
from domain.digitized_document import DigitizedDocument
from domain.values import Role
from tests.api.conftest import OUTCOME, RECEIVE
from tests.api.test_graphql_flow import DIGITIZE, RESOLVE, RETURN, SIGN
from tests.api.test_graphql_rules import FORWARD
from tests.factories import (
    APPLICANT,
    BIRTH,
    CONSTRUCTION,
    JUSTICE,
    OTHER_APPLICANT,
    PROVINCE,
)
from tests.scans import image_bytes, pdf_bytes
from tests.served import Served, seeded_settings, served

CHECK_ACCOUNT = f"""
mutation C($code: String!) {{
  checkDigitalAccount(dossier: {{code: $code}}) {{ {OUTCOME} }}
}}"""
REUSE = f"""
mutation R($code: String!, $component: String!, $doc: ID!) {{
  reuseComponent(dossier: {{code: $code}}, componentCode: $component,
                 documentId: $doc) {{ {OUTCOME} }}
}}"""
WAREHOUSE = """
query W($owner: String!, $type: String, $on: Date) {
  warehouseDocuments(ownerId: $owner, typeCode: $type, validOn: $on) {
    documentId ownerId kind typeCode numberSymbol validUntil permanent sha256
    size pages mediaType reuseCount signatures dossierCode itemCode downloadUrl
  }
}"""
MY_DOCUMENTS = """
query M { myDocuments { documentId kind typeCode downloadUrl signatures } }
"""
REVALIDATE = """
mutation V($doc: ID!) {
  validateDocumentSignatures(documentId: $doc) {
    __typename
    ... on DocumentValidated { documentId signatures }
    ... on InvalidInput { errorCode message }
  }
}"""


class Desk:
    """One served motcua and the people who use it."""

    def __init__(self, motcua: Served) -> None:
        self.motcua = motcua
        issue = motcua.tokens.issue
        self.desk = issue(
            AccessLevel.OFFICER, subject="desk-1", agency=PROVINCE, roles=[Role.DESK]
        )
        self.leader = issue(
            AccessLevel.OFFICER, subject="lead-1", agency=JUSTICE, roles=[Role.LEADER]
        )
        self.outsider = issue(
            AccessLevel.OFFICER,
            subject="xd-1",
            agency=CONSTRUCTION,
            roles=[Role.DESK, Role.LEADER],
        )
        self.citizen = issue(AccessLevel.CITIZEN, subject=APPLICANT.id, eid_level=2)
        self.other = issue(AccessLevel.CITIZEN, subject=OTHER_APPLICANT.id, eid_level=2)

    def gql(self, query: str, variables: dict[str, Any], token: str) -> Any:
        response = self.motcua.graphql(query, variables, token=token)
        assert response.status_code == 200, response.text
        body = response.json()
        assert not body.get("errors"), body
        (value,) = body["data"].values()
        return value

    def ok(self, query: str, variables: dict[str, Any], token: str) -> Any:
        done = self.gql(query, variables, token)
        assert done["__typename"] == "DossierUpdated", done
        return done

    def receive(self, applicant_id: str = APPLICANT.id, name: str = "An") -> str:
        received = self.gql(
            RECEIVE,
            {"procedure": BIRTH, "applicantId": applicant_id, "name": name},
            self.desk,
        )
        assert received["__typename"] == "DossierReceived", received
        code: str = received["code"]
        return code

    def upload(self, data: bytes, content_type: str, token: str | None = None) -> str:
        response = self.motcua.upload(
            data, token=token or self.desk, content_type=content_type
        )
        assert response.status_code == 201, response.text
        digest: str = response.json()["sha256"]
        return digest


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[tuple[Desk, Path]]:
    settings = seeded_settings(tmp_path / "data")
    with served(settings) as motcua:
        yield Desk(motcua), settings.data_dir


def stored_blobs(data_dir: Path) -> list[Path]:
    return (
        sorted((data_dir / "blobs").rglob("*")) if (data_dir / "blobs").exists() else []
    )


def test_check_account_scan_sign_forward_reuse_resolve_and_download(
    instance: tuple[Desk, Path],
) -> None:
    desk, data_dir = instance
    code = desk.receive()

    # the account check asks the identity provider and is an event.
    desk.ok(CHECK_ACCOUNT, {"code": code}, desk.desk)
    reader = build_application(desk.motcua.settings)
    dossier = reader.find_dossier(code)
    assert dossier.digital_account is not None
    assert dossier.digital_account.provider == "development"
    assert dossier.digital_account.has_account  # CCCD ending in 1: level 1
    assert dossier.digital_account.eid_level == 1

    # A PNG scan becomes a PDF; a PDF stays itself.
    png = desk.motcua.upload(
        image_bytes("Tờ khai khai sinh"), token=desk.desk, content_type="image/png"
    )
    assert png.status_code == 201, png.text
    facts = png.json()
    assert facts["mediaType"] == "image/png"
    assert facts["pages"] == 1
    tp2 = desk.upload(pdf_bytes("Giấy chứng sinh"), "application/pdf")
    desk.ok(
        DIGITIZE,
        {
            "code": code,
            "component": "TP1",
            "doc": {"sha256": facts["sha256"], "numberSymbol": "01/TK"},
        },
        desk.desk,
    )
    desk.ok(
        DIGITIZE,
        {
            "code": code,
            "component": "TP2",
            "doc": {"sha256": tp2, "numberSymbol": "123/GCS", "permanent": True},
        },
        desk.desk,
    )

    # Forwarding waits for the officer's signature on every in-scope scan.
    refused = desk.gql(FORWARD, {"code": code, "to": JUSTICE}, desk.desk)
    assert refused["errorCode"] == "UNSIGNED_COMPONENTS", refused
    for component in ("TP1", "TP2"):
        desk.ok(SIGN, {"code": code, "component": component}, desk.desk)
    desk.ok(FORWARD, {"code": code, "to": JUSTICE, "department": "PHC"}, desk.desk)

    # The warehouse holds both scans, signed; the desk finds them for reuse.
    found = desk.gql(WAREHOUSE, {"owner": APPLICANT.id, "type": "GT.GCS"}, desk.desk)
    (certificate,) = found
    assert certificate["permanent"]
    assert certificate["validUntil"] is None
    assert certificate["signatures"] == "TOTAL_PASSED"
    assert certificate["dossierCode"] == code
    assert certificate["itemCode"] == "TP2"
    assert certificate["sha256"] != tp2  # the signed copy replaced the scan

    pki = Pki.development_pki(data_dir / "pki")
    scan = desk.motcua.download(certificate["documentId"], token=desk.desk)
    assert scan.status_code == 200, scan.text
    assert scan.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(scan.content).hexdigest() == certificate["sha256"]
    digest = base64.b64encode(hashlib.sha256(scan.content).digest()).decode()
    assert scan.headers["repr-digest"] == f"sha-256=:{digest}:"
    (signature,) = pki.validate(scan.content).signatures
    assert signature.passed
    assert signature.signer == "desk-1"

    # A second dossier of the same owner reuses it; no paper, no new scan.
    second = desk.receive()
    desk.ok(
        REUSE,
        {"code": second, "component": "TP2", "doc": certificate["documentId"]},
        desk.desk,
    )
    again = desk.gql(WAREHOUSE, {"owner": APPLICANT.id, "type": "GT.GCS"}, desk.desk)
    assert [d["reuseCount"] for d in again] == [1]
    reused = reader.find_dossier(second).components["TP2"]
    assert reused.status.value == "reused"
    assert reused.reuse_source is not None
    assert reused.reuse_source.value == "warehouse_component"

    # Another owner's dossier cannot take it; nor can an out-of-scope item.
    stranger = desk.receive(OTHER_APPLICANT.id, "Bình")
    theirs = desk.gql(
        REUSE,
        {"code": stranger, "component": "TP2", "doc": certificate["documentId"]},
        desk.desk,
    )
    assert theirs["errorCode"] == "REUSE_REFUSED", theirs
    shown = desk.gql(
        REUSE,
        {"code": second, "component": "TP3", "doc": certificate["documentId"]},
        desk.desk,
    )
    assert shown["errorCode"] == "COMPONENT_ERROR", shown
    assert reader.find_dossier(stranger).version == 1

    # Downloads: the owner, an officer who sees a dossier of it; nobody else.
    own = desk.motcua.download(certificate["documentId"], token=desk.citizen)
    assert own.status_code == 200
    assert own.content == scan.content
    assert (
        desk.motcua.download(certificate["documentId"], token=desk.other).status_code
        == 404
    )
    assert (
        desk.motcua.download(certificate["documentId"], token=desk.outsider).status_code
        == 404
    )
    assert (
        desk.motcua.download(certificate["documentId"], token=None).status_code == 401
    )
    document = reader.warehouse_document(UUID(certificate["documentId"]))
    assert document is not None
    accesses = [
        e
        for e in reader.events.get(document.id)
        if isinstance(e, DigitizedDocument.Accessed)
    ]
    assert [e.trace.actor.id for e in accesses] == ["desk-1"]  # not the owner's

    # The result: uploaded unsigned, signed by the leader and sealed by the
    # agency; hidden from the owner until returned.
    result_sha = desk.upload(
        pdf_bytes("GIẤY KHAI SINH"), "application/pdf", desk.leader
    )
    desk.ok(RESOLVE, {"code": code, "sha": result_sha}, desk.leader)
    kinds = [d["kind"] for d in desk.gql(MY_DOCUMENTS, {}, desk.citizen)]
    assert "RESULT" not in kinds
    assert kinds.count("COMPONENT") == 2
    results = [
        d
        for d in desk.gql(WAREHOUSE, {"owner": APPLICANT.id}, desk.desk)
        if d["kind"] == "RESULT"
    ]
    (result,) = results
    assert (
        desk.motcua.download(result["documentId"], token=desk.citizen).status_code
        == 404
    )
    desk.ok(RETURN, {"code": code}, desk.desk)
    mine = desk.gql(MY_DOCUMENTS, {}, desk.citizen)
    (returned,) = [d for d in mine if d["kind"] == "RESULT"]
    assert returned["downloadUrl"] == f"/api/documents/{result['documentId']}"
    signed = desk.motcua.download(result["documentId"], token=desk.citizen)
    assert signed.status_code == 200
    checks = pki.validate(signed.content)
    assert checks.passed
    assert next(s.signer for s in checks.signatures) == "lead-1"
    assert len(checks.signatures) == 2  # the competent person, then the agency

    # Re-validation appends to the document, never replaces.
    for _ in range(2):
        revalidated = desk.gql(REVALIDATE, {"doc": result["documentId"]}, desk.leader)
        assert revalidated["signatures"] == "TOTAL_PASSED", revalidated
    validations = [
        e
        for e in reader.events.get(UUID(result["documentId"]))
        if isinstance(e, DigitizedDocument.SignaturesValidated)
    ]
    assert len(validations) == 3  # at resolution, then twice again
    reader.close()
