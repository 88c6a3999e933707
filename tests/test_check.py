"""`monomig check`: each finding, in human, JSON and GitHub formats, with CI exit codes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from support.fleet_repo import Repo, alembic, monomig

CODES = {
    "multiple_heads",
    "missing_parent",
    "cycle",
    "duplicate_revision",
    "duplicate_branch_label",
    "cross_service_parent",
    "missing_version_location",
    "not_a_service",
    "shared_version_table",
    "unreadable_revision",
}


def _findings(repo: Repo, *args: str) -> list[dict]:
    r = monomig(repo.root, "check", "--json", *args)
    assert r.returncode in (0, 1), r.stderr
    data = json.loads(r.stdout)
    assert (r.returncode == 1) == bool(data)
    for f in data:
        assert {"service", "code", "message", "path"} <= set(f)
        assert f["code"] in CODES
    return data


def _repo(tmp_path: Path, *names: str) -> Repo:
    repo = Repo(tmp_path / "repo")
    for n in names:
        repo.add_service(n, f"sqlite:///{tmp_path}/{n}.db")
    return repo


def test_clean_repository(tmp_path: Path) -> None:
    repo = _repo(tmp_path, "one", "two")
    repo.chain("one", 5)
    repo.chain("two", 3)
    r = monomig(repo.root, "check", "--all")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "no findings" in r.stdout
    assert _findings(repo) == []
    gh = monomig(repo.root, "check", "--format", "github")
    assert gh.returncode == 0 and gh.stdout == ""


def test_demo_repository_is_clean(demo_copy: Path) -> None:
    r = monomig(demo_copy, "check", "--all")
    assert r.returncode == 0, r.stdout + r.stderr


def test_multiple_heads_and_the_allow_key(tmp_path: Path) -> None:
    repo = _repo(tmp_path, "svc")
    repo.revision("svc", "aaaa", None)
    repo.revision("svc", "bbbb", "aaaa")
    repo.revision("svc", "cccc", "aaaa")
    found = _findings(repo)
    assert [f["code"] for f in found] == ["multiple_heads"]
    assert "bbbb" in found[0]["message"] and "cccc" in found[0]["message"]
    # Stock Alembic agrees there are two heads.
    heads = alembic(repo.root, "-n", "svc", "heads").stdout
    assert {line.split()[0] for line in heads.splitlines()} == {"bbbb", "cccc"}
    repo.services["svc"]["monomig.allow_multiple_heads"] = "true"
    repo.write_ini()
    assert _findings(repo) == []
    # a merge revision also clears it
    repo.services["svc"].pop("monomig.allow_multiple_heads")
    repo.write_ini()
    repo.revision("svc", "dddd", ("bbbb", "cccc"))
    assert _findings(repo) == []


def test_missing_parent(tmp_path: Path) -> None:
    repo = _repo(tmp_path, "svc")
    repo.revision("svc", "aaaa", None)
    path = repo.revision("svc", "bbbb", "zzzz")
    found = _findings(repo)
    codes = [f["code"] for f in found]
    assert "missing_parent" in codes
    f = next(f for f in found if f["code"] == "missing_parent")
    assert f["path"] == str(path.resolve())
    assert f["line"] == 6  # the down_revision line
    assert "zzzz" in f["message"] and "bbbb" in f["message"]
    assert f["service"] == "svc"


def test_cycle(tmp_path: Path) -> None:
    repo = _repo(tmp_path, "svc")
    repo.revision("svc", "base", None)
    repo.revision("svc", "aaaa", "cccc")
    repo.revision("svc", "bbbb", "aaaa")
    repo.revision("svc", "cccc", "bbbb")
    found = _findings(repo)
    cycles = [f for f in found if f["code"] == "cycle"]
    assert len(cycles) == 1
    for rev in ("aaaa", "bbbb", "cccc"):
        assert rev in cycles[0]["message"]


def test_duplicate_revision_within_a_service(tmp_path: Path) -> None:
    repo = _repo(tmp_path, "svc")
    repo.revision("svc", "aaaa", None)
    repo.revision("svc", "bbbb", "aaaa", filename="b1.py")
    dup = repo.revision("svc", "bbbb", "aaaa", filename="b2.py")
    found = _findings(repo)
    d = [f for f in found if f["code"] == "duplicate_revision"]
    assert len(d) == 1
    assert d[0]["path"] == str(dup.resolve())
    assert d[0]["line"] == 5


def test_cross_service_parent(tmp_path: Path) -> None:
    repo = _repo(tmp_path, "one", "two")
    repo.chain("one", 2, prefix="one")
    repo.revision("two", "two0", None)
    repo.revision("two", "two1", "one0001")
    found = _findings(repo)
    cross = [f for f in found if f["code"] == "cross_service_parent"]
    assert len(cross) == 1
    assert cross[0]["service"] == "two"
    assert "'one'" in cross[0]["message"]
    assert not [f for f in found if f["code"] == "missing_parent"]
    # -n selects services, but parents are still looked up in every service
    sel = _findings(repo, "-n", "two")
    # (two0 and two1 are both heads of "two": two1's parent is not in its folder)
    assert sorted(f["code"] for f in sel) == ["cross_service_parent", "multiple_heads"]
    assert _findings(repo, "-n", "one") == []


def test_shared_version_table_and_duplicates_across(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "repo")
    url = f"sqlite:///{tmp_path}/shared.db"
    repo.add_service("one", url)
    repo.add_service("two", url)
    repo.add_service("three", url, version_table="three_version")
    repo.revision("one", "aaaa", None)
    repo.revision("two", "aaaa", None)
    repo.revision("three", "aaaa", None)
    found = _findings(repo)
    shared = sorted(f["service"] for f in found if f["code"] == "shared_version_table")
    assert shared == ["one", "two"]
    dups = [f for f in found if f["code"] == "duplicate_revision"]
    assert len(dups) == 1 and "'one'" in dups[0]["message"] and "'two'" in dups[0]["message"]


def test_unreadable_revision(tmp_path: Path) -> None:
    repo = _repo(tmp_path, "svc")
    repo.revision("svc", "aaaa", None)
    dyn = repo.revision(
        "svc", "x", None, filename="bbbb_dyn.py", text="revision = 'bb' + 'bb'\ndown_revision = 'aaaa'\n"
    )
    bad = repo.revision("svc", "x", None, filename="cccc_bad.py", text="revision = 'cccc'\ndown_revision = (\n")
    found = _findings(repo, "--no-import")
    unread = sorted(f["path"] for f in found if f["code"] == "unreadable_revision")
    assert unread == sorted([str(dyn.resolve()), str(bad.resolve())])
    # Without --no-import the computed revision is imported, as Alembic imports it.
    unread = [f["path"] for f in _findings(repo) if f["code"] == "unreadable_revision"]
    assert unread == [str(bad.resolve())]


def test_formats_and_exit_codes(tmp_path: Path) -> None:
    repo = _repo(tmp_path, "svc")
    repo.revision("svc", "aaaa", None)
    repo.revision("svc", "bbbb", "zzzz")
    human = monomig(repo.root, "check", "--all")
    assert human.returncode == 1
    assert re.search(r"^migrations/versions/svc/bbbb_rev\.py:6: missing_parent: ", human.stdout, re.M)
    gh = monomig(repo.root, "check", "--format", "github")
    assert gh.returncode == 1
    lines = gh.stdout.splitlines()
    assert any(
        re.match(r"^::error file=migrations/versions/svc/bbbb_rev\.py,line=6,title=monomig missing_parent \(svc\)::", l)
        for l in lines
    ), gh.stdout
    assert all(l.startswith("::error ") for l in lines)
    # every annotation names a file: multiple_heads, about the service as a whole, its ini section
    assert all(re.match(r"^::error file=[^,]+,line=\d+,", l) for l in lines), gh.stdout
    assert "::error file=alembic.ini,line=7,title=monomig multiple_heads (svc)::" in gh.stdout
    assert re.search(r"^alembic.ini:7: multiple_heads: ", human.stdout, re.M), human.stdout
    # could not run: exit 2, one paragraph
    missing = monomig(repo.root, "-c", str(tmp_path / "nope.ini"), "check", "--all")
    assert missing.returncode == 2
    assert "Traceback" not in missing.stderr
    unknown = monomig(repo.root, "check", "-n", "nope")
    assert unknown.returncode == 2 and "nope" in unknown.stderr


@pytest.mark.parametrize("fmt", [(), ("--json",), ("--format", "github")])
def test_no_database_is_touched(tmp_path: Path, fmt: tuple[str, ...]) -> None:
    repo = Repo(tmp_path / "repo")
    repo.add_service("dead", "postgresql+psycopg://u:pw@127.0.0.1:1/x")
    repo.chain("dead", 2)
    r = monomig(repo.root, "check", "--all", *fmt)
    assert r.returncode == 0, r.stdout + r.stderr
