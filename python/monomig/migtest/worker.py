"""One service's checks on its throwaway database, in a process of its own.

``python -m monomig.migtest.worker`` reads a JSON spec per service on stdin (see
:func:`monomig.migtest.runner.service_spec`: ``service``, ``ini``, ``toml``, ``url``,
``checks``, ``skip``, ``minimum_downgrade``, ``heads_allowed``, ``data_module``,
``version_table``, ``version_table_schema``, ``base_dir``, ``log``) a line, runs its checks
through Alembic's own commands (``alembic -n SERVICE upgrade/downgrade/check``, env.py
included) with monomig's bridge, and writes the result (JSON, a line) to the file
descriptor ``MONOMIG_TEST_RESULT_FD``; Alembic is imported once for all of them.
Alembic's own output goes to the file ``log`` of the service.

env.py must migrate the throwaway database: ``MONOMIG_URL_<SERVICE>`` names it (the
first place ``monomig.run_env()`` and ``monomig.url_for`` look), and the bridge
compares the database env.py really connects to with it before anything runs, as in
``monomig upgrade --all``; another database fails the service without touching it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from typing import Any

CHECKS = ("single_head", "upgrade", "models_match", "roundtrip", "stairway")


class CheckFailed(Exception):
    """A check found a fault: ``message`` (one paragraph), the ``revision`` and the
    ``command`` that showed it, and ``details`` (schema differences, autogenerate diffs)."""

    def __init__(
        self, message: str, revision: str | None = None, command: str | None = None, details: list[str] | None = None
    ) -> None:
        super().__init__(message)
        self.revision = revision
        self.command = command
        self.details = details or []


class CannotRun(Exception):
    """The service cannot be tested (env.py migrates another database, no URL, ...)."""


def last_line(e: BaseException) -> str:
    text = "".join(traceback.format_exception_only(type(e), e)).strip()
    return text.splitlines()[0] if text else type(e).__name__


def where_raised(e: BaseException, script: Any) -> list[str]:
    """The lines of the revision files in ``e``'s traceback (``file:line in upgrade: code``)
    and the statement the database refused (SQLAlchemy's ``[SQL: ...]``)."""
    roots = [os.path.abspath(str(p)) for p in script._version_locations]
    out = []
    for frame in traceback.extract_tb(e.__traceback__):
        if any(os.path.abspath(frame.filename).startswith(r + os.sep) for r in roots):
            out.append(f"{frame.filename}:{frame.lineno} in {frame.name}: {(frame.line or '').strip()}")
    out += [line.strip() for line in str(e).splitlines() if line.strip().startswith("[SQL:")]
    return out


class Service:
    """Alembic's commands and the schema reads for one service on its throwaway database."""

    def __init__(self, spec: dict[str, Any]) -> None:
        from alembic import command
        from alembic.config import Config
        from alembic.script import ScriptDirectory

        from monomig._alembic_support import at_least

        self.spec = spec
        self.name = spec["service"]
        self.url = spec["url"]
        self.command = command
        opts = argparse.Namespace(x=None, name=self.name, config=None, raiseerr=True, sql=False, tag=None)
        toml: dict[str, Any] = {"toml_file": spec.get("toml")} if at_least(1, 16) else {}
        self.cfg = Config(file_=spec["ini"], ini_section=self.name, cmd_opts=opts, **toml)
        self.script = ScriptDirectory.from_config(self.cfg)
        # upgrade order: base first (walk_revisions goes from the heads down)
        self.order = [s.revision for s in reversed(list(self.script.walk_revisions("base", "heads")))]
        self.exclude = [spec["version_table"]]
        self.running: str | None = None

    # -- Alembic's commands, each naming the revision that failed
    def run(self, name: str, target: str, revision: str | None = None) -> None:
        from monomig import _worker

        cmdline = f"alembic -n {self.name} {name} {target}"
        _worker._running = None
        try:
            getattr(self.command, name)(self.cfg, target)
        except KeyboardInterrupt:
            raise
        except BaseException as e:  # noqa: BLE001 - every failure is the check's finding
            code = getattr(e, "monomig_code", None)
            if code == "target_mismatch":
                raise CannotRun(str(e)) from None
            failed = _worker._running or revision
            where = f"revision {failed}" if failed else "the command"
            raise CheckFailed(
                f"{where} failed: {last_line(e)}",
                revision=failed,
                command=cmdline,
                details=where_raised(e, self.script),
            ) from None

    def heads(self) -> list[str]:
        from monomig import _native

        read = _native.read_versions(
            [(self.url, self.spec["version_table"], self.spec.get("version_table_schema"))],
            base_dir=self.spec.get("base_dir"),
        )[0]
        return sorted(read.rows or [])

    def snapshot(self) -> Any:
        from monomig import _native

        return _native.schema_snapshot(self.url, self.exclude, base_dir=self.spec.get("base_dir"))

    def label(self, rev: str) -> str:
        doc = getattr(self.script.get_revision(rev), "doc", None)
        return f"{rev} ({doc})" if doc else rev


# ------------------------------------------------------------------------ checks


def single_head(s: Service) -> str:
    heads = list(s.script.get_heads())
    allowed = s.spec.get("heads_allowed")
    if allowed is None or len(heads) <= allowed:
        return f"{len(heads)} head{'s' if len(heads) != 1 else ''}: {', '.join(heads) or '-'}"
    raise CheckFailed(
        f"{len(heads)} heads ({', '.join(heads)}) where the section allows {allowed}: merge them "
        f"(alembic -n {s.name} merge heads) or set monomig.test.heads in [{s.name}]",
        revision=heads[-1],
        command=f"alembic -n {s.name} heads",
    )


def _data_module(s: Service) -> Any:
    name = s.spec.get("data_module")
    if not name:
        return None
    import importlib

    for p in reversed(s.spec.get("sys_path") or []):
        if p not in sys.path:
            sys.path.insert(0, p)
    return importlib.import_module(name)


def _insert(conn: Any, data: Any) -> None:
    import sqlalchemy as sa

    for table, rows in data.items():
        t = sa.Table(table, sa.MetaData(), autoload_with=conn)
        conn.execute(t.insert(), rows if isinstance(rows, list) else [rows])


def _apply_hook(s: Service, value: Any, rev: str, when: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(s.url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            if callable(value):
                value(conn)
            else:
                _insert(conn, value)
    except Exception as e:  # noqa: BLE001 - a hook's failure is the finding
        raise CheckFailed(
            f"the data hook {when} revision {rev} failed: {last_line(e)}",
            revision=rev,
            details=traceback.format_exc().splitlines()[-8:],
        ) from None
    finally:
        engine.dispose()


def upgrade(s: Service) -> str:
    """Base to heads: one Alembic run, stopping at each revision a data hook names."""
    data = _data_module(s)
    before = dict(getattr(data, "before_revision_data", None) or {})
    at = dict(getattr(data, "at_revision_data", None) or {})
    for rev in s.order:
        if rev not in before and rev not in at:
            continue
        for parent in s.script.get_revision(rev)._versioned_down_revisions:
            s.run("upgrade", parent)
        if rev in before:
            _apply_hook(s, before[rev], rev, "before")
        s.run("upgrade", rev, rev)
        if rev in at:
            _apply_hook(s, at[rev], rev, "at")
    s.run("upgrade", "heads")
    return f"{len(s.order)} revisions upgraded, base to heads"


def models_match(s: Service) -> str:
    from alembic.util import AutogenerateDiffsDetected, CommandError

    cmd = f"alembic -n {s.name} check"
    heads = list(s.script.get_heads())
    if len(heads) > 1:
        # Alembic's check compares against one head ("Multiple heads are present")
        return f"skipped: {len(heads)} heads; alembic check compares the models with one head"
    try:
        s.command.check(s.cfg)
    except AutogenerateDiffsDetected as e:
        diffs = [repr(d) for d in getattr(e, "diffs", None) or []] or [str(e)]
        raise CheckFailed(
            f"the models differ from the schema the migrations build ({len(diffs)} difference"
            f"{'s' if len(diffs) != 1 else ''}): add a revision (alembic -n {s.name} revision --autogenerate)",
            revision=", ".join(s.script.get_heads()),
            command=cmd,
            details=diffs,
        ) from None
    except CommandError as e:
        if "does not provide a MetaData object" in str(e):
            return "skipped: env.py gives no target_metadata"
        raise CheckFailed(f"alembic check failed: {last_line(e)}", command=cmd) from None
    return "no difference between the models and the migrated schema"


def _lowest(s: Service) -> str:
    return s.spec.get("minimum_downgrade") or "base"


def _tested_revisions(s: Service) -> list[str]:
    """The revisions the stairway goes down: those above ``minimum_downgrade``, not skipped."""
    order = s.order
    low = s.spec.get("minimum_downgrade")
    if low:
        above = {r.revision for r in s.script.iterate_revisions("heads", low)} - {low}
        order = [r for r in order if r in above]
    skip = set(s.spec.get("skip") or ())
    return [r for r in order if r not in skip]


def roundtrip(s: Service) -> str:
    low = _lowest(s)
    head = s.snapshot()
    s.run("downgrade", low)
    s.run("upgrade", "heads")
    again = s.snapshot()
    if again != head:
        raise CheckFailed(
            f"the schema after downgrade {low} and upgrade heads differs from the schema at heads",
            command=f"alembic -n {s.name} downgrade {low}; alembic -n {s.name} upgrade heads",
            details=head.diff(again, "at heads", "after the roundtrip"),
        )
    return f"heads -> {low} -> heads: schema identical"


def stairway(s: Service) -> str:
    tested = set(_tested_revisions(s))
    s.run("downgrade", _lowest(s))
    count = 0
    for rev in s.order:
        if rev not in tested:
            s.run("upgrade", rev, rev)
            continue
        script = s.script.get_revision(rev)
        if not hasattr(script.module, "downgrade"):
            raise CheckFailed(f"revision {s.label(rev)} has no downgrade() function", revision=rev)
        heads = s.heads()
        before = s.snapshot()
        s.run("upgrade", rev, rev)
        up = s.snapshot()
        parents = script._versioned_down_revisions
        target = f"{rev}@{parents[0] if parents else 'base'}"
        s.run("downgrade", target, rev)
        down = s.snapshot()
        cmd = f"alembic -n {s.name} upgrade {rev}; alembic -n {s.name} downgrade {target}"
        if down != before:
            if down == up and up != before:
                raise CheckFailed(
                    f"revision {s.label(rev)}'s downgrade changes nothing: it has no real downgrade",
                    revision=rev,
                    command=cmd,
                    details=before.diff(up, "before upgrade", "after upgrade"),
                )
            raise CheckFailed(
                f"revision {s.label(rev)}: the schema after its downgrade differs from the schema before its upgrade",
                revision=rev,
                command=cmd,
                details=before.diff(down, "before upgrade", "after downgrade"),
            )
        if s.heads() != heads:
            raise CheckFailed(
                f"revision {s.label(rev)}: after its downgrade the version table holds {s.heads()}, not {heads}",
                revision=rev,
                command=cmd,
            )
        s.run("upgrade", rev, rev)
        count += 1
    return f"{count} revisions up, down, up: schema restored each time"


RUNNERS: dict[str, Callable[[Service], str]] = {
    "single_head": single_head,
    "upgrade": upgrade,
    "models_match": models_match,
    "roundtrip": roundtrip,
    "stairway": stairway,
}


def run_checks(spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Set up Alembic for the service and run its checks in order, one result each.

    Every check after ``upgrade`` works on the database the previous one left at heads;
    when ``upgrade`` failed they are ``not_run`` (its failure is the finding)."""
    from monomig import _worker, bridge
    from monomig._lock import LOCK_HELD_ENV, LOCK_TARGET_ENV, lock_name
    from monomig.urls import env_var_name

    os.environ[env_var_name(spec["service"])] = spec["url"]
    # The throwaway database is this process's alone: no lock, but env.py must migrate it.
    name = lock_name(spec["version_table"], spec.get("version_table_schema"))
    os.environ[LOCK_HELD_ENV] = name
    os.environ[LOCK_TARGET_ENV] = _worker._lock_target({**spec, "lock_name": name})
    bridge.activate()
    if not _worker._instrumented:
        _worker._instrument()
    svc = Service(spec)
    wanted = [c for c in CHECKS if c in spec["checks"]]
    at_heads = False
    blocked: str | None = None
    for check in wanted:
        start = time.perf_counter()
        result: dict[str, Any] = {"check": check}
        try:
            if blocked:
                raise CannotRun(blocked)
            if check in ("models_match", "roundtrip") and not at_heads:
                try:
                    upgrade(svc)
                except CheckFailed as e:
                    blocked = f"not run: the upgrade to heads failed ({e})"
                    raise CannotRun(blocked) from None
            result["message"] = RUNNERS[check](svc)
            result["status"] = "skipped" if result["message"].startswith("skipped") else "passed"
            if check != "single_head":
                at_heads = True
        except CheckFailed as e:
            result.update(status="failed", message=str(e), revision=e.revision, command=e.command, details=e.details)
            if check == "upgrade":
                blocked = "not run: upgrade failed"
            at_heads = False
        except CannotRun as e:
            result.update(status="not_run" if str(e).startswith("not run") else "error", message=str(e))
            if result["status"] == "error":
                blocked = "not run: the service cannot be tested"
        result["duration"] = round(time.perf_counter() - start, 4)
        yield result


def _one(spec: dict[str, Any]) -> dict[str, Any]:
    """One service, its output (Alembic's logging, env.py's prints) in the file ``spec["log"]``."""
    out: dict[str, Any] = {"service": spec["service"], "checks": []}
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    fd = os.open(spec["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    try:
        for r in run_checks(spec):
            out["checks"].append(r)
    except KeyboardInterrupt:
        out["error"] = "interrupted"
    except BaseException as e:  # noqa: BLE001 - the parent reports it for the service
        out["error"] = last_line(e)
        out["traceback"] = traceback.format_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])
    return out


def main() -> int:
    """One service per line of stdin; one result per line on the file descriptor
    ``MONOMIG_TEST_RESULT_FD``, until stdin closes or an interruption."""
    import signal

    signal.signal(signal.SIGINT, signal.default_int_handler)
    results = os.fdopen(int(os.environ["MONOMIG_TEST_RESULT_FD"]), "w", buffering=1)
    try:
        for line in sys.stdin:
            if not line.strip():
                continue
            out = _one(json.loads(line))
            results.write(json.dumps(out) + "\n")
            results.flush()
            if out.get("error") == "interrupted":
                return 130
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
