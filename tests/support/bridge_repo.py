"""Generated monorepos for the bridge's differential tests, and an in-process Alembic
command runner that captures what the `alembic` command would print.

A repository has one ``alembic.ini`` with a section per service, a shared
``migrations/env.py`` in the seed article's style with ``import monomig`` added, a
versions folder per service and ``services/<svc>/config.py`` whose ``DB_URL`` comes
from the environment variable ``BRIDGE_E2E_URL_<SVC>`` (so one repository serves
both sides of a comparison, each with its own databases).
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

from support.env_templates import INI_LOGGING, seed_env_py

REPO = Path(__file__).resolve().parent.parent.parent


@dataclass
class Rev:
    revision: str
    down: list[str]
    depends_on: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    message: str = ""
    dynamic: bool = False  # down_revision computed at import time: monomig must import the file


def build_graph(rng: random.Random, n: int, branchy: bool, prefix: str) -> list[Rev]:
    """A revision graph in file order: linear, or with branches, merges, labels, depends_on."""
    revs: list[Rev] = []
    heads: list[str] = []
    used: set[str] = set()
    label_no = 0

    def new_id() -> str:
        while True:
            rid = "%012x" % rng.getrandbits(48)
            if rid[:4] not in used:
                used.add(rid[:4])
                return rid

    for i in range(n):
        rid = new_id()
        if not revs:
            r = Rev(rid, [], labels=[f"{prefix}_main"] if branchy else [])
            heads = [rid]
        elif not branchy:
            r = Rev(rid, [revs[-1].revision])
            heads = [rid]
        else:
            roll = rng.random()
            if roll < 0.2 and len(revs) >= 2:
                # a new branch from an older revision, with a label
                parent = rng.choice(revs[:-1]).revision
                label_no += 1
                r = Rev(rid, [parent], labels=[f"{prefix}_b{label_no}"])
                if parent in heads:
                    heads.remove(parent)
                heads.append(rid)
            elif roll < 0.4 and len(heads) >= 2:
                a, b = rng.sample(heads, 2)
                r = Rev(rid, [a, b])
                heads = [h for h in heads if h not in (a, b)] + [rid]
            else:
                parent = rng.choice(heads)
                r = Rev(rid, [parent])
                heads[heads.index(parent)] = rid
            if rng.random() < 0.15 and len(revs) >= 3:
                dep = rng.choice(revs[:-1]).revision
                if dep not in r.down:
                    r.depends_on = [dep]
        r.message = f"step {i} of {prefix}"
        r.dynamic = rng.random() < 0.1
        revs.append(r)
    return revs


def _render(r: Rev, svc: str) -> str:
    def val(v: list[str]) -> str:
        if not v:
            return "None"
        if len(v) == 1:
            return repr(v[0])
        return repr(tuple(v))

    table = f"t_{r.revision}"
    return f'''"""{r.message}

Revision ID: {r.revision}
Revises: {", ".join(r.down)}
"""
from alembic import op
import sqlalchemy as sa

revision = {r.revision!r}
down_revision = {"(lambda: " + val(r.down) + ")()" if r.dynamic else val(r.down)}
branch_labels = {val(r.labels)}
depends_on = {val(r.depends_on)}


def upgrade() -> None:
    op.create_table("{table}", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("{table}")
'''


INI = """[alembic]
databases = {services}

[DEFAULT]
script_location = migrations
prepend_sys_path = .
path_separator = os

{sections}
{logging}"""


def write_repo(
    root: Path, seed: int, services: int = 2, revisions: int = 10, branchy: bool = True
) -> dict[str, list[Rev]]:
    rng = random.Random(seed)
    names = [f"svc{i}" for i in range(1, services + 1)]
    sections = "".join(
        f"[{s}]\nversion_locations = ./migrations/versions/{s}\nscript_location = ./migrations\n\n" for s in names
    )
    root.mkdir(parents=True, exist_ok=True)
    (root / "alembic.ini").write_text(INI.format(services=", ".join(names), sections=sections, logging=INI_LOGGING))
    mig = root / "migrations"
    (mig / "versions").mkdir(parents=True, exist_ok=True)
    (mig / "env.py").write_text(seed_env_py(bridge_import=True))
    (mig / "script.py.mako").write_text((REPO / "migrations" / "script.py.mako").read_text())
    (root / "services").mkdir(exist_ok=True)
    (root / "services" / "__init__.py").write_text("")
    graphs: dict[str, list[Rev]] = {}
    for s in names:
        revs = build_graph(rng, revisions, branchy, s)
        graphs[s] = revs
        vdir = mig / "versions" / s
        vdir.mkdir(parents=True, exist_ok=True)
        for i, r in enumerate(revs):
            (vdir / f"{i:03d}_{r.revision}_step.py").write_text(_render(r, s))
        pkg = root / "services" / s
        pkg.mkdir(exist_ok=True)
        (pkg / "__init__.py").write_text("")
        (pkg / "config.py").write_text(
            "import os\nfrom sqlalchemy.engine import make_url\n\n"
            f"DB_URL = make_url(os.environ['BRIDGE_E2E_URL_{s.upper()}'])\n"
        )
        (pkg / "models.py").write_text("import sqlalchemy as sa\n\nmetadata = sa.MetaData()\n")
    return graphs


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    crashed: bool = False  # a traceback (not a CommandError), as stock Alembic does on some graphs


def forget_repository_modules() -> None:
    """A fresh `alembic` process imports the repository's own modules anew (and finds
    them through prepend_sys_path's relative "." in the current directory); other tests
    must not see them either."""
    for name in [m for m in sys.modules if m == "services" or m.startswith("services.")]:
        del sys.modules[name]
    for key in [k for k in sys.path_importer_cache if not os.path.isabs(k)]:
        del sys.path_importer_cache[key]
    importlib.invalidate_caches()


def run_alembic(root: Path, argv: list[str]) -> Outcome:
    """``alembic ARGV`` in this process, from ``root``; what it prints and its exit status."""
    from alembic.config import CommandLine, Config

    forget_repository_modules()
    out, err = io.StringIO(), io.StringIO()
    cwd = os.getcwd()
    path = list(sys.path)
    code = 0
    crashed = False
    os.chdir(root)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                cl = CommandLine(prog="alembic")
                options = cl.parser.parse_args(argv)
                if hasattr(cl, "_inis_from_config"):  # Alembic 1.16 on: an ini and a pyproject.toml
                    toml, ini = cl._inis_from_config(options)
                    cfg = Config(file_=ini, toml_file=toml, ini_section=options.name, cmd_opts=options, stdout=out)
                else:  # up to 1.15: one ini file, as that CommandLine.main builds it
                    cfg = Config(file_=options.config, ini_section=options.name, cmd_opts=options, stdout=out)
                cl.run_cmd(cfg, options)
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else 1
            except Exception as e:  # noqa: BLE001  (stock Alembic's tracebacks)
                code = 1
                crashed = True
                err.write(f"{type(e).__name__}: {e}\n")
    finally:
        os.chdir(cwd)
        sys.path[:] = path
        forget_repository_modules()
    return Outcome(code, out.getvalue(), err.getvalue(), crashed)
