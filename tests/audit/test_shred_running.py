"""A shred reaches processes that are already running.

Keys, ciphers and saved dossiers are kept per process, so a key destroyed by
``motcua audit shred`` in another process used to stay usable in a running
``motcua serve`` or projector until restart: its pages kept the subject's
dossiers, its projector could write them back after the rebuild, and a
command on a kept dossier sealed the subject's data under a new key.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from adapters.settings import Settings
from adapters.subject_keys import SHRED_NOTICE_SECONDS, FileSubjectKeys
from api.auth import AuthSettings, TokenIssuer
from api.bench.processes import motcua_env
from api.wiring import build_application
from application.history import dossier_history
from application.personal_data import ERASED
from tests.api.conftest import RECEIVE, UNLIMITED_LOOKUPS, Tokens
from tests.factories import (
    APPLICANT,
    BIRTH,
    OTHER_APPLICANT,
    in_progress,
    seed_catalogue,
    trace,
)
from tests.factories import specialist as specialist_actor
from tests.integration.test_live_topology import projected
from tests.served import seeded_settings, served

PAST_NOTICE = SHRED_NOTICE_SECONDS + 0.2


def test_another_key_store_drops_a_destroyed_key_after_the_notice_period(
    tmp_path: Path,
) -> None:
    running, elsewhere = FileSubjectKeys(tmp_path), FileSubjectKeys(tmp_path)
    key_id, key = running.key_for(APPLICANT.id)
    other_id, other = running.key_for(OTHER_APPLICANT.id)
    assert running.key(key_id) == key
    assert running.shreds() == 0

    assert elsewhere.destroy(APPLICANT.id)
    assert elsewhere.key(key_id) is None  # the destroying store: at once
    time.sleep(PAST_NOTICE)
    assert running.key(key_id) is None
    assert running.shreds() == 1
    assert running.key(other_id) == other  # every other subject stays
    # the subject comes back (a new dossier): a new key, the old data stays erased
    new_id, new = running.key_for(APPLICANT.id)
    assert (new_id, new != key) == (key_id, True)
    assert elsewhere.key(key_id) == new

    # a store opened after the shred counts only shreds after it
    assert FileSubjectKeys(tmp_path).shreds() == 0
    assert elsewhere.destroy(APPLICANT.id)
    time.sleep(PAST_NOTICE)
    assert running.key(key_id) is None
    assert running.shreds() == 2


def test_a_torn_journal_line_is_read_when_complete(tmp_path: Path) -> None:
    running = FileSubjectKeys(tmp_path)
    key_id, _ = running.key_for(APPLICANT.id)
    (tmp_path / f"{key_id}.key").unlink()
    journal = tmp_path / "destroyed"
    journal.write_bytes(key_id[:10].encode())  # a writer cut off mid-line
    time.sleep(PAST_NOTICE)
    assert running.key(key_id) is not None  # still cached: the line is not whole
    assert running.shreds() == 0
    with journal.open("ab") as tail:
        tail.write(f"{key_id[10:]}\n".encode())
    time.sleep(PAST_NOTICE)
    assert running.key(key_id) is None
    assert running.shreds() == 1


def test_a_running_application_does_not_seal_a_shredded_subject_again(
    tmp_path: Path,
) -> None:
    """The dossier this process saved last holds the applicant in clear; after
    the shred a command on it must not seal the subject's text under a new key
    (which would make the subject readable again)."""
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'm.db'}", data_dir=tmp_path / "d"
    )
    app = build_application(settings)
    try:
        seed_catalogue(app)
        dossier_id = in_progress(app)
        assert app.get_dossier(dossier_id).applicant.id == APPLICANT.id
        assert settings.subject_keys_dir is not None
        elsewhere = FileSubjectKeys(settings.subject_keys_dir)
        key_file = settings.subject_keys_dir / f"{elsewhere.key_id(APPLICANT.id)}.key"
        assert elsewhere.destroy(APPLICANT.id)
        time.sleep(PAST_NOTICE)
        app.request_supplement(
            dossier_id,
            trace=trace(specialist_actor()),
            items=("TP2",),
            reason="Bản chụp mờ",
        )
        assert not key_file.exists()
        assert app.get_dossier(dossier_id).applicant.id == ERASED
        # the text about the shredded subject is not kept in clear either
        last = app.recorder.select_events(dossier_id, desc=True, limit=1)[0]
        assert last.topic.endswith("SupplementRequested")
        for spelling in ("Bản chụp mờ".encode(), json.dumps("Bản chụp mờ").encode()):
            assert spelling not in last.state
        steps = dossier_history(app, dossier_id, None).steps
        assert steps[-1].reason == ERASED
    finally:
        app.close()


MY = "query M { myDossiers(limit: 50) { code } }"
OFFICER_VIEW = (
    "query D($c: String!) { officerDossier(code: $c) { applicantId applicantName } }"
)


@pytest.mark.postgres
@pytest.mark.redis
def test_cli_shred_reaches_a_running_server_and_projector(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """``motcua audit shred`` beside a running ``motcua serve`` (PostgreSQL +
    Redis) and ``motcua projector``: the citizen's kept page no longer lists
    the subject's dossier, the officer sees the applicant erased, and a
    command the server then runs on the dossier does not bring the key back."""
    settings = seeded_settings(
        tmp_path / "d",
        database_url=request.getfixturevalue("postgres_url"),
        redis_url=request.getfixturevalue("redis_url"),
        options=UNLIMITED_LOOKUPS,
    )
    tokens = Tokens(TokenIssuer.from_settings(AuthSettings.from_settings(settings)))
    citizen, desk = tokens.citizen(), tokens.desk()
    with served(settings, projector=True) as m:
        received = m.graphql(
            RECEIVE,
            {"procedure": BIRTH, "applicantId": APPLICANT.id, "name": APPLICANT.name},
            token=desk,
        ).json()["data"]["receiveDossier"]
        code = received["code"]
        projected(m, int(received["logPosition"]))
        for _ in range(3):  # kept
            listed = m.graphql(MY, token=citizen).json()["data"]["myDossiers"]
            assert [d["code"] for d in listed] == [code]
        seen = m.graphql(OFFICER_VIEW, {"c": code}, token=desk).json()
        assert seen["data"]["officerDossier"]["applicantId"] == APPLICANT.id

        shred = subprocess.run(
            [sys.executable, "-m", "api.cli", "audit", "shred", APPLICANT.id],
            env=motcua_env(settings),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert shred.returncode == 0, shred.stdout + shred.stderr
        time.sleep(settings.value("LOOKUP_LOCAL_CACHE_MS") / 1000 + 0.2)

        assert m.graphql(MY, token=citizen).json()["data"]["myDossiers"] == []
        seen = m.graphql(OFFICER_VIEW, {"c": code}, token=desk).json()
        assert seen["data"]["officerDossier"] == {
            "applicantId": ERASED,
            "applicantName": ERASED,
        }

        supplement = m.graphql(
            "mutation R($c: String!) { requestSupplement(dossier: {code: $c}, "
            'componentCodes: ["TP2"], reason: "Thiếu giấy") { __typename } }',
            {"c": code},
            token=tokens.specialist(),
        ).json()
        assert supplement["data"]["requestSupplement"]["__typename"] == "DossierUpdated"
        keys = FileSubjectKeys(settings.data_dir / "keys" / "subjects")
        assert not (keys.directory / f"{keys.key_id(APPLICANT.id)}.key").exists()
        seen = m.graphql(OFFICER_VIEW, {"c": code}, token=desk).json()
        assert seen["data"]["officerDossier"]["applicantId"] == ERASED
