"""Officer mutations: one per lifecycle command.

Each resolver hands its context and arguments to the command's plain function
(``api.graphql.mutations.officer_commands``), which a planned mutation
(``api.graphql.planned``) calls directly.
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.graphql.context import Context
from api.graphql.mutations import officer_commands as commands
from api.graphql.mutations.common import DossierRef, Outcome
from api.graphql.mutations.officer_commands import ReceiveOutcome
from api.graphql.mutations.officer_inputs import (
    DocumentInput,
    FeeInput,
    ReceiveDossierInput,
    ResultInput,
)
from domain.dossier_values import PaymentChannel, ReturnMethod

Info = strawberry.Info[Context, None]


@strawberry.type
class OfficerMutation:
    @strawberry.mutation(
        description="Tiếp nhận hồ sơ (giấy tại quầy hoặc hồ sơ trực tuyến)"
    )
    async def receive_dossier(
        self, info: Info, input: ReceiveDossierInput
    ) -> ReceiveOutcome:
        return await commands.receive_dossier(info.context, input)

    @strawberry.mutation(description="Từ chối tiếp nhận hồ sơ trực tuyến")
    async def refuse_dossier(
        self, info: Info, dossier: DossierRef, reason: str
    ) -> Outcome:
        return await commands.refuse_dossier(info.context, dossier, reason)

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
        return await commands.check_digital_account(
            info.context, dossier, has_account, verified_with_vneid, eid_level
        )

    @strawberry.mutation(description="Số hóa một thành phần hồ sơ")
    async def digitize_component(
        self,
        info: Info,
        dossier: DossierRef,
        component_code: str,
        document: DocumentInput,
    ) -> Outcome:
        return await commands.digitize_component(
            info.context, dossier, component_code, document
        )

    @strawberry.mutation(description="Tái sử dụng giấy tờ đã có trong kho dữ liệu")
    async def reuse_component(
        self,
        info: Info,
        dossier: DossierRef,
        component_code: str,
        document_id: strawberry.ID,
    ) -> Outcome:
        return await commands.reuse_component(
            info.context, dossier, component_code, document_id
        )

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
        return await commands.reuse_from_national_warehouse(
            info.context, dossier, component_code, result_code, number_symbol
        )

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
        return await commands.sign_component(info.context, dossier, component_code)

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
        return await commands.forward_dossier(
            info.context, dossier, to_agency_code, to_department, note, planned_due_at
        )

    @strawberry.mutation(description="Yêu cầu bổ sung hồ sơ (dừng tính thời gian)")
    async def request_supplement(
        self, info: Info, dossier: DossierRef, component_codes: list[str], reason: str
    ) -> Outcome:
        return await commands.request_supplement(
            info.context, dossier, component_codes, reason
        )

    @strawberry.mutation(description="Nhận hồ sơ bổ sung tại quầy")
    async def receive_supplement(
        self,
        info: Info,
        dossier: DossierRef,
        documents: list[DocumentInput] | None = None,
        component_codes: list[str] | None = None,
    ) -> Outcome:
        return await commands.receive_supplement(
            info.context, dossier, documents, component_codes
        )

    @strawberry.mutation(description="Yêu cầu thực hiện nghĩa vụ tài chính")
    async def request_payment(
        self, info: Info, dossier: DossierRef, fees: list[FeeInput], reason: str = ""
    ) -> Outcome:
        return await commands.request_payment(info.context, dossier, fees, reason)

    @strawberry.mutation(description="Xác nhận đã thực hiện nghĩa vụ tài chính")
    async def confirm_payment(
        self, info: Info, dossier: DossierRef, channel: PaymentChannel, receipt: str
    ) -> Outcome:
        return await commands.confirm_payment(info.context, dossier, channel, receipt)

    @strawberry.mutation(description="Xin lỗi và hẹn lại ngày trả kết quả (một lần)")
    async def reappoint_dossier(
        self, info: Info, dossier: DossierRef, due_at: datetime, reason: str
    ) -> Outcome:
        return await commands.reappoint_dossier(info.context, dossier, due_at, reason)

    @strawberry.mutation(description="Dừng xử lý hồ sơ")
    async def stop_dossier(
        self, info: Info, dossier: DossierRef, reason: str
    ) -> Outcome:
        return await commands.stop_dossier(info.context, dossier, reason)

    @strawberry.mutation(description="Ban hành kết quả giải quyết")
    async def resolve_dossier(
        self, info: Info, dossier: DossierRef, results: list[ResultInput], decision: str
    ) -> Outcome:
        return await commands.resolve_dossier(info.context, dossier, results, decision)

    @strawberry.mutation(description="Trả kết quả cho người nộp")
    async def return_result(
        self, info: Info, dossier: DossierRef, method: ReturnMethod
    ) -> Outcome:
        return await commands.return_result(info.context, dossier, method)
