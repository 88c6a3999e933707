"""The whole monorepo at once: ``monomig status``, ``monomig check`` and
``monomig upgrade|downgrade|stamp --all``.

The CLI dispatches here through a small contract:

- :func:`add_status_arguments` / :func:`run_status` for ``monomig status``;
- :func:`add_check_arguments` / :func:`run_check` for ``monomig check``;
- :func:`add_all_arguments` adds ``--all``, ``-n/--name``, ``--jobs``, ``--fail-fast``,
  ``--lock-timeout``, ``--json``, ``--plan``/``--dry-run``, ``--yes`` and ``--sql-dir`` to the
  upgrade/downgrade/stamp subparsers, and :func:`run_all` runs when ``args.all`` is true
  (the scheduler lives in :mod:`monomig._fleet_run`).

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
import sys
from collections.abc import Sequence
from typing import Any, cast

import monomig
from monomig import _native, _sumfile
from monomig._importing import add_no_import_argument, answer_check, answer_status, search_path
from monomig._values import asbool, mask
from monomig.urls import env_var_name, resolve_url

PROG = "monomig"
ALLOW_MULTIPLE_HEADS = "monomig.allow_multiple_heads"

#: The text of each state: the JSON word with its underscores as spaces (one spelling per state).
STATE_LABELS = {
    "up_to_date": "up to date",
    "behind": "behind",
    "ahead": "ahead",
    "not_initialized": "not initialized",
    "migrating": "migrating",
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
    *_sumfile.CHECK_CODES,
)


class UsageError(Exception):
    """Bad command-line input: printed as one paragraph, exit status 2."""


# --------------------------------------------------------------------------- project


def load_project(configs: list[str], toml_file: str | None = None) -> monomig.Project:
    """The project named by the global ``-c`` values (``ALEMBIC_CONFIG``, else alembic.ini) and
    ``--toml-file``."""
    ini, toml = _native.config_paths(configs, os.environ.get("ALEMBIC_CONFIG"))
    return monomig.load_project(ini, toml_file or toml)


def _load_project(args: argparse.Namespace) -> monomig.Project:
    return load_project(list(getattr(args, "config", None) or []), getattr(args, "toml_file", None))


def select_services(project: monomig.Project, names: list[str] | None) -> list[monomig.Service]:
    """The services named with -n (in that order, once each), or every service."""
    services = project.services
    if not names:
        return list(services.values())
    chosen = []
    for name in names:
        if name not in services:
            from monomig._hints import closest_service

            known = ", ".join(services) or "none"
            closest = closest_service(name, list(services))
            advice = f"did you mean -n {closest}?" if closest else "pass the name of one of its sections with -n."
            raise UsageError(f"no service named {name!r} in {project.config_file} (its services: {known}); {advice}")
        if services[name] not in chosen:
            chosen.append(services[name])
    return chosen


def _fallback_url(project: monomig.Project) -> str | None:
    if "alembic" not in project.sections:
        return None
    try:
        return project.section("alembic").sqlalchemy_url
    except monomig.MonomigError:
        return None


def service_spec(project: monomig.Project, svc: monomig.Service, with_url: bool = True) -> _native.ServiceSpec:
    """A service as the Rust fleet functions take it (``fleet_status``, ``fleet_check``)."""
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
            url_error = mask(str(e))
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
        "allow_multiple_heads": asbool(svc.options.get(ALLOW_MULTIPLE_HEADS)),
        "search_path": search_path(svc),
        "imported": [],  # filled by monomig._importing for files only an import reads
        "alembic_version": project.alembic_version,  # its revision id rules (':' before 1.17.1)
    }


def warn_project(project: monomig.Project, skip: frozenset[str] = frozenset()) -> None:
    for warning in project.warnings:
        if warning not in skip:
            print(f"{PROG}: warning: {mask(warning)}", file=sys.stderr)


#: Default bound on the database connections ``status`` (and ``--all``'s before/after read) holds at once.
MAX_CONNECTIONS = 16


def fleet_status(
    specs: list[_native.ServiceSpec],
    target: str | None = None,
    timeout: float = 5.0,
    max_connections: int = MAX_CONNECTIONS,
    services: list[monomig.Service] | None = None,
    no_import: bool = False,
) -> list[dict[str, Any]]:
    """The Rust status read for service specs (see ``_native.fleet_status``): one connection per
    database (services sharing a database share it), at most ``max_connections`` open at once.
    Each answer is a ``_native.ServiceStatus`` dict (typed as a plain dict: callers read it by
    computed keys). With ``services`` (those of ``specs``), revision files only an import reads
    are imported as Alembic would (unless ``no_import`` or the section forbids it: see
    :mod:`monomig._importing`)."""

    def read(chosen: list[_native.ServiceSpec]) -> list[dict[str, Any]]:
        return list(cast("list[dict[str, Any]]", _native.fleet_status(chosen, target, timeout, max_connections)))

    result = read(specs)
    if services is not None:
        result = answer_status(services, specs, result, no_import, read)
    return result


def _guard(fn: Any, args: argparse.Namespace) -> int:
    try:
        return fn(args)
    except UsageError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    except monomig.MonomigError as e:
        if getattr(args, "raiseerr", False):
            raise
        print(f"{PROG}: error: {mask(str(e))}", file=sys.stderr)
        return 2


def table(rows: Sequence[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]


def short(revs: list[str]) -> str:
    return ", ".join(revs) if revs else "-"


# --------------------------------------------------------------------------- status


def add_service_filter(parser: argparse.ArgumentParser) -> None:
    """``-n/--name NAME``, repeatable: the services a fleet command works on."""
    parser.add_argument(
        "-n",
        "--name",
        dest="services",
        action="append",
        metavar="NAME",
        help="only this service (an ini section); may be repeated (default: every service)",
    )


def add_status_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Show every service's database state at once: current revisions, heads, pending revisions and a "
        "state (up to date, behind by N, ahead (the database holds a revision no file defines), not initialized, migrating, unreachable). "
        "A service whose migration lock another process holds is migrating, with the holder named. Reads "
        "revision files statically (a file whose values only Python can compute is imported, as Alembic "
        "imports it, unless --no-import) and all version tables concurrently, never waits for a lock; "
        "imports neither Alembic nor SQLAlchemy. Exit status: 0, or with --check 1 when any service is not up to "
        "date (migrating included); 2 when a database is unreachable or a service cannot be resolved."
    )
    add_service_filter(parser)
    parser.add_argument("--json", action="store_true", help="print a JSON list, one object per service")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when any service is not up to date (for deploy gates)"
    )
    parser.add_argument(
        "--connect-timeout",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="give up on a database after this long (default 5)",
    )
    parser.add_argument(
        "--max-connections",
        type=int,
        default=MAX_CONNECTIONS,
        metavar="N",
        help=f"open at most N database connections at once (default {MAX_CONNECTIONS}); services on one "
        "database share one connection",
    )
    from monomig._fanout import add_selection_arguments

    add_selection_arguments(parser)
    add_no_import_argument(parser)


def _state_label(s: dict[str, Any]) -> str:
    if s["state"] == "behind":
        return f"behind by {s['pending']}"
    return STATE_LABELS.get(s["state"], s["state"])


def run_status(args: argparse.Namespace) -> int:
    return _guard(_status, args)


def _status(args: argparse.Namespace) -> int:
    project = _load_project(args)
    warn_project(project)
    from monomig import _fanout

    targets = _fanout.entries(
        project,
        getattr(args, "services", None),
        args,
        select_services,
        service_spec,
        timeout=getattr(args, "connect_timeout", 5.0),
    )
    specs = [cast("_native.ServiceSpec", e.spec) for e in targets]
    services = [project.services[e.section] for e in targets]
    max_connections = getattr(args, "max_connections", MAX_CONNECTIONS)
    if max_connections < 1:
        raise UsageError("--max-connections must be at least 1")
    result = fleet_status(
        specs,
        timeout=getattr(args, "connect_timeout", 5.0),
        max_connections=max_connections,
        services=services,
        no_import=getattr(args, "no_import", False),
    )
    out = []
    for e, s in zip(targets, result, strict=True):
        item = {
            k: s[k]
            for k in (
                "service",
                "database",
                "version_table",
                "version_table_schema",
                "current",
                "heads",
                "pending",
                "state",
            )
        }
        if s.get("holder"):
            item["holder"] = mask(s["holder"])
        if s.get("error"):
            item["error"] = mask(s["error"])
        if s.get("error_kind"):
            item["error_kind"] = s["error_kind"]
        item["shared_with"] = s["shared_with"]
        if e.target is not None:
            item["tenant"] = e.target.name
        out.append(item)
    from monomig import _ledger

    _ledger.annotate_status(out, services, specs, getattr(args, "connect_timeout", 5.0), max_connections)
    if getattr(args, "json", False):
        sys.stdout.write(json.dumps(out, indent=2) + "\n")
    elif not out:
        print(f"no services in {project.config_file}")
    elif len(out) > _fanout.MANY and _fanout.has_tenants(targets):
        for line in _fanout.status_lines(out, _state_label):
            print(line)
        sys.stdout.flush()
    else:
        rows = [("SERVICE", "STATE", "CURRENT", "HEADS", "PENDING", "DATABASE")]
        for s in out:
            vt = s["version_table"]
            if s["version_table_schema"]:
                vt = f"{s['version_table_schema']}.{vt}"
            db = s["database"] or "-"
            if vt != "alembic_version":
                db = f"{db} ({vt})"
            pending = "-" if s["pending"] is None else str(s["pending"])
            rows.append((s["service"], _state_label(s), short(s["current"]), short(s["heads"]), pending, db))
        for line in table(rows):
            print(line)
        notes = []
        for s in out:
            if s.get("holder"):
                notes.append(f"{s['service']}: {_state_label(s)}: its migration lock is held by {s['holder']}")
            if s.get("error"):
                notes.append(f"{s['service']}: {_state_label(s)}: {s['error']}")
            if s.get("last_problem"):
                notes.append(_ledger.status_note(s))
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
        "findings, 2 when the check could not run. This is monomig's fleet check, chosen by --all or by "
        "any of its options; plain `monomig [-n NAME] check` is Alembic's check (autogenerate)."
    )
    parser.add_argument(
        "--all",
        action="store_true",
        help="check every service of the project (the fleet check; -n NAME after `check` narrows it)",
    )
    add_service_filter(parser)
    parser.add_argument("--json", action="store_true", help="print a JSON list of findings")
    parser.add_argument(
        "--format",
        choices=("text", "github"),
        default="text",
        help="'github' prints GitHub Actions annotations (::error file=...,line=...::message)",
    )
    add_no_import_argument(parser)
    _sumfile.add_strict_argument(parser)


def _section_line(config_file: str, section: str) -> int:
    """The line of ``[section]`` in ``config_file`` (1 when it cannot be found)."""
    try:
        with open(config_file, encoding="utf-8", errors="replace") as f:
            for number, text in enumerate(f, 1):
                if text.strip() == f"[{section}]":
                    return number
    except OSError:
        pass
    return 1


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
    warn_project(project, skip=frozenset(why for _, why in broken))
    selected = select_services(project, getattr(args, "services", None))
    all_specs = [service_spec(project, s) for s in project.services.values()]
    names = {s.name for s in selected}
    specs = [s for s in all_specs if s["name"] in names]
    findings: list[_native.CheckFinding] = [
        {"service": name, "code": "not_a_service", "message": why, "path": None, "line": None, "revision": None}
        for name, why in broken
    ]
    findings += answer_check(
        selected,
        specs,
        _native.fleet_check(specs, all_specs),
        getattr(args, "no_import", False),
        lambda: _native.fleet_check(specs, all_specs),
    )
    findings += _sumfile.findings(selected, strict=getattr(args, "strict", False))
    for f in findings:
        f["message"] = mask(f["message"])
    if getattr(args, "json", False):
        sys.stdout.write(json.dumps(findings, indent=2) + "\n")
    elif getattr(args, "format", "text") == "github":
        for f in findings:
            title = _gh_escape(f"monomig {f['code']} ({f['service']})", prop=True)
            fpath, line = f.get("path"), f.get("line") or 1
            if not fpath:
                # a finding about a service as a whole (several heads, a missing folder, ...):
                # annotated on its section of the config file
                fpath, line = project.config_file, _section_line(project.config_file, f["service"])
            path = os.path.relpath(fpath) if os.path.isabs(fpath) else fpath
            print(f"::error file={_gh_escape(path, True)},line={line},title={title}::{_gh_escape(f['message'])}")
    else:
        for f in findings:
            fpath, line = f.get("path"), f.get("line") or 1
            if not fpath:
                fpath, line = project.config_file, _section_line(project.config_file, f["service"])
            path = os.path.relpath(fpath) if os.path.isabs(fpath) else fpath
            print(f"{path}:{line}: {f['code']}: {f['message']}")
        count = len(findings)
        summary = "no findings" if not count else f"{count} finding{'s' if count != 1 else ''}"
        print(
            f"{PROG} check: {len(specs)} service{'s' if len(specs) != 1 else ''}, {summary}",
            file=sys.stderr if count else sys.stdout,
        )
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
        "-n",
        "--name",
        dest="services",
        action="append",
        metavar="NAME",
        help="with --all: only this service; may be repeated",
    )
    group.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=None,
        metavar="N",
        help="at most N services at once (default: the number of CPU cores)",
    )
    group.add_argument("--fail-fast", action="store_true", help="start no further service after a failure")
    group.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="with --all: on a failure, show the service's whole output and traceback (by default the "
        "exception's last line)",
    )
    group.add_argument(
        "--lock-timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="wait at most this long for another process's migration lock (default 60)",
    )
    group.add_argument("--json", action="store_true", help="print the summary as JSON (progress goes to stderr)")
    group.add_argument(
        "--plan",
        "--dry-run",
        dest="plan",
        action="store_true",
        help="print, for each service, the revisions that would run, in order, with their messages, and "
        "change nothing (reads the databases; imports no revision file; with --json a JSON list)",
    )
    if command == "upgrade":
        group.add_argument(
            "--verify",
            action="store_true",
            help="run `monomig verify` first and start no service whose verify fails (a revision changed "
            "after it ran, a missing file, a step left half-way)",
        )
    if command == "downgrade":
        group.add_argument(
            "--yes",
            action="store_true",
            help="go ahead without asking when a service would be downgraded to base or past a branch "
            "point (needed when stdin is not a terminal)",
        )
    add_no_import_argument(group)
    group.add_argument(
        "--sql-dir",
        metavar="DIR",
        help="with --sql (implied): write each service's SQL to DIR/<service>.sql instead of stdout",
    )
    from monomig._fanout import add_rollout_arguments, add_selection_arguments

    add_selection_arguments(group)  # tenants and shards (docs/tenants.md)
    add_rollout_arguments(group)


def run_all(command: str, args: argparse.Namespace) -> int:
    """``monomig COMMAND --all``: the scheduler in :mod:`monomig._fleet_run`."""
    from monomig import _fleet_run

    return _guard(lambda a: _fleet_run.run(command, a), args)
