"""Which plans run directly, and what direct completion refuses to guess."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from graphql import GraphQLEnumType, OperationDefinitionNode, parse
from strawberry import ID

from api.graphql.direct import Irregular, Shape, shape_of
from api.graphql.schema import build_schema
from api.graphql.types.outcomes import (
    DossierReceived,
    DossierUpdated,
    IllegalTransition,
    VersionConflict,
)

SCHEMA = build_schema()._schema
STATUS = "query S($c: String!) { dossierStatus(code: $c) { code completion label } }"
INFO: Any = SimpleNamespace(field_name="forwardDossier")
"""What a union's type resolver reads of the resolve info."""
FORWARD = """mutation F($c: String!) { forwardDossier(dossier: {code: $c},
  toAgencyCode: "H34.01") { __typename ... on DossierUpdated { code event version }
  ... on NotAllowed { message } ... on IllegalTransition { message status } } }"""


def _shape(text: str) -> Shape | None:
    (operation,) = [
        d for d in parse(text).definitions if isinstance(d, OperationDefinitionNode)
    ]
    return shape_of(SCHEMA, operation)


@pytest.mark.parametrize(
    "text",
    [
        STATUS,
        '{ s: dossierStatus(code: "x") { c: code label } }',
        "query W($l: Int!) { worklist(limit: $l) { code status dueAt } }",
        "{ myDossiers { code statusLabel } }",
        "query D($c: String!) { dossier(code: $c) { code dueAt } }",
        '{ dossierStatus(code: "x") { __typename code } }',
        '{ dossierStatus(code: "x") { ... on PublicDossierStatus { code } } }',
        FORWARD,
        'mutation { forwardDossier(dossier: {code: "x"}, toAgencyCode: "y") '
        "{ __typename } }",
        "mutation { receiveDossier(input: {}) { __typename ... { t: __typename } "
        "... on DossierReceived { code dueAt } } }",
    ],
)
def test_one_root_field_with_plain_leaves_runs_directly(text: str) -> None:
    assert _shape(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        '{ a: dossierStatus(code: "x") { code } b: dossierStatus(code: "y") { code } }',
        '{ dossierStatus(code: "x") { code } __typename }',
        '{ dossierStatus(code: "x") { code code } }',
        '{ dossierStatus(code: "x") { code label @skip(if: true) } }',
        '{ dossierStatus(code: "x") @include(if: true) { code } }',
        '{ dossierStatus(code: "x") { ... S } } fragment S on PublicDossierStatus '
        "{ code }",
        "{ worklist { code timeline { at } } }",
        'mutation { forwardDossier(dossier: {code: "x"}, toAgencyCode: "y") '
        "{ __typename ... on DossierUpdated @skip(if: false) { code } } }",
        'mutation { a: forwardDossier(dossier: {code: "x"}, toAgencyCode: "y") '
        '{ __typename } b: stopDossier(dossier: {code: "x"}, reason: "r") '
        "{ __typename } }",
    ],
)
def test_anything_else_goes_through_graphql_core(text: str) -> None:
    assert _shape(text) is None


def test_a_plain_value_is_completed_with_the_leaf_types() -> None:
    shape = _shape(STATUS)
    assert shape is not None
    completion = SCHEMA.get_type("Completion")
    assert isinstance(completion, GraphQLEnumType)
    closed = completion.values["CLOSED"].value  # the Python value resolvers give
    value = SimpleNamespace(code="H34", completion=closed, label="xong")
    assert shape.complete(value, INFO) == {
        "code": "H34",
        "completion": "CLOSED",
        "label": "xong",
    }
    assert shape.complete(None, INFO) is None  # dossierStatus is nullable


@pytest.mark.parametrize(
    "value",
    [
        SimpleNamespace(code=None, completion="x", label="y"),  # null in String!
        SimpleNamespace(code="c", completion="NOT_AN_ENUM", label="y"),
        SimpleNamespace(code="c", completion=ValueError("boom"), label="y"),
        ValueError("the resolver returned an error"),
    ],
)
def test_what_graphql_core_would_report_is_left_to_it(value: object) -> None:
    shape = _shape(STATUS)
    assert shape is not None
    with pytest.raises(Irregular):
        shape.complete(value, INFO)


def test_a_non_null_list_of_non_null_items_is_checked() -> None:
    shape = _shape("{ myDossiers { code } }")
    assert shape is not None
    listed = [SimpleNamespace(code="a"), SimpleNamespace(code=None)]
    assert shape.complete(listed, INFO) == [
        {"code": "a"},
        {"code": None},
    ]
    for refused in (None, [None], "not a list", {"code": "a"}):
        with pytest.raises(Irregular):
            shape.complete(refused, INFO)


def test_a_union_is_completed_for_the_type_its_resolver_names() -> None:
    shape = _shape(FORWARD)
    assert shape is not None
    updated = DossierUpdated(
        dossier_id=ID("d"), code="H34", log_position=7, event="Forwarded", version=3
    )
    assert shape.complete(updated, INFO) == {
        "__typename": "DossierUpdated",
        "code": "H34",
        "event": "Forwarded",
        "version": 3,
    }
    refused = IllegalTransition(message="không được", status="RECEIVED")
    assert shape.complete(refused, INFO) == {
        "__typename": "IllegalTransition",
        "message": "không được",
        "status": "RECEIVED",
    }
    # a member the document selects nothing of: its type name only
    assert shape.complete(VersionConflict(message="m"), INFO) == {
        "__typename": "VersionConflict"
    }


@pytest.mark.parametrize(
    "value",
    [
        SimpleNamespace(code="H34"),  # no strawberry type: the union refuses it
        DossierReceived(dossier_id=ID("d"), code="c", due_at=None, log_position=1),
        DossierUpdated(dossier_id=ID("d"), code="c", log_position=1, event=None),  # type: ignore[arg-type]
    ],
)
def test_a_union_value_it_cannot_place_is_left_to_graphql_core(value: object) -> None:
    shape = _shape(FORWARD)
    assert shape is not None
    with pytest.raises(Irregular):
        shape.complete(value, INFO)
