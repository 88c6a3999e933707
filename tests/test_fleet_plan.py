"""`monomig upgrade|downgrade|stamp --all`: several heads handled as Alembic handles them,
`--plan` (read-only plans, text and JSON, in every state) and the confirmation a
downgrade to base or past a branch point asks for."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from support.databases import ServerDb, my_admin, mysql_database, pg_admin, pg_database  # noqa: F401
from support.fleet_repo import MONOMIG, Repo, alembic, env_without_urls, monomig

VERSION_DDL = "CREATE TABLE {table} (version_num VARCHAR(32) NOT NULL PRIMARY KEY)"


def stamp_sqlite(path: Path, *revs: str, table: str = "alembic_version") -> None:
    """Write a version table as Alembic writes it (faster than running Alembic)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as db:
        db.execute(VERSION_DDL.format(table=table))
        db.executemany(f"INSERT INTO {table} VALUES (?)", [(r,) for r in revs])


def current(repo: Repo, svc: str) -> set[str]:
    r = alembic(repo.root, "-n", svc, "current")
    assert r.returncode == 0, r.stderr
    return {line.split()[0] for line in r.stdout.splitlines() if line.strip()}


def two_heads(repo: Repo, svc: str, url: str, **options: str) -> None:
    """base -> <svc>0 -> <svc>a and <svc>0 -> <svc>b: two heads."""
    repo.add_service(svc, url, **options)
    repo.revision(svc, f"{svc}0", None, upgrade=f"op.create_table('{svc}_t', sa.Column('x', sa.Integer))")
    repo.revision(svc, f"{svc}a", f"{svc}0")
    repo.revision(svc, f"{svc}b", f"{svc}0")


# --------------------------------------------------------------------------- several heads


@pytest.mark.slow
def test_two_heads_refused_like_alembic(tmp_path: Path, pg_database: ServerDb) -> None:
    repo = Repo(tmp_path / "repo")
    two_heads(repo, "forked", pg_database.url)
    repo.add_service("fine", f"sqlite:///{tmp_path}/fine.db")
    repo.chain("fine", 2)

    stock = alembic(repo.root, "-n", "forked", "upgrade", "head")
    assert stock.returncode == 255
    refusal = stock.stdout.strip().removeprefix("FAILED: ")
    assert refusal.startswith("Multiple head revisions are present for given argument 'head'"), stock.stdout

    r = monomig(repo.root, "upgrade", "--all", "--json")
    assert r.returncode == 1, r.stdout + r.stderr
    summary = {s["service"]: s for s in json.loads(r.stdout)}
    forked = summary["forked"]
    assert forked["result"] == "failed" and forked["code"] == "multiple_heads"
    assert refusal in forked["error"] and "monomig.allow_multiple_heads = true" in forked["error"]
    assert forked["applied"] == 0 and forked["state"] == "not_initialized"
    assert "[forked] upgrade to" not in r.stderr  # no worker was started for it
    assert summary["fine"]["result"] == "done" and summary["fine"]["code"] is None
    assert current(repo, "forked") == set()
    with pg_admin(pg_database.name) as conn:
        assert not conn.execute("SELECT 1 FROM pg_tables WHERE tablename = 'forked_t'").fetchall()

    # an explicit `head` is Alembic's `head` too; `heads` is Alembic's `heads`
    explicit = monomig(repo.root, "upgrade", "--all", "head", "-n", "forked", "--json")
    assert explicit.returncode == 1
    assert json.loads(explicit.stdout)[0]["code"] == "multiple_heads"
    both = monomig(repo.root, "upgrade", "--all", "heads", "-n", "forked")
    assert both.returncode == 0, both.stdout + both.stderr
    assert current(repo, "forked") == {"forkeda", "forkedb"}


def test_allow_multiple_heads_upgrades_every_head(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "repo")
    two_heads(repo, "forked", f"sqlite:///{tmp_path}/forked.db", **{"monomig.allow_multiple_heads": "true"})
    plan = monomig(repo.root, "upgrade", "--all", "--plan", "--json")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    (item,) = json.loads(plan.stdout)
    assert item["target"] == "heads" and item["code"] is None
    assert item["steps"][0]["revision"] == "forked0"
    assert {s["revision"] for s in item["steps"]} == {"forked0", "forkeda", "forkedb"}
    r = monomig(repo.root, "upgrade", "--all")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "[forked] upgrade to heads: started" in r.stdout
    assert current(repo, "forked") == {"forkeda", "forkedb"}


# --------------------------------------------------------------------------- --plan


@pytest.fixture
def states(tmp_path: Path, pg_database: ServerDb, mysql_database: ServerDb) -> Repo:
    """One service in each state --plan reports."""
    repo = Repo(tmp_path / "repo")
    var = tmp_path / "var"
    # behind by 2 on PostgreSQL
    repo.add_service("pg_behind", pg_database.url)
    repo.chain("pg_behind", 3)
    with pg_admin(pg_database.name) as conn:
        conn.execute(VERSION_DDL.format(table="alembic_version"))
        conn.execute("INSERT INTO alembic_version VALUES ('pg_b0000')")
    # up to date on MariaDB
    repo.add_service("my_ok", mysql_database.url)
    repo.chain("my_ok", 2)
    admin = my_admin(mysql_database.name)
    with admin.cursor() as cur:
        cur.execute(VERSION_DDL.format(table="alembic_version"))
        cur.execute("INSERT INTO alembic_version VALUES ('my_o0001')")
    admin.close()
    # not initialised (SQLite file that does not exist yet)
    repo.add_service("lite_new", f"sqlite:///{var}/new.db")
    repo.chain("lite_new", 2)
    # ahead: the database holds a revision no file defines
    repo.add_service("lite_ahead", f"sqlite:///{var}/ahead.db")
    repo.chain("lite_ahead", 1)
    stamp_sqlite(var / "ahead.db", "feedbeef0000")
    # several heads: refused
    two_heads(repo, "forked", f"sqlite:///{var}/forked.db")
    # unreachable (the password never shows)
    repo.add_service("pg_dead", "postgresql+psycopg://app:s3cr3tpw@127.0.0.1:1/nothing")
    repo.chain("pg_dead", 1)
    # error: no database URL at all
    repo.add_service("no_url", None)
    repo.chain("no_url", 1)
    return repo


def test_plan_json_every_state(states: Repo) -> None:
    before = {p.name for p in (states.root.parent / "var").iterdir()}
    r = monomig(states.root, "upgrade", "--all", "--plan", "--json")
    assert r.returncode == 1, r.stdout + r.stderr  # some services cannot be planned
    items = {i["service"]: i for i in json.loads(r.stdout)}
    for item in items.values():
        assert set(item) == {"service", "state", "current", "target", "steps", "error", "code"}
    assert items["pg_behind"]["state"] == "behind" and items["pg_behind"]["current"] == ["pg_b0000"]
    assert items["pg_behind"]["steps"] == [
        {"revision": "pg_b0001", "direction": "upgrade", "message": "revision pg_b0001"},
        {"revision": "pg_b0002", "direction": "upgrade", "message": "revision pg_b0002"},
    ]
    assert items["pg_behind"]["error"] is None and items["pg_behind"]["target"] == "head"
    assert items["my_ok"]["state"] == "up_to_date" and items["my_ok"]["steps"] == []
    assert items["lite_new"]["state"] == "not_initialized" and items["lite_new"]["current"] == []
    assert [s["revision"] for s in items["lite_new"]["steps"]] == ["lite0000", "lite0001"]
    assert items["lite_ahead"]["state"] == "ahead" and "feedbeef0000" in items["lite_ahead"]["error"]
    assert items["forked"]["state"] == "refused" and items["forked"]["code"] == "multiple_heads"
    assert items["forked"]["error"].startswith("Multiple head revisions are present")
    assert items["pg_dead"]["state"] == "unreachable" and items["pg_dead"]["error"]
    assert items["no_url"]["state"] == "error" and "no database URL" in items["no_url"]["error"]
    assert "s3cr3tpw" not in r.stdout + r.stderr
    # read-only: nothing was created or written, no worker started, Alembic not run
    assert {p.name for p in (states.root.parent / "var").iterdir()} == before
    assert "started" not in r.stderr
    with pg_admin(pg_db_name(states)) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("pg_b0000",)]


def pg_db_name(repo: Repo) -> str:
    url = repo.services["pg_behind"]["sqlalchemy.url"]
    return url.rsplit("/", 1)[1]


def test_plan_text_every_state(states: Repo) -> None:
    r = monomig(states.root, "upgrade", "--all", "--plan")
    assert r.returncode == 1, r.stdout + r.stderr
    out = r.stdout
    assert re.search(r"^pg_behind: upgrade to head: 2 steps from pg_b0000$", out, re.M), out
    assert re.search(r"^    upgrade pg_b0001  revision pg_b0001$", out, re.M), out
    assert re.search(r"^my_ok: upgrade to head: nothing to do \(at my_o0001\)$", out, re.M), out
    assert re.search(r"^lite_new: upgrade to head: 2 steps from base \(not initialized\)$", out, re.M), out
    assert re.search(r"^lite_ahead: upgrade to head: ahead: .*feedbeef0000", out, re.M), out
    assert re.search(r"^forked: upgrade to head: refused \(multiple_heads\): Multiple head revisions", out, re.M)
    assert re.search(r"^pg_dead: upgrade to head: unreachable: ", out, re.M), out
    assert re.search(r"^no_url: upgrade to head: error: no database URL", out, re.M), out
    assert "s3cr3tpw" not in out + r.stderr


def test_plan_matches_what_alembic_runs(demo_copy: Path) -> None:
    """The demo's service_one has a branch and its merge: the planned order is the order
    Alembic runs, up and down."""
    plan = monomig(demo_copy, "upgrade", "--all", "--plan", "--json")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    planned = {i["service"]: [s["revision"] for s in i["steps"]] for i in json.loads(plan.stdout)}
    messages = {s["revision"]: s["message"] for i in json.loads(plan.stdout) for s in i["steps"]}
    assert all(messages.values()), messages
    r = monomig(demo_copy, "upgrade", "--all", "--jobs", "1")
    assert r.returncode == 0, r.stdout + r.stderr
    for svc, revs in planned.items():
        # each progress line carries the revision's message, as the plan does
        ran = re.findall(rf"^\[{svc}\] running upgrade (\S+) \((.+)\)$", r.stdout, re.M)
        assert [rev for rev, _ in ran] == revs and revs, (svc, ran, revs)
        assert all(messages[rev] == message for rev, message in ran), (ran, messages)

    down_plan = monomig(demo_copy, "downgrade", "--all", "base", "--plan", "--json", "-n", "service_one")
    assert down_plan.returncode == 0
    (item,) = json.loads(down_plan.stdout)
    assert {s["direction"] for s in item["steps"]} == {"downgrade"}
    down = monomig(demo_copy, "downgrade", "--all", "base", "--yes", "-n", "service_one")
    assert down.returncode == 0, down.stdout + down.stderr
    ran = re.findall(r"^\[service_one\] running downgrade (\S+) \(.+\)$", down.stdout, re.M)
    assert ran == [s["revision"] for s in item["steps"]]

    stamp_plan = monomig(demo_copy, "stamp", "--all", "heads", "--plan", "--json", "-n", "service_one")
    (item,) = json.loads(stamp_plan.stdout)
    assert [s["direction"] for s in item["steps"]] == ["stamp"]


# --------------------------------------------------------------------------- confirmation


@pytest.fixture
def branchy(tmp_path: Path) -> Repo:
    """root -> fork (a branch point) -> left, right; the database at both heads."""
    repo = Repo(tmp_path / "repo")
    repo.add_service("tree", f"sqlite:///{tmp_path}/tree.db", **{"monomig.allow_multiple_heads": "true"})
    repo.revision("tree", "root", None)
    repo.revision("tree", "fork", "root")
    repo.revision("tree", "left", "fork")
    repo.revision("tree", "right", "fork")
    stamp_sqlite(tmp_path / "tree.db", "left", "right")
    repo.add_service("line", f"sqlite:///{tmp_path}/line.db")
    repo.chain("line", 3)
    stamp_sqlite(tmp_path / "line.db", "line0002")
    return repo


def run_no_tty(repo: Repo, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MONOMIG, *args],
        cwd=repo.root,
        env=env_without_urls(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_downgrade_to_base_needs_yes_without_a_terminal(branchy: Repo) -> None:
    r = run_no_tty(branchy, "downgrade", "--all", "base")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "--yes" in r.stderr and "tree" in r.stderr and "line" in r.stderr and "to base" in r.stderr
    assert "Traceback" not in r.stderr
    assert current(branchy, "line") == {"line0002"} and current(branchy, "tree") == {"left", "right"}
    # past the branch point `fork` (not to base): asks too
    past = run_no_tty(branchy, "downgrade", "--all", "root", "-n", "tree")
    assert past.returncode == 2 and "past the branch point fork" in past.stderr, past.stderr
    # --plan never asks
    plan = run_no_tty(branchy, "downgrade", "--all", "base", "--plan")
    assert plan.returncode == 0, plan.stderr
    # one step back on a line needs no confirmation; --yes goes ahead
    one = run_no_tty(branchy, "downgrade", "--all", "-1", "-n", "line")
    assert one.returncode == 0, one.stdout + one.stderr
    assert current(branchy, "line") == {"line0001"}
    yes = run_no_tty(branchy, "downgrade", "--all", "root", "-n", "tree", "--yes")
    assert yes.returncode == 0, yes.stdout + yes.stderr
    assert current(branchy, "tree") == {"root"}


def run_in_pty(repo: Repo, answer: bytes, *args: str) -> tuple[int, str]:
    """Run monomig on a pseudo-terminal, answer its question, return (status, screen)."""
    main, child = pty.openpty()
    p = subprocess.Popen(
        [MONOMIG, *args], cwd=repo.root, env=env_without_urls(), stdin=child, stdout=child, stderr=child, close_fds=True
    )
    os.close(child)
    screen = b""
    answered = False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(main, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            screen += chunk
            if not answered and b"[y/N]" in screen:
                os.write(main, answer)
                answered = True
        elif p.poll() is not None:
            break
    p.wait(timeout=60)
    os.close(main)
    assert answered, screen
    return p.returncode, screen.decode(errors="replace")


def test_downgrade_confirmation_on_a_terminal(branchy: Repo) -> None:
    status, screen = run_in_pty(branchy, b"n\n", "downgrade", "--all", "base", "-n", "line")
    assert status == 1 and "nothing was downgraded" in screen, screen
    assert "line to base (3 steps)" in screen
    assert current(branchy, "line") == {"line0002"}
    status, screen = run_in_pty(branchy, b"y\n", "downgrade", "--all", "base", "-n", "line")
    assert status == 0, screen
    assert re.search(r"line\s+done\s+line0002\s+-\s+3", screen), screen
    assert current(branchy, "line") == set()
