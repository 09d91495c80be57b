"""Export the GraphQL schema as SDL to the committed ``schema.graphql``.

Run ``uv run python -m api.graphql.export`` after changing the schema; a test
fails while the committed file differs from the printed schema.
"""

from __future__ import annotations

from pathlib import Path

from strawberry.printer import print_schema

from api.graphql.schema import build_schema

SCHEMA_FILE = Path(__file__).with_name("schema.graphql")


def export_schema() -> str:
    """The schema as SDL, with a trailing newline."""
    return print_schema(build_schema()) + "\n"


def main() -> None:
    SCHEMA_FILE.write_text(export_schema(), encoding="utf-8")


if __name__ == "__main__":
    main()
