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

_read_at_start: list[Settings] = []


def remember_settings(settings: Settings) -> None:
    """Called once per command, by the CLI's callback that validated them."""
    _read_at_start[:] = [settings]


def settings() -> Settings:
    """The settings this command validated at start (read from the environment
    once; a command called without the CLI's callback reads them itself)."""
    return _read_at_start[0] if _read_at_start else Settings.from_env()


@contextmanager
def application() -> Iterator[OneStop]:
    app = build_application(settings())
    try:
        yield app
    finally:
        app.close()


def print_json(value: Any) -> None:
    typer.echo(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode())


def fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code=2)
