"""A new definitions version rebuilds beside the old one, which keeps serving.

While the new version's read model is rebuilt from the log (batch by batch),
every query is answered from the old version, with the old answer; once the
new one has caught up, queries switch to it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from application import monitoring
from projections.indicators import IndicatorProjection, IndicatorView
from projections.ports import ReadStore
from projections.runtime import Projector
from tests.factories import (
    BIRTH,
    BUILDING,
    CRIMINAL_RECORD,
    MONDAY,
    PROVINCE,
    at,
    receive,
    seed_catalogue,
)
from tests.projections.conftest import Backend

FIRST = MONDAY.date()
LAST = FIRST + timedelta(days=13)


def answer(store: ReadStore, definitions: int | None = None) -> tuple[int, list[Any]]:
    view = IndicatorView(store, definitions)
    counted = view.tallies(PROVINCE, FIRST, LAST)
    report = monitoring.report(
        PROVINCE, FIRST, LAST, counted, monitoring.Grouping.AGENCY
    )
    figures = [
        (f.definition.code, f.numerator, f.denominator) for f in report.total.figures
    ]
    return view.definitions, [figures, [(r.key, r.score) for r in report.rows]]


def test_the_old_version_serves_until_the_new_one_has_caught_up(
    backend: Backend,
) -> None:
    app, store = backend.app, backend.store
    seed_catalogue(app)
    procedures = (BIRTH, CRIMINAL_RECORD, BUILDING)
    for number in range(9):
        receive(app, when=at(number % 10, 9), procedure=procedures[number % 3])
    Projector(app, store, [IndicatorProjection()]).catch_up()
    version, old = answer(store)
    assert version == 1
    assert old[0][1][0::2] == ("2.1", 9)

    rebuilding = Projector(
        app, store, [IndicatorProjection(definitions=2)], batch_size=5
    )
    rebuilding.setup()
    partial_answers = 0
    while True:
        if answer(store, 2)[1] != old:
            partial_answers += 1
            assert answer(store) == (1, old)  # served from the old version
        if not rebuilding.step(5):
            break
    assert partial_answers >= 2  # the new version was visibly incomplete meanwhile
    assert answer(store) == (2, old)  # switched, same answer

    # Only the new version follows the log now, and it serves.
    receive(app, when=at(3, 10), procedure=BIRTH)
    rebuilding.catch_up()
    version, new = answer(store)
    assert version == 2
    assert new[0][1][0::2] == ("2.1", 10)
