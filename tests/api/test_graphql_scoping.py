"""Who may see and change which dossier; expected failures are typed, nothing written."""

from __future__ import annotations

from typing import Any

import pytest

from domain.values import Role
from tests.api.conftest import OFFICER_DOSSIER, OUTCOME, Api, document, receive_paper
from tests.factories import CONSTRUCTION, JUSTICE

UNKNOWN = "000.00.00.H34-261127-9999"
MY_DOSSIER = "query D($code: String!) { dossier(code: $code) { code status } }"
WITHDRAW = f"""
mutation W($code: String!) {{
  withdrawDossier(dossier: {{code: $code}}, reason: "đổi ý") {{ {OUTCOME} }}
}}"""
FORWARD = f"""
mutation F($code: String!, $version: Int) {{
  forwardDossier(dossier: {{code: $code, expectedVersion: $version}},
                 toAgencyCode: "{JUSTICE}") {{ {OUTCOME} }}
}}"""
DIGITIZE = f"""
mutation D($code: String!, $doc: DocumentInput!) {{
  digitizeComponent(dossier: {{code: $code}}, componentCode: "TP1", document: $doc)
  {{ {OUTCOME} }}
}}"""
RETURN = f"""
mutation R($code: String!) {{
  returnResult(dossier: {{code: $code}}, method: DESK) {{ {OUTCOME} }}
}}"""
CHECK_ACCOUNT = f"""
mutation C($code: String!, $version: Int) {{
  checkDigitalAccount(dossier: {{code: $code, expectedVersion: $version}},
                      hasAccount: true) {{ {OUTCOME} }}
}}"""
WORKLIST = "query W($agency: String) { worklist(agencyCode: $agency) { code } }"


def version_of(api: Api, code: str) -> int:
    api.settle()  # the officer view is a projection: read it once it has caught up
    found = api.data(OFFICER_DOSSIER, {"code": code}, token=api.tokens.desk())
    return int(found["officerDossier"]["version"])


def outcome(
    api: Api, mutation: str, token: str, language: str | None = None, **variables: Any
) -> dict[str, Any]:
    data = api.data(mutation, variables, token=token, language=language)
    (result,) = data.values()
    assert isinstance(result, dict)
    return result


@pytest.fixture
def code(api: Api) -> str:
    """A birth registration of citizen A, received at the provincial desk."""
    return str(receive_paper(api)["code"])


class TestCrossOwner:
    def test_another_citizen_gets_null_exactly_as_for_an_unknown_code(
        self, api: Api, code: str
    ) -> None:
        other = api.tokens.other_citizen()
        theirs = api.post(MY_DOSSIER, {"code": code}, token=other)
        unknown = api.post(MY_DOSSIER, {"code": UNKNOWN}, token=other)
        assert theirs.json() == unknown.json() == {"data": {"dossier": None}}
        owner = api.data(MY_DOSSIER, {"code": code}, token=api.tokens.citizen())
        assert owner["dossier"]["code"] == code

    def test_another_citizen_cannot_change_the_dossier_and_nothing_is_written(
        self, api: Api, code: str
    ) -> None:
        before = api.log_position()
        theirs = outcome(api, WITHDRAW, api.tokens.other_citizen(), code=code)
        unknown = outcome(api, WITHDRAW, api.tokens.other_citizen(), code=UNKNOWN)
        assert theirs == unknown
        assert theirs["__typename"] == "DossierNotFound"
        assert api.log_position() == before
        assert version_of(api, code) == 1


class TestCrossAgency:
    def test_an_officer_of_another_agency_gets_null_exactly_as_for_an_unknown_code(
        self, api: Api, code: str
    ) -> None:
        outsider = api.tokens.outsider()
        theirs = api.post(OFFICER_DOSSIER, {"code": code}, token=outsider)
        unknown = api.post(OFFICER_DOSSIER, {"code": UNKNOWN}, token=outsider)
        assert theirs.json() == unknown.json() == {"data": {"officerDossier": None}}
        visible = api.data(
            OFFICER_DOSSIER, {"code": code}, token=api.tokens.specialist()
        )
        assert visible["officerDossier"]["code"] == code

    def test_an_officer_of_another_agency_cannot_change_the_dossier(
        self, api: Api, code: str
    ) -> None:
        before = api.log_position()
        outsider = api.tokens.outsider()
        theirs = outcome(api, FORWARD, outsider, code=code, version=None)
        unknown = outcome(api, FORWARD, outsider, code=UNKNOWN, version=None)
        assert theirs == unknown
        assert theirs["__typename"] == "DossierNotFound"
        assert api.log_position() == before
        assert version_of(api, code) == 1

    @pytest.mark.parametrize("version", [0, 1, 7])
    def test_an_outsider_s_expected_version_says_nothing_about_the_dossier(
        self, api: Api, code: str, version: int
    ) -> None:
        """Visibility is checked before the version: no VersionConflict leaks."""
        before = api.log_position()
        outsider = api.tokens.outsider()
        theirs = outcome(api, FORWARD, outsider, code=code, version=version)
        unknown = outcome(api, FORWARD, outsider, code=UNKNOWN, version=version)
        assert theirs == unknown
        assert theirs["__typename"] == "DossierNotFound"
        assert api.log_position() == before

    def test_a_role_the_command_refuses_on_an_unseen_dossier_is_still_not_found(
        self, api: Api, code: str
    ) -> None:
        """Only the desk digitizes; an outsider specialist learns nothing more."""
        before = api.log_position()
        outsider = api.tokens.officer(Role.SPECIALIST, CONSTRUCTION, "xd-2")
        doc = document("TP1")
        theirs = outcome(api, DIGITIZE, outsider, code=code, doc=doc)
        unknown = outcome(api, DIGITIZE, outsider, code=UNKNOWN, doc=doc)
        assert theirs == unknown
        assert theirs["__typename"] == "DossierNotFound"
        seen = outcome(api, DIGITIZE, api.tokens.specialist(), code=code, doc=doc)
        assert seen["__typename"] == "NotAllowed"
        assert api.log_position() == before

    def test_an_officer_of_another_agency_sees_neither_the_other_worklist_nor_the_dossier(
        self, api: Api, code: str
    ) -> None:
        outsider = api.tokens.outsider()
        denied = api.gql(WORKLIST, {"agency": JUSTICE}, token=outsider)
        assert denied["data"] is None
        assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        own = api.data(WORKLIST, {"agency": CONSTRUCTION}, token=outsider)
        assert own == {"worklist": []}
        justice = api.data(WORKLIST, {"agency": None}, token=api.tokens.specialist())
        assert justice == {"worklist": [{"code": code}]}


class TestRolesAndRules:
    def test_a_specialist_gets_not_allowed_for_a_desk_only_command(
        self, api: Api, code: str
    ) -> None:
        before = api.log_position()
        result = outcome(
            api, DIGITIZE, api.tokens.specialist(), code=code, doc=document("TP1")
        )
        assert result["__typename"] == "NotAllowed"
        assert result["message"]
        assert api.log_position() == before

    def test_an_illegal_transition_is_explained_in_vietnamese_by_default(
        self, api: Api, code: str
    ) -> None:
        before = api.log_position()
        result = outcome(api, RETURN, api.tokens.desk(), code=code)
        assert result == {
            "__typename": "IllegalTransition",
            "message": "Không thể trả kết quả khi hồ sơ đang ở trạng thái «Được tiếp nhận»",
            "status": "received",
        }
        assert api.log_position() == before

    def test_an_illegal_transition_is_explained_in_english_on_request(
        self, api: Api, code: str
    ) -> None:
        result = outcome(api, RETURN, api.tokens.desk(), language="en", code=code)
        assert result["__typename"] == "IllegalTransition"
        assert result["message"] == (
            "Cannot return the result of a dossier whose status is 'Received'"
        )

    def test_a_stale_expected_version_is_a_version_conflict(
        self, api: Api, code: str
    ) -> None:
        before = api.log_position()
        result = outcome(api, FORWARD, api.tokens.desk(), code=code, version=0)
        assert result["__typename"] == "VersionConflict"
        assert "0" in result["message"]
        assert api.log_position() == before
        assert version_of(api, code) == 1

    def test_the_result_comes_from_the_save_itself(self, api: Api, code: str) -> None:
        query = CHECK_ACCOUNT.replace("event }", "event version }")
        done = outcome(api, query, api.tokens.desk(), code=code, version=1)
        assert done["__typename"] == "DossierUpdated", done
        assert done["code"] == code
        assert done["event"] == "DigitalAccountChecked"
        assert done["version"] == 2 == version_of(api, code)
        assert done["logPosition"] == api.log_position()

    def test_invalid_input_is_typed_and_writes_nothing(
        self, api: Api, code: str
    ) -> None:
        before = api.log_position()
        bad = {"documentId": "not-a-uuid", "sha256": "00"}
        result = outcome(api, DIGITIZE, api.tokens.desk(), code=code, doc=bad)
        assert result["__typename"] == "InvalidInput"
        assert result["errorCode"] == "INVALID_VALUE"
        assert api.log_position() == before
