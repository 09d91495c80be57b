"""Slips as signed PDFs under ``/api/`` (R-06, R-11).

- ``GET /api/dossiers/{code}/slips/{kind}``: the receipt and appointment,
  supplement request (``?n=`` the n-th, default the latest), refusal,
  apology, stop notice or control sheet of one dossier, rendered from its
  events and signed. The applicant (citizen token) and officers who may see
  the dossier get it; anyone else gets the answer for an unknown dossier.
- ``GET /api/registers/{agency}?from=YYYY-MM-DD&to=YYYY-MM-DD``: the dossier
  register of a unit (dossiers it received in the period), for its officers.

Each answer is ``application/pdf`` with the form number and legal act in
``X-Motcua-Form`` and the PDF's SHA-256 in ``X-Motcua-Sha256``.
"""

from __future__ import annotations

import threading
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

import anyio
from fastapi import APIRouter, Query, Request, Response

from adapters.files.scans import to_pdf
from adapters.pki.lazy import LazyPki
from adapters.settings import ConfigurationError
from adapters.slips.forms import SlipKind, SlipNotAvailableError
from adapters.slips.service import Slip, Slips
from api.auth import AccessLevel, Principal
from api.graphql.context import authenticate
from api.refusals import language_of
from api.services import Services
from application.clock import trace_for
from application.errors import AgencyNotFoundError, DossierNotFoundError
from application.signatures import SignatureError
from domain.dossier_events import SupplementRequested
from domain.errors import InvalidAgencyCodeError, LabelledError
from domain.files import FileIntegrityError, StoredFile
from domain.issued_slip import IssuedSlip
from domain.values import AgencyCode, Role
from projections.base import utc
from projections.worklist import WorklistProjection, subtree_pattern

router = APIRouter(prefix="/api", tags=["slips"])
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
MAX_REGISTER_DAYS = 366
MAX_REGISTER_ROWS = 2000
DOSSIER_SLIPS = tuple(kind for kind in SlipKind if kind is not SlipKind.REGISTER)
KEPT = frozenset(
    {
        SlipKind.RECEIPT,
        SlipKind.SUPPLEMENT,
        SlipKind.REFUSAL,
        SlipKind.APOLOGY,
        SlipKind.STOP,
    }
)
"""Slips kept as handed out. The control sheet grows with each hand-over
and the register with the period asked for: they are issued anew each time."""

_lock = threading.Lock()


class UnauthenticatedError(LabelledError):
    code = "UNAUTHENTICATED"
    vi = "Cần đăng nhập (Authorization: Bearer …)"
    en = "Authentication required (Authorization: Bearer …)"


class UnknownSlipError(LabelledError):
    code = "UNKNOWN_SLIP"
    vi = "Không có loại phiếu {a0}; các loại: {a1}"
    en = "No slip kind {a0}; kinds: {a1}"


class RegisterPeriodError(LabelledError):
    code = "INVALID_PERIOD"
    vi = "Khoảng thời gian không hợp lệ: {a0}"
    en = "Invalid period: {a0}"


def _slips(state: Any, services: Services) -> Slips:
    """One ``Slips`` per app, built on first use (the PKI loads its keys)."""
    found: Slips | None = getattr(state, "slips", None)
    if found is not None:
        return found
    with _lock:
        found = getattr(state, "slips", None)
        if found is None:
            onestop = services.onestop

            def name_of(code: str) -> str:
                try:
                    return str(onestop.get_agency(code).name)
                except (AgencyNotFoundError, InvalidAgencyCodeError):
                    return code

            found = Slips(
                LazyPki(services.settings),
                name_of,
                str(services.settings.value("EVALUATION_FORM_URL")),
            )
            state.slips = found
    return found


async def _principal(request: Request, services: Services) -> Principal:
    header = request.headers.get("authorization", "")
    if not header:
        raise UnauthenticatedError()
    return await authenticate(services, header)


def _answer(error: LabelledError, request: Request, status: int) -> Response:
    from api.refusals import refusal_body

    language = language_of(request.headers.get("accept-language"))
    return Response(
        refusal_body(error, language), status_code=status, media_type="application/json"
    )


def _pdf(slip: Slip, code: str | None) -> Response:
    return _answer_pdf(
        slip.pdf, slip.filename(code), slip.form_number, slip.form_act, slip.sha256
    )


def _answer_pdf(
    pdf: bytes,
    filename: str,
    form_number: str,
    form_act: str,
    sha256: str,
    extra: dict[str, str] | None = None,
) -> Response:
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Motcua-Form": f"{form_number}; {form_act.split()[-1]}",
            "X-Motcua-Sha256": sha256,
            "Cache-Control": "private, no-store",
            **(extra or {}),
        },
    )


def _number(kind: SlipKind, events: list[Any], n: int | None) -> int:
    """Which slip of its kind: the n-th supplement request (default the
    latest); 0 for the kinds a dossier has one of."""
    if kind is not SlipKind.SUPPLEMENT:
        return 0
    if n is not None:
        return n
    return sum(isinstance(e, SupplementRequested) for e in events)


def _handed_out(
    services: Services,
    slips: Slips,
    principal: Principal,
    kind: SlipKind,
    events: list[Any],
    n: int | None,
) -> tuple[IssuedSlip, bytes]:
    """The slip as first handed out; issued (rendered, signed, kept) now if
    it never was. Later downloads return those bytes, re-hashed."""
    onestop = services.onestop
    dossier_id = events[0].originator_id
    number = _number(kind, events, n)
    kept = onestop.issued_slip(dossier_id, kind.value, number)
    if kept is None:
        slip = slips.issue(kind, events, supplement=n)
        scan = to_pdf(slip.pdf, services.scan_limits)
        file = StoredFile(slip.sha256, len(slip.pdf), scan.pages)
        role = Role.CITIZEN if principal.level is AccessLevel.CITIZEN else None
        kept = onestop.keep_slip(
            trace_for(principal.actor_for(role)),
            slip.pdf,
            file,
            dossier_id=dossier_id,
            dossier_code=fold_code(events),
            kind=kind.value,
            number=number,
            form_number=slip.form_number,
            form_act=slip.form_act,
            signer=slip.issued_by,
            agency_code=slip.agency_code,
            act_at=slip.issued_at,
        )
    return kept, onestop.files.read(kept.file.sha256)


def fold_code(events: list[Any]) -> str | None:
    """The dossier code the events gave it (None before reception)."""
    code: str | None = None
    for event in events:
        code = getattr(event, "code", None) or code
    return code


@router.get(
    "/dossiers/{code}/slips/{kind}",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
async def dossier_slip(
    request: Request,
    code: str,
    kind: str,
    n: Annotated[int | None, Query(ge=1, le=1000)] = None,
) -> Response:
    """A signed slip of one dossier (``kind``: receipt, supplement, refusal,
    apology, stop, control-sheet)."""
    services: Services = request.app.state.services
    try:
        principal = await _principal(request, services)
        try:
            chosen = SlipKind(kind)
        except ValueError:
            chosen = None
        if chosen is None or chosen is SlipKind.REGISTER:
            raise UnknownSlipError(kind, ", ".join(k.value for k in DOSSIER_SLIPS))
        events = await anyio.to_thread.run_sync(
            _visible_events, services, principal, code
        )
        slips = await anyio.to_thread.run_sync(_slips, request.app.state, services)
        if chosen in KEPT:
            kept, pdf = await anyio.to_thread.run_sync(
                _handed_out, services, slips, principal, chosen, events, n
            )
        else:
            slip = await anyio.to_thread.run_sync(
                lambda: slips.issue(chosen, events, supplement=n)
            )
    except UnauthenticatedError as error:
        return _answer(error, request, 401)
    except (DossierNotFoundError, SlipNotAvailableError) as error:
        return _answer(error, request, 404)
    except UnknownSlipError as error:
        return _answer(error, request, 404)
    except (SignatureError, ConfigurationError) as error:
        return _answer(error, request, 503)
    except FileIntegrityError as error:
        return _answer(error, request, 500)
    if chosen in KEPT:
        stem = (kept.dossier_code or "ho-so").replace("/", "-")
        return _answer_pdf(
            pdf,
            f"{stem}-mau-{kept.form_number}-{kept.kind}.pdf",
            kept.form_number,
            kept.form_act,
            kept.file.sha256,
            {
                "X-Motcua-Slip-Id": str(kept.id),
                "X-Motcua-Issued-At": kept.issued_at.isoformat(),
            },
        )
    return _pdf(slip, code)


def _visible_events(services: Services, principal: Principal, code: str) -> list[Any]:
    onestop = services.onestop
    try:
        dossier_id = UUID(code)
    except ValueError:
        dossier_id = onestop.dossier_id_for(code)
    dossier = onestop.get_dossier(dossier_id)
    if principal.owns(dossier.applicant.id):
        visible = True
    elif principal.level is AccessLevel.OFFICER and principal.subject:
        try:
            visible = dossier.visible_to(principal.actor_for())
        except LabelledError:  # an officer token without a role acts as no one
            visible = False
    else:
        visible = False
    if not visible:
        raise DossierNotFoundError(code)
    return list(onestop.events.get(dossier_id))


@router.get(
    "/registers/{agency}",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
async def register(
    request: Request,
    agency: str,
    from_: Annotated[date, Query(alias="from")],
    to: Annotated[date, Query()],
) -> Response:
    """The dossier register (Sổ theo dõi hồ sơ) of a unit: dossiers it received
    from ``from`` to ``to`` (inclusive, Vietnam dates), signed by the officer
    and sealed by the unit."""
    services: Services = request.app.state.services
    try:
        principal = await _principal(request, services)
        try:
            unit = AgencyCode(agency).value
        except InvalidAgencyCodeError as error:
            return _answer(error, request, 400)
        if (
            principal.level is not AccessLevel.OFFICER
            or not principal.subject
            or not principal.can_see_agency(unit)
        ):
            raise AgencyNotFoundError(unit)
        if to < from_ or (to - from_).days >= MAX_REGISTER_DAYS:
            raise RegisterPeriodError(
                f"{from_}..{to} (≤ {MAX_REGISTER_DAYS} ngày/days)"
            )
        start = datetime.combine(from_, time(0), VIETNAM)
        end = datetime.combine(to + timedelta(days=1), time(0), VIETNAM)
        histories = await anyio.to_thread.run_sync(
            _received_by, services, unit, start, end
        )
        slips = await anyio.to_thread.run_sync(_slips, request.app.state, services)
        subject = principal.subject
        slip = await anyio.to_thread.run_sync(
            lambda: slips.register(
                histories,
                agency_code=unit,
                officer=subject,
                period=(start, end - timedelta(seconds=1)),
                at=datetime.now(VIETNAM),
            )
        )
    except UnauthenticatedError as error:
        return _answer(error, request, 401)
    except AgencyNotFoundError as error:
        return _answer(error, request, 404)
    except RegisterPeriodError as error:
        return _answer(error, request, 400)
    except (SignatureError, ConfigurationError) as error:
        return _answer(error, request, 503)
    return _pdf(slip, f"so-theo-doi-{unit}-{from_:%Y%m%d}-{to:%Y%m%d}")


def _received_by(
    services: Services, unit: str, start: datetime, end: datetime
) -> list[list[Any]]:
    table = WorklistProjection().table("dossiers")
    rows = services.store.query(
        f"SELECT dossier_id FROM {table} WHERE receiving_agency LIKE ? "
        "AND received_at >= ? AND received_at < ? ORDER BY received_at, code LIMIT ?",
        (subtree_pattern(unit), utc(start), utc(end), MAX_REGISTER_ROWS + 1),
    )
    if len(rows) > MAX_REGISTER_ROWS:
        raise RegisterPeriodError(
            f"hơn {MAX_REGISTER_ROWS} hồ sơ, chọn khoảng ngắn hơn / "
            f"more than {MAX_REGISTER_ROWS} dossiers, choose a shorter period"
        )
    return [list(services.onestop.events.get(UUID(row[0]))) for row in rows]
