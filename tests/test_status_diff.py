"""`monomig status` against stock Alembic on generated graphs (branches, merges, several
heads): `current` is what `alembic current` shows, and `pending` is the number of steps
`alembic upgrade heads` then runs."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest
from support.fleet_repo import Repo, alembic, monomig


def random_graph(rng: random.Random, n: int) -> list[tuple[str, tuple[str, ...]]]:
    revs: list[tuple[str, tuple[str, ...]]] = []
    heads: list[str] = []
    for i in range(n):
        rid = f"r{i:03d}{rng.randrange(16**4):04x}"
        if not revs:
            down: tuple[str, ...] = ()
        elif len(heads) >= 2 and rng.random() < 0.3:
            down = tuple(rng.sample(heads, 2))
        elif rng.random() < 0.25:
            down = (rng.choice(revs)[0],)  # a branch off anywhere
        else:
            down = (rng.choice(heads),)
        for d in down:
            if d in heads:
                heads.remove(d)
        heads.append(rid)
        revs.append((rid, down))
    return revs


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(6))
def test_pending_matches_alembic_upgrade(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    repo = Repo(tmp_path / "repo")
    repo.add_service("svc", f"sqlite:///{tmp_path}/g.db")
    graph = random_graph(rng, rng.randrange(4, 14))
    for rid, down in graph:
        repo.revision("svc", rid, None if not down else down[0] if len(down) == 1 else down)
    # Bring the database somewhere in the middle: upgrade to one or two random revisions.
    ids = [r for r, _ in graph]
    start = rng.sample(ids, 1)[0]
    r = alembic(repo.root, "-n", "svc", "upgrade", start)
    assert r.returncode == 0, r.stderr
    if rng.random() < 0.5:
        other = rng.choice(ids)
        alembic(repo.root, "-n", "svc", "upgrade", other)  # may fail (not a valid target): fine

    st = json.loads(monomig(repo.root, "status", "--json").stdout)[0]
    cur = alembic(repo.root, "-n", "svc", "current").stdout
    assert set(st["current"]) == {line.split()[0] for line in cur.splitlines() if line.strip()}
    heads = alembic(repo.root, "-n", "svc", "heads").stdout
    assert set(st["heads"]) == {line.split()[0] for line in heads.splitlines() if line.strip()}

    up = alembic(repo.root, "-n", "svc", "upgrade", "heads")
    assert up.returncode == 0, up.stderr
    ran = len(re.findall(r"Running upgrade", up.stderr))
    assert st["pending"] == ran, (graph, st, up.stderr)
    assert st["state"] == ("up_to_date" if ran == 0 else "behind")
    after = json.loads(monomig(repo.root, "status", "--json").stdout)[0]
    assert after["state"] == "up_to_date" and after["pending"] == 0
