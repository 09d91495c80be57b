"""Citizens' evaluations (R-32) through the application, on every event store:
the applicant online, a desk officer for a paper form, nothing written on bad
input, a later form superseding, and the answers beside the unit's TT 01/2018
figures."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest

from adapters.readstore.sqlite import SQLiteReadStore
from application import monitoring
from application.citizen_evaluations import CitizenEvaluations
from application.onestop import OneStop
from domain.citizen_evaluation import (
    CitizenEvaluation,
    CitizenIndexError,
    CitizenScoreError,
    EmptyEvaluationError,
    EvaluationChannel,
    EvaluationTooEarlyError,
    evaluation_id,
)
from domain.dossier_values import Satisfaction
from domain.errors import ActorNotAllowedError, LabelledError
from domain.visibility import DossierNotVisibleError
from projections.indicators import (
    CitizenView,
    IndicatorProjection,
    IndicatorView,
    period_end,
)
from projections.runtime import Projector
from tests.factories import (
    APPLICANT,
    BIRTH,
    CONSTRUCTION,
    JUSTICE,
    MONDAY,
    OTHER_APPLICANT,
    PROVINCE,
    at,
    citizen,
    desk,
    document,
    receive,
    specialist,
    trace,
)

LATER = MONDAY + timedelta(days=3)


def written(app: OneStop) -> int:
    return app.recorder.max_notification_id() or 0


def submitted(app: OneStop) -> UUID:
    dossier_id, _ = app.submit_dossier(
        trace=trace(citizen(), at(0, 7)),
        applicant=APPLICANT,
        procedure_code=BIRTH,
        documents={
            "TP1": document("a", app, citizen()),
            "TP2": document("b", app, citizen()),
        },
    )
    return dossier_id


def test_the_applicant_evaluates_online_and_a_later_form_supersedes(
    app: OneStop,
) -> None:
    dossier_id = receive(app).dossier_id
    evaluations = CitizenEvaluations(app)
    first = evaluations.give(
        dossier_id,
        trace=trace(citizen(), MONDAY),
        scores={3: 2, 4: 2, 6: 1},
        satisfaction=Satisfaction.SATISFIED,
    )
    assert first.channel is EvaluationChannel.ONLINE
    assert first.scores == {3: 2, 4: 2, 6: 1}
    assert first.log_position == written(app)
    second = evaluations.give(
        dossier_id,
        trace=trace(citizen(), LATER),
        scores={1: 0, 3: 2, 7: 1},
        satisfaction=Satisfaction.DISSATISFIED,
        convenience=Satisfaction.SATISFIED,
    )
    current = evaluations.current(dossier_id)
    assert current is not None
    assert current.scores == {1: 0, 3: 2, 7: 1} == second.scores
    assert current.satisfaction is Satisfaction.DISSATISFIED
    assert current.convenience is Satisfaction.SATISFIED
    stored = list(app.repository.event_store.get(evaluation_id(dossier_id)))
    assert [type(e).__name__ for e in stored] == ["Opened", "Given", "Given"]
    given = [e for e in stored if isinstance(e, CitizenEvaluation.Given)]
    assert given[0].scores == {"3": 2, "4": 2, "6": 1}
    assert given[0].trace.actor.id == APPLICANT.id
    # The dossier's own stream is untouched: evaluating is not a step of it.
    assert app.get_dossier(dossier_id).version == receive_version(app, dossier_id)


def receive_version(app: OneStop, dossier_id: UUID) -> int:
    return len(list(app.repository.event_store.get(dossier_id)))


def test_a_desk_officer_enters_the_paper_form(app: OneStop) -> None:
    dossier_id = receive(app).dossier_id
    done = CitizenEvaluations(app).give(
        dossier_id, trace=trace(desk(), LATER), scores={1: 2, 7: 2}
    )
    assert done.channel is EvaluationChannel.PAPER
    stored = list(app.repository.event_store.get(evaluation_id(dossier_id)))
    last = stored[-1]
    assert isinstance(last, CitizenEvaluation.Given)
    assert last.channel == "paper"
    assert last.trace.actor.id == desk().id


@pytest.mark.parametrize(
    ("scores", "error"),
    [
        ({2: 1}, CitizenIndexError),
        ({9: 0}, CitizenIndexError),
        ({1: 3}, CitizenScoreError),
        ({7: -1}, CitizenScoreError),
        ({}, EmptyEvaluationError),
    ],
)
def test_bad_answers_write_nothing(
    app: OneStop, scores: dict[int, int], error: type[LabelledError]
) -> None:
    dossier_id = receive(app).dossier_id
    before = written(app)
    with pytest.raises(error) as raised:
        CitizenEvaluations(app).give(
            dossier_id, trace=trace(citizen(), LATER), scores=scores
        )
    assert raised.value.message("vi") != raised.value.message("en")
    assert written(app) == before
    assert CitizenEvaluations(app).current(dossier_id) is None


def test_another_citizens_dossier_is_not_found_and_nothing_is_written(
    app: OneStop,
) -> None:
    dossier_id = receive(app).dossier_id
    before = written(app)
    with pytest.raises(DossierNotVisibleError):
        CitizenEvaluations(app).give(
            dossier_id, trace=trace(citizen(OTHER_APPLICANT), LATER), scores={1: 2}
        )
    with pytest.raises(DossierNotVisibleError):  # a desk of another unit
        CitizenEvaluations(app).give(
            dossier_id, trace=trace(desk(CONSTRUCTION), LATER), scores={1: 2}
        )
    with pytest.raises(ActorNotAllowedError):
        CitizenEvaluations(app).give(
            dossier_id, trace=trace(specialist(PROVINCE), LATER), scores={1: 2}
        )
    assert written(app) == before


def test_not_before_reception_but_after_a_refusal(app: OneStop) -> None:
    dossier_id = submitted(app)
    before = written(app)
    with pytest.raises(EvaluationTooEarlyError):
        CitizenEvaluations(app).give(
            dossier_id, trace=trace(citizen(), at(0, 8)), scores={6: 2}
        )
    assert written(app) == before
    app.refuse_dossier(dossier_id, trace=trace(desk(), at(0, 9)), reason="Thiếu")
    done = CitizenEvaluations(app).give(
        dossier_id, trace=trace(citizen(), at(0, 10)), scores={6: 2, 7: 0}
    )
    assert done.scores == {6: 2, 7: 0}


def project(app: OneStop) -> SQLiteReadStore:
    store = SQLiteReadStore(":memory:")
    Projector(app, store, [IndicatorProjection()]).catch_up()
    return store


def test_answers_sit_beside_the_units_figures_and_list_their_dossiers(
    app: OneStop,
) -> None:
    evaluations = CitizenEvaluations(app)
    first = receive(app, when=at(0, 9)).dossier_id
    second = receive(app, when=at(1, 9)).dossier_id
    receive(app, when=at(2, 9))  # not evaluated
    evaluations.give(
        first,
        trace=trace(citizen(), at(1, 10)),
        scores={1: 1, 7: 2},
        satisfaction=Satisfaction.VERY_SATISFIED,
    )
    evaluations.give(first, trace=trace(citizen(), at(2, 10)), scores={1: 2, 7: 2})
    evaluations.give(
        second,
        trace=trace(desk(), at(2, 10)),
        scores={1: 0, 3: 1},
        satisfaction=Satisfaction.DISSATISFIED,
    )
    store = project(app)
    try:
        view = IndicatorView(store)
        citizens = CitizenView(view)
        day = MONDAY.date()
        found = citizens.assessment(PROVINCE, day, day + timedelta(days=6))
        assert (found.evaluations, found.online, found.paper) == (2, 1, 1)
        assert found.average(1) == 1.0  # (2 + 0) / 2: the first's later form counts
        assert found.average(3) == 1.0
        assert found.average(7) == 2.0
        assert found.average(4) is None
        assert found.satisfaction == (0, 0, 1)
        only_first = citizens.assessment(PROVINCE, day, day)
        assert only_first.evaluations == 1
        assert only_first.average(1) == 2.0
        assert citizens.assessment(CONSTRUCTION, day, day + timedelta(days=6)) == (
            type(found)()
        )
        assert citizens.assessment(JUSTICE, day, day + timedelta(days=6)) == found
        listed = citizens.dossiers_of(PROVINCE, day, day + timedelta(days=6))
        codes = [app.get_dossier(d).code for d in (first, second)]
        assert [r.code for r in listed] == codes
        assert listed[1].channel == "paper"
        assert listed[1].scores == {1: 0, 3: 1}
        low = citizens.dossiers_of(PROVINCE, day, day + timedelta(days=6), index=1)
        assert [r.code for r in low] == codes[1:]
        # The system-computed TT 01/2018 figures are what they were.
        end = period_end(day + timedelta(days=6))
        tallies = view.tallies(PROVINCE, day, day + timedelta(days=6))
        report = monitoring.report(PROVINCE, day, day + timedelta(days=6), tallies)
        unit = monitoring.evaluation(report.tally)
        assert unit.dossiers == 3
        assert (
            report.tally
            == monitoring.report(
                PROVINCE,
                day,
                day + timedelta(days=6),
                monitoring.entries(
                    view.facts(PROVINCE, day, day + timedelta(days=6)), end
                ),
            ).tally
        )
    finally:
        store.close()


def test_forms_leave_the_766_figures_and_the_total_of_18_as_they_were(
    app: OneStop,
) -> None:
    """5.4 counts the dossier rating; a dissatisfied form changes no figure."""
    dossiers = [receive(app, when=at(day, 9)).dossier_id for day in range(3)]
    day, last = MONDAY.date(), MONDAY.date() + timedelta(days=6)

    def figures() -> tuple[object, object]:
        store = project(app)
        try:
            view = IndicatorView(store)
            report = monitoring.report(
                PROVINCE, day, last, view.tallies(PROVINCE, day, last)
            )
            return report.total, monitoring.evaluation(report.tally)
        finally:
            store.close()

    before = figures()
    for dossier_id in dossiers:
        CitizenEvaluations(app).give(
            dossier_id,
            trace=trace(citizen(), LATER),
            scores={1: 0, 3: 0, 4: 0, 6: 0, 7: 0},
            satisfaction=Satisfaction.DISSATISFIED,
            convenience=Satisfaction.DISSATISFIED,
        )
    assert figures() == before
