"""The officer mutations' input types and the bounds their values meet."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import uuid4

import strawberry

from api.graphql.types.scalars import Money
from domain import bounds
from domain.dossier_values import (
    ApplicantKind,
    Channel,
    DocumentMetadata,
    IssuedResult,
    PaymentChannel,
    ReturnMethod,
    ReuseSource,
)
from domain.errors import LabelledError, MissingDataError
from domain.procedure import Fee

for _enum in (ReturnMethod, ReuseSource, PaymentChannel, Channel, ApplicantKind):
    strawberry.enum(_enum)


@strawberry.input(
    description="Siêu dữ liệu giấy tờ số hóa (TT 01/2023) và tệp đã tải lên "
    "(POST /api/files) / TT 01/2023 metadata of a document and its uploaded file"
)
class DocumentInput:
    sha256: str = strawberry.field(
        description="SHA-256 của tệp đã tải lên / the uploaded file's SHA-256"
    )
    document_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Mã giấy tờ trong kho (UUID mới; bỏ trống để hệ thống cấp) / "
        "the warehouse id to give it (a new UUID; omit to have one issued)",
    )
    number_symbol: str = ""
    issued_on: date | None = None
    issuer: str = ""
    valid_until: date | None = None
    summary: str = ""
    signer: str = ""
    permanent: bool = False
    validity_scope: str = ""

    def metadata(self) -> DocumentMetadata:
        document_id = (
            uuid4()
            if self.document_id is None
            else bounds.uuid(str(self.document_id), "document.documentId")
        )
        return DocumentMetadata(
            document_id=document_id,
            sha256=_digest(self.sha256),
            number_symbol=self.number_symbol,
            issued_on=self.issued_on,
            issuer=self.issuer,
            valid_until=self.valid_until,
            summary=self.summary,
            signer=self.signer,
            permanent=self.permanent,
            validity_scope=self.validity_scope,
        )


@strawberry.input
class ReceiveDossierInput:
    """Either ``dossier_id`` of an online submission, or a paper dossier's applicant."""

    dossier_id: strawberry.ID | None = None
    procedure_code: str | None = None
    applicant_id: str | None = None
    applicant_name: str | None = None
    applicant_kind: ApplicantKind = ApplicantKind.CITIZEN
    channel: Channel = Channel.DESK
    summary: str = ""


@strawberry.input
class ResultInput:
    result_code: str
    sha256: str = strawberry.field(
        description="SHA-256 của tệp kết quả đã ký, đã tải lên (POST /api/files) / "
        "the uploaded signed result file's SHA-256"
    )
    document_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Mã giấy tờ trong kho (UUID mới; bỏ trống để hệ thống cấp) / "
        "the warehouse id to give it (a new UUID; omit to have one issued)",
    )
    number_symbol: str = ""
    valid_until: date | None = None
    permanent: bool = False

    def issued(self) -> IssuedResult:
        document_id = (
            uuid4()
            if self.document_id is None
            else bounds.uuid(str(self.document_id), "results.documentId")
        )
        return IssuedResult(
            self.result_code,
            document_id,
            _digest(self.sha256),
            self.number_symbol,
            self.valid_until,
            self.permanent,
        )


@strawberry.input
class FeeInput:
    code: str
    name: str
    amount: Money  # type: ignore[valid-type]

    def fee(self) -> Fee:
        amount = bounds.money(self.amount, "fees.amount")
        return Fee(self.code, self.name, Decimal(amount))


def missing(field: str) -> LabelledError:
    return MissingDataError(field)


def reason_text(value: str, field: str = "reason") -> str:
    """Free text of a command (reason, note, decision): bounded at the edge."""
    return bounds.text(value, field, bounds.REASON_LENGTH, multiline=True)


def component_list(codes: list[str]) -> tuple[str, ...]:
    bounds.bounded(codes, "componentCodes", bounds.MAX_COMPONENTS)
    return tuple(bounds.code(c, "componentCodes") for c in codes)


def _digest(value: str) -> str:
    """Digests are compared lowercase; anything else is left for the domain to refuse."""
    return value.lower() if len(value) == 64 else value
