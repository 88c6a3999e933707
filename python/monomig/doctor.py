"""``monomig doctor``: one screen that says whether a project's setup is right.

It reports, without importing Alembic, SQLAlchemy or any revision file:

- the config file found (and, when there is none here, an ``alembic.ini`` in a parent
  folder), its ``pyproject.toml``;
- the installed Alembic and SQLAlchemy, and whether the bridge supports that Alembic
  (:func:`monomig._alembic_support.check`, the one home of the supported range);
- the scan cache's folder and whether it can be written;
- per service: its ``script_location`` and version locations (missing ones flagged),
  whether the ``alembic`` command bridges it (the opt-in rule of
  :mod:`monomig_alembic`, ``MONOMIG_BRIDGE``), its resolved database URL (password
  masked) and whether the database answers (a short timeout), and the revision files
  that need importing, with why.

Every finding that needs someone to act is a *problem* (``code``, ``service``,
``message``); anything else is shown as information. Exit status: 0 healthy, 1 with
problems, 2 for bad command-line input.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict, dataclass, field
from typing import Any

import monomig
from monomig import _alembic_support, _hints, _native
from monomig._values import env_off, mask

PROG = "monomig"

#: How long doctor waits for a database (seconds) unless --connect-timeout says otherwise.
CONNECT_TIMEOUT = 2.0


@dataclass
class Problem:
    code: str
    message: str
    service: str | None = None


@dataclass
class ServiceReport:
    name: str
    script_location: str
    script_location_exists: bool
    version_locations: list[dict[str, Any]] = field(default_factory=list)
    bridge: dict[str, Any] = field(default_factory=dict)
    url: str | None = None
    url_source: str | None = None
    database: dict[str, Any] = field(default_factory=dict)
    revision_files: int = 0
    needs_import: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Report:
    config_file: str
    config_found: bool
    parent_config: str | None = None
    toml_file: str | None = None
    alembic: dict[str, Any] = field(default_factory=dict)
    sqlalchemy: str | None = None
    monomig: str = monomig.__version__
    bridge_env: str | None = None
    scan_cache: dict[str, Any] = field(default_factory=dict)
    services: list[ServiceReport] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def problem(self, code: str, message: str, service: str | None = None) -> None:
        self.problems.append(Problem(code, mask(message), service))


# ------------------------------------------------------------------------ arguments


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Check that the project is set up right, on one screen: the config file, each service's "
        "script_location and version locations, the installed Alembic and SQLAlchemy and whether "
        "the bridge supports and bridges each service, the scan cache, each service's database URL "
        "(password masked) and whether it answers, and revision files that need importing. Imports "
        "neither Alembic, SQLAlchemy nor any revision file. Exit status 0 when healthy, 1 when "
        "something is wrong (each problem says what to do), 2 for bad command-line input."
    )
    from monomig.fleet import add_service_filter

    add_service_filter(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the screen")
    parser.add_argument(
        "--connect-timeout",
        type=float,
        default=CONNECT_TIMEOUT,
        metavar="SECONDS",
        help=f"give up on a database after this long (default {CONNECT_TIMEOUT:g})",
    )


# ------------------------------------------------------------------------- checks


def _distribution_version(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


def _writable(folder: str) -> bool:
    """Whether the scan cache could write into ``folder`` (created on first use)."""
    probe = os.path.abspath(folder)
    while not os.path.exists(probe):
        parent = os.path.dirname(probe)
        if parent == probe:
            return False
        probe = parent
    return os.path.isdir(probe) and os.access(probe, os.W_OK | os.X_OK)


def _scan_cache(report: Report) -> None:
    folder = _native.scan_cache_dir()
    if folder is None:
        report.scan_cache = {"path": None, "enabled": False, "writable": None}
        return
    writable = _writable(folder)
    report.scan_cache = {"path": folder, "enabled": True, "writable": writable}
    if not writable:
        report.problem(
            "scan_cache_not_writable",
            f"The scan cache folder {folder} cannot be written, so every command reads every revision "
            "file again; set MONOMIG_CACHE_DIR to a writable folder (or MONOMIG_CACHE=0 to turn the "
            "cache off).",
        )


def _versions(report: Report, support: _alembic_support.Support) -> None:
    report.alembic = {
        "version": support.version,
        "supported": support.supported,
        "forced": support.forced,
        "message": support.message,
    }
    report.sqlalchemy = _distribution_version("sqlalchemy")
    report.bridge_env = os.environ.get("MONOMIG_BRIDGE")
    if support.version is None:
        report.problem(
            "alembic_missing",
            "Alembic is not installed in this environment, so no migration can run; install it "
            "(pip install 'monomig[alembic]').",
        )


def _bridge(configs: list[str], name: str, support: _alembic_support.Support) -> tuple[bool, str, bool]:
    """Whether the ``alembic`` command bridges ``name``, why, and whether that is a problem."""
    if support.version is None:
        return False, "off: Alembic is not installed", False
    if env_off("MONOMIG_BRIDGE"):
        return False, "off: MONOMIG_BRIDGE turns it off everywhere", False
    from monomig_alembic import opt_in

    try:
        on, why = opt_in(configs, name)
    except monomig.MonomigError as e:
        return False, f"off: the configuration cannot be read ({e})", False
    if not on:
        return False, f"off: {why}", False
    if not support.may_activate:
        return False, f"refused although {why}: {support.message}", True
    if not support.supported:
        return True, f"on ({why}), forced with MONOMIG_BRIDGE=force on an untested Alembic", False
    return True, f"on: {why}", False


def _service(
    report: Report,
    project: monomig.Project,
    svc: monomig.Service,
    configs: list[str],
    support: _alembic_support.Support,
) -> ServiceReport:
    name = svc.name
    location = svc.script_location
    out = ServiceReport(name=name, script_location=location, script_location_exists=os.path.isdir(location))
    # (a script_location that does not exist is a config_error: the project does not load)
    if out.script_location_exists and not os.path.isfile(os.path.join(location, "env.py")):
        report.problem(
            "missing_env_py",
            f"service '{name}': there is no env.py in its script_location {location}; Alembic cannot run "
            "it. Create one (`import monomig; monomig.run_env()` is a complete one).",
            name,
        )
    for loc in svc.version_locations:
        out.version_locations.append({"path": loc, "exists": os.path.isdir(loc)})
    active, why, wrong = _bridge(configs, name, support)
    out.bridge = {"active": active, "reason": why}
    if wrong:
        report.problem("alembic_unsupported", f"service '{name}': the bridge is {why}", name)
    present = [loc for loc in svc.version_locations if os.path.isdir(loc)]
    try:
        entries, _warnings = _native.scan_revisions(
            present,
            recursive=svc.recursive_version_locations,
            sourceless=svc.sourceless,
            search_path=[os.path.abspath(p) for p in svc.prepend_sys_path],
        )
    except monomig.MonomigError:
        entries = []  # the check's unreadable_revision finding says why
    out.revision_files = len(entries)
    out.needs_import = [{"path": e.path, "reason": e.reason or "unknown"} for e in entries if e.needs_import]
    return out


#: The check findings that are about the setup (the others are `monomig check`'s business).
SETUP_FINDINGS = ("missing_version_location", "unreadable_revision")


def _files(report: Report, project: monomig.Project, services: list[monomig.Service]) -> None:
    """Missing version locations and revision files that cannot be read statically, in the
    words of ``monomig check``."""
    from monomig import fleet

    all_specs = [fleet.service_spec(project, s, with_url=False) for s in project.services.values()]
    names = {s.name for s in services}
    specs = [s for s in all_specs if s["name"] in names]
    for f in _native.fleet_check(specs, all_specs):
        if f["code"] in SETUP_FINDINGS:
            report.problem(f["code"], f["message"], f["service"])


def _databases(report: Report, project: monomig.Project, services: list[monomig.Service], timeout: float) -> None:
    """Resolve every service's URL and read its version table once (concurrently, short timeout)."""
    from monomig import fleet

    specs = [fleet.service_spec(project, s) for s in services]
    for spec in specs:
        spec["version_locations"] = []  # only the database is asked here; the files are checked above
    reads = {s["service"]: s for s in fleet.fleet_status(specs, timeout=timeout)}
    by_name = {r.name: r for r in report.services}
    for spec in specs:
        name = spec["name"]
        out = by_name[name]
        read = reads[name]
        if spec["url"] is None:
            error = mask(spec["url_error"] or read.get("error") or f"service '{name}': no database URL.")
            out.database = {"answers": None, "current": None, "error": error}
            report.problem("no_url", error, name)
            continue
        out.url = mask(spec["url"])  # monomig's one masker (_values.mask)
        out.url_source = _url_source(project, name)
        read_error = mask(read["error"]) if read.get("error") else None
        state = read["state"]
        if state == "unreachable":
            out.database = {
                "answers": False,
                "current": None,
                "error": read_error,
                "error_kind": read.get("error_kind"),
            }
            report.problem(
                "unreachable",
                f"service '{name}': its database {out.url} does not answer (waited at most {timeout:g} s): "
                f"{read_error}",
                name,
            )
        elif state == "error":
            out.database = {"answers": None, "current": None, "error": read_error}
            report.problem("url_error", read_error or f"service '{name}': its database URL cannot be used.", name)
        else:
            out.database = {"answers": True, "current": list(read["current"]), "error": None}


def _url_source(project: monomig.Project, name: str) -> str | None:
    from monomig.fleet import _fallback_url
    from monomig.urls import resolve_url

    svc = project.services[name]
    try:
        found = resolve_url(
            name,
            section_url=svc.sqlalchemy_url,
            fallback_url=_fallback_url(project),
            sys_path=[os.path.abspath(p) for p in svc.prepend_sys_path],
        )
    except monomig.MonomigError:
        return None
    return found.source if found else None


def diagnose(args: argparse.Namespace) -> Report:
    # -c after the command (``monomig doctor -c FILE``) or before it (the global option)
    configs = list(getattr(args, "services_config", None) or []) + list(getattr(args, "config", None) or [])
    ini, toml = _native.config_paths(configs, os.environ.get("ALEMBIC_CONFIG"))
    toml = getattr(args, "toml_file", None) or toml
    report = Report(config_file=os.path.abspath(ini), config_found=os.path.isfile(ini))
    support = _alembic_support.check()
    _versions(report, support)
    _scan_cache(report)
    if not report.config_found:
        report.parent_config = _hints.parent_config(ini)
        hint = _hints.config_hint(ini)
        report.problem(
            "no_config",
            f"{hint[0].upper()}{hint[1:]}"
            if hint
            else f"There is no config file {ini} here: create one (`alembic init`) or pass -c FILE.",
        )
        return report
    try:
        project = monomig.load_project(ini, toml)
    except monomig.MonomigError as e:
        report.problem("config_error", str(e))
        return report
    report.toml_file = project.toml_file
    for name, why in project.not_services:
        report.problem("not_a_service", why, name)
    broken = {why for _, why in project.not_services}
    report.warnings = [mask(w) for w in project.warnings if w not in broken]
    from monomig.fleet import select_services

    services = select_services(project, getattr(args, "services", None))  # UsageError: exit 2
    if not project.services:
        report.problem(
            "no_services",
            f"{project.config_file} defines no service: give each service a section with its "
            "script_location and version_locations.",
        )
    report.services = [_service(report, project, s, configs, support) for s in services]
    _files(report, project, services)
    _databases(report, project, services, getattr(args, "connect_timeout", CONNECT_TIMEOUT))
    return report


# ------------------------------------------------------------------------- output


def _text(report: Report) -> str:
    lines: list[str] = []

    def row(label: str, value: str) -> None:
        lines.append(f"{label:<12}{value}")

    found = "" if report.config_found else "  (not found)"
    row("config", f"{os.path.relpath(report.config_file)}{found}")
    if report.parent_config:
        row("", f"found in a parent folder: {os.path.relpath(report.parent_config)}")
    if report.toml_file:
        row("pyproject", os.path.relpath(report.toml_file))
    a = report.alembic
    if a.get("version") is None:
        alembic = "not installed"
    elif a.get("supported"):
        alembic = f"{a['version']} (supported by the bridge)"
    elif a.get("forced"):
        alembic = f"{a['version']} (untested; bridge forced with MONOMIG_BRIDGE=force)"
    else:
        alembic = f"{a['version']} (not supported by the bridge: {a.get('message') or 'outside the tested range'})"
    row("alembic", alembic)
    row("sqlalchemy", report.sqlalchemy or "not installed")
    row("monomig", report.monomig)
    if report.bridge_env is not None:
        row("MONOMIG_BRIDGE", report.bridge_env)
    cache = report.scan_cache
    if cache.get("enabled"):
        state = "writable" if cache.get("writable") else "NOT writable"
        row("scan cache", f"{cache['path']} ({state})")
    elif cache:
        row("scan cache", "off (MONOMIG_CACHE=0)")
    for s in report.services:
        lines.append("")
        lines.append(f"[{s.name}]")
        missing = "" if s.script_location_exists else "  MISSING"
        row("  script", f"{s.script_location}{missing}")
        for loc in s.version_locations:
            row("  versions", f"{loc['path']}{'' if loc['exists'] else '  MISSING'}")
        row("  bridge", s.bridge.get("reason", ""))
        db = s.database
        if s.url is None:
            row("  database", db.get("error") or "no URL")
        else:
            source = f" (from {s.url_source})" if s.url_source else ""
            row("  database", f"{s.url}{source}")
            if db.get("answers"):
                current = db.get("current") or []
                row("", "answers; version table: " + (", ".join(current) if current else "empty or not created yet"))
            elif db.get("answers") is False:
                row("", f"does NOT answer: {db.get('error') or ''}")
            else:
                row("", f"cannot be used: {db.get('error') or ''}")
        imports = len(s.needs_import)
        if imports:
            need = f", {imports} {'needs' if imports == 1 else 'need'} importing"
        else:
            need = ", all read without importing"
        row("  revisions", f"{s.revision_files} file{'' if s.revision_files == 1 else 's'}{need}")
        for n in s.needs_import:
            row("", f"{os.path.relpath(n['path'])}: {n['reason']}")
    lines.append("")
    for w in report.warnings:
        lines.append(f"warning: {w}")
    if report.problems:
        count = len(report.problems)
        lines.append(f"{count} problem{'s' if count != 1 else ''}:")
        for p in report.problems:
            lines.append(f"- {p.code}: {p.message}")
    else:
        lines.append("no problems found")
    return "\n".join(lines) + "\n"


def _json(report: Report) -> str:
    data = asdict(report)
    data["healthy"] = not report.problems
    return json.dumps(data, indent=2) + "\n"


def run(args: argparse.Namespace) -> int:
    """``monomig doctor``: print the report; 0 healthy, 1 with problems, 2 for a -n that
    names no service."""
    from monomig.fleet import UsageError

    try:
        report = diagnose(args)
    except UsageError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    sys.stdout.write(_json(report) if getattr(args, "json", False) else _text(report))
    sys.stdout.flush()
    return 1 if report.problems else 0
