"""Every failure of a ``motcua`` command ends in one bilingual line, no traceback.

Exit code 2: bad input or configuration (usage errors, ``LabelledError``,
settings refused at start). Exit code 1: runtime failures — the database is
unreachable, a file cannot be written, anything unexpected. ``--debug`` (or
``MOTCUA_DEBUG=y``) adds the traceback of an unexpected failure.

Typer vendors click as ``typer._click``; its exception classes are those.
"""

from __future__ import annotations

import sqlite3
import traceback
from typing import Any, NoReturn

import psycopg
import typer
from eventsourcing.persistence import InterfaceError, OperationalError
from typer._click import Context
from typer._click import exceptions as click
from typer.core import TyperGroup

from adapters.setting_kinds import redacted
from adapters.settings import Settings, debug_requested
from api.wiring import build_application
from domain.errors import LabelledError

BAD_INPUT = 2
RUNTIME_FAILURE = 1
LONG_RUNNING = frozenset({"serve", "projector", "integrator"})
DEBUG_KEY = "motcua.debug"
HELP_KEY = "motcua.help"

_DATABASE_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    psycopg.OperationalError,
    sqlite3.OperationalError,
    sqlite3.DatabaseError,
)


def _say(vi: str, en: str) -> None:
    typer.echo(f"Lỗi: {vi} / Error: {en}", err=True)


def _usage(error: click.UsageError) -> NoReturn:
    command = error.ctx.command_path if error.ctx is not None else "motcua"
    _say(
        f"tham số không hợp lệ — {error.format_message()}",
        f"invalid usage — {error.format_message()}",
    )
    typer.echo(f"({command} --help)", err=True)
    raise typer.Exit(BAD_INPUT)


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return redacted(lines[0]) if lines else type(error).__name__


def _runtime(error: Exception, *, debug: bool) -> NoReturn:
    if debug:
        traceback.print_exception(error)
    if isinstance(error, _DATABASE_ERRORS):
        detail = _first_line(error)
        _say(
            f"không dùng được cơ sở dữ liệu ({detail})",
            f"the database is unavailable ({detail})",
        )
    elif isinstance(error, OSError):
        where = f": {error.filename}" if error.filename else ""
        reason = error.strerror or _first_line(error)
        _say(
            f"lỗi tệp/hệ thống — {reason}{where}",
            f"file or system error — {reason}{where}",
        )
    else:
        detail = f"{type(error).__name__}: {_first_line(error)}"
        _say(f"lỗi không mong muốn ({detail})", f"unexpected error ({detail})")
    if not debug:
        typer.echo(
            "(chạy lại với --debug hoặc MOTCUA_DEBUG=y để xem chi tiết / "
            "run again with --debug or MOTCUA_DEBUG=y for details)",
            err=True,
        )
    raise typer.Exit(RUNTIME_FAILURE)


class MotcuaGroup(TyperGroup):
    """Turns every exception of a command into one clear message and an exit code."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: Context | None = None,
        **extra: Any,
    ) -> Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.NoArgsIsHelpError:
            raise
        except click.UsageError as error:
            _usage(error)

    def invoke(self, ctx: Context) -> Any:
        # Before the group's callback runs: click hands it no arguments.
        rest = [*getattr(ctx, "_protected_args", []), *ctx.args]
        ctx.meta[HELP_KEY] = any(arg in ctx.help_option_names for arg in rest)
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort):
            raise
        except click.NoArgsIsHelpError:
            raise
        except click.UsageError as error:
            _usage(error)
        except click.ClickException as error:
            _say(error.format_message(), error.format_message())
            raise typer.Exit(BAD_INPUT) from None
        except LabelledError as error:
            _say(error.message("vi"), error.message("en"))
            raise typer.Exit(BAD_INPUT) from None
        except KeyboardInterrupt:
            raise typer.Exit(130) from None
        except BrokenPipeError:
            raise  # `motcua … | head`: typer exits quietly
        except Exception as error:
            _runtime(error, debug=bool(ctx.meta.get(DEBUG_KEY)) or debug_requested())


def check_settings(ctx: Context, *, debug: bool) -> None:
    """Validate every ``MOTCUA_*`` variable before the command runs.

    A bad value raises ``ConfigurationError`` (exit 2); unknown variables are
    reported as warnings on stderr. ``--help`` works whatever the settings.
    """
    ctx.meta[DEBUG_KEY] = debug or debug_requested()
    if ctx.meta.get(HELP_KEY):
        return
    settings = Settings.from_env()
    for warning in settings.warnings():
        typer.echo(warning, err=True)
    settings.prepare_storage()
    if ctx.invoked_subcommand in LONG_RUNNING:
        # Servers open the stores inside their own loops, where a failure is a
        # logged traceback; open them once here so it is a clear exit instead.
        build_application(settings).close()
