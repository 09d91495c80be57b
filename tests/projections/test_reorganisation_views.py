"""Read models across a reorganisation: directory as of a day, successors,
worklists of successor units, lookups of old codes, citizen steps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

import pytest

from application import reorganisation
from application.onestop import OneStop
from domain.dossier_status import DossierStatus
from domain.reorganisation import parse_plan
from projections.citizen import CitizenView
from projections.control_sheet import ControlSheetView
from projections.directory import DirectoryView
from projections.ports import ReadStore
from projections.public_status import Completion, PublicStatusView
from projections.registry import all_projections
from projections.runtime import Projector
from projections.worklist import WorklistView
from tests.application.test_reorganisation import (
    EFFECTIVE,
    NEW_COMMUNE,
    NEW_JUSTICE,
    NEW_PROVINCE,
    PLAN,
    paused_dossier,
)
from tests.factories import (
    APPLICANT,
    COMMUNE,
    DISTRICT,
    JUSTICE,
    PROVINCE,
    seed_catalogue,
)
from tests.projections.conftest import Backend


@dataclass
class Reorganised:
    app: OneStop
    store: ReadStore
    paused: UUID
    """A dossier paused for a supplement when its unit merged."""


@pytest.fixture
def reorganised(backend: Backend) -> Reorganised:
    seed_catalogue(backend.app)
    paused = paused_dossier(backend.app)
    reorganisation.apply(backend.app, parse_plan(PLAN))
    Projector(backend.app, backend.store, all_projections()).catch_up()
    return Reorganised(backend.app, backend.store, paused)


def test_structure_as_of_a_day_before_and_after(reorganised: Reorganised) -> None:
    view = DirectoryView(reorganised.store)
    before = {u.code: u for u in view.structure_as_of(date(2026, 3, 8))}
    after = {u.code: u for u in view.structure_as_of(EFFECTIVE)}
    assert {PROVINCE, JUSTICE, DISTRICT, COMMUNE} <= set(before)
    assert not {NEW_PROVINCE, NEW_JUSTICE} & set(before)
    assert not {PROVINCE, JUSTICE, DISTRICT, COMMUNE} & set(after)
    assert after[NEW_COMMUNE].parent == NEW_PROVINCE
    assert after[NEW_COMMUNE].level == "commune"
    assert after[NEW_JUSTICE].legal_act == "202/2025/QH15 (12/06/2025)"
    assert before[JUSTICE].name == "Sở Tư pháp"


def test_successors_today_and_the_mapping_for_monitoring(
    reorganised: Reorganised,
) -> None:
    view = DirectoryView(reorganised.store)
    assert view.successors_of(JUSTICE) == (NEW_JUSTICE,)
    assert view.successors_of(NEW_JUSTICE) == (NEW_JUSTICE,)
    assert view.successors_of(DISTRICT) == ()  # dissolved without successor
    assert view.successors_of(JUSTICE, day=date(2026, 3, 8)) == (JUSTICE,)
    assert view.successors_of("000.00.99.H34") == ()
    mapping = view.successor_map()
    assert mapping[COMMUNE] == (NEW_COMMUNE,)
    assert mapping[PROVINCE] == (NEW_PROVINCE,)
    kinds = [c.kind for c in view.history(JUSTICE)]
    assert kinds == ["Registered", "MergedInto"]


def test_successor_officers_see_the_transferred_dossier(
    reorganised: Reorganised,
) -> None:
    dossier = reorganised.app.get_dossier(reorganised.paused)
    worklist = WorklistView(reorganised.store)
    seen = worklist.open_for(NEW_JUSTICE)
    assert [i.code for i in seen] == [dossier.code]
    item = seen[0]
    assert item.competent_agency == NEW_JUSTICE
    assert item.holder_agency == NEW_JUSTICE
    assert item.status is DossierStatus.AWAITING_SUPPLEMENT
    assert item.due_at == dossier.due_at
    assert worklist.open_for("000.00.15.H48") == []
    assert dossier.code is not None
    found = PublicStatusView(reorganised.store).lookup(dossier.code)
    assert found is not None
    assert found.completion is Completion.WAITING_FOR_APPLICANT
    steps = CitizenView(reorganised.store).steps(str(dossier.id))
    assert "202/2025/QH15" in steps[-1].step_vi
    assert steps[-1].agency_code == NEW_JUSTICE
    mine = CitizenView(reorganised.store).dossier(APPLICANT.id, dossier.code)
    assert mine is not None
    assert mine.agency_code == NEW_JUSTICE


def test_the_control_sheet_hands_the_open_step_to_the_successor(
    reorganised: Reorganised,
) -> None:
    steps = ControlSheetView(reorganised.store).steps(reorganised.paused)
    handed, taken = steps[-2], steps[-1]
    assert handed.completed_at is not None
    assert taken.completed_at is None
    assert taken.to_agency == NEW_JUSTICE
    assert taken.from_agency == JUSTICE
    assert taken.from_officer == "motcua-reorganise"
    assert taken.planned_due_at == handed.planned_due_at
