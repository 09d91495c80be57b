"""Every ``motcua …`` command line the deployment files name exists in the CLI.

docker-compose.yml, the Dockerfile's CMD/ENTRYPOINT and the Makefile's
recipes are read; each ``motcua`` command is resolved in the real typer CLI
(unknown subcommands fail), its arguments are parsed by that command (unknown
options, bad values and missing required options fail) and ``--help`` runs.

The project has no YAML library, so commands in the compose file must be in
exec form, a JSON array on one line (which Docker recommends anyway: signals
reach the process); a ``motcua`` command written any other way fails the test.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer._click import Context
from typer._click.exceptions import UsageError
from typer.core import TyperGroup as Group
from typer.main import get_command
from typer.testing import CliRunner

from adapters.settings import Settings
from api.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
MAKEFILE = ROOT / "Makefile"


@dataclass(frozen=True)
class CommandLine:
    where: str
    args: tuple[str, ...]
    """After ``motcua``."""


def _json_arrays(line: str) -> list[list[Any]]:
    arrays = []
    for match in re.finditer(r"\[[^\[\]]*\]", line):
        try:
            value = json.loads(match.group(0))
        except ValueError:
            continue
        if isinstance(value, list):
            arrays.append(value)
    return arrays


def _motcua_args(words: list[Any]) -> tuple[str, ...] | None:
    if "motcua" not in words:
        return None
    return tuple(str(w) for w in words[words.index("motcua") + 1 :])


def _shell_args(text: str) -> tuple[str, ...] | None:
    """``motcua …`` inside a shell string (e.g. a ``CMD-SHELL`` healthcheck)."""
    match = re.search(r"(?:^|[;&|]\s*)motcua\s+([^;&|]*)", text)
    return tuple(shlex.split(match.group(1))) if match else None


def compose_commands(text: str) -> tuple[list[CommandLine], list[str]]:
    """The motcua commands of a compose file, and lines it could not read."""
    found: list[CommandLine] = []
    unreadable: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("#"):
            continue
        code = line.split(" #", 1)[0]
        where = f"docker-compose.yml:{number}"
        arrays = _json_arrays(code)
        for array in arrays:
            args = _motcua_args(array)
            if args is not None:
                found.append(CommandLine(where, args))
            for element in array:
                shell = _shell_args(str(element))
                if shell is not None:
                    found.append(CommandLine(where, shell))
        command = re.match(r"\s*(command|entrypoint)\s*:", code)
        block_item = re.match(r"\s*-\s*[\"']?motcua([\"']?\s*$|\s)", code)
        if (command and not arrays) or block_item:
            unreadable.append(f"{where}: {line.strip()}")
    return found, unreadable


def dockerfile_commands(text: str) -> list[CommandLine]:
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        match = re.match(r"\s*(CMD|ENTRYPOINT)\s+(.*)$", line)
        if not match:
            continue
        body = match.group(2).strip()
        words = json.loads(body) if body.startswith("[") else shlex.split(body)
        args = _motcua_args(words)
        if args is not None:
            found.append(CommandLine(f"Dockerfile:{number}", args))
    return found


def makefile_commands(text: str) -> list[CommandLine]:
    variables = dict(re.findall(r"^([A-Z_]+)\s*=\s*(\S+)\s*$", text, re.MULTILINE))
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.startswith("\t") or not re.search(r"\bmotcua\s", line):
            continue
        expanded = re.sub(
            r"\$\(([A-Z_]+)\)", lambda m: variables.get(m.group(1), m.group(0)), line
        )
        words = shlex.split(expanded.split(";")[0])
        args = _motcua_args(words)
        if args is not None:
            found.append(CommandLine(f"Makefile:{number}", args))
    return found


def resolve(args: tuple[str, ...]) -> tuple[list[str], Any, list[str]]:
    """The subcommand path, the click command and the arguments left for it."""
    command: Any = get_command(app)
    path: list[str] = []
    rest = list(args)
    while isinstance(command, Group):  # click's listing: loaded when named
        context = Context(command)
        names = command.list_commands(context)
        if not rest or rest[0] not in names:
            raise AssertionError(
                f"motcua {' '.join(args)}: no such command {rest[:1]} under "
                f"motcua {' '.join(path)} (has: {', '.join(names)})"
            )
        path.append(rest[0])
        command = command.get_command(context, rest.pop(0))
    return path, command, rest


def check(line: CommandLine) -> None:
    path, command, rest = resolve(line.args)
    try:  # parses and converts every argument; runs nothing
        command.make_context(" ".join(["motcua", *path]), list(rest))
    except UsageError as error:
        raise AssertionError(
            f"{line.where}: motcua {' '.join(line.args)}: {error.format_message()}"
        ) from None
    shown = CliRunner().invoke(app, [*path, "--help"])
    assert shown.exit_code == 0, (line, shown.output)


def all_commands() -> list[CommandLine]:
    compose, _ = compose_commands(COMPOSE.read_text())
    return (
        compose
        + dockerfile_commands(DOCKERFILE.read_text())
        + makefile_commands(MAKEFILE.read_text())
    )


COMMANDS = all_commands()


def test_the_files_name_the_expected_commands() -> None:
    named = {line.args[0] for line in COMMANDS}
    assert {"serve", "projector", "demo"} <= named
    assert any(line.where.startswith("Dockerfile") for line in COMMANDS)


def test_every_motcua_command_in_compose_is_in_exec_form() -> None:
    _, unreadable = compose_commands(COMPOSE.read_text())
    assert unreadable == []


@pytest.mark.parametrize("line", COMMANDS, ids=lambda c: f"{c.where} {c.args}")
def test_each_command_exists_and_accepts_its_arguments(line: CommandLine) -> None:
    check(line)


def test_compose_environment_is_known_and_valid() -> None:
    text = COMPOSE.read_text()
    environment = dict(re.findall(r"^\s+(MOTCUA_[A-Z_]+):\s*(\S+)\s*$", text, re.M))
    assert "MOTCUA_DATABASE_URL" in environment
    settings = Settings.from_env(environment)
    assert settings.unknown == ()


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (("integrate",), "no such command"),
        (("projections", "frobnicate"), "no such command"),
        (("serve", "--port", "0"), "port"),
        (("serve", "--workers", "0"), "workers"),
        (("dossier", "list", "--limit", "many"), "limit"),
        (("token",), "role"),
    ],
)
def test_the_check_catches_what_it_is_for(args: tuple[str, ...], problem: str) -> None:
    with pytest.raises(Exception, match=f"(?i){problem}"):
        check(CommandLine("example", args))


def test_the_readers_find_commands_in_every_form() -> None:
    compose = (
        'services:\n  a:\n    command: ["motcua", "integrator"]\n'
        "  b:\n    command: motcua serve\n"
        '  c:\n    healthcheck:\n      test: ["CMD", "motcua", "readyz"]\n'
        "  d:\n    image: motcua:latest  # motcua here is a name\n"
        '    healthcheck: ["CMD-SHELL", "pg_isready -U motcua && motcua x -y"]\n'
        "    entrypoint:\n      - motcua\n"
    )
    found, unreadable = compose_commands(compose)
    assert [c.args for c in found] == [("integrator",), ("readyz",), ("x", "-y")]
    assert unreadable == [
        "docker-compose.yml:5: command: motcua serve",
        "docker-compose.yml:12: entrypoint:",
        "docker-compose.yml:13: - motcua",
    ]
    assert dockerfile_commands('CMD ["motcua", "serve"]\nENTRYPOINT motcua x\n') == [
        CommandLine("Dockerfile:1", ("serve",)),
        CommandLine("Dockerfile:2", ("x",)),
    ]
    make = "PORT = 8000\nrun:\n\t$(UV) run motcua serve --port $(PORT)\n"
    assert makefile_commands(make) == [
        CommandLine("Makefile:3", ("serve", "--port", "8000"))
    ]
