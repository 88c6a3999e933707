"""The set-order hook asked once per graph, not once per branch point or printed label set.

On a label-heavy graph `monomig history` used to call the Python hook once per
history line (issue 20); a ``batched`` hook (``python_set_order``'s) now answers
every set of a graph build in one ``frozenset_unions_many`` call and every distinct
label set of a report in one more. A hook without ``batched`` keeps its one call
per set, with the same answers.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

import monomig
from monomig import _native
from monomig.setorder import python_set_order


def labelled_graph(blocks: int) -> list[tuple[Any, ...]]:
    """A main line with a labelled branch merged back every block: labels pile up."""
    entries: list[tuple[Any, ...]] = [("m0", None, None, None)]
    tip = "m0"
    for b in range(blocks):
        entries.append((f"b{b}", tip, None, (f"line{b}",)))
        entries.append((f"m{b}x", tip, None, None))
        entries.append((f"m{b + 1}", (f"m{b}x", f"b{b}"), None, None))
        tip = f"m{b + 1}"
    return entries


def counting(hook: Any) -> tuple[Any, Counter[str]]:
    calls: Counter[str] = Counter()

    def wrapped(op: str, *args: Any) -> list[Any]:
        calls[op] += 1
        return hook(op, *args)

    if getattr(hook, "batched", False):
        wrapped.batched = True  # type: ignore[attr-defined]
    return wrapped, calls


def test_batched_hook_answers_like_one_question_per_set() -> None:
    hook = python_set_order()
    assert hook.batched is True  # type: ignore[attr-defined]
    sets = [["b", "a", "c"], ["x"], [], ["q", "p", "q"]]
    assert hook("frozenset_unions_many", sets) == [hook("frozenset_unions", s) for s in sets]


def test_label_heavy_history_asks_two_questions() -> None:
    entries = labelled_graph(30)
    hook, calls = counting(python_set_order())
    graph = monomig.RevisionGraph(entries, set_order=hook)
    built = dict(calls)
    assert built.get("frozenset_unions_many") == 1 and "frozenset_unions" not in built
    text = _native.report_history(graph, [None] * len(entries))
    assert calls["frozenset_unions_many"] == 2 and calls["frozenset_unions"] == 0
    assert text.count("\n") == len(entries)
    head = text.splitlines()[0]
    assert head.startswith("m29x, b29 -> m30 (") and head.endswith(") (head) (mergepoint), ")
    assert sorted(head.split(" (")[1].rstrip(")").split(", ")) == sorted(f"line{b}" for b in range(30))

    # A hook without `batched`: one call per set, and the very same text.
    plain, plain_calls = counting(lambda op, *args: python_set_order()(op, *args))
    graph2 = monomig.RevisionGraph(entries, set_order=plain)
    assert _native.report_history(graph2, [None] * len(entries)) == text
    assert plain_calls["frozenset_unions_many"] == 0 and plain_calls["frozenset_unions"] > 30
    # heads -v and branches share the label sets of the report
    for report in (
        lambda g: _native.report_heads(g, [None] * len(entries), True),
        lambda g: _native.report_branches(g, [None] * len(entries)),
    ):
        assert report(graph) == report(graph2)


def test_a_batched_hook_that_answers_badly_is_named() -> None:
    def short(op: str, *args: Any) -> list[Any]:
        if op == "frozenset_unions_many":
            return []
        return python_set_order()(op, *args)

    short.batched = True  # type: ignore[attr-defined]
    with pytest.raises(monomig.RevisionError, match="frozenset_unions_many with 0 orderings for"):
        monomig.RevisionGraph(labelled_graph(2), set_order=short)

    def wrong(op: str, *args: Any) -> list[Any]:
        if op == "frozenset_unions_many":
            return [["nope"] for _ in args[0]]
        return python_set_order()(op, *args)

    wrong.batched = True  # type: ignore[attr-defined]
    with pytest.raises(monomig.RevisionError, match="not an ordering of"):
        monomig.RevisionGraph(labelled_graph(2), set_order=wrong)
