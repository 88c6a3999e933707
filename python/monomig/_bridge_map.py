"""The classes the Alembic bridge gives Alembic (see :mod:`monomig.bridge`).

:class:`BridgeRevisionMap` is Alembic's ``RevisionMap`` interface answered by monomig's
Rust graph; :class:`LazyScript` is an Alembic ``Script`` whose module is imported on
first use. Both subclass Alembic's classes, so this module imports Alembic: it is
imported only when the bridge activates (``monomig.bridge.activate``), never by
``import monomig`` alone.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from alembic import util as alembic_util
from alembic.script import revision as alembic_revision
from alembic.script.base import Script

import monomig._native as _native
from monomig.bridge import _errors, _frozen, _warn
from monomig.setorder import python_set_order

__all__ = ["BridgeRevisionMap", "LazyScript"]


class LazyScript(Script):
    """An Alembic ``Script`` whose module is imported on first use."""

    _monomig_index: int
    _monomig_entry: Any
    _monomig_module: Any = None
    _monomig_map: BridgeRevisionMap

    @property
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
        # Paths from Alembic 1.16 on, strings before (absolute in both): read either.
        locations = [os.fspath(p) for p in sd._version_locations if os.path.exists(p)]
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

    def load_order(self) -> list[Any]:
        """Every revision's Script, in the order stock Alembic loads (imports) them."""
        return self._objs(list(range(len(self._build()[1]))))

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
    @property
    def heads(self) -> tuple[str, ...]:
        return tuple(self._graph.heads)

    @property
    def bases(self) -> tuple[str, ...]:
        return tuple(self._graph.bases)

    @property
    def _real_heads(self) -> tuple[str, ...]:
        return tuple(self._graph.real_heads)

    @property
    def _real_bases(self) -> tuple[str, ...]:
        return tuple(self._graph.real_bases)

    @property
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

    def filter_for_lineage(
        self, targets: Any, check_against: Any, include_dependencies: bool = False
    ) -> tuple[Any, ...]:
        targets = list(targets)
        with _errors():
            kept = self._graph.filter_for_lineage(self._keys(targets), self._ident(check_against), include_dependencies)
        out = []
        it = iter(zip(targets, self._keys(targets), strict=False))
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
