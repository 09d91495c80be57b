"""Hostile values against a served motcua (issue 6, Tests).

One ``motcua serve`` and one ``motcua projector`` process on a real
PostgreSQL for the whole module (the production topology). Hypothesis
generates values per field type — money, instants, text, identifiers and
nested JSON — and sends them through GraphQL mutations over HTTP. For every
request: no 5xx; a value outside its domain range is a typed ``InvalidInput``
(or a GraphQL error when the value is not even of the GraphQL type); a
refusal writes nothing (the event log's last position, read from the
database, does not move). Afterwards the projector has applied everything
(``/readyz`` lag 0 at the log's position).
"""

from __future__ import annotations

import json
import re
import time
import unicodedata
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import orjson
import psycopg
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from api.auth import AccessLevel
from domain.values import Role
from tests import scans
from tests.factories import APPLICANT, BIRTH, JUSTICE, PROVINCE, sha
from tests.served import Served, seeded_settings, served

pytestmark = [pytest.mark.postgres]

EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
MAX_VND = 10**12
TYPED = {"InvalidInput", "IllegalTransition", "DossierNotFound", "NotAllowed"}
MALFORMED = {"__typename": "InvalidInput", "errorCode": "MALFORMED_BODY", "field": "*"}
"""A body the edge refuses before GraphQL (the field is unknown there)."""


def strict_json(value: Any) -> bool:
    """Whether ``value`` is expressible as strict UTF-8 JSON (as orjson reads it)."""
    try:
        orjson.loads(json.dumps(value))
    except orjson.JSONDecodeError:
        return False
    return True


# -- the served instance -------------------------------------------------------------


class Instance:
    def __init__(self, motcua: Served, database_url: str) -> None:
        self.motcua = motcua
        self.database_url = database_url
        self.http = motcua.client()
        issue = motcua.tokens.issue
        self.desk = issue(
            AccessLevel.OFFICER,
            subject="desk-1",
            agency=PROVINCE,
            department="TTPVHCC",
            roles=[Role.DESK],
        )
        self.leader = issue(
            AccessLevel.OFFICER,
            subject="lead-1",
            agency=JUSTICE,
            department="PHC",
            roles=[Role.LEADER, Role.SPECIALIST],
        )
        self.citizen = issue(AccessLevel.CITIZEN, subject=APPLICANT.id, eid_level=2)
        self._scans: dict[str, str] = {}

    def citizen_scan(self, component: str) -> str:
        """The SHA-256 of the citizen's own upload of a scan for ``component``
        (uploaded once: an online document must name the citizen's upload)."""
        if component not in self._scans:
            response = self.motcua.upload(
                scans.pdf_bytes(f"scan {component!r}"), token=self.citizen
            )
            assert response.status_code == 201, response.text
            self._scans[component] = response.json()["sha256"]
        return self._scans[component]

    def log_position(self) -> int:
        with psycopg.connect(self.database_url) as conn:
            row = conn.execute(
                "SELECT COALESCE(MAX(notification_id), 0) FROM motcua_events"
            ).fetchone()
        assert row is not None
        return int(row[0])

    def send(self, query: str, variables: dict[str, Any], token: str) -> httpx.Response:
        """ASCII JSON (lone surrogates travel escaped); NaN/Infinity as the
        non-standard literals Python's JSON reader accepts."""
        return self.http.post(
            "/graphql",
            content=json.dumps({"query": query, "variables": variables}),
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {token}",
            },
        )

    def outcome(
        self, query: str, variables: dict[str, Any], token: str
    ) -> tuple[dict[str, Any] | None, list[Any]]:
        """The mutation's typed result (or None) and any GraphQL errors; never a 5xx."""
        response = self.send(query, variables, token)
        assert response.status_code < 500, response.text[:500]
        body = response.json()
        if response.status_code == 400:
            # Strict JSON at the edge: a lone surrogate (or a NaN literal) never
            # reaches a resolver; the body is refused as a whole.
            (error,) = body["errors"]
            assert error["extensions"]["code"] == "MALFORMED_BODY", body
            assert not strict_json(variables), variables
            return dict(MALFORMED), []
        errors = body.get("errors") or []
        for error in errors:
            message = str(error.get("message", ""))
            assert "Traceback" not in message
            assert "Unexpected" not in message, error
        data = body.get("data") or {}
        result = next(iter(data.values()), None) if data else None
        return result, errors

    def refused(
        self, query: str, variables: dict[str, Any], token: str
    ) -> dict[str, Any]:
        """A typed refusal (or a GraphQL type error), and nothing written."""
        before = self.log_position()
        result, errors = self.outcome(query, variables, token)
        assert self.log_position() == before
        if result is None:
            assert errors, "neither a result nor an error"
            return {"__typename": "GraphQLError"}
        assert result["__typename"] in TYPED, result
        return result


@pytest.fixture(scope="module")
def instance(
    postgres_server: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Instance]:
    name = f"hostile_{uuid.uuid4().hex[:16]}"
    database_url = postgres_server.create_database(name)
    try:
        data_dir: Path = tmp_path_factory.mktemp("hostile")
        config = seeded_settings(data_dir / "d", database_url=database_url)
        with served(config, projector=True) as motcua:
            yield Instance(motcua, database_url)
    finally:
        postgres_server.drop_database(name)


RECEIVE = """
mutation R($id: String!, $name: String!, $kind: ApplicantKind!, $summary: String!,
           $procedure: String!) {
  receiveDossier(input: {procedureCode: $procedure, applicantId: $id,
      applicantName: $name, applicantKind: $kind, summary: $summary}) {
    __typename ... on DossierReceived { code dossierId logPosition }
    ... on InvalidInput { errorCode message field }
    ... on NotAllowed { message }
  }
}
"""
OUTCOME = """
  __typename
  ... on DossierUpdated { logPosition }
  ... on InvalidInput { errorCode message field }
  ... on IllegalTransition { message }
  ... on DossierNotFound { message }
  ... on NotAllowed { message }
"""
WITHDRAW = f"""mutation W($code: String!) {{
  withdrawDossier(dossier: {{code: $code}}, reason: "Người nộp rút") {{ {OUTCOME} }} }}"""
PAYMENT = f"""mutation P($code: String!, $fees: [FeeInput!]!) {{
  requestPayment(dossier: {{code: $code}}, fees: $fees) {{ {OUTCOME} }} }}"""
REAPPOINT = f"""mutation A($code: String!, $dueAt: DateTime!) {{
  reappointDossier(dossier: {{code: $code}}, dueAt: $dueAt, reason: "Quá tải")
  {{ {OUTCOME} }} }}"""
STOP = f"""mutation S($code: String!, $reason: String!) {{
  stopDossier(dossier: {{code: $code}}, reason: $reason) {{ {OUTCOME} }} }}"""
DIGITIZE = f"""mutation D($code: String!, $component: String!, $doc: DocumentInput!) {{
  digitizeComponent(dossier: {{code: $code}}, componentCode: $component,
                    document: $doc) {{ {OUTCOME} }} }}"""
SUBMIT = """mutation N($summary: String!, $documents: [SubmittedDocument!]!) {
  submitDossier(input: {procedureCode: "1.001193", applicantName: "Nguyễn Văn An",
                        summary: $summary, documents: $documents}) {
    __typename ... on DossierSubmitted { dossierId logPosition }
    ... on InvalidInput { errorCode message field }
    ... on NotAllowed { message }
  }
}"""
FORWARD = f"""mutation F($code: String!, $to: String!, $department: String) {{
  forwardDossier(dossier: {{code: $code}}, toAgencyCode: $to,
                 toDepartment: $department) {{ {OUTCOME} }} }}"""


@pytest.fixture(scope="module")
def closed(instance: Instance) -> str:
    """A withdrawn dossier: every command on it is illegal, so a *valid* value
    answers IllegalTransition and only the value check can answer InvalidInput."""
    result, _ = instance.outcome(
        RECEIVE,
        {
            "id": APPLICANT.id,
            "name": APPLICANT.name,
            "kind": "CITIZEN",
            "summary": "",
            "procedure": BIRTH,
        },
        instance.desk,
    )
    assert result is not None
    assert result["__typename"] == "DossierReceived", result
    code: str = result["code"]
    withdrawn, _ = instance.outcome(WITHDRAW, {"code": code}, instance.desk)
    assert withdrawn is not None
    assert withdrawn["__typename"] == "DossierUpdated", withdrawn
    return code


# -- strategies per field type ---------------------------------------------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
)
nested_json = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=30,
)
money_strings = st.one_of(
    st.from_regex(
        r"[-+ ]?[0-9]{0,16}([.,][0-9]{0,3})?([eE][-+]?[0-9]{1,10})?", fullmatch=True
    ),
    st.sampled_from(
        [
            "1e999999999",
            "1e30",
            "3e9",
            "NaN",
            "Infinity",
            "-Infinity",
            " 12",
            "١٢",
            "１２",
        ]
    ),
    st.text(max_size=20),
)
money_values = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.integers(min_value=1, max_value=MAX_VND),
    st.integers(min_value=MAX_VND - 3, max_value=2**64).map(str),
    st.integers(min_value=MAX_VND - 3, max_value=2**64),
    money_strings,
    st.floats(allow_nan=True, allow_infinity=True),
)


def valid_money(value: Any) -> bool:
    """The rule, stated independently: a whole VND amount as a JSON integer or a
    string of ASCII digits, 0 < amount ≤ 10^12."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return 0 < value <= MAX_VND
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,13}", value, re.ASCII):
        return 0 < int(value) <= MAX_VND
    return False


zones = st.sampled_from(
    [
        None,
        UTC,
        timezone(timedelta(hours=7)),
        timezone(timedelta(hours=-12)),
        timezone(timedelta(hours=14)),
    ]
)
instants = st.one_of(
    st.builds(
        lambda d, z: d.replace(tzinfo=z).isoformat(),
        st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
        zones,
    ),
    st.sampled_from(["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00"]),
    st.text(max_size=30),
)


def valid_instant(value: str) -> bool | None:
    """True/False for a parseable ISO instant; None when it is not a DateTime."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.utcoffset() is None:
        return False
    latest = datetime.now(UTC) + timedelta(days=3650)
    return datetime(2000, 1, 1, tzinfo=UTC) <= parsed <= latest


hostile_text = st.one_of(
    st.text(max_size=60),
    st.text(st.characters(codec="utf-8"), max_size=60),
    st.builds(
        lambda a, bad, b: a + bad + b,
        st.text(max_size=10),
        st.sampled_from(
            [
                "\x00",
                "\x1b",
                "\x7f",
                "\ud800",
                "\udfff",
                "\ufffe",
                "\u0085",
                "\u2028",
                "\u202e",
                "\u2066",
                "\u200b",
                "\ufeff",
            ]
        ),
        st.text(max_size=10),
    ),
    st.integers(min_value=1999, max_value=2002).map(lambda n: "đ" * n),
    st.just("x" * 50_000),
)


def clean_text(value: str, limit: int, *, multiline: bool) -> bool:
    allowed = "\n\r\t" if multiline else ""
    for char in value:
        category = unicodedata.category(char)
        if (category == "Cc" and char not in allowed) or category == "Cs":
            return False
        code = ord(char)
        if multiline and (0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069):
            return False
        if code == 0xFEFF or (
            not multiline
            and (
                category in ("Zl", "Zp")
                or (category == "Cf" and code not in (0x200C, 0x200D))
            )
        ):
            return False
        if 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE:
            return False
    return len(unicodedata.normalize("NFC", value.strip())) <= limit


identifiers = st.one_of(
    st.text(max_size=40),
    st.from_regex(r"[0-9]{7,13}", fullmatch=True),
    st.from_regex(r"[A-Z0-9]{5,13}", fullmatch=True),
    st.from_regex(r"[0-9]{10}-[0-9]{3}", fullmatch=True),
)
kinds = st.sampled_from(
    [
        "CITIZEN",
        "IDENTITY_CARD",
        "PASSPORT",
        "ENTERPRISE",
        "COOPERATIVE",
        "ORGANISATION",
    ]
)
ID_RULES = {
    "CITIZEN": r"0(0[1-9]|[1-8][0-9]|9[0-6])[0-9]{9}",
    "IDENTITY_CARD": r"[0-9]{9}",
    "PASSPORT": r"[A-Z0-9]{6,12}",
    "ENTERPRISE": r"[0-9]{10}(-?[0-9]{3})?",
    "COOPERATIVE": r"[0-9]{10}(-?[0-9]{3})?",
    "ORGANISATION": r"[0-9]{7}",
}


# -- the suite -------------------------------------------------------------------------


class TestMoney:
    @EXAMPLES
    @given(amount=money_values)
    @example(amount="1e999999999")
    @example(amount="1e30")
    @example(amount=3_000_000_000)
    @example(amount=MAX_VND + 1)
    @example(amount=2**63)
    @example(amount=float("nan"))
    def test_fee_amounts(self, instance: Instance, closed: str, amount: Any) -> None:
        fees = [{"code": "LP1", "name": "Lệ phí", "amount": amount}]
        result = instance.refused(
            PAYMENT, {"code": closed, "fees": fees}, instance.leader
        )
        if result["__typename"] == "GraphQLError":
            assert not isinstance(amount, int | str) or isinstance(amount, bool)
        elif valid_money(amount):
            assert result["__typename"] == "IllegalTransition", (amount, result)
        else:
            assert result["__typename"] == "InvalidInput", (amount, result)
            assert result["field"] in ("fees.amount", "*")

    @EXAMPLES
    @given(fees=nested_json)
    def test_fee_lists_of_any_json(
        self, instance: Instance, closed: str, fees: Any
    ) -> None:
        instance.refused(PAYMENT, {"code": closed, "fees": fees}, instance.leader)


class TestInstants:
    @EXAMPLES
    @given(due_at=instants)
    @example(due_at="9999-12-31T23:59:59-12:00")
    @example(due_at="9999-12-31T24:00:00Z")
    @example(due_at="2026-03-20T10:00:00")
    def test_due_times(self, instance: Instance, closed: str, due_at: str) -> None:
        result = instance.refused(
            REAPPOINT, {"code": closed, "dueAt": due_at}, instance.leader
        )
        valid = valid_instant(due_at)
        if result["__typename"] == "GraphQLError":
            assert valid is None, due_at
        elif valid:
            assert result["__typename"] == "IllegalTransition", (due_at, result)
        else:
            assert result["__typename"] == "InvalidInput", (due_at, result)
            assert result["field"] in ("dueAt", "*")

    @EXAMPLES
    @given(due_at=nested_json)
    def test_due_times_of_any_json(
        self, instance: Instance, closed: str, due_at: Any
    ) -> None:
        instance.refused(REAPPOINT, {"code": closed, "dueAt": due_at}, instance.leader)


class TestText:
    @EXAMPLES
    @given(reason=hostile_text)
    @example(reason="lý do\ud800")
    @example(reason="x" * 2001)
    def test_reasons(self, instance: Instance, closed: str, reason: str) -> None:
        result = instance.refused(
            STOP, {"code": closed, "reason": reason}, instance.leader
        )
        if clean_text(reason, 2000, multiline=True):
            assert result["__typename"] == "IllegalTransition", result
        else:
            assert result["__typename"] == "InvalidInput", result
            assert result["field"] in ("reason", "*")

    @EXAMPLES
    @given(name=hostile_text, summary=hostile_text)
    def test_names_and_summaries_at_reception(
        self, instance: Instance, name: str, summary: str
    ) -> None:
        variables = {
            "id": APPLICANT.id,
            "name": name,
            "kind": "CITIZEN",
            "summary": summary,
            "procedure": BIRTH,
        }
        good = (
            clean_text(name, 200, multiline=False)
            and bool(name.strip())
            and clean_text(summary, 4000, multiline=True)
        )
        if not good:
            refusal = instance.refused(RECEIVE, variables, instance.desk)
            assert refusal["__typename"] == "InvalidInput", refusal
            return
        before = instance.log_position()
        result, errors = instance.outcome(RECEIVE, variables, instance.desk)
        assert not errors
        assert result is not None
        assert result["__typename"] == "DossierReceived", result
        assert result["logPosition"] > before


class TestCitizenSubmission:
    @EXAMPLES
    @given(
        summary=hostile_text,
        extra=st.sampled_from([None, "TP3", "TP4", "TP9", "tp1", "TP1\u0000"]),
    )
    def test_online_submissions(
        self, instance: Instance, summary: str, extra: str | None
    ) -> None:
        codes = ["TP1", "TP2", *([extra] if extra else [])]
        documents = [
            {
                "componentCode": c,
                "document": {
                    "documentId": str(uuid.uuid4()),
                    "sha256": instance.citizen_scan(c),
                },
            }
            for c in codes
        ]
        variables = {"summary": summary, "documents": documents}
        # TP3 is shown only and TP9 no component of the procedure: refused like
        # at the desk; TP4 is an optional in-scope component.
        valid = clean_text(summary, 4000, multiline=True) and extra in (None, "TP4")
        if not valid:
            refusal = instance.refused(SUBMIT, variables, instance.citizen)
            assert refusal["__typename"] == "InvalidInput", refusal
            return
        before = instance.log_position()
        result, errors = instance.outcome(SUBMIT, variables, instance.citizen)
        assert not errors
        assert result is not None
        assert result["__typename"] == "DossierSubmitted", result
        assert result["logPosition"] > before


class TestIdentifiers:
    @EXAMPLES
    @given(
        kind=kinds,
        applicant_id=identifiers,
        procedure=st.one_of(st.just(BIRTH), st.text(max_size=30)),
    )
    def test_applicants_and_procedure_codes(
        self, instance: Instance, kind: str, applicant_id: str, procedure: str
    ) -> None:
        variables = {
            "id": applicant_id,
            "name": "Người nộp",
            "kind": kind,
            "summary": "",
            "procedure": procedure,
        }
        valid = procedure == BIRTH and re.fullmatch(
            ID_RULES[kind], applicant_id, re.ASCII
        )
        if not valid:
            refusal = instance.refused(RECEIVE, variables, instance.desk)
            assert refusal["__typename"] == "InvalidInput", refusal
            return
        result, errors = instance.outcome(RECEIVE, variables, instance.desk)
        assert not errors
        assert result is not None
        assert result["__typename"] == "DossierReceived", result

    @EXAMPLES
    @given(
        component=st.one_of(
            st.sampled_from(["TP1", "TP3", "TP9"]), st.text(max_size=20)
        ),
        document_id=st.one_of(st.uuids().map(str), st.text(max_size=40)),
        digest=st.one_of(st.just(sha("x")), st.text(max_size=70)),
    )
    def test_documents(
        self,
        instance: Instance,
        closed: str,
        component: str,
        document_id: str,
        digest: str,
    ) -> None:
        doc = {"documentId": document_id, "sha256": digest}
        result = instance.refused(
            DIGITIZE,
            {"code": closed, "component": component, "doc": doc},
            instance.desk,
        )
        assert result["__typename"] in {"InvalidInput", "IllegalTransition"}, result

    @EXAMPLES
    @given(
        to=st.one_of(
            st.sampled_from([JUSTICE, "000.00.00.H35", "000.99.99.H99"]),
            st.from_regex(
                r"[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}", fullmatch=True
            ),
            st.text(max_size=20),
        ),
        department=st.one_of(st.none(), st.just("PHC"), st.text(max_size=20)),
        code=st.one_of(st.none(), st.text(max_size=40)),
    )
    def test_forward_targets_and_dossier_codes(
        self,
        instance: Instance,
        closed: str,
        to: str,
        department: str | None,
        code: str | None,
    ) -> None:
        instance.refused(
            FORWARD,
            {"code": code or closed, "to": to, "department": department},
            instance.leader,
        )


def test_the_projector_has_applied_everything_afterwards(instance: Instance) -> None:
    """Runs after the generated requests (file order): nothing poisoned the read side."""
    position = instance.log_position()
    deadline = time.monotonic() + 20
    ready = instance.motcua.readyz()
    while (ready.get("maxLag") or ready.get("logPosition") != position) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.1)
        ready = instance.motcua.readyz()
    assert ready["logPosition"] == position
    assert ready["maxLag"] == 0
    assert instance.motcua.server.alive()
    assert all(process.alive() for process in instance.motcua.others)
