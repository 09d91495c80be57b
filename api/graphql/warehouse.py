"""The warehouse in GraphQL: ``myDocuments`` for owners, ``warehouseDocuments``
for the desk's reuse lookup, and re-validating a document's signatures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, TypeVar

import strawberry
from graphql import GraphQLError

from api.auth import AccessLevel
from api.graphql.context import Context
from api.graphql.queries import wait_for
from api.graphql.types.outcomes import InvalidInput, NotAllowed
from application.clock import trace_for
from domain import bounds
from domain.digitized_document import DigitizedDocument, DocumentKind
from domain.dossier_values import canonical_applicant_id
from domain.errors import LabelledError
from domain.values import Role
from projections.warehouse import WarehouseDocument as Row

Info = strawberry.Info[Context, None]

strawberry.enum(DocumentKind)

DOWNLOAD_PATH = "/api/documents/"


@strawberry.type(
    name="WarehouseDocument",
    description="Giấy tờ trong kho dữ liệu điện tử (siêu dữ liệu TT 01/2023) / "
    "a document of the electronic data warehouse (TT 01/2023 metadata)",
)
class WarehouseDocumentType:
    document_id: strawberry.ID
    owner_id: str
    kind: DocumentKind
    type_code: str = strawberry.field(
        description="Mã giấy tờ hoặc mã kết quả / document type or result code"
    )
    number_symbol: str
    issued_on: date | None
    issuer: str
    signer: str
    valid_until: date | None = strawberry.field(
        description="Hết hiệu lực sau ngày này; null = vô thời hạn"
    )
    permanent: bool
    validity_scope: str
    summary: str
    agency_code: str
    dossier_code: str | None
    item_code: str
    sha256: str
    size: int
    pages: int
    media_type: str
    digitized_at: datetime | None
    reuse_count: int
    signatures: str = strawberry.field(
        description="Kết quả kiểm tra chữ ký gần nhất (TOTAL_PASSED…; rỗng nếu không "
        "có chữ ký) / latest signature validation"
    )
    download_url: str = strawberry.field(
        description="GET với token của chủ sở hữu hoặc cán bộ / GET with a token"
    )

    @classmethod
    def of(cls, row: Row) -> WarehouseDocumentType:
        return cls(
            document_id=strawberry.ID(row.document_id),
            owner_id=row.owner_id,
            kind=row.kind,
            type_code=row.type_code,
            number_symbol=row.number_symbol,
            issued_on=row.issued_on,
            issuer=row.issuer,
            signer=row.signer,
            valid_until=row.valid_until,
            permanent=row.permanent,
            validity_scope=row.validity_scope,
            summary=row.summary,
            agency_code=row.agency_code,
            dossier_code=row.dossier_code,
            item_code=row.item_code,
            sha256=row.sha256,
            size=row.size,
            pages=row.pages,
            media_type=row.media_type,
            digitized_at=row.digitized_at,
            reuse_count=row.reuse_count,
            signatures=row.signatures,
            download_url=DOWNLOAD_PATH + row.document_id,
        )


def _page(limit: int) -> int:
    return max(1, min(limit, 200))  # api.graphql.cost.PAGES


def _type_code(value: str | None) -> str | None:
    return None if value is None else bounds.code(value, "typeCode")


@strawberry.type
class WarehouseQuery:
    @strawberry.field(
        description="Giấy tờ và kết quả của tôi trong kho (kết quả chỉ hiện khi đã "
        "trả) / my documents and returned results"
    )
    async def my_documents(
        self,
        info: Info,
        type_code: str | None = None,
        valid_on: date | None = None,
        limit: int = 50,
        after: int | None = None,
    ) -> list[WarehouseDocumentType]:
        context = info.context
        principal = context.require(AccessLevel.CITIZEN)
        await wait_for(context, after)
        owner = canonical_applicant_id(principal.subject or "")
        code = _checked(context, lambda: _type_code(type_code))
        rows = await context.read(
            lambda: context.services.warehouse.search(
                owner, code, valid_on, include_hidden=False, limit=_page(limit)
            )
        )
        return [WarehouseDocumentType.of(r) for r in rows]

    @strawberry.field(
        description="Tra cứu kho dữ liệu của người nộp để tái sử dụng (cán bộ một "
        "cửa) / the desk looks up an applicant's warehouse for reuse"
    )
    async def warehouse_documents(
        self,
        info: Info,
        owner_id: str,
        type_code: str | None = None,
        valid_on: date | None = None,
        limit: int = 50,
        after: int | None = None,
    ) -> list[WarehouseDocumentType]:
        context = info.context
        principal = context.require(AccessLevel.OFFICER)
        if Role.DESK not in principal.roles:
            raise GraphQLError(
                context.text("Không có quyền truy cập", "Forbidden"),
                extensions={"code": "FORBIDDEN"},
            )
        await wait_for(context, after)
        owner = canonical_applicant_id(
            _checked(
                context,
                lambda: bounds.text(owner_id, "ownerId", bounds.SHORT_TEXT_LENGTH),
            )
        )
        code = _checked(context, lambda: _type_code(type_code))
        rows = await context.read(
            lambda: context.services.warehouse.search(
                owner, code, valid_on, limit=_page(limit)
            )
        )
        return [WarehouseDocumentType.of(r) for r in rows]


T = TypeVar("T")


def _checked(context: Context, check: Callable[[], T]) -> T:
    try:
        return check()
    except LabelledError as error:
        raise GraphQLError(
            error.message(context.language), extensions={"code": error.code}
        ) from None


@strawberry.type(description="Chữ ký số của giấy tờ đã được kiểm tra lại")
class DocumentValidated:
    document_id: strawberry.ID
    signatures: str
    log_position: int | None


ValidateOutcome = Annotated[
    DocumentValidated | NotAllowed | InvalidInput,
    strawberry.union("ValidateDocumentResult"),
]


@strawberry.type
class WarehouseMutation:
    @strawberry.mutation(
        description="Kiểm tra lại chữ ký số của giấy tờ; kết quả được ghi thêm (không "
        "ghi đè) / validate a document's signatures again; the outcome is appended"
    )
    async def validate_document_signatures(
        self, info: Info, document_id: strawberry.ID
    ) -> ValidateOutcome:
        context = info.context
        principal = context.principal
        if principal.level is not AccessLevel.OFFICER:
            return NotAllowed(message=context.text("Không có quyền", "Not allowed"))

        def run() -> ValidateOutcome:
            try:
                wanted = bounds.uuid(str(document_id), "documentId")
                trace = trace_for(
                    principal.actor_for(None), correlation_id=context.correlation_id()
                )
                document: DigitizedDocument = (
                    context.services.onestop.validate_document(wanted, trace=trace)
                )
            except LabelledError as error:
                return InvalidInput(
                    error_code=error.code, message=error.message(context.language)
                )
            return DocumentValidated(
                document_id=strawberry.ID(str(document.id)),
                signatures=_latest(document),
                log_position=context.services.onestop.recorder.max_notification_id(),
            )

        return await context.run(run)


def _latest(document: DigitizedDocument) -> str:
    if not document.checks:
        return ""
    if all(c.passed for c in document.checks):
        return "TOTAL_PASSED"
    return next(c.indication for c in document.checks if not c.passed)
