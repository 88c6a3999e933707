"""``monomig report --html FILE``: one self-contained HTML page of the whole fleet.

The data is what ``monomig status``, ``monomig check --all`` and ``monomig graph --status``
give (the same functions); the page is :mod:`monomig.html_report`. The last run of each
service comes from the ledger when this monomig has one (``monomig._ledger``, see
:func:`last_runs`).
"""

from __future__ import annotations

import argparse

TYPE_CHECKING = False
if TYPE_CHECKING:
    from monomig import Project, Service
    from monomig.html_report import Finding

NAME = "report"
HELP = "write one self-contained HTML page of every service: state, graph, check findings"
DESCRIPTION = """\
Write one self-contained HTML file (no network, no external assets: it opens from a CI
artifact) with every service's state, pending revisions, database (password masked) and
last run, each service's revision graph as inline SVG with its database's revision
marked, and the findings of `monomig check --all` (with --lint, those of `monomig lint`
too: rule, severity, file:line, statement and fix); a filter box and sortable tables; light
and dark; printable. Reads revision files without importing them and every version table
at once, like `monomig status`.

examples:
  monomig report --html fleet.html
  monomig report --html orders.html -n orders --full
  monomig report --html fleet.html --lint

exit status: 0 when the page was written (whatever it shows); 2 when it could not be."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from monomig.fleet import add_service_filter

    parser.add_argument("--html", metavar="FILE", required=True, help="write the page to FILE")
    add_service_filter(parser)
    parser.add_argument("--full", action="store_true", help="draw every revision: do not collapse linear runs")
    parser.add_argument(
        "--connect-timeout",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="give up on a database after this long (default 5)",
    )
    parser.add_argument("--title", default="monomig fleet report", help="the page's title")
    parser.add_argument(
        "--lint",
        action="store_true",
        help="also run `monomig lint` on the services shown and list its findings "
        "(renders every revision through Alembic: seconds per service)",
    )


def check_findings(project: Project, services: list[Service]) -> list[Finding]:
    """``monomig check --all`` for these services, as the page shows them."""
    import os

    from monomig import _native, fleet
    from monomig._values import mask
    from monomig.html_report import Finding

    names = {s.name for s in services}
    all_specs = [fleet.service_spec(project, s, with_url=False) for s in project.services.values()]
    specs = [s for s in all_specs if s["name"] in names]
    found = [
        Finding(name, "not_a_service", project.config_file, mask(why))
        for name, why in project.not_services
        if len(names) == len(project.services)
    ]
    for f in _native.fleet_check(specs, all_specs):
        path = f.get("path")
        where = os.path.relpath(path) if path else project.config_file
        if f.get("line"):
            where += f":{f['line']}"
        found.append(Finding(f["service"], f["code"], where, mask(f["message"])))
    return found


def lint_findings(
    args: argparse.Namespace, project: Project, services: list[Service]
) -> tuple[list[Finding], dict[str, int], dict[str, str]]:
    """``monomig lint`` for these services (:func:`monomig.lint.lint_services`, the same
    run): the findings as the page shows them, their count per service, and why a service
    could not be linted."""
    from monomig import lint
    from monomig.html_report import Finding

    results = lint.lint_services(
        list(getattr(args, "config", None) or []), getattr(args, "toml_file", None), project, services
    )
    found: list[Finding] = []
    counts: dict[str, int] = {}
    errors: dict[str, str] = {}
    for svc, (findings, error, _) in zip(services, results, strict=True):
        if error:
            errors[svc.name] = error
            continue
        counts[svc.name] = len(findings)
        for f in findings:
            found.append(
                Finding(
                    f["service"],
                    f["rule"],
                    f"{lint._rel(f['path'])}:{f['line']}",
                    f"{f['message']} [{f['revision']}]",
                    source="lint",
                    severity=f["severity"],
                    statement=f.get("statement"),
                    fix=f.get("fix"),
                )
            )
    return found, counts, errors


def last_runs(project: Project, services: list[Service], skip: set[str]) -> tuple[dict[str, str], str]:
    """The last ledger step of each service (``when: revision direction outcome``) and a note
    for the page. The hook for the ledger: used only when ``monomig._ledger`` exists (with its
    ``service_table(svc)`` and ``read_rows(conn, table, schema, service=...)``). Services in
    ``skip`` (their database did not answer ``status``) are not asked again."""
    import importlib.util

    if importlib.util.find_spec("monomig._ledger") is None:
        return {}, "this monomig has no ledger (monomig._ledger), so no last run is shown."
    try:
        import sqlalchemy as sa

        from monomig import _ledger, fleet  # type: ignore[attr-defined, unused-ignore]
    except ImportError as e:
        return {}, f"the ledger cannot be read here ({e})."
    from monomig._values import mask

    runs: dict[str, str] = {}
    problems: list[str] = []
    for svc in services:
        spec = fleet.service_spec(project, svc)
        if spec["url"] is None or svc.name in skip:
            continue
        try:
            _, table, schema = _ledger.service_table(svc)
            engine = sa.create_engine(spec["url"], poolclass=sa.pool.NullPool)
            try:
                with engine.connect() as conn:
                    rows = _ledger.read_rows(conn, table, schema, service=svc.name)
            finally:
                engine.dispose()
        except Exception as e:  # noqa: BLE001 - any driver error: say so on the page and go on
            problems.append(f"{svc.name}: {mask(str(e)).splitlines()[0] if str(e) else type(e).__name__}")
            continue
        if rows:
            r = rows[0]
            runs[svc.name] = f"{r['started_at']}: {r['revision']} {r['direction']} {r['outcome']}"
    note = "from each service's ledger" + (f"; not readable for {'; '.join(problems)}" if problems else "") + "."
    return runs, note


def run(args: argparse.Namespace) -> int:
    import datetime
    import os
    import sys

    import monomig
    from monomig import _native, fleet, html_report
    from monomig._values import mask
    from monomig.commands import graph

    try:
        project = fleet.load_project(list(getattr(args, "config", None) or []), getattr(args, "toml_file", None))
        fleet.warn_project(project)
        services = fleet.select_services(project, graph.chosen_names(args))
        specs = [fleet.service_spec(project, s) for s in services]
        statuses = {s["service"]: s for s in fleet.fleet_status(specs, timeout=args.connect_timeout)}
        findings = check_findings(project, services)
        lint_found, lint_counts, lint_errors = lint_findings(args, project, services) if args.lint else ([], {}, {})
    except (fleet.UsageError, monomig.MonomigError) as e:
        print(f"monomig: error: {mask(str(e))}", file=sys.stderr)
        return 2
    unanswered = {name for name, st in statuses.items() if st["state"] in ("unreachable", "error")}
    runs, ledger_note = last_runs(project, services, unanswered)
    per_service: dict[str, int] = {}
    for f in findings:  # the check findings; lint's are counted in their own column
        per_service[f.service] = per_service.get(f.service, 0) + 1
    rows = []
    for i, (svc, loaded) in enumerate(zip(services, graph.load_graphs(services), strict=True)):
        st = statuses[svc.name]
        svg = graph_error = None
        if isinstance(loaded, graph.GraphError):
            graph_error = mask(str(loaded))
        else:
            name, g, messages = loaded
            mark = (list(st["current"]), graph.state_label(st))
            try:
                svg = _native.render_graphs([(name, g, messages, mark)], "svg", full=args.full, id_prefix=f"s{i}-")
            except monomig.MonomigError as e:
                graph_error = mask(str(e))
        rows.append(
            html_report.ServiceRow(
                name=svc.name,
                state=st["state"],
                state_label=graph.state_label(st),
                current=list(st["current"]),
                heads=list(st["heads"]),
                pending=st["pending"],
                database=st["database"],
                last_run=runs.get(svc.name),
                error=mask(st["error"]) if st.get("error") else None,
                svg=svg,
                graph_error=graph_error,
                findings=per_service.get(svc.name, 0),
                lint=lint_counts.get(svc.name),
                lint_error=lint_errors.get(svc.name),
            )
        )
    page = html_report.build(
        html_report.Report(
            title=args.title,
            config_file=project.config_file,
            generated=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            version=monomig.__version__,
            services=rows,
            findings=findings + lint_found,
            ledger_note=ledger_note,
            linted=args.lint,
        )
    )
    try:
        with open(args.html, "w", encoding="utf-8") as out:
            out.write(page)
    except OSError as e:
        print(
            f"monomig: error: cannot write {args.html}: {e.strerror}; give a writable path to --html", file=sys.stderr
        )
        return 2
    linted = f", {len(lint_found)} lint finding(s)" if args.lint else ""
    if lint_errors:
        linted += f" ({len(lint_errors)} service(s) not linted: {', '.join(sorted(lint_errors))})"
    print(
        f"monomig report: {len(rows)} service(s), {len(findings)} finding(s){linted} written to "
        f"{os.path.abspath(args.html)}",
        file=sys.stderr,
    )
    return 0
