"""Hand-picked graphs and every identifier form and error, against Alembic.

Each case runs the same question on Alembic's RevisionMap (or ScriptDirectory
planning) and on monomig's RevisionGraph, and requires the same answer or the
same exception class and message. A few answers are also spelled out, so the
expected behaviour is readable here.
"""

from __future__ import annotations

from typing import Any

import pytest
from support.graph_oracle import Pair

import monomig

# a -> b -> (c -> e[br1]) and (d[br2]) ; f merges d and e
BRANCHY = [
    ("a1b2c3d4e5f6", None, None, None),
    ("b2c3d4e5f6a1", "a1b2c3d4e5f6", None, None),
    ("c3d4e5f6a1b2", "b2c3d4e5f6a1", None, None),
    ("d4e5f6a1b2c3", "b2c3d4e5f6a1", None, "br2"),
    ("e5f6a1b2c3d4", "c3d4e5f6a1b2", None, ("br1",)),
    ("f6a1b2c3d4e5", ("d4e5f6a1b2c3", "e5f6a1b2c3d4"), None, None),
]

# two independent lines, with dependencies across them by id and by label
MULTI = [
    ("s1base", None, None, "svc1"),
    ("s1x1", "s1base", None, None),
    ("s2base", None, None, "svc2"),
    ("s2y1", "s2base", "s1x1", None),
    ("s2y2", "s2y1", "svc1", None),
    ("s1x2", "s1x1", None, None),
    ("s2y3", "s2y2", ("s1x2", "s1x1"), None),
]

# two open heads and look-alike prefixes (labels count as candidates)
PREFIXES = [
    ("abcdef01", None, None, None),
    ("abcdef02", "abcdef01", None, None),
    ("abcd1234", "abcdef01", None, "abcdlabel"),
    ("abc", "abcdef02", None, None),
    ("1234", "abc", None, None),
    ("9999", "1234", None, None),
]

LINEAR = [("r%d" % i + "x" * 3, ("r%d" % (i - 1) + "x" * 3) if i else None, None, None) for i in range(6)]

# revision ids that are also keywords, and non-ASCII ids (lengths count characters)
ODD = [
    ("base", None, None, None),
    ("head", "base", None, None),
    ("heads", "head", None, "kw"),
    ("ééé", "heads", None, None),
    ("éééé1", "ééé", None, "ünï"),
    ("1234", "éééé1", None, None),
    (" 12", "1234", None, None),
]

# duplicated ids with labels on both copies and on their neighbours
DUPLICATED = [
    ("aaaa", None, None, "first"),
    ("zzzz", None, None, None),
    ("bbbb", "aaaa", None, None),
    ("aaaa", "zzzz", None, "second"),
    ("cccc", "aaaa", None, "third"),
    ("dddd", "bbbb", "first", None),
]

GRAPHS = {
    "branchy": BRANCHY,
    "multi": MULTI,
    "prefixes": PREFIXES,
    "linear": LINEAR,
    "odd": ODD,
    "duplicated": DUPLICATED,
}

IDENTIFIERS: list[Any] = [
    # symbolic names
    "heads",
    "head",
    "base",
    None,
    (),
    "",
    # full, partial, too short, ambiguous, missing
    "a1b2c3d4e5f6",
    "a1b2",
    "a1b",
    "a",
    "abcd",
    "abcde",
    "abcdef0",
    "abcdef01",
    "abc",
    "1234",
    "12",
    "nosuch",
    "zzz",
    "s1x",
    "s2y",
    "r3xx",
    "r3xxx",
    # labels and label@ forms
    "br1",
    "br2",
    "svc1",
    "svc2",
    "abcdlabel",
    "br1@head",
    "br1@heads",
    "br1@base",
    "br2@head",
    "svc2@head",
    "svc1@heads",
    "svc2@base",
    "br1@c3d4",
    "br1@d4e5",
    "br2@d4e5f6a1b2c3",
    "svc1@s1x1",
    "svc1@s2y1",
    "nosuch@head",
    "nosuch@a1b2",
    "a1b2c3d4e5f6@head",
    "c3d4@head",
    "abcdlabel@heads",
    "@head",
    "@heads",
    "@base",
    "x@",
    "@",
    # relative forms
    "+1",
    "+2",
    "-1",
    "-2",
    "-0",
    "+0",
    "-9",
    "br1@-1",
    "br2@-1",
    "svc1@-1",
    "svc2@-2",
    "br1@+1",
    "a1b2+1",
    "a1b2+2",
    "c3d4-1",
    "c3d4-5",
    "b2c3+1",
    "br1@c3d4-1",
    "br1@c3d4+1",
    "s2y1-1",
    "s1x1+1",
    "abc+1",
    "1234-1",
    "heads-1",
    "head+1",
    "r2xxx+10",
    "r2xxx-10",
    # odd ids
    "ééé",
    "éé",
    "éééé",
    "ünï@head",
    "kw@heads",
    "kw@base",
    " 12",
    "12",
    "aaaa",
    "first@head",
    "second@heads",
    "third@aaaa",
    "first@-1",
    "second@+1",
    "aaaa+1",
    "aaaa-1",
    # Python int() forms of negative walks
    " -1",
    "-1_0",
    "-01",
    # non-strings and sequences
    ("a1b2c3d4e5f6",),
    ("a1b2", "c3d4"),
    ("heads",),
    ["base", "a1b2"],
    ("s1x1", None),
    5,
    b"abc",
    (b"abc",),
    (None,),
    (5, "a"),
]


@pytest.fixture(params=list(GRAPHS), scope="module")
def pair(request: Any) -> Pair:
    p = Pair(GRAPHS[request.param])
    p.check_build()
    assert p.ok
    p.check_structure()
    return p


def test_identifiers(pair: Pair) -> None:
    m, g = pair.map, pair.graph
    assert g is not None
    for ident in IDENTIFIERS:
        pair.compare(
            f"get_revisions({ident!r})", lambda: m.get_revisions(ident), lambda: g.get_revisions(ident, indices=True)
        )
        pair.compare(
            f"get_revision({ident!r})", lambda: m.get_revision(ident), lambda: g.get_revision(ident, indices=True)
        )
        pair.compare(
            f"_resolve_revision_number({ident!r})",
            lambda: m._resolve_revision_number(ident),
            lambda: g.resolve_revision_number(ident),
        )
        pair.compare(
            f"_get_all_current({ident!r})",
            lambda: m._get_all_current(ident),
            lambda: frozenset(g.get_all_current(ident, indices=True)),
        )
        if isinstance(ident, str):
            pair.compare(
                f"get_current_head({ident!r})", lambda: m.get_current_head(ident), lambda: g.get_current_head(ident)
            )
            pair.compare(
                f"_get_base_revisions({ident!r})",
                lambda: m._get_base_revisions(ident),
                lambda: g.get_base_revisions(ident),
            )
            pair.compare(
                f"_resolve_branch({ident!r})",
                lambda: m._resolve_branch(ident),
                lambda: g.resolve_branch(ident, indices=True),
            )
            for check in ("br1", "br2", "svc1", "abcdlabel", "nosuch"):
                pair.compare(
                    f"_revision_for_ident({ident!r}, {check!r})",
                    lambda: m._revision_for_ident(ident, check),
                    lambda: g.revision_for_ident(ident, check, indices=True),
                )
            for deps in (False, True):
                pair.compare(
                    f"filter_for_lineage(heads, {ident!r}, {deps})",
                    lambda: m.filter_for_lineage(m.heads, ident, include_dependencies=deps),
                    lambda: g.filter_for_lineage(g.heads, ident, include_dependencies=deps),
                )
            for steps in (-2, -1, 1, 2):
                for label in (None, "br1", "svc2"):
                    for now in (True, False):
                        pair.compare(
                            f"_walk({ident!r}, {steps}, {label!r}, {now})",
                            lambda: m._walk(ident, steps, label, now),
                            lambda: g.walk(ident, steps, label, now, indices=True),
                        )


def test_iterate_and_parse(pair: Pair) -> None:
    m, g = pair.map, pair.graph
    assert g is not None
    bounds = [i for i in IDENTIFIERS if isinstance(i, (str, tuple, type(None)))]
    currents: list[Any] = [(), tuple(m.heads), None, "base"] + [(o.revision,) for o in pair.objs]
    for upper in bounds[::3]:
        for lower in bounds[1::4] + currents[::2]:
            for down in (False, True):
                for implicit_base in (False, True):
                    pair.compare(
                        f"iterate_revisions({upper!r}, {lower!r}, down={down}, ib={implicit_base})",
                        lambda: list(
                            m.iterate_revisions(upper, lower, implicit_base=implicit_base, select_for_downgrade=down)
                        ),
                        lambda: g.iterate_revisions(
                            upper, lower, implicit_base=implicit_base, select_for_downgrade=down, indices=True
                        ),
                        any_overlap=isinstance(lower, str) and "@" in lower,
                    )
    for current in currents:
        for target in bounds:
            for arl in (True, False):
                pair.compare(
                    f"_parse_upgrade_target({current!r}, {target!r}, {arl})",
                    lambda: m._parse_upgrade_target(current, target, arl),
                    lambda: g.parse_upgrade_target(current, target, arl, indices=True),
                )
                if isinstance(target, str) or target is None:
                    pair.compare(
                        f"_parse_downgrade_target({current!r}, {target!r}, {arl})",
                        lambda: m._parse_downgrade_target(current, target, arl),
                        lambda: g.parse_downgrade_target(current, target, arl, indices=True),
                    )


def test_plans(pair: Pair) -> None:
    sd, g = pair.script, pair.graph
    assert g is not None
    currents: list[tuple[str, ...]] = [(), tuple(pair.map.heads)] + [(o.revision,) for o in pair.objs]
    targets = [i for i in IDENTIFIERS if isinstance(i, str)]
    for current in currents:
        for target in targets:
            pair.compare(
                f"_upgrade_revs({target!r}, {current!r})",
                lambda: [pair.step_tuple(s) for s in sd._upgrade_revs(target, current)],
                lambda: [pair.step_tuple(s) for s in g.upgrade_plan(target, current)],
            )
            pair.compare(
                f"_downgrade_revs({target!r}, {current!r})",
                lambda: [pair.step_tuple(s) for s in sd._downgrade_revs(target, current)],
                lambda: [pair.step_tuple(s) for s in g.downgrade_plan(target, current)],
            )
            pair.compare(
                f"_stamp_revs({target!r}, {current!r})",
                lambda: [pair.step_tuple(s) for s in sd._stamp_revs(target, current)],
                lambda: [pair.step_tuple(s) for s in g.stamp_plan(target, current)],
            )
    for base, head in [
        ("base", "heads"),
        ("base", "head"),
        ("a1b2", "heads"),
        ("c3d4", "d4e5"),
        ("base", "nosuch"),
        ("s1x1", "s2y3"),
    ]:
        pair.compare(
            f"walk_revisions({base!r}, {head!r})",
            lambda: [s.revision for s in sd.walk_revisions(base, head)],
            lambda: g.walk_revisions(base, head),
        )


# --- the messages themselves ----------------------------------------------------


def graph(entries: list[tuple[Any, ...]]) -> monomig.RevisionGraph:
    return monomig.RevisionGraph(entries)


@pytest.mark.parametrize(
    ("entries", "ident", "exc", "message"),
    [
        (BRANCHY, "nosuch", monomig.ResolutionError, "No such revision or branch 'nosuch'"),
        (
            BRANCHY,
            "zz1",
            monomig.ResolutionError,
            "No such revision or branch 'zz1'; please ensure at least four characters are present "
            "for partial revision identifier matches",
        ),
        (
            PREFIXES,
            "abcd",
            monomig.ResolutionError,
            "Multiple revisions start with 'abcd': 'abcdef01', 'abcdef02', 'abcd1234'...",
        ),
        (BRANCHY, "br1@d4e5f6a1b2c3", monomig.ResolutionError, "Revision d4e5f6a1b2c3 is not a member of branch 'br1'"),
        (BRANCHY, "br1@d4e5", monomig.ResolutionError, "No such revision or branch 'd4e5'"),
        (BRANCHY, "nosuch@a1b2c3d4e5f6", monomig.ResolutionError, "No such branch: 'nosuch'"),
        (BRANCHY, "nosuch@head", monomig.ResolutionError, "No such revision or branch 'nosuch'"),
        (
            PREFIXES,
            "head",
            monomig.MultipleHeads,
            "Multiple heads are present for given argument 'head'; abcd1234, 9999",
        ),
        (
            BRANCHY,
            (b"abc",),
            monomig.RevisionError,
            "revision identifier (b'abc',) is not a string; ensure database driver settings are correct",
        ),
        (BRANCHY, "c3d4-5", monomig.RevisionError, None),
    ],
)
def test_resolution_messages(entries: Any, ident: Any, exc: type, message: str | None) -> None:
    p = Pair(entries)
    a = p.compare(
        f"get_revision({ident!r})", lambda: p.map.get_revision(ident), lambda: p.graph.get_revision(ident, indices=True)
    )  # type: ignore[union-attr]
    assert a[0] in ("err", "crash")
    with pytest.raises(exc) as info:
        graph(entries).get_revision(ident)
    if message is not None:
        assert str(info.value) == message


def test_exception_attributes() -> None:
    with pytest.raises(monomig.MultipleHeads) as mh:
        graph(PREFIXES).get_revision("head")
    assert mh.value.heads == ("abcd1234", "9999")
    assert mh.value.argument == "head"
    with pytest.raises(monomig.ResolutionError) as re_:
        graph(BRANCHY).get_revision("nosuch")
    assert re_.value.argument == "nosuch"
    with pytest.raises(monomig.RangeNotAncestorError) as rna:
        graph(BRANCHY).iterate_revisions("b2c3d4e5f6a1", "c3d4e5f6a1b2")
    assert (rna.value.lower, rna.value.upper) == ("c3d4e5f6a1b2", "b2c3d4e5f6a1")
    assert str(rna.value) == "Revision c3d4e5f6a1b2 is not an ancestor of revision b2c3d4e5f6a1"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda g: g.upgrade_plan("head", ()),
            "Multiple head revisions are present for given argument 'head'; please specify a specific "
            "target revision, '<branchname>@head' to narrow to a specific head, or 'heads' for all heads",
        ),
        (lambda g: g.upgrade_plan("nosuch", ()), "Can't locate revision identified by 'nosuch'"),
        (lambda g: g.upgrade_plan("abcd", ()), "Can't locate revision identified by 'abcd'"),
        (
            lambda g: g.downgrade_plan("abcd1234", ("abcdef02",)),
            "Destination abcd1234 is not a valid downgrade target from current head(s)",
        ),
        (lambda g: g.stamp_plan("head", ()), "Multiple heads are present; please specify a single target revision"),
        (lambda g: g.downgrade_plan("-1", ()), "Relative revision -1 didn't produce 1 migrations"),
        (lambda g: g.upgrade_plan("-1", ()), "Relative revision -1 didn't produce 1 migrations"),
        (lambda g: g.upgrade_plan("abc+9", ("abc",)), "Relative revision +9 didn't produce 9 migrations"),
        (lambda g: g.downgrade_plan("9999+1", ("9999",)), "Walked too far"),
        (lambda g: g.upgrade_plan("+1", ("abcdef01",)), "Ambiguous walk"),
        (lambda g: g.upgrade_plan("+1", ("abcd1234", "9999")), "Ambiguous upgrade from multiple current revisions"),
    ],
)
def test_command_messages(call: Any, message: str) -> None:
    with pytest.raises(monomig.CommandError) as info:
        call(graph(PREFIXES))
    assert str(info.value) == message


def test_overlap_message() -> None:
    g = graph(BRANCHY)
    with pytest.raises(monomig.CommandError) as info:
        g.upgrade_plan("heads", ("b2c3d4e5f6a1", "c3d4e5f6a1b2"))
    # The current revisions' ancestors are checked first: c3d4 reaches b2c3.
    assert str(info.value) == "Requested revision c3d4e5f6a1b2 overlaps with other requested revisions b2c3d4e5f6a1"
    p = Pair(BRANCHY)
    p.compare(
        "overlap",
        lambda: p.script._upgrade_revs("heads", ("b2c3d4e5f6a1", "c3d4e5f6a1b2")),
        lambda: g.upgrade_plan("heads", ("b2c3d4e5f6a1", "c3d4e5f6a1b2")),
    )


def test_nothing_to_drop_and_not_valid_downgrade() -> None:
    p = Pair(BRANCHY)
    for upper, lower in [
        (("c3d4e5f6a1b2",), "d4e5f6a1b2c3"),
        (("f6a1b2c3d4e5",), "br2@a1b2c3d4e5f6"),
        (("f6a1b2c3d4e5",), "br1@b2c3"),
    ]:
        p.compare(
            f"downgrade {upper} -> {lower}",
            lambda: list(p.map.iterate_revisions(upper, lower, select_for_downgrade=True)),
            lambda: p.graph.iterate_revisions(upper, lower, select_for_downgrade=True, indices=True),  # type: ignore[union-attr]
        )
    with pytest.raises(monomig.RangeNotAncestorError) as info:
        graph(BRANCHY).iterate_revisions(("c3d4e5f6a1b2",), "d4e5f6a1b2c3", select_for_downgrade=True)
    assert str(info.value) == "Revision Nothing to drop is not an ancestor of revision ('c3d4e5f6a1b2',)"


def test_branch_label_spreading_matches() -> None:
    p = Pair(BRANCHY)
    p.check_structure()
    g = p.graph
    assert g is not None
    # Labels spread to descendants; then Alembic walks down from the *last*
    # descendant it visited: here f, a merge point, so nothing below e or d.
    assert set(g.revision_info("e5f6a1b2c3d4")["branch_labels"]) == {"br1"}
    assert set(g.revision_info("d4e5f6a1b2c3")["branch_labels"]) == {"br2"}
    assert set(g.revision_info("f6a1b2c3d4e5")["branch_labels"]) == {"br1", "br2"}
    assert set(g.revision_info("c3d4e5f6a1b2")["branch_labels"]) == set()
    # On a line the walk reaches the base: the label covers the whole line.
    line = [("a000", None, None, None), ("b000", "a000", None, "x"), ("c000", "b000", None, None)]
    Pair(line).check_structure()
    lin = graph(line)
    assert [set(lin.revision_info(r)["branch_labels"]) for r in ("a000", "b000", "c000")] == [{"x"}] * 3


def test_dependencies_normalized() -> None:
    g = graph(MULTI)
    info = g.revision_info("s2y3")
    assert info["resolved_dependencies"] == ("s1x2", "s1x1")
    # s1x1 is already a dependency of an ancestor (s2y1): dropped.
    assert info["normalized_resolved_dependencies"] == ("s1x2",)
    assert g.revision_info("s2y2")["resolved_dependencies"] == ("s1base",)
    assert g.heads == ("s2y3", "s1x2") or set(g.heads) == {"s2y3", "s1x2"}
    assert g.real_heads == ("s2y3",)
    assert g.real_bases == ("s1base", "s2base")
