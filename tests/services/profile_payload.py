"""Run by tests/services/test_hypothesis_profile.py in its own pytest: counts
how many examples property tests that name their own size really run, and
appends the counts to ``$SUITE_PAYLOAD_OUT``. Not collected on its own."""

from __future__ import annotations

import json
import os
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule

CALLS = {"given": 0, "machine": 0}


@settings(max_examples=3, deadline=None)
@given(st.integers())
def test_counts_examples(value: int) -> None:
    CALLS["given"] += 1


class Machine(RuleBasedStateMachine):
    @rule()
    def step(self) -> None:
        pass

    def teardown(self) -> None:
        CALLS["machine"] += 1


TestMachine = Machine.TestCase
TestMachine.settings = settings(max_examples=2, stateful_step_count=1, deadline=None)


def test_report() -> None:
    Path(os.environ["SUITE_PAYLOAD_OUT"]).write_text(json.dumps(CALLS))
