"""Shared fixtures. The suite runs against the installed monomig wheel, never the source tree."""

from __future__ import annotations

import os
import shutil
import signal
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))  # the tests' own helpers (tests/support)


def pytest_configure(config: pytest.Config) -> None:
    # A suite started in the background by a non-interactive shell inherits SIGINT
    # ignored, and so would every child it spawns: the Ctrl-C tests need it to work.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)

    # The scan cache of every monomig run of the suite goes to a folder of its own,
    # not the user's ~/.cache (tests/test_scan_cache.py sets its own per test).
    if "MONOMIG_CACHE_DIR" not in os.environ:
        import tempfile

        os.environ["MONOMIG_CACHE_DIR"] = tempfile.mkdtemp(prefix="monomig-test-cache-")
        config._monomig_cache_dir = os.environ["MONOMIG_CACHE_DIR"]  # type: ignore[attr-defined]

    import monomig

    location = Path(monomig.__file__).resolve()
    if REPO / "python" in location.parents:
        raise pytest.UsageError(
            f"monomig was imported from the source tree ({location}); "
            "run the suite with `make test`, which installs the wheel into a fresh virtualenv"
        )


def pytest_unconfigure(config: pytest.Config) -> None:
    cache_dir = getattr(config, "_monomig_cache_dir", None)
    if cache_dir is not None:
        shutil.rmtree(cache_dir, ignore_errors=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The `slow` tests first (in their own order), so that the parallel workers start
    # them early and the run does not end with one worker alone on a long test.
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def pytest_runtest_setup(item: pytest.Item) -> None:
    # A test marked postgres / mysql needs that server: skipped with the reason on a
    # developer's machine without it, failed under CI (support/databases.py).
    from support.databases import require_server

    for backend in ("postgres", "mysql"):
        if item.get_closest_marker(backend) is not None:
            require_server(backend)


@pytest.fixture
def repo_root() -> Path:
    return REPO


@pytest.fixture
def demo_copy(tmp_path: Path) -> Path:
    """A private copy of the demo monorepo (alembic.ini, migrations/, services/)."""
    dest = tmp_path / "demo"
    dest.mkdir()
    shutil.copy2(REPO / "alembic.ini", dest / "alembic.ini")
    shutil.copytree(REPO / "migrations", dest / "migrations", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "services", dest / "services", ignore=shutil.ignore_patterns("__pycache__"))
    (dest / "var").mkdir()
    return dest
