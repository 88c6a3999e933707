"""`monomig test` beside pytest-alembic on the same services: its default tests
(single head, upgrade, model definitions match DDL, up/down consistency) against the
same four `monomig test` checks (single_head, upgrade, models_match, roundtrip).

    python bench/migtest.py                 # a generated service of 200 revisions, and 5 services x 200
    python bench/migtest.py --quick         # 20 revisions, 2 services (a smoke test)
    python bench/migtest.py --reps 3

Both sides run from the repository's root, on SQLite: pytest-alembic once per service
(as a project runs it: `pytest` on a file importing its four default tests, with the service's section chosen by
its `alembic_config` fixture and a fresh SQLite file from `alembic_engine`), monomig
once for all (`monomig test --backend sqlite --only ...`, services in parallel). The
repository is the benchmark generator's (bench/generate.py: real DDL in every revision,
reversed by its downgrade) with one env.py for both: it migrates the connection
pytest-alembic hands it, or else runs `monomig.run_env()`. The models are the schema at
heads reflected from SQLite, so `models_match` has nothing to find on either side.
Runs alternate (A B A B, after one warm-up of each); the table shows medians.
`bench/run.py` shows the same rows (`test-200`, `test-fleet`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate

BIN = Path(sys.executable).parent
CHECKS = ("single_head", "upgrade", "models_match", "roundtrip")

ENV_PY = '''"""Both sides' env.py: pytest-alembic's connection when it hands one, else monomig.run_env()."""
import importlib

from alembic import context

connectable = context.config.attributes.get("connection")  # pytest-alembic's engine
if connectable is not None:
    service = context.config.config_ini_section
    metadata = importlib.import_module(f"services.{service}.models").metadata
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata)
        with context.begin_transaction():
            context.run_migrations()
else:
    import monomig

    monomig.run_env()
'''

MODELS_PY = '''"""The schema at heads, reflected (the generated revisions have no models of their own)."""
import pathlib

import sqlalchemy as sa

metadata = sa.MetaData()
_engine = sa.create_engine(f"sqlite:///{pathlib.Path(__file__).with_name('head.db')}")
metadata.reflect(_engine)
_engine.dispose()
for _name in ("alembic_version", "alembic_version_log"):  # Alembic's version table, monomig's ledger
    if _name in metadata.tables:
        metadata.remove(metadata.tables[_name])
'''

CONFTEST = """import os

import alembic.config
import pytest
import sqlalchemy as sa


def pytest_addoption(parser):
    parser.addoption("--bench-service", help="the service (ini section) to test")


@pytest.fixture
def alembic_config(request):
    service = request.config.getoption("--bench-service") or os.environ["BENCH_SERVICE"]
    return alembic.config.Config("alembic.ini", ini_section=service)


@pytest.fixture
def alembic_engine(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path}/test.db")
    yield engine
    engine.dispose()
"""


TEST_FILE = (
    "from pytest_alembic.tests import (  # noqa: F401\n"
    "    test_model_definitions_match_ddl,\n    test_single_head_revision,\n"
    "    test_up_down_consistency,\n    test_upgrade,\n)\n"
)


def build(dest: Path, services: int, revisions: int) -> list[str]:
    """The repository: the generator's, with the env.py, models and conftest above."""
    names = tuple(f"svc{i:02d}" for i in range(1, services + 1))
    if dest.exists():
        shutil.rmtree(dest)
    generate.write_repo(generate.RepoSpec(dest.name, names, revisions, 0, 7000 + revisions), dest)
    (dest / "migrations" / "env.py").write_text(ENV_PY)
    # the repository is pytest's rootdir; pytest-alembic's own collector (it fails on pytest 9:
    # 'TestCollector' object has no attribute '_nodeid') bound to a file that does not exist
    (dest / "pytest.ini").write_text("[pytest]\npytest_alembic_tests_path = tests/none.py\n")
    (dest / "tests").mkdir()
    (dest / "tests" / "conftest.py").write_text(CONFTEST)
    # pytest-alembic's default tests, imported as its docs show (its `--test-alembic`
    # collector fails on pytest 9: 'TestCollector' object has no attribute '_nodeid')
    (dest / "tests" / "test_migrations.py").write_text(TEST_FILE)
    for name in names:
        head = dest / "services" / name / "head.db"
        env = {**os.environ, f"MONOMIG_URL_{name.upper()}": f"sqlite:///{head}"}
        p = subprocess.run(
            [str(BIN / "alembic"), "-n", name, "upgrade", "heads"], cwd=dest, env=env, capture_output=True, text=True
        )
        if p.returncode != 0:
            raise SystemExit(f"`alembic -n {name} upgrade heads` failed in {dest}:\n{p.stderr[-3000:]}")
        (dest / "services" / name / "models.py").write_text(MODELS_PY)
    return list(names)


#: bench/run.py's repositories for its `test-*` rows, by mode: role -> (services, revisions).
SIZES = {
    "full": {"migtest": (1, 200), "migtest_fleet": (5, 200)},
    "quick": {"migtest": (1, 20), "migtest_fleet": (2, 20)},
    "tiny": {"migtest": (1, 3), "migtest_fleet": (2, 3)},
}
ROLES = ("migtest", "migtest_fleet", "migtest_demo")
#: The two sides of bench/run.py's rows: pytest-alembic once per service, monomig once.
STOCK_ROW = (
    "python",
    "-m",
    "pytest",
    "tests",
    "-q",
    "-p",
    "no:cacheprovider",
    "-p",
    "no:monomig",
    "--bench-service={svc}",
)
MONOMIG_ROW = ("monomig", "test", "--backend", "sqlite", *(a for c in CHECKS for a in ("--only", c)))


def demo(dest: Path) -> list[str]:
    """The demo monorepo of this repository (its alembic.ini, migrations, models), with the
    env.py and conftest above: the same services for both sides."""
    root = generate.ROOT
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    shutil.copy(root / "alembic.ini", dest / "alembic.ini")
    shutil.copytree(root / "migrations", dest / "migrations", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(root / "services", dest / "services", ignore=shutil.ignore_patterns("__pycache__"))
    (dest / "migrations" / "env.py").write_text(ENV_PY)
    (dest / "pytest.ini").write_text("[pytest]\npytest_alembic_tests_path = tests/none.py\n")
    (dest / "tests").mkdir()
    (dest / "tests" / "conftest.py").write_text(CONFTEST)
    (dest / "tests" / "test_migrations.py").write_text(TEST_FILE)
    return ["service_one", "service_two"]


def ensure(role: str, mode: str, cache: Path) -> tuple[Path, dict]:
    """bench/run.py's repository for ``role``: built once (kept while its size is the same)."""
    import json

    if role == "migtest_demo":
        repo = cache / "migtest-demo"
        services = demo(repo)
        return repo, {"spec": {"name": repo.name, "services": len(services)}, "services": {s: {} for s in services}}
    count, n = SIZES[mode][role]
    repo = cache / f"migtest-{count}x{n}"
    stamp = repo / ".migtest.json"
    # "layout" changes whenever what build() writes does: a cached repository is rebuilt
    manifest = {
        "spec": {"name": repo.name, "services": count, "revisions": n, "layout": 2},
        "services": {f"svc{i:02d}": {} for i in range(1, count + 1)},
    }

    if not (stamp.exists() and json.loads(stamp.read_text()) == manifest):
        build(repo, count, n)
        stamp.write_text(json.dumps(manifest))
    return repo, manifest


def stock_cmds(services: list[str]) -> list[tuple[list[str], dict[str, str]]]:
    return [
        (
            [sys.executable, "-m", "pytest", "tests", "-q", "-p", "no:cacheprovider", "-p", "no:monomig"],
            {"BENCH_SERVICE": s},
        )
        for s in services
    ]


def monomig_cmds(services: list[str]) -> list[tuple[list[str], dict[str, str]]]:
    only = [a for c in CHECKS for a in ("--only", c)]
    return [([str(BIN / "monomig"), "test", "--backend", "sqlite", *only], {})]


def timed(cmds: list[tuple[list[str], dict[str, str]]], cwd: Path) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system of the children) of the commands."""
    import resource

    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    for cmd, extra in cmds:
        p = subprocess.run(cmd, cwd=cwd, env={**os.environ, **extra}, capture_output=True, text=True)
        if p.returncode != 0:
            raise SystemExit(f"`{' '.join(cmd)}` failed ({p.returncode}):\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}")
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.perf_counter() - t0, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def compare(repo: Path, services: list[str], reps: int) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    stock, mono = stock_cmds(services), monomig_cmds(services)
    timed(stock, repo)  # warm-up: bytecode, page cache
    timed(mono, repo)
    s_runs, m_runs = [], []
    for _ in range(reps):
        s_runs.append(timed(stock, repo))
        m_runs.append(timed(mono, repo))
    return s_runs, m_runs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="20 revisions, 2 services")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--cache", type=Path, default=generate.DEFAULT_CACHE)
    args = ap.parse_args(argv)
    n = 20 if args.quick else 200
    cases = [
        (f"test-{n}", 1, f"1 service x {n} revisions"),
        ("test-fleet", 2 if args.quick else 5, f"{2 if args.quick else 5} services x {n}"),
    ]
    print("| row | repository | pytest-alembic: wall (CPU) | monomig test: wall (CPU) | ratio wall (CPU) |")
    print("| --- | --- | --- | --- | --- |")
    for key, count, label in cases:
        repo = args.cache / f"migtest-{count}x{n}"
        services = build(repo, count, n)
        s, m = compare(repo, services, args.reps)
        sw, sc = (statistics.median(x[i] for x in s) for i in (0, 1))
        mw, mc = (statistics.median(x[i] for x in m) for i in (0, 1))
        print(
            f"| {key} | {label} | {sw:.2f} s ({sc:.2f} s) | {mw:.2f} s ({mc:.2f} s) | "
            f"{sw / mw:.1f}x ({sc / mc:.1f}x) |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
