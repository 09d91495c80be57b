"""Stored event topics and value-type names are a storage contract: pinned here."""

from __future__ import annotations

import inspect
from pathlib import Path

from eventsourcing.domain import BaseAggregate, CanMutateAggregate
from eventsourcing.persistence import JSONTranscoder
from eventsourcing.utils import get_topic, resolve_topic

from application.transcodings import register_value_transcodings
from domain import (
    agency,
    calendar,
    digitized_document,
    dossier,
    dossier_code,
    procedure,
)

PINNED = Path(__file__).with_name("stored_topics.txt")
MODULES = (agency, calendar, digitized_document, dossier, dossier_code, procedure)


def current_topics() -> set[str]:
    topics: set[str] = set()
    for module in MODULES:
        for _, aggregate in inspect.getmembers(module, inspect.isclass):
            if aggregate.__module__ != module.__name__ or not issubclass(
                aggregate, BaseAggregate
            ):
                continue
            topics.add(get_topic(aggregate))
            for _, member in inspect.getmembers(aggregate, inspect.isclass):
                if issubclass(member, CanMutateAggregate) and member.__module__ == (
                    module.__name__
                ):
                    topics.add(get_topic(member))
    transcoder = JSONTranscoder()
    register_value_transcodings(transcoder)
    topics.update(f"value {name}" for name in transcoder.names)
    return topics


def pinned_topics() -> set[str]:
    return {line.strip() for line in PINNED.read_text().splitlines() if line.strip()}


class TestStoredTopics:
    def test_no_pinned_topic_was_renamed_or_moved(self) -> None:
        missing = pinned_topics() - current_topics()
        assert not missing, f"stored topics vanished (add register_topic): {missing}"

    def test_every_new_event_class_is_pinned(self) -> None:
        unpinned = current_topics() - pinned_topics()
        assert not unpinned, f"add to {PINNED.name}: {sorted(unpinned)}"

    def test_every_pinned_topic_resolves(self) -> None:
        for topic in pinned_topics():
            if not topic.startswith("value "):
                assert resolve_topic(topic) is not None
