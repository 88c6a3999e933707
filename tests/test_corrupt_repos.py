"""Corrupt repositories: one test per kind of damage a monorepo suffers.

For each kind, four commands on the damaged service ``svc`` (its database already at
``aaaa``): ``alembic -n svc upgrade head`` with ``import monomig`` in env.py (the
bridge), ``monomig -n svc upgrade head``, ``monomig check`` and ``monomig status``.

- Where stock Alembic (same repository, env.py without ``import monomig``) fails
  cleanly (``FAILED: ...``, exit 255), both upgrades print exactly its text and exit
  with its status; where it crashes with a traceback, they print monomig's
  one-paragraph message (snapshotted below) and exit 255, never a traceback.
- ``check`` reports the finding codes (exit 1), ``status`` the service's state while
  the healthy service ``other`` still reports.
- A failing upgrade leaves the version table as it was.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from support.corrupt_repo import KINDS, STAMPED, build, version_rows
from support.fleet_repo import alembic, monomig

# What stock Alembic does: "clean" (FAILED: ..., exit 255, or success), or the
# exception its traceback ends with.
STOCK = {
    "syntax_error": "SyntaxError",
    "conflict_marker": "SyntaxError",
    "empty_file": "clean",
    "binary_file": "SyntaxError",
    "not_utf8": "SyntaxError",
    "duplicate_revision": "clean",
    "missing_parent": "KeyError",
    "cycle": "clean",
    "duplicate_branch_label": "clean",
    "missing_version_location": "clean",
    "symlink_loop": "clean",
    "no_script_location": "clean",
}

# The exit status and stdout of both bridged upgrades ("<repo>": the repository).
UPGRADE = {
    "syntax_error": (
        255,
        "FAILED: Revision file <repo>/migrations/versions/svc/cccc_rev.py, line 12: '(' was never closed. "
        "Python cannot import it either; fix the file or remove it from the version location.\n",
    ),
}

# check: exit status and finding codes of svc.
CHECK = {
    "syntax_error": (1, ["unreadable_revision"]),
    "conflict_marker": (1, ["unreadable_revision"]),
    "empty_file": (1, ["unreadable_revision"]),
    "binary_file": (1, ["unreadable_revision"]),
    "not_utf8": (1, ["unreadable_revision"]),
    "duplicate_revision": (1, ["duplicate_revision"]),
    "missing_parent": (1, ["missing_parent"]),
    "cycle": (1, ["cycle"]),
    "duplicate_branch_label": (1, ["duplicate_branch_label"]),
    "missing_version_location": (1, ["missing_version_location"]),
    "symlink_loop": (0, []),
    "no_script_location": (0, []),
}

# status: exit status, svc's state and error (None: svc is not a service).
STATUS: dict[str, tuple[int, str | None, str | None]] = {}


def _norm(text: str, root: Path) -> str:
    return text.replace(str(root.resolve()), "<repo>").replace(str(root), "<repo>")


def _same_up_to_set_order(kind: str, text: str) -> str:
    """Alembic names the two revisions of a duplicate branch label in the order of a
    Python set of Revision objects (their memory addresses): compare them as a set."""
    if kind != "duplicate_branch_label":
        return text
    return re.sub(
        r"in revision (\w+) already used by revision (\w+)",
        lambda m: "in revision {} already used by revision {}".format(*sorted(m.groups())),
        text,
    )


def _user_warnings(stderr: str) -> list[str]:
    return sorted(re.findall(r"UserWarning: (.*)", stderr))


def _upgrade(kind: str, root: Path, command: str) -> subprocess.CompletedProcess[str]:
    if command == "monomig":
        return monomig(root, "-n", "svc", "upgrade", "head")
    return alembic(root, "-n", "svc", "upgrade", "head")


@pytest.mark.parametrize("kind", KINDS)
def test_corrupt_repository(kind: str, tmp_path: Path) -> None:
    stock_root, bridged_root, cli_root = tmp_path / "stock", tmp_path / "bridged", tmp_path / "cli"
    build(stock_root, kind, bridged=False)
    build(bridged_root, kind, bridged=True)
    build(cli_root, kind, bridged=True)

    # Stock Alembic: the oracle.
    stock = alembic(stock_root, "-n", "svc", "upgrade", "head")
    stock_out = _norm(stock.stdout, stock_root)
    if STOCK[kind] == "clean":
        assert "Traceback" not in stock.stderr, stock.stderr
    else:
        assert stock.returncode == 1 and "Traceback" in stock.stderr
        assert stock.stderr.rstrip().splitlines()[-1].startswith(STOCK[kind] + ":"), stock.stderr[-500:]

    for root, command in ((bridged_root, "alembic"), (cli_root, "monomig")):
        r = _upgrade(kind, root, command)
        out = _norm(r.stdout, root)
        where = f"{command} -n svc upgrade head"
        assert "Traceback" not in r.stderr, f"{where}:\n{r.stderr}"
        if STOCK[kind] == "clean":
            assert (r.returncode, _same_up_to_set_order(kind, out)) == (
                stock.returncode,
                _same_up_to_set_order(kind, stock_out),
            ), where
            assert _user_warnings(r.stderr) == _user_warnings(stock.stderr), where
        if kind in UPGRADE:
            assert (r.returncode, _same_up_to_set_order(kind, out)) == UPGRADE[kind], where
        else:
            print(f"UPGRADE {kind} {command}: {r.returncode} {out!r}")
        if r.returncode != 0:
            # nothing half-recorded: the version table is as it was
            assert version_rows(root / "svc.db") == [STAMPED], where
        else:
            assert version_rows(root / "svc.db") == version_rows(stock_root / "svc.db"), where
    if stock.returncode != 0:
        assert version_rows(stock_root / "svc.db") == [STAMPED]

    # check: the finding codes of svc; other is clean.
    r = monomig(bridged_root, "check", "--json")
    assert "Traceback" not in r.stderr, r.stderr
    findings = json.loads(r.stdout)
    assert (r.returncode, [f["code"] for f in findings]) == CHECK[kind], r.stdout + r.stderr
    assert all(f["service"] == "svc" for f in findings)
    for f in findings:
        print(f"CHECK {kind}: {_norm(f['message'], bridged_root)!r} {f['line']}")

    # status: svc's state, while other still reports.
    r = monomig(bridged_root, "status", "--json")
    assert "Traceback" not in r.stderr, r.stderr
    states = {s["service"]: s for s in json.loads(r.stdout)}
    assert states["other"]["state"] == "not_initialized"
    svc = states.get("svc")
    got = (r.returncode, svc and svc["state"], svc and svc.get("error") and _norm(svc["error"], bridged_root))
    if kind in STATUS:
        assert got == STATUS[kind], r.stdout + r.stderr
    else:
        print(f"STATUS {kind}: {got!r} {_norm(r.stderr, bridged_root)!r}")
