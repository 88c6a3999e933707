"""Randomly generated graphs: monomig's RevisionGraph against Alembic's RevisionMap.

Every graph is built by both, in this process, and compared on its structure
(heads, bases, map keys, every revision's links, labels and flags), on the
resolution of many identifier forms (value or exact error), on walks, lineage
filters, ``iterate_revisions`` and the parse helpers. ``MONOMIG_DIFF_CASES``
raises the number of graphs (default: a run of a few seconds).
"""

from __future__ import annotations

import os
import random
from typing import Any

import pytest
from support.graph_gen import identifiers, malformed_graph, random_graph
from support.graph_oracle import Pair

CASES = int(os.environ.get("MONOMIG_DIFF_CASES", "150"))
SEED = int(os.environ.get("MONOMIG_DIFF_SEED", "20250601"))


def check_queries(rng: random.Random, p: Pair, n_idents: int = 25) -> None:
    m, g = p.map, p.graph
    assert g is not None
    idents = identifiers(rng, p.entries, n_idents)
    ids = [o.revision for o in p.objs]
    cyclic = p.cyclic
    for ident in idents:
        p.compare(
            f"get_revisions({ident!r})", lambda: m.get_revisions(ident), lambda: g.get_revisions(ident, indices=True)
        )
        p.compare(
            f"get_revision({ident!r})", lambda: m.get_revision(ident), lambda: g.get_revision(ident, indices=True)
        )
        p.compare(
            f"_resolve_revision_number({ident!r})",
            lambda: m._resolve_revision_number(ident),
            lambda: g.resolve_revision_number(ident),
        )
        if not cyclic:
            p.compare(
                f"_get_all_current({ident!r})",
                lambda: m._get_all_current(ident),
                lambda: frozenset(g.get_all_current(ident, indices=True)),
            )
        if isinstance(ident, str):
            p.compare(
                f"_get_base_revisions({ident!r})",
                lambda: m._get_base_revisions(ident),
                lambda: g.get_base_revisions(ident),
            )
            targets = rng.sample(ids, k=min(len(ids), 4)) + [i[:4] for i in rng.sample(ids, k=min(len(ids), 2))]
            deps = rng.random() < 0.5
            p.compare(
                f"filter_for_lineage({targets!r}, {ident!r}, {deps})",
                lambda: m.filter_for_lineage(targets, ident, include_dependencies=deps),
                lambda: g.filter_for_lineage(targets, ident, include_dependencies=deps),
            )
            label = ident if rng.random() < 0.5 else (ident.split("@")[0] if "@" in ident else ident)
            p.compare(
                f"get_current_head({label!r})", lambda: m.get_current_head(label), lambda: g.get_current_head(label)
            )
            p.compare(
                f"_resolve_branch({ident!r})",
                lambda: m._resolve_branch(ident),
                lambda: g.resolve_branch(ident, indices=True),
            )
            if ident:
                target = rng.choice(ids) if ids else ident
                p.compare(
                    f"_revision_for_ident({target!r}, {ident!r})",
                    lambda: m._revision_for_ident(target, ident),
                    lambda: g.revision_for_ident(target, ident, indices=True),
                )
        # walks
        if isinstance(ident, (str, type(None))):
            steps = rng.choice([-3, -2, -1, 0, 1, 2, 3])
            label = rng.choice([None, None] + [lbl for o in p.objs for lbl in o._orig_branch_labels])
            now = rng.random() < 0.5
            p.compare(
                f"_walk({ident!r}, {steps}, {label!r}, {now})",
                lambda: m._walk(ident, steps, label, now),
                lambda: g.walk(ident, steps, label, now, indices=True),
            )


def check_iterations(rng: random.Random, p: Pair, count: int = 12) -> None:
    m, g = p.map, p.graph
    assert g is not None
    idents = identifiers(rng, p.entries, 2 * count)
    idents = [i for i in idents if isinstance(i, (str, tuple, type(None)))]
    cur_pool = [(), tuple(m.heads), tuple(m._real_heads)] + [
        tuple(rng.sample([o.revision for o in p.objs], k=min(len(p.objs), rng.randint(1, 2)))) for _ in range(3)
    ]
    for _ in range(count):
        upper = rng.choice(idents) if idents else "heads"
        lower = rng.choice(idents + cur_pool) if idents else "base"
        opts = {
            "implicit_base": rng.random() < 0.4,
            "inclusive": rng.random() < 0.3,
            "assert_relative_length": rng.random() < 0.7,
            "select_for_downgrade": rng.random() < 0.5,
        }
        p.compare(
            f"iterate_revisions({upper!r}, {lower!r}, {opts})",
            lambda: list(m.iterate_revisions(upper, lower, **opts)),
            lambda: g.iterate_revisions(upper, lower, **opts, indices=True),
            any_overlap=isinstance(lower, str) and "@" in lower,
        )
        current = rng.choice(cur_pool)
        target = rng.choice(idents) if idents else "heads"
        arl = rng.random() < 0.7
        if isinstance(target, str):
            p.compare(
                f"_parse_downgrade_target({current!r}, {target!r}, {arl})",
                lambda: m._parse_downgrade_target(current, target, arl),
                lambda: g.parse_downgrade_target(current, target, arl, indices=True),
            )
        p.compare(
            f"_parse_upgrade_target({current!r}, {target!r}, {arl})",
            lambda: m._parse_upgrade_target(current, target, arl),
            lambda: g.parse_upgrade_target(current, target, arl, indices=True),
        )
    # walks over objects, with and without dependencies and checks
    for _ in range(4):
        picks = rng.sample(range(len(p.objs)), k=min(len(p.objs), rng.randint(1, 3)))
        objs = [p.objs[i] for i in picks]
        deps = rng.random() < 0.5
        check = rng.random() < 0.5
        p.compare(
            f"_get_descendant_nodes({picks}, deps={deps}, check={check})",
            lambda: list(m._get_descendant_nodes(objs, include_dependencies=deps, check=check)),
            lambda: g.descendants(picks, include_dependencies=deps, check=check, indices=True),
        )
        p.compare(
            f"_get_ancestor_nodes({picks}, deps={deps}, check={check})",
            lambda: list(m._get_ancestor_nodes(objs, include_dependencies=deps, check=check)),
            lambda: g.ancestors(picks, include_dependencies=deps, check=check, indices=True),
        )
        if p.cyclic:
            continue
        p.compare(
            f"_filter_into_branch_heads({picks})",
            lambda: m._filter_into_branch_heads(objs),
            lambda: frozenset(g.filter_into_branch_heads(picks, indices=True)),
        )
        p.compare(
            f"_topological-walk history {picks}",
            lambda: [s.revision for s in p.script.walk_revisions()],
            lambda: g.walk_revisions(),
        )


def run_valid(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.choice([1, 3, 8, 15, 25, 40])
    entries = random_graph(rng, rng.randint(1, n))
    p = Pair(entries)
    p.check_build()
    if not p.ok:
        raise AssertionError(f"valid graph failed to build: {p.alembic_build} {entries!r}")
    p.check_structure()
    check_queries(rng, p)
    check_iterations(rng, p)


def run_malformed(seed: int) -> None:
    rng = random.Random(seed)
    _kind, entries = malformed_graph(rng)
    p = Pair(entries)
    p.check_build()
    if p.ok:
        p.check_structure()
        check_queries(rng, p, 8)
        if not p.cyclic:
            # With a cycle Alembic's topological sort can loop forever.
            check_iterations(rng, p, 4)


@pytest.mark.slow
@pytest.mark.parametrize("chunk", range(10))
def test_random_valid_graphs(chunk: int) -> None:
    for k in range(chunk, CASES, 10):
        run_valid(SEED + k)


@pytest.mark.slow
@pytest.mark.parametrize("chunk", range(5))
def test_random_malformed_graphs(chunk: int) -> None:
    for k in range(chunk, CASES, 5):
        run_malformed(SEED * 7 + k)


def test_deterministic_without_hook() -> None:
    """Without a set-order hook the answers are deterministic and, apart from
    set orders, the same as with Python's own order."""
    import monomig

    rng = random.Random(SEED)
    for _ in range(30):
        entries = random_graph(rng, rng.randint(1, 20), p_dep=0.3, p_merge=0.3)
        a = monomig.RevisionGraph(entries)
        b = monomig.RevisionGraph(entries)
        assert a.heads == b.heads
        assert a.iterate_revisions("heads", "base") == b.iterate_revisions("heads", "base")
        p = Pair(entries)
        assert p.ok
        assert a.heads == p.map.heads
        assert a.real_heads == p.map._real_heads
        assert a.bases == p.map.bases
        assert set(a.iterate_revisions("heads", "base")) == {
            r.revision for r in p.map.iterate_revisions("heads", "base")
        }
        for o in p.objs:
            info: dict[str, Any] = a.revision_info(o.revision)
            assert set(info["nextrev"]) == set(o.nextrev)
            assert set(info["normalized_resolved_dependencies"]) == set(o._normalized_resolved_dependencies)
            assert set(info["branch_labels"]) == set(o.branch_labels)
