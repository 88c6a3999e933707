"""Corrupt repositories: one test per kind of damage a monorepo suffers.

For each kind, four commands on the damaged service ``svc`` (its database already at
``aaaa``): ``alembic -n svc upgrade head`` with ``import monomig`` in env.py (the
bridge), ``monomig -n svc upgrade head``, ``monomig check`` and ``monomig status``.

- Where stock Alembic (a copy of the repository whose env.py does not import monomig) fails
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
from support.syntax_corpus import python_words

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
        "FAILED: Revision file <repo>/migrations/versions/svc/cccc_rev.py, <python>. Alembic cannot load "
        "the file either; fix it or remove it from the version location.\n",
    ),
    "conflict_marker": (
        255,
        "FAILED: Revision file <repo>/migrations/versions/svc/bbbb_rev.py, <python>. The line is a merge "
        "conflict marker: resolve the conflict. Alembic cannot load the file either; fix it or remove it "
        "from the version location.\n",
    ),
    "empty_file": (
        255,
        "FAILED: Could not determine revision id from filename cccc_empty.py. Be sure the 'revision' "
        "variable is declared inside the script (please see 'Upgrading from Alembic 0.1 to 0.2' in the "
        "documentation).\n",
    ),
    "binary_file": (
        255,
        "FAILED: Revision file <repo>/migrations/versions/svc/cccc_binary.py, line 1: <python>. Alembic "
        "cannot load the file either; fix it or remove it from the version location.\n",
    ),
    "not_utf8": (
        255,
        "FAILED: Revision file <repo>/migrations/versions/svc/cccc_rev.py, <python>. Alembic cannot load "
        "the file either; fix it or remove it from the version location.\n",
    ),
    "duplicate_revision": (
        255,
        "FAILED: Multiple head revisions are present for given argument 'head'; please specify a "
        "specific target revision, '<branchname>@head' to narrow to a specific head, or 'heads' for all "
        "heads\n",
    ),
    "missing_parent": (
        255,
        "FAILED: Revision 'bbbb' (<repo>/migrations/versions/svc/bbbb_rev.py) names 'aaaa' as its "
        "down_revision, but no revision file defines 'aaaa'; add the missing revision file or correct "
        "down_revision in <repo>/migrations/versions/svc/bbbb_rev.py.\n",
    ),
    "cycle": (
        255,
        "FAILED: Cycle is detected in revisions (aaaa, bbbb)\n",
    ),
    "duplicate_branch_label": (
        255,
        "FAILED: Branch name 'feature' in revision bbbb already used by revision aaaa\n",
    ),
    "missing_version_location": (
        255,
        "FAILED: Can't locate revision identified by 'aaaa'\n",
    ),
    "symlink_loop": (
        0,
        "",
    ),
    "no_script_location": (
        255,
        "FAILED: No 'script_location' key found in configuration.\n",
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
    "no_script_location": (1, ["not_a_service"]),
}

# What the ini file's section without script_location is (a warning, a finding).
NOT_A_SERVICE = (
    "alembic.ini, section [svc]: it sets version_locations but no script_location is set there, in "
    "[DEFAULT] or in [tool.alembic], so it is not a service (`alembic -n svc` fails); add script_location "
    "to the section"
)

# check: (code, line, message) of each finding of svc.
FINDINGS: dict[str, list[tuple[str, int | None, str]]] = {
    "syntax_error": [
        (
            "unreadable_revision",
            12,
            "service 'svc': Revision file <repo>/migrations/versions/svc/cccc_rev.py, <python>. Alembic "
            "cannot load the file either; fix it or remove it from the version location.",
        ),
    ],
    "conflict_marker": [
        (
            "unreadable_revision",
            6,
            "service 'svc': Revision file <repo>/migrations/versions/svc/bbbb_rev.py, <python>. The line is "
            "a merge conflict marker: resolve the conflict. Alembic cannot load the file either; fix it or "
            "remove it from the version location.",
        ),
    ],
    "empty_file": [
        (
            "unreadable_revision",
            1,
            "service 'svc': <repo>/migrations/versions/svc/cccc_empty.py: Could not determine revision id "
            "from filename cccc_empty.py. Be sure the 'revision' variable is declared inside the script "
            "(please see 'Upgrading from Alembic 0.1 to 0.2' in the documentation).",
        ),
    ],
    "binary_file": [
        (
            "unreadable_revision",
            1,
            "service 'svc': Revision file <repo>/migrations/versions/svc/cccc_binary.py, line 1: <python>. "
            "Alembic cannot load the file either; fix it or remove it from the version location.",
        ),
    ],
    "not_utf8": [
        (
            "unreadable_revision",
            1,
            "service 'svc': Revision file <repo>/migrations/versions/svc/cccc_rev.py, <python>. Alembic "
            "cannot load the file either; fix it or remove it from the version location.",
        ),
    ],
    "duplicate_revision": [
        (
            "duplicate_revision",
            5,
            "service 'svc': revision 'bbbb' is defined twice, in <repo>/migrations/versions/svc/bbbb_copy.py "
            "and in <repo>/migrations/versions/svc/bbbb_rev.py; give one of them a new revision id.",
        ),
    ],
    "missing_parent": [
        (
            "missing_parent",
            6,
            "service 'svc': revision 'bbbb' (<repo>/migrations/versions/svc/bbbb_rev.py) names 'aaaa' as its "
            "down_revision, but no revision file defines 'aaaa'; add the missing file or correct "
            "down_revision.",
        ),
    ],
    "cycle": [
        (
            "cycle",
            6,
            "service 'svc': revisions 'aaaa', 'bbbb' form a cycle through down_revision/depends_on; break it "
            "by correcting one of them.",
        ),
    ],
    "duplicate_branch_label": [
        (
            "duplicate_branch_label",
            7,
            "service 'svc': branch label 'feature' is used by revision 'aaaa' "
            "(<repo>/migrations/versions/svc/aaaa_rev.py) and by revision 'bbbb' "
            "(<repo>/migrations/versions/svc/bbbb_rev.py); Alembic cannot load the service. Rename one of "
            "the labels.",
        ),
    ],
    "missing_version_location": [
        (
            "missing_version_location",
            None,
            "service 'svc': its version location <repo>/migrations/versions/svc_typo does not exist, so "
            "Alembic sees no revisions there (`upgrade` does nothing, a database already upgraded looks "
            "ahead); create the folder or correct version_locations in the service's section.",
        ),
    ],
    "symlink_loop": [],
    "no_script_location": [("not_a_service", None, NOT_A_SERVICE)],
}


# status: exit status, svc's state and error (None: svc is not a service).
STATUS: dict[str, tuple[int, str | None, str | None]] = {
    "syntax_error": (
        2,
        "error",
        "Reading the revision files failed: Revision file <repo>/migrations/versions/svc/cccc_rev.py, "
        "<python>. Alembic cannot load the file either; fix it or remove it from the version location.",
    ),
    "conflict_marker": (
        2,
        "error",
        "Reading the revision files failed: Revision file <repo>/migrations/versions/svc/bbbb_rev.py, "
        "<python>. The line is a merge conflict marker: resolve the conflict. Alembic cannot load the file "
        "either; fix it or remove it from the version location.",
    ),
    "empty_file": (
        2,
        "error",
        "Reading the revision files failed: Could not determine revision id from filename cccc_empty.py. "
        "Be sure the 'revision' variable is declared inside the script (please see 'Upgrading from "
        "Alembic 0.1 to 0.2' in the documentation).",
    ),
    "binary_file": (
        2,
        "error",
        "Reading the revision files failed: Revision file <repo>/migrations/versions/svc/cccc_binary.py, "
        "line 1: <python>. Alembic cannot load the file either; fix it or remove it from the version "
        "location.",
    ),
    "not_utf8": (
        2,
        "error",
        "Reading the revision files failed: Revision file <repo>/migrations/versions/svc/cccc_rev.py, "
        "<python>. Alembic cannot load the file either; fix it or remove it from the version location.",
    ),
    "duplicate_revision": (
        0,
        "behind",
        None,
    ),
    "missing_parent": (
        2,
        "error",
        "Revision 'bbbb' (<repo>/migrations/versions/svc/bbbb_rev.py) names 'aaaa' as its down_revision, "
        "but no revision file defines 'aaaa'; add the missing revision file or correct down_revision in "
        "<repo>/migrations/versions/svc/bbbb_rev.py.",
    ),
    "cycle": (
        2,
        "error",
        "Cycle is detected in revisions (aaaa, bbbb)",
    ),
    "duplicate_branch_label": (
        2,
        "error",
        "Branch name 'feature' in revision bbbb already used by revision aaaa",
    ),
    # A missing folder is the service's error, not a database that looks ahead.
    "missing_version_location": (
        2,
        "error",
        "service 'svc': its version location <repo>/migrations/versions/svc_typo does not exist, so "
        "Alembic sees no revisions there (`upgrade` does nothing, a database already upgraded looks "
        "ahead); create the folder or correct version_locations in the service's section.",
    ),
    "symlink_loop": (
        0,
        "up_to_date",
        None,
    ),
    "no_script_location": (
        0,
        None,
        None,
    ),
}


def _norm(text: str, root: Path) -> str:
    """``<repo>`` for the repository's path, ``<python>`` for what the running Python's
    ``compile()`` says about a broken revision file (it differs between Python versions)."""
    for path in sorted((root / "migrations" / "versions").rglob("*.py")):
        data = path.read_bytes()
        try:
            compile(data, str(path), "exec", dont_inherit=True)
        except (SyntaxError, ValueError):
            text = text.replace(python_words(data, str(path)), "<python>")
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


def _expected_upgrade(kind: str) -> tuple[int, str]:
    code, text = UPGRADE[kind]
    return code, _same_up_to_set_order(kind, text)


def _user_warnings(stderr: str) -> list[str]:
    return sorted(re.findall(r"UserWarning: (.*)", stderr))


def _upgrade(root: Path, command: str) -> subprocess.CompletedProcess[str]:
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
        r = _upgrade(root, command)
        out = _norm(r.stdout, root)
        where = f"{command} -n svc upgrade head"
        assert "Traceback" not in r.stderr, f"{where}:\n{r.stderr}"
        if STOCK[kind] == "clean":
            assert (r.returncode, _same_up_to_set_order(kind, out)) == (
                stock.returncode,
                _same_up_to_set_order(kind, stock_out),
            ), where
            assert _user_warnings(r.stderr) == _user_warnings(stock.stderr), where
        assert (r.returncode, _same_up_to_set_order(kind, out)) == _expected_upgrade(kind), where
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
    if kind == "no_script_location":
        assert r.stderr == ""  # the warning is the finding
    got_findings = [(f["code"], f["line"], _norm(f["message"], bridged_root)) for f in findings]
    assert got_findings == FINDINGS[kind]

    # status: svc's state, while other still reports.
    r = monomig(bridged_root, "status", "--json")
    assert "Traceback" not in r.stderr, r.stderr
    states = {s["service"]: s for s in json.loads(r.stdout)}
    assert states["other"]["state"] == "not_initialized"
    svc = states.get("svc")
    got = (r.returncode, svc and svc["state"], svc and svc.get("error") and _norm(svc["error"], bridged_root))
    assert got == STATUS[kind], r.stdout + r.stderr
    if svc is None:
        # not a service: said on stderr, naming the ini file and the section
        assert _norm(r.stderr, bridged_root) == f"monomig: warning: {NOT_A_SERVICE}\n"
