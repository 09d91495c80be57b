"""Sealed personal data reads back as written, whichever JSON sealed it.

A value is sealed as orjson writes it (a command's serial path), or as the
stdlib writes it when orjson refuses (lone surrogates); values sealed before,
always by the stdlib (ASCII escapes, spaces after separators), still open.
Real key files (``FileSubjectKeys``); a destroyed key reads as erased.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.subject_keys import FileSubjectKeys
from application.personal_data import (
    ERASED,
    SealedActor,
    SealedApplicant,
    SealedText,
    SealedTextTranscoding,
)
from domain.dossier_values import Applicant, ApplicantKind
from domain.values import Actor, Role

TEXTS = st.text(
    alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=40
)
"""Any code point, lone surrogates included (orjson refuses those)."""


def _keys(tmp_path: Path) -> FileSubjectKeys:
    return FileSubjectKeys(tmp_path / "subjects")


@settings(max_examples=150, deadline=None)
@given(text=TEXTS, subject=st.sampled_from(["001085012345", "công dân 2"]))
def test_sealed_text_reads_back_as_written(
    tmp_path_factory: pytest.TempPathFactory, text: str, subject: str
) -> None:
    keys = _keys(tmp_path_factory.mktemp("keys"))
    coding = SealedTextTranscoding(keys)
    sealed = coding.encode(SealedText(subject, text))
    assert set(sealed) == {"k", "n", "c"}
    assert coding.decode(sealed) == text
    keys.destroy(subject)
    assert SealedTextTranscoding(_keys_again(keys)).decode(sealed) == ERASED


def _keys_again(keys: FileSubjectKeys) -> FileSubjectKeys:
    """Another process's view of the same key files (no cached keys)."""
    return FileSubjectKeys(keys.directory)


def test_an_applicant_and_a_citizen_actor_read_back(tmp_path: Path) -> None:
    keys = _keys(tmp_path)
    applicant = Applicant("001085012345", "Nguyễn Thị Ánh", ApplicantKind.CITIZEN)
    coding = SealedApplicant(keys)
    sealed = coding.encode(applicant)
    assert "Ánh" not in json.dumps(sealed, ensure_ascii=False)
    assert coding.decode(sealed) == applicant
    actor = Actor("001085012345", Role.CITIZEN)
    actors = SealedActor(keys)
    stored = actors.encode(actor)
    assert "id" not in stored
    assert actors.decode(stored) == actor


def test_values_sealed_by_the_stdlib_before_still_open(tmp_path: Path) -> None:
    keys = _keys(tmp_path)
    key_id, key = keys.key_for("001085012345")
    nonce = os.urandom(12)
    plain = json.dumps({"t": "Bổ sung giấy tờ \ud800"}).encode()  # as sealed before
    sealed = {
        "k": key_id,
        "n": base64.b64encode(nonce).decode(),
        "c": base64.b64encode(
            AESGCM(key).encrypt(nonce, plain, key_id.encode())
        ).decode(),
    }
    assert SealedTextTranscoding(keys).decode(sealed) == "Bổ sung giấy tờ \ud800"
    assert SealedTextTranscoding(_keys_again(keys)).decode(sealed) == (
        "Bổ sung giấy tờ \ud800"
    )
