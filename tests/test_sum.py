"""monomig.sum: `monomig hash`, the drop-in `revision`/`merge` keeping it up to date, its
`check --all` findings in every format, and two branches conflicting in it under real git."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from support.fleet_repo import Repo, monomig


def project(tmp_path: Path) -> Repo:
    repo = Repo(tmp_path / "proj")
    repo.add_service("orders", "sqlite:///orders.db")
    repo.add_service("users", "sqlite:///users.db")
    repo.chain("orders", 3, prefix="ord")
    repo.chain("users", 2, prefix="usr")
    return repo


def versions(repo: Repo, svc: str) -> Path:
    return repo.root / "migrations" / "versions" / svc


class Out:
    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def cli(repo: Repo, *args: str) -> Out:
    """The installed `monomig` command in this process (hash and check --all import neither
    Alembic nor SQLAlchemy): many checks without a process each."""
    import contextlib
    import io

    from monomig.cli import main

    out, err = io.StringIO(), io.StringIO()
    cwd = os.getcwd()
    os.chdir(repo.root)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main(list(args))
    finally:
        os.chdir(cwd)
    return Out(status, out.getvalue(), err.getvalue())


def check(repo: Repo, *args: str) -> tuple[int, list[dict]]:
    r = cli(repo, "check", "--all", "--json", *args)
    assert r.returncode in (0, 1), r.stderr
    return r.returncode, json.loads(r.stdout)


def test_hash_writes_a_sum_per_service_in_upgrade_order(tmp_path: Path) -> None:
    repo = project(tmp_path)
    r = cli(repo, "hash")
    assert r.returncode == 0, r.stderr
    assert "orders: migrations/versions/orders/monomig.sum written (3 revision files)" in r.stdout
    lines = (versions(repo, "orders") / "monomig.sum").read_text().splitlines()
    assert lines[0].startswith("monomig-sum v1 sha256:")
    assert [line.split()[0] for line in lines[1:]] == ["ord0000_rev.py", "ord0001_rev.py", "ord0002_rev.py"]
    # Written again from the same files: the same bytes, reported unchanged.
    r = cli(repo, "hash", "-n", "orders", "--json")
    assert json.loads(r.stdout)[0]["changed"] is False
    assert check(repo) == (0, [])
    # CRLF line endings (a Windows checkout) hash alike.
    f = versions(repo, "orders") / "ord0001_rev.py"
    f.write_bytes(f.read_bytes().replace(b"\n", b"\r\n"))
    assert check(repo) == (0, [])


def test_check_names_modified_renamed_deleted_and_unhashed_files(tmp_path: Path) -> None:
    repo = project(tmp_path)
    assert cli(repo, "hash").returncode == 0
    v = versions(repo, "orders")
    with open(v / "ord0000_rev.py", "a") as f:
        f.write("# edited after it ran\n")
    os.rename(v / "ord0001_rev.py", v / "ord0001_renamed.py")
    (v / "ord0002_rev.py").unlink()
    repo.revision("users", "usr0002", "usr0001")
    status, found = check(repo)
    assert status == 1
    got = [(f["service"], f["code"], os.path.basename(f["path"]), f["line"]) for f in found]
    assert got == [
        ("orders", "modified_revision", "ord0000_rev.py", 1),
        ("orders", "renamed_revision", "ord0001_renamed.py", 1),
        ("orders", "deleted_revision", "monomig.sum", 4),
    ]
    assert "monomig hash -n orders" in found[0]["message"]
    # A file missing from the sum is a finding only with --strict (or monomig.sum_required).
    status, strict = check(repo, "--strict")
    assert [f["code"] for f in strict if f["service"] == "users"] == ["unhashed_revision"]
    # The text and GitHub formats carry the same file and line.
    text = cli(repo, "check", "--all")
    assert text.returncode == 1
    assert "migrations/versions/orders/monomig.sum:4: deleted_revision: service 'orders'" in text.stdout
    gh = cli(repo, "check", "--all", "--format", "github")
    assert "::error file=migrations/versions/orders/ord0000_rev.py,line=1,title=monomig modified_revision" in gh.stdout
    # Writing the sum again accepts the changes.
    assert cli(repo, "hash").returncode == 0
    assert check(repo, "--strict") == (0, [])


def test_sum_required_and_a_hand_edited_sum(tmp_path: Path) -> None:
    repo = project(tmp_path)
    repo.services["users"]["monomig.sum_required"] = "true"
    repo.write_ini()
    _, found = check(repo)
    assert [(f["service"], f["code"]) for f in found] == [("users", "stale_sum")]
    assert "monomig hash -n users" in found[0]["message"]
    assert cli(repo, "hash").returncode == 0
    s = versions(repo, "orders") / "monomig.sum"
    lines = s.read_text().splitlines()
    s.write_text("\n".join([lines[0], lines[2], lines[1], "garbage", *lines[3:]]) + "\n")
    _status, found = check(repo)
    assert [(f["code"], f["line"]) for f in found] == [("stale_sum", 1), ("stale_sum", 4)]
    assert "header hash does not match" in found[0]["message"]


@pytest.mark.slow  # runs Alembic's revision and merge through the monomig command
def test_drop_in_revision_and_merge_update_an_existing_sum(tmp_path: Path) -> None:
    repo = project(tmp_path)
    (repo.root / "migrations" / "script.py.mako").write_text(
        '"""${message}"""\nrevision = ${repr(up_revision)}\ndown_revision = ${repr(down_revision)}\n'
        "branch_labels = None\ndepends_on = None\n\ndef upgrade():\n    pass\n\ndef downgrade():\n    pass\n"
    )
    assert cli(repo, "hash", "-n", "orders").returncode == 0
    r = monomig(repo.root, "-n", "orders", "revision", "-m", "add orders", "--rev-id", "ord9001")
    assert r.returncode == 0, r.stderr
    assert "monomig.sum ... done (4 revision files)" in r.stdout
    r = monomig(
        repo.root, "-n", "orders", "revision", "-m", "branch", "--rev-id", "ord9002", "--head", "ord0002", "--splice"
    )
    assert r.returncode == 0, r.stderr
    r = monomig(repo.root, "-n", "orders", "merge", "-m", "merge", "--rev-id", "ord9003", "heads")
    assert r.returncode == 0, r.stderr
    names = [line.split()[0] for line in (versions(repo, "orders") / "monomig.sum").read_text().splitlines()[1:]]
    assert len(names) == 6 and names[-1].startswith("ord9003")
    assert check(repo, "-n", "orders", "--strict") == (0, [])
    # A service without a sum keeps having none.
    r = monomig(repo.root, "-n", "users", "revision", "-m", "more", "--rev-id", "usr9001")
    assert r.returncode == 0, r.stderr
    assert not (versions(repo, "users") / "monomig.sum").exists()


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_two_branches_adding_a_revision_conflict_in_git(tmp_path: Path) -> None:
    repo = project(tmp_path)
    assert cli(repo, "hash").returncode == 0
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }

    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", *args], cwd=repo.root, env=env, capture_output=True, text=True, timeout=60)

    assert git("init", "-q", "-b", "main").returncode == 0
    git("add", "-A")
    assert git("commit", "-qm", "base").returncode == 0
    for branch, rev in (("one", "ord1001"), ("two", "ord2001")):
        git("checkout", "-qb", branch, "main")
        repo.revision("orders", rev, "ord0002")
        assert cli(repo, "hash", "-n", "orders").returncode == 0
        git("add", "-A")
        assert git("commit", "-qm", rev).returncode == 0
    git("checkout", "-q", "one")
    merged = git("merge", "two")
    assert merged.returncode != 0
    assert "CONFLICT (content): Merge conflict in migrations/versions/orders/monomig.sum" in merged.stdout
    # Left as git leaves it, check names the conflict at its line.
    status, found = check(repo, "-n", "orders")
    assert status == 1
    assert any(f["code"] == "stale_sum" and "conflict marker" in f["message"] for f in found)
