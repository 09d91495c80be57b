"""The committed SDL file is the printed schema (clients and reviewers read it)."""

from __future__ import annotations

import difflib

from api.graphql.export import SCHEMA_FILE, export_schema

HINT = "run `uv run python -m api.graphql.export` and commit api/graphql/schema.graphql"


class TestCommittedSchema:
    def test_the_committed_sdl_file_is_the_printed_schema(self) -> None:
        assert SCHEMA_FILE.exists(), f"{SCHEMA_FILE} is missing: {HINT}"
        committed = SCHEMA_FILE.read_text(encoding="utf-8")
        printed = export_schema()
        if committed != printed:
            diff = "".join(
                difflib.unified_diff(
                    committed.splitlines(keepends=True),
                    printed.splitlines(keepends=True),
                    "schema.graphql (committed)",
                    "schema (printed)",
                    n=1,
                )
            )
            raise AssertionError(f"the GraphQL schema changed: {HINT}\n{diff[:4000]}")

    def test_the_export_ends_with_exactly_one_newline(self) -> None:
        printed = export_schema()
        assert printed.endswith("}\n")
        assert not printed.endswith("\n\n")

    def test_the_public_contract_names_are_in_the_schema(self) -> None:
        printed = export_schema()
        for name in (
            "dossierStatus(code: String!): PublicDossierStatus",
            "myDossiers(",
            "dossier(code: String!",
            "submitDossier(",
            "receiveDossier(",
            "resolveDossier(",
            "returnResult(",
            "dossierStatusChanged(code: String!",
        ):
            assert name in printed, name
