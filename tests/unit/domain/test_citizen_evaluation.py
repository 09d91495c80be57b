"""The citizens' evaluation rule (R-32): which indices a citizen scores, the
0/1/2 range, who may give it through which channel, and when."""

from __future__ import annotations

from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.citizen_evaluation import (
    CITIZEN_INDICES,
    INDEX_TEXTS,
    CitizenAssessment,
    CitizenEvaluation,
    CitizenIndexError,
    CitizenSatisfactionError,
    CitizenScoreError,
    DossierSide,
    EmptyEvaluationError,
    EvaluationChannel,
    EvaluationTooEarlyError,
    assessment_of,
    channel_of,
    checked_answers,
)
from domain.dossier_status import DossierStatus
from domain.dossier_values import Satisfaction
from domain.errors import ActorNotAllowedError, LabelledError
from domain.values import Actor, Role
from domain.visibility import DossierNotVisibleError
from tests.factories import MONDAY, citizen, desk, leader, specialist, trace

any_index = st.one_of(st.integers(-5, 15), st.booleans())
any_score = st.one_of(st.integers(-3, 5), st.booleans())


def side(
    status: DossierStatus = DossierStatus.IN_PROGRESS, visible: bool = True
) -> DossierSide:
    return DossierSide(
        dossier_id=uuid4(), code="000.00.00.H34-260302-0001", status=status,
        visible_to=visible,
    )  # fmt: skip


@given(st.dictionaries(any_index, any_score, max_size=8))
def test_every_answer_is_checked_before_anything_is_stored(
    scores: dict[int, int],
) -> None:
    valid = all(
        not isinstance(i, bool)
        and i in CITIZEN_INDICES
        and not isinstance(s, bool)
        and s in (0, 1, 2)
        for i, s in scores.items()
    )
    if valid and scores:
        assert checked_answers(scores) == {str(i): s for i, s in sorted(scores.items())}
        return
    with pytest.raises(LabelledError) as raised:
        checked_answers(scores)
    error = raised.value
    assert isinstance(
        error, CitizenIndexError | CitizenScoreError | EmptyEvaluationError
    )
    assert error.message("vi") != error.message("en")
    for bad_index, bad_score in scores.items():
        if isinstance(bad_index, bool) or bad_index not in CITIZEN_INDICES:
            assert isinstance(error, CitizenIndexError)
            assert str(bad_index) in error.message("en")
            break
        if isinstance(bad_score, bool) or bad_score not in (0, 1, 2):
            assert isinstance(error, CitizenScoreError)
            break


@given(st.sampled_from((2, 5, 8, 9)), st.integers(0, 2))
def test_indices_a_unit_enters_are_not_the_citizens(index: int, score: int) -> None:
    with pytest.raises(CitizenIndexError) as raised:
        checked_answers({index: score})
    assert raised.value.message("vi").startswith(f"Chỉ số {index} không do người dân")


@given(st.text(max_size=20) | st.integers())
def test_a_satisfaction_level_is_one_of_the_three(value: object) -> None:
    with pytest.raises(CitizenSatisfactionError) as raised:
        checked_answers({1: 1}, value)  # type: ignore[arg-type]
    assert raised.value.message("en").startswith("Invalid satisfaction level")


def test_a_form_with_only_a_satisfaction_answer_is_an_answer() -> None:
    assert checked_answers({}, Satisfaction.SATISFIED) == {}
    with pytest.raises(EmptyEvaluationError):
        checked_answers({})


def test_every_citizen_index_has_its_name_and_three_descriptions() -> None:
    assert set(INDEX_TEXTS) == set(CITIZEN_INDICES)
    for name, levels in INDEX_TEXTS.values():
        assert name
        assert len(levels) == 3
        assert all(levels)


class TestWhoAndWhen:
    def test_the_applicant_evaluates_online_a_desk_officer_enters_paper(
        self,
    ) -> None:
        assert channel_of(citizen(), side()) is EvaluationChannel.ONLINE
        assert channel_of(desk(), side()) is EvaluationChannel.PAPER

    @pytest.mark.parametrize("actor", [specialist(), leader()])
    def test_other_officers_may_not(self, actor: Actor) -> None:
        with pytest.raises(ActorNotAllowedError):
            channel_of(actor, side())

    def test_an_unseen_dossier_answers_like_an_unknown_one(self) -> None:
        for actor in (citizen(), desk(), leader()):
            with pytest.raises(DossierNotVisibleError):
                channel_of(actor, side(visible=False))

    @pytest.mark.parametrize(
        "status", [s for s in DossierStatus if s is not DossierStatus.SUBMITTED]
    )
    def test_any_dossier_the_desk_dealt_with_may_be_evaluated(
        self, status: DossierStatus
    ) -> None:
        assert channel_of(citizen(), side(status)) is EvaluationChannel.ONLINE

    def test_not_before_the_desk_received_or_refused_it(self) -> None:
        with pytest.raises(EvaluationTooEarlyError) as raised:
            channel_of(citizen(), side(DossierStatus.SUBMITTED))
        assert "chưa được tiếp nhận" in raised.value.message("vi")
        assert "not been received" in raised.value.message("en")


def test_a_later_form_supersedes_the_earlier_one() -> None:
    dossier = side()
    evaluation = CitizenEvaluation.open(trace=trace(citizen(), MONDAY), dossier=dossier)
    evaluation.give(
        trace=trace(desk(), MONDAY),
        dossier=dossier,
        scores={1: 0, 3: 2},
        satisfaction=Satisfaction.DISSATISFIED,
    )
    evaluation.give(
        trace=trace(citizen(), MONDAY), dossier=dossier, scores={7: 2, 6: 1}
    )
    assert evaluation.scores == {6: 1, 7: 2}
    assert evaluation.satisfaction is None
    assert evaluation.channel is EvaluationChannel.ONLINE
    assert evaluation.given == 2
    events = evaluation.collect_events()
    assert [type(e).__name__ for e in events] == ["Opened", "Given", "Given"]


def test_nothing_is_triggered_on_a_bad_answer() -> None:
    dossier = side()
    evaluation = CitizenEvaluation.open(trace=trace(citizen(), MONDAY), dossier=dossier)
    evaluation.collect_events()
    with pytest.raises(CitizenScoreError):
        evaluation.give(trace=trace(citizen(), MONDAY), dossier=dossier, scores={1: 3})
    with pytest.raises(ActorNotAllowedError):
        evaluation.give(
            trace=trace(Actor("x", Role.SPECIALIST, "000.00.00.H34"), MONDAY),
            dossier=dossier,
            scores={1: 1},
        )
    assert evaluation.collect_events() == []


answers = st.tuples(
    st.sampled_from(tuple(EvaluationChannel)),
    st.dictionaries(st.sampled_from(CITIZEN_INDICES), st.integers(0, 2)),
    st.none() | st.sampled_from(tuple(Satisfaction)),
    st.none() | st.sampled_from(tuple(Satisfaction)),
)


@given(st.lists(answers, max_size=12))
def test_assessments_add_up_to_the_answers(forms: list[tuple]) -> None:  # type: ignore[type-arg]
    total = CitizenAssessment()
    for channel, scores, satisfied, convenient in forms:
        total += assessment_of(
            channel.value,
            scores,
            satisfied.value if satisfied else None,
            convenient.value if convenient else None,
        )
    assert total.evaluations == len(forms)
    assert total.online + total.paper == len(forms)
    for position, index in enumerate(CITIZEN_INDICES):
        given_scores = [s[index] for _, s, _, _ in forms if index in s]
        assert total.answers[position] == len(given_scores)
        assert total.sums[position] == sum(given_scores)
        expected = (
            round(sum(given_scores) / len(given_scores), 2) if given_scores else None
        )
        assert total.average(index) == expected
    levels = list(Satisfaction)
    assert list(total.satisfaction) == [
        sum(f[2] is level for f in forms) for level in levels
    ]
