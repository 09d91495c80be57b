"""``motcua token``: a development JWT signed with the local key."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from api.auth import CITIZEN_SUBJECT, AccessLevel, AuthSettings, TokenIssuer
from api.cli.common import fail
from api.cli.common import settings as read_settings
from domain.errors import InvalidAgencyCodeError, LabelledError
from domain.values import OFFICER_ROLES, AgencyCode, Role

MAX_TTL_MINUTES = 366 * 24 * 60
LEVELS = "|".join(level.value for level in AccessLevel)
OFFICER_ROLE_NAMES = ",".join(r.value for r in Role if r in OFFICER_ROLES)


def token(
    role: Annotated[str, typer.Option(help=f"Access level: {LEVELS}.")],
    subject: Annotated[
        str | None,
        typer.Option(help="Citizen: 12-digit personal id or enterprise code."),
    ] = None,
    agency: Annotated[
        str | None, typer.Option(help="QCVN 102 agency code, e.g. 000.00.00.H34.")
    ] = None,
    department: Annotated[
        str | None, typer.Option(help="Officer's department.")
    ] = None,
    roles: Annotated[
        str | None,
        typer.Option(help=f"Officer roles, comma list (default {OFFICER_ROLE_NAMES})."),
    ] = None,
    eid_level: Annotated[int, typer.Option(help="Citizen e-ID level: 1 or 2.")] = 2,
    ttl_minutes: Annotated[int, typer.Option(help="Lifetime in minutes.")] = 60,
) -> None:
    """Print a development JWT (one line) signed with the local key."""
    try:
        level = AccessLevel(role)
    except ValueError:
        raise fail(
            f"--role phải là một trong (must be one of) {LEVELS}: {role!r}"
        ) from None
    if not 0 < ttl_minutes <= MAX_TTL_MINUTES:
        raise fail(
            f"--ttl-minutes phải trong khoảng 1..{MAX_TTL_MINUTES} "
            f"(must be 1..{MAX_TTL_MINUTES}): {ttl_minutes}"
        )
    if level is AccessLevel.ANONYMOUS and (subject or agency or department):
        raise fail(
            "Mã ẩn danh không mang danh tính: bỏ --subject/--agency/--department "
            "(anonymous tokens carry no identity)"
        )
    if roles is not None and level is not AccessLevel.OFFICER:
        raise fail("--roles chỉ dùng với --role officer (only for officers)")
    if agency is not None:
        try:
            agency = AgencyCode(agency).value
        except InvalidAgencyCodeError:
            raise fail(
                f"--agency phải là mã cơ quan QCVN 102:2016, ví dụ 000.00.00.H34 "
                f"(must be a QCVN 102:2016 agency code): {agency!r}"
            ) from None
    held: tuple[Role, ...] = ()
    if level is AccessLevel.CITIZEN:
        if subject is None or not CITIZEN_SUBJECT.fullmatch(subject):
            raise fail(
                "Công dân cần --subject là số định danh cá nhân 12 chữ số hoặc mã "
                "doanh nghiệp (citizens need --subject: a 12-digit personal id or "
                f"an enterprise code such as 0101234567 or 0101234567-001): {subject!r}"
            )
        if eid_level not in (1, 2):
            raise fail(f"--eid-level phải là 1 hoặc 2 (must be 1 or 2): {eid_level}")
        agency = department = None
    elif level is AccessLevel.OFFICER:
        if agency is None:
            raise fail(
                "Cán bộ cần --agency là mã cơ quan QCVN 102:2016 "
                "(officers need --agency, a QCVN 102:2016 agency code)"
            )
        held = _officer_roles(OFFICER_ROLE_NAMES if roles is None else roles)
        subject = subject or f"officer-{agency}"
    elif level is not AccessLevel.ANONYMOUS:
        subject = subject or level.value
    if subject is not None and not subject.strip():
        raise fail("--subject không được để trống (must not be empty)")
    try:
        issuer = TokenIssuer.from_settings(AuthSettings.from_settings(read_settings()))
        jwt = issuer.issue(
            level,
            subject=subject,
            agency=agency,
            department=department,
            roles=held,
            eid_level=eid_level if level is AccessLevel.CITIZEN else None,
            ttl=timedelta(minutes=ttl_minutes),
        )
    except LabelledError as error:
        raise fail(
            f"Lỗi / error: {error.message('vi')} ({error.message('en')})"
        ) from None
    typer.echo(jwt)


def _officer_roles(names: str) -> tuple[Role, ...]:
    chosen: list[Role] = []
    for name in (part.strip() for part in names.split(",")):
        if name not in OFFICER_ROLE_NAMES.split(","):
            raise fail(f"--roles chỉ gồm (only) {OFFICER_ROLE_NAMES}: {name!r}")
        if Role(name) not in chosen:
            chosen.append(Role(name))
    return tuple(chosen)
