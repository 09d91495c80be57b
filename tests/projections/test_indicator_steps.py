"""A dossier's tally as a step function of the period end: what lets the
indicator read model keep settled dossiers pre-summed and answer any period
end from stored steps (apart from the read-model tests so that xdist runs
them beside the long brute-force walks)."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.indicator_facts import DossierFacts, fold_facts, portal_accepted
from domain.indicator_tally import settled_at, tally_of, tally_segments
from tests.projections.test_fold_equivalence import Step
from tests.projections.test_indicator_projection import drive, raw_events, steps

SYNCED = st.none() | st.integers(-3600, 400 * 3600)
"""When the national portal took the dossier, seconds after its reception
(before it too: the facts do not rely on the order)."""


def accepted(facts: DossierFacts, synced: int | None) -> DossierFacts:
    if synced is None or facts.received_at is None:
        return facts
    return portal_accepted(facts, facts.received_at + timedelta(seconds=synced))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    script=steps,
    pace=st.lists(st.integers(0, 6), min_size=1, max_size=8),
    later=st.integers(0, 400),
    synced=SYNCED,
)
def test_a_settled_dossier_counts_the_same_at_any_later_period_end(
    script: list[Step], pace: list[int], later: int, synced: int | None
) -> None:
    """What lets a bucket keep a dossier pre-summed for good."""
    driver = drive(script, pace)
    try:
        for dossier_id in driver.dossiers:
            folded = fold_facts(raw_events(driver.app, dossier_id))
            assert folded is not None
            facts = accepted(folded, synced)
            settled = settled_at(facts)
            if settled is None:
                continue
            moment = settled + timedelta(hours=later)
            for complained in (False, True):
                assert tally_of(facts, moment, complained=complained) == tally_of(
                    facts, settled, complained=complained
                )
    finally:
        driver.app.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    script=steps,
    pace=st.lists(st.integers(0, 6), min_size=1, max_size=8),
    offsets=st.lists(st.integers(0, 400 * 3600), min_size=1, max_size=6),
    synced=SYNCED,
)
def test_a_dossiers_tally_is_the_step_function_its_segments_say(
    script: list[Step], pace: list[int], offsets: list[int], synced: int | None
) -> None:
    """What lets the query read a dossier's tally at any period end from rows:
    at every moment after reception (each step's own moment and the instants
    around it included) the step holding then is what judging the dossier
    then gives."""
    driver = drive(script, pace)
    try:
        for dossier_id in driver.dossiers:
            folded = fold_facts(raw_events(driver.app, dossier_id))
            assert folded is not None
            facts = accepted(folded, synced)
            segments = tally_segments(facts)
            if facts.received_at is None or not facts.accepted:
                assert segments == []
                continue
            assert segments[0][0] == facts.received_at
            tick = timedelta(microseconds=1)
            moments = [facts.received_at + timedelta(seconds=s) for s in offsets]
            for start, _ in segments:
                moments += [start - tick, start, start + tick]
            for moment in moments:
                if moment < facts.received_at:
                    continue
                holding = [t for start, t in segments if start <= moment][-1]
                assert holding == tally_of(facts, moment), moment
            settled = settled_at(facts)
            if settled is not None:
                assert segments[-1][0] <= settled
    finally:
        driver.app.close()
