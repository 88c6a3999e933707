"""The whole monorepo at once: ``monomig status``, ``monomig check`` and
``monomig upgrade|downgrade|stamp --all``.

The CLI dispatches here through a small contract:

- :func:`add_status_arguments` / :func:`run_status` for ``monomig status``;
- :func:`add_check_arguments` / :func:`run_check` for ``monomig check``;
- :func:`add_all_arguments` adds ``--all``, ``-n/--name``, ``--jobs``, ``--fail-fast``,
  ``--lock-timeout`` and ``--json`` to the upgrade/downgrade/stamp subparsers, and
  :func:`run_all` runs when ``args.all`` is true.

Global options arrive on ``args`` as ``config`` (list of ``-c`` values or None),
``toml_file`` (may be absent), ``x`` (list or None) and ``raiseerr``.

``status`` and ``check`` do their work in Rust (``monomig._native.fleet_status`` /
``fleet_check``) and never import Alembic or SQLAlchemy. ``--all`` runs Alembic's own
command for each service in a worker process (``monomig._worker``) under the service's
migration lock.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import subprocess
import sys
import threading
import time
from typing import Any

import monomig
from monomig import _native
from monomig.urls import env_var_name, resolve_url

PROG = "monomig"
ALLOW_MULTIPLE_HEADS = "monomig.allow_multiple_heads"

STATE_LABELS = {
    "up_to_date": "up to date",
    "behind": "behind",
    "ahead": "ahead/unknown revision",
    "not_initialized": "not initialised",
    "unreachable": "unreachable",
    "error": "error",
}

CHECK_CODES = (
    "multiple_heads",
    "missing_parent",
    "cycle",
    "duplicate_revision",
    "duplicate_branch_label",
    "cross_service_parent",
    "shared_version_table",
    "missing_version_location",
    "not_a_service",
    "unreadable_revision",
)


class UsageError(Exception):
    """Bad command-line input: printed as one paragraph, exit status 2."""


# --------------------------------------------------------------------------- project


def _mask(text: str) -> str:
    return _native.mask_password(text)


def _load_project(args: argparse.Namespace) -> monomig.Project:
    ini, toml = _native.config_paths(list(getattr(args, "config", None) or []), os.environ.get("ALEMBIC_CONFIG"))
    if getattr(args, "toml_file", None):
        toml = args.toml_file
    return monomig.load_project(ini, toml)


def _select(project: monomig.Project, names: list[str] | None) -> list[monomig.Service]:
    services = project.services
    if not names:
        return list(services.values())
    chosen = []
    for name in names:
        if name not in services:
            known = ", ".join(services) or "none"
            raise UsageError(
                f"no service named {name!r} in {project.config_file} (its services: {known}); "
                "pass the name of one of its sections with -n"
            )
        if services[name] not in chosen:
            chosen.append(services[name])
    return chosen


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("true", "yes", "on", "1")


def _fallback_url(project: monomig.Project) -> str | None:
    if "alembic" not in project.sections:
        return None
    try:
        return project.section("alembic").sqlalchemy_url
    except monomig.MonomigError:
        return None


def _spec(project: monomig.Project, svc: monomig.Service, with_url: bool = True) -> dict[str, Any]:
    cwd = os.getcwd()
    url = url_error = None
    if with_url:
        try:
            found = resolve_url(
                svc.name,
                section_url=svc.sqlalchemy_url,
                fallback_url=_fallback_url(project),
                sys_path=[os.path.abspath(p) for p in svc.prepend_sys_path],
            )
        except monomig.MonomigError as e:
            url_error = _mask(str(e))
        else:
            if found is None:
                url_error = (
                    f"no database URL for service {svc.name!r}: set {env_var_name(svc.name)}, DB_URL in "
                    f"services/{svc.name}/config.py, or sqlalchemy.url in its [{svc.name}] section"
                )
            else:
                url = found.url
    return {
        "name": svc.name,
        "version_locations": [os.path.abspath(p) for p in svc.version_locations],
        "recursive": svc.recursive_version_locations,
        "sourceless": svc.sourceless,
        "url": url,
        "url_error": url_error,
        "base_dir": cwd,
        "version_table": svc.version_table,
        "version_table_schema": svc.version_table_schema,
        "allow_multiple_heads": _truthy(svc.options.get(ALLOW_MULTIPLE_HEADS)),
    }


def _warn(project: monomig.Project, skip: frozenset[str] = frozenset()) -> None:
    for warning in project.warnings:
        if warning not in skip:
            print(f"{PROG}: warning: {_mask(warning)}", file=sys.stderr)


#: Default bound on the database connections ``status`` (and ``--all``'s before/after read) holds at once.
MAX_CONNECTIONS = 16


def fleet_status(
    specs: list[dict[str, Any]],
    target: str | None = None,
    timeout: float = 5.0,
    max_connections: int = MAX_CONNECTIONS,
) -> list[dict[str, Any]]:
    """The Rust status read for service specs (see ``_native.fleet_status``): one connection per
    database (services sharing a database share it), at most ``max_connections`` open at once."""
    request = {"services": specs, "target": target, "connect_timeout": timeout, "concurrency": max_connections}
    return json.loads(_native.fleet_status(json.dumps(request)))


def _guard(fn: Any, args: argparse.Namespace) -> int:
    try:
        return fn(args)
    except UsageError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    except monomig.MonomigError as e:
        if getattr(args, "raiseerr", False):
            raise
        print(f"{PROG}: error: {_mask(str(e))}", file=sys.stderr)
        return 2


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]


def _short(revs: list[str]) -> str:
    return ", ".join(revs) if revs else "-"


# --------------------------------------------------------------------------- status


def add_status_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Show every service's database state at once: current revisions, heads, pending revisions and a "
        "state (up to date, behind by N, ahead/unknown revision, not initialised, unreachable). Reads "
        "revision files statically and all version tables concurrently; imports neither Alembic nor "
        "SQLAlchemy. Exit status: 0, or with --check 1 when any service is not up to date; 2 when a "
        "database is unreachable or a service cannot be resolved."
    )
    parser.add_argument(
        "-n", "--name", dest="services", action="append", metavar="NAME",
        help="only this service (an ini section); may be repeated (default: every service)",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON list, one object per service")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when any service is not up to date (for deploy gates)"
    )
    parser.add_argument(
        "--connect-timeout", type=float, default=5.0, metavar="SECONDS",
        help="give up on a database after this long (default 5)",
    )
    parser.add_argument(
        "--max-connections", type=int, default=MAX_CONNECTIONS, metavar="N",
        help=f"open at most N database connections at once (default {MAX_CONNECTIONS}); services on one "
        "database share one connection",
    )


def _state_label(s: dict[str, Any]) -> str:
    if s["state"] == "behind":
        return f"behind by {s['pending']}"
    return STATE_LABELS.get(s["state"], s["state"])


def run_status(args: argparse.Namespace) -> int:
    return _guard(_status, args)


def _status(args: argparse.Namespace) -> int:
    project = _load_project(args)
    _warn(project)
    services = _select(project, getattr(args, "services", None))
    specs = [_spec(project, s) for s in services]
    max_connections = getattr(args, "max_connections", MAX_CONNECTIONS)
    if max_connections < 1:
        raise UsageError("--max-connections must be at least 1")
    result = fleet_status(specs, timeout=getattr(args, "connect_timeout", 5.0), max_connections=max_connections)
    out = []
    for s in result:
        item = {k: s[k] for k in (
            "service", "database", "version_table", "version_table_schema", "current", "heads", "pending", "state",
        )}
        if s.get("error"):
            item["error"] = _mask(s["error"])
        if s.get("error_kind"):
            item["error_kind"] = s["error_kind"]
        item["shared_with"] = s["shared_with"]
        out.append(item)
    if getattr(args, "json", False):
        sys.stdout.write(json.dumps(out, indent=2) + "\n")
    elif not out:
        print(f"no services in {project.config_file}")
    else:
        rows = [("SERVICE", "STATE", "CURRENT", "HEADS", "PENDING", "DATABASE")]
        for s in out:
            table = s["version_table"]
            if s["version_table_schema"]:
                table = f"{s['version_table_schema']}.{table}"
            db = s["database"] or "-"
            if table != "alembic_version":
                db = f"{db} ({table})"
            pending = "-" if s["pending"] is None else str(s["pending"])
            rows.append((s["service"], _state_label(s), _short(s["current"]), _short(s["heads"]), pending, db))
        for line in _table(rows):
            print(line)
        notes = []
        for s in out:
            if s.get("error"):
                notes.append(f"{s['service']}: {_state_label(s)}: {s['error']}")
            if s["shared_with"]:
                others = ", ".join(s["shared_with"])
                notes.append(
                    f"{s['service']}: shares its database and version table '{s['version_table']}' with {others}; "
                    "give each service its own version_table"
                )
        if notes:
            print()
            for n in notes:
                print(n)
        sys.stdout.flush()
    if any(s["state"] in ("unreachable", "error") for s in out):
        return 2
    if getattr(args, "check", False) and any(s["state"] != "up_to_date" for s in out):
        return 1
    return 0


# --------------------------------------------------------------------------- check


def add_check_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Static guardrails for CI, no database: per service a single head (unless its section sets "
        f"{ALLOW_MULTIPLE_HEADS} = true), no missing parents, no cycles, no duplicate revision ids, no "
        "parent in another service's folder, no two services writing the same database and version "
        "table, every revision file readable without importing it. Exit status 0 when clean, 1 with "
        "findings, 2 when the check could not run."
    )
    parser.add_argument(
        "-n", "--name", dest="services", action="append", metavar="NAME",
        help="only this service; may be repeated (default: every service)",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON list of findings")
    parser.add_argument(
        "--format", choices=("text", "github"), default="text",
        help="'github' prints GitHub Actions annotations (::error file=...,line=...::message)",
    )


def _gh_escape(text: str, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def run_check(args: argparse.Namespace) -> int:
    return _guard(_check, args)


def _check(args: argparse.Namespace) -> int:
    project = _load_project(args)
    # Sections meant as services that cannot run are findings of a whole-project check.
    broken = [] if getattr(args, "services", None) else list(project.not_services)
    _warn(project, skip=frozenset(why for _, why in broken))
    selected = _select(project, getattr(args, "services", None))
    all_specs = [_spec(project, s) for s in project.services.values()]
    names = {s.name for s in selected}
    specs = [s for s in all_specs if s["name"] in names]
    request = {"services": specs, "all_services": all_specs}
    findings = [
        {"service": name, "code": "not_a_service", "message": why, "path": None, "line": None, "revision": None}
        for name, why in broken
    ]
    findings += json.loads(_native.fleet_check(json.dumps(request)))
    for f in findings:
        f["message"] = _mask(f["message"])
    if getattr(args, "json", False):
        sys.stdout.write(json.dumps(findings, indent=2) + "\n")
    elif getattr(args, "format", "text") == "github":
        for f in findings:
            title = _gh_escape(f"monomig {f['code']} ({f['service']})", prop=True)
            if f.get("path"):
                path = os.path.relpath(f["path"]) if os.path.isabs(f["path"]) else f["path"]
                print(f"::error file={_gh_escape(path, True)},line={f.get('line') or 1},title={title}::"
                      f"{_gh_escape(f['message'])}")
            else:
                print(f"::error title={title}::{_gh_escape(f['message'])}")
    else:
        for f in findings:
            where = ""
            if f.get("path"):
                path = os.path.relpath(f["path"]) if os.path.isabs(f["path"]) else f["path"]
                where = f"{path}:{f.get('line') or 1}: "
            print(f"{where}{f['code']}: {f['message']}")
        count = len(findings)
        summary = "no findings" if not count else f"{count} finding{'s' if count != 1 else ''}"
        print(f"{PROG} check: {len(specs)} service{'s' if len(specs) != 1 else ''}, {summary}",
              file=sys.stderr if count else sys.stdout)
    sys.stdout.flush()
    return 1 if findings else 0


# --------------------------------------------------------------------------- --all


def add_all_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    group = parser.add_argument_group(
        "every service at once",
        f"`{PROG} {command} --all` runs Alembic's {command} for every service (or those named with -n): "
        "services on different databases in parallel worker processes, services on one database one "
        "after another, each under a migration lock for its database and version table.",
    )
    group.add_argument("--all", action="store_true", help=f"{command} every service of the project")
    group.add_argument(
        "-n", "--name", dest="services", action="append", metavar="NAME",
        help="with --all: only this service; may be repeated",
    )
    group.add_argument(
        "--jobs", "-j", type=int, default=None, metavar="N",
        help="at most N services at once (default: the number of CPU cores)",
    )
    group.add_argument("--fail-fast", action="store_true", help="start no further service after a failure")
    group.add_argument(
        "--lock-timeout", type=float, default=60.0, metavar="SECONDS",
        help="wait at most this long for another process's migration lock (default 60)",
    )
    group.add_argument("--json", action="store_true", help="print the summary as JSON (progress goes to stderr)")


class _Job:
    def __init__(self, service: str, spec: dict[str, Any], before: dict[str, Any] | None) -> None:
        self.service = service
        self.spec = spec
        self.before = before
        self.result = "pending"  # pending, running, done, skipped, failed, up_to_date
        self.message: str | None = None
        self.revision: str | None = None
        self.running: str | None = None
        self.applied = 0
        self.started = 0.0
        self.elapsed = 0.0
        self.output: list[str] = []
        self.key = ""
        self.worker_pid: int | None = None
        self.code: str | None = None  # why it failed: target_mismatch, lock_timeout, ...
        # The heads of the table env.py really migrated (worker events `target`/`after`).
        self.real_before: list[str] | None = None
        self.real_after: list[str] | None = None

    @property
    def pid(self) -> str:
        return str(self.worker_pid) if self.worker_pid else "?"


class _Worker:
    """A worker process (``monomig._worker``) running one service's command after another."""

    def __init__(self, events: queue.Queue[tuple[_Worker, dict[str, Any]]], capture: bool) -> None:
        r, w = os.pipe()
        env = dict(os.environ)
        env["MONOMIG_EVENT_FD"] = str(w)
        self.job: _Job | None = None
        self.alive = True
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "monomig._worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE if capture else None,
            stderr=subprocess.STDOUT if capture else None,
            pass_fds=(w,),
            env=env,
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

    def close(self) -> None:
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _lock_name(spec: dict[str, Any]) -> str:
    table = spec["version_table"]
    if spec.get("version_table_schema"):
        table = f"{spec['version_table_schema']}.{table}"
    return f"monomig:{table}"


_NON_TRANSACTIONAL_DDL = {
    "mysql": "MySQL/MariaDB commit each DDL statement at once",
    "mariadb": "MySQL/MariaDB commit each DDL statement at once",
    "sqlite": "SQLite's default Python driver (pysqlite) commits DDL at once",
}


def _partial_ddl_warning(url: str | None, revision: str | None, command: str) -> str | None:
    """For databases whose DDL is not transactional: what a failed revision may have left."""
    if not url or not revision:
        return None
    dialect = url.split(":", 1)[0].split("+", 1)[0].lower()
    why = _NON_TRANSACTIONAL_DDL.get(dialect)
    if why is None:
        return None
    return (
        f"Warning: {why}, so the DDL of revision {revision} may be partly applied although the version "
        f"table does not record it: compare the database with revision {revision}'s {command}(), undo "
        "(or complete) its statements that did run, then run the command again."
    )


def run_all(command: str, args: argparse.Namespace) -> int:
    return _guard(lambda a: _run_all(command, a), args)


def _run_all(command: str, args: argparse.Namespace) -> int:
    project = _load_project(args)
    _warn(project)
    target = getattr(args, "revision", None)
    if target is None and getattr(args, "revisions", None):  # stamp takes one or more revisions
        revisions = list(args.revisions)
        target = revisions[0] if len(revisions) == 1 else revisions
    if not target:
        if command == "upgrade":
            target = "heads"
        else:
            raise UsageError(f"`{PROG} {command} --all` needs a target revision (e.g. `{PROG} {command} --all base`)")
    sql = bool(getattr(args, "sql", False))
    jobs_n = getattr(args, "jobs", None) or os.cpu_count() or 1
    if jobs_n < 1:
        raise UsageError("--jobs must be at least 1")
    as_json = bool(getattr(args, "json", False))
    progress = sys.stderr if (as_json or sql) else sys.stdout
    services = _select(project, getattr(args, "services", None))
    specs = {s.name: _spec(project, s) for s in services}

    before: dict[str, dict[str, Any]] = {}
    if not sql:
        status_target = target if command == "upgrade" else None
        for s in fleet_status(list(specs.values()), target=status_target):
            before[s["service"]] = s

    ini, toml = _native.config_paths(list(getattr(args, "config", None) or []), os.environ.get("ALEMBIC_CONFIG"))
    if getattr(args, "toml_file", None):
        toml = args.toml_file

    jobs: list[_Job] = []
    for name, spec in specs.items():
        job = _Job(name, spec, before.get(name))
        b = job.before
        if command == "upgrade" and b and b["state"] == "up_to_date" and b["pending"] == 0:
            job.result = "up_to_date"
        jobs.append(job)

    def say(job: _Job, text: str) -> None:
        progress.write(f"[{job.service}] {text}\n")
        progress.flush()

    # Services on one database run one after another; a service without a readable URL
    # is a group of its own (its env.py decides where it goes).
    groups: dict[str, list[_Job]] = {}
    for job in jobs:
        if job.result != "pending":
            say(job, f"already at {target}: {_short(job.before['current'])}")
            continue
        key = (job.before or {}).get("database_key") or f"service:{job.service}"
        if sql:
            key = "sql"  # offline SQL goes to stdout: one service at a time
        groups.setdefault(key, []).append(job)

    events: queue.Queue[tuple[_Worker, dict[str, Any]]] = queue.Queue()
    running: dict[str, _Job] = {}  # group key -> its running job
    waiting = {k: list(v) for k, v in groups.items()}
    workers: list[_Worker] = []
    failed = False
    fail_fast = bool(getattr(args, "fail_fast", False))
    common = {
        "command": command,
        "ini": ini,
        "toml": toml,
        "target": target,
        "sql": sql,
        "tag": getattr(args, "tag", None),
        "purge": bool(getattr(args, "purge", False)),
        "x": getattr(args, "x", None),
        "lock_timeout": getattr(args, "lock_timeout", 60.0),
    }

    def assign(worker: _Worker, key: str, job: _Job) -> None:
        spec = job.spec
        payload = dict(common, service=job.service, url=spec["url"], lock_name=_lock_name(spec),
                       base_dir=spec["base_dir"], version_table=spec["version_table"],
                       version_table_schema=spec["version_table_schema"])
        job.started = time.monotonic()
        job.result = "running"
        job.key = key
        worker.job = job
        running[key] = job
        say(job, f"{command} to {target}: started (pid {worker.proc.pid})")
        if not spec["url"] and not sql:
            reason = spec.get("url_error") or "no database URL"
            say(job, f"warning: running without a migration lock ({reason})")
        worker.send(payload)

    def fill() -> None:
        for key, queue_ in waiting.items():
            if failed and fail_fast:
                return
            if key in running or not queue_:
                continue
            worker = next((w for w in workers if w.job is None and w.alive), None)
            if worker is None:
                if len([w for w in workers if w.alive]) >= jobs_n:
                    return
                worker = _Worker(events, capture=not sql)
                workers.append(worker)
            assign(worker, key, queue_.pop(0))

    def finish(job: _Job, rc: int) -> None:
        nonlocal failed
        job.elapsed = time.monotonic() - job.started
        if rc == 0:
            job.result = "done"
            say(job, f"finished in {job.elapsed:.1f} s")
        else:
            job.result = "failed"
            failed = True
            if job.message is None:
                how = f"was killed by signal {-rc}" if rc < 0 else f"exited with status {rc}"
                job.message = f"the worker process (pid {job.pid}) {how}"
                job.revision = job.running
            at = f" at revision {job.revision}" if job.revision else ""
            job.message = f"service {job.service!r}: {command} failed{at}: {job.message}"
            partial = _partial_ddl_warning(job.spec.get("url"), job.revision, command)
            if partial:
                job.message += f" {partial}"
            elif not job.revision and not job.applied and job.before and job.before.get("state") != "unreachable":
                at_rev = ", ".join(job.before.get("current") or []) or "base"
                job.message += f" No revision was applied: the database is still at {at_rev}."
            job.message = _mask(job.message)
            say(job, f"FAILED{at}: {job.message}")
            tail = [line for line in job.output if line.strip()][-15:]
            for line in tail:
                progress.write(f"[{job.service}]   | {_mask(line)}\n")
            progress.flush()
        running.pop(job.key, None)

    try:
        fill()
        while running:
            worker, ev = events.get()
            job = worker.job
            kind = ev.get("event")
            if kind == "exit":
                worker.alive = False
                if job is not None:
                    worker.job = None
                    if ev["rc"] == 0 and job.message is None:
                        job.message = f"the worker process (pid {job.pid}) exited before finishing"
                        job.revision = job.running
                    finish(job, ev["rc"] or 1)
                fill()
                continue
            if job is None:
                continue
            if kind == "waiting":
                wait = ev.get("timeout")
                up_to = f"; waiting up to {wait:g} s (--lock-timeout)" if isinstance(wait, (int, float)) else ""
                say(job, f"waiting for the migration lock: it is held by {_mask(ev.get('holder', ''))}{up_to}")
            elif kind == "target":
                job.real_before = list(ev.get("before") or [])
            elif kind == "after":
                job.real_after = list(ev.get("heads") or [])
            elif kind == "locked":
                say(job, "lock taken")
            elif kind == "running":
                job.running = ev.get("revision")
                say(job, f"running {ev.get('direction', command)} {ev.get('revision')}")
            elif kind == "applied":
                job.applied += 1
                job.running = None
                say(job, f"done {ev.get('revision')}")
            elif kind == "failed":
                job.message = ev.get("message")
                job.revision = ev.get("revision")
                job.code = ev.get("code")
            elif kind == "finished":
                worker.job = None
                finish(job, int(ev.get("rc", 1)))
                fill()
    except KeyboardInterrupt:
        for w in workers:
            w.kill()
        raise
    finally:
        for w in workers:
            w.close()

    for queue_ in waiting.values():
        for job in queue_:
            job.result = "skipped"
            job.message = "not started after an earlier failure (--fail-fast)"

    after: dict[str, dict[str, Any]] = {}
    if not sql:
        for s in fleet_status([j.spec for j in jobs]):
            after[s["service"]] = s

    summary = []
    for job in jobs:
        item = {
            "service": job.service,
            "result": job.result,
            # From the table env.py really migrated when the worker reported it.
            "before": job.real_before if job.real_before is not None else (job.before or {}).get("current"),
            "after": job.real_after if job.real_after is not None else after.get(job.service, {}).get("current"),
            "state": after.get(job.service, {}).get("state"),
            "applied": job.applied,
            "seconds": round(job.elapsed, 3),
            "error": job.message,
            "failed_revision": job.revision if job.result == "failed" else None,
            "code": job.code if job.result == "failed" else None,
        }
        summary.append(item)
    if as_json:
        sys.stdout.write(json.dumps(summary, indent=2) + "\n")
    else:
        rows = [("SERVICE", "RESULT", "BEFORE", "AFTER", "STEPS", "TIME")]
        for s in summary:
            rows.append((
                s["service"],
                s["result"].replace("_", " "),
                "-" if s["before"] is None else _short(s["before"]),
                "-" if s["after"] is None else _short(s["after"]),
                str(s["applied"]),
                f"{s['seconds']:.1f}s",
            ))
        print()
        for line in _table(rows):
            print(line)
    sys.stdout.flush()
    return 1 if any(j.result in ("failed", "skipped") for j in jobs) else 0
