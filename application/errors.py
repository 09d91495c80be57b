"""Application errors: things not found and concurrent writers."""

from __future__ import annotations

from domain.errors import LabelledError


class ApplicationError(LabelledError):
    code = "APPLICATION_ERROR"


class DossierNotFoundError(ApplicationError):
    code = "DOSSIER_NOT_FOUND"
    vi = "Không tìm thấy hồ sơ {a0}"
    en = "Dossier {a0} not found"


class ProcedureNotFoundError(ApplicationError):
    code = "PROCEDURE_NOT_FOUND"
    vi = "Không tìm thấy thủ tục hành chính {a0}"
    en = "Procedure {a0} not found"


class AgencyNotFoundError(ApplicationError):
    code = "AGENCY_NOT_FOUND"
    vi = "Không tìm thấy cơ quan {a0}"
    en = "Agency {a0} not found"


class CalendarNotDefinedError(ApplicationError):
    code = "CALENDAR_NOT_DEFINED"
    vi = "Chưa khai báo lịch làm việc cho {a0}"
    en = "No working calendar defined for {a0}"


class AlreadyExistsError(ApplicationError):
    code = "ALREADY_EXISTS"
    vi = "Đã tồn tại: {a0}"
    en = "Already exists: {a0}"


class VersionConflictError(ApplicationError):
    """Optimistic concurrency: the caller saw an older version than the stored one."""

    code = "VERSION_CONFLICT"
    vi = (
        "Hồ sơ đã được cập nhật bởi người khác (phiên bản {actual}, bạn gửi {expected})"
    )
    en = "The record changed meanwhile (version {actual}, you sent {expected})"


class ConcurrentWriteError(VersionConflictError):
    """Another writer saved first and the versions involved are not known."""

    vi = "Hồ sơ vừa được người khác cập nhật; hãy tải lại và thử lại"
    en = "The record was changed by someone else meanwhile; reload and try again"


class CodeAllocationError(VersionConflictError):
    """No free dossier code was found after many attempts (heavy contention)."""

    vi = "Chưa cấp được mã hồ sơ do nhiều yêu cầu đồng thời; hãy thử lại"
    en = "No dossier code could be allocated under contention; try again"


class DocumentExistsError(ApplicationError):
    code = "DOCUMENT_EXISTS"
    vi = "Mã giấy tờ {a0} đã có trong kho dữ liệu"
    en = "Document id {a0} is already in the warehouse"


class DocumentNotFoundError(ApplicationError):
    """Also the answer for a document the asker may not open."""

    code = "DOCUMENT_NOT_FOUND"
    vi = "Không tìm thấy giấy tờ {a0}"
    en = "Document {a0} not found"


class IdentityUnavailableError(ApplicationError):
    code = "IDENTITY_PROVIDER_UNAVAILABLE"
    vi = "Chưa kết nối nhà cung cấp định danh (DVCQG/VNeID) để kiểm tra tài khoản số"
    en = "No identity provider (DVCQG/VNeID) is connected to check the account"
