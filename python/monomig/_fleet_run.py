"""The scheduler behind ``monomig upgrade|downgrade|stamp --all``.

:class:`RunOptions` is built once from the parsed command line; :class:`FleetRun` does
the work in four steps:

1. **read** (not with ``--sql``): every service's database state through the Rust status
   read (``fleet.fleet_status``) and its revision graph through the Rust core
   (``_native.scan_revisions`` + ``RevisionGraph``), without importing revision modules
   or Alembic; from both, each service's plan: the steps Alembic would run, in order.
2. **plan** (``--plan``): print those plans and stop. Otherwise services Alembic would
   refuse (several heads for ``head``) fail here, untouched, and a downgrade to base or
   past a branch point asks for confirmation (``--yes`` without a terminal).
3. **run**: Alembic's own command for each service in worker processes
   (``monomig._worker``), services on one database one after another, each under the
   database's migration lock; SIGINT/SIGTERM stop it cleanly (see :meth:`FleetRun._signal`).
4. **summary**: what happened, from the workers' events (``target``/``after``: the table
   really migrated) and a second status read.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, cast

import monomig
from monomig import _native
from monomig._values import mask
from monomig.fleet import (
    ALLOW_MULTIPLE_HEADS,
    PROG,
    STATE_LABELS,
    UsageError,
    fleet_status,
    load_project,
    select_services,
    service_spec,
    short,
    table,
    warn_project,
)

if TYPE_CHECKING:
    import argparse

#: Seconds a worker is given to unwind after the forwarded SIGINT before SIGTERM, then SIGKILL.
INTERRUPT_GRACE = 10.0
KILL_GRACE = 5.0

#: The start of Alembic's refusal of ``head`` when a service has several heads
#: (``ScriptDirectory._catch_revision_errors`` in alembic/script/base.py).
MULTIPLE_HEADS_TEXT = "Multiple head revisions are present"

EXIT_SIGNAL: dict[int, int] = {signal.SIGINT: 130, signal.SIGTERM: 143}

# Codes of the summary items (``code``): see the README's fleet section.
CODE_MULTIPLE_HEADS = "multiple_heads"
CODE_INTERRUPTED = "interrupted"
CODE_TARGETS = "targets"  # a service's monomig.targets could not be resolved


@dataclass(frozen=True)
class RunOptions:
    """Everything ``--all`` was asked, read once from the command line."""

    command: str  # upgrade, downgrade or stamp
    target: str | tuple[str, ...] | None  # None: upgrade's default (head, or heads where allowed)
    services: tuple[str, ...] = ()
    jobs: int = 1
    fail_fast: bool = False
    lock_timeout: float = 60.0
    as_json: bool = False
    verbose: bool = False
    sql: bool = False
    sql_dir: str | None = None
    plan: bool = False
    yes: bool = False
    tag: str | None = None
    purge: bool = False
    x: tuple[str, ...] = ()
    config: tuple[str, ...] = ()
    toml_file: str | None = None
    args: Any = None  # the parsed command line (tenant selection, shard, rollout: monomig._fanout)
    verify: bool = False  # upgrade --verify: refuse a service whose `monomig verify` fails
    no_import: bool = False  # --no-import: read revision files without importing any

    @classmethod
    def from_args(cls, command: str, args: argparse.Namespace) -> RunOptions:
        """The options of ``monomig COMMAND --all ...`` (argparse's namespace)."""
        a = vars(args)
        target: str | tuple[str, ...] | None = a.get("revision")
        revisions = a.get("revisions")
        if target is None and revisions:  # stamp takes one or more revisions
            target = revisions[0] if len(revisions) == 1 else tuple(revisions)
        if not target:
            if command != "upgrade":
                raise UsageError(
                    f"`{PROG} {command} --all` needs a target revision (e.g. `{PROG} {command} --all base`)"
                )
            target = None
        jobs = a.get("jobs") or os.cpu_count() or 1
        if jobs < 1:
            raise UsageError("--jobs must be at least 1")
        sql_dir = a.get("sql_dir")
        sql = bool(a.get("sql")) or sql_dir is not None
        plan = bool(a.get("plan"))
        if plan and sql:
            raise UsageError(
                "--plan reads the databases and prints what would run; --sql prints the SQL instead: use one of them"
            )
        if sql_dir is not None and os.path.exists(sql_dir) and not os.path.isdir(sql_dir):
            raise UsageError(
                f"--sql-dir {sql_dir!r} exists and is not a directory: name a directory for the .sql files"
            )
        lock_timeout = a.get("lock_timeout")
        return cls(
            command=command,
            target=target,
            services=tuple(a.get("services") or ()),
            jobs=jobs,
            fail_fast=bool(a.get("fail_fast")),
            lock_timeout=float(lock_timeout if lock_timeout is not None else 60.0),
            as_json=bool(a.get("json")),
            verbose=bool(a.get("verbose")),
            sql=sql,
            sql_dir=sql_dir,
            plan=plan,
            yes=bool(a.get("yes")),
            tag=a.get("tag"),
            purge=bool(a.get("purge")),
            x=tuple(a.get("x") or ()),
            no_import=bool(a.get("no_import")),
            config=tuple(a.get("config") or ()),
            toml_file=a.get("toml_file"),
            args=args,
            verify=bool(a.get("verify")),
        )


def target_label(target: str | tuple[str, ...] | list[str]) -> str:
    return target if isinstance(target, str) else " ".join(target)


# --------------------------------------------------------------------------- jobs


@dataclass
class Job:
    """One service of the run: its plan, then what its worker reported."""

    service: str
    spec: _native.ServiceSpec
    target: str | tuple[str, ...]
    svc: Any = None  # the monomig.Service
    before: dict[str, Any] | None = None  # the status read before the run
    steps: list[dict[str, Any]] | None = None  # the plan, when the revision files allow one
    plan_error: str | None = None
    confirm: str | None = None  # why a downgrade asks for confirmation
    result: str = "pending"  # pending running done failed skipped up_to_date interrupted not_started
    code: str | None = None
    message: str | None = None
    revision: str | None = None  # the revision that failed or was interrupted
    running: str | None = None
    applied: int = 0
    started: float = 0.0
    elapsed: float = 0.0
    output: list[str] = field(default_factory=list)
    key: str = ""
    worker_pid: int | None = None
    target_event: dict[str, Any] | None = None  # the worker's "target" event: the table really migrated
    after_heads: list[str] | None = None  # the worker's "after" event
    interrupt_sent: bool = False
    traceback: str | None = None  # the worker's whole traceback of a failure (shown with --verbose)
    section: str = ""  # the ini section (the service); ``service`` is ``service/tenant`` for a tenant
    tenant: Any = None  # the monomig.tenants.Target, for a tenant
    canary: bool = False

    @property
    def pid(self) -> str:
        return str(self.worker_pid) if self.worker_pid else "?"


class Worker:
    """A worker process (``monomig._worker``) running one service's command after another.

    It runs in a process group of its own, so that a Ctrl-C on the terminal reaches only
    the parent, which forwards one SIGINT to each busy worker (:meth:`interrupt`)."""

    def __init__(self, events: queue.Queue[tuple[Worker, dict[str, Any]]], capture: bool) -> None:
        r, w = os.pipe()
        env = dict(os.environ)
        env["MONOMIG_EVENT_FD"] = str(w)
        self.job: Job | None = None
        self.alive = True
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "monomig._worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE if capture else None,
            stderr=subprocess.STDOUT if capture else None,
            pass_fds=(w,),
            env=env,
            start_new_session=True,
        )
        os.close(w)
        self._events = events
        self._threads = [
            threading.Thread(target=self._read_events, args=(r,), daemon=True),
            threading.Thread(target=self._read_output, daemon=True),
        ]
        for t in self._threads:
            t.start()

    def send(self, payload: dict[str, Any]) -> None:
        assert self.job is not None and self.proc.stdin is not None
        self.job.worker_pid = self.proc.pid
        try:
            self.proc.stdin.write(json.dumps(payload).encode() + b"\n")
            self.proc.stdin.flush()
        except OSError:
            pass  # the worker is gone; its exit event reports the job

    def _read_events(self, fd: int) -> None:
        with os.fdopen(fd, "r") as f:
            for line in f:
                try:
                    self._events.put((self, json.loads(line)))
                except ValueError:
                    pass
        rc = self.proc.wait()
        self._threads[1].join()
        self._events.put((self, {"event": "exit", "rc": rc}))

    def _read_output(self) -> None:
        if self.proc.stdout is None:
            return
        for raw in self.proc.stdout:
            job = self.job
            if job is not None:
                job.output.append(raw.decode(errors="replace").rstrip("\n"))
                del job.output[:-200]

    def signal(self, sig: int) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(sig)
            except OSError:
                pass

    def close(self, timeout: float = 30) -> None:
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=KILL_GRACE)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def lock_name(spec: _native.ServiceSpec) -> str:
    name = spec["version_table"]
    if spec.get("version_table_schema"):
        name = f"{spec['version_table_schema']}.{name}"
    return f"monomig:{name}"


def dialect_of(url: str | None) -> str | None:
    if not url or ":" not in url:
        return None
    return url.split(":", 1)[0].split("+", 1)[0].lower() or None


_NON_TRANSACTIONAL_DDL = {
    "mysql": "MySQL/MariaDB commit each DDL statement at once",
    "mariadb": "MySQL/MariaDB commit each DDL statement at once",
    "sqlite": "SQLite's default Python driver (pysqlite) commits DDL at once",
}


def partial_ddl_warning(url: str | None, revision: str | None, command: str) -> str | None:
    """For databases whose DDL is not transactional: what a stopped revision may have left."""
    if not revision:
        return None
    why = _NON_TRANSACTIONAL_DDL.get(dialect_of(url) or "")
    if why is None:
        return None
    return (
        f"Warning: {why}, so the DDL of revision {revision} may be partly applied although the version "
        f"table does not record it: compare the database with revision {revision}'s {command}(), undo "
        "(or complete) its statements that did run, then run the command again."
    )


# --------------------------------------------------------------------------- plans


def _first_line(doc: str | None) -> str:
    text = (doc or "").strip()
    return text.splitlines()[0] if text else ""


def _about(job: Job, text: str) -> str:
    """``text`` prefixed with the service it is about, unless it already names it (the
    import refusal of ``_importing.refusal`` does)."""
    if any(text.startswith(f"service '{name}': ") for name in (job.service, getattr(job.svc, "name", job.service))):
        return text
    return f"service {job.service!r}: {text}"


class _Revisions:
    """A service's revision files, read without importing them, and their graph."""

    def __init__(self, svc: monomig.Service, no_import: bool = False) -> None:
        from monomig import _importing
        from monomig.setorder import python_set_order

        entries, _ = _native.scan_revisions(
            list(svc.version_locations),
            recursive=svc.recursive_version_locations,
            sourceless=svc.sourceless,
            search_path=_importing.search_path(svc),
        )
        unread = [e for e in entries if e.needs_import]
        if unread and not _importing.import_allowed(svc, no_import):
            raise monomig.MonomigError(_importing.refusal(svc, unread))
        module_docs: dict[str, str | None] = {}
        imported = iter(_importing.import_values(svc, [e.path for e in unread], module_docs))
        rows: list[Any] = [next(imported) if e.needs_import else e for e in entries]
        self.graph = monomig.RevisionGraph(rows, set_order=python_set_order())
        self.docs = {e.revision: _first_line(e.doc) for e in entries if not e.needs_import}
        # Alembic's Script.doc: the docstring's first paragraph, whose first line the plan shows.
        self.docs.update({rev: _first_line(doc) for rev, doc in module_docs.items()})

    def steps(self, command: str, target: str | tuple[str, ...], current: list[str], purge: bool) -> list[Any]:
        heads = tuple(current)
        if command == "upgrade":
            return self.graph.upgrade_plan(target, heads)
        if command == "downgrade":
            return self.graph.downgrade_plan(target, heads)
        return self.graph.stamp_plan(target, () if purge else heads)

    def describe(self, step: Any) -> dict[str, Any]:
        if step.is_stamp:
            to = list(step.to_revisions)
            return {
                "revision": ", ".join(to) or "base",
                "direction": "stamp",
                "message": self.docs.get(to[0], "") if len(to) == 1 else "",
            }
        return {
            "revision": step.revision,
            "direction": "upgrade" if step.is_upgrade else "downgrade",
            "message": self.docs.get(step.revision, ""),
        }


# --------------------------------------------------------------------------- the run


class FleetRun:
    """One ``monomig COMMAND --all`` run (see the module docstring)."""

    def __init__(self, options: RunOptions) -> None:
        self.options = options
        self.command = options.command
        self.as_json = options.as_json
        # With --sql the SQL script owns stdout (unless it goes to --sql-dir): all else is stderr.
        sql_on_stdout = options.sql and options.sql_dir is None
        self.progress: IO[str] = sys.stderr if (options.as_json or options.sql) else sys.stdout
        self.report: IO[str] = sys.stderr if sql_on_stdout else sys.stdout
        self.jobs: list[Job] = []
        self.ini = ""
        self.toml: str | None = None
        self.failed = False
        self.interrupted: int | None = None  # the signal that stopped the run
        self._hurry = False
        self.running: dict[str, Job] = {}  # group key -> its running job
        self.waiting: dict[str, list[Job]] = {}
        self.workers: list[Worker] = []
        self.events: queue.Queue[tuple[Worker, dict[str, Any]]] = queue.Queue()
        from monomig._fanout import Rollout

        self.rollout = Rollout.from_args(vars(options.args) if options.args is not None else {})
        self.quiet = False  # many targets: counts and a progress bar instead of a line per step
        self.progress_bar: Any = None
        self._revisions: dict[str, _Revisions] = {}

    # ------------------------------------------------------------ 1. read

    def say(self, job: Job | None, text: str) -> None:
        if self.quiet and job is not None and not text.startswith(("FAILED", "INTERRUPTED", "warning")):
            return
        prefix = f"[{job.service}] " if job is not None else f"{PROG}: "
        self.progress.write(f"{prefix}{text}\n")
        self.progress.flush()

    def load(self) -> None:
        o = self.options
        project = load_project(list(o.config), o.toml_file)
        self.ini, self.toml = project_paths(list(o.config), o.toml_file)
        warn_project(project)
        from monomig import _fanout

        rows = _fanout.entries(project, list(o.services) or None, o.args, select_services, service_spec)
        for row in rows:
            spec = row.spec
            target: str | tuple[str, ...]
            if o.target is not None:
                target = o.target
            else:
                target = "heads" if spec["allow_multiple_heads"] else "head"
            job = Job(
                row.label,
                cast("_native.ServiceSpec", spec),
                target,
                svc=project.services[row.section],
                section=row.section,
                tenant=row.target,
            )
            if row.error is not None:
                job.result = "failed"
                job.code = CODE_TARGETS
                job.message = row.error
            self.jobs.append(job)
        if len(self.jobs) > _fanout.MANY and _fanout.has_tenants(rows):
            self.quiet = True
        if not o.sql:
            self._read_before()

    def _read_before(self) -> None:
        o = self.options
        status_target = None
        if self.command == "upgrade":
            status_target = "heads" if o.target is None else target_label(o.target)
        answers = fleet_status(
            [j.spec for j in self.jobs],
            target=status_target,
            max_connections=self._read_connections(),
            services=[j.svc for j in self.jobs],
            no_import=o.no_import,
        )
        by_service = {s["service"]: s for s in answers}
        for job in self.jobs:
            job.before = by_service.get(job.service)
            self._plan(job)

    def _plan(self, job: Job) -> None:
        """The steps Alembic would run for this service, or why there is no plan (Alembic's
        own refusals included)."""
        before = job.before or {}
        state = before.get("state")
        try:
            revisions = self._revisions.get(job.section) or _Revisions(job.svc, self.options.no_import)
            self._revisions[job.section or job.service] = revisions
        except monomig.MonomigError as e:
            job.plan_error = _about(job, mask(str(e)))
            return
        current = list(before.get("current") or [])
        if self.command == "upgrade" and job.target == "head" and len(revisions.graph.heads) > 1:
            try:
                revisions.graph.upgrade_plan("head", tuple(current))
                text = None
            except monomig.MonomigError as e:
                text = str(e)
            if text is not None:
                hint = (
                    f". Nothing was run for service {job.service!r}: give it one head (`{PROG} -n {job.service} merge "
                    f"heads`), name a target, or set `{ALLOW_MULTIPLE_HEADS} = true` in its [{job.service}] section "
                    "to upgrade every head."
                    if self.options.target is None
                    else f". Nothing was run for service {job.service!r}."
                )
                job.result = "failed"
                job.code = CODE_MULTIPLE_HEADS
                job.plan_error = text
                job.message = f"service {job.service!r}: {self.command} failed: {text}{hint}"
                return
        if state in ("unreachable", "error", "ahead") or job.before is None:
            job.plan_error = mask(before.get("error") or "the database state could not be read")
            return
        if not self.options.plan and self.command != "downgrade":
            return  # the run needs no steps: Alembic computes its own
        try:
            steps = revisions.steps(self.command, job.target, current, self.options.purge)
        except monomig.MonomigError as e:
            job.plan_error = _about(job, mask(str(e)))
            return
        job.steps = [revisions.describe(s) for s in steps]
        if self.command == "downgrade" and steps:
            _, heads_after = revisions.graph.apply_steps(current, steps)
            if not heads_after:
                job.confirm = "to base"
            else:
                points = [s.revision for s in steps if s.is_branch_point]
                if points:
                    job.confirm = f"past the branch point {', '.join(points)}"

    # ------------------------------------------------------------ 2. plan

    def plan_report(self) -> int:
        items: list[dict[str, Any]] = []
        for job in self.jobs:
            before = job.before or {}
            state = before.get("state") or "error"
            error = job.plan_error
            if job.code == CODE_MULTIPLE_HEADS:
                state = "refused"
            items.append(
                {
                    "service": job.service,
                    "state": state,
                    "current": before.get("current") if state != "unreachable" else None,
                    "target": job.target if isinstance(job.target, str) else list(job.target),
                    "steps": job.steps if job.steps is not None else [],
                    "error": error,
                    "code": job.code,
                }
            )
        if self.as_json:
            sys.stdout.write(json.dumps(items, indent=2) + "\n")
        else:
            for item, job in zip(items, self.jobs, strict=True):
                print(self._plan_line(item, job))
                for s in item["steps"]:
                    message = f"  {s['message']}" if s["message"] else ""
                    print(f"    {s['direction']} {s['revision']}{message}")
        sys.stdout.flush()
        return 1 if any(i["error"] for i in items) else 0

    def _plan_line(self, item: dict[str, Any], job: Job) -> str:
        head = f"{job.service}: {self.command} to {target_label(job.target)}"
        state = item["state"]
        if state == "refused":
            return f"{head}: refused ({item['code']}): {item['error']}"
        if state in ("unreachable", "error", "ahead") or item["error"]:
            label = STATE_LABELS.get(state, state)
            return f"{head}: {label}: {item['error']}"
        at = short(item["current"] or [])
        if state == "migrating":
            # Another run holds the service's lock: the plan is from the table as read now.
            holder = mask((job.before or {}).get("holder") or "another process")
            head = f"{head} (a migration is running now: {holder}; planned from the table as read)"
        if not item["steps"]:
            return f"{head}: nothing to do (at {at if item['current'] else 'base'})"
        n = len(item["steps"])
        where = "from base (not initialized)" if not item["current"] else f"from {at}"
        return f"{head}: {n} step{'s' if n != 1 else ''} {where}"

    def confirm_downgrade(self) -> int | None:
        """A downgrade to base or past a branch point asks first: None to go on, else the exit
        status. ``--yes`` answers for a run without a terminal."""
        risky = [j for j in self.jobs if j.confirm and j.result == "pending"]
        if not risky or self.options.yes:
            return None
        what = "; ".join(f"{j.service} {j.confirm} ({len(j.steps or [])} steps)" for j in risky)
        if not sys.stdin.isatty():
            raise UsageError(
                f"`{PROG} downgrade --all {target_label(self.options.target or '')}` would downgrade {what}. "
                "That asks for confirmation, and there is no terminal to ask on: pass --yes to go ahead "
                "(see the steps first with --plan)."
            )
        sys.stderr.write(f"{PROG}: this downgrade goes {what}.\nDowngrade? [y/N] ")
        sys.stderr.flush()
        answer = sys.stdin.readline().strip().lower()
        if answer in ("y", "yes"):
            return None
        sys.stderr.write(f"{PROG}: nothing was downgraded.\n")
        return 1

    # ------------------------------------------------------------ 3. run

    def execute(self) -> int:
        try:
            self.load()
            if self.options.plan:
                return self.plan_report()
            if self.command == "downgrade" and not self.options.sql:
                status = self.confirm_downgrade()
                if status is not None:
                    return status
        except KeyboardInterrupt:
            sys.stderr.write(f"\n{PROG}: interrupted before any service started: nothing was changed.\n")
            return EXIT_SIGNAL[signal.SIGINT]
        if self.options.sql_dir is not None:
            os.makedirs(self.options.sql_dir, exist_ok=True)
        for job in self.jobs:
            if job.code in (CODE_MULTIPLE_HEADS, CODE_TARGETS):
                self.failed = True
                self.say(job, f"FAILED: {mask(job.message or '')}")
        if self.options.verify and not self.options.sql:
            from monomig import _drift

            _drift.refuse_drifted(self)
        self._group()
        if self.quiet:
            from monomig._fanout import Progress

            queued = sum(len(v) for v in self.waiting.values())
            at_target = sum(1 for j in self.jobs if j.result == "up_to_date")
            self.say(None, f"{len(self.jobs)} targets: {at_target} already at the target, {queued} to {self.command}")
            self.progress_bar = Progress(queued, self.progress, self.command)
        old = self._install_signals()
        try:
            self._loop()
        finally:
            for w in self.workers:
                w.close(timeout=KILL_GRACE if self.interrupted else 30)
            self._restore_signals(old)
        return self.summary()

    def _read_connections(self) -> int:
        """The connection budget of the status reads before and after the run."""
        from monomig.fleet import MAX_CONNECTIONS

        asked = getattr(self.options.args, "max_connections", None)
        return max(1, min(MAX_CONNECTIONS, asked)) if asked else MAX_CONNECTIONS

    def _group(self) -> None:
        # Services on one database run one after another; a service without a readable URL
        # is a group of its own (its env.py decides where it goes).
        for job in self.jobs:
            if job.result != "pending":
                continue
            b = job.before
            if self.command == "upgrade" and b and b["state"] == "up_to_date" and b["pending"] == 0:
                job.result = "up_to_date"
                self.say(job, f"already at {target_label(job.target)}: {short(b['current'])}")
                continue
            key = (b or {}).get("database_key") or f"service:{job.service}"
            if job.tenant is not None and job.tenant.schema is not None:
                key = f"{key}/{job.tenant.schema}"  # tenant schemas: a lock each, run side by side
            if self.options.sql:
                key = "sql"  # offline SQL goes to one stream: one service at a time
            self.waiting.setdefault(key, []).append(job)

    def _payload(self, job: Job) -> dict[str, Any]:
        o = self.options
        spec = job.spec
        payload: dict[str, Any] = {
            "command": self.command,
            "service": job.section or job.service,
            "ini": self.ini,
            "toml": self.toml,
            "target": job.target if isinstance(job.target, str) else list(job.target),
            "sql": o.sql,
            "tag": o.tag,
            "purge": o.purge,
            "x": (list(o.x) + ([f"tenant={job.tenant.name}"] if job.tenant is not None else [])) or None,
            "tenant": job.tenant.as_json() if job.tenant is not None else None,
            "lock_timeout": o.lock_timeout,
            "url": spec["url"],
            "lock_name": lock_name(spec),
            "base_dir": spec["base_dir"],
            "version_table": spec["version_table"],
            "version_table_schema": spec["version_table_schema"],
        }
        if o.sql:
            dialect = dialect_of(spec["url"]) or "dialect unknown"
            payload["sql_header"] = f"-- monomig: service {job.service} ({dialect})"
            if o.sql_dir is not None:
                payload["sql_out"] = os.path.abspath(os.path.join(o.sql_dir, f"{job.service.replace('/', '.')}.sql"))
        return payload

    def _assign(self, worker: Worker, key: str, job: Job) -> None:
        job.started = time.monotonic()
        job.result = "running"
        job.key = key
        job.canary = self.rollout.on_start()
        worker.job = job
        self.running[key] = job
        self.say(job, f"{self.command} to {target_label(job.target)}: started (pid {worker.proc.pid})")
        if not job.spec["url"] and not self.options.sql:
            reason = job.spec.get("url_error") or "no database URL"
            self.say(job, f"warning: running without a migration lock ({reason})")
        worker.send(self._payload(job))

    def _fill(self) -> None:
        for key, jobs in self.waiting.items():
            if self.interrupted is not None or (self.failed and self.options.fail_fast):
                return
            if key in self.running or not jobs:
                continue
            if not self.rollout.may_start(len(self.running)):
                return
            worker = next((w for w in self.workers if w.job is None and w.alive), None)
            if worker is None:
                if len([w for w in self.workers if w.alive]) >= self.options.jobs:
                    return
                worker = Worker(self.events, capture=not self.options.sql)
                self.workers.append(worker)
            self._assign(worker, key, jobs.pop(0))

    def _loop(self) -> None:
        self._fill()
        stop_at: float | None = None  # when the forwarded SIGINT's grace period ends
        kill_at: float | None = None
        while self.running:
            if self.interrupted is not None and stop_at is None:
                stop_at = time.monotonic() + INTERRUPT_GRACE
                self._stop_workers()
            now = time.monotonic()
            if stop_at is not None and kill_at is None and (self._hurry or now >= stop_at):
                kill_at = now + KILL_GRACE
                self.say(None, "workers still running: sending SIGTERM")
                for w in self.workers:
                    if w.job is not None:
                        w.signal(signal.SIGTERM)
            if kill_at is not None and now >= kill_at:
                for w in self.workers:
                    if w.job is not None:
                        w.signal(signal.SIGKILL)
                kill_at = float("inf")
            try:
                worker, ev = self.events.get(timeout=0.1)
            except queue.Empty:
                continue
            self._event(worker, ev)

    def _event(self, worker: Worker, ev: dict[str, Any]) -> None:
        job = worker.job
        kind = ev.get("event")
        if kind == "exit":
            worker.alive = False
            if job is not None:
                worker.job = None
                if ev["rc"] == 0 and job.message is None:
                    job.message = f"the worker process (pid {job.pid}) exited before finishing"
                    job.revision = job.running
                self._finish(job, ev["rc"] or 1)
            self._fill()
            return
        if job is None:
            return
        if kind == "waiting":
            wait = ev.get("timeout")
            up_to = f"; waiting up to {wait:g} s (--lock-timeout)" if isinstance(wait, (int, float)) else ""
            self.say(job, f"waiting for the migration lock: it is held by {mask(str(ev.get('holder', '')))}{up_to}")
        elif kind == "locked":
            self.say(job, "lock taken")
        elif kind == "target":
            job.target_event = ev
            table = ev.get("version_table") or "alembic_version"
            if ev.get("version_table_schema"):
                table = f"{ev['version_table_schema']}.{table}"
            self.say(
                job, f"migrating {mask(str(ev.get('database') or '?'))} ({table}) from {short(ev.get('before') or [])}"
            )
        elif kind == "after":
            job.after_heads = list(ev.get("heads") or [])
        elif kind == "running":
            job.running = ev.get("revision")
            message = ev.get("message")
            about = f" ({message})" if message else ""
            self.say(job, f"running {ev.get('direction', self.command)} {ev.get('revision')}{about}")
        elif kind == "applied":
            job.applied += 1
            job.running = None
            self.say(job, f"done {ev.get('revision')}")
        elif kind == "failed":
            job.message = ev.get("message")
            job.traceback = ev.get("traceback")
            job.revision = ev.get("revision")
            job.code = ev.get("code") or job.code
            if job.code is None and MULTIPLE_HEADS_TEXT in (job.message or ""):
                job.code = CODE_MULTIPLE_HEADS
        elif kind == "finished":
            worker.job = None
            self._finish(job, int(ev.get("rc", 1)))
            self._fill()

    def _finish(self, job: Job, rc: int) -> None:
        self._finish_job(job, rc)
        self.rollout.on_finish(job.result == "failed", job.canary)
        if self.progress_bar is not None:
            self.progress_bar.add(job.result)

    def _finish_job(self, job: Job, rc: int) -> None:
        job.elapsed = time.monotonic() - job.started
        self.running.pop(job.key, None)
        if rc == 0:
            job.result = "done"
            self.say(job, f"finished in {job.elapsed:.1f} s")
            return
        if job.code == CODE_INTERRUPTED or (job.interrupt_sent and job.code is None):
            job.result = "interrupted"
            job.code = CODE_INTERRUPTED
            if job.revision is None:
                job.revision = job.running
            at = f" at revision {job.revision}" if job.revision else ""
            how = "" if rc in (1, 130) else f" (the worker process {self._how(rc)})"
            job.message = mask(f"service {job.service!r}: {self.command} interrupted{at}{how}.")
            self.say(job, f"INTERRUPTED{at}")
            return
        job.result = "failed"
        self.failed = True
        if job.message is None:
            job.message = f"the worker process (pid {job.pid}) {self._how(rc)}"
            job.revision = job.running
        at = f" at revision {job.revision}" if job.revision else ""
        job.message = full_stop(f"service {job.service!r}: {self.command} failed{at}: {job.message}")
        partial = partial_ddl_warning(job.spec.get("url"), job.revision, self.command)
        if partial:
            job.message += f" {partial}"
        elif not job.revision and not job.applied and job.before and job.before.get("state") != "unreachable":
            at_rev = ", ".join(job.before.get("current") or []) or "base"
            job.message += f" No revision was applied: the database is still at {at_rev}."
        job.message = mask(job.message)
        self.say(job, f"FAILED{at}: {job.message}")
        if self.options.verbose:
            # the worker's whole output for this service, then the whole traceback
            shown = [line for line in job.output if line.strip()]
            shown += (job.traceback or "").rstrip("\n").splitlines()
            for line in shown:
                self.progress.write(f"[{job.service}]   | {mask(line)}\n")
            self.progress.flush()
        elif job.traceback:
            self.say(job, "run again with -v/--verbose to see the whole traceback")

    @staticmethod
    def _how(rc: int) -> str:
        return f"was killed by signal {-rc}" if rc < 0 else f"exited with status {rc}"

    # ------------------------------------------------------------ interrupts

    def _install_signals(self) -> dict[int, Any]:
        old: dict[int, Any] = {}
        if threading.current_thread() is not threading.main_thread():
            return old
        for sig in EXIT_SIGNAL:
            old[sig] = signal.signal(sig, self._signal)
        return old

    @staticmethod
    def _restore_signals(old: dict[int, Any]) -> None:
        for sig, handler in old.items():
            signal.signal(sig, handler)

    def _signal(self, signum: int, frame: Any) -> None:
        """SIGINT/SIGTERM: start nothing new and stop the workers (see :meth:`_stop_workers`);
        a second signal skips the grace period."""
        if self.interrupted is None:
            self.interrupted = signum
        else:
            self._hurry = True

    def _stop_workers(self) -> None:
        """Forward SIGINT to every busy worker: Alembic unwinds, env.py's transaction rolls
        back where the database can, and the lock is released (it dies with the worker's
        connection at worst)."""
        name = signal.Signals(self.interrupted or signal.SIGINT).name
        busy = [w for w in self.workers if w.job is not None]
        left = sum(len(v) for v in self.waiting.values())
        self.say(
            None,
            f"interrupted ({name}): stopping {len(busy)} running service{'s' if len(busy) != 1 else ''}, "
            f"not starting {left} more",
        )
        for w in busy:
            assert w.job is not None
            w.job.interrupt_sent = True
            w.signal(signal.SIGINT)

    # ------------------------------------------------------------ 4. summary

    def _interrupted_message(self, job: Job, after_heads: list[str] | None) -> str:
        """What an interrupted service's database holds now, and what may be left over."""
        text = job.message or ""
        if after_heads is not None:
            text += f" Its version table now records {', '.join(after_heads) or 'no revision (base)'}."
        partial = partial_ddl_warning(job.spec.get("url"), job.revision, self.command)
        if partial:
            text += f" {partial}"
        elif job.revision and dialect_of(job.spec.get("url")) == "postgresql":
            text += f" PostgreSQL rolled back the open transaction, revision {job.revision}'s DDL included."
        return text

    def summary(self) -> int:
        if self.progress_bar is not None:
            self.progress_bar.close()
        reason = self.rollout.stop_reason or "not started after an earlier failure (--fail-fast)"
        for jobs in self.waiting.values():
            for job in jobs:
                if self.interrupted is not None:
                    job.result = "not_started"
                    job.code = CODE_INTERRUPTED
                    job.message = f"service {job.service!r}: not started: the run was interrupted"
                else:
                    job.result = "skipped"
                    job.message = reason
        after: dict[str, dict[str, Any]] = {}
        if not self.options.sql:
            after = {
                s["service"]: s
                for s in fleet_status([j.spec for j in self.jobs], max_connections=self._read_connections())
            }
        items: list[dict[str, Any]] = []
        for job in self.jobs:
            read_after = after.get(job.service, {})
            before = (job.target_event or {}).get("before", (job.before or {}).get("current"))
            after_heads = job.after_heads if job.after_heads is not None else read_after.get("current")
            applied = job.applied
            if job.result != "done" and after_heads is not None and sorted(after_heads) == sorted(before or []):
                applied = 0  # e.g. PostgreSQL rolled back the whole run's transaction
            if job.result == "interrupted":
                job.message = mask(self._interrupted_message(job, after_heads))
            items.append(
                {
                    "service": job.service,
                    "result": job.result,
                    "code": job.code,
                    "before": before,
                    "after": after_heads,
                    "state": read_after.get("state"),
                    "applied": applied,
                    "seconds": round(job.elapsed, 3),
                    "error": job.message if job.result != "done" else None,
                    "failed_revision": job.revision if job.result in ("failed", "interrupted") else None,
                }
            )
        out = self.report
        for item, job in zip(items, self.jobs, strict=True):
            if job.tenant is not None:
                item["tenant"] = job.tenant.name
        if self.as_json:
            out.write(json.dumps(items, indent=2) + "\n")
        elif self.quiet:
            from monomig._fanout import run_summary_lines

            out.write("\n" + "\n".join(run_summary_lines(items)) + "\n")
        else:
            rows = [("SERVICE", "RESULT", "BEFORE", "AFTER", "STEPS", "TIME")]
            for s in items:
                rows.append(
                    (
                        s["service"],
                        s["result"].replace("_", " "),
                        "-" if s["before"] is None else short(s["before"]),
                        "-" if s["after"] is None else short(s["after"]),
                        str(s["applied"]),
                        f"{s['seconds']:.1f}s",
                    )
                )
            out.write("\n" + "\n".join(table(rows)) + "\n")
            notes = [s["error"] for s in items if s["result"] == "interrupted"]
            stopped = [s["service"] for s in items if s["result"] == "not_started"]
            if stopped:
                notes.append(f"not started: {', '.join(stopped)}")
            if self.interrupted is not None:
                done = [s["service"] for s in items if s["result"] == "done"]
                notes.insert(
                    0, f"interrupted by {signal.Signals(self.interrupted).name}; done: {', '.join(done) or 'none'}"
                )
                out.write("\n" + "\n".join(n for n in notes if n) + "\n")
        out.flush()
        sys.stdout.flush()
        if self.interrupted is not None:
            return EXIT_SIGNAL.get(self.interrupted, 130)
        bad = ("failed", "skipped", "interrupted", "not_started")
        return 1 if any(j.result in bad for j in self.jobs) else 0


def full_stop(text: str) -> str:
    """``text`` ending as a sentence does, so that the next sentence can follow it (Alembic's
    and the drivers' messages often end without a full stop: ``Ambiguous walk``)."""
    text = text.rstrip()
    return text if not text or text[-1] in ".!?" else f"{text}."


def project_paths(configs: list[str], toml_file: str | None) -> tuple[str, str | None]:
    ini, toml = _native.config_paths(configs, os.environ.get("ALEMBIC_CONFIG"))
    return ini, (toml_file or toml)


def run(command: str, args: argparse.Namespace) -> int:
    """``monomig COMMAND --all``."""
    return FleetRun(RunOptions.from_args(command, args)).execute()


__all__ = ["FleetRun", "Job", "RunOptions", "Worker", "partial_ddl_warning", "run"]
