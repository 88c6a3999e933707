"""Functions the bridge puts in place of Alembic's own, and giving them back.

The deploy-path check (:mod:`monomig._target`) and the ledger (:mod:`monomig._ledger`)
each wrap ``MigrationContext.run_migrations`` and ``EnvironmentContext.__exit__``; a
replacement keeps the original's name and docstring, carries ``__wrapped__`` (as
:func:`functools.wraps` would set it) and a marker attribute naming who put it there.
"""

from __future__ import annotations

from typing import Any


def replace(patches: list[tuple[type, str, Any]], marker: str, originals: dict[tuple[type, str], Any]) -> None:
    """Put each ``(owner, name, function)`` in place of ``owner.name``, keeping the original
    in ``originals`` and marking the function with the attribute ``marker``."""
    for owner, name, fn in patches:
        original = owner.__dict__[name]
        setattr(fn, marker, True)
        fn.__wrapped__ = original
        fn.__doc__ = original.__doc__
        fn.__qualname__ = original.__qualname__
        originals[(owner, name)] = original
        setattr(owner, name, fn)


def restore(originals: dict[tuple[type, str], Any]) -> None:
    """Give back every original function :func:`replace` kept."""
    for (owner, name), original in originals.items():
        setattr(owner, name, original)
    originals.clear()
