"""The Alembic bridge: Alembic's ``ScriptDirectory`` answers its graph questions with
monomig's Rust revision graph and imports a revision module only when it is used.

``activate()`` wraps one function of Alembic, ``ScriptDirectory.__init__``, so that
every ``ScriptDirectory`` built afterwards gets a :class:`BridgeRevisionMap` as its
``revision_map`` instead of Alembic's ``RevisionMap``. Nothing else of Alembic is
changed: ``command.py``, the migration context and ``RevisionStep`` keep running
Alembic's own code and ask the map, which answers from Rust:

- the revision files are read by ``monomig._native.scan_revisions`` without being
  imported; files it cannot read statically (``needs_import``) are imported as Alembic
  imports them, in load order, and the scan's warnings are issued as Alembic issues
  them;
- heads, bases, identifier resolution, ``iterate_revisions`` (upgrade, downgrade and
  history order), ``current`` (``_get_all_current``), lineage, ancestors and
  descendants come from :class:`monomig.RevisionGraph`;
- the revisions handed to Alembic are ``Script`` objects whose ``module`` is imported
  on first use (when a step runs, or for ``edit``); ``doc``/``longdoc`` come from
  the static reading.

The two classes live in :mod:`monomig._bridge_map`, imported on activation. Every
migrating command run through the bridge (``upgrade``, ``downgrade``, ``stamp``) also
learns from Alembic which database and version table env.py really migrates and runs
under monomig's migration lock for them (:mod:`monomig._target`).

This module imports Alembic only inside :func:`activate` (``import monomig`` must
stay cheap when Alembic is not loaded).
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import monomig._native as _native

__all__ = ["BridgeRevisionMap", "activate", "deactivate", "is_active"]  # noqa: F822 - BridgeRevisionMap comes from __getattr__

_state: dict[str, Any] = {"active": False, "original_init": None}


def is_active() -> bool:
    """True once :func:`activate` has installed the bridge (and it was not deactivated)."""
    return bool(_state["active"])


def activate() -> None:
    """Make every ``ScriptDirectory`` built from now on use monomig's Rust graph.

    Idempotent. Imports ``alembic.script.base`` (safe while Alembic's plugins are
    being set up). On an Alembic outside the supported range
    (:mod:`monomig._alembic_support`) it changes nothing and warns once per process,
    unless ``MONOMIG_BRIDGE=force``.
    """
    if not _state["active"]:
        from monomig import _alembic_support

        support = _alembic_support.check()
        if not support.supported:
            _alembic_support.refuse(support)
            if not support.may_activate:
                return
    if _state["active"]:
        _install_target()
        _bridge_running_environment()
        return
    from alembic.script import base as script_base

    _install_classes()
    _install_target()
    cls = script_base.ScriptDirectory
    original = cls.__dict__["__init__"]
    if getattr(original, "_monomig_bridge", False):  # installed by another copy of this module
        _state["active"] = True
        _bridge_running_environment()
        return

    def __init__(self: Any, *args: Any, **kw: Any) -> None:
        original(self, *args, **kw)
        if _state["active"]:
            self.revision_map = _BridgeRevisionMap(self)
            if not _state.get("target"):
                _install_target()

    __init__._monomig_bridge = True  # type: ignore[attr-defined]
    __init__.__wrapped__ = original  # type: ignore[attr-defined]
    __init__.__doc__ = original.__doc__
    __init__.__qualname__ = original.__qualname__
    _state["original_init"] = original
    cls.__init__ = __init__  # type: ignore[method-assign]  # patching Alembic's ScriptDirectory
    _state["active"] = True
    _bridge_running_environment()


def _install_target() -> None:
    """Hook Alembic's migration context (``monomig._target``): the lock and the real
    target of migrating runs. When the bridge is activated by Alembic's plugin loader,
    ``alembic.runtime.environment`` is still being imported: the hooks are then installed
    by the first ``ScriptDirectory`` built, before any env.py runs."""
    if _state.get("target"):
        return
    environment = sys.modules.get("alembic.runtime.environment")
    migration = sys.modules.get("alembic.runtime.migration")
    ready = environment is None or hasattr(environment, "EnvironmentContext")
    ready = ready and (migration is None or hasattr(migration, "MigrationContext"))
    if not ready:
        return
    from monomig import _ledger, _target

    _ledger.install()  # inside the lock: _target's hooks wrap the ledger's
    _target.install()
    _state["target"] = True


def _bridge_running_environment() -> None:
    """``import monomig`` at the top of env.py: Alembic built the command's
    ``ScriptDirectory`` before running env.py, so give that one the bridge too."""
    ctx = sys.modules.get("alembic.context")
    env = getattr(ctx, "_proxy", None) if ctx is not None else None
    script = getattr(env, "script", None) if env is not None else None
    if script is None or isinstance(script.revision_map, _classes["BridgeRevisionMap"]):
        return
    from alembic.script.base import ScriptDirectory

    if isinstance(script, ScriptDirectory):
        script.revision_map = _BridgeRevisionMap(script)


def deactivate() -> None:
    """Give ``ScriptDirectory`` back its own ``__init__``, and Alembic's migration context
    its own functions (for tests)."""
    if not _state["active"]:
        return
    original = _state["original_init"]
    if original is not None:
        from alembic.script import base as script_base

        script_base.ScriptDirectory.__init__ = original  # type: ignore[method-assign]  # undoing the patch
    target = sys.modules.get("monomig._target")
    if target is not None:
        target.uninstall()
    ledger = sys.modules.get("monomig._ledger")
    if ledger is not None:
        ledger.uninstall()
    _state["target"] = False
    _state["active"] = False
    _state["original_init"] = None


# ---------------------------------------------------------------------------
# Errors: monomig's revision errors become Alembic's, with the same message.


def _alembic_error(e: BaseException) -> BaseException:
    from alembic.script import revision as r
    from alembic.util import CommandError

    pairs = (
        # A revision file that cannot be read fails every command alike with
        # Alembic's one-line `FAILED:` (stock shows the raw exception's traceback).
        (_native.ScriptError, CommandError),
        (_native.DependencyLoopDetected, r.DependencyLoopDetected),
        (_native.LoopDetected, r.LoopDetected),
        (_native.DependencyCycleDetected, r.DependencyCycleDetected),
        (_native.CycleDetected, r.CycleDetected),
        (_native.MultipleHeads, r.MultipleHeads),
        (_native.ResolutionError, r.ResolutionError),
        (_native.RangeNotAncestorError, r.RangeNotAncestorError),
        (_native.CommandError, CommandError),
        (_native.RevisionError, r.RevisionError),
    )
    for mono, alem in pairs:
        if isinstance(e, mono):
            out: Any = alem.__new__(alem)  # one of Alembic's exception classes; attributes set below
            Exception.__init__(out, *e.args)
            for attr in ("heads", "argument", "lower", "upper"):
                if hasattr(e, attr):
                    setattr(out, attr, getattr(e, attr))
            if hasattr(e, "revisions"):
                out.revisions = list(e.revisions)
            return out
    return e


# Where stock Alembic issues each warning the Rust core reports: (a fragment of the
# message, Alembic's module, a fragment of the source text after its `util.warn(`).
# Issuing it at that place makes the printed warning (file, line, source line)
# Alembic's own.
_WARNING_SITES = (
    ("from multiple heads is ambiguous", "alembic.script.revision", "from multiple heads is"),
    ("is present more than once", "alembic.script.revision", "is present more than once"),
    ("is not present", "alembic.script.revision", "referenced from %s is not present"),
    ("loaded twice! ignoring", "alembic.script.base", "loaded twice! ignoring"),
)
_warning_lines: dict[tuple[str, str], int | None] = {}


def _alembic_warning_line(module: Any, fragment: str) -> int | None:
    """The line of the first `util.warn(` call in ``module`` whose text holds ``fragment``."""
    key = (module.__name__, fragment)
    if key not in _warning_lines:
        import linecache

        lines = linecache.getlines(module.__file__, module.__dict__)
        found = None
        for i, line in enumerate(lines):
            if fragment in line:
                for j in range(i, max(i - 6, -1), -1):
                    if "util.warn(" in lines[j]:
                        found = j + 1
                        break
                if found:
                    break
        _warning_lines[key] = found
    return _warning_lines[key]


_warners: dict[tuple[str, int], Any] = {}


def _warner_at(module: Any, line: int) -> Any:
    """A function whose ``warnings.warn`` call stands at ``line`` of ``module``'s file.

    Python names the place a warning comes from after the calling frame; a frame
    compiled with Alembic's file name and line makes the printed warning (file, line,
    source line) the one stock Alembic prints, while ``warnings.warn`` itself, which
    tools and test suites patch, is still what is called.
    """
    key = (module.__file__, line)
    if key not in _warners:
        namespace: dict[str, Any] = {"__name__": module.__name__}
        source = "\n" * (line - 1) + "def warn(message, warnings): warnings.warn(message, UserWarning, stacklevel=1)\n"
        exec(compile(source, module.__file__, "exec"), namespace)
        _warners[key] = namespace["warn"]
    return _warners[key]


def _warn(message: str) -> None:
    """Issue a warning of the Rust core as stock Alembic issues it."""
    for text, module_name, fragment in _WARNING_SITES:
        if text in message:
            module = sys.modules.get(module_name)
            line = _alembic_warning_line(module, fragment) if module is not None else None
            if line is not None:
                _warner_at(module, line)(message, warnings)
                return
    from alembic import util as alembic_util

    alembic_util.warn(message)


@contextmanager
def _errors() -> Iterator[None]:
    """Revision errors become Alembic's; warnings from the Rust core are issued again
    as Alembic issues them (see ``_warn``), also when the call fails: Alembic shows them
    before its error (a revision present more than once, then multiple heads)."""
    caught: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as caught_here:
            warnings.simplefilter("always")
            caught = caught_here if caught_here is not None else []
            try:
                yield
            except _native.RevisionError as e:
                raise _alembic_error(e) from None
    finally:
        for w in caught:
            _warn(str(w.message))


# ---------------------------------------------------------------------------
# The classes (module ``monomig._bridge_map``, imported on first activation: it
# subclasses Alembic's classes, so it imports Alembic).

_classes: dict[str, Any] = {}


def _install_classes() -> None:
    if _classes:
        return
    from monomig import _bridge_map

    _classes["LazyScript"] = _bridge_map.LazyScript
    _classes["BridgeRevisionMap"] = _bridge_map.BridgeRevisionMap


def _frozen(graph: Any, revs: Any) -> frozenset[str]:
    # Alembic grows nextrev with fs = fs.union([child]) in load order: do the same so
    # that the frozenset iterates in the order Alembic's would in this process.
    if len(revs) <= 1:
        return frozenset(revs)
    fs: frozenset[str] = frozenset()
    for r in sorted(revs, key=lambda x: _pos(graph, x)):
        fs = fs.union([r])
    return fs


def _pos(graph: Any, rev: str) -> int:
    i = graph.lookup(rev)
    return -1 if i is None else i


def _BridgeRevisionMap(script_dir: Any) -> Any:
    return _classes["BridgeRevisionMap"](script_dir)


def __getattr__(name: str) -> Any:
    if name in ("BridgeRevisionMap", "LazyScript"):
        _install_classes()
        return _classes[name]
    raise AttributeError(name)
