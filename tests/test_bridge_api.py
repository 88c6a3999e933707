"""ScriptDirectory's API with the bridge against stock Alembic on random revision graphs.

Each graph (tests/support/graph_gen.py: branches, merges, several bases, depends_on,
branch labels, odd identifiers) is written as revision files; one stock
``ScriptDirectory`` and one bridged ``ScriptDirectory`` read them, and the questions
Alembic's commands ask are put to both: heads, bases, walk_revisions, get_revisions of
random identifiers, get_all_current, and the upgrade/downgrade/stamp plans from random
version-table states, with the version-table writes each plan makes.
"""

from __future__ import annotations

import random
import re
import signal
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.graph_gen import downgrade_targets, identifiers, random_graph, states, upgrade_targets

from monomig import bridge

SEED = 7100
CASES = 120


def _write(vdir: Path, entries: list[Any]) -> None:
    vdir.mkdir(parents=True)
    for i, (rev, down, deps, labels) in enumerate(entries):
        (vdir / f"r{i:03d}.py").write_text(
            f"revision = {rev!r}\ndown_revision = {down!r}\ndepends_on = {deps!r}\nbranch_labels = {labels!r}\n\n"
            "def upgrade():\n    pass\n\n\ndef downgrade():\n    pass\n"
        )


class _Hang(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise _Hang()


def outcome(fn: Callable[[], Any]) -> tuple[Any, ...]:
    from alembic.script.revision import RevisionError
    from alembic.util import CommandError

    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, 10.0)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            value = fn()
        return ("ok", value, sorted(str(w.message) for w in caught))
    except (RevisionError, CommandError) as e:
        return ("err", type(e).__name__, str(e))
    except Exception as e:  # noqa: BLE001  stock Alembic's crashes and hangs
        return ("crash", type(e).__name__)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _revs(objs: Any) -> Any:
    return tuple(None if o is None else o.revision for o in objs)


def _steps(steps: Any) -> list[Any]:
    return [
        (
            type(s).__name__,
            s.is_upgrade,
            tuple(s.from_revisions),
            tuple(s.to_revisions),
            getattr(s, "branch_move", None),
        )
        for s in steps
    ]


def _apply(steps: Any, heads: tuple[str, ...]) -> Any:
    """The version-table writes of HeadMaintainer for a plan (what lands in the table)."""
    current = set(heads)
    writes = []
    for step in steps:
        if step.should_delete_branch(current):
            writes.append(("delete", step.delete_version_num))
            current.discard(step.delete_version_num)
        elif step.should_create_branch(current):
            writes.append(("insert", step.insert_version_num))
            current.add(step.insert_version_num)
        elif step.should_merge_branches(current):
            delete, frm, to = step.merge_branch_idents(current)
            writes.append(("merge", tuple(delete), frm, to))
            current.difference_update(delete)
            current.discard(frm)
            current.add(to)
        elif step.should_unmerge_branches(current):
            frm, to, insert = step.unmerge_branch_idents(current)
            writes.append(("unmerge", frm, to, tuple(insert)))
            current.discard(frm)
            current.add(to)
            current.update(insert)
        else:
            frm, to = step.update_version_num(current)
            writes.append(("update", frm, to))
            current.discard(frm)
            current.add(to)
    return writes, sorted(current)


def questions(
    sd: Any, rng: random.Random, entries: list[Any], heads: Any, state_list: list[tuple[str, ...]]
) -> list[tuple[str, Callable[[], Any]]]:
    qs: list[tuple[str, Callable[[], Any]]] = [
        ("heads", lambda: sd.get_heads()),
        ("bases", lambda: sd.get_bases()),
        ("walk", lambda: _revs(sd.walk_revisions())),
        ("current_head", lambda: sd.get_current_head()),
    ]
    for ident in identifiers(rng, entries, 12):
        qs.append((f"get_revisions {ident!r}", lambda i=ident: _revs(sd.get_revisions(i))))
    for state in state_list:
        qs.append((f"all_current {state}", lambda s=state: sorted(r.revision for r in sd.get_all_current(s))))
        for t in upgrade_targets(rng, entries, 3):
            qs.append((f"upgrade {t} from {state}", lambda t=t, s=state: _apply(sd._upgrade_revs(t, s), s)))
            qs.append((f"steps of upgrade {t} from {state}", lambda t=t, s=state: _steps(sd._upgrade_revs(t, s))))
        for t in downgrade_targets(rng, entries, 3):
            qs.append((f"downgrade {t} from {state}", lambda t=t, s=state: _apply(sd._downgrade_revs(t, s), s)))
        for t in upgrade_targets(rng, entries, 2) + ["base", "heads"]:
            qs.append((f"stamp {t} from {state}", lambda t=t, s=state: _apply(sd._stamp_revs(t, s), s)))
    return qs


_OVERLAP = re.compile(r"^(Requested revision \S+ overlaps with other requested revisions )(.*)$")


def _canon(msg: str) -> Any:
    m = _OVERLAP.match(msg)
    return (m.group(1), frozenset(m.group(2).split(", "))) if m else msg


def run_case(tmp: Path, seed: int) -> None:
    from alembic.script import ScriptDirectory

    rng = random.Random(seed)
    entries = random_graph(rng, rng.randint(1, 18))
    root = tmp / f"case{seed}"
    _write(root / "versions", entries)
    bridge.deactivate()
    stock = ScriptDirectory(str(root))
    bridge.activate()
    bridged = ScriptDirectory(str(root))
    assert type(bridged.revision_map).__name__ == "BridgeRevisionMap"
    built = outcome(lambda: stock.get_heads())
    if built[0] != "ok":
        return  # graphs Alembic cannot load are covered by test_graph_diff.py
    heads = tuple(stock.get_heads())
    # version-table states (the same tuples, in the same order, for both sides)
    all_current = lambda ids: sorted(r.revision for r in stock.get_all_current(tuple(ids)))  # noqa: E731
    state_list = states(random.Random(seed * 17), entries, heads, all_current, 3)
    qrng = random.Random(seed * 31)
    a_qs = questions(stock, qrng, entries, heads, state_list)
    qrng = random.Random(seed * 31)
    b_qs = questions(bridged, qrng, entries, heads, state_list)
    for (name, qa), (_, qb) in zip(a_qs, b_qs, strict=False):
        a, b = outcome(qa), outcome(qb)
        if a[0] == "crash":
            # Stock Alembic crashes (KeyError, AssertionError, endless loops): the bridge
            # fails with a message, or with the same assertion where the code that
            # asserts is Alembic's own (_stamp_revs), which the bridge keeps.
            assert b[0] == "err" or b == a, (seed, name, a, b)
            continue
        if name.startswith(("upgrade", "downgrade", "stamp")) and a[0] == b[0] == "ok":
            # a merge's DELETE/UPDATE choice comes from a Python set: compare the rows
            assert a[1][1] == b[1][1], (seed, name, entries, a, b)
            continue
        if a[0] == b[0] == "err":
            # "overlaps with other requested revisions ..." lists a set of objects
            assert (a[1], _canon(a[2])) == (b[1], _canon(b[2])), (seed, name, entries, a, b)
            continue
        assert a == b, (seed, name, entries, a, b)


@pytest.mark.slow
@pytest.mark.parametrize("chunk", range(4))
def test_random_graphs(tmp_path: Path, chunk: int) -> None:
    try:
        for k in range(chunk, CASES, 4):
            run_case(tmp_path, SEED + k)
    finally:
        bridge.deactivate()
