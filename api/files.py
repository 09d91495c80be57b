"""REST for files under ``/api/``: upload a scan or PDF, download a document.

Multipart uploads are checked (type sniffed from the bytes, size, pages,
pixels, encryption, corruption) and stored content-addressed; a refusal
stores nothing. Downloads are per warehouse document and re-hash the file.
"""

from __future__ import annotations

import base64
from typing import Any
from uuid import UUID

import anyio
from fastapi import APIRouter, HTTPException, Request, Response
from starlette.datastructures import UploadFile

from api.auth import AccessLevel, Principal
from api.graphql.context import authenticate
from api.refusals import (
    MalformedBodyError,
    RequestRefusedError,
    language_of,
    refusal_body,
)
from api.services import Services
from application.clock import trace_for
from application.errors import DocumentNotFoundError
from domain.errors import LabelledError
from domain.files import (
    CorruptFileError,
    EncryptedPdfError,
    FileIntegrityError,
    FileTooLargeError,
    FileTypeMismatchError,
    SignatureCheck,
    SignatureRefusedError,
    UnsupportedFileError,
)
from domain.values import Role

UPLOAD_PATH = "/api/files"

router = APIRouter(prefix="/api", tags=["files"])


class LoginRequiredError(RequestRefusedError):
    status = 401
    code = "UNAUTHENTICATED"
    vi = "Cần đăng nhập"
    en = "Authentication required"


_STATUS: tuple[tuple[type[LabelledError], int], ...] = (
    (FileTooLargeError, 413),
    (UnsupportedFileError, 415),
    (FileTypeMismatchError, 415),
    (EncryptedPdfError, 422),
    (SignatureRefusedError, 422),
    (CorruptFileError, 422),
    (DocumentNotFoundError, 404),
    (FileIntegrityError, 500),
)

_ERROR_BODY = {
    "application/json": {
        "example": {
            "errors": [
                {
                    "message": "Tệp PDF được mã hóa hoặc đặt mật khẩu; ...",
                    "extensions": {"code": "ENCRYPTED_PDF"},
                }
            ]
        }
    }
}


def _refused(request: Request, error: LabelledError) -> Response:
    status = next((s for kind, s in _STATUS if isinstance(error, kind)), None)
    if status is None:
        status = error.status if isinstance(error, RequestRefusedError) else 400
    language = language_of(request.headers.get("accept-language"))
    return Response(
        refusal_body(error, language), status_code=status, media_type="application/json"
    )


async def _principal(request: Request, services: Services) -> Principal:
    authorization = request.headers.get("authorization", "")
    if not authorization:
        raise LoginRequiredError()
    principal = await authenticate(services, authorization)
    if principal.level not in (AccessLevel.CITIZEN, AccessLevel.OFFICER):
        raise LoginRequiredError()
    return principal


@router.post(
    "/files",
    status_code=201,
    summary="Tải lên bản quét hoặc PDF / upload a scan or a PDF",
    description=(
        "Multipart form with one part `file`: a PDF, JPEG, PNG or TIFF (the type is "
        "read from the bytes; a declared type that disagrees is refused). Images "
        "become a PDF. Answers the stored file: `sha256` (use it as "
        "`document.sha256` in `digitizeComponent`, `submitDossier`, "
        "`submitSupplement`), `size`, `pages`, `mediaType` (what was uploaded). "
        "Needs a citizen or officer token; the upload is recorded with its "
        "uploader, and a citizen may only name their own uploads. Refusals store "
        "nothing: 413 `FILE_TOO_LARGE` (bytes, pages or pixels — decompression "
        "bombs), 415 `UNSUPPORTED_FILE_TYPE` / `FILE_TYPE_MISMATCH`, 422 "
        "`CORRUPT_FILE` / `ENCRYPTED_PDF` / `SIGNATURE_INVALID` (a signed PDF whose "
        "signature does not validate against the trust roots: untrusted, expired or "
        "revoked signer, or changed after signing)."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {"file": {"type": "string", "format": "binary"}},
                    }
                }
            },
        }
    },
    responses={
        201: {
            "content": {
                "application/json": {
                    "example": {
                        "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                        "size": 48213,
                        "pages": 2,
                        "mediaType": "image/tiff",
                    }
                }
            }
        },
        401: {"content": _ERROR_BODY},
        413: {"content": _ERROR_BODY},
        415: {"content": _ERROR_BODY},
        422: {"content": _ERROR_BODY},
    },
)
async def upload_file(request: Request) -> Any:
    services: Services = request.app.state.services
    try:
        principal = await _principal(request, services)
        role = Role.CITIZEN if principal.level is AccessLevel.CITIZEN else None
        trace = trace_for(principal.actor_for(role))
        limits = services.scan_limits
        async with request.form(max_files=1, max_fields=4) as form:
            part = form.get("file")
            if not isinstance(part, UploadFile):
                raise MalformedBodyError("file")
            data = await part.read(limits.max_bytes + 1)
            declared = part.content_type
        checks: list[tuple[SignatureCheck, ...]] = []

        def check(pdf: bytes) -> None:
            checks.append(services.onestop.signing.check_upload(pdf))

        stored = await anyio.to_thread.run_sync(
            services.blobs.ingest, data, limits, declared, check
        )
        # Who uploaded it: an online dossier may only name its citizen's uploads.
        await anyio.to_thread.run_sync(
            services.onestop.record_upload, trace, stored, checks[0] if checks else ()
        )
    except LabelledError as error:
        return _refused(request, error)
    except (ValueError, HTTPException):  # multipart the parser refused
        return _refused(request, MalformedBodyError("multipart/form-data"))
    return {
        "sha256": stored.sha256,
        "size": stored.size,
        "pages": stored.pages,
        "mediaType": stored.media_type.value,
    }


@router.get(
    "/documents/{document_id}",
    summary="Tải xuống giấy tờ trong kho / download a warehouse document",
    description=(
        "The PDF of a digitized document or result. Its owner (citizen token; a "
        "result only once returned) or an officer who may see a dossier it "
        "belongs to (each officer download is recorded on the document). The file "
        "is re-hashed before it is sent (`Repr-Digest`, `ETag`). Anyone else, and "
        "an unknown id, get 404."
    ),
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}},
        401: {"content": _ERROR_BODY},
        404: {"content": _ERROR_BODY},
    },
)
async def download_document(request: Request, document_id: str) -> Response:
    services: Services = request.app.state.services
    try:
        principal = await _principal(request, services)
        try:
            wanted = UUID(document_id)
        except ValueError:
            raise DocumentNotFoundError(document_id) from None
        role = Role.CITIZEN if principal.level is AccessLevel.CITIZEN else None
        trace = trace_for(principal.actor_for(role))
        document, data = await anyio.to_thread.run_sync(
            lambda: services.onestop.open_document(wanted, trace=trace)
        )
    except LabelledError as error:
        return _refused(request, error)
    digest = base64.b64encode(bytes.fromhex(document.file.sha256)).decode()
    return Response(
        data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{document.id}.pdf"',
            "ETag": f'"{document.file.sha256}"',
            "Repr-Digest": f"sha-256=:{digest}:",
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
