"""The Alembic bridge against stock Alembic, end to end.

On generated monorepos (several services; linear and branchy graphs with merges,
branch labels and depends_on; several seeds) the same sequence of `alembic` commands
runs twice in this process, once with stock Alembic and once with the bridge (the
repositories' env.py has the seed article's text plus `import monomig`), each side on
its own fresh databases. What each command prints, its exit status, the version table
after it and the schema must be identical. SQLite always; PostgreSQL and MariaDB on
one branchy repository each.
"""

from __future__ import annotations

import os
import random
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.bridge_repo import Rev, run_alembic, write_repo

from monomig import bridge

pytestmark = pytest.mark.slow  # long differential / fault tests: left out of `make test-fast`


@pytest.fixture
def stock_and_bridge() -> Iterator[None]:
    yield
    bridge.deactivate()


# ---------------------------------------------------------------------------
# Databases: one per service and side.


class Backend:
    name = "sqlite"

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp

    def create(self, tag: str) -> str:
        path = self.tmp / f"{tag}_{uuid.uuid4().hex[:8]}.sqlite"
        return f"sqlite:///{path}"

    def drop_all(self) -> None:
        pass


class PgBackend(Backend):
    name = "postgresql"

    def __init__(self, tmp: Path) -> None:
        from support.databases import pg_admin

        super().__init__(tmp)
        self.admin = pg_admin()
        self.names: list[str] = []

    def create(self, tag: str) -> str:
        name = f"monomig_bridge_{uuid.uuid4().hex[:12]}"
        self.admin.execute(f'CREATE DATABASE "{name}"')
        self.names.append(name)
        return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"

    def drop_all(self) -> None:
        for n in self.names:
            self.admin.execute(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)')
        self.admin.close()


class MyBackend(Backend):
    name = "mysql"

    def __init__(self, tmp: Path) -> None:
        from support.databases import my_admin

        super().__init__(tmp)
        self.admin = my_admin()
        self.names: list[str] = []

    def create(self, tag: str) -> str:
        name = f"monomig_bridge_{uuid.uuid4().hex[:12]}"
        with self.admin.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}`")
        self.names.append(name)
        return f"mysql+pymysql://root@127.0.0.1:3306/{name}"

    def drop_all(self) -> None:
        with self.admin.cursor() as cur:
            for n in self.names:
                cur.execute(f"DROP DATABASE IF EXISTS `{n}`")
        self.admin.close()


def db_state(url: str) -> tuple[Any, ...]:
    import sqlalchemy as sa

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            # monomig's ledger (docs/ledger.md) is the bridge's own table: not part of what is compared
            tables = sorted(t for t in sa.inspect(conn).get_table_names() if t != "alembic_version_log")
            rows = None
            if "alembic_version" in tables:
                rows = sorted(r[0] for r in conn.execute(sa.text("SELECT version_num FROM alembic_version")))
            return (tuple(tables), rows)
    finally:
        engine.dispose()


# ---------------------------------------------------------------------------
# The command sequence.


def commands(svc: str, revs: list[Rev], rng: random.Random) -> list[list[str]]:
    n = ["-n", svc]
    ids = [r.revision for r in revs]
    labels = [lab for r in revs for lab in r.labels]
    mid = ids[len(ids) // 2]
    some = rng.choice(ids)
    seq: list[list[str]] = [
        n + ["heads"],
        n + ["heads", "--verbose"],
        n + ["branches"],
        n + ["history"],
        n + ["history", "-v"],
        n + ["history", "-r", f"{ids[1]}:heads"],
        n + ["history", "-r", f"base:{mid}", "-v"],
        n + ["show", some],
        n + ["show", "head"],
        n + ["current"],
        n + ["upgrade", "+1"],
        n + ["current", "-v"],
    ]
    if labels:
        seq += [n + ["upgrade", f"{rng.choice(labels)}@head"], n + ["current"]]
    seq += [
        n + ["upgrade", "heads"],
        n + ["current"],
        n + ["history", "-r", "current:heads", "--indicate-current"],
        n + ["check"],
        n + ["downgrade", "-1"],
        n + ["downgrade", f"{ids[0]}"],
        n + ["current"],
        n + ["stamp", mid],
        n + ["current"],
        n + ["stamp", "heads"],
        n + ["stamp", "--purge", some],
        n + ["current"],
        n + ["downgrade", "base"],
        n + ["current"],
        n + ["upgrade", "base:heads", "--sql"],
        n + ["downgrade", f"heads:{ids[0]}", "--sql"],
        n + ["upgrade", "nosuchrev"],
        n + ["upgrade", ids[0][:2]],
        n + ["downgrade", "+2"],
        n + ["upgrade", mid],
        n + ["upgrade", "+2"],
        n + ["current"],
        n + ["downgrade", "-1"],
        n + ["upgrade", "heads"],
        # commands that write revision files (removed again after each side)
        n + ["revision", "-m", "plain", "--rev-id", f"{svc}0a0a0a0a0a", "--head", ids[-1]],
        n + ["merge", "heads", "-m", "merge all", "--rev-id", f"{svc}0b0b0b0b0b"],
        n + ["heads"],
        n + ["upgrade", "heads"],
        n + ["revision", "--autogenerate", "-m", "auto", "--rev-id", f"{svc}0c0c0c0c0c"],
        n + ["history", "-r", "-3:"],
        n + ["current"],
    ]
    return seq


def run_side(
    root: Path, backend: Backend, graphs: dict[str, list[Rev]], use_bridge: bool, seed: int, env_py: str | None = None
) -> list[Any]:
    if env_py is not None:
        (root / "migrations" / "env.py").write_text(env_py)
    if use_bridge:
        bridge.activate()
    else:
        bridge.deactivate()
    urls = {svc: backend.create(svc) for svc in graphs}
    for svc, url in urls.items():
        os.environ[f"BRIDGE_E2E_URL_{svc.upper()}"] = url
    record: list[Any] = []
    try:
        for svc, revs in graphs.items():
            for argv in commands(svc, revs, random.Random(seed)):
                out = run_alembic(root, argv)
                stdout = canon_labels(_stderr(out.stdout, urls))
                record.append(
                    (tuple(argv), out.code, stdout, _stderr(out.stderr, urls), db_state(urls[svc]), out.crashed)
                )
    finally:
        for svc in graphs:
            os.environ.pop(f"BRIDGE_E2E_URL_{svc.upper()}", None)
            for written in (root / "migrations" / "versions" / svc).glob(f"{svc}0[abc]0[abc]0[abc]0[abc]0[abc]_*.py"):
                written.unlink()
    return record


_LABEL_GROUP = re.compile(r"\(([^()]*, [^()]*)\)")
_BRANCH_NAMES = re.compile(r"^(\s*Branch names: )(.*)$", re.M)


def canon_labels(text: str) -> str:
    """Branch-label sets print in Python set order, which depends on the order labels
    were added (Alembic spreads them revision by revision): compare them as sets."""
    text = _LABEL_GROUP.sub(lambda m: "(" + ", ".join(sorted(m.group(1).split(", "))) + ")", text)
    return _BRANCH_NAMES.sub(lambda m: m.group(1) + ", ".join(sorted(m.group(2).split(", "))), text)


_CHECK_OPS = re.compile(r"(.*New upgrade operations detected: )\[(.*)\]\n?$", re.S)


def canon_ops(text: str) -> str:
    """Alembic's check lists the operations it found in the order of a Python set of table
    names, which also depends on the names that were in the set before filtering (the bridge's
    ledger table, left out by its include_name hook): compare them as a multiset."""
    m = _CHECK_OPS.match(text)
    if m is None:
        return text
    items = re.split(r", (?=\(')", m.group(2))
    return m.group(1) + "[" + ", ".join(sorted(items)) + "]\n"


def _stderr(text: str, urls: dict[str, str]) -> str:
    for svc, url in urls.items():
        text = text.replace(url, f"<{svc} url>").replace(url.rsplit("/", 1)[-1], f"<{svc} db>")
    return text


def compare(
    root: Path, backend: Backend, graphs: dict[str, list[Rev]], seed: int, bridge_env_py: str | None = None
) -> None:
    seed_env = (root / "migrations" / "env.py").read_text()
    stock = run_side(root, backend, graphs, False, seed, seed_env)
    bridged = run_side(root, backend, graphs, True, seed, bridge_env_py)
    assert len(stock) == len(bridged)
    for a, b in zip(stock, bridged, strict=False):
        argv = " ".join(a[0])
        if a[5] and not b[5]:
            # Stock Alembic fails with a traceback inside its revision map (an
            # AssertionError on some branchy graphs); the bridge fails with a message.
            assert b[1] != 0, f"`alembic {argv}`: stock crashed, the bridge did not fail"
            assert a[4] == b[4]
            continue
        assert a[1] == b[1], f"exit status of `alembic {argv}`: stock {a[1]}, bridge {b[1]}\n{a[3]}\n---\n{b[3]}"
        if "check" in a[0]:
            assert canon_ops(a[2]) == canon_ops(b[2]), f"stdout of `alembic {argv}` differs"
        elif "current" in a[0] and "history" not in a[0]:
            # several heads come out of a set of Script objects: address order in Alembic
            assert sorted(a[2].splitlines()) == sorted(b[2].splitlines()), f"stdout of `alembic {argv}` differs"
        else:
            assert a[2] == b[2], f"stdout of `alembic {argv}` differs"
        if "check" in a[0] or "--autogenerate" in a[0]:
            # the reflection warnings (e.g. PostgreSQL's "assuming SERIAL") come table by table in
            # the same set order as the operations
            def lines(t: str) -> list[str]:
                return sorted(canon_ops(ln).rstrip("\n") for ln in t.splitlines())

            assert lines(a[3]) == lines(b[3]), f"stderr of `alembic {argv}` differs"
        else:
            assert a[3] == b[3], f"stderr of `alembic {argv}` differs"
        assert a[4] == b[4], f"database state after `alembic {argv}` differs"


@pytest.mark.parametrize(
    ("branchy", "seed"), [(False, 1), (False, 2), (True, 1), (True, 2), (True, 3)], ids=lambda v: str(v)
)
def test_sqlite(tmp_path: Path, seed: int, branchy: bool, stock_and_bridge: None) -> None:
    root = tmp_path / "repo"
    graphs = write_repo(root, seed, services=2, revisions=9 if branchy else 6, branchy=branchy)
    compare(root, Backend(tmp_path), graphs, seed)


@pytest.mark.postgres
def test_postgresql(tmp_path: Path, stock_and_bridge: None) -> None:
    root = tmp_path / "repo"
    graphs = write_repo(root, 11, services=2, revisions=9, branchy=True)
    backend = PgBackend(tmp_path)
    try:
        compare(root, backend, graphs, 11)
    finally:
        backend.drop_all()


@pytest.mark.mysql
def test_mariadb(tmp_path: Path, stock_and_bridge: None) -> None:
    root = tmp_path / "repo"
    graphs = write_repo(root, 12, services=1, revisions=9, branchy=True)
    backend = MyBackend(tmp_path)
    try:
        compare(root, backend, graphs, 12)
    finally:
        backend.drop_all()


RUN_ENV_PY = "import monomig\n\nmonomig.run_env()\n"


@pytest.mark.parametrize("seed", [4, 5])
def test_run_env_matches_the_seed_env_py(tmp_path: Path, seed: int, stock_and_bridge: None) -> None:
    """The two-line env.py (monomig.run_env()) against the seed article's env.py on stock Alembic."""
    root = tmp_path / "repo"
    graphs = write_repo(root, seed, services=2, revisions=8, branchy=True)
    compare(root, Backend(tmp_path), graphs, seed, bridge_env_py=RUN_ENV_PY)


@pytest.mark.postgres
def test_run_env_postgresql(tmp_path: Path, stock_and_bridge: None) -> None:
    root = tmp_path / "repo"
    graphs = write_repo(root, 13, services=1, revisions=8, branchy=True)
    backend = PgBackend(tmp_path)
    try:
        compare(root, backend, graphs, 13, bridge_env_py=RUN_ENV_PY)
    finally:
        backend.drop_all()


def test_real_alembic_command(tmp_path: Path) -> None:
    """The `alembic` command itself (a process per command, PYTHONHASHSEED fixed): the
    seed env.py against the same env.py with `import monomig` (which also opts the
    project in for the commands that do not run env.py)."""
    import subprocess
    import sys

    root = tmp_path / "repo"
    graphs = write_repo(root, 21, services=1, revisions=8, branchy=True)
    ((svc, revs),) = graphs.items()
    bridged_env = (root / "migrations" / "env.py").read_text()
    stock_env = bridged_env.replace("import monomig  # the Alembic bridge\n", "")
    assert "monomig" not in stock_env
    alembic = str(Path(sys.executable).parent / "alembic")
    argvs = [
        ["heads"],
        ["branches"],
        ["history", "-v"],
        ["show", revs[3].revision],
        ["upgrade", "heads"],
        ["current"],
        ["downgrade", "base"],
        ["upgrade", "nosuchrev"],
    ]
    results = {}
    for side, env_text in (("stock", stock_env), ("bridge", bridged_env)):
        (root / "migrations" / "env.py").write_text(env_text)
        url = f"sqlite:///{tmp_path / (side + '.db')}"
        env = dict(os.environ, PYTHONHASHSEED="0", **{f"BRIDGE_E2E_URL_{svc.upper()}": url})
        out = []
        for argv in argvs:
            p = subprocess.run([alembic, "-n", svc, *argv], cwd=root, env=env, capture_output=True, text=True)
            out.append((argv, p.returncode, canon_labels(p.stdout), p.stderr, db_state(url)))
        results[side] = out
    for a, b in zip(results["stock"], results["bridge"], strict=False):
        if a[0] == ["current"]:
            # several heads come out of a set of Script objects (address order)
            a = (*a[:2], sorted(a[2].splitlines()), *a[3:])
            b = (*b[:2], sorted(b[2].splitlines()), *b[3:])
        assert a == b, f"`alembic -n {svc} {' '.join(a[0])}` differs"
