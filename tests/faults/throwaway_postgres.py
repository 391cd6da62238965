"""A PostgreSQL server of our own for one test, so it can be restarted without touching the shared one."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

TOOLS = ("initdb", "pg_ctl")
SEARCH_PATH = "/usr/local/bin:/usr/lib/postgresql/17/bin:/usr/lib/postgresql/16/bin:/usr/lib/postgresql/15/bin"


def _tool(name: str) -> str | None:
    return shutil.which(name) or shutil.which(name, path=SEARCH_PATH)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class ThrowawayPostgres:
    """A running server in a temporary directory, owned by the `postgres` user when we are root."""

    folder: Path
    port: int
    _as_owner: list[str]

    @property
    def data(self) -> Path:
        """The cluster's data directory."""
        return self.folder / "data"

    def url(self, database: str = "cairn") -> str:
        """A SQLAlchemy URL for one database on this server."""
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    async def _pg_ctl(self, *arguments: str) -> None:
        command = [*self._as_owner, _tool("pg_ctl") or "pg_ctl", "-D", str(self.data), "-w", "-t", "60", *arguments]
        process = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        output, _ = await process.communicate()
        if process.returncode != 0:
            raise AssertionError(f"pg_ctl {' '.join(arguments)} failed:\n{output.decode(errors='replace')}")

    async def start(self) -> None:
        """Start the server (listening on 127.0.0.1 only)."""
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} -c fsync=off"
        await self._pg_ctl("-l", str(self.folder / "server.log"), "-o", options, "start")

    async def restart(self) -> None:
        """Restart the server the way an operator would: fast shutdown (connections are cut), then start."""
        await self._pg_ctl("-l", str(self.folder / "server.log"), "-m", "fast", "restart")  # -l: not our pipes

    async def stop(self, mode: str = "immediate") -> None:
        """Stop the server (at once by default; "fast" cuts connections and shuts down cleanly)."""
        await self._pg_ctl("-m", mode, "stop")

    async def create_database(self, name: str = "cairn") -> str:
        """Create a database and return its URL."""
        admin = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres", timeout=10)
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        return self.url(name)


def _unavailable(message: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@contextlib.asynccontextmanager
async def throwaway_postgres() -> AsyncIterator[ThrowawayPostgres]:
    """Make a fresh cluster with initdb on a free port, start it, and remove it afterwards.

    Skipped when initdb or pg_ctl is not on this machine, except in CI (CI set), where that fails the test.
    """
    if not all(_tool(name) for name in TOOLS):
        _unavailable("initdb and pg_ctl are needed for a throwaway PostgreSQL (apt install postgresql)")
    as_owner: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="cairn-pg-"))
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: hand the folder to the postgres user
        runuser = shutil.which("runuser")
        if runuser is None:
            _unavailable("running as root needs runuser to start PostgreSQL as the postgres user")
        shutil.chown(folder, user="postgres", group="postgres")
        as_owner = [str(runuser), "-u", "postgres", "--"]
    server = ThrowawayPostgres(folder, _free_port(), as_owner)
    try:
        initdb = [*as_owner, _tool("initdb") or "initdb", "-D", str(server.data), "-U", "postgres"]
        result = subprocess.run(
            [*initdb, "--auth=trust", "-E", "UTF8", "--no-sync"], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, f"initdb failed:\n{result.stdout}\n{result.stderr}"
        await server.start()
        yield server
    finally:
        with contextlib.suppress(Exception):
            await server.stop()
        shutil.rmtree(folder, ignore_errors=True)
