"""Unit-entered TT 01/2018 indices (R-30, R-32): stored as events, checked
first (nothing recorded on bad input, bilingual errors), feeding the unit's
total out of 18 and its classification."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.readstore.sqlite import SQLiteReadStore
from adapters.settings import persistence_env
from application import monitoring
from application.evaluation_sheets import EvaluationSheets
from application.onestop import OneStop
from domain.errors import ActorNotAllowedError, InvalidAgencyCodeError, LabelledError
from domain.evaluation_sheet import (
    ENTERED_INDICES,
    EvaluationIndexError,
    EvaluationPeriodError,
    EvaluationScoreError,
)
from projections.indicators import IndicatorProjection, IndicatorView
from projections.runtime import Projector
from tests.factories import (
    JUSTICE,
    MONDAY,
    PROVINCE,
    at,
    citizen,
    leader,
    receive,
    seed_catalogue,
    trace,
)

FIRST = date(2026, 1, 1)
LAST = date(2026, 3, 31)
NOW = MONDAY + timedelta(days=40)


def written(app: OneStop) -> int:
    return app.recorder.max_notification_id() or 0


@pytest.fixture
def app() -> Any:
    made = OneStop(env=persistence_env("memory://"))
    seed_catalogue(made)
    yield made
    made.close()


def test_entered_indices_complete_the_total_out_of_18(app: OneStop) -> None:
    sheets = EvaluationSheets(app)
    first, last = MONDAY.date(), MONDAY.date() + timedelta(days=30)
    for day in range(3):
        receive(app, when=at(day, 9))
    sheets.enter(
        trace=trace(leader(), NOW),
        agency_code=JUSTICE,
        first_day=first,
        last_day=last,
        scores={2: 1, 5: 2, 6: 2, 8: 1, 9: 0},
    )
    # The unit above appraises index 9 differently: the appraised score counts.
    sheets.enter(
        trace=trace(leader(PROVINCE), NOW),
        agency_code=JUSTICE,
        first_day=first,
        last_day=last,
        scores={9: 2},
        appraised=True,
    )
    assert sheets.scores(JUSTICE, first, last) == {2: 1, 5: 2, 6: 2, 8: 1, 9: 2}

    store = SQLiteReadStore(":memory:")
    try:
        Projector(app, store, [IndicatorProjection()]).catch_up()
        view = IndicatorView(store)
        entered = view.entered(JUSTICE, first, last)
        assert entered == {2: 1, 5: 2, 6: 2, 8: 1, 9: 2}
        assert view.entered(JUSTICE, first, last + timedelta(days=1)) == {}
        counted = view.tallies(JUSTICE, first, last)
        report = monitoring.report(JUSTICE, first, last, counted)
        without = monitoring.evaluation(report.tally)
        assert without.maximum == 8
        assert without.classification is None
        found = monitoring.evaluation(report.tally, entered)
        assert found.maximum == 18
        assert found.total == sum(without.averages.values()) + 8
        assert found.classification is not None
    finally:
        store.close()


BAD: list[tuple[dict[str, Any], type[LabelledError]]] = [
    ({"scores": {3: 1}}, EvaluationIndexError),
    ({"scores": {7: 2}}, EvaluationIndexError),
    ({"scores": {}}, EvaluationIndexError),
    ({"scores": {2: 3}}, EvaluationScoreError),
    ({"scores": {5: -1}}, EvaluationScoreError),
    ({"scores": {5: True}}, EvaluationScoreError),
    ({"scores": {5: 1.5}}, EvaluationScoreError),
    ({"last_day": FIRST - timedelta(days=1)}, EvaluationPeriodError),
    ({"last_day": FIRST + timedelta(days=400)}, EvaluationPeriodError),
    (
        {"first_day": date(2017, 1, 1), "last_day": date(2017, 3, 1)},
        EvaluationPeriodError,
    ),
    (
        {"first_day": date(2030, 1, 1), "last_day": date(2030, 3, 1)},
        EvaluationPeriodError,
    ),
    ({"agency_code": "not-a-unit"}, InvalidAgencyCodeError),
    ({"who": citizen()}, ActorNotAllowedError),
    ({"who": leader("000.00.15.H34")}, ActorNotAllowedError),  # another unit
    ({"appraised": True}, ActorNotAllowedError),  # a unit appraising itself
]


@pytest.mark.parametrize(("change", "error"), BAD)
def test_bad_input_is_refused_in_both_languages_and_nothing_is_written(
    app: OneStop, change: dict[str, Any], error: type[LabelledError]
) -> None:
    arguments: dict[str, Any] = {
        "agency_code": JUSTICE,
        "first_day": FIRST,
        "last_day": LAST,
        "scores": {2: 1},
        "appraised": False,
    }
    who = change.pop("who", leader())
    arguments.update(change)
    before = written(app)
    with pytest.raises(error) as refused:
        EvaluationSheets(app).enter(trace=trace(who, NOW), **arguments)
    assert written(app) == before
    vi, en = refused.value.message("vi"), refused.value.message("en")
    assert vi
    assert en
    assert vi != en


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    scores=st.dictionaries(
        st.integers(-2, 12), st.integers(-3, 5), min_size=0, max_size=6
    )
)
def test_any_scores_are_recorded_only_when_every_one_is_valid(
    scores: dict[int, int],
) -> None:
    app = OneStop(env=persistence_env("memory://"))
    try:
        seed_catalogue(app)
        valid = bool(scores) and all(
            i in ENTERED_INDICES and s in (0, 1, 2) for i, s in scores.items()
        )
        before = written(app)
        try:
            EvaluationSheets(app).enter(
                trace=trace(leader(), NOW),
                agency_code=JUSTICE,
                first_day=FIRST,
                last_day=LAST,
                scores=scores,
            )
        except (EvaluationIndexError, EvaluationScoreError):
            assert not valid
            assert written(app) == before
        else:
            assert valid
            assert EvaluationSheets(app).scores(JUSTICE, FIRST, LAST) == scores
    finally:
        app.close()
