"""Snapshot files (tests/snapshots/): a command's screen compared with the committed one.

``MONOMIG_UPDATE_SNAPSHOTS=1`` records what the test saw; review and commit it. A snapshot
that is not committed fails the test, so that a missing file never lets any output pass.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SNAPSHOTS = Path(__file__).resolve().parent.parent / "snapshots"


def assert_snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("MONOMIG_UPDATE_SNAPSHOTS") == "1":
        path.write_text(text)
    if not path.exists():
        pytest.fail(
            f"no snapshot {path.relative_to(SNAPSHOTS.parent)}: record it with MONOMIG_UPDATE_SNAPSHOTS=1, review and commit it"
        )
    assert text == path.read_text(), f"{name} changed: review, then rerun with MONOMIG_UPDATE_SNAPSHOTS=1"
