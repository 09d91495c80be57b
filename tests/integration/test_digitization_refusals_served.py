"""Issue 9, bad input: every refusal is typed, and nothing is stored or written.

Against ``motcua serve`` with real multipart uploads; the trusted PKI is the
development PKI under the served data directory."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from adapters.pki import DevelopmentPki, Pki
from api.auth import AccessLevel
from api.wiring import build_application
from application.onestop import OneStop
from application.signatures import SignerRef
from domain.values import Role
from tests.api.conftest import OUTCOME, RECEIVE
from tests.api.test_graphql_flow import DIGITIZE
from tests.factories import APPLICANT, BIRTH, PROVINCE
from tests.scans import image_bytes, pdf_bytes
from tests.served import Served, seeded_settings, served

MAX_UPLOAD = 200_000
REUSE = f"""
mutation R($code: String!, $component: String!, $doc: ID!) {{
  reuseComponent(dossier: {{code: $code}}, componentCode: $component,
                 documentId: $doc) {{ {OUTCOME} }}
}}"""


@dataclass
class Instance:
    motcua: Served
    data_dir: Path
    reader: OneStop
    desk: str

    def blobs(self) -> list[Path]:
        root = self.data_dir / "blobs"
        return sorted(root.rglob("*")) if root.exists() else []

    def refused(self, data: bytes, content_type: str, status: int, code: str) -> None:
        before = self.blobs()
        response = self.motcua.upload(data, token=self.desk, content_type=content_type)
        assert response.status_code == status, response.text
        body = response.json()
        assert body["errors"][0]["extensions"]["code"] == code, body
        assert body["errors"][0]["message"]
        assert self.blobs() == before

    def gql(self, query: str, variables: dict[str, object]) -> dict[str, object]:
        response = self.motcua.graphql(query, variables, token=self.desk)
        assert response.status_code == 200, response.text
        (value,) = response.json()["data"].values()
        assert isinstance(value, dict)
        return value

    def position(self) -> int:
        return self.reader.recorder.max_notification_id() or 0


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    data_dir = tmp_path_factory.mktemp("refusals") / "data"
    settings = seeded_settings(data_dir, options={"MAX_UPLOAD_BYTES": str(MAX_UPLOAD)})
    reader = build_application(settings)
    with served(settings) as motcua:
        desk = motcua.tokens.issue(
            AccessLevel.OFFICER, subject="desk-1", agency=PROVINCE, roles=[Role.DESK]
        )
        yield Instance(motcua, settings.data_dir, reader, desk)
    reader.close()


def _png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width``×``height`` with almost no data."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data = zlib.compress(b"\x00" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", data)
        + chunk(b"IEND", b"")
    )


def _encrypted_pdf() -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes("mật"))))
    writer.encrypt(user_password="1234", owner_password="owner")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


class TestUploadsRefused:
    def test_without_a_token(self, instance: Instance) -> None:
        before = instance.blobs()
        response = instance.motcua.upload(pdf_bytes("x"), token=None)
        assert response.status_code == 401
        assert instance.blobs() == before

    def test_text_disguised_as_pdf(self, instance: Instance) -> None:
        instance.refused(
            b"hello, this is not a PDF at all\n" * 10,
            "application/pdf",
            415,
            "UNSUPPORTED_FILE_TYPE",
        )

    def test_an_image_declared_as_pdf(self, instance: Instance) -> None:
        instance.refused(
            image_bytes("ảnh"), "application/pdf", 415, "FILE_TYPE_MISMATCH"
        )

    @pytest.mark.parametrize(
        "data",
        [
            b"%PDF-1.7\n" + bytes(range(256)) * 8,
            pdf_bytes("cắt ngang")[: len(pdf_bytes("cắt ngang")) // 2],
            b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n%%EOF",
        ],
        ids=["garbage", "truncated", "no-pages"],
    )
    def test_corrupt_pdfs(self, instance: Instance, data: bytes) -> None:
        instance.refused(data, "application/pdf", 422, "CORRUPT_FILE")

    def test_a_truncated_jpeg(self, instance: Instance) -> None:
        jpeg = image_bytes("jpeg", "JPEG", (600, 800))
        instance.refused(jpeg[: len(jpeg) // 3], "image/jpeg", 422, "CORRUPT_FILE")

    def test_an_encrypted_pdf(self, instance: Instance) -> None:
        instance.refused(_encrypted_pdf(), "application/pdf", 422, "ENCRYPTED_PDF")

    @pytest.mark.parametrize("side", [20_000, 65_000])
    def test_decompression_bombs(self, instance: Instance, side: int) -> None:
        bomb = _png_claiming(side, side)
        assert len(bomb) < 2_000
        instance.refused(bomb, "image/png", 413, "FILE_TOO_LARGE")

    def test_a_file_over_the_limit(self, instance: Instance) -> None:
        big = pdf_bytes("lớn") + b"%" + b"0" * MAX_UPLOAD
        instance.refused(big, "application/pdf", 413, "FILE_TOO_LARGE")

    def test_a_body_far_over_the_limit(self, instance: Instance) -> None:
        huge = b"%PDF-1.7\n" + b"0" * (2 * 1024 * 1024)
        instance.refused(huge, "application/pdf", 413, "REQUEST_TOO_LARGE")


class TestSignaturesRefused:
    def test_untrusted_signer(
        self, instance: Instance, tmp_path_factory: pytest.TempPathFactory
    ) -> None:
        stranger = Pki.development_pki(tmp_path_factory.mktemp("other-pki"))
        signed = stranger.sign(pdf_bytes("lạ"), SignerRef.officer("desk-9", PROVINCE))
        instance.refused(signed, "application/pdf", 422, "SIGNATURE_INVALID")

    def test_revoked_signer(self, instance: Instance) -> None:
        folder = instance.data_dir / "pki"
        signer = SignerRef.officer("desk-revoked", PROVINCE)
        signed = Pki.development_pki(folder).sign(pdf_bytes("thu hồi"), signer)
        DevelopmentPki(folder).revoke(signer)
        instance.refused(signed, "application/pdf", 422, "SIGNATURE_INVALID")

    def test_a_valid_signature_is_accepted(self, instance: Instance) -> None:
        folder = instance.data_dir / "pki"
        signed = Pki.development_pki(folder).sign(
            pdf_bytes("hợp lệ"), SignerRef.officer("desk-2", PROVINCE)
        )
        response = instance.motcua.upload(signed, token=instance.desk)
        assert response.status_code == 201, response.text

    def test_modified_after_signing(self, instance: Instance) -> None:
        trusted = Pki.development_pki(instance.data_dir / "pki")
        signed = trusted.sign(pdf_bytes("gốc"), SignerRef.officer("desk-1", PROVINCE))
        start = signed.index(b"stream") + 40
        flipped = bytearray(signed)
        flipped[start] ^= 0xFF
        instance.refused(bytes(flipped), "application/pdf", 422, "SIGNATURE_INVALID")

        writer = PdfWriter(io.BytesIO(signed), incremental=True)
        writer.add_blank_page(200, 200)
        out = io.BytesIO()
        writer.write(out)
        instance.refused(out.getvalue(), "application/pdf", 422, "SIGNATURE_INVALID")


class TestCommandsRefused:
    def _dossier(self, instance: Instance) -> str:
        received = instance.gql(
            RECEIVE,
            {"procedure": BIRTH, "applicantId": APPLICANT.id, "name": APPLICANT.name},
        )
        code = received["code"]
        assert isinstance(code, str)
        return code

    def test_a_file_never_uploaded(self, instance: Instance) -> None:
        code = self._dossier(instance)
        before = instance.position()
        result = instance.gql(
            DIGITIZE,
            {"code": code, "component": "TP1", "doc": {"sha256": "ab" * 32}},
        )
        assert result["errorCode"] == "UNKNOWN_FILE", result
        assert instance.position() == before

    def test_an_expired_document_offered_for_reuse(self, instance: Instance) -> None:
        first = self._dossier(instance)
        upload = instance.motcua.upload(pdf_bytes("hết hạn"), token=instance.desk)
        sha = upload.json()["sha256"]
        expired = (date.today() - timedelta(days=2)).isoformat()
        issued = (date.today() - timedelta(days=400)).isoformat()
        doc = {"sha256": sha, "validUntil": expired, "issuedOn": issued}
        done = instance.gql(DIGITIZE, {"code": first, "component": "TP2", "doc": doc})
        assert done["__typename"] == "DossierUpdated", done
        document_id = instance.reader.find_dossier(first).components["TP2"].document_id
        second = self._dossier(instance)
        before = instance.position()
        refused = instance.gql(
            REUSE, {"code": second, "component": "TP2", "doc": str(document_id)}
        )
        assert refused["errorCode"] == "REUSE_REFUSED", refused
        assert "expired" in str(
            instance.motcua.graphql(
                REUSE,
                {"code": second, "component": "TP2", "doc": str(document_id)},
                token=instance.desk,
                headers={"Accept-Language": "en"},
            ).json()
        )
        assert instance.position() == before

    def test_an_invented_document_id_for_reuse(self, instance: Instance) -> None:
        code = self._dossier(instance)
        before = instance.position()
        refused = instance.gql(
            REUSE,
            {
                "code": code,
                "component": "TP2",
                "doc": "8f1c2e4a-1111-4222-8333-944455556666",
            },
        )
        assert refused["errorCode"] == "REUSE_REFUSED", refused
        assert instance.position() == before

    def test_a_document_id_already_taken(self, instance: Instance) -> None:
        code = self._dossier(instance)
        sha = instance.motcua.upload(pdf_bytes("trùng"), token=instance.desk).json()[
            "sha256"
        ]
        taken = str(instance.reader.dossier_id_for(code))  # the dossier's own id
        before = instance.position()
        result = instance.gql(
            DIGITIZE,
            {
                "code": code,
                "component": "TP1",
                "doc": {"sha256": sha, "documentId": taken},
            },
        )
        assert result["errorCode"] == "DOCUMENT_EXISTS", result
        assert instance.position() == before
