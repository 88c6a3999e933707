"""The Python surface of the revision graph: construction, bad input, results,
steps and version-table operations, warnings and the set-order hook."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from support.graph_oracle import Pair

import monomig
from monomig.setorder import python_set_order

CHAIN = [
    ("aaaa1111", None, None, None, "versions/aaaa1111_first.py"),
    ("bbbb2222", "aaaa1111", None, None, "versions/bbbb2222_second.py"),
    ("cccc3333", "bbbb2222", None, "main", "versions/cccc3333_third.py"),
]


def test_basic_properties() -> None:
    g = monomig.RevisionGraph(CHAIN)
    assert len(g) == 3
    assert g.heads == ("cccc3333",)
    assert g.bases == ("aaaa1111",)
    assert g.real_heads == ("cccc3333",)
    assert g.real_bases == ("aaaa1111",)
    assert g.keys == ["aaaa1111", "bbbb2222", "cccc3333", "main"]
    assert g.lookup("main") == 2
    assert g.warnings == []
    info = g.revision_info("bbbb2222")
    assert info["down_revision"] == "aaaa1111"
    assert info["nextrev"] == ("cccc3333",)
    assert info["branch_labels"] == ("main",)
    assert info["orig_branch_labels"] == ()
    assert info["path"] == "versions/bbbb2222_second.py"
    assert info["is_head"] is False and info["is_base"] is False
    assert g.revision_info(0)["revision"] == "aaaa1111"


def test_results_and_indices() -> None:
    g = monomig.RevisionGraph(CHAIN)
    assert g.get_revisions("heads") == ("cccc3333",)
    assert g.get_revisions("heads", indices=True) == (2,)
    assert g.get_revisions("base") == ()
    assert g.get_revision("base") is None
    assert g.parse_downgrade_target((), "aaaa1111-1") == (None, "base")
    assert g.get_revisions("-1") == ("bbbb2222",)
    assert g.iterate_revisions("heads", "base") == ["cccc3333", "bbbb2222", "aaaa1111"]
    assert g.walk_revisions() == ["cccc3333", "bbbb2222", "aaaa1111"]
    assert g.get_all_current(("bbbb2222",)) == ["bbbb2222"]
    assert g.filter_for_lineage(["aaaa", "cccc3333", 1], "main") == ("aaaa", "cccc3333", 1)
    assert g.descendants(["aaaa1111"]) == ["aaaa1111", "bbbb2222", "cccc3333"]
    assert g.ancestors([2], indices=True) == [2, 1, 0]
    assert g.walk("aaaa1111", 2) == "cccc3333"
    assert g.walk(None, 1) == "aaaa1111"
    assert g.resolve_revision_number("main@head") == (("cccc3333",), "main")
    assert g.get_current_head("main") == "cccc3333"


def test_plans_steps_and_version_table() -> None:
    g = monomig.RevisionGraph(CHAIN)
    steps = g.upgrade_plan("heads", ())
    assert [(s.revision, s.is_upgrade) for s in steps] == [("aaaa1111", True), ("bbbb2222", True), ("cccc3333", True)]
    first = steps[0]
    assert first.from_revisions == () and first.to_revisions == ("aaaa1111",)
    assert first.index == 0 and not first.is_stamp and not first.branch_move
    assert repr(first) == 'RevisionStep("aaaa1111", is_upgrade=True)'
    ops, heads = g.apply_steps([], steps)
    assert ops == [("insert", "aaaa1111"), ("update", "aaaa1111", "bbbb2222"), ("update", "bbbb2222", "cccc3333")]
    assert heads == ("cccc3333",)
    down = g.downgrade_plan("base", ("cccc3333",))
    assert [s.revision for s in down] == ["cccc3333", "bbbb2222", "aaaa1111"]
    assert g.apply_steps(["cccc3333"], down) == (
        [("update", "cccc3333", "bbbb2222"), ("update", "bbbb2222", "aaaa1111"), ("delete", "aaaa1111")],
        (),
    )
    stamp = g.stamp_plan("bbbb2222", ("cccc3333",))
    assert len(stamp) == 1 and stamp[0].is_stamp
    assert stamp[0] == monomig.MigrationStep.stamp(["cccc3333"], ["bbbb2222"], False, False)
    assert g.apply_steps(["cccc3333"], stamp) == ([("update", "cccc3333", "bbbb2222")], ("bbbb2222",))
    # pending revisions for a database at bbbb2222
    assert len(g.upgrade_plan("heads", ("bbbb2222",))) == 1


def test_apply_steps_refuses_an_inconsistent_table() -> None:
    g = monomig.RevisionGraph(CHAIN)
    steps = g.upgrade_plan("heads", ())
    with pytest.raises(monomig.RevisionError, match="already recorded"):
        g.apply_steps(["aaaa1111"], steps[:1])
    with pytest.raises(monomig.RevisionError, match="not recorded"):
        g.apply_steps([], g.downgrade_plan("base", ("cccc3333",)))


@pytest.mark.parametrize(
    ("entries", "exc", "message"),
    [
        (
            [("a1", "nope", None, None, "versions/a1.py")],
            monomig.RevisionError,
            "Revision 'a1' (versions/a1.py) names 'nope' as its down_revision, but no revision file defines "
            "'nope'; add the missing revision file or correct down_revision in versions/a1.py.",
        ),
        (
            [("a1", None, "gone", None, "versions/a1.py")],
            monomig.RevisionError,
            "Revision 'a1' (versions/a1.py) depends on 'gone', but no revision id or branch label 'gone' exists; "
            "add the missing revision file or correct depends_on in versions/a1.py.",
        ),
        (
            [("a1", None, None, "lbl"), ("b1", "lbl", None, None, "v/b1.py")],
            monomig.RevisionError,
            "Revision 'b1' (v/b1.py) names 'lbl' as its down_revision, but 'lbl' is a branch label (of revision "
            "'a1'), not a revision id; down_revision must name revision ids, so write 'a1' instead in v/b1.py.",
        ),
        ([("a1", "a1", None, None)], monomig.LoopDetected, "Self-loop is detected in revisions (a1)"),
        (
            [("a1", None, "a1", None)],
            monomig.DependencyLoopDetected,
            "Dependency self-loop is detected in revisions (a1)",
        ),
        (
            [("a-1:", None, None, None)],
            monomig.RevisionError,
            "Character(s) '-, :' not allowed in revision identifier 'a-1:'",
        ),
        (
            [("b", "a", None, None), ("a", "b", None, None)],
            monomig.CycleDetected,
            "Cycle is detected in revisions (b, a)",
        ),
        (
            [("a", None, None, None), ("b", "a", "c", None), ("c", "b", None, None)],
            monomig.DependencyCycleDetected,
            "Dependency cycle is detected in revisions (a, b, c)",
        ),
        (
            [("a", None, None, "x"), ("b", "a", None, "x")],
            monomig.RevisionError,
            None,  # which of the two is named depends on Python set order
        ),
        (
            [("a", None, None, "b"), ("b", "a", None, None)],
            monomig.RevisionError,
            "Branch name 'b' in revision a already used by revision b",
        ),
        ([(5, None, None, None, "versions/x.py")], monomig.RevisionError, None),
        ([("a", 5, None, None)], monomig.RevisionError, None),
    ],
)
def test_bad_graphs(entries: list[tuple[Any, ...]], exc: type, message: str | None) -> None:
    with pytest.raises(exc) as info:
        monomig.RevisionGraph(entries)
    if message is not None:
        assert str(info.value) == message
    if all(isinstance(e[0], str) for e in entries) and all(not isinstance(e[1], int) for e in entries):
        Pair([e[:4] for e in entries]).check_build()


def test_non_string_revision_names_the_file() -> None:
    with pytest.raises(monomig.RevisionError) as info:
        monomig.RevisionGraph([(5, None, None, None, "versions/x.py")])
    assert "versions/x.py" in str(info.value) and "5" in str(info.value)


def test_malformed_entries_are_type_errors() -> None:
    with pytest.raises(TypeError):
        monomig.RevisionGraph(["abc"])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        monomig.RevisionGraph([("a", None)])  # type: ignore[list-item]


def test_duplicates_warn_and_keep_alembic_heads() -> None:
    entries = [("a", None, None, None), ("b", "a", None, None), ("a", None, None, None)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        g = monomig.RevisionGraph(entries)
    assert [str(w.message) for w in caught] == ["Revision a is present more than once"]
    assert g.warnings == ["Revision a is present more than once"]
    p = Pair(entries)
    p.check_build()
    p.check_structure()
    assert g.heads == p.map.heads == ("a", "b")


def test_exceptions_carry_alembic_attributes() -> None:
    g = monomig.RevisionGraph([("a", None, None, None), ("b", "a", None, None), ("c", "a", None, None)])
    with pytest.raises(monomig.MultipleHeads) as info:
        g.get_current_head()
    assert info.value.heads == ("b", "c") and info.value.argument == "head"
    with pytest.raises(monomig.CycleDetected) as cyc:
        monomig.RevisionGraph([("b", "a", None, None), ("a", "b", None, None)])
    assert cyc.value.revisions == ["b", "a"]
    assert issubclass(monomig.CommandError, monomig.RevisionError)


def test_set_order_hook() -> None:
    entries = [
        ("r0", None, None, None),
        ("r1", "r0", None, None),
        ("r2", "r0", None, None),
        ("r3", "r0", ("r1", "r2"), None),
    ]
    calls: list[Any] = []

    def reverse(op: str, *args: Any) -> list[Any]:
        calls.append(op)
        if op == "object_set":
            return list(reversed(args[0]))
        if op == "set_removals":
            s = list(dict.fromkeys(args[0]))
            return list(reversed([x for x in s if not any(x in g for g in args[1])]))
        if op == "set_difference":
            return list(reversed([x for x in dict.fromkeys(args[0]) if x not in args[1]]))
        return list(reversed(list(dict.fromkeys(args[0]))))

    g = monomig.RevisionGraph(entries, set_order=reverse)
    assert "frozenset_unions" in calls and "set_removals" in calls
    assert g.revision_info("r0")["nextrev"] == ("r3", "r2", "r1")
    assert g.revision_info("r3")["normalized_resolved_dependencies"] == ("r2", "r1")
    plain = monomig.RevisionGraph(entries)
    assert plain.revision_info("r3")["normalized_resolved_dependencies"] == ("r1", "r2")
    # Python's own order, as Alembic would see it in this process.
    py = monomig.RevisionGraph(entries, set_order=python_set_order())
    assert set(py.revision_info("r0")["nextrev"]) == {"r1", "r2", "r3"}


def test_set_order_hook_errors_propagate() -> None:
    def broken(op: str, *args: Any) -> list[Any]:
        raise ZeroDivisionError("boom")

    with pytest.raises(ZeroDivisionError):
        monomig.RevisionGraph(
            [("a", None, None, None), ("b", "a", None, None), ("c", "a", None, None)], set_order=broken
        )

    def wrong(op: str, *args: Any) -> list[Any]:
        return ["zzz"]

    with pytest.raises(monomig.RevisionError, match="set-order hook"):
        monomig.RevisionGraph(
            [("a", None, None, None), ("b", "a", None, None), ("c", "a", None, None)], set_order=wrong
        )


def test_downgrade_warning_is_a_user_warning() -> None:
    g = monomig.RevisionGraph([("a", None, None, None), ("b", "a", None, None), ("c", "a", None, None)])
    with pytest.warns(UserWarning, match="downgrade -1 from multiple heads is ambiguous"):
        steps = g.downgrade_plan("-1", ("b", "c"))
    assert [s.revision for s in steps] == ["b"]
