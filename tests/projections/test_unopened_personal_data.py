"""A projector whose read models never read personal data does not open it.

The indicators read model declares ``reads_personal_data = False``: its
projector decodes sealed values as erased (no key lookup, no decryption).
Checked here: that read model is the same whether the values were opened or
not, over a simulated province with sealed personal data; the decoder really
left them sealed; and one read model that reads them keeps them opened.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from adapters.demo.seeding import seed_province
from adapters.demo.simulation import Simulation
from adapters.readstore.sqlite import SQLiteReadStore
from adapters.settings import persistence_env
from api.bench.catalogue import VN
from application.onestop import OneStop
from application.personal_data import ERASED
from domain.dossier_events import Lodged
from projections.citizen import CitizenProjection
from projections.indicators import IndicatorProjection
from projections.public_status import PublicStatusProjection
from projections.rebuild import checksum
from projections.runtime import Projector
from projections.timeline import TimelineProjection
from projections.worklist import WorklistProjection


class _OpeningIndicators(IndicatorProjection):
    reads_personal_data = True


def test_indicators_are_the_same_without_opening_personal_data(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'motcua.db'}"
    env = persistence_env(url) | {
        "SUBJECT_KEYS_TOPIC": "adapters.subject_keys:FileSubjectKeys",
        "SUBJECT_KEYS_DIR": str(tmp_path / "keys"),
    }
    app = OneStop(env=env)
    store = SQLiteReadStore(persistence_env(url)["SQLITE_DBNAME"])
    try:
        seed_province(
            app, at=datetime(2026, 1, 2, 8, tzinfo=VN), years=range(2026, 2027)
        )
        Simulation(app, seed=11, start=date(2026, 6, 1), end=date(2026, 8, 1)).run(
            40, lambda _: None
        )
        unopened = IndicatorProjection()
        opened = _OpeningIndicators(suffix="_opened")
        without = Projector(app, store, [unopened], batch_size=97)
        with_keys = Projector(app, store, [opened], batch_size=97)
        assert without.catch_up() > 0
        assert with_keys.catch_up() > 0
        assert checksum(store, unopened) == checksum(store, opened)

        stored = app.recorder.select_notifications(1, 1_000_000)
        citizens = [
            s for s in stored if b'"pd:actor"' in s.state and b'"sealed"' in s.state
        ]
        assert citizens
        erased = {without._decode(s).trace.actor.id for s in citizens}
        assert erased == {ERASED}
        read = {with_keys._decode(s).trace.actor.id for s in citizens}
        assert ERASED not in read
        timeline = Projector(app, store, [TimelineProjection(), unopened])
        assert {timeline._decode(s).trace.actor.id for s in citizens} == read
    finally:
        store.close()
        app.close()


class _OpeningPublicStatus(PublicStatusProjection):
    reads_actors = True


class _OpeningWorklist(WorklistProjection):
    reads_actors = True


class _OpeningCitizen(CitizenProjection):
    reads_actors = True


def test_status_read_models_are_the_same_without_opening_actors(
    tmp_path: Path,
) -> None:
    """The three status read models declare ``reads_actors = False``: their
    projector reads citizens' actor ids as erased, still opens applicants and
    sealed texts, and every row equals that of a projector that opened all."""
    url = f"sqlite:///{tmp_path / 'motcua.db'}"
    env = persistence_env(url) | {
        "SUBJECT_KEYS_TOPIC": "adapters.subject_keys:FileSubjectKeys",
        "SUBJECT_KEYS_DIR": str(tmp_path / "keys"),
    }
    app = OneStop(env=env)
    store = SQLiteReadStore(persistence_env(url)["SQLITE_DBNAME"])
    try:
        seed_province(
            app, at=datetime(2026, 1, 2, 8, tzinfo=VN), years=range(2026, 2027)
        )
        Simulation(app, seed=12, start=date(2026, 6, 1), end=date(2026, 8, 1)).run(
            40, lambda _: None
        )
        unopened = [PublicStatusProjection(), WorklistProjection(), CitizenProjection()]
        opened = [
            _OpeningPublicStatus(suffix="_opened"),
            _OpeningWorklist(suffix="_opened"),
            _OpeningCitizen(suffix="_opened"),
        ]
        without = Projector(app, store, unopened, batch_size=97)
        with_keys = Projector(app, store, opened, batch_size=97)
        assert without.catch_up() > 0
        assert with_keys.catch_up() > 0
        for plain, opening in zip(unopened, opened, strict=True):
            assert checksum(store, plain) == checksum(store, opening), plain.name
            assert (
                store.query(
                    f"SELECT count(*) FROM {plain.table(next(iter(plain.tables)))}"
                )[0][0]
                > 0
            )

        stored = app.recorder.select_notifications(1, 1_000_000)
        citizens = [
            s for s in stored if b'"pd:actor"' in s.state and b'"sealed"' in s.state
        ]
        assert citizens
        assert {without._decode(s).trace.actor.id for s in citizens} == {ERASED}
        read = {with_keys._decode(s).trace.actor.id for s in citizens}
        assert ERASED not in read
        lodged = [s for s in stored if isinstance(with_keys._decode(s), Lodged)]
        assert lodged
        applicants = {without._decode(s).applicant.id for s in lodged}
        assert ERASED not in applicants
        assert applicants == {with_keys._decode(s).applicant.id for s in lodged}
        # one read model that shows who acted: actors opened again
        mixed = Projector(app, store, [TimelineProjection(), *unopened])
        assert {mixed._decode(s).trace.actor.id for s in citizens} == read
    finally:
        store.close()
        app.close()
