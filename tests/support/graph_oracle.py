"""Alembic 1.20.1 itself as the oracle for monomig's revision graph.

``Pair`` builds Alembic's ``RevisionMap`` (from ``Revision`` objects, in load
order, in this process) and monomig's ``RevisionGraph`` from the same entries,
with monomig asking this interpreter for Python's set orders (so the graphs
agree even where Alembic depends on hash order). ``compare`` runs one question
on both and reports any difference.
"""

from __future__ import annotations

import re
import signal
import types
import warnings
from collections.abc import Callable
from typing import Any, ClassVar

from alembic.runtime.migration import HeadMaintainer, MigrationContext, RevisionStep, StampStep
from alembic.script import revision as alembic_revision
from alembic.script.base import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import create_engine, event, text

import monomig
from monomig.setorder import python_set_order


class OracleRevision(alembic_revision.Revision):
    """A ``Revision`` that ``RevisionStep`` accepts (it reads ``module.upgrade``)."""

    module = types.SimpleNamespace(upgrade=lambda: None, downgrade=lambda: None)
    path = None


class AlembicHangs(Exception):
    """Alembic loops forever on some graphs it accepts (cycles through labels)."""


def _hang(signum: int, frame: Any) -> None:
    raise AlembicHangs()


HANG_SECONDS = 20.0


def alembic_outcome(fn: Callable[[], Any]) -> tuple[Any, ...]:
    previous = signal.signal(signal.SIGALRM, _hang)
    signal.setitimer(signal.ITIMER_REAL, HANG_SECONDS)
    try:
        return ("ok", fn())
    except (alembic_revision.RevisionError, CommandError) as e:
        return ("err", type(e).__name__, str(e))
    except Exception as e:  # noqa: BLE001  Alembic crashes: KeyError, AssertionError, TypeError, hangs...
        return ("crash", type(e).__name__, str(e))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def monomig_outcome(fn: Callable[[], Any]) -> tuple[Any, ...]:
    try:
        return ("ok", fn())
    except monomig.MonomigError as e:
        return ("err", type(e).__name__, str(e))


_OVERLAP = re.compile(r"^(Requested revision \S+ overlaps with other requested revisions )(.*)$")


def _canon_message(msg: str) -> Any:
    """Messages whose listed revisions come out of a Python set of objects."""
    m = _OVERLAP.match(msg)
    if m:
        return (m.group(1), frozenset(m.group(2).split(", ")))
    return msg


def same_outcome(a: tuple[Any, ...], m: tuple[Any, ...], any_overlap: bool = False) -> bool:
    if any_overlap and a[0] == m[0] == "err" and _OVERLAP.match(a[2]) and _OVERLAP.match(m[2]):
        # Which requested revision is checked first comes from a set of objects.
        return True
    if a[0] == "crash":
        # Alembic fails with a traceback; monomig must answer with its own error.
        return m[0] == "err"
    if a[0] != m[0]:
        return False
    if a[0] == "ok":
        return a[1] == m[1]
    return a[1] == m[1] and _canon_message(a[2]) == _canon_message(m[2])


class Mismatch(AssertionError):
    pass


class Pair:
    """Alembic's map and monomig's graph over the same revisions."""

    def __init__(self, entries: list[tuple[Any, ...]]) -> None:
        self.entries = entries
        self.objs: list[OracleRevision] = []
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")

            def build_alembic() -> Any:
                for e in entries:
                    self.objs.append(OracleRevision(e[0], e[1], e[2], e[3]))
                objs = self.objs
                self.map = alembic_revision.RevisionMap(lambda: objs)
                _ = self.map._revision_map  # builds the map: its errors surface here
                return None

            self.alembic_build = alembic_outcome(build_alembic)
        self.alembic_warnings = [str(w.message) for w in caught]
        self.index = {id(o): i for i, o in enumerate(self.objs)}
        self.hook = python_set_order(self.objs)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            self.monomig_build = monomig_outcome(lambda: monomig.RevisionGraph(entries, set_order=self.hook))
        self.monomig_warnings = [str(w.message) for w in caught]
        self.graph: monomig.RevisionGraph | None = self.monomig_build[1] if self.monomig_build[0] == "ok" else None
        if self.monomig_build[0] == "ok":
            self.monomig_build = ("ok", None)
        self.script = ScriptDirectory.__new__(ScriptDirectory)
        if self.alembic_build[0] == "ok":
            self.script.revision_map = self.map

    @property
    def cyclic(self) -> bool:
        """Alembic accepts some graphs with cycles (through merges or
        depends_on); set-of-objects orders then change its answers."""
        m = self.map._revision_map
        edges = {id(o): [m[r] for r in o.nextrev] + [m[r] for r in o._normalized_down_revisions] for o in self.objs}
        state: dict[int, int] = {}

        def visit(o: Any) -> bool:
            stack = [(o, iter(edges[id(o)]))]
            state[id(o)] = 1
            while stack:
                node, it = stack[-1]
                nxt = next(it, None)
                if nxt is None:
                    state[id(node)] = 2
                    stack.pop()
                elif state.get(id(nxt)) == 1:
                    return True
                elif id(nxt) not in state:
                    state[id(nxt)] = 1
                    stack.append((nxt, iter(edges[id(nxt)])))
            return False

        return any(id(o) not in state and visit(o) for o in self.objs)

    @property
    def ok(self) -> bool:
        return self.alembic_build[0] == "ok" and self.graph is not None

    # -- converting Alembic values to monomig's (indices=True) form -----------
    def conv(self, v: Any) -> Any:
        if isinstance(v, alembic_revision.Revision):
            return self.index[id(v)]
        if isinstance(v, (tuple, list)):
            return tuple(self.conv(x) for x in v)
        if isinstance(v, (set, frozenset)):
            return frozenset(self.conv(x) for x in v)
        return v

    def compare(
        self, what: str, alembic_fn: Callable[[], Any], monomig_fn: Callable[[], Any], any_overlap: bool = False
    ) -> tuple[Any, ...]:
        with warnings.catch_warnings(record=True) as wa:
            warnings.simplefilter("always")
            a = alembic_outcome(lambda: self.conv(alembic_fn()))
        with warnings.catch_warnings(record=True) as wm:
            warnings.simplefilter("always")
            m = monomig_outcome(lambda: _tuplify(monomig_fn()))
        if not same_outcome(a, m, any_overlap):
            raise Mismatch(f"{what}\n  entries={self.entries!r}\n  alembic={a!r}\n  monomig={m!r}")
        aw = [str(w.message) for w in wa]
        mw = [str(w.message) for w in wm]
        if a[0] == "ok" and aw != mw:
            raise Mismatch(f"{what}: warnings differ\n  entries={self.entries!r}\n  alembic={aw!r}\n  monomig={mw!r}")
        return a

    # -- whole-graph comparisons ----------------------------------------------
    def check_build(self) -> None:
        if not same_outcome(self.alembic_build, self.monomig_build):
            raise Mismatch(
                f"build\n  entries={self.entries!r}\n  alembic={self.alembic_build!r}\n  monomig={self.monomig_build!r}"
            )
        if self.alembic_build[0] == "ok" and self.alembic_warnings != self.monomig_warnings:
            raise Mismatch(
                f"build warnings\n  entries={self.entries!r}\n  alembic={self.alembic_warnings!r}\n"
                f"  monomig={self.monomig_warnings!r}"
            )

    def check_structure(self) -> None:
        m, g = self.map, self.graph
        assert g is not None
        for name, av, mv in [
            ("heads", m.heads, g.heads),
            ("bases", m.bases, g.bases),
            ("real_heads", m._real_heads, g.real_heads),
            ("real_bases", m._real_bases, g.real_bases),
            ("keys", [k for k in m._revision_map if isinstance(k, str)], g.keys),
        ]:
            if tuple(av) != tuple(mv):
                raise Mismatch(f"{name}\n  entries={self.entries!r}\n  alembic={av!r}\n  monomig={mv!r}")
        for i, o in enumerate(self.objs):
            info = g.revision_info(i)
            expected = {
                "nextrev": tuple(o.nextrev),
                "all_nextrev": tuple(o._all_nextrev),
                "branch_labels": frozenset(o.branch_labels),
                "resolved_dependencies": tuple(o._resolved_dependencies),
                "normalized_resolved_dependencies": tuple(o._normalized_resolved_dependencies),
                "versioned_down_revisions": tuple(o._versioned_down_revisions),
                "all_down_revisions": tuple(o._all_down_revisions),
                "normalized_down_revisions": tuple(o._normalized_down_revisions),
                "down_revision": o.down_revision,
                "dependencies": o.dependencies,
                "is_head": o.is_head,
                "is_real_head": o._is_real_head,
                "is_base": o.is_base,
                "is_real_base": o._is_real_base,
                "is_branch_point": o.is_branch_point,
                "is_real_branch_point": o._is_real_branch_point,
                "is_merge_point": o.is_merge_point,
            }
            got = dict(info)
            got["branch_labels"] = frozenset(got["branch_labels"])
            for k, v in expected.items():
                if got[k] != v:
                    raise Mismatch(
                        f"revision #{i} {o.revision} {k}\n  entries={self.entries!r}\n  alembic={v!r}\n  monomig={got[k]!r}"
                    )

    # -- planning through Alembic's own ScriptDirectory / HeadMaintainer -------
    @staticmethod
    def step_tuple(step: Any) -> tuple[Any, ...]:
        if isinstance(step, RevisionStep):
            return ("rev", step.revision.revision, step.is_upgrade)
        if isinstance(step, StampStep):
            return ("stamp", tuple(step.from_), tuple(step.to_), step.is_upgrade, step.branch_move)
        if isinstance(step, monomig.MigrationStep):
            if step.is_stamp:
                return ("stamp", step.from_revisions, step.to_revisions, step.is_upgrade, step.branch_move)
            return ("rev", step.revision, step.is_upgrade)
        raise TypeError(step)


def _tuplify(v: Any) -> Any:
    if isinstance(v, list):
        return tuple(_tuplify(x) for x in v)
    if isinstance(v, tuple):
        return tuple(_tuplify(x) for x in v)
    return v


class VersionTable:
    """A real SQLite version table driven by Alembic's own ``HeadMaintainer``."""

    _PATTERNS: ClassVar[list[tuple[re.Pattern[str], str]]] = [
        (re.compile(r"^INSERT INTO alembic_version \(version_num\) VALUES \('([^']*)'\)"), "insert"),
        (re.compile(r"^DELETE FROM alembic_version WHERE alembic_version.version_num = '([^']*)'"), "delete"),
        (
            re.compile(
                r"^UPDATE alembic_version SET version_num='([^']*)' WHERE alembic_version.version_num = '([^']*)'"
            ),
            "update",
        ),
    ]

    def __init__(self) -> None:
        self.engine = create_engine("sqlite://")
        self.conn = self.engine.connect()
        self.ctx = MigrationContext.configure(connection=self.conn)
        self.ctx._ensure_version_table()
        self.ops: list[tuple[str, ...]] | None = None
        event.listen(self.conn, "before_cursor_execute", self._record)

    def _record(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if self.ops is None:
            return
        s = " ".join(statement.split())
        for pattern, kind in self._PATTERNS:
            m = pattern.match(s)
            if m:
                if kind == "update":
                    self.ops.append(("update", m.group(2), m.group(1)))
                else:
                    self.ops.append((kind, m.group(1)))
                return

    def run(self, heads: tuple[str, ...], steps: list[Any]) -> tuple[list[tuple[str, ...]], frozenset[str]]:
        self.conn.execute(text("DELETE FROM alembic_version"))
        for h in dict.fromkeys(heads):
            self.conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": h})
        self.ops = []
        try:
            hm = HeadMaintainer(self.ctx, heads)
            for step in steps:
                hm.update_to_step(step)
        finally:
            ops, self.ops = self.ops, None
        rows = frozenset(r[0] for r in self.conn.execute(text("SELECT version_num FROM alembic_version")))
        assert rows == frozenset(hm.heads), (rows, hm.heads)
        return ops, rows

    def rows(self) -> list[str]:
        return [r[0] for r in self.conn.execute(text("SELECT version_num FROM alembic_version ORDER BY rowid"))]

    def close(self) -> None:
        self.conn.close()
        self.engine.dispose()
