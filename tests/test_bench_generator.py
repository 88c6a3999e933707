"""The benchmark's generated repositories, checked on small sizes against stock Alembic,
and the benchmark runner's --quick smoke run (on the tiny repositories of --tiny).

The repositories must be what the benchmark claims: Alembic loads them, `heads` and
`history` show the intended shape (one head, the right number of merges), and every
revision's DDL really runs on SQLite up to head and back down to base.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import re
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ALEMBIC = str(BIN / "alembic")


def _load_generator():
    spec = importlib.util.spec_from_file_location("monomig_bench_generate", REPO / "bench" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


gen = _load_generator()

# Small repositories of every shape the benchmark uses, plus an odd merge period.
SMALL = {
    "linear": gen.RepoSpec("t-linear-20", ("svc",), 20, 0, 11),
    "merges": gen.RepoSpec("t-merges-41", ("svc",), 41, 4, 12),
    "merges5": gen.RepoSpec("t-merges5-23", ("svc",), 23, 5, 13),
    "fleet": gen.RepoSpec("t-fleet-3x12", ("svc01", "svc02", "svc03"), 12, 0, 14),
}


@pytest.fixture(scope="module")
def repos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    cache = tmp_path_factory.mktemp("bench-cache")
    return {role: gen.ensure_repo(spec, cache) for role, spec in SMALL.items()}


def _config(repo: Path, service: str, buf: io.StringIO) -> Config:
    return Config(str(repo / "alembic.ini"), ini_section=service, stdout=buf)


def _alembic(repo: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("MONOMIG_BENCH_BRIDGE", "ALEMBIC_CONFIG")}
    return subprocess.run([ALEMBIC, *args], cwd=repo, env=env, capture_output=True, text=True, timeout=300)


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


# ---------------------------------------------------------------------------
# Generator


def test_generation_is_deterministic(tmp_path: Path) -> None:
    spec = SMALL["merges"]
    a = gen.ensure_repo(spec, tmp_path / "a")
    b = gen.ensure_repo(spec, tmp_path / "b")
    files_a, files_b = _tree(a), _tree(b)
    assert files_a == files_b
    assert sum(1 for name in files_a if name.startswith("migrations/versions/svc/")) == spec.revisions


def test_cache_is_reused_until_parameters_or_version_change(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = SMALL["linear"]
    repo = gen.ensure_repo(spec, tmp_path)
    sentinel = repo / "var" / "kept.txt"
    sentinel.write_text("x")
    assert gen.ensure_repo(spec, tmp_path) == repo and sentinel.exists()  # reused as is

    monkeypatch.setattr(gen, "GENERATOR_VERSION", gen.GENERATOR_VERSION + 1)
    assert gen.ensure_repo(spec, tmp_path) == repo and not sentinel.exists()  # rebuilt
    sentinel.write_text("x")
    other = gen.RepoSpec(spec.name, spec.services, spec.revisions, spec.merge_every, spec.seed + 1)
    assert gen.ensure_repo(other, tmp_path) == repo and not sentinel.exists()  # rebuilt
    assert not list(tmp_path.glob(".*.tmp"))


def test_revision_files_look_generated_by_alembic(repos: dict[str, Path]) -> None:
    versions = repos["merges"] / "migrations" / "versions" / "svc"
    names = sorted(p.name for p in versions.glob("*.py"))
    merge = next(p for p in versions.glob("*merge_heads.py"))
    text = merge.read_text()
    assert text.startswith('"""merge heads\n\nRevision ID: ')
    assert "\nRevises: " in text and "\nCreate Date: " in text
    assert "\nrevision: str = '" in text
    assert "\ndown_revision: Union[str, Sequence[str], None] = ('" in text
    assert "\ndef upgrade() -> None:" in text and "\ndef downgrade() -> None:" in text
    for name in names:  # YYYY_MM_DD_HHMM-<12 hex>_<slug>.py
        rev = name.split("-", 1)[1].split("_", 1)[0]
        assert len(rev) == 12 and int(rev, 16) >= 0, name
    env_py = (repos["merges"] / "migrations" / "env.py").read_text()
    assert 'os.environ.get("MONOMIG_BENCH_BRIDGE")' in env_py
    assert "config.config_ini_section" in env_py and "services.{service}.config" in env_py


def test_labelled_branches_spread_to_every_later_revision(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The label-heavy shape (issue 20): a label on every j-th branch, each carried on by every descendant."""
    spec = gen.RepoSpec("t-labels-41", ("svc",), 41, 4, 15, label_every=2)
    repo = gen.ensure_repo(spec, tmp_path)
    info = gen.load_manifest(repo)["services"]["svc"]
    assert len(info["labels"]) == 5 and len(set(info["labels"])) == 5  # blocks 0, 2, 4, 6, 8 of 10
    monkeypatch.chdir(repo)
    script = ScriptDirectory.from_config(_config(repo, "svc", io.StringIO()))
    declared = {r.revision: set(r._orig_branch_labels) for r in script.walk_revisions() if r._orig_branch_labels}
    assert sorted(label for labels in declared.values() for label in labels) == sorted(info["labels"])
    head = script.get_revision(info["heads"][0])
    assert head.branch_labels == set(info["labels"])  # every branch merged back: the head carries them all
    unlabelled = gen.RepoSpec("t-merges-41", ("svc",), 41, 4, 15)
    assert "label_every" not in unlabelled.to_json()  # cached unlabelled repositories keep their stamps
    other = gen.ensure_repo(unlabelled, tmp_path)
    # The labels take no random draws: without them the files are the unlabelled repository's.
    line = re.compile(rb"^branch_labels: (.*) = \(.*\)$", re.M)
    labelled = {k: line.sub(rb"branch_labels: \1 = None", v) for k, v in _tree(repo / "migrations").items()}
    assert labelled == _tree(other / "migrations")


@pytest.mark.parametrize("role", sorted(SMALL))
def test_stock_alembic_sees_the_intended_shape(
    role: str, repos: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = repos[role]
    spec = SMALL[role]
    manifest = gen.load_manifest(repo)
    monkeypatch.chdir(repo)  # Alembic resolves version_locations against the working directory
    assert list(manifest["services"]) == list(spec.services)
    for service, info in manifest["services"].items():
        buf = io.StringIO()
        cfg = _config(repo, service, buf)
        script = ScriptDirectory.from_config(cfg)
        revisions = list(script.walk_revisions())
        assert len(revisions) == spec.revisions == info["revisions"]
        merges = [r for r in revisions if r.is_merge_point]
        expected_merges = (spec.revisions - 1) // spec.merge_every if spec.merge_every else 0
        assert len(merges) == info["merges"] == expected_merges
        assert all(len(r._versioned_down_revisions) == 2 for r in merges)
        assert script.get_heads() == info["heads"] and len(info["heads"]) == 1
        assert script.get_bases() == info["bases"] and len(info["bases"]) == 1

        command.heads(cfg)
        assert buf.getvalue() == f"{info['heads'][0]} (head)\n"
        buf.truncate(0)
        buf.seek(0)
        command.history(cfg)
        lines = buf.getvalue().splitlines()
        assert len(lines) == spec.revisions
        assert sum("(mergepoint)" in line for line in lines) == expected_merges
        assert "(head)" in lines[0] and lines[-1].startswith("<base> -> ")


def _schema(db: Path) -> tuple[list[str], int, list[str], list[str]]:
    """Tables, their total column count, indexes and the version table's rows."""
    con = sqlite3.connect(db)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        columns = sum(len(con.execute(f'PRAGMA table_info("{t}")').fetchall()) for t in tables)
        indexes = [
            r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='index' AND name NOT LIKE 'sqlite_%'")
        ]
        versions = [r[0] for r in con.execute("SELECT version_num FROM alembic_version")]
    finally:
        con.close()
    return tables, columns, indexes, versions


@pytest.mark.slow
@pytest.mark.parametrize("role", ["linear", "merges", "fleet"])
def test_upgrade_head_then_downgrade_base_on_sqlite(role: str, repos: dict[str, Path]) -> None:
    repo = repos[role]
    manifest = gen.load_manifest(repo)
    services = list(manifest["services"])
    for service in services:
        info = manifest["services"][service]
        db = repo / info["database"]
        if db.exists():
            db.unlink()
        up = _alembic(repo, "-n", service, "upgrade", "head")
        assert up.returncode == 0, up.stderr
        assert up.stderr.count("Running upgrade") == info["revisions"]
        tables, columns, indexes, versions = _schema(db)
        assert versions == info["heads"]
        assert len(tables) == info["tables_created"] + 1  # + alembic_version
        assert columns == 3 * info["tables_created"] + info["columns_added"] + 1
        assert len(indexes) == info["indexes_created"]
    # Down again, through the merges, on one service (each service's files are alike).
    service = services[-1]
    info = manifest["services"][service]
    down = _alembic(repo, "-n", service, "downgrade", "base")
    assert down.returncode == 0, down.stderr
    assert down.stderr.count("Running downgrade") == info["revisions"]
    assert _schema(repo / info["database"]) == (["alembic_version"], 1, [], [])


# ---------------------------------------------------------------------------
# The runner


def _run_bench(tmp: Path, *args: str, env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess, dict]:
    results = tmp / "results"
    cmd = [
        sys.executable,
        str(REPO / "bench" / "run.py"),
        "--quick",
        "--tiny",
        "--quiet",
        "--cache",
        str(tmp / "cache"),
        "--results",
        str(results),
        *args,
    ]
    # the scan cache's settle window shortened (its test-only override), so the runner
    # does not wait 2 s for each repository's files to settle
    env = {**(env if env is not None else os.environ), "MONOMIG_TEST_SCAN_SETTLE_MS": "150"}
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout == (results / "latest.md").read_text() + "\n"  # the table printed is the table written
    return p, json.loads((results / "latest.json").read_text())


@pytest.mark.slow
def test_quick_run_measures_every_stock_row(tmp_path: Path) -> None:
    p, raw = _run_bench(tmp_path)
    keys = [row["key"] for row in raw["rows"]]
    assert keys == [
        "heads",
        "history",
        "current",
        "upgrade-noop",
        "upgrade-empty",
        "status",
        "upgrade-all-noop",
        "upgrade-all-empty",
        "heads-cold",
        "heads-1000",
        "current-1000",
        "scan",
        "memory",
        "graph-mermaid",
        "graph-svg",
        "tenants-status",
        "tenants-upgrade",
        "lint-1000",
        "ledger-upgrade-200",
        "ledger-noop",
        "test-200",
        "test-fleet",
        "test-demo",
        "history-labels",
        "status-200",
        "upgrade-all-noop-200",
        "small-current-10",
        "small-upgrade-noop-10",
        "small-heads-10",
        "small-current-100",
        "small-upgrade-noop-100",
        "small-heads-100",
    ]
    for row in raw["rows"]:
        assert row["stock"]["status"] == "ok" and row["stock"]["runs"], row
        # monomig sides: measured once they exist, "not built yet" before; never a crash
        assert row["monomig"]["status"] in ("ok", "n/a (not built yet)"), row
        assert not [n for n in row["notes"] if n.startswith("MISMATCH")], row
    memory = next(row for row in raw["rows"] if row["key"] == "memory")
    assert memory["stock"]["maxrss_kb"][0] > 10_000
    table = p.stdout
    assert "| Work | Repository | n | Stock Alembic | monomig | Ratio | Target | Result |" in table
    assert f"Alembic {raw['meta']['machine']['alembic']}" in table and "cores" in table
    body = [ln for ln in table.splitlines() if ln.startswith("| ") and not ln.startswith(("| Work ", "| ---"))]
    assert len(body) == len(keys), body
    assert raw["meta"]["mode"] == "tiny"


FAKE_MONOMIG = """#!{python}
# A stand-in for the monomig command: delegates to stock Alembic (so it is slower,
# but its answers are Alembic's), lying about heads when FAKE_MONOMIG_LIE is set.
import configparser, os, subprocess, sys
ALEMBIC = {alembic!r}
args = sys.argv[1:]
def services():
    cp = configparser.ConfigParser()
    cp.read("alembic.ini")
    return [s.strip() for s in cp.get("alembic", "databases").split(",")]
if args == ["status"]:
    sys.exit(max(subprocess.call([ALEMBIC, "-n", s, "current"]) for s in services()))
if args == ["upgrade", "--all"]:
    sys.exit(max(subprocess.call([ALEMBIC, "-n", s, "upgrade", "head"]) for s in services()))
if os.environ.get("FAKE_MONOMIG_LIE") and args[-1:] == ["heads"]:
    print("0123456789ab (head)")
    sys.exit(0)
os.execv(ALEMBIC, [ALEMBIC] + args)
"""

FAKE_BRIDGE = '''"""A stand-in for monomig's Alembic bridge: wraps a RevisionMap method, same results."""
import functools
from alembic.script.revision import RevisionMap

_original = RevisionMap.get_revisions


@functools.wraps(_original)
def get_revisions(self, id_):
    return _original(self, id_)


RevisionMap.get_revisions = get_revisions
'''


@pytest.mark.slow
def test_runner_measures_and_checks_a_monomig_side(tmp_path: Path) -> None:
    fake = tmp_path / "fake-monomig"
    fake.write_text(FAKE_MONOMIG.format(python=sys.executable, alembic=ALEMBIC))
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    (tmp_path / "fake_bridge.py").write_text(FAKE_BRIDGE)
    env = dict(os.environ, FAKE_MONOMIG_LIE="1", PYTHONPATH=str(tmp_path))
    _, raw = _run_bench(
        tmp_path,
        "--only",
        "heads,current,upgrade-all-empty",
        "--monomig",
        str(fake),
        "--bridge-module",
        "fake_bridge",
        env=env,
    )
    rows = {row["key"]: row for row in raw["rows"]}
    assert list(rows) == ["heads", "current", "upgrade-all-empty"]
    assert raw["meta"]["bridge"]["active"] is True
    assert "RevisionMap.get_revisions" in raw["meta"]["bridge"]["patched"]
    for row in rows.values():
        assert row["monomig"]["status"] == "ok" and row["monomig"]["runs"], row
        assert row["ratio"] is not None and row["result"] in ("PASS", "FAIL")
    # A monomig that answers differently fails, whatever its speed.
    assert rows["heads"]["result"] == "FAIL"
    assert any(n.startswith("MISMATCH") for n in rows["heads"]["notes"])
    assert not any(n.startswith("MISMATCH") for n in rows["current"]["notes"])
    assert not any(n.startswith("MISMATCH") for n in rows["upgrade-all-empty"]["notes"])


@pytest.mark.parametrize("role", ["linear", "merges"])
def test_bench_scan_reads_the_whole_repository_statically(role: str, repos: dict[str, Path]) -> None:
    """The engine row's monomig side: every generated revision read and in the graph."""
    from monomig import _native

    repo = repos[role]
    for _service, info in gen.load_manifest(repo)["services"].items():
        assert _native.bench_scan(str(repo / info["versions"])) == info["revisions"]


def test_bench_scan_rejects_files_that_need_importing(tmp_path: Path) -> None:
    from monomig import MonomigError, _native

    (tmp_path / "a1_x.py").write_text("revision = 'a' + '1'\ndown_revision = None\n")
    with pytest.raises(MonomigError, match="a1_x.py"):
        _native.bench_scan(str(tmp_path))
