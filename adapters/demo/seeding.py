"""Registers a demo province's catalogue in an application (idempotent)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from datetime import datetime

from adapters.demo.kontum import AGENCIES, PROCEDURES, AgencySeed
from application.clock import trace_for
from application.errors import AlreadyExistsError
from application.onestop import OneStop
from domain.procedure import ProcedureDefinition
from domain.values import Actor, Role

SEEDER = Actor("motcua-demo", Role.SYSTEM)
PROVINCE = "H34"


def seed_province(app: OneStop, *, at: datetime, years: range) -> None:
    """Register the Kon Tum (H34) units, calendar and procedures."""
    seed_catalogue(
        app,
        province=PROVINCE,
        agencies=AGENCIES,
        procedures=PROCEDURES,
        at=at,
        years=years,
    )


def seed_catalogue(
    app: OneStop,
    *,
    province: str,
    agencies: Iterable[AgencySeed],
    procedures: Iterable[ProcedureDefinition],
    at: datetime,
    years: range,
) -> None:
    """Register one province's units, calendar and procedures (idempotent)."""
    trace = trace_for(SEEDER, at=at)
    for agency in agencies:
        with contextlib.suppress(AlreadyExistsError):
            app.register_agency(
                trace=trace, code=agency.code, name=agency.name, level=agency.level
            )
        for department_code, name in agency.departments:
            app.add_department(
                agency.code, trace=trace, department_code=department_code, name=name
            )
    try:
        app.define_calendar(trace=trace, province=province, years=years)
    except AlreadyExistsError:
        for year in years:
            app.adopt_public_holidays(province, trace=trace, year=year)
    for definition in procedures:
        try:
            app.publish_procedure(trace=trace, definition=definition)
        except AlreadyExistsError:
            published = app.published_procedure(definition.code).definition
            if app.get_agency(published.competent_agency.value).is_ended:
                continue  # never hand a procedure back to a unit that ended
            if app.get_agency(definition.competent_agency.value).is_ended:
                continue  # reorganised since: the successor's version stands
            app.revise_procedure(trace=trace, definition=definition)
