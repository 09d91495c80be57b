"""Typed outcomes of mutations: one success shape, one member per expected failure."""

from __future__ import annotations

from datetime import datetime

import strawberry


@strawberry.type(description="Lệnh đã được ghi nhận / the command was recorded")
class DossierUpdated:
    dossier_id: strawberry.ID
    code: str | None
    log_position: int | None
    event: str
    version: int | None = strawberry.field(
        default=None,
        description="Phiên bản hồ sơ sau lệnh / the dossier's version after it",
    )


@strawberry.type
class DossierReceived:
    dossier_id: strawberry.ID
    code: str
    due_at: datetime | None
    log_position: int


@strawberry.type
class DossierSubmitted:
    dossier_id: strawberry.ID
    log_position: int


@strawberry.type(description="Không tìm thấy hồ sơ (hoặc bạn không được xem)")
class DossierNotFound:
    message: str


@strawberry.type
class NotAllowed:
    message: str


@strawberry.type
class IllegalTransition:
    message: str
    status: str


@strawberry.type
class VersionConflict:
    message: str


@strawberry.type
class InvalidInput:
    error_code: str
    message: str
    field: str | None = strawberry.field(
        default=None, description="the refused input field, when one is to blame"
    )


Failure = (
    DossierNotFound | NotAllowed | IllegalTransition | VersionConflict | InvalidInput
)
