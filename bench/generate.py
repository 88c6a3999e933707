"""Generate the benchmark repositories: Alembic monorepos with thousands of revisions.

Every repository is laid out like the seed article's monorepo (and the demo at the
root of this project): one ``alembic.ini`` with a section per service, a shared
``migrations/env.py`` that takes the service from ``config.config_ini_section`` and
its URL from ``services/<service>/config.py`` (a SQLite file under ``var/``), and one
versions folder per service. Every revision does real DDL (create a table, add a
column, add an index...) and its downgrade reverses it.

Generation is deterministic (a seeded ``random.Random``); a repository is written
into a cache folder (``build/bench/<name>`` by default) and reused while the
generator's version and the repository's parameters are unchanged.

    python bench/generate.py              # every full-size repository
    python bench/generate.py --quick      # the small ones used by --quick runs and tests

The env.py of every repository can load monomig: with ``MONOMIG_BENCH_BRIDGE=1`` in
the environment it runs ``import monomig`` first (any other value names the module
to import instead), so one repository serves both stock and bridged runs.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import importlib.util
import json
import random
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

# Bump whenever the output of the generator changes: cached repositories are rebuilt.
GENERATOR_VERSION = 2

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CACHE = ROOT / "build" / "bench"
STAMP = ".monomig-bench.json"
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class RepoSpec:
    """One repository: ``services`` each with ``revisions`` revisions.

    ``merge_every`` = 0 gives a straight line; k >= 3 gives, after the first revision,
    blocks of k revisions: a short branch off the main line (1..k-2 revisions), the
    main line moving on meanwhile, and a merge revision joining both (so one merge
    every k revisions).

    ``label_every`` = j > 0 (with merges) gives the first revision of every j-th
    block's branch a branch label, as long-lived labelled branches do: Alembic
    spreads a label to every descendant, so after the merge each later revision
    carries all earlier labels (dozens of them, late in a long history).
    """

    name: str
    services: tuple[str, ...]
    revisions: int
    merge_every: int
    seed: int
    label_every: int = 0

    def to_json(self) -> dict:
        out = dataclasses.asdict(self)
        if not self.label_every:  # unlabelled repositories keep the stamps they had
            del out["label_every"]
        return out


def _fleet(count: int) -> tuple[str, ...]:
    width = max(2, len(str(count)))
    return tuple(f"svc{i:0{width}d}" for i in range(1, count + 1))


# Repositories by role. The runner's rows refer to these roles.
FULL: dict[str, RepoSpec] = {
    "linear_small": RepoSpec("linear-1000", ("svc",), 1000, 0, 1000),
    "linear": RepoSpec("linear-5000", ("svc",), 5000, 0, 5000),
    "merges": RepoSpec("merges-5000", ("svc",), 5000, 4, 5004),
    "fleet": RepoSpec("fleet-20x200", _fleet(20), 200, 0, 2020),
    "labels": RepoSpec("labels-5000", ("svc",), 5000, 4, 5025, label_every=25),
    # small repositories: `import monomig` must never make them slower
    "small_10": RepoSpec("linear-10", ("svc",), 10, 0, 10),
    "small_100": RepoSpec("linear-100", ("svc",), 100, 0, 100),
    # fleet growth: the same 20 revisions per service, 20 / 200 / 1,000 services
    "fleet_20": RepoSpec("fleet-20x20", _fleet(20), 20, 0, 2020),
    "fleet_200": RepoSpec("fleet-200x20", _fleet(200), 20, 0, 2200),
    # growth in revisions (make bench-full): 1,000 and 5,000 are linear_small / linear
    "linear_20k": RepoSpec("linear-20000", ("svc",), 20_000, 0, 20_000),
    "linear_50k": RepoSpec("linear-50000", ("svc",), 50_000, 0, 50_000),
    "fleet_1000": RepoSpec("fleet-1000x20", _fleet(1000), 20, 0, 3000),
}
QUICK: dict[str, RepoSpec] = {
    "linear_small": RepoSpec("quick-linear-20", ("svc",), 20, 0, 1000),
    "linear": RepoSpec("quick-linear-40", ("svc",), 40, 0, 5000),
    "merges": RepoSpec("quick-merges-41", ("svc",), 41, 4, 5004),
    "fleet": RepoSpec("quick-fleet-2x15", _fleet(2), 15, 0, 2020),
    "labels": RepoSpec("quick-labels-41", ("svc",), 41, 4, 5025, label_every=2),
    "small_10": RepoSpec("quick-linear-10", ("svc",), 10, 0, 10),
    "small_100": RepoSpec("quick-linear-30", ("svc",), 30, 0, 100),
    "fleet_200": RepoSpec("quick-fleet-6x5", _fleet(6), 5, 0, 2200),
}
# Only `make bench-full` (run.py --full) reads these.
FULL_ONLY = ("linear_20k", "linear_50k", "fleet_1000", "fleet_20")
# The smallest repositories of each shape, for the test of the runner itself (--quick --tiny).
TINY: dict[str, RepoSpec] = {
    "linear_small": RepoSpec("tiny-linear-3", ("svc",), 3, 0, 1000),
    "linear": RepoSpec("tiny-linear-5", ("svc",), 5, 0, 5000),
    "merges": RepoSpec("tiny-merges-9", ("svc",), 9, 4, 5004),
    "fleet": RepoSpec("tiny-fleet-2x3", _fleet(2), 3, 0, 2020),
    "labels": RepoSpec("tiny-labels-9", ("svc",), 9, 4, 5025, label_every=1),
}
# The runner's own test stays quick: these rows reuse repositories of the other rows.
TINY.update(small_10=TINY["linear_small"], small_100=TINY["linear"], fleet_200=TINY["fleet"])


# ---------------------------------------------------------------------------
# The revision graph


@dataclass
class Rev:
    """One generated revision."""

    seq: int  # creation order, 0-based (files sort in this order)
    rev: str
    parents: tuple[str, ...]
    created: dt.datetime
    message: str = ""
    kind: str = ""  # merge | create_table | add_column | add_indexed_column | create_index
    upgrade: list[str] = dataclasses.field(default_factory=list)
    downgrade: list[str] = dataclasses.field(default_factory=list)
    tables: tuple[str, ...] = ()  # the most recent tables of this revision's lineage
    labels: tuple[str, ...] = ()  # branch_labels as declared

    @property
    def filename(self) -> str:
        c = self.created
        slug = "_".join(self.message.lower().replace(",", "").split())[:40].rstrip("_")
        return f"{c.year}_{c.month:02d}_{c.day:02d}_{c.hour:02d}{c.minute:02d}-{self.rev}_{slug}.py"


NOUNS = (
    "account",
    "address",
    "audit",
    "batch",
    "cart",
    "coupon",
    "customer",
    "device",
    "event",
    "invoice",
    "item",
    "job",
    "ledger",
    "message",
    "note",
    "order",
    "payment",
    "plan",
    "product",
    "refund",
    "report",
    "review",
    "session",
    "shipment",
    "tag",
    "task",
    "team",
    "ticket",
    "token",
    "user",
    "vendor",
    "webhook",
)
FIELDS = (
    "amount",
    "code",
    "comment",
    "country",
    "currency",
    "email",
    "external_id",
    "flags",
    "kind",
    "label",
    "locale",
    "notes",
    "phone",
    "priority",
    "quantity",
    "reason",
    "ref",
    "score",
    "source",
    "state",
    "status",
    "summary",
    "title",
    "url",
)
COLUMN_TYPES = (
    "sa.String(length=50)",
    "sa.String(length=255)",
    "sa.Integer()",
    "sa.DateTime()",
    "sa.Text()",
    "sa.Boolean()",
    "sa.Numeric(precision=10, scale=2)",
)
KEEP_TABLES = 8  # how many recent tables of a lineage later revisions may alter


def build_graph(revisions: int, merge_every: int, rng: random.Random, label_every: int = 0) -> list[Rev]:
    """The revisions of one service, in creation order (which is also file order)."""
    if revisions < 1:
        raise ValueError("a service needs at least one revision")
    if merge_every and merge_every < 3:
        raise ValueError("merge_every must be 0 (linear) or at least 3")
    ids: set[str] = set()
    clock = dt.datetime(2019, 1, 7, 9, 0, 0)
    out: list[Rev] = []
    by_id: dict[str, Rev] = {}

    def new(parents: tuple[str, ...]) -> Rev:
        nonlocal clock
        while True:
            rev = f"{rng.getrandbits(48):012x}"
            if rev not in ids and not rev.isdigit():
                break
        ids.add(rev)
        clock += dt.timedelta(minutes=rng.randint(7, 900), seconds=rng.randint(0, 59))
        created = clock.replace(microsecond=rng.randint(0, 999_999))
        r = Rev(seq=len(out), rev=rev, parents=parents, created=created)
        _add_ddl(r, [by_id[p] for p in parents], rng)
        out.append(r)
        by_id[rev] = r
        return r

    main = [new(())]  # the main line: the root, linear revisions and merges
    blocks = 0
    while len(out) < revisions:
        remaining = revisions - len(out)
        if not merge_every or remaining < merge_every:
            main.append(new((main[-1].rev,)))
            continue
        body = merge_every - 1  # revisions in the block besides the merge
        branch_len = rng.randint(1, body - 1)
        fork = rng.choice(main[-3:])  # off the tip, or a little behind it
        branch_tip, main_tip = fork, main[-1]
        todo = ["b"] * branch_len + ["m"] * (body - branch_len)
        rng.shuffle(todo)  # both lines move on at the same time
        label = f"{NOUNS[blocks % len(NOUNS)]}_line_{blocks:04d}" if label_every and blocks % label_every == 0 else ""
        blocks += 1
        for which in todo:
            if which == "b":
                branch_tip = new((branch_tip.rev,))
                if label:  # no random draw: unlabelled repositories stay byte-identical
                    branch_tip.labels, label = (label,), ""
            else:
                main_tip = new((main_tip.rev,))
        parents = [main_tip.rev, branch_tip.rev]
        rng.shuffle(parents)
        main.append(new(tuple(parents)))
    return out


def _add_ddl(r: Rev, parents: list[Rev], rng: random.Random) -> None:
    """Give the revision its message and real DDL; downgrade reverses upgrade."""
    lineage: list[str] = []
    for p in parents:  # tables created by ancestors exist whatever the run order
        for t in p.tables:
            if t not in lineage:
                lineage.append(t)
    n = r.seq
    if len(parents) > 1:
        table = rng.choice(lineage)
        index = f"ix_{table}_name_{n:05d}"
        r.message, r.kind = "merge heads", "merge"
        r.upgrade = [f"op.create_index({index!r}, {table!r}, ['name'], unique=False)"]
        r.downgrade = [f"op.drop_index({index!r}, table_name={table!r})"]
        r.tables = tuple(lineage[-KEEP_TABLES:])
        return
    roll = rng.random() if lineage else 0.0
    if roll < 0.3:
        table = f"{rng.choice(NOUNS)}_{n:05d}"
        r.message, r.kind = f"create {table} table", "create_table"
        r.upgrade = [
            "op.create_table(",
            f"    {table!r},",
            "    sa.Column('id', sa.Integer(), nullable=False),",
            "    sa.Column('name', sa.String(length=100), nullable=False),",
            "    sa.Column('created_at', sa.DateTime(), nullable=True),",
            "    sa.PrimaryKeyConstraint('id'),",
            ")",
        ]
        r.downgrade = [f"op.drop_table({table!r})"]
        lineage.append(table)
    elif roll < 0.7:
        table = rng.choice(lineage)
        column = f"{rng.choice(FIELDS)}_{n:05d}"
        r.message, r.kind = f"add {column} to {table}", "add_column"
        r.upgrade = [f"op.add_column({table!r}, sa.Column({column!r}, {rng.choice(COLUMN_TYPES)}, nullable=True))"]
        r.downgrade = [f"op.drop_column({table!r}, {column!r})"]
    elif roll < 0.85:
        table = rng.choice(lineage)
        column = f"{rng.choice(FIELDS)}_{n:05d}"
        index = f"ix_{table}_{column}"
        r.message, r.kind = f"add indexed {column} to {table}", "add_indexed_column"
        r.upgrade = [
            f"op.add_column({table!r}, sa.Column({column!r}, sa.String(length=64), nullable=True))",
            f"op.create_index(op.f({index!r}), {table!r}, [{column!r}], unique=False)",
        ]
        r.downgrade = [
            f"op.drop_index(op.f({index!r}), table_name={table!r})",
            f"op.drop_column({table!r}, {column!r})",
        ]
    else:
        table = rng.choice(lineage)
        index = f"ix_{table}_name_{n:05d}"
        r.message, r.kind = f"index {table} name", "create_index"
        r.upgrade = [f"op.create_index({index!r}, {table!r}, ['name'], unique=False)"]
        r.downgrade = [f"op.drop_index({index!r}, table_name={table!r})"]
    r.tables = tuple(lineage[-KEEP_TABLES:])


# ---------------------------------------------------------------------------
# Files


def render_revision(r: Rev) -> str:
    """The revision file as `alembic revision` would write it from script.py.mako."""
    if not r.parents:
        down_doc, down_py = "", "None"
    elif len(r.parents) == 1:
        down_doc, down_py = r.parents[0], repr(r.parents[0])
    else:
        down_doc, down_py = ", ".join(r.parents), repr(tuple(r.parents))
    labels_py = repr(r.labels) if r.labels else "None"
    upgrade = "\n".join("    " + line for line in r.upgrade) if r.upgrade else "    pass"
    downgrade = "\n".join("    " + line for line in r.downgrade) if r.downgrade else "    pass"
    return f'''"""{r.message}

Revision ID: {r.rev}
Revises: {down_doc}
Create Date: {r.created.isoformat(" ")}

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = {r.rev!r}
down_revision: Union[str, Sequence[str], None] = {down_py}
branch_labels: Union[str, Sequence[str], None] = {labels_py}
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    # ### commands auto generated by Alembic - please adjust! ###
{upgrade}
    # ### end Alembic commands ###


def downgrade() -> None:
    """Downgrade schema."""
    # ### commands auto generated by Alembic - please adjust! ###
{downgrade}
    # ### end Alembic commands ###
'''


def render_ini(services: tuple[str, ...]) -> str:
    logging = _env_templates().INI_LOGGING
    sections = "\n".join(
        f"[{s}]\nversion_locations = ./migrations/versions/{s}\nscript_location = ./migrations\n" for s in services
    )
    return f"""# Generated by monomig's bench/generate.py: a monorepo laid out as in "Managing
# Database Migrations for Multiple Services in a Monorepo with Alembic".
#
#   alembic -n {services[0]} upgrade head

[alembic]
# Fallback URL for a service whose config.py has no DB_URL.
sqlalchemy.url = driver://user:pass@localhost/defaultdb

databases = {", ".join(services)}

[DEFAULT]
script_location = migrations
prepend_sys_path = .
path_separator = os
file_template = %%(year)d_%%(month).2d_%%(day).2d_%%(hour).2d%%(minute).2d-%%(rev)s_%%(slug)s

{sections}
[post_write_hooks]

{logging}"""


def _env_templates():
    """tests/support/env_templates.py, the one source of the generated env.py files."""
    path = Path(__file__).resolve().parent.parent / "tests" / "support" / "env_templates.py"
    spec = importlib.util.spec_from_file_location("monomig_env_templates", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The seed article's env.py, with the benchmark's MONOMIG_BENCH_BRIDGE switch.
ENV_PY = _env_templates().seed_env_py(bench_bridge=True)

SCRIPT_MAKO = '''"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
${imports if imports else ""}

# revision identifiers, used by Alembic.
revision: str = ${repr(up_revision)}
down_revision: Union[str, Sequence[str], None] = ${repr(down_revision)}
branch_labels: Union[str, Sequence[str], None] = ${repr(branch_labels)}
depends_on: Union[str, Sequence[str], None] = ${repr(depends_on)}


def upgrade() -> None:
    """Upgrade schema."""
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    """Downgrade schema."""
    ${downgrades if downgrades else "pass"}
'''


def _service_config(service: str) -> str:
    return f'''"""{service}'s settings. DB_URL is read by migrations/env.py."""

from sqlalchemy.engine import make_url

# A SQLite file under the repository, relative to the folder alembic.ini is in
# (every command runs from there).
DB_URL = make_url("sqlite:///var/{service}.db")
'''


def _service_models(service: str) -> str:
    return f'''"""{service}'s models (none declared: the benchmark's migrations are hand-written)."""

from sqlalchemy import MetaData

metadata = MetaData()
'''


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def write_repo(spec: RepoSpec, dest: Path) -> dict:
    """Write the repository into ``dest`` (which must not exist); returns the manifest."""
    rng = random.Random(spec.seed)
    dest.mkdir(parents=True)
    _write(dest / "alembic.ini", render_ini(spec.services))
    _write(dest / "migrations" / "env.py", ENV_PY)
    _write(dest / "migrations" / "script.py.mako", SCRIPT_MAKO)
    _write(dest / "services" / "__init__.py", "")
    (dest / "var").mkdir()
    manifest: dict = {"generator_version": GENERATOR_VERSION, "spec": spec.to_json(), "services": {}}
    for service in spec.services:
        _write(dest / "services" / service / "__init__.py", "")
        _write(dest / "services" / service / "config.py", _service_config(service))
        _write(dest / "services" / service / "models.py", _service_models(service))
        versions = dest / "migrations" / "versions" / service
        versions.mkdir(parents=True)
        revs = build_graph(spec.revisions, spec.merge_every, rng, spec.label_every)
        for r in revs:
            (versions / r.filename).write_text(render_revision(r), encoding="utf-8")
        has_child = {p for r in revs for p in r.parents}
        manifest["services"][service] = {
            "versions": f"migrations/versions/{service}",
            "database": f"var/{service}.db",
            "revisions": len(revs),
            "merges": sum(1 for r in revs if len(r.parents) > 1),
            "labels": [label for r in revs for label in r.labels],
            "heads": [r.rev for r in revs if r.rev not in has_child],
            "bases": [r.rev for r in revs if not r.parents],
            # what `upgrade head` creates: tables (id, name, created_at), columns added, indexes
            "tables_created": sum(1 for r in revs if r.kind == "create_table"),
            "columns_added": sum(1 for r in revs if r.kind in ("add_column", "add_indexed_column")),
            "indexes_created": sum(1 for r in revs if r.kind in ("merge", "add_indexed_column", "create_index")),
        }
    _write(dest / MANIFEST, json.dumps(manifest, indent=2) + "\n")
    return manifest


def ensure_repo(spec: RepoSpec, cache: Path = DEFAULT_CACHE) -> Path:
    """The repository for ``spec`` under ``cache``, generated unless a current copy exists."""
    dest = cache / spec.name
    stamp = json.loads(json.dumps({"generator_version": GENERATOR_VERSION, "spec": spec.to_json()}))
    try:
        if json.loads((dest / STAMP).read_text()) == stamp:
            return dest
    except (OSError, ValueError):
        pass
    if dest.exists():
        shutil.rmtree(dest)
    tmp = cache / f".{spec.name}.tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    write_repo(spec, tmp)
    (tmp / STAMP).write_text(json.dumps(stamp, indent=2) + "\n")
    tmp.rename(dest)  # only complete repositories ever appear under their name
    return dest


def load_manifest(repo: Path) -> dict:
    return json.loads((repo / MANIFEST).read_text())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="the small repositories of --quick runs")
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help=f"default: {DEFAULT_CACHE}")
    ap.add_argument(
        "--all",
        action="store_true",
        help="also the large ones of `make bench-full` (20,000 and "
        "50,000 revisions, 1,000 services: minutes and about 1 GB)",
    )
    args = ap.parse_args(argv)
    for role, spec in (QUICK if args.quick else FULL).items():
        if not args.all and role in FULL_ONLY:
            continue
        repo = ensure_repo(spec, args.cache)
        m = load_manifest(repo)
        total = sum(s["revisions"] for s in m["services"].values())
        merges = sum(s["merges"] for s in m["services"].values())
        print(f"{role:13} {repo}  ({len(m['services'])} service(s), {total} revisions, {merges} merges)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
