"""Alembic's own test suite, run with monomig's bridge switched on.

The sdist of Alembic 1.20.1 is fetched from the package index once per machine
(``pip download --no-binary :all:``) into a cache folder outside the repository
(``$MONOMIG_TEST_CACHE``, else ``$XDG_CACHE_HOME/monomig-tests``, else
``~/.cache/monomig-tests``; a file lock makes concurrent runs download it once), unpacked
into the test's temporary folder, and its revision, traversal, script, command, offline and
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

import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # long differential / fault tests: left out of `make test-fast`

REPO = Path(__file__).resolve().parent.parent
VERSION = "1.20.1"
#: The counts of the last run, for the README's figures (build/ is not committed).
LAST_RUN = REPO / "build" / "alembic-suite" / "last-run.json"


def cache_dir() -> Path:
    """This machine's folder for what the tests download (never inside the repository)."""
    if os.environ.get("MONOMIG_TEST_CACHE"):
        return Path(os.environ["MONOMIG_TEST_CACHE"])
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "monomig-tests"


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

PLUGIN = """
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
"""


def _archive() -> Path:
    """The sdist archive, downloaded once per machine (under a lock: parallel runs wait)."""
    cache = cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    archive = cache / f"alembic-{VERSION}.tar.gz"
    with open(cache / f".alembic-{VERSION}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not archive.exists():
            download = Path(tempfile.mkdtemp(prefix="download-", dir=cache))
            try:
                p = subprocess.run(
                    [sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps",
                     f"alembic=={VERSION}", "-d", str(download), "-q"],
                    capture_output=True, text=True, timeout=600,
                )  # fmt: skip
                got = download / archive.name
                if p.returncode != 0 or not got.exists():
                    pytest.fail(
                        f"could not download the alembic {VERSION} sdist into {cache}: {p.stderr.strip()[-500:]}"
                    )
                os.replace(got, archive)  # whole or not at all
            finally:
                shutil.rmtree(download, ignore_errors=True)
    return archive


def _sdist(dest: Path) -> Path:
    """Alembic's source tree (its tests with it), unpacked under ``dest``."""
    with tarfile.open(_archive()) as tar:
        tar.extractall(dest, filter="data")
    root = dest / f"alembic-{VERSION}"
    assert (root / "tests" / "conftest.py").exists(), f"no tests in {_archive()}"
    return root


def test_alembic_suite_with_the_bridge(tmp_path: Path) -> None:
    root = _sdist(tmp_path / "sdist")
    plugin_dir = tmp_path / "plugin"
    plugin_dir.mkdir()
    (plugin_dir / "monomig_suite_plugin.py").write_text(textwrap.dedent(PLUGIN))
    report = tmp_path / "report.txt"
    env = {
        **os.environ,
        "PYTHONPATH": str(plugin_dir),
        "MONOMIG_SUITE_XFAIL": json.dumps(XFAIL),
        "PYTHONHASHSEED": "0",
        # Alembic's tests list the tables of their databases; the ledger table the bridge adds
        # beside the version table (docs/ledger.md) is monomig's, tested in test_ledger.py
        "MONOMIG_LOG": "0",
    }
    p = subprocess.run(
        # pytest-alembic (pinned for the bench) and monomig's own plugin stay out of Alembic's suite
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:pytest_alembic",
            "-p",
            "no:monomig",
            "-p",
            "monomig_suite_plugin",
            "-q",
            "-rfEX",
            *FILES,
        ],
        cwd=root,
        capture_output=True,
        text=True,
        env=env,
        timeout=1200,
    )
    report.write_text(p.stdout + p.stderr)
    summary = [ln for ln in p.stdout.splitlines() if re.search(r"\d+ (passed|failed)", ln)]
    counts = (
        {k: int(v) for v, k in re.findall(r"(\d+) (passed|failed|skipped|xfailed|xpassed|errors?)", summary[-1])}
        if summary
        else {}
    )
    LAST_RUN.parent.mkdir(parents=True, exist_ok=True)
    LAST_RUN.write_text(json.dumps({"files": FILES, "counts": counts}, indent=2) + "\n")
    print(f"Alembic {VERSION} suite with the bridge: {counts}")
    failures = [ln for ln in p.stdout.splitlines() if ln.startswith(("FAILED", "ERROR", "XPASS"))]
    assert p.returncode == 0 and not failures, "\n".join(failures) or p.stdout[-3000:] + p.stderr[-3000:]
    assert counts.get("passed", 0) > 400
