"""Stored event topics and value-type names are a storage contract: pinned here."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import subprocess
import sys
from pathlib import Path

from eventsourcing.domain import BaseAggregate, CanMutateAggregate
from eventsourcing.persistence import JSONTranscoder
from eventsourcing.utils import get_topic, resolve_topic

import domain
from application.transcodings import register_value_transcodings
from domain import dossier_events
from domain.dossier_events import DOSSIER_EVENTS

PINNED = Path(__file__).with_name("stored_topics.txt")
MODULES = tuple(
    importlib.import_module(f"domain.{info.name}")
    for info in pkgutil.iter_modules(domain.__path__)
)
"""Every domain module: an aggregate in a new module is pinned like the rest."""


def current_topics() -> set[str]:
    topics: set[str] = set()
    for module in MODULES:
        for _, aggregate in inspect.getmembers(module, inspect.isclass):
            if aggregate.__module__ != module.__name__ or not issubclass(
                aggregate, BaseAggregate
            ):
                continue
            topics.add(get_topic(aggregate))
            # Events may live in another module (domain.dossier_events): what
            # counts is the topic each one writes.
            for _, member in inspect.getmembers(aggregate, inspect.isclass):
                if issubclass(member, CanMutateAggregate) and (
                    member.__module__.startswith("domain.")
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

    def test_every_dossier_event_class_keeps_its_first_topic(self) -> None:
        declared = {
            cls
            for _, cls in inspect.getmembers(dossier_events, inspect.isclass)
            if issubclass(cls, dossier_events.DossierEvent)
            and cls.__module__ == dossier_events.__name__
        }
        assert declared == {dossier_events.DossierEvent, *DOSSIER_EVENTS}
        for cls in declared:
            topic = get_topic(cls)
            assert (
                topic
                == f"domain.dossier:Dossier.{cls.__name__.removeprefix('Dossier')}"
            )
            assert topic in pinned_topics()
            assert resolve_topic(topic) is cls

    def test_a_moved_event_topic_resolves_in_a_fresh_process_by_import(self) -> None:
        """Without ``domain.dossier_events`` imported first (no registration yet),
        the old topic resolves through the names on ``Dossier``."""
        topics = sorted(
            t for t in pinned_topics() if t.startswith("domain.dossier:Dossier.")
        )
        script = (
            "import sys\n"
            "from eventsourcing.utils import resolve_topic\n"
            "for t in sys.argv[1:]:\n"
            "    c = resolve_topic(t)\n"
            "    assert c.__module__ in ('domain.dossier_events', 'domain.dossier', 'domain.cross_province'), t\n"
            "    print(t, c.__module__, c.__name__)\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", script, *topics],
            capture_output=True,
            text=True,
            check=False,
            cwd=Path(__file__).parents[3],
        )
        assert done.returncode == 0, done.stderr
        assert len(done.stdout.splitlines()) == len(topics)
