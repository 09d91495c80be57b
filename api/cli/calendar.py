"""``motcua calendar due``: when is a dossier due?"""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated

import typer

from api.cli.common import fail, print_json
from api.cli.common import settings as read_settings
from api.cli.inputs import bounded_text, iso_date, iso_instant
from api.wiring import build_application
from application.clock import trace_for
from application.errors import CalendarNotDefinedError
from application.public_holidays import public_holidays
from domain.errors import LabelledError
from domain.values import Actor, Role
from domain.working_time import Session, WorkingCalendar, check_instant

app = typer.Typer(help="Working calendar and due times.", no_args_is_help=True)

MAX_SESSIONS = 6
"""Sessions of one working day a province may declare (split shifts at most)."""


def _fallback_calendar(years: range) -> WorkingCalendar:
    days_off: set[date] = set()
    working: set[date] = set()
    for year in years:
        off, make_up = public_holidays(year)
        days_off.update(off)
        working.update(make_up)
    return WorkingCalendar(
        days_off=frozenset(days_off), working_days=frozenset(working)
    )


@app.command("due")
def due(
    from_: Annotated[
        str,
        typer.Option("--from", help="Reception time, ISO 8601 with its UTC offset."),
    ],
    working_hours: Annotated[str, typer.Option(help="Working hours allowed.")],
    province: Annotated[str, typer.Option(help="Province calendar to use.")] = "H34",
    json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print the due time (the legal instant) for a reception time and working hours.

    A due time at the day's closing is the closing; ``--json`` adds ``shownAs``,
    the next working morning when MOTCUA_DUE_AT_CLOSE_ROLLS_OVER=y.
    """
    received = iso_instant("--from", from_)
    try:
        check_instant(received, "--from")
    except LabelledError as error:
        raise fail(f"{error.message('vi')} / {error.message('en')}") from None
    try:
        hours = Decimal(working_hours)
    except InvalidOperation:
        raise fail(
            f"--working-hours không phải số (not a number): {working_hours}"
        ) from None
    if not hours.is_finite() or hours < 0 or hours > 10_000:
        raise fail("--working-hours phải trong khoảng 0..10000 (must be 0..10000)")
    source = "builtin"
    years = range(received.year - 1, received.year + 3)
    onestop = build_application(read_settings())
    try:
        versioned = onestop.working_calendar(province)
        calendar, source = versioned.calendar, f"{province} v{versioned.version}"
    except CalendarNotDefinedError:
        calendar = _fallback_calendar(years)
    finally:
        onestop.close()
    try:
        start = calendar.work_start(received)
        due_at = calendar.add_working_time(
            start, timedelta(seconds=float(hours * 3600))
        )
    except LabelledError as error:
        raise fail(f"{error.message('vi')} / {error.message('en')}") from None
    rolls_over = bool(read_settings().value("DUE_AT_CLOSE_ROLLS_OVER"))
    shown = calendar.shown_due(due_at) if rolls_over else due_at
    if json:
        print_json(
            {
                "from": received.isoformat(),
                "workingHours": str(hours),
                "startsAt": start.isoformat(),
                "dueAt": due_at.isoformat(),
                "shownAs": shown.isoformat(),
                "calendar": source,
            }
        )
    else:
        typer.echo(due_at.isoformat())


def _declare(province: str, day: str, reason: str, working: bool) -> None:
    when = iso_date("--date", day)
    reason = bounded_text("--reason", reason)
    onestop = build_application(read_settings())
    try:
        trace = trace_for(Actor("motcua-cli", Role.SYSTEM))
        if working:
            onestop.declare_working_day(province, trace=trace, day=when, reason=reason)
        else:
            onestop.declare_day_off(province, trace=trace, day=when, reason=reason)
        version = onestop.get_calendar(province).version
    finally:
        onestop.close()
    typer.echo(
        f"{province} v{version}: {when.isoformat()} {'làm bù' if working else 'nghỉ'}"
    )


@app.command("day-off")
def day_off(
    day: Annotated[str, typer.Option("--date", help="ISO date.")],
    reason: Annotated[str, typer.Option(help="Why (e.g. the province's decision).")],
    province: Annotated[str, typer.Option(help="Province calendar.")] = "H34",
) -> None:
    """Declare a province day off (a new calendar version)."""
    _declare(province, day, reason, working=False)


@app.command("working-day")
def working_day(
    day: Annotated[str, typer.Option("--date", help="ISO date.")],
    reason: Annotated[str, typer.Option(help="Why (e.g. make-up day for Tết).")],
    province: Annotated[str, typer.Option(help="Province calendar.")] = "H34",
) -> None:
    """Declare a make-up working day (a new calendar version)."""
    _declare(province, day, reason, working=True)


_SESSION = re.compile(r"([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)")


def _session(value: str) -> Session:
    found = _SESSION.fullmatch(value.strip())
    if found is None:
        raise fail(f"--session phải dạng HH:MM-HH:MM (must be HH:MM-HH:MM): {value!r}")
    start_h, start_m, end_h, end_m = (int(part) for part in found.groups())
    return Session(time(start_h, start_m), time(end_h, end_m))


@app.command("sessions")
def sessions(
    session: Annotated[
        list[str],
        typer.Option(
            "--session",
            help="A working session HH:MM-HH:MM; repeat for each (e.g. 07:00-11:30).",
        ),
    ],
    reason: Annotated[str, typer.Option(help="The decision that changes the hours.")],
    province: Annotated[str, typer.Option(help="Province calendar.")] = "H34",
) -> None:
    """Change the working hours (a new calendar version; due times already
    given keep the version they were computed with)."""
    if len(session) > MAX_SESSIONS:
        raise fail(f"tối đa {MAX_SESSIONS} --session (at most {MAX_SESSIONS})")
    chosen = tuple(_session(value) for value in session)
    why = bounded_text("--reason", reason)
    onestop = build_application(read_settings())
    try:
        trace = trace_for(Actor("motcua-cli", Role.SYSTEM))
        onestop.change_working_sessions(
            province, trace=trace, sessions=chosen, reason=why
        )
        version = onestop.get_calendar(province).version
        hours = onestop.working_calendar(province).calendar.sessions
    finally:
        onestop.close()
    shown = ", ".join(f"{s.start:%H:%M}-{s.end:%H:%M}" for s in hours)
    typer.echo(f"{province} v{version}: {shown}")
