"""A throw-away PostgreSQL server for tests and benchmarks.

``initdb`` runs into a fresh temporary directory and ``postgres`` is started in
the foreground on a free loopback port, with trust authentication for the
``postgres`` role. PostgreSQL refuses to run as root, so when the current
user is root both programs run as the ``postgres`` OS user (the data
directory is handed over to it first).
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import signal
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import structlog
from psycopg import sql

from api.bench.servers.base import (
    ServiceUnavailableError,
    TemporaryService,
    port_accepts_connections,
    require_binary,
)

logger = structlog.get_logger(__name__)

#: Settings that trade durability for speed; used unless ``durable=True``.
FAST_SETTINGS: Mapping[str, str] = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
}

_DATABASE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}\Z", re.ASCII)
_INSTALL_HINT = (
    "Install PostgreSQL server binaries (Debian: apt-get install postgresql) "
    "or set MOTCUA_TEST_POSTGRES_URL to use an existing server."
)


def find_postgres_binary(name: str) -> Path:
    """Locate ``initdb``/``postgres``/``pg_ctl`` on PATH or in Debian's layout."""
    candidates = sorted(
        (Path(p) for p in glob.glob(f"/usr/lib/postgresql/*/bin/{name}")),
        key=_version_key,
        reverse=True,
    )
    return require_binary(name, candidates, _INSTALL_HINT)


def _version_key(path: Path) -> tuple[int, ...]:
    version = path.parent.parent.name
    return tuple(int(part) for part in re.findall(r"\d+", version))


def database_url(base_url: str, name: str) -> str:
    """``base_url`` with its database (the URL path) replaced by ``name``."""
    parts = urlsplit(base_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _check_database_name(name: str) -> None:
    if not _DATABASE_NAME.match(name):
        raise ValueError(
            f"invalid database name {name!r}: use letters, digits and underscores "
            "(at most 63 characters, not starting with a digit)"
        )


class PostgresServer:
    """A PostgreSQL server reachable by URL as a superuser.

    This base class serves an existing server (see :class:`ExternalPostgres`);
    :class:`TemporaryPostgres` adds the life cycle of a private one.
    """

    def __init__(self, url: str) -> None:
        self._url = url

    @property
    def url(self) -> str:
        """URL of the maintenance database (``postgres``)."""
        return self._url

    def database_url(self, name: str) -> str:
        _check_database_name(name)
        return database_url(self.url, name)

    def create_database(self, name: str) -> str:
        """Create the database ``name`` and return a URL for it."""
        _check_database_name(name)
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.database_url(name)

    def drop_database(self, name: str) -> None:
        """Drop the database ``name`` if it exists, closing its connections."""
        _check_database_name(name)
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(name)
                )
            )

    def stop(self) -> None:
        """Nothing to do for a server we did not start."""


class ExternalPostgres(PostgresServer):
    """An already running server, e.g. from ``MOTCUA_TEST_POSTGRES_URL``."""

    def __repr__(self) -> str:
        parts = urlsplit(self.url)
        return f"<ExternalPostgres {parts.hostname}:{parts.port}>"


class TemporaryPostgres(TemporaryService, PostgresServer):
    """A private PostgreSQL server in a temporary directory.

    ``durable=False`` (the default) turns off ``fsync``, ``synchronous_commit``
    and ``full_page_writes``: fast, and fine for data nobody needs after a
    crash. Benchmarks that should reflect production use ``durable=True``.
    ``settings`` adds or overrides server settings (``-c name=value``).
    """

    name = "postgres"
    # SIGINT is PostgreSQL's "fast" shutdown: abort sessions, checkpoint, exit.
    stop_signal = signal.SIGINT
    # "Immediate" shutdown: the postmaster takes its backends down with it.
    death_signal = signal.SIGQUIT

    def __init__(
        self,
        *,
        durable: bool = False,
        settings: Mapping[str, str] | None = None,
        startup_timeout: float = 60.0,
        shutdown_timeout: float = 30.0,
    ) -> None:
        TemporaryService.__init__(
            self, startup_timeout=startup_timeout, shutdown_timeout=shutdown_timeout
        )
        PostgresServer.__init__(self, "")
        self.durable = durable
        self.settings: dict[str, str] = {} if durable else dict(FAST_SETTINGS)
        self.settings.update(settings or {})
        self._initdb = find_postgres_binary("initdb")
        self._postgres = find_postgres_binary("postgres")
        self._run_as: pwd.struct_passwd | None = None
        if os.geteuid() == 0:
            try:
                self._run_as = pwd.getpwnam("postgres")
            except KeyError as error:
                raise ServiceUnavailableError(
                    "PostgreSQL refuses to run as root and there is no 'postgres' OS "
                    "user to run it as (create one: useradd --system postgres)"
                ) from error

    @property
    def url(self) -> str:
        return f"postgresql://postgres@{self.host}:{self.port}/postgres"

    @property
    def data_directory(self) -> Path:
        return self.directory / "data"

    # -- TemporaryService hooks ---------------------------------------------

    def _prepare(self) -> None:
        self._hand_over(self.directory)
        command = [
            str(self._initdb),
            "--pgdata",
            str(self.data_directory),
            "--auth=trust",
            "--username=postgres",
            "--encoding=UTF8",
            "--locale=C",
        ]
        if not self.durable:
            command.append("--no-sync")
        started = time.monotonic()
        result = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            check=False,
            **self._popen_kwargs(),
        )
        if result.returncode != 0:
            output = result.stdout.decode("utf-8", errors="replace").strip()
            raise ServiceUnavailableError(
                f"initdb failed with code {result.returncode}:\n{output}"
            )
        logger.debug(
            "postgres.initdb",
            seconds=round(time.monotonic() - started, 3),
            directory=str(self.data_directory),
        )

    def _command(self) -> list[str]:
        command = [
            str(self._postgres),
            "-D",
            str(self.data_directory),
            "-p",
            str(self.port),
            "-k",
            str(self.directory),
            "-c",
            f"listen_addresses={self.host}",
        ]
        for key, value in self.settings.items():
            command += ["-c", f"{key}={value}"]
        return command

    def _probe(self) -> bool:
        if not port_accepts_connections(self.host, self.port):
            return False
        try:
            with psycopg.connect(self.url, connect_timeout=2) as conn:
                conn.execute("SELECT 1")
        except psycopg.OperationalError:
            # e.g. "the database system is starting up"
            return False
        return True

    def _popen_kwargs(self) -> dict[str, Any]:
        if self._run_as is None:
            return {}
        return {
            "user": self._run_as.pw_uid,
            "group": self._run_as.pw_gid,
            "extra_groups": [],
            "env": {
                **os.environ,
                "HOME": self._run_as.pw_dir,
                "USER": "postgres",
                "LOGNAME": "postgres",
            },
        }

    def _hand_over(self, path: Path) -> None:
        if self._run_as is not None:
            os.chown(path, self._run_as.pw_uid, self._run_as.pw_gid)
