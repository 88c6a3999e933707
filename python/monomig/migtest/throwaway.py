"""Throwaway databases for ``monomig test``: created for one service's checks, dropped after.

- SQLite: a file in a temporary folder ``monomig-test-<pid>-*`` under ``/dev/shm`` (memory)
  where it exists, else the temporary folder (the folder is removed);
- PostgreSQL: ``CREATE DATABASE`` on the server of the given URL, as its user, with
  ``synchronous_commit = off`` for its sessions;
- MySQL/MariaDB: ``CREATE DATABASE`` likewise.

Names are ``monomig_test_<host>_<pid>_<random>``: ``<host>`` is a short hash of this
machine's name and ``<pid>`` the process that owns the database. Databases are dropped on
every path out of :class:`Throwaway` (an error, Ctrl-C, SIGTERM, which ``monomig test``
turns into ``KeyboardInterrupt``); a process killed outright (SIGKILL) leaves its databases
behind, and :func:`sweep` drops them on the next run: those named with this machine's
hash and a pid that no longer runs here. Administration goes through SQLAlchemy with the
URL's own driver (the one Alembic uses), on the server's maintenance database
(``postgres``) or none (MySQL).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import socket
import tempfile
import threading
import uuid
from typing import Any

PREFIX = "monomig_test_"
_NAME = re.compile(rf"^{PREFIX}([0-9a-f]{{6}})_(\d+)_[0-9a-f]+$")
_DIR = re.compile(r"^monomig-test-(\d+)-")


def scratch_dir() -> str:
    """Where throwaway SQLite files go: memory-backed ``/dev/shm`` when this machine has it
    (a throwaway database needs no fsync: every DDL statement of a migration commits),
    else the temporary folder."""
    shm = "/dev/shm"
    if os.path.isdir(shm) and os.access(shm, os.W_OK):
        return shm
    return tempfile.gettempdir()


def host_tag() -> str:
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:6]


def new_name() -> str:
    return f"{PREFIX}{host_tag()}_{os.getpid()}_{uuid.uuid4().hex[:8]}"


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def backend_of(url: str) -> str:
    """``sqlite``, ``postgresql`` or ``mysql`` (MariaDB included) for a SQLAlchemy URL."""
    scheme = url.split(":", 1)[0].split("+", 1)[0].lower()
    if scheme in ("mysql", "mariadb"):
        return "mysql"
    return scheme


def _admin_engine(server_url: str) -> Any:
    import sqlalchemy as sa

    url = sa.engine.make_url(server_url)
    url = url.set(database="postgres" if backend_of(server_url) == "postgresql" else None)
    return sa.create_engine(url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")


def _quote(backend: str, name: str) -> str:
    return f"`{name}`" if backend == "mysql" else f'"{name}"'


class Throwaway:
    """One throwaway database: ``url`` reaches it; :meth:`drop` removes it (idempotent)."""

    def __init__(self, backend: str, server_url: str | None = None) -> None:
        self.backend = backend
        self.server_url = server_url
        self.name = new_name()
        self.url = ""
        self._dir: str | None = None
        self.created = False
        self._drop_lock = threading.Lock()

    def create(self) -> str:
        if self.backend == "sqlite":
            self._dir = tempfile.mkdtemp(prefix=f"monomig-test-{os.getpid()}-", dir=scratch_dir())
            path = os.path.join(self._dir, f"{self.name}.db")
            open(path, "wb").close()  # an empty file is an empty SQLite database
            self.url = f"sqlite:///{path}"
            self.created = True
            return self.url
        import sqlalchemy as sa

        assert self.server_url is not None
        engine = _admin_engine(self.server_url)
        try:
            with engine.connect() as conn:
                # PostgreSQL copies its template1 (what a new database there gets; measured
                # here, faster than template0 or STRATEGY FILE_COPY on PostgreSQL 15)
                ddl = f"CREATE DATABASE {_quote(self.backend, self.name)}"
                self.created = True  # from here on, drop() tries
                conn.execute(sa.text(ddl))
                if self.backend == "postgresql":
                    # every session of the throwaway database: commits do not wait for the WAL flush
                    conn.execute(sa.text(f'ALTER DATABASE "{self.name}" SET synchronous_commit = off'))
        finally:
            engine.dispose()
        self.url = sa.engine.make_url(self.server_url).set(database=self.name).render_as_string(hide_password=False)
        return self.url

    def drop(self) -> None:
        """Drop the database; safe to call from several threads and more than once."""
        with self._drop_lock:
            if not self.created:
                return
            if self.backend == "sqlite":
                if self._dir:
                    shutil.rmtree(self._dir, ignore_errors=True)
            else:
                assert self.server_url is not None
                drop_database(self.server_url, self.name)
            self.created = False


def drop_database(server_url: str, name: str) -> None:
    import sqlalchemy as sa

    backend = backend_of(server_url)
    engine = _admin_engine(server_url)
    try:
        with engine.connect() as conn:
            if backend == "postgresql":
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            else:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
    finally:
        engine.dispose()


def sweep(server_urls: list[str]) -> list[str]:
    """Drop the throwaway databases (and SQLite folders) that processes of this machine
    which no longer run left behind; the names dropped."""
    dropped: list[str] = []
    for tmp in dict.fromkeys((scratch_dir(), tempfile.gettempdir())):
        for entry in os.listdir(tmp):
            m = _DIR.match(entry)
            if m and not pid_alive(int(m.group(1))):
                shutil.rmtree(os.path.join(tmp, entry), ignore_errors=True)
                dropped.append(entry)
    tag = host_tag()
    for server in dict.fromkeys(server_urls):
        backend = backend_of(server)
        if backend == "postgresql":
            sql = "SELECT datname FROM pg_database WHERE datname LIKE 'monomig\\_test\\_%'"
        elif backend == "mysql":
            sql = "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE 'monomig\\_test\\_%'"
        else:
            continue
        import sqlalchemy as sa

        engine = _admin_engine(server)
        try:
            with engine.connect() as conn:
                names = [r[0] for r in conn.execute(sa.text(sql))]
        finally:
            engine.dispose()
        for name in names:
            m = _NAME.match(name)
            if m and m.group(1) == tag and not pid_alive(int(m.group(2))):
                drop_database(server, name)
                dropped.append(name)
    return dropped
