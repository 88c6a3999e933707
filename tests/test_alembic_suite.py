"""Alembic's own test suite, run with monomig's bridge switched on.

The sdist of Alembic 1.20.1 is fetched once (``pip download --no-binary :all:``) into
``build/alembic-suite/`` and its revision, traversal, script, command, offline and
version-table tests run in a child pytest whose plugin calls
``monomig.bridge.activate()`` first, so every ``ScriptDirectory`` those tests build
answers from monomig's Rust graph and imports revision modules lazily.

``tests/test_revision.py`` builds ``RevisionMap`` objects directly (not through a
``ScriptDirectory``), so the bridge does not take part there; monomig's graph is held
to the same semantics by the differential tests of ``RevisionGraph`` against
``RevisionMap`` (test_graph_diff.py, test_graph_cases.py, test_plan_diff.py).

Every test that fails with the bridge is listed in ``XFAIL`` with its reason (and in
the README's "Using monomig with Alembic" section); the child run marks them as strict
xfails, so one that starts passing is reported too.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / "build" / "alembic-suite"
VERSION = "1.20.1"
FILES = [
    "tests/test_revision.py",
    "tests/test_version_traversal.py",
    "tests/test_script_consumption.py",
    "tests/test_script_production.py",
    "tests/test_command.py",
    "tests/test_offline_environment.py",
    "tests/test_version_table.py",
]

XFAIL = {
    "tests/test_script_consumption.py::RecursiveScriptDirectoryTest::test_dir_structure_with_missing_file": (
        "a down_revision naming a missing file: stock Alembic fails with a bare KeyError, "
        "monomig with a RevisionError naming the file and the missing revision"
    ),
}

PLUGIN = '''
import json, os
import pytest

XFAIL = json.loads(os.environ["MONOMIG_SUITE_XFAIL"])


def pytest_configure(config):
    import alembic.script.base  # noqa: F401
    from monomig import bridge

    bridge.activate()
    assert bridge.is_active()


def pytest_collection_modifyitems(config, items):
    for item in items:
        reason = XFAIL.get(item.nodeid)
        if reason:
            item.add_marker(pytest.mark.xfail(reason=reason, strict=True))


def pytest_sessionfinish(session, exitstatus):
    from monomig import bridge
    from alembic.script.base import ScriptDirectory

    assert bridge.is_active() and getattr(ScriptDirectory.__init__, "_monomig_bridge", False)
'''


def _sdist() -> Path:
    root = CACHE / f"alembic-{VERSION}"
    if (root / "tests" / "conftest.py").exists():
        return root
    CACHE.mkdir(parents=True, exist_ok=True)
    archive = CACHE / f"alembic-{VERSION}.tar.gz"
    if not archive.exists():
        p = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps",
             f"alembic=={VERSION}", "-d", str(CACHE), "-q"],
            capture_output=True, text=True,
        )
        if p.returncode != 0 or not archive.exists():
            pytest.fail(f"could not download the alembic {VERSION} sdist: {p.stderr.strip()[-500:]}")
    with tarfile.open(archive) as tar:
        tar.extractall(CACHE, filter="data")
    return root


def test_alembic_suite_with_the_bridge(tmp_path: Path) -> None:
    root = _sdist()
    plugin_dir = tmp_path / "plugin"
    plugin_dir.mkdir()
    (plugin_dir / "monomig_suite_plugin.py").write_text(textwrap.dedent(PLUGIN))
    report = tmp_path / "report.txt"
    env = {
        **__import__("os").environ,
        "PYTHONPATH": str(plugin_dir),
        "MONOMIG_SUITE_XFAIL": json.dumps(XFAIL),
        "PYTHONHASHSEED": "0",
    }
    p = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "monomig_suite_plugin",
         "-q", "-rfEX", *FILES],
        cwd=root, capture_output=True, text=True, env=env, timeout=1200,
    )
    report.write_text(p.stdout + p.stderr)
    summary = [ln for ln in p.stdout.splitlines() if re.search(r"\d+ (passed|failed)", ln)]
    counts = {k: int(v) for v, k in re.findall(r"(\d+) (passed|failed|skipped|xfailed|xpassed|errors?)", summary[-1])} if summary else {}
    (CACHE / "last-run.json").write_text(json.dumps({"files": FILES, "counts": counts}, indent=2) + "\n")
    print(f"Alembic {VERSION} suite with the bridge: {counts}")
    failures = [ln for ln in p.stdout.splitlines() if ln.startswith(("FAILED", "ERROR", "XPASS"))]
    assert p.returncode == 0 and not failures, "\n".join(failures) or p.stdout[-3000:] + p.stderr[-3000:]
    assert counts.get("passed", 0) > 400
