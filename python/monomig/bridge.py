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

This module imports Alembic only inside :func:`activate` (``import monomig`` must
stay cheap when Alembic is not loaded).
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import monomig._native as _native
from monomig.setorder import python_set_order

__all__ = ["activate", "deactivate", "is_active", "BridgeRevisionMap"]

_state: dict[str, Any] = {"active": False, "original_init": None}


def is_active() -> bool:
    """True once :func:`activate` has installed the bridge (and it was not deactivated)."""
    return bool(_state["active"])


def activate() -> None:
    """Make every ``ScriptDirectory`` built from now on use monomig's Rust graph.

    Idempotent. Imports ``alembic.script.base`` (safe while Alembic's plugins are
    being set up).
    """
    if _state["active"]:
        _bridge_running_environment()
        return
    from alembic.script import base as script_base

    _install_classes()
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

    __init__._monomig_bridge = True  # type: ignore[attr-defined]
    __init__.__wrapped__ = original  # type: ignore[attr-defined]
    __init__.__doc__ = original.__doc__
    __init__.__qualname__ = original.__qualname__
    _state["original_init"] = original
    cls.__init__ = __init__
    _state["active"] = True
    _bridge_running_environment()


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
    """Give ``ScriptDirectory`` back its own ``__init__`` (for tests)."""
    if not _state["active"]:
        return
    original = _state["original_init"]
    if original is not None:
        from alembic.script import base as script_base

        script_base.ScriptDirectory.__init__ = original
    _state["active"] = False
    _state["original_init"] = None


# ---------------------------------------------------------------------------
# Errors: monomig's revision errors become Alembic's, with the same message.


def _alembic_error(e: BaseException) -> BaseException:
    from alembic.script import revision as r
    from alembic.util import CommandError

    pairs = (
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
            out = alem.__new__(alem)
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
# The classes (built on first activation, as subclasses of Alembic's).

_classes: dict[str, Any] = {}


def _install_classes() -> None:
    if _classes:
        return
    from alembic import util as alembic_util
    from alembic.script import revision as alembic_revision
    from alembic.script.base import Script

    class LazyScript(Script):
        """An Alembic ``Script`` whose module is imported on first use."""

        _monomig_index: int
        _monomig_entry: Any
        _monomig_module: Any = None

        @property  # type: ignore[override]
        def module(self) -> Any:
            mod = self._monomig_module
            if mod is None:
                p = Path(self.path)
                mod = alembic_util.load_python_file(str(p.parent), p.name)
                self._monomig_module = mod
            return mod

        @module.setter
        def module(self, value: Any) -> None:
            self._monomig_module = value

        @property
        def longdoc(self) -> str:
            if self._monomig_module is not None or self._monomig_entry is None:
                return Script.longdoc.fget(self)  # type: ignore[attr-defined]
            return self._monomig_entry.longdoc or ""

    class BridgeRevisionMap(alembic_revision.RevisionMap):
        """Alembic's ``RevisionMap`` interface answered by monomig's Rust graph."""

        def __init__(self, script_dir: Any) -> None:
            self._script_dir = script_dir
            self._generator = script_dir._load_revisions
            self._built: tuple[Any, list[Any], list[Any]] | None = None

        # -- building ------------------------------------------------------
        def _build(self) -> tuple[Any, list[Any], list[Any]]:
            if self._built is not None:
                return self._built
            sd = self._script_dir
            locations = [str(p) for p in sd._version_locations if p.exists()]
            with _errors():  # a self-loop is found while reading: Alembic's LoopDetected
                entries, scan_warnings = _native.scan_revisions(
                    locations, bool(sd.recursive_version_locations), bool(sd.sourceless)
                )
            rows: list[Any] = []
            sources: list[Any] = []  # a RevisionEntry, or a Script for an imported file
            pending = list(scan_warnings)
            for w in pending:
                _warn(w)
            for entry in entries:
                if entry.needs_import:
                    script = Script._from_path(sd, entry.path)
                    if script is None:
                        continue
                    rows.append(
                        (
                            script.revision,
                            script.down_revision,
                            script.dependencies,
                            tuple(script._orig_branch_labels),
                            script.path,
                        )
                    )
                    sources.append(script)
                else:
                    rows.append(entry)  # read statically: the graph takes the entry itself
                    sources.append(entry)
            graph = self._graph_from(rows)
            self._built = (graph, sources, [None] * len(sources))
            return self._built

        def _graph_from(self, rows: list[Any]) -> Any:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the same as graph.warnings, issued below
                with _errors():
                    graph = _native.RevisionGraph(rows, set_order=python_set_order())
            for w in graph.warnings:
                _warn(w)
            self._rows = rows
            return graph

        @property
        def _graph(self) -> Any:
            return self._build()[0]

        def _script(self, i: int) -> Any:
            graph, sources, scripts = self._build()
            s = scripts[i]
            if s is None:
                s = LazyScript.__new__(LazyScript)
                src = sources[i]
                s._monomig_index = i
                s._monomig_map = self
                if isinstance(src, Script):
                    s._monomig_entry = None
                    s._monomig_module = src.module
                else:
                    s._monomig_entry = src
                self._fill(s, graph.revision_info(i))
                scripts[i] = s
            return s

        def _fill(self, s: Any, info: Mapping[str, Any]) -> None:
            graph = self._build()[0]
            s.revision = info["revision"]
            s.down_revision = info["down_revision"]
            s.dependencies = info["dependencies"]
            s.path = info["path"]
            s._orig_branch_labels = tuple(info["orig_branch_labels"])
            labels = set(s._orig_branch_labels)
            labels.update(info["branch_labels"])
            s.branch_labels = labels
            s._resolved_dependencies = tuple(info["resolved_dependencies"])
            s._normalized_resolved_dependencies = tuple(info["normalized_resolved_dependencies"])
            s.nextrev = _frozen(graph, info["nextrev"])
            s._all_nextrev = _frozen(graph, info["all_nextrev"])

        def _objs(self, found: list[int]) -> list[Any]:
            """Scripts for a list of load positions (the fast path for long answers)."""
            scripts = self._build()[2]
            script = self._script
            return [scripts[i] or script(i) for i in found]

        def _obj(self, v: Any) -> Any:
            if isinstance(v, int) and not isinstance(v, bool):
                return self._script(v)
            if isinstance(v, tuple):
                return tuple(self._obj(x) for x in v)
            return v

        def _keys(self, targets: Any) -> list[Any]:
            out = []
            for t in targets:
                idx = getattr(t, "_monomig_index", None)
                if idx is not None and getattr(t, "_monomig_map", None) is self:
                    out.append(idx)
                elif isinstance(t, alembic_revision.Revision):
                    out.append(t.revision)
                else:
                    out.append(t)
            return out

        @staticmethod
        def _ident(id_: Any) -> Any:
            if isinstance(id_, alembic_revision.Revision):
                return id_.revision
            if isinstance(id_, (list, tuple, set, frozenset)):
                return type(id_)(x.revision if isinstance(x, alembic_revision.Revision) else x for x in id_)
            return id_

        # -- what Alembic reads ----------------------------------------------
        @property  # type: ignore[override]
        def heads(self) -> tuple[str, ...]:
            return tuple(self._graph.heads)

        @property  # type: ignore[override]
        def bases(self) -> tuple[str, ...]:
            return tuple(self._graph.bases)

        @property  # type: ignore[override]
        def _real_heads(self) -> tuple[str, ...]:
            return tuple(self._graph.real_heads)

        @property  # type: ignore[override]
        def _real_bases(self) -> tuple[str, ...]:
            return tuple(self._graph.real_bases)

        @property  # type: ignore[override]
        def _revision_map(self) -> dict[Any, Any]:
            graph = self._graph
            out: dict[Any, Any] = {}
            for key in graph.keys:
                out[key] = self._script(graph.lookup(key))
            out[None] = None
            out[()] = None
            return out

        def get_current_head(self, branch_label: str | None = None) -> str | None:
            with _errors():
                return self._graph.get_current_head(branch_label)

        def _get_base_revisions(self, identifier: str) -> tuple[str, ...]:
            with _errors():
                return tuple(self._graph.get_base_revisions(identifier))

        def get_revisions(self, id_: Any) -> tuple[Any, ...]:
            with _errors():
                return self._obj(tuple(self._graph.get_revisions(self._ident(id_), indices=True)))

        def get_revision(self, id_: Any) -> Any:
            with _errors():
                return self._obj(self._graph.get_revision(self._ident(id_), indices=True))

        def _resolve_branch(self, branch_label: str) -> Any:
            with _errors():
                return self._obj(self._graph.resolve_branch(branch_label, indices=True))

        def _revision_for_ident(self, resolved_id: Any, check_branch: str | None = None) -> Any:
            with _errors():
                return self._obj(self._graph.revision_for_ident(self._ident(resolved_id), check_branch, indices=True))

        def _resolve_revision_number(self, id_: Any) -> tuple[tuple[str, ...], str | None]:
            with _errors():
                return self._graph.resolve_revision_number(self._ident(id_))

        def filter_for_lineage(self, targets: Any, check_against: Any, include_dependencies: bool = False) -> tuple[Any, ...]:
            targets = list(targets)
            with _errors():
                kept = self._graph.filter_for_lineage(self._keys(targets), self._ident(check_against), include_dependencies)
            out = []
            it = iter(zip(targets, self._keys(targets)))
            for k in kept:
                for t, key in it:
                    if key == k:
                        out.append(t)
                        break
            return tuple(out)

        def _shares_lineage(self, target: Any, test_against_revs: Any, include_dependencies: bool = False) -> bool:
            with _errors():
                return self._graph.shares_lineage(
                    self._keys([target])[0], self._ident(test_against_revs), include_dependencies
                )

        def _filter_into_branch_heads(self, targets: Any) -> set[Any]:
            with _errors():
                found = self._graph.filter_into_branch_heads(self._keys(targets), indices=True)
            return {self._obj(i) for i in found}

        def _get_all_current(self, id_: Any) -> set[Any]:
            with _errors():
                found = self._graph.get_all_current(self._ident(id_), indices=True)
            return {self._obj(i) for i in found}

        def _get_descendant_nodes(
            self,
            targets: Any,
            map_: Any = None,
            check: bool = False,
            omit_immediate_dependencies: bool = False,
            include_dependencies: bool = True,
        ) -> Iterator[Any]:
            with _errors():
                found = self._graph.descendants(
                    self._keys(targets), include_dependencies, omit_immediate_dependencies, check, indices=True
                )
            return iter(self._objs(found))

        def _get_ancestor_nodes(
            self, targets: Any, map_: Any = None, check: bool = False, include_dependencies: bool = True
        ) -> Iterator[Any]:
            with _errors():
                found = self._graph.ancestors(self._keys(targets), include_dependencies, check, indices=True)
            return iter(self._objs(found))

        def iterate_revisions(
            self,
            upper: Any,
            lower: Any,
            implicit_base: bool = False,
            inclusive: bool = False,
            assert_relative_length: bool = True,
            select_for_downgrade: bool = False,
        ) -> Iterator[Any]:
            with _errors():
                found = self._graph.iterate_revisions(
                    self._ident(upper),
                    self._ident(lower),
                    implicit_base,
                    inclusive,
                    assert_relative_length,
                    select_for_downgrade,
                    indices=True,
                )
            yield from self._objs(found) if all(type(i) is int for i in found) else map(self._obj, found)

        def _walk(
            self,
            start: Any,
            steps: int,
            branch_label: str | None = None,
            no_overwalk: bool = True,
        ) -> Any:
            if isinstance(start, alembic_revision.Revision):
                start = self._keys([start])[0]
            with _errors():
                return self._obj(self._graph.walk(start, steps, branch_label, no_overwalk, indices=True))

        def add_revision(self, revision: Any, _replace: bool = False) -> None:
            """A revision written by ``revision``/``merge``: rebuild the graph with it and,
            as Alembic does, complete the given object (it is the one handed out from now on)."""
            graph, sources, scripts = self._build()
            row = (
                revision.revision,
                revision.down_revision,
                revision.dependencies,
                tuple(getattr(revision, "_orig_branch_labels", ())),
                getattr(revision, "path", None),
            )
            rows = list(self._rows)
            at = None
            if _replace:
                at = next(
                    (i for i, r in enumerate(rows) if (r[0] if isinstance(r, tuple) else r.revision) == revision.revision),
                    None,
                )
            if at is None:
                rows.append(row)
                sources.append(revision)
                scripts.append(None)
                at = len(rows) - 1
            else:
                rows[at] = row
                sources[at] = revision
            scripts[at] = revision
            revision._monomig_index = at
            revision._monomig_map = self
            graph = self._graph_from(rows)
            self._built = (graph, sources, scripts)
            for i, s in enumerate(scripts):
                if s is not None:
                    self._fill(s, graph.revision_info(i))

    _classes["LazyScript"] = LazyScript
    _classes["BridgeRevisionMap"] = BridgeRevisionMap


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

