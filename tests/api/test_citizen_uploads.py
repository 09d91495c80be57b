"""Over HTTP: a citizen's online dossier names only their own uploads.

``POST /api/files`` (multipart, citizen token) records the uploader;
``submitDossier`` refuses a hash that is not the citizen's upload with a
typed, bilingual ``UNKNOWN_FILE`` and writes nothing.
"""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from domain.upload import upload_id
from domain.values import Actor, Role
from tests import scans
from tests.api.conftest import Api, upload
from tests.factories import APPLICANT

SUBMIT = """
mutation N($doc1: DocumentInput!, $doc2: DocumentInput!) {
  submitDossier(input: {procedureCode: "1.001193", applicantName: "Nguyễn Văn An",
    documents: [{componentCode: "TP1", document: $doc1},
                {componentCode: "TP2", document: $doc2}]}) {
    __typename ... on DossierSubmitted { dossierId logPosition }
    ... on InvalidInput { errorCode message }
  }
}
"""


def uploaded(api: Api, text: str, token: str) -> dict[str, str]:
    digest = upload(api, scans.pdf_bytes(text), token=token)["sha256"]
    return {"documentId": str(uuid4()), "sha256": digest}


def submit(api: Api, docs: tuple[dict[str, str], dict[str, str]], **kw: Any) -> Any:
    return api.data(
        SUBMIT,
        {"doc1": docs[0], "doc2": docs[1]},
        token=api.tokens.citizen(),
        **kw,
    )["submitDossier"]


def position(api: Api) -> int:
    return int(api.services.onestop.recorder.max_notification_id() or 0)


class TestCitizenUploads:
    def test_an_upload_is_recorded_with_its_uploader(self, api: Api) -> None:
        mine = uploaded(api, "Giấy chứng sinh", api.tokens.citizen())
        onestop = api.services.onestop
        me = Actor(APPLICANT.id, Role.CITIZEN)
        assert onestop.id_taken(upload_id(me, mine["sha256"]))
        other = Actor("062000000002", Role.CITIZEN)
        assert not onestop.id_taken(upload_id(other, mine["sha256"]))

    def test_another_citizens_or_the_desks_upload_is_refused(self, api: Api) -> None:
        mine = uploaded(api, "TP1 của tôi", api.tokens.citizen())
        for token in (api.tokens.other_citizen(), api.tokens.desk()):
            theirs = uploaded(api, f"TP2 {token[-8:]}", token)
            before = position(api)
            vi = submit(api, (mine, theirs))
            assert vi["__typename"] == "InvalidInput", vi
            assert vi["errorCode"] == "UNKNOWN_FILE"
            assert theirs["sha256"] in vi["message"]
            assert "tải tệp lên trước" in vi["message"]
            en = submit(api, (mine, theirs), language="en")
            assert en["errorCode"] == "UNKNOWN_FILE"
            assert "upload the file first" in en["message"]
            assert position(api) == before

    def test_own_uploads_are_accepted(self, api: Api) -> None:
        token = api.tokens.citizen()
        done = submit(api, (uploaded(api, "A", token), uploaded(api, "B", token)))
        assert done["__typename"] == "DossierSubmitted", done
