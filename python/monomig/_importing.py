"""Revision files only Python can read, read as Alembic reads them: by importing them.

monomig reads revision files from their text. A file whose ``revision``,
``down_revision``, ``branch_labels`` or ``depends_on`` is built from something else than
literals needs Python. When those values are names imported from a module of the
project (Neutron's ``branch_labels = (cli.EXPAND_BRANCH,)``), the Rust reader follows
them into that module's file, found on the section's ``prepend_sys_path``
(:func:`search_path`), and reads the constant there: no import. For the rest the fleet
commands (``status``, ``check --all``, ``upgrade|downgrade|stamp --all`` and their
plans) import that one file as Alembic does (``prepend_sys_path`` put at the front of
``sys.path`` as written, the module loaded from its path under Alembic's module name)
and use the values it gives (:func:`import_values`), so they answer what Alembic answers.

``--no-import`` on those commands, or ``monomig.import = false`` in a service's section,
forbids any import: such files are reported instead (with the reason: the construct and
its line), for CI jobs where the application is not installed.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from collections.abc import Iterable
from typing import Any

import monomig
from monomig import _native
from monomig._values import parse_bool

__all__ = [
    "IMPORT_OPTION",
    "ImportFailed",
    "add_no_import_argument",
    "import_allowed",
    "import_values",
    "refusal",
    "search_path",
]

#: The section option that forbids importing revision files (``false``); default true.
IMPORT_OPTION = "monomig.import"

#: The module names Alembic gives revision modules (``alembic.util.pyfiles.load_module_py``).
_NON_WORD = re.compile(r"\W")
_LEGACY_REV = re.compile(r"([a-f0-9]+)\.py$")


class ImportFailed(monomig.MonomigError):
    """Importing a revision file, as Alembic would, failed (its message says how)."""


def add_no_import_argument(parser: Any) -> None:
    """``--no-import`` for a fleet command."""
    parser.add_argument(
        "--no-import",
        action="store_true",
        help="never import a revision file (CI without the application installed): a file whose values "
        "only an import can give is reported, with the reason (the section option "
        f"{IMPORT_OPTION} = false does the same for one service)",
    )


def import_allowed(service: monomig.Service, no_import: bool) -> bool:
    """Whether monomig may import the service's revision files: not with ``--no-import``,
    nor when its section sets ``monomig.import`` to a false word."""
    return not no_import and parse_bool(service.options.get(IMPORT_OPTION)) is not False


def search_path(service: monomig.Service) -> list[str]:
    """The folders where the Rust reader follows imported names: the section's
    ``prepend_sys_path``, absolute against the working directory (Alembic puts the entries
    on ``sys.path`` as written, so Python resolves them against the working directory)."""
    return [os.path.abspath(p) for p in service.prepend_sys_path]


def refusal(service: monomig.Service, unread: list[Any]) -> str:
    """Why the service's revision files that only an import reads (``RevisionEntry``
    objects with ``needs_import``) are not read: importing is off. One paragraph."""
    files = "; ".join(f"{e.path} ({e.reason})" for e in unread)
    one = len(unread) == 1
    return (
        f"service '{service.name}': {'a revision file' if one else 'revision files'} only an import reads, "
        f"and importing is off (--no-import, or {IMPORT_OPTION} = false in its section): {files}. Run where the "
        "application is installed without --no-import, or write revision, down_revision, branch_labels and "
        "depends_on as plain literals (or as constants of a project module on prepend_sys_path)."
    )


def _prepend(service: monomig.Service) -> None:
    entries = list(service.prepend_sys_path)
    if entries and sys.path[: len(entries)] != entries:
        sys.path[:0] = entries


def import_values(
    service: monomig.Service, paths: Iterable[str], docs: dict[str, str | None] | None = None
) -> list[tuple[Any, ...]]:
    """Import each revision file as Alembic does and return its graph row
    ``(revision, down_revision, depends_on, branch_labels, path)``; ``docs``, when given,
    gets each module's ``__doc__`` by revision.

    Raises :class:`ImportFailed` naming the file, the service and the exception."""
    rows = []
    _prepend(service)
    for path in paths:
        filename = os.path.basename(path)
        try:
            spec = importlib.util.spec_from_file_location(_NON_WORD.sub("_", filename), path)
            if spec is None or spec.loader is None:
                raise ImportError(f"Python cannot load {path}")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            if hasattr(module, "revision"):
                revision = module.revision
            else:
                m = _LEGACY_REV.match(filename)
                if m is None:
                    raise ImportError("it defines no revision and its name is not a revision id")
                revision = m.group(1)
            if docs is not None and isinstance(revision, str):
                docs[revision] = module.__doc__ if isinstance(module.__doc__, str) else None
            rows.append(
                (
                    revision,
                    module.down_revision,
                    getattr(module, "depends_on", None),
                    getattr(module, "branch_labels", None),
                    path,
                )
            )
        except BaseException as e:  # the file's own failure (SystemExit included), reported as such
            if isinstance(e, KeyboardInterrupt):
                raise
            raise ImportFailed(
                f"service '{service.name}': importing the revision file {path} as Alembic does failed "
                f"({type(e).__name__}: {e}); Alembic fails on it too unless its environment differs "
                "(is the application installed here, and prepend_sys_path right?). With --no-import "
                "monomig reports the file instead of importing it."
            ) from None
    return rows


def answer_status(
    services: list[monomig.Service],
    specs: list[Any],
    result: list[dict[str, Any]],
    no_import: bool,
    again: Any,
) -> list[dict[str, Any]]:
    """``fleet_status`` answers where files only an import reads made a service ``error``:
    imports them (where allowed) and asks ``again(specs)`` for those services, with the
    values in ``spec["imported"]``. A failed import becomes the service's error."""
    redo: list[int] = []
    for i, (svc, answer) in enumerate(zip(services, result, strict=True)):
        if not answer.get("needs_import") or not import_allowed(svc, no_import):
            continue
        try:
            specs[i]["imported"] = import_values(svc, answer["needs_import"])
        except ImportFailed as e:
            answer["error"] = str(e)
            continue
        redo.append(i)
    if redo:
        for i, answer in zip(redo, again([specs[i] for i in redo]), strict=True):
            result[i] = answer
    return result


def answer_check(
    services: list[monomig.Service],
    specs: list[Any],
    findings: list[Any],
    no_import: bool,
    again: Any,
) -> list[Any]:
    """``fleet_check`` findings where files only an import reads were findings: imports
    them (where allowed) and asks ``again()`` with the values in the specs' ``imported``.
    A failed import stays a finding, with the import's error as its message."""
    spec_of = {spec["name"]: spec for spec in specs}
    by_name = {svc.name: (svc, spec_of[svc.name]) for svc in services if svc.name in spec_of}
    failed: dict[str, str] = {}
    redo = False
    wanted: dict[str, list[str]] = {}
    for f in findings:
        if f["code"] != "unreadable_revision" or not f.get("path") or f["service"] not in by_name:
            continue
        svc, spec = by_name[f["service"]]
        if not import_allowed(svc, no_import):
            continue
        try:
            entry = _native.read_revision_file(f["path"], spec.get("search_path") or [])
        except monomig.MonomigError:
            continue  # broken: the finding says why
        if entry.needs_import:
            wanted.setdefault(svc.name, []).append(f["path"])
    for name, paths in wanted.items():
        svc, spec = by_name[name]
        rows = []
        for p in paths:
            try:
                rows += import_values(svc, [p])
            except ImportFailed as e:
                failed[p] = str(e)
        if rows:
            spec["imported"] = rows
            redo = True
    if redo:
        findings = again()
    for f in findings:
        if f["code"] == "unreadable_revision" and f.get("path") in failed:
            f["message"] = failed[f["path"]]
    return findings
