"""Render one service's revisions offline through Alembic, for ``monomig lint``.

Run as ``python -m monomig._lint_render`` (one process per service, so one
revision's imports and ``op`` state never leak into another service's): reads one
JSON job on stdin (``ini``, ``toml``, ``service``, ``dialect``, ``destination``,
``current``, ``only_paths``) and writes one JSON object on stdout:
``{"revisions": [...]}`` in the order Alembic runs them (the shape of
``monomig._native.lint_service``'s ``revisions``), or ``{"error": message}``.

Each revision's ``upgrade()`` runs under Alembic's own offline ``MigrationContext``
(``as_sql``, ``literal_binds``, the dialect of the service's URL): the SQL is
Alembic's, statement by statement. Each statement written to the output buffer is
attributed by walking the stack to the revision file's frame: its line is the line
of the ``op.*`` call (or ``op.execute``) that produced it. A revision that raises
(it reads data through ``op.get_bind()``, or batch mode needs to reflect a table)
is reported with the exception and its line, and the next revision is rendered.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from typing import Any


class _Capture:
    """The offline output buffer: one ``write`` per statement (``static_output``)."""

    def __init__(self) -> None:
        self.path: str | None = None
        self.statements: list[dict[str, Any]] = []

    def write(self, text: str) -> int:
        if self.path is None:
            return len(text)
        line = None
        kind = "op"
        frame = sys._getframe(1)
        while frame is not None:
            code = frame.f_code
            if code.co_filename == self.path:
                line = frame.f_lineno
                break
            if code.co_name == "autocommit_block":
                kind = "autocommit"
            elif code.co_name == "execute_sql" and kind == "op":
                kind = "execute"
            frame = frame.f_back  # type: ignore[assignment]
        if line is not None and text.strip():
            self.statements.append({"sql": text.strip(), "line": line, "kind": kind})
        return len(text)

    def flush(self) -> None:
        pass


def _irreversible(module: Any) -> bool:
    """``downgrade()`` is missing, or does nothing: its body is only ``pass``, ``...`` or a
    docstring (its code names nothing and keeps no local), read from the imported
    function instead of parsing the file again."""
    fn = getattr(module, "downgrade", None)
    code = getattr(fn, "__code__", None)
    if code is None:
        return fn is None
    return not code.co_names and not code.co_varnames and not code.co_freevars


def _error_line(tb: Any, path: str) -> int | None:
    line = None
    for frame in traceback.extract_tb(tb):
        if frame.filename == path:
            line = frame.lineno
    return line


def render(job: dict[str, Any]) -> dict[str, Any]:
    from alembic.config import Config
    from alembic.operations import Operations
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    kw: dict[str, Any] = {"ini_section": job["service"]}
    if job.get("toml"):
        kw["toml_file"] = job["toml"]
    try:
        cfg = Config(job["ini"], **kw)
    except TypeError:  # an Alembic without pyproject.toml support
        kw.pop("toml_file", None)
        cfg = Config(job["ini"], **kw)
    try:
        script = ScriptDirectory.from_config(cfg)
        # the current heads as Alembic's upgrade passes them: a revision, or () at base
        current: Any = job.get("current") or ()
        steps = script._upgrade_revs(job.get("destination") or "heads", current)
    except CommandError as e:
        return {"error": str(e)}
    capture = _Capture()
    context = MigrationContext.configure(
        dialect_name=job["dialect"],
        opts={"as_sql": True, "output_buffer": capture, "literal_binds": True},
    )
    only = job.get("only_paths")
    only_set = {os.path.realpath(p) for p in only} if only is not None else None
    revisions = []
    for step in steps:
        rev = step.revision
        if only_set is not None and os.path.realpath(rev.path) not in only_set:
            continue
        entry: dict[str, Any] = {"revision": rev.revision, "path": rev.path, "irreversible": False, "statements": []}
        # frames of the revision's code carry the name Python imported it by
        capture.path = rev.path
        capture.statements = []
        try:
            module = rev.module
            entry["irreversible"] = _irreversible(module)
            capture.path = module.__file__ or rev.path
            with Operations.context(context):
                module.upgrade()
        except Exception as e:  # noqa: BLE001 - any failure of the revision is a finding
            message = str(e).strip().splitlines()
            entry["error"] = f"{type(e).__name__}: {message[0] if message else ''}".strip()
            entry["error_line"] = _error_line(e.__traceback__, capture.path or rev.path)
        entry["statements"] = capture.statements
        capture.path = None
        revisions.append(entry)
    return {"revisions": revisions}


def main() -> int:
    job = json.loads(sys.stdin.read())
    os.chdir(job.get("cwd") or os.getcwd())
    # a revision printing to stdout must not break the JSON answer
    out = sys.stdout
    sys.stdout = sys.stderr
    try:
        answer = render(job)
    except Exception as e:  # noqa: BLE001 - reported as the service's error, exit 0
        answer = {"error": f"{type(e).__name__}: {e}"}
    out.write(json.dumps(answer))
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
