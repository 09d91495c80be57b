"""Every read model's queries give the same answers on SQLite and PostgreSQL.

The application runs on the same database as its read store. One data set
covers every status, an agency subtree down to the commune, a dossier without
a due time and an online submission without a code.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.readstore.postgres import PostgresReadStore
from adapters.readstore.sqlite import SQLiteReadStore
from application.onestop import OneStop
from domain.dossier import Dossier
from domain.dossier_status import OPEN, DossierStatus
from domain.values import AgencyCode
from projections.base import utc
from projections.catalogue import CatalogueView, fold
from projections.citizen import CitizenView
from projections.ports import ReadStore
from projections.public_status import Completion, PublicStatusView
from projections.registry import all_projections
from projections.runtime import Projector
from projections.timeline import TimelineView
from projections.worklist import WorklistView
from tests.factories import (
    APPLICANT,
    BIRTH,
    BUILDING,
    COMMUNE,
    CONSTRUCTION,
    CRIMINAL_RECORD,
    DISTRICT,
    JUSTICE,
    OTHER_APPLICANT,
    PROVINCE,
)
from tests.projections.conftest import BACKENDS, open_backend
from tests.projections.support import (
    CERTIFICATION,
    COMPLETION,
    MARRIAGE,
    Scenario,
    checksums,
    populate,
)
from tests.services import PostgresServer


@dataclass
class Projected:
    app: OneStop
    store: ReadStore
    scenario: Scenario

    def dossier(self, name: str) -> Dossier:
        return self.app.get_dossier(self.scenario[name])

    def id(self, name: str) -> str:
        return str(self.scenario[name])

    def code(self, name: str) -> str:
        code = self.dossier(name).code
        assert code is not None
        return code

    def named(self, ids: list[str]) -> list[str]:
        """Scenario names of dossier ids, in the given order."""
        names = {str(v): k for k, v in self.scenario.ids.items()}
        return [names[i] for i in ids]


@pytest.fixture(scope="module", params=BACKENDS)
def projected(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Projected]:
    """The scenario, projected once per store: these tests only read."""
    kind = str(request.param)
    server: PostgresServer | None = None
    name = f"test_{uuid4().hex[:20]}"
    if kind == "postgres":
        server = request.getfixturevalue("postgres_server")
        url = server.create_database(name)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('contracts') / 'motcua.db'}"
    backend = open_backend(kind, url)
    try:
        scenario = populate(backend.app)
        Projector(backend.app, backend.store, all_projections()).catch_up()
        yield Projected(backend.app, backend.store, scenario)
    finally:
        backend.store.close()
        backend.app.close()
        if server is not None:
            server.drop_database(name)


def open_names(p: Projected, within: str | None = None) -> list[str]:
    """Open dossiers from the domain, in worklist order (due time, no due last)."""
    dossiers = [p.app.get_dossier(i) for i in p.scenario.ids.values()]
    chosen = [
        d
        for d in dossiers
        if d.status in OPEN
        and (
            within is None
            or any(
                a is not None and AgencyCode(a).is_within(AgencyCode(within))
                for a in (d.holder.agency_code, d.competent_agency, d.receiving_agency)
            )
        )
    ]
    chosen.sort(key=lambda d: (d.due_at is None, utc(d.due_at) or "", str(d.id)))
    return p.named([str(d.id) for d in chosen])


class TestPublicStatusView:
    def test_lookup_shows_each_received_dossier_at_its_completion_level(
        self, projected: Projected
    ) -> None:
        view = PublicStatusView(projected.store)
        expected = {
            "received": Completion.RECEIVED,
            "in_progress": Completion.IN_PROGRESS,
            "supplement": Completion.WAITING_FOR_APPLICANT,
            "payment": Completion.IN_PROGRESS,
            "awaiting_payment": Completion.WAITING_FOR_APPLICANT,
            "returned": Completion.RETURNED,
            "resolved": Completion.RESULT_READY,
            "stopped": Completion.CLOSED,
            "withdrawn": Completion.CLOSED,
            "reappointed": Completion.IN_PROGRESS,
            "district": Completion.RECEIVED,
            "commune": Completion.RECEIVED,
            "no_deadline": Completion.RECEIVED,
        }
        for name, completion in expected.items():
            found = view.lookup(projected.code(name))
            assert found is not None, name
            assert found.code == projected.code(name)
            assert found.completion is completion, name
            assert completion is COMPLETION[projected.dossier(name).status]

    def test_lookup_of_an_unknown_code_finds_nothing(
        self, projected: Projected
    ) -> None:
        assert (
            PublicStatusView(projected.store).lookup("000.00.12.H34-260302-9999")
            is None
        )

    def test_an_online_submission_has_no_public_entry_until_it_is_received(
        self, projected: Projected
    ) -> None:
        view = PublicStatusView(projected.store)
        rows = projected.store.query(
            f"SELECT code, completion FROM {view.table} WHERE dossier_id = ?",
            (projected.id("online"),),
        )
        assert rows == [(None, None)]  # its folded state only: nothing to look up


class TestWorklistView:
    def test_recent_lists_every_dossier_latest_reception_first_unreceived_last(
        self, projected: Projected
    ) -> None:
        items = WorklistView(projected.store).recent()
        names = projected.named([i.dossier_id for i in items])
        assert set(names) == set(projected.scenario.ids)
        assert names[-1] == "online"
        received = [i.received_at for i in items if i.received_at is not None]
        assert received == sorted(received, reverse=True)

    def test_recent_filters_by_status(self, projected: Projected) -> None:
        view = WorklistView(projected.store)
        returned = view.recent(status=DossierStatus.RETURNED)
        assert projected.named([i.dossier_id for i in returned]) == ["returned"]
        assert view.recent(status=DossierStatus.REFUSED) == []
        assert len(view.recent(limit=3)) == 3

    def test_by_code_finds_the_dossier_with_its_domain_state(
        self, projected: Projected
    ) -> None:
        view = WorklistView(projected.store)
        for name in ("supplement", "payment", "returned", "reappointed", "commune"):
            item = view.by_code(projected.code(name))
            dossier = projected.dossier(name)
            assert item is not None
            assert item.dossier_id == projected.id(name)
            assert item.status is dossier.status
            assert item.national_code == dossier.status.national_code
            assert item.due_at == dossier.due_at
            assert item.holder_agency == dossier.holder.agency_code
            assert item.holder_department == dossier.holder.department
            assert item.supplement_requests == dossier.supplement_requests
            assert item.version == dossier.version
        assert view.by_code("000.00.12.H34-260302-9999") is None

    def test_open_for_the_province_lists_every_open_dossier_by_due_time(
        self, projected: Projected
    ) -> None:
        items = WorklistView(projected.store).open_for(PROVINCE)
        names = projected.named([i.dossier_id for i in items])
        assert names == open_names(projected)
        assert names[-1] == "no_deadline"
        assert not {"returned", "resolved", "stopped", "withdrawn", "online"} & set(
            names
        )

    def test_open_for_a_district_includes_its_communes(
        self, projected: Projected
    ) -> None:
        view = WorklistView(projected.store)
        district = projected.named([i.dossier_id for i in view.open_for(DISTRICT)])
        commune = projected.named([i.dossier_id for i in view.open_for(COMMUNE)])
        assert district == open_names(projected, DISTRICT)
        assert set(district) == {"district", "commune", "no_deadline"}
        assert commune == open_names(projected, COMMUNE)
        assert set(commune) == {"commune", "no_deadline"}

    def test_open_for_a_department_lists_what_it_is_competent_for_or_holds(
        self, projected: Projected
    ) -> None:
        view = WorklistView(projected.store)
        justice = projected.named([i.dossier_id for i in view.open_for(JUSTICE)])
        assert justice == open_names(projected, JUSTICE)
        assert "district" in justice
        assert "commune" not in justice
        assert view.open_for(CONSTRUCTION) == []

    def test_open_for_filters_by_status_and_due_time(
        self, projected: Projected
    ) -> None:
        view = WorklistView(projected.store)
        waiting = view.open_for(PROVINCE, status=DossierStatus.AWAITING_SUPPLEMENT)
        assert projected.named([i.dossier_id for i in waiting]) == ["supplement"]
        everything = view.open_for(PROVINCE)
        cutoff = everything[3].due_at
        assert cutoff is not None
        before = view.open_for(PROVINCE, due_before=cutoff)
        assert before == [i for i in everything if i.due_at and i.due_at < cutoff]
        assert len(before) == 3
        assert view.open_for(PROVINCE, limit=2) == everything[:2]


class TestCitizenView:
    def test_an_applicant_sees_only_their_own_dossiers(
        self, projected: Projected
    ) -> None:
        view = CitizenView(projected.store)
        mine = view.dossiers_of(APPLICANT.id)
        theirs = view.dossiers_of(OTHER_APPLICANT.id)
        assert set(projected.named([d.dossier_id for d in theirs])) == {
            "district",
            "commune",
        }
        assert set(projected.named([d.dossier_id for d in mine])) == set(
            projected.scenario.ids
        ) - {"district", "commune"}
        submitted = [d.submitted_at for d in mine if d.submitted_at is not None]
        assert len(submitted) == len(mine)
        assert submitted == sorted(submitted, reverse=True)
        assert view.dossiers_of("079000000000") == []

    def test_a_page_of_dossiers_is_the_newest_first_of_the_whole_list(
        self, projected: Projected
    ) -> None:
        view = CitizenView(projected.store)
        everything = view.dossiers_of(APPLICANT.id)
        assert len(everything) > 3
        for limit in (0, 1, 2, len(everything) - 1, len(everything), 500):
            assert view.dossiers_of(APPLICANT.id, limit) == everything[:limit]
        assert view.dossiers_of(APPLICANT.id, -3) == []

    def test_dossier_by_code_belongs_to_its_owner(self, projected: Projected) -> None:
        view = CitizenView(projected.store)
        code = projected.code("returned")
        found = view.dossier(APPLICANT.id, code)
        assert found is not None
        assert found.status is DossierStatus.RETURNED
        assert found.national_code == 10
        assert found.return_method == "desk"
        assert found.satisfaction == "very_satisfied"
        assert found.returned_at is not None
        assert view.dossier(OTHER_APPLICANT.id, code) is None

    def test_steps_follow_the_dossier_in_version_order(
        self, projected: Projected
    ) -> None:
        steps = CitizenView(projected.store).steps(projected.id("returned"))
        versions = [s.version for s in steps]
        assert versions == sorted(versions)
        assert steps[0].agency_code == PROVINCE
        assert steps[1].agency_code == JUSTICE
        assert steps[1].department == "PHC"
        assert all(s.step_vi and s.step_en for s in steps)
        kinds = [
            type(e).__name__
            for e in projected.app.events.get(projected.scenario["returned"])
        ]
        assert len(steps) == len(
            [
                k
                for k in kinds
                if k in ("ReceivedAtDesk", "Forwarded", "Resolved", "Returned")
            ]
        )

    def test_supplements_show_what_was_asked_and_whether_it_came(
        self, projected: Projected
    ) -> None:
        supplements = CitizenView(projected.store).supplements(
            projected.id("supplement")
        )
        assert [(s.items, s.reason) for s in supplements] == [
            (("TP2",), "Bản chụp mờ"),
            (("TP1",), "Thiếu chữ ký"),
        ]
        assert supplements[0].received_at is not None
        assert supplements[1].received_at is None

    def test_fees_show_the_lines_total_and_payment(self, projected: Projected) -> None:
        view = CitizenView(projected.store)
        (paid,) = view.fees(projected.id("payment"))
        assert paid.total == 8000
        assert paid.lines == (("LP1", "Lệ phí đăng ký khai sinh", 8000),)
        assert paid.paid_at is not None
        assert paid.channel == "desk"
        (unpaid,) = view.fees(projected.id("awaiting_payment"))
        assert unpaid.paid_at is None
        assert unpaid.channel is None

    def test_results_appear_only_once_returned(self, projected: Projected) -> None:
        view = CitizenView(projected.store)
        (returned,) = view.results(projected.id("returned"))
        (issued,) = projected.dossier("returned").results
        assert returned.result_code == "KQ.H34.000001"
        assert returned.document_id == str(issued.document_id)
        assert returned.number_symbol == "123/GKS"
        assert view.results(projected.id("resolved")) == []


class TestTimelineView:
    def test_entries_are_every_dossier_event_in_order(
        self, projected: Projected
    ) -> None:
        view = TimelineView(projected.store)
        for name, dossier_id in projected.scenario.ids.items():
            events = list(projected.app.events.get(dossier_id))
            entries = view.entries(dossier_id)
            assert [e.event_type for e in entries] == [
                type(e).__name__ for e in events
            ], name
            assert [e.version for e in entries] == list(range(1, len(events) + 1))
            assert all(e.summary("vi") and e.summary("en") for e in entries)
            assert view.entries(str(dossier_id)) == entries

    def test_entries_carry_the_actor_and_reason(self, projected: Projected) -> None:
        last = TimelineView(projected.store).entries(projected.scenario["stopped"])[-1]
        assert last.event_type == "Stopped"
        assert last.actor_role == "leader"
        assert last.actor_agency == JUSTICE
        assert last.reason == "Không đủ điều kiện"


class TestCatalogueView:
    @pytest.mark.parametrize(
        "text",
        ["dang ky khai sinh", "Đăng ký khai sinh", "ĐĂNG KÝ KHAI SINH", "khai sinh"],
    )
    def test_search_ignores_case_and_vietnamese_diacritics(
        self, projected: Projected, text: str
    ) -> None:
        found = CatalogueView(projected.store).search(text)
        assert [e.code for e in found] == [BIRTH]
        (entry,) = found
        assert entry.name == "Đăng ký khai sinh"
        assert entry.agency_code == JUSTICE
        assert entry.agency_name == "Sở Tư pháp"
        assert [c["code"] for c in entry.components] == ["TP1", "TP2", "TP3", "TP4"]
        assert entry.fees == [
            {"code": "LP1", "name": "Lệ phí đăng ký khai sinh", "amount": "8000"}
        ]
        assert entry.version == 1

    def test_search_matches_every_word_and_orders_by_code(
        self, projected: Projected
    ) -> None:
        view = CatalogueView(projected.store)
        assert [e.code for e in view.search("dang ky")] == [MARRIAGE, BIRTH]
        assert [e.code for e in view.search("")] == sorted(
            [BIRTH, CRIMINAL_RECORD, BUILDING, MARRIAGE, CERTIFICATION]
        )
        assert view.search("khai sinh xay dung") == []
        assert [e.code for e in view.search("h34-lltp")] == [CRIMINAL_RECORD]
        assert [e.code for e in view.search("", limit=2)] == sorted(
            [BIRTH, CRIMINAL_RECORD, BUILDING, MARRIAGE, CERTIFICATION]
        )[:2]

    @pytest.mark.parametrize(
        "text", ["%", "_", "%%", "__", "\\", "\\%", "%_%", "dang%ky", "d_ng", "1_"]
    )
    def test_like_wildcards_are_letters_to_find(
        self, projected: Projected, text: str
    ) -> None:
        assert CatalogueView(projected.store).search(text) == []

    @given(
        st.lists(
            st.text(alphabet="%_\\dangkyshi.0123-", min_size=1, max_size=6),
            min_size=1,
            max_size=3,
        )
    )
    @settings(max_examples=40, deadline=None)
    def test_search_finds_exactly_the_entries_containing_every_word(
        self, projected: Projected, words: list[str]
    ) -> None:
        view = CatalogueView(projected.store)
        folded = {
            e.code: fold(f"{e.code} {e.name} {e.field_code}") for e in view.search("")
        }
        expected = [c for c, t in sorted(folded.items()) if all(w in t for w in words)]
        assert [e.code for e in view.search(" ".join(words))] == expected

    def test_search_filters_by_competent_agency(self, projected: Projected) -> None:
        view = CatalogueView(projected.store)
        assert [e.code for e in view.search(agency_code=CONSTRUCTION)] == [BUILDING]
        assert [e.code for e in view.search(agency_code=COMMUNE)] == [
            MARRIAGE,
            CERTIFICATION,
        ]
        assert view.search("khai sinh", agency_code=CONSTRUCTION) == []

    def test_agencies_form_the_provincial_tree(self, projected: Projected) -> None:
        agencies = CatalogueView(projected.store).agencies()
        assert [(a.code, a.parent_code) for a in agencies] == [
            (PROVINCE, None),
            (JUSTICE, PROVINCE),
            (CONSTRUCTION, PROVINCE),
            (DISTRICT, PROVINCE),
            (COMMUNE, DISTRICT),
        ]
        assert [a.level for a in agencies] == [
            "province",
            "department",
            "department",
            "district",
            "commune",
        ]
        names = CatalogueView(projected.store).agency_names()
        assert names[COMMUNE] == "UBND xã Hà Mòn"


def answers(store: ReadStore, app: OneStop, scenario: Scenario) -> dict[str, Any]:
    """Every query of every view over the scenario, as comparable values."""
    public, worklist = PublicStatusView(store), WorklistView(store)
    citizen, timeline = CitizenView(store), TimelineView(store)
    catalogue = CatalogueView(store)
    result: dict[str, Any] = {
        "recent": worklist.recent(),
        "recent-returned": worklist.recent(status=DossierStatus.RETURNED),
        "catalogue": catalogue.search(),
        "catalogue-folded": catalogue.search("dang ky khai sinh"),
        "catalogue-agency": catalogue.search(agency_code=COMMUNE),
        "agencies": catalogue.agencies(),
        "mine": citizen.dossiers_of(APPLICANT.id),
        "theirs": citizen.dossiers_of(OTHER_APPLICANT.id),
    }
    for agency in (PROVINCE, JUSTICE, DISTRICT, COMMUNE, CONSTRUCTION):
        result[f"open-{agency}"] = worklist.open_for(agency)
        for status in OPEN:
            result[f"open-{agency}-{status.value}"] = worklist.open_for(
                agency, status=status
            )
    due = [i.due_at for i in worklist.open_for(PROVINCE) if i.due_at]
    result["open-due-before"] = worklist.open_for(
        PROVINCE, due_before=due[len(due) // 2]
    )
    for name, dossier_id in scenario.ids.items():
        code = app.get_dossier(dossier_id).code
        if code is not None:
            result[f"{name}-public"] = public.lookup(code)
            result[f"{name}-by-code"] = worklist.by_code(code)
            result[f"{name}-citizen"] = citizen.dossier(
                app.get_dossier(dossier_id).applicant.id, code
            )
        result[f"{name}-steps"] = citizen.steps(str(dossier_id))
        result[f"{name}-supplements"] = citizen.supplements(str(dossier_id))
        result[f"{name}-fees"] = citizen.fees(str(dossier_id))
        result[f"{name}-results"] = citizen.results(str(dossier_id))
        result[f"{name}-timeline"] = timeline.entries(dossier_id)
    return result


class TestSameDataSameAnswers:
    @pytest.fixture
    def stores(
        self, postgres_url: str, tmp_path: Path
    ) -> Iterator[tuple[OneStop, Scenario, ReadStore, ReadStore]]:
        backend = open_backend("postgres", postgres_url)
        sqlite = SQLiteReadStore(str(tmp_path / "read.db"))
        try:
            scenario = populate(backend.app)
            for store in (backend.store, sqlite):
                Projector(
                    backend.app, store, all_projections(), batch_size=7
                ).catch_up()
            yield backend.app, scenario, backend.store, sqlite
        finally:
            sqlite.close()
            backend.store.close()
            backend.app.close()

    def test_both_stores_answer_every_query_identically(
        self, stores: tuple[OneStop, Scenario, ReadStore, ReadStore]
    ) -> None:
        app, scenario, postgres, sqlite = stores
        assert isinstance(postgres, PostgresReadStore)
        on_postgres = answers(postgres, app, scenario)
        on_sqlite = answers(sqlite, app, scenario)
        assert on_postgres.keys() == on_sqlite.keys()
        for key, value in on_postgres.items():
            assert on_sqlite[key] == value, key

    def test_both_stores_have_identical_checksums(
        self, stores: tuple[OneStop, Scenario, ReadStore, ReadStore]
    ) -> None:
        _, _, postgres, sqlite = stores
        assert checksums(postgres) == checksums(sqlite)
