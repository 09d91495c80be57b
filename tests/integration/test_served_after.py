"""``after:`` (read-your-writes) on a served ``motcua serve``: a position beyond the
log head is refused at once, waiting holds no worker thread, waiters are bounded,
and other clients stay fast meanwhile."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.conftest import RECEIVE, UNLIMITED_LOOKUPS, Tokens
from tests.factories import APPLICANT, BIRTH
from tests.served import Process, Served, motcua_env, seeded_settings, served

FAR = 2_147_483_647
STATUS = "query S($code: String!) { dossierStatus(code: $code) { code completion } }"
CODE = "000.00.00.H34-261127-0001"
MINE = "query M($after: Int) { myDossiers(after: $after) { code } }"
ONE = 'query D($after: Int) { dossier(code: "' + CODE + '", after: $after) { code } }'
WORKLIST = "query W($after: Int) { worklist(after: $after) { code } }"
OFFICER = (
    'query O($after: Int) { officerDossier(code: "'
    + CODE
    + '", after: $after) { code } }'
)


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors") or []]


async def timed_post(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any], token: str = ""
) -> tuple[float, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    started = time.monotonic()
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return time.monotonic() - started, body


async def flood(
    m: Served,
    waiting: list[tuple[str, dict[str, Any], str]],
    anonymous: int,
) -> tuple[list[tuple[float, dict[str, Any]]], list[tuple[float, dict[str, Any]]]]:
    """Send every ``waiting`` request at once, then ``anonymous`` lookups while
    they are in flight; the answers of both."""
    limits = httpx.Limits(max_connections=len(waiting) + anonymous + 10)
    async with httpx.AsyncClient(base_url=m.url, timeout=60, limits=limits) as client:
        slow = [asyncio.create_task(timed_post(client, q, v, t)) for q, v, t in waiting]
        await asyncio.sleep(0.5)  # the waiters are in the server now
        fast = await asyncio.gather(
            *(timed_post(client, STATUS, {"code": CODE}) for _ in range(anonymous))
        )
        return list(await asyncio.gather(*slow)), list(fast)


@pytest.fixture
def motcua(tmp_path: Path) -> Iterator[Served]:
    settings = seeded_settings(tmp_path / "d", options=UNLIMITED_LOOKUPS)
    with served(settings) as running:
        yield running


@pytest.mark.parametrize(
    ("query", "who"),
    [(MINE, "citizen"), (ONE, "citizen"), (WORKLIST, "desk"), (OFFICER, "desk")],
)
def test_a_position_beyond_the_log_head_is_refused_at_once(
    motcua: Served, query: str, who: str
) -> None:
    token = getattr(Tokens(motcua.tokens), who)()
    head = motcua.readyz()["logPosition"]
    for after in (head + 1, head + 1000, FAR):
        started = time.monotonic()
        body = motcua.graphql(query, {"after": after}, token=token).json()
        assert time.monotonic() - started < 1.0
        assert codes(body) == ["NOT_YET_WRITTEN"], body
        (error,) = body["errors"]
        assert error["extensions"]["logPosition"] == head
        assert str(after) in error["message"]
    # Positions already written are read at once.
    for after in (None, 0, -5, head):
        assert codes(motcua.graphql(query, {"after": after}, token=token).json()) == []


def test_sixty_far_future_reads_do_not_stall_anonymous_lookups(
    motcua: Served,
) -> None:
    tokens = Tokens(motcua.tokens)
    citizen, desk = tokens.citizen(), tokens.desk()
    waiting = [(MINE, {"after": FAR}, citizen)] * 30
    waiting += [(WORKLIST, {"after": FAR - i}, desk) for i in range(30)]
    slow, fast = asyncio.run(flood(motcua, waiting, anonymous=20))
    assert all(codes(body) == ["NOT_YET_WRITTEN"] for _, body in slow)
    assert max(seconds for seconds, _ in slow) < 2.0
    assert all(codes(body) == [] for _, body in fast)
    assert max(seconds for seconds, _ in fast) < 1.0


def test_waiting_for_a_written_position_holds_no_worker_thread(
    tmp_path: Path, postgres_url: str
) -> None:
    """PostgreSQL with a separate projector that is not running yet: written
    positions are waited for (bounded), anonymous lookups stay fast, and once
    the projector runs a waiting read returns the write."""
    settings = seeded_settings(
        tmp_path / "d",
        database_url=postgres_url,
        options={
            **UNLIMITED_LOOKUPS,
            "PROJECTOR": "separate",
            "READ_WAITERS_MAX": "50",
        },
    )
    with served(settings) as m:
        tokens = Tokens(m.tokens)
        received = m.graphql(
            RECEIVE,
            {"procedure": BIRTH, "applicantId": APPLICANT.id, "name": APPLICANT.name},
            token=tokens.desk(),
        ).json()["data"]["receiveDossier"]
        written = int(received["logPosition"])
        desk = tokens.desk()
        waiting = [(WORKLIST, {"after": written}, desk)] * 60
        slow, fast = asyncio.run(flood(m, waiting, anonymous=20))
        outcomes = sorted(codes(body)[0] for _, body in slow)
        assert outcomes == ["NOT_YET_PROJECTED"] * 50 + ["TOO_MANY_WAITING"] * 10
        refused_at_once = [s for s, b in slow if codes(b) == ["TOO_MANY_WAITING"]]
        assert max(refused_at_once) < 2.0
        assert all(codes(body) == [] for _, body in fast)
        assert max(seconds for seconds, _ in fast) < 1.0

        projector = Process(["projector"], motcua_env(settings), tmp_path / "p.log")
        projector.start()  # it takes a moment to start: the reads wait meanwhile
        try:
            deadline = time.monotonic() + 60
            while True:
                body = m.graphql(WORKLIST, {"after": written}, token=desk).json()
                if codes(body) != ["NOT_YET_PROJECTED"] or time.monotonic() > deadline:
                    break
        finally:
            projector.stop()
        assert codes(body) == [], body
        assert received["code"] in [d["code"] for d in body["data"]["worklist"]]
