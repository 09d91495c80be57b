"""Kept authenticated pages through ``motcua serve`` processes (adapters/cache/pages.py).

* With two workers — SQLite (the shared generation) and PostgreSQL + Redis
  with a separate ``motcua projector`` (its NOTIFY, barrier-checked) — a
  change is seen on every worker within ``LOOKUP_LOCAL_CACHE_MS`` on each
  page: the citizen's ``myDossiers`` and ``dossier(code:)``, the officer's
  ``worklist`` (of the receiving desk's province and of the competent
  department), for a new dossier, one forwarded to a department and one
  waiting for a supplement.
* One citizen never sees another's dossier through any kept page
  (Hypothesis over owners × dossiers, every request made twice).
* A kept page does not outlive its principal's token: expired and forged
  tokens are refused while the page is kept.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.settings import Settings
from api.auth import AccessLevel, AuthSettings, TokenIssuer
from api.bench.lookup import page_counts
from api.wiring import build_application
from domain.dossier_values import Holder
from domain.values import Role
from tests.api.conftest import RECEIVE, UNLIMITED_LOOKUPS, Tokens
from tests.factories import (
    APPLICANT,
    BIRTH,
    JUSTICE,
    OTHER_APPLICANT,
    PROVINCE,
    VN,
    digitize_and_sign,
    trace,
)
from tests.factories import (
    desk as desk_actor,
)
from tests.integration.test_live_topology import projected
from tests.served import Served, seeded_settings, served

WORKERS = 2
REQUESTS = 24
MY = "query M { myDossiers(limit: 50) { code status } }"
ONE = "query D($code: String!) { dossier(code: $code) { code status } }"
WORK = "query W($a: String) { worklist(agencyCode: $a, limit: 100) { code status } }"
SUPPLEMENT = (
    "mutation R($c: String!) { requestSupplement(dossier: {code: $c}, "
    'componentCodes: ["TP2"], reason: "Thiếu giấy") { __typename '
    "... on DossierUpdated { logPosition } } }"
)


def _data(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert not body.get("errors"), body
    result: dict[str, Any] = body["data"]
    return result


def answers(
    m: Served, query: str, variables: dict[str, Any], token: str
) -> list[dict[str, Any]]:
    """``REQUESTS`` requests at once, each on a connection of its own (the
    kernel spreads them over the workers)."""

    def one(_: int) -> dict[str, Any]:
        with httpx.Client(base_url=m.url, timeout=30) as client:
            response = client.post(
                "/graphql",
                json={"query": query, "variables": variables},
                headers={"Authorization": f"Bearer {token}"},
            )
        return _data(response)

    with ThreadPoolExecutor(max_workers=12) as pool:
        return list(pool.map(one, range(REQUESTS)))


def worker_pids(m: Served) -> set[int]:
    pids = set()
    for line in (m.settings.data_dir / "serve.log").read_text().splitlines():
        if line.startswith("{") and '"path":"/graphql"' in line:
            pids.add(int(json.loads(line)["pid"]))
    return pids


def shown(
    m: Served, query: str, variables: dict[str, Any], token: str, code: str
) -> set[str | None]:
    """What every answer says of ``code`` (None: not on the page)."""
    seen: set[str | None] = set()
    for data in answers(m, query, variables, token):
        (value,) = data.values()
        rows = value if isinstance(value, list) else [value] if value else []
        found = [row["status"] for row in rows if row["code"] == code]
        seen.add(found[0] if found else None)
    return seen


def _receive(m: Served, owner: str = APPLICANT.id) -> tuple[str, int]:
    code, position, _ = _received(m, owner)
    return code, position


def _received(m: Served, owner: str = APPLICANT.id) -> tuple[str, int, UUID]:
    result = _data(
        m.graphql(
            RECEIVE,
            {"procedure": BIRTH, "applicantId": owner, "name": "Nguyễn Văn An"},
            token=Tokens(m.tokens).desk(),
        )
    )["receiveDossier"]
    assert result["__typename"] == "DossierReceived", result
    return str(result["code"]), int(result["logPosition"]), UUID(result["dossierId"])


def _command(m: Served, mutation: str, code: str, token: str) -> int:
    outcome = next(iter(_data(m.graphql(mutation, {"c": code}, token=token)).values()))
    assert outcome["__typename"] == "DossierUpdated", outcome
    return int(outcome["logPosition"])


def _topology(kind: str, request: pytest.FixtureRequest, directory: Path) -> Settings:
    options = {**UNLIMITED_LOOKUPS, "WORKERS": str(WORKERS)}
    if kind == "sqlite":
        return seeded_settings(directory, options=options)
    return seeded_settings(
        directory,
        database_url=request.getfixturevalue("postgres_url"),
        redis_url=request.getfixturevalue("redis_url"),
        options=options,
    )


@pytest.mark.parametrize(
    "kind",
    [
        "sqlite",
        pytest.param("postgres", marks=[pytest.mark.postgres, pytest.mark.redis]),
    ],
)
def test_a_change_reaches_every_workers_pages_within_the_bound(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    settings = _topology(kind, request, tmp_path / "d")
    bound = settings.value("LOOKUP_LOCAL_CACHE_MS") / 1000
    tokens = Tokens(TokenIssuer.from_settings(AuthSettings.from_settings(settings)))
    citizen, desk, justice = tokens.citizen(), tokens.desk(), tokens.specialist()
    with served(settings, projector=kind == "postgres") as m:
        code, position = _receive(m)
        projected(m, position)
        pages: list[tuple[str, dict[str, Any], str]] = [
            (MY, {}, citizen),
            (ONE, {"code": code}, citizen),
            (WORK, {"a": PROVINCE}, desk),
            (WORK, {"a": JUSTICE}, justice),
        ]
        for query, variables, token in pages:  # kept by both workers
            for _ in range(20):
                shown(m, query, variables, token, code)
                if len(worker_pids(m)) == WORKERS:
                    break
        assert len(worker_pids(m)) == WORKERS
        assert shown(m, MY, {}, citizen, code) == {"RECEIVED"}
        assert shown(m, WORK, {"a": PROVINCE}, desk, code) == {"RECEIVED"}

        # a dossier new to every page (a page's rows, not only their values)
        second, position, second_id = _received(m)
        projected(m, position)
        time.sleep(bound)
        assert shown(m, MY, {}, citizen, second) == {"RECEIVED"}
        assert shown(m, WORK, {"a": PROVINCE}, desk, second) == {"RECEIVED"}
        assert shown(m, WORK, {"a": JUSTICE}, justice, second) == {"RECEIVED"}

        # the second is digitized, signed and forwarded to the department
        onestop = build_application(m.settings)
        try:
            now = datetime.now(VN)
            digitize_and_sign(onestop, second_id, now)
            moved = onestop.forward_dossier(
                second_id, trace=trace(desk_actor(), now), to=Holder(JUSTICE, "PHC")
            )
        finally:
            onestop.close()
        assert moved.log_position is not None
        projected(m, moved.log_position)
        time.sleep(bound)
        for query, variables, token in pages:
            if query != ONE:
                assert shown(m, query, variables, token, second) == {"IN_PROGRESS"}

        projected(m, _command(m, SUPPLEMENT, code, justice))
        time.sleep(bound)
        waiting = {"AWAITING_SUPPLEMENT"}
        assert shown(m, MY, {}, citizen, code) == waiting
        assert shown(m, ONE, {"code": code}, citizen, code) == waiting
        assert shown(m, WORK, {"a": JUSTICE}, justice, code) == waiting
        assert shown(m, WORK, {"a": PROVINCE}, desk, code) == waiting
        assert shown(m, ONE, {"code": second}, citizen, second) == {"IN_PROGRESS"}


@pytest.mark.parametrize(
    ("kind", "workers"),
    [
        ("sqlite", 1),
        ("sqlite", 2),
        pytest.param("postgres", 2, marks=[pytest.mark.postgres, pytest.mark.redis]),
    ],
)
def test_another_owners_change_leaves_every_workers_pages_kept(
    kind: str, workers: int, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Per owner on both stores: on SQLite the projector's changes reach the
    workers by owner and unit too (adapters/cache/page_changes.py), so a
    dossier of another citizen — committed, projected — drops none of this
    citizen's kept pages on any worker (every worker's ``/metrics``), while
    a dossier of this citizen drops them on every worker."""
    settings = _topology(kind, request, tmp_path / "d")
    settings = Settings(
        database_url=settings.database_url,
        redis_url=settings.redis_url,
        data_dir=settings.data_dir,
        options={**settings.options, "WORKERS": str(workers)},
    )
    bound = settings.value("LOOKUP_LOCAL_CACHE_MS") / 1000
    tokens = Tokens(TokenIssuer.from_settings(AuthSettings.from_settings(settings)))
    citizen = tokens.citizen()
    with served(settings, projector=kind == "postgres") as m:
        code, position = _receive(m)
        projected(m, position)
        for _ in range(20):  # kept by every worker
            shown(m, MY, {}, citizen, code)
            if len(worker_pids(m)) == workers:
                break
        before = page_counts(m.url, workers)
        assert len(before) == workers

        def my_pages(outcome: str, counts: dict[int, Counter[tuple[str, str]]]) -> int:
            return sum(c[outcome, "myDossiers"] for c in counts.values())

        assert my_pages("filled", before) >= workers

        _, position = _receive(m, OTHER_APPLICANT.id)
        projected(m, position)
        time.sleep(bound)
        assert shown(m, MY, {}, citizen, code) == {"RECEIVED"}
        after = page_counts(m.url, workers)
        assert set(after) == set(before)  # the same workers, none restarted
        for outcome in ("invalidated", "stale", "filled", "miss"):
            assert my_pages(outcome, after) == my_pages(outcome, before), outcome
        assert my_pages("hit", after) >= my_pages("hit", before) + REQUESTS

        third, position = _receive(m)
        projected(m, position)
        time.sleep(bound)
        assert shown(m, MY, {}, citizen, third) == {"RECEIVED"}
        dropped = page_counts(m.url, workers)
        assert my_pages("invalidated", dropped) >= my_pages("invalidated", after) + 1


@pytest.mark.parametrize("workers", [1, 2])
def test_a_rebuild_from_the_command_line_drops_every_workers_pages(
    workers: int, tmp_path: Path
) -> None:
    """SQLite: ``motcua projections rebuild citizen`` (another process) is
    published by the projecting worker as "everything", and every worker
    drops its kept pages before it reads one again."""
    import subprocess
    import sys

    from api.bench.processes import motcua_env

    settings = seeded_settings(
        tmp_path / "d", options={**UNLIMITED_LOOKUPS, "WORKERS": str(workers)}
    )
    tokens = Tokens(TokenIssuer.from_settings(AuthSettings.from_settings(settings)))
    citizen = tokens.citizen()
    with served(settings) as m:
        code, position = _receive(m)
        projected(m, position)
        for _ in range(20):
            shown(m, MY, {}, citizen, code)
            if len(worker_pids(m)) == workers:
                break
        before = page_counts(m.url, workers)
        assert len(before) == workers
        assert all(c["filled", "myDossiers"] >= 1 for c in before.values())
        done = subprocess.run(
            [sys.executable, "-m", "api.cli", "projections", "rebuild", "citizen"],
            env=motcua_env(m.settings),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        deadline = time.monotonic() + 30
        while True:  # the projecting worker polls for outside changes
            after = page_counts(m.url, workers)
            dropped = [
                after[pid]["invalidated", "myDossiers"]
                > before[pid]["invalidated", "myDossiers"]
                for pid in before
            ]
            if all(dropped) or time.monotonic() > deadline:
                break
            shown(m, MY, {}, citizen, code)
        assert all(dropped)
        assert shown(m, MY, {}, citizen, code) == {"RECEIVED"}


OWNERS = (APPLICANT.id, OTHER_APPLICANT.id, "062000000003", "062000000004")


def test_one_citizen_never_sees_anothers_dossier_through_a_kept_page(
    tmp_path: Path,
) -> None:
    settings = seeded_settings(tmp_path / "d", options=UNLIMITED_LOOKUPS)
    tokens = Tokens(TokenIssuer.from_settings(AuthSettings.from_settings(settings)))
    citizens = {owner: tokens.citizen(owner) for owner in OWNERS}
    owned: dict[str, set[str]] = {owner: set() for owner in OWNERS}
    with served(settings) as m:

        def page(owner: str, query: str, variables: dict[str, Any]) -> Any:
            first, second = (
                _data(m.graphql(query, variables, token=citizens[owner]))
                for _ in range(2)
            )
            assert first == second  # the second is the kept page
            return first

        @settings_for_served
        @given(
            steps=st.lists(
                st.tuples(
                    st.booleans(), st.sampled_from(OWNERS), st.sampled_from(OWNERS)
                ),
                min_size=1,
                max_size=6,
            )
        )
        def run(steps: list[tuple[bool, str, str]]) -> None:
            for new, owner, reader in steps:
                if new or not any(owned.values()):
                    code, position = _receive(m, owner)
                    owned[owner].add(code)
                    projected(m, position)
                mine = {d["code"] for d in page(reader, MY, {})["myDossiers"]}
                assert mine == owned[reader]
                for holder, codes in owned.items():
                    for code in codes:
                        found = page(reader, ONE, {"code": code})["dossier"]
                        if holder == reader:
                            assert found is not None
                            assert found["code"] == code
                        else:
                            assert found is None

        run()


settings_for_served: Callable[[Any], Any] = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def test_kept_pages_do_not_outlive_their_tokens(tmp_path: Path) -> None:
    settings = seeded_settings(tmp_path / "d", options=UNLIMITED_LOOKUPS)
    issuer = TokenIssuer.from_settings(AuthSettings.from_settings(settings))
    forger = TokenIssuer.from_settings(AuthSettings(data_dir=tmp_path / "other"))
    valid = issuer.issue(AccessLevel.CITIZEN, subject=APPLICANT.id, eid_level=2)
    expired = issuer.issue(
        AccessLevel.CITIZEN,
        subject=APPLICANT.id,
        eid_level=2,
        ttl=timedelta(minutes=10),
        now=datetime.now(UTC) - timedelta(hours=1),  # past exp + leeway
    )
    forged = forger.issue(AccessLevel.CITIZEN, subject=APPLICANT.id, eid_level=2)
    officer = Tokens(issuer).officer(Role.DESK, PROVINCE, "desk-1")
    expired_officer = issuer.issue(
        AccessLevel.OFFICER,
        subject="desk-1",
        agency=PROVINCE,
        department="TTPVHCC",
        roles=[Role.DESK],
        now=datetime.now(UTC) - timedelta(hours=2),
    )
    with served(settings) as m:
        _, position = _receive(m)
        projected(m, position)
        for _ in range(2):  # built, then kept
            assert _data(m.graphql(MY, {}, token=valid))["myDossiers"]
            assert _data(m.graphql(WORK, {"a": PROVINCE}, token=officer))["worklist"]
        for token, query in (
            (expired, MY),
            (forged, MY),
            (expired_officer, WORK),
        ):
            refused = m.graphql(query, {"a": PROVINCE}, token=token)
            assert refused.status_code == 401, refused.text
            assert refused.json()["errors"][0]["extensions"]["code"] == "INVALID_TOKEN"
            assert "data" not in refused.json()
