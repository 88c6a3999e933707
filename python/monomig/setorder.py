"""Python's own set iteration order, for ``RevisionGraph(..., set_order=...)``.

Alembic iterates a few Python sets whose order reaches its results (see the
Rust module ``graph::order``). String sets follow the interpreter's hash seed
and sets of ``Revision`` objects follow memory addresses, so stock Alembic is
not deterministic there. :func:`python_set_order` answers monomig's questions by
running the very same set operations in this interpreter, so a graph built
with it gives the answers Alembic would give in this process.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: this module is on the `monomig heads` start-up path
    from collections.abc import Callable, Sequence
    from typing import Any


def python_set_order(objects: Sequence[object] | None = None) -> Callable[..., list[Any]]:
    """A ``set_order`` hook for :class:`monomig.RevisionGraph`.

    ``objects`` are the revision objects in load order (e.g. Alembic ``Script``
    objects), used to reproduce the iteration order of a set of revisions;
    without them that order is load order.

    The hook is ``batched``: it also answers ``"frozenset_unions_many"`` (a list
    of ``frozenset_unions`` questions, one list back per question), so a graph of
    thousands of branch points or label sets costs one call, not one per set.
    """

    def unions(items: Sequence[str]) -> list[str]:
        fs: frozenset[str] = frozenset()
        for x in items:
            fs = fs.union([x])
        return list(fs)

    def hook(op: str, *args: Any) -> list[Any]:
        if op == "frozenset_unions_many":
            (sets,) = args
            return [unions(items) for items in sets]
        if op == "frozenset_unions":
            (items,) = args
            return unions(items)
        if op == "set_removals":
            items, groups = args
            s = set(items)
            for g in groups:
                s.difference_update(g)
            return list(s)
        if op == "set_difference":
            items, members, other_len = args
            so = set(items)
            other: set[object] = set(members)
            # Only membership and the size of `other` matter to set.difference.
            size = min(other_len, max(len(other), (len(so) >> 2) + 1))
            while len(other) < size:
                other.add(object())
            return list(so.difference(other))
        if op == "object_set":
            (indices,) = args
            if objects is None:
                return list(indices)
            position = {id(objects[i]): i for i in indices}
            return [position[id(o)] for o in {objects[i] for i in indices}]
        raise ValueError(f"unknown set-order question {op!r}")

    hook.batched = True  # type: ignore[attr-defined]
    return hook
