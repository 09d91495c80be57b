"""Shared CLI helpers: settings, JSON output, clear errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
import typer

from adapters.settings import Settings
from api.wiring import build_application
from application.onestop import OneStop


@contextmanager
def application() -> Iterator[OneStop]:
    app = build_application(Settings.from_env())
    try:
        yield app
    finally:
        app.close()


def print_json(value: Any) -> None:
    typer.echo(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode())


def fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code=2)
