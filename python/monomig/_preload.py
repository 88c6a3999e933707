"""Imports as stock Alembic would have seen them, before the bridge runs a step.

Stock Alembic imports every revision module of the service before it runs any step, so
whatever those imports do on the way (``from pkg.sub.types import INT`` makes ``pkg.sub``
an attribute of ``pkg``) is there when the first step runs. The bridge imports only the
modules of the steps it runs; a project that relies on such a side effect by accident (an
earlier revision doing ``import pkg`` and using ``pkg.sub.types.INT``) would fail under it
where stock passes. So before the first step of ``upgrade``, ``downgrade`` or ``stamp``
(online or ``--sql``), :func:`before_steps` runs, in Alembic's load order, the module-level
``import`` statements of every revision file of the service, read from the files' text
(:func:`module_imports`), without importing the revision modules themselves. Read-only
commands (``current``, ``heads``, ``history``, ``check``) import nothing.

A preload import that fails is not an error by itself: the revision module holding it is
then imported as stock Alembic imports it, so that the command fails exactly where and as
stock fails (the same exception, raised from the revision file); if that module imports
fine (the import is guarded), the command goes on.

Options of the service's ini section, read with :func:`monomig._values.parse_bool`:
``monomig.preload_imports = false`` switches the preloading off; ``monomig.eager_import =
true`` imports every revision module before the first step, as stock Alembic does.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from alembic.util import CommandError

from monomig import _native
from monomig._values import parse_bool

__all__ = ["before_steps", "imports_of", "module_imports"]

#: The section options, and their values when the section does not set them.
PRELOAD_OPTION = "monomig.preload_imports"
EAGER_OPTION = "monomig.eager_import"

#: One ``import`` statement's effect: ``__import__(module, fromlist=fromlist)``.
Import = tuple[str, tuple[str, ...]]


def module_imports(path: str | Path) -> list[Import]:
    """The absolute imports a revision file makes at module level, in its order: for
    ``import a.b`` ``("a.b", ())``, for ``from a.b import c, d`` ``("a.b", ("c", "d"))``.

    Used by :func:`imports_of`, the one place that chooses where the list comes from (the
    static reader's ``module_imports`` takes its place when scan records carry it).
    The statements directly in the module's body count, and those of its module-level
    ``try`` blocks (not their ``except`` handlers, which run only when an import failed);
    not those under ``if`` or ``with`` (an ``if TYPE_CHECKING:`` block never runs), nor
    relative imports (a revision module has no package); a file that does not parse
    gives nothing."""
    try:
        tree = ast.parse(Path(path).read_bytes(), filename=str(path))
    except (OSError, SyntaxError, ValueError):
        return []
    return list(_imports_in(tree.body))


def imports_of(script: Any) -> list[Import]:
    """The imports to run for one revision (a Script of monomig's revision map): for a file
    the static reader read, its import statements as the Rust tokenizer reads them
    (``_native.import_statements``: each module with the names of ``from module import
    names``, so that ``from pkg.sub import types`` imports the submodule ``pkg.sub.types``
    as stock's import did), else :func:`module_imports` of its file (Python's own parser)."""
    if getattr(script, "_monomig_entry", None) is not None and str(script.path).endswith(".py"):
        try:
            return [(module, tuple(names)) for module, names in _native.import_statements(script.path)]
        except OSError:
            pass
    return module_imports(script.path)


def _imports_in(body: Iterable[ast.stmt]) -> Iterator[Import]:
    for node in body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield (alias.name, ())
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                yield (node.module, tuple(a.name for a in node.names))
        elif isinstance(node, ast.Try):
            yield from _imports_in([*node.body, *node.orelse, *node.finalbody])


def _option(config: Any, name: str, default: bool) -> bool:
    section = getattr(config, "config_ini_section", None)
    if config is None or not section:
        return default
    raw = config.get_section_option(section, name)
    if raw is None:
        return default
    value = parse_bool(raw)
    if value is None:
        where = getattr(config, "config_file_name", None) or "the configuration"
        raise CommandError(
            f"{where}, section [{section}]: {name} = {raw!r} is not a yes/no value; "
            f"write {name} = true or {name} = false (yes/no, on/off and 1/0 are read too)."
        )
    return value


def before_steps(script_dir: Any, config: Any) -> None:
    """What stock Alembic's eager import would have done by now, for the service of
    ``script_dir`` (a ``ScriptDirectory`` with monomig's revision map); once per map."""
    revision_map = script_dir.revision_map
    if getattr(revision_map, "_monomig_preloaded", False) or not hasattr(revision_map, "load_order"):
        return
    revision_map._monomig_preloaded = True
    eager = _option(config, EAGER_OPTION, False)
    if not eager and not _option(config, PRELOAD_OPTION, True):
        return
    try:
        scripts = revision_map.load_order()
    except Exception:  # noqa: BLE001
        # The revisions do not form a graph: Alembic meets the same error where it asks
        # for the steps, and reports it its own way.
        return
    if eager:
        for script in scripts:
            _ = script.module  # stock Alembic's import, in its order
        return
    done: set[Import] = set()
    for script in scripts:
        for module, fromlist in imports_of(script):
            if (module, fromlist) in done:
                continue
            done.add((module, fromlist))
            try:
                __import__(module, {}, None, fromlist, 0)
            except Exception:  # noqa: BLE001 - whatever it is, stock meets it in the revision module
                # Stock Alembic meets this import inside the revision module: import
                # that module as stock does, so that a failure is stock's own (raised
                # from the file); a guarded import lets the module load, and the run goes on.
                _ = script.module
