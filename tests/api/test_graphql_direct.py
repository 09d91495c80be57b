"""Which plans run directly, and what direct completion refuses to guess."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from graphql import GraphQLEnumType, OperationDefinitionNode, parse

from api.graphql.direct import Irregular, Shape, shape_of
from api.graphql.schema import build_schema

SCHEMA = build_schema()._schema
STATUS = "query S($c: String!) { dossierStatus(code: $c) { code completion label } }"


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
    ],
)
def test_one_root_field_with_plain_leaves_runs_directly(text: str) -> None:
    assert _shape(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        '{ a: dossierStatus(code: "x") { code } b: dossierStatus(code: "y") { code } }',
        '{ dossierStatus(code: "x") { code } __typename }',
        '{ dossierStatus(code: "x") { __typename code } }',
        '{ dossierStatus(code: "x") { code code } }',
        '{ dossierStatus(code: "x") { code label @skip(if: true) } }',
        '{ dossierStatus(code: "x") @include(if: true) { code } }',
        '{ dossierStatus(code: "x") { ... on PublicDossierStatus { code } } }',
        "{ worklist { code timeline { at } } }",
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
    assert shape.complete(value) == {
        "code": "H34",
        "completion": "CLOSED",
        "label": "xong",
    }
    assert shape.complete(None) is None  # dossierStatus is nullable


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
        shape.complete(value)


def test_a_non_null_list_of_non_null_items_is_checked() -> None:
    shape = _shape("{ myDossiers { code } }")
    assert shape is not None
    assert shape.complete([SimpleNamespace(code="a"), SimpleNamespace(code=None)]) == [
        {"code": "a"},
        {"code": None},
    ]
    for refused in (None, [None], "not a list", {"code": "a"}):
        with pytest.raises(Irregular):
            shape.complete(refused)
