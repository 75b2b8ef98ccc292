"""Fixtures for the service's tests: a database of each kind, and the app in-process.

PostgreSQL: a throwaway server started from the distribution's server binaries
(/usr/lib/postgresql/*/bin, else pg_ctl on PATH) through pytest-postgresql's
executor and janitor, one server for the session and one database per test.
initdb refuses to run as root (as CI runs), so as root the server runs as the
`postgres` user (or `nobody`) through `runuser`, in a directory it owns. With no
server binary at all the PostgreSQL cases skip, saying why in the summary
(pytest runs with -rs); the SQLite cases run everywhere.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "test-token-0123456789abcdef"


def pg_ctl() -> str | None:
    """The newest PostgreSQL server's pg_ctl on this machine, if any."""

    def version(path: str) -> float:
        try:
            return float(Path(path).parts[-3])
        except ValueError:
            return 0.0

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=version)
    return found[-1] if found else shutil.which("pg_ctl")


NO_SERVER = (
    "no PostgreSQL server binary (/usr/lib/postgresql/*/bin/pg_ctl or pg_ctl on PATH): "
    "`apt-get install postgresql` to run the PostgreSQL cases"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _unprivileged() -> tuple[str, int, int] | None:
    """As root: the user to run the server as (initdb refuses root); else None."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None
    import pwd

    for name in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return name, entry.pw_uid, entry.pw_gid
    pytest.fail("running as root with neither a `postgres` nor a `nobody` user for the server")


@pytest.fixture(scope="session")
def pg_server():
    """A PostgreSQL server for the session (skips when the machine has none)."""
    binary = pg_ctl()
    if binary is None:
        pytest.skip(NO_SERVER)
    from pytest_postgresql.executors import PostgreSQLExecutor

    base = Path(tempfile.mkdtemp(prefix="policyctl-pg-"))
    executable = binary
    user = _unprivileged()
    if user is not None:
        name, uid, gid = user
        os.chown(base, uid, gid)
        runuser = shutil.which("runuser") or "/sbin/runuser"
        wrapper = base / "pg_ctl"
        wrapper.write_text(f'#!/bin/sh\nexec {runuser} -u {name} -- {binary} "$@"\n')
        wrapper.chmod(0o755)
        executable = str(wrapper)
    port = free_port()
    executor = PostgreSQLExecutor(
        executable=executable,
        host="127.0.0.1",
        port=port,
        datadir=str(base / "data"),
        unixsocketdir=str(base),
        logfile=str(base / "server.log"),
        startparams="-w",
        dbname="policyctl",
        user="postgres",
        postgres_options="-c fsync=off -c synchronous_commit=off -c full_page_writes=off",
        timeout=120,
    )
    executor.start()
    try:
        yield executor
    finally:
        executor.stop()
        shutil.rmtree(base, ignore_errors=True)


@contextmanager
def pg_database(pg_server) -> Iterator[str]:
    """A fresh, empty database on the session's server, dropped on leaving; its URL.
    For tests that need one per Hypothesis example, where a fixture gives one per test."""
    from pytest_postgresql.janitor import DatabaseJanitor

    name = "t" + uuid.uuid4().hex[:12]
    janitor = DatabaseJanitor(
        user="postgres",
        host="127.0.0.1",
        port=pg_server.port,
        dbname=name,
    )
    janitor.init()
    try:
        yield f"postgresql://postgres@127.0.0.1:{pg_server.port}/{name}"
    finally:
        janitor.drop()


@pytest.fixture
def pg_url(pg_server):
    """A fresh, empty database on the session's server."""
    with pg_database(pg_server) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """An empty database of each kind (PostgreSQL skips where there is no server)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'service.db'}"
    return request.getfixturevalue("pg_url")


def client(url: str, policy: str = "jining", *, reads: str = "open", max_batch: int = 10_000):
    """The app in-process (FastAPI's TestClient), over an initialised database.
    `policy`: a shipped policy's name, or a policy file's path (`.yaml`)."""
    from fastapi.testclient import TestClient

    from engine.serve import database, schema
    from engine.serve.run import Options, build

    db = database.connect(url)
    schema.init(db)
    db.dispose()
    token_file = Path(tempfile.mkdtemp()) / "token"
    token_file.write_text(TOKEN + "\n")
    options = Options(
        url,
        (policy if policy.endswith(".yaml") else str(ROOT / "policies" / f"{policy}.yaml"),),
        token_file=str(token_file),
        reads=reads,
        max_batch=max_batch,
    )
    app, _, service = build(options)
    return TestClient(app), service


WRITE = {"Authorization": f"Bearer {TOKEN}"}
