"""Officer mutations: one per lifecycle command."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated
from uuid import UUID, uuid4

import strawberry

from api.auth import AccessLevel
from api.graphql.context import Context
from api.graphql.mutations.common import (
    DossierRef,
    Failures,
    Outcome,
    dossier_id_of,
    failure,
    run_command,
)
from api.graphql.types.outcomes import DossierReceived, NotAllowed
from api.graphql.types.scalars import Money
from application.clock import trace_for
from application.onestop import CommandOutcome, OneStop
from domain import bounds
from domain.dossier_rules import Command
from domain.dossier_values import (
    Applicant,
    ApplicantKind,
    Channel,
    DigitalAccount,
    DocumentMetadata,
    Holder,
    IssuedResult,
    PaymentChannel,
    ReturnMethod,
    ReuseSource,
)
from domain.errors import InvalidValueError, LabelledError, MissingDataError
from domain.procedure import Fee
from domain.values import Role, Trace

Info = strawberry.Info[Context, None]

for _enum in (ReturnMethod, ReuseSource, PaymentChannel, Channel, ApplicantKind):
    strawberry.enum(_enum)

ReceiveOutcome = Annotated[
    DossierReceived | Failures, strawberry.union("ReceiveDossierResult")
]


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


def _bad(field: str) -> LabelledError:
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


def _receive(context: Context, data: ReceiveDossierInput) -> ReceiveOutcome:
    onestop: OneStop = context.services.onestop
    principal = context.principal
    if principal.level is not AccessLevel.OFFICER or Role.DESK not in principal.roles:
        return NotAllowed(
            message=context.text(
                "Chỉ cán bộ một cửa được tiếp nhận",
                "Only one-stop desk officers receive",
            )
        )
    trace = trace_for(
        principal.actor_for(Role.DESK), correlation_id=context.correlation_id()
    )
    try:
        if data.dossier_id:
            dossier_id = dossier_id_of(onestop, DossierRef(dossier_id=data.dossier_id))
            reception = onestop.receive_submitted_dossier(dossier_id, trace=trace)
        else:
            missing = [
                name
                for name, value in (
                    ("procedureCode", data.procedure_code),
                    ("applicantId", data.applicant_id),
                    ("applicantName", data.applicant_name),
                )
                if not value
            ]
            if missing or not (
                data.procedure_code and data.applicant_id and data.applicant_name
            ):
                raise _bad(", ".join(missing))
            reception = onestop.receive_dossier(
                trace=trace,
                procedure_code=data.procedure_code,
                applicant=Applicant(
                    data.applicant_id, data.applicant_name, data.applicant_kind
                ),
                channel=data.channel,
                summary=bounds.text(
                    data.summary, "summary", bounds.SUMMARY_LENGTH, multiline=True
                ),
            )
    except LabelledError as error:
        return failure(context, error)
    return DossierReceived(
        dossier_id=strawberry.ID(str(reception.dossier_id)),
        code=reception.code,
        due_at=reception.due_at,
        log_position=reception.notification_id,
    )


@strawberry.type
class OfficerMutation:
    @strawberry.mutation(
        description="Tiếp nhận hồ sơ (giấy tại quầy hoặc hồ sơ trực tuyến)"
    )
    async def receive_dossier(
        self, info: Info, input: ReceiveDossierInput
    ) -> ReceiveOutcome:
        return await info.context.run(_receive, info.context, input)

    @strawberry.mutation(description="Từ chối tiếp nhận hồ sơ trực tuyến")
    async def refuse_dossier(
        self, info: Info, dossier: DossierRef, reason: str
    ) -> Outcome:
        return await run_command(
            info.context,
            dossier,
            Command.REFUSE,
            lambda app, i, t, v: app.refuse_dossier(
                i, trace=t, reason=reason_text(reason), expected_version=v
            ),
        )

    @strawberry.mutation(
        description="Kiểm tra tài khoản số của người nộp qua nhà cung cấp định danh; "
        "nếu cán bộ nhập hasAccount thì ghi theo cán bộ / check the applicant's "
        "digital account with the identity provider (or as the desk entered it)"
    )
    async def check_digital_account(
        self,
        info: Info,
        dossier: DossierRef,
        has_account: bool | None = None,
        verified_with_vneid: bool = False,
        eid_level: int = 0,
    ) -> Outcome:

        def run(app: OneStop, i: UUID, t: Trace, v: int | None) -> CommandOutcome:
            entered = (
                None
                if has_account is None
                else DigitalAccount(
                    has_account, verified_with_vneid, eid_level, "officer"
                )
            )
            return app.check_digital_account(
                i, trace=t, account=entered, expected_version=v
            )

        return await run_command(
            info.context, dossier, Command.CHECK_DIGITAL_ACCOUNT, run
        )

    @strawberry.mutation(description="Số hóa một thành phần hồ sơ")
    async def digitize_component(
        self,
        info: Info,
        dossier: DossierRef,
        component_code: str,
        document: DocumentInput,
    ) -> Outcome:
        return await run_command(
            info.context,
            dossier,
            Command.DIGITIZE_COMPONENT,
            lambda app, i, t, v: app.digitize_component(
                i,
                trace=t,
                component_code=bounds.code(component_code, "componentCode"),
                document=document.metadata(),
                expected_version=v,
            ),
        )

    @strawberry.mutation(description="Tái sử dụng giấy tờ đã có trong kho dữ liệu")
    async def reuse_component(
        self,
        info: Info,
        dossier: DossierRef,
        component_code: str,
        document_id: strawberry.ID,
    ) -> Outcome:
        def run(app: OneStop, i: UUID, t: Trace, v: int | None) -> CommandOutcome:
            return app.reuse_component(
                i,
                trace=t,
                component_code=bounds.code(component_code, "componentCode"),
                document_id=bounds.uuid(str(document_id), "documentId"),
                expected_version=v,
            )

        return await run_command(info.context, dossier, Command.REUSE_COMPONENT, run)

    @strawberry.mutation(
        description="Lấy giấy tờ của người nộp từ Kho dữ liệu quốc gia (DVCQG) và tái "
        "sử dụng cho thành phần / bring the applicant's document of a result code "
        "from the national warehouse and reuse it (NATIONAL_WAREHOUSE_UNAVAILABLE, "
        "NATIONAL_WAREHOUSE_MALFORMED, NATIONAL_DOCUMENT_NOT_FOUND write nothing)"
    )
    async def reuse_from_national_warehouse(
        self,
        info: Info,
        dossier: DossierRef,
        component_code: str,
        result_code: str,
        number_symbol: str = "",
    ) -> Outcome:
        def run(app: OneStop, i: UUID, t: Trace, v: int | None) -> CommandOutcome:
            return app.reuse_from_national_warehouse(
                i,
                trace=t,
                component_code=bounds.code(component_code, "componentCode"),
                result_code=result_code,
                number_symbol=number_symbol,
                expected_version=v,
            )

        return await run_command(info.context, dossier, Command.REUSE_COMPONENT, run)

    @strawberry.mutation(
        description="Cán bộ tiếp nhận ký số (PAdES) bản quét đã lưu của thành phần / "
        "the receiving officer signs the stored scan (PAdES)"
    )
    async def sign_component(
        self,
        info: Info,
        dossier: DossierRef,
        component_code: str,
    ) -> Outcome:
        return await run_command(
            info.context,
            dossier,
            Command.SIGN_COMPONENT,
            lambda app, i, t, v: app.sign_component(
                i,
                trace=t,
                component_code=bounds.code(component_code, "componentCode"),
                expected_version=v,
            ),
        )

    @strawberry.mutation(description="Chuyển hồ sơ đến phòng ban hoặc cơ quan khác")
    async def forward_dossier(
        self,
        info: Info,
        dossier: DossierRef,
        to_agency_code: str,
        to_department: str | None = None,
        note: str = "",
        planned_due_at: datetime | None = None,
    ) -> Outcome:
        return await run_command(
            info.context,
            dossier,
            Command.FORWARD,
            lambda app, i, t, v: app.forward_dossier(
                i,
                trace=t,
                to=Holder(to_agency_code, to_department),
                note=reason_text(note, "note"),
                planned_due_at=(
                    None
                    if planned_due_at is None
                    else bounds.instant(planned_due_at, "plannedDueAt")
                ),
                expected_version=v,
            ),
        )

    @strawberry.mutation(description="Yêu cầu bổ sung hồ sơ (dừng tính thời gian)")
    async def request_supplement(
        self, info: Info, dossier: DossierRef, component_codes: list[str], reason: str
    ) -> Outcome:
        return await run_command(
            info.context,
            dossier,
            Command.REQUEST_SUPPLEMENT,
            lambda app, i, t, v: app.request_supplement(
                i,
                trace=t,
                items=component_list(component_codes),
                reason=reason_text(reason),
                expected_version=v,
            ),
        )

    @strawberry.mutation(description="Nhận hồ sơ bổ sung tại quầy")
    async def receive_supplement(
        self,
        info: Info,
        dossier: DossierRef,
        documents: list[DocumentInput] | None = None,
        component_codes: list[str] | None = None,
    ) -> Outcome:
        def run(app: OneStop, i: UUID, t: Trace, v: int | None) -> CommandOutcome:
            codes, papers = component_codes or [], documents or []
            bounds.bounded(codes, "componentCodes", bounds.MAX_DOCUMENTS)
            bounds.bounded(papers, "documents", bounds.MAX_DOCUMENTS)
            if len(codes) != len(papers):
                raise InvalidValueError(
                    "documents",
                    "mỗi mã thành phần đi kèm đúng một giấy tờ",
                    "each component code needs exactly one document",
                )
            given = dict(zip(codes, papers, strict=True))
            return app.receive_supplement(
                i,
                trace=t,
                documents={c: d.metadata() for c, d in given.items()},
                expected_version=v,
            )

        return await run_command(info.context, dossier, Command.RECEIVE_SUPPLEMENT, run)

    @strawberry.mutation(description="Yêu cầu thực hiện nghĩa vụ tài chính")
    async def request_payment(
        self, info: Info, dossier: DossierRef, fees: list[FeeInput], reason: str = ""
    ) -> Outcome:
        def run(app: OneStop, i: UUID, t: Trace, v: int | None) -> CommandOutcome:
            bounds.bounded(fees, "fees", bounds.MAX_FEES)
            lines = tuple(f.fee() for f in fees)
            return app.request_payment(
                i, trace=t, fees=lines, reason=reason_text(reason), expected_version=v
            )

        return await run_command(info.context, dossier, Command.REQUEST_PAYMENT, run)

    @strawberry.mutation(description="Xác nhận đã thực hiện nghĩa vụ tài chính")
    async def confirm_payment(
        self, info: Info, dossier: DossierRef, channel: PaymentChannel, receipt: str
    ) -> Outcome:
        return await run_command(
            info.context,
            dossier,
            Command.CONFIRM_PAYMENT,
            lambda app, i, t, v: app.confirm_payment(
                i,
                trace=t,
                channel=channel,
                receipt=bounds.text(receipt, "receipt", bounds.SHORT_TEXT_LENGTH),
                expected_version=v,
            ),
        )

    @strawberry.mutation(description="Xin lỗi và hẹn lại ngày trả kết quả (một lần)")
    async def reappoint_dossier(
        self, info: Info, dossier: DossierRef, due_at: datetime, reason: str
    ) -> Outcome:
        return await run_command(
            info.context,
            dossier,
            Command.REAPPOINT,
            lambda app, i, t, v: app.reappoint_dossier(
                i,
                trace=t,
                due_at=bounds.instant(due_at, "dueAt"),
                reason=reason_text(reason),
                expected_version=v,
            ),
        )

    @strawberry.mutation(description="Dừng xử lý hồ sơ")
    async def stop_dossier(
        self, info: Info, dossier: DossierRef, reason: str
    ) -> Outcome:
        return await run_command(
            info.context,
            dossier,
            Command.STOP,
            lambda app, i, t, v: app.stop_dossier(
                i, trace=t, reason=reason_text(reason), expected_version=v
            ),
        )

    @strawberry.mutation(description="Ban hành kết quả giải quyết")
    async def resolve_dossier(
        self, info: Info, dossier: DossierRef, results: list[ResultInput], decision: str
    ) -> Outcome:
        def run(app: OneStop, i: UUID, t: Trace, v: int | None) -> CommandOutcome:
            bounds.bounded(results, "results", bounds.MAX_RESULTS)
            issued = [r.issued() for r in results]
            return app.resolve_dossier(
                i,
                trace=t,
                results=tuple(issued),
                decision=reason_text(decision, "decision"),
                expected_version=v,
            )

        return await run_command(info.context, dossier, Command.RESOLVE, run)

    @strawberry.mutation(description="Trả kết quả cho người nộp")
    async def return_result(
        self, info: Info, dossier: DossierRef, method: ReturnMethod
    ) -> Outcome:
        return await run_command(
            info.context,
            dossier,
            Command.RETURN_RESULT,
            lambda app, i, t, v: app.return_result(
                i, trace=t, method=method, expected_version=v
            ),
        )
