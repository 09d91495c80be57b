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
