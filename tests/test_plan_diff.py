"""Plans against Alembic's own ScriptDirectory and HeadMaintainer.

Upgrade, downgrade and stamp plans from monomig are compared step by step with
``ScriptDirectory._upgrade_revs`` / ``_downgrade_revs`` / ``_stamp_revs`` run
on Alembic's ``RevisionMap`` for the same revisions, and the version-table
statements from ``apply_steps`` with those Alembic's ``HeadMaintainer`` issues
against a real SQLite version table. Sessions chain commands, so later plans
start from states Alembic itself produced. ``MONOMIG_DIFF_CASES`` raises the
number of graphs.
"""

from __future__ import annotations

import os
import random
import warnings
from typing import Any

import pytest
from support.graph_gen import downgrade_targets, random_graph, states, upgrade_targets
from support.graph_oracle import Mismatch, Pair, VersionTable, alembic_outcome, monomig_outcome, same_outcome

CASES = int(os.environ.get("MONOMIG_DIFF_CASES", "150"))
SEED = int(os.environ.get("MONOMIG_DIFF_SEED", "20250601"))


@pytest.fixture(scope="module")
def table() -> Any:
    t = VersionTable()
    yield t
    t.close()


def plan_pair(p: Pair, kind: str, target: Any, state: tuple[str, ...]) -> tuple[Any, Any]:
    sd, g = p.script, p.graph
    assert g is not None
    if kind == "upgrade":
        return (lambda: sd._upgrade_revs(target, state)), (lambda: g.upgrade_plan(target, state))
    if kind == "downgrade":
        return (lambda: sd._downgrade_revs(target, state)), (lambda: g.downgrade_plan(target, state))
    return (lambda: sd._stamp_revs(target, state)), (lambda: g.stamp_plan(target, state))


def check_plan(p: Pair, table: VersionTable, kind: str, target: Any, state: tuple[str, ...]) -> tuple[str, ...] | None:
    """Compare one plan and its effect; return the resulting version-table rows."""
    a_fn, m_fn = plan_pair(p, kind, target, state)
    what = f"{kind}({target!r}) from {state!r}"
    a = p.compare(what, lambda: [p.step_tuple(s) for s in a_fn()], lambda: [p.step_tuple(s) for s in m_fn()])
    if a[0] != "ok":
        return None
    assert p.graph is not None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a_steps, m_steps = a_fn(), m_fn()
    ra = alembic_outcome(lambda: table.run(state, a_steps))
    rm = monomig_outcome(lambda: p.graph.apply_steps(list(state), m_steps))
    if ra[0] == "ok":
        ops, rows = ra[1]
        if rm[0] != "ok" or [tuple(o) for o in rm[1][0]] != ops or frozenset(rm[1][1]) != rows:
            raise Mismatch(f"apply {what}\n  entries={p.entries!r}\n  alembic={ra!r}\n  monomig={rm!r}")
        table_rows = tuple(r for r in table.rows())
        if tuple(rm[1][1]) != table_rows:
            raise Mismatch(f"row order {what}\n  entries={p.entries!r}\n  sqlite={table_rows!r}\n  monomig={rm!r}")
        return table_rows
    if not same_outcome(ra, rm):
        raise Mismatch(f"apply {what}\n  entries={p.entries!r}\n  alembic={ra!r}\n  monomig={rm!r}")
    return None


def all_current(p: Pair) -> Any:
    def f(picks: tuple[str, ...]) -> list[str]:
        return [o.revision for o in sorted(p.map._get_all_current(picks), key=lambda o: p.index[id(o)])]

    return f


def stamp_targets(rng: random.Random, p: Pair) -> list[Any]:
    ids = [o.revision for o in p.objs]
    labels = [lbl for o in p.objs for lbl in o._orig_branch_labels]
    out: list[Any] = ["heads", "base", ("heads",), ("base",), "head"]
    for _ in range(3):
        if ids:
            out.append(rng.choice(ids))
            out.append(tuple(rng.sample(ids, k=min(len(ids), 2))))
        if labels:
            out.append(rng.choice(labels) + rng.choice(["@head", "@base", "@heads"]))
    return out


def run_graph(seed: int, table: VersionTable) -> None:
    rng = random.Random(seed)
    entries = random_graph(rng, rng.randint(1, rng.choice([6, 15, 30])))
    p = Pair(entries)
    p.check_build()
    assert p.ok
    for state in states(rng, entries, p.map.heads, all_current(p)):
        for target in upgrade_targets(rng, entries, 3):
            check_plan(p, table, "upgrade", target, state)
        for target in downgrade_targets(rng, entries, 3):
            check_plan(p, table, "downgrade", target, state)
        for target in rng.sample(stamp_targets(rng, p), k=3):
            check_plan(p, table, "stamp", target, state)


def run_session(seed: int, table: VersionTable) -> None:
    """Chain commands; every state comes from Alembic's own version table."""
    rng = random.Random(seed)
    entries = random_graph(rng, rng.randint(2, 25))
    p = Pair(entries)
    p.check_build()
    assert p.ok
    state: tuple[str, ...] = ()
    for _ in range(10):
        kind = rng.choice(["upgrade", "upgrade", "downgrade", "stamp"])
        if kind == "upgrade":
            target: Any = rng.choice(upgrade_targets(rng, entries, 3))
        elif kind == "downgrade":
            target = rng.choice(downgrade_targets(rng, entries, 3))
        else:
            target = rng.choice(stamp_targets(rng, p))
        rows = check_plan(p, table, kind, target, state)
        if rows is not None:
            state = rows


@pytest.mark.slow
@pytest.mark.parametrize("chunk", range(5))
def test_random_plans(chunk: int, table: VersionTable) -> None:
    for k in range(chunk, CASES, 5):
        run_graph(SEED + 31 * k, table)


@pytest.mark.slow
@pytest.mark.parametrize("chunk", range(5))
def test_random_sessions(chunk: int, table: VersionTable) -> None:
    for k in range(chunk, CASES, 5):
        run_session(SEED + 17 * k, table)
