"""Measure monomig's RevisionGraph next to Alembic's RevisionMap.

For each shape and size: build the map, read its heads, and plan a full
`upgrade heads` from an empty database (Alembic: `ScriptDirectory._upgrade_revs`
over its RevisionMap; monomig: `RevisionGraph.upgrade_plan`), plus `current`
(`_get_all_current` of the head) and `history` (`walk_revisions`).

    python bench/graph_compare.py [sizes...]
"""

from __future__ import annotations

import sys
import time
import types

from alembic.script import revision as rv
from alembic.script.base import ScriptDirectory

import monomig


class BenchRevision(rv.Revision):
    module = types.SimpleNamespace(upgrade=lambda: None, downgrade=lambda: None)


def linear(n: int) -> list[tuple]:
    ids = ["%012x" % (i * 2654435761 % (1 << 48)) for i in range(n)]
    return [(ids[i], ids[i - 1] if i else None, None, None) for i in range(n)]


def merges(n: int) -> list[tuple]:
    """A main line where every 4th revision merges a two-revision side branch."""
    ids = ["%012x" % (i * 2654435761 % (1 << 48)) for i in range(n)]
    out: list[tuple] = []
    i = 0
    prev = None
    while i < n:
        k = i % 4
        if k == 0 or prev is None:
            out.append((ids[i], prev, None, None))
            branch_point = ids[i]
        elif k == 1:
            out.append((ids[i], branch_point, None, None))
        elif k == 2:
            out.append((ids[i], branch_point, None, None))
        else:
            out.append((ids[i], (ids[i - 2], ids[i - 1]), None, None))
        prev = ids[i]
        i += 1
    return out


def services(n: int) -> list[tuple]:
    """Five labelled lines (one per service); every 10th revision depends on
    the newest revision of the next line, by id or by label."""
    ids = ["%012x" % (i * 2654435761 % (1 << 48)) for i in range(n)]
    tips: list[str | None] = [None] * 5
    out: list[tuple] = []
    for i in range(n):
        line = i % 5
        deps = None
        if i % 10 == 9 and tips[(line + 1) % 5]:
            deps = tips[(line + 1) % 5] if i % 20 == 9 else "svc%d" % ((line + 1) % 5)
        label = "svc%d" % line if tips[line] is None else None
        out.append((ids[i], tips[line], deps, label))
        tips[line] = ids[i]
    return out


def timed(fn):
    t = time.perf_counter()
    r = fn()
    return time.perf_counter() - t, r


def alembic(entries):
    def build():
        objs = [BenchRevision(*e) for e in entries]
        m = rv.RevisionMap(lambda: objs)
        _ = m.heads  # builds the map (what is timed)
        return m

    t_build, m = timed(build)
    sd = ScriptDirectory.__new__(ScriptDirectory)
    sd.revision_map = m
    t_plan, steps = timed(lambda: sd._upgrade_revs("heads", ()))
    t_current, _cur = timed(lambda: m._get_all_current(tuple(m.heads)))
    return t_build, t_plan, t_current, [s.revision.revision for s in steps], m


def mono(entries):
    t_build, g = timed(lambda: (lambda g: (g.heads, g)[1])(monomig.RevisionGraph(entries)))
    t_plan, steps = timed(lambda: g.upgrade_plan("heads", ()))
    t_current, _cur = timed(lambda: g.get_all_current(tuple(g.heads)))
    return t_build, t_plan, t_current, [s.revision for s in steps], g


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 5000]
    print(
        f"{'shape':8} {'n':>6} | {'alembic build+heads':>19} {'plan':>8} {'current':>8} | "
        f"{'monomig build+heads':>19} {'plan':>8} {'current':>8} | same order"
    )
    for shape in (linear, merges, services):
        for n in sizes:
            entries = shape(n)
            ab, ap, ac, aorder, _ = alembic(entries)
            mb, mp, mc, morder, _ = mono(entries)
            print(
                f"{shape.__name__:8} {n:6} | {ab:18.3f}s {ap:7.3f}s {ac:7.3f}s | "
                f"{mb:18.4f}s {mp:7.4f}s {mc:7.4f}s | {aorder == morder}"
            )


if __name__ == "__main__":
    main()
