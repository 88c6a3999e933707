"""Services' migrations, run by ``monomig upgrade/downgrade/stamp --all`` in worker processes.

A worker runs one service after another (Alembic is imported once per worker). The parent
writes one JSON object a line on stdin, one per service: ``command`` (upgrade, downgrade, stamp),
``service``, ``ini``, ``toml``, ``target``, ``sql``, ``tag``, ``purge``, ``x``, ``url``
(for the lock; absent with ``--sql``), ``lock_name``, ``lock_timeout``, ``base_dir``.
Events go to the file descriptor named by ``MONOMIG_EVENT_FD``, one JSON object a line:
``{"event": "waiting", "holder": ..., "timeout": seconds}`` (once, as the wait starts),
``locked``, ``target`` (database, version_table, version_table_schema, before: what env.py
really migrates, from monomig's bridge), ``running`` (revision, direction, message: the revision's docstring's first line), ``applied`` (revision),
``after`` (heads, once the migration's transaction finished), ``failed`` (message: the exception's last line,
traceback: the whole traceback or null, revision, code: ``target_mismatch``, ``lock_timeout``, ``interrupted`` or null), then
``finished`` (rc) per service.
With ``sql``, ``sql_header`` is printed before the service's SQL and ``sql_out`` names a file to
write it to instead of stdout.

SIGINT (forwarded by the parent on Ctrl-C or SIGTERM) unwinds Alembic's command as Python
does (env.py's transaction rolls back where the database can, the lock is released), then
the worker reports ``failed`` with code ``interrupted``, ``finished`` with rc 130, and exits.

While the lock is held, ``MONOMIG_LOCK_HELD`` in the environment names it and
``MONOMIG_LOCK_TARGET`` describes it (JSON: database identity, masked URL, version table,
schema, service; no password), so that code running inside the command (env.py,
monomig's bridge) does not take it a second time and checks that env.py migrates that
target. ``MONOMIG_LOCK_TIMEOUT`` is the runner's ``lock_timeout``.

The migration itself is Alembic's own command, in this process, exactly as
``alembic -n SERVICE upgrade TARGET`` runs it (env.py included), under the service's
migration lock, taken on its own connection and released on every path (the death of
the process included: the lock dies with its connection or file descriptor).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import traceback
from collections.abc import Iterator
from types import ModuleType
from typing import Any

# MONOMIG_LOCK_HELD: the lock's name while this process holds the service's migration
# lock; MONOMIG_LOCK_TARGET: JSON naming the database and version table locked (see
# monomig._target); MONOMIG_LOCK_TIMEOUT: how long a migration inside the command waits
# for a lock (the runner's --lock-timeout).
from monomig._lock import LOCK_HELD_ENV, LOCK_TARGET_ENV, LOCK_TIMEOUT_ENV

_events = None
_running: str | None = None
_after_error: list[str] = []  # warnings printed after the failure's traceback (so they end the output)
_instrumented = False


def _emit(event: str, **data: Any) -> None:
    if _events is None:
        return
    data["event"] = event
    _events.write(json.dumps(data) + "\n")
    _events.flush()


def _step_label(step: Any) -> str | None:
    for attr in ("revision", "to_revisions", "from_revisions"):
        value = getattr(step, attr, None)
        if value is None:
            continue
        if hasattr(value, "revision"):
            return str(value.revision)
        if isinstance(value, (tuple, list)):
            return ", ".join(str(v) for v in value) or None
        return str(value)
    return None


def _instrument() -> None:
    """Report each revision as it starts and as the version table records it."""
    global _instrumented
    _instrumented = True
    from alembic.runtime import migration

    original_init = migration.RevisionStep.__init__

    def init(self: Any, *args: Any, **kw: Any) -> None:
        original_init(self, *args, **kw)
        fn = self.migration_fn
        revision = self.revision.revision
        direction = "upgrade" if self.is_upgrade else "downgrade"
        doc = getattr(self.revision, "doc", None)  # the docstring's first line, as Alembic logs it

        def run(*a: Any, **k: Any) -> Any:
            global _running
            _running = revision
            _emit("running", revision=revision, direction=direction, message=doc)
            return fn(*a, **k)

        run.__name__ = getattr(fn, "__name__", direction)
        self.migration_fn = run

    migration.RevisionStep.__init__ = init  # type: ignore[method-assign]

    original_update = migration.HeadMaintainer.update_to_step

    def update_to_step(self: Any, step: Any) -> None:
        global _running
        original_update(self, step)
        label = _step_label(step)
        if label is not None:
            _emit("applied", revision=label)
        _running = None

    migration.HeadMaintainer.update_to_step = update_to_step  # type: ignore[method-assign]


def _lock_target(spec: dict[str, Any]) -> str:
    """``MONOMIG_LOCK_TARGET``: what this worker resolved and locked, without a password."""
    from monomig import _native

    table = spec.get("version_table")
    schema = spec.get("version_table_schema")
    if not table:  # a runner that sends only the lock name: monomig:[<schema>.]<table>
        table = spec["lock_name"].split(":", 1)[1]
        if "." in table:
            schema, table = table.split(".", 1)
    return json.dumps(
        {
            "database": _native.database_identity(spec["url"], spec.get("base_dir")),
            "display": _native.mask_password(spec["url"]),
            "version_table": table,
            "version_table_schema": schema or None,
            "service": spec["service"],
        }
    )


def _run(spec: dict[str, Any]) -> int:
    global _running
    from monomig._native import LockError, mask_password

    timeout = float(spec.get("lock_timeout", 60))
    # A migration inside the command that is not this worker's (an env.py that migrates
    # another database) waits as long as this worker would.
    os.environ[LOCK_TIMEOUT_ENV] = repr(timeout)
    lock = None
    if spec.get("url") and not spec.get("sql"):
        from monomig._lock import lock_holder, take_lock

        def on_wait(holder: str) -> None:
            _emit("waiting", holder=mask_password(holder), timeout=timeout)

        try:
            lock = take_lock(
                spec["url"],
                spec["lock_name"],
                service=spec["service"],
                timeout=timeout,
                base_dir=spec.get("base_dir"),
                on_wait=on_wait,
            )
        except LockError as e:
            if lock_holder(str(e)) is not None:
                e.monomig_code = "lock_timeout"  # type: ignore[attr-defined]
            raise
        _emit("locked")
        # Code running inside this command (env.py, monomig's bridge) must not take the
        # same lock again on another connection: it would wait for itself. The bridge
        # compares the target env.py really migrates with this one.
        os.environ[LOCK_HELD_ENV] = spec["lock_name"]
        os.environ[LOCK_TARGET_ENV] = _lock_target(spec)
    error: BaseException | None = None
    if spec.get("tenant"):
        os.environ["MONOMIG_TARGET"] = spec["tenant"]  # monomig.current_target() in env.py
    try:
        bridge: ModuleType | None
        try:
            import monomig.bridge as bridge
        except ImportError:
            bridge = None
        if bridge is not None and hasattr(bridge, "activate"):
            bridge.activate()
            from monomig import _target

            _target.event_sink = _emit
        from alembic import command
        from alembic.config import Config

        if not _instrumented:
            _instrument()
        opts = argparse.Namespace(
            x=spec.get("x"), name=spec["service"], config=None, raiseerr=True, sql=spec.get("sql"), tag=spec.get("tag")
        )
        from monomig._alembic_support import at_least

        # Alembic reads [tool.alembic] from 1.16 on; before, Config has no toml_file.
        toml: dict[str, Any] = {"toml_file": spec.get("toml")} if at_least(1, 16) else {}
        cfg = Config(file_=spec["ini"], ini_section=spec["service"], cmd_opts=opts, **toml)
        name = spec["command"]
        target = spec["target"]
        if name == "upgrade":
            command.upgrade(cfg, target, sql=bool(spec.get("sql")), tag=spec.get("tag"))
        elif name == "downgrade":
            command.downgrade(cfg, target, sql=bool(spec.get("sql")), tag=spec.get("tag"))
        else:
            command.stamp(cfg, target, sql=bool(spec.get("sql")), tag=spec.get("tag"), purge=bool(spec.get("purge")))
    except BaseException as e:
        error = e
        raise
    finally:
        os.environ.pop(LOCK_HELD_ENV, None)
        os.environ.pop(LOCK_TARGET_ENV, None)
        os.environ.pop("MONOMIG_TARGET", None)
        if lock is not None:
            try:
                lock.release()
            except Exception as release_error:
                # The server went away (its lock went with it): the migration's own
                # error says what happened and is the one to report.
                if error is None:
                    raise
                _after_error.append(f"monomig: warning: {release_error}")
    return 0


@contextlib.contextmanager
def _sql_output(spec: dict[str, Any]) -> Iterator[None]:
    """With ``--sql``: the service's SQL goes to ``sql_out`` (a file) when given, else to
    stdout, preceded by the ``sql_header`` comment that names the service."""
    out = spec.get("sql_out")
    header = spec.get("sql_header")
    saved = None
    sys.stdout.flush()
    if out:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        saved = os.dup(1)
        os.dup2(fd, 1)
        os.close(fd)
    try:
        if header:
            sys.stdout.write(header + "\n")
            sys.stdout.flush()
        yield
    finally:
        sys.stdout.flush()
        if saved is not None:
            os.dup2(saved, 1)
            os.close(saved)


#: The worker's exit status after SIGINT (the parent forwards it on Ctrl-C or SIGTERM).
INTERRUPTED = 130


def _one(spec: dict[str, Any]) -> int:
    global _running
    _running = None
    _after_error.clear()
    try:
        if spec.get("sql"):
            with _sql_output(spec):
                return _run(spec)
        return _run(spec)
    except KeyboardInterrupt:
        # Alembic has unwound (env.py's transaction rolled back where the database can) and
        # the lock is released: report it and stop quietly.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _emit("failed", message="interrupted (SIGINT)", revision=_running, code="interrupted")
        return INTERRUPTED
    except BaseException as e:  # noqa: BLE001 - every failure becomes one event and status 1
        if isinstance(e, SystemExit) and not e.code:
            return 0
        message = str(e) or type(e).__name__
        trace = None
        if not isinstance(e, SystemExit):
            try:
                from monomig import MonomigError

                known = isinstance(e, MonomigError)
            except ImportError:
                known = False
            code = getattr(e, "monomig_code", None)
            if not known and code is None and type(e).__module__ not in ("alembic.util.exc",):
                # the traceback's last line (`RuntimeError: boom`); the whole traceback travels
                # with the event, for `--verbose`
                message = last_line(e)
                trace = traceback.format_exc()
        for warning in _after_error:
            print(warning, file=sys.stderr)
        _emit("failed", message=message, revision=_running, code=getattr(e, "monomig_code", None), traceback=trace)
        return 1


def last_line(e: BaseException) -> str:
    """The last line of ``e``'s traceback, as Python prints it (``ValueError: boom``), cut at
    the first line break of the message (SQLAlchemy appends the SQL and a link on lines of
    their own)."""
    text = "".join(traceback.format_exception_only(type(e), e)).strip()
    return text.splitlines()[0] if text else type(e).__name__


def main() -> int:
    """Run one job per line of stdin until stdin closes."""
    global _events
    # The parent forwards SIGINT to stop a service: make it raise KeyboardInterrupt even
    # when this process inherited SIGINT ignored (a run started in the background).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    fd = os.environ.get("MONOMIG_EVENT_FD")
    if fd:
        _events = os.fdopen(int(fd), "w", buffering=1)
    try:
        for line in sys.stdin:
            if not line.strip():
                continue
            rc = _one(json.loads(line))
            sys.stdout.flush()
            sys.stderr.flush()
            _emit("finished", rc=rc)
            if rc == INTERRUPTED:
                return rc  # start nothing more
    except KeyboardInterrupt:  # between two services
        return INTERRUPTED
    return 0


if __name__ == "__main__":
    sys.exit(main())
