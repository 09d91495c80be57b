"""``motcua bench``: throughput ratios against a reference in the same run."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Benchmarks (ratios against a same-run reference).", no_args_is_help=True
)
