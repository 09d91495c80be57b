"""``/api/files`` and ``/api/documents`` at the edge: OpenAPI, malformed
requests, who may upload, languages."""

from __future__ import annotations

from tests.api.conftest import Api
from tests.scans import pdf_bytes


def test_openapi_documents_the_upload_and_the_download(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    upload = spec["paths"]["/api/files"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert {"201", "413", "415", "422"} <= set(upload["responses"])
    download = spec["paths"]["/api/documents/{document_id}"]["get"]
    assert "application/pdf" in download["responses"]["200"]["content"]


def test_a_form_without_a_file_part_is_malformed(api: Api) -> None:
    before = api.log_position()
    response = api.client.post(
        "/api/files",
        data={"note": "no file"},
        headers={"Authorization": f"Bearer {api.tokens.desk()}"},
    )
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "MALFORMED_BODY"
    assert api.log_position() == before


def test_not_multipart_at_all(api: Api) -> None:
    response = api.client.post(
        "/api/files",
        content=pdf_bytes("raw"),
        headers={
            "Authorization": f"Bearer {api.tokens.desk()}",
            "Content-Type": "application/pdf",
        },
    )
    assert response.status_code == 400, response.text


def test_only_citizens_and_officers_upload(api: Api) -> None:
    for token in (api.tokens.monitor(), api.tokens.reviewer()):
        response = api.client.post(
            "/api/files",
            files={"file": ("a.pdf", pdf_bytes("giám sát"), "application/pdf")},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 401, response.text
    citizen = api.client.post(
        "/api/files",
        files={"file": ("a.pdf", pdf_bytes("công dân"), "application/pdf")},
        headers={"Authorization": f"Bearer {api.tokens.citizen()}"},
    )
    assert citizen.status_code == 201, citizen.text


def test_refusals_speak_english_when_asked(api: Api) -> None:
    response = api.client.post(
        "/api/files",
        files={"file": ("a.pdf", b"plain text, not a scan", "application/pdf")},
        headers={
            "Authorization": f"Bearer {api.tokens.desk()}",
            "Accept-Language": "en",
        },
    )
    assert response.status_code == 415
    message = response.json()["errors"][0]["message"]
    assert message.startswith("Only PDF, JPEG, PNG or TIFF")
    vietnamese = api.client.post(
        "/api/files",
        files={"file": ("a.pdf", b"plain text, not a scan", "application/pdf")},
        headers={"Authorization": f"Bearer {api.tokens.desk()}"},
    )
    assert vietnamese.json()["errors"][0]["message"].startswith("Chỉ nhận PDF")


def test_unknown_and_malformed_document_ids_are_not_found(api: Api) -> None:
    for document_id in ("not-a-uuid", "8f1c2e4a-1111-4222-8333-944455556666"):
        response = api.client.get(
            f"/api/documents/{document_id}",
            headers={"Authorization": f"Bearer {api.tokens.citizen()}"},
        )
        assert response.status_code == 404, response.text
        assert (
            response.json()["errors"][0]["extensions"]["code"] == "DOCUMENT_NOT_FOUND"
        )
