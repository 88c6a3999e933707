"""``monomig test``: every service's migrations tested on throwaway databases."""

from __future__ import annotations

import argparse

NAME = "test"
HELP = "test every service's migrations on throwaway databases (single head, upgrade, models, stairway)"
DESCRIPTION = """\
Test every service's migrations (or those named with -n) on a throwaway database of its
own: a temporary SQLite file, or a fresh database on the server of the service's URL
(or of --url), dropped afterwards, even on Ctrl-C. Services run in parallel.

checks (--only to choose, in this order):
  single_head   one head (or as many as monomig.test.heads allows)
  upgrade       base to heads, the failing revision named
  models_match  Alembic's `check` at heads: the models match the migrated schema
  roundtrip     heads -> base -> heads leaves the schema identical
  stairway      each revision up, down, up: the schema after its downgrade is the
                schema before its upgrade (tables, columns, indexes, constraints, enums)

section options: monomig.test.skip (revisions the stairway does not go down),
monomig.test.minimum_downgrade (the lowest revision downgrades are tested to),
monomig.test.heads, monomig.test.data (a module of data hooks).

examples:
  monomig test                          # every service, each on its own backend
  monomig test -n orders --only stairway --backend sqlite
  monomig test --url postgresql://ci@db/postgres --junit migrations.xml

exit status: 0 every check passed, 1 a check failed, 2 a service could not be tested.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from monomig.fleet import add_service_filter
    from monomig.migtest.worker import CHECKS

    add_service_filter(parser)
    parser.add_argument(
        "--backend",
        choices=("sqlite", "postgresql", "mysql"),
        help="test on this backend (default: the backend of each service's own URL; "
        "postgresql/mysql use the server of the service's URL unless --url names one)",
    )
    parser.add_argument(
        "--url", metavar="URL", help="a server to create the throwaway databases on (its database part is not used)"
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=CHECKS,
        metavar="TEST",
        help=f"run only this check; may be repeated ({', '.join(CHECKS)})",
    )
    parser.add_argument(
        "-j", "--jobs", type=int, metavar="N", help="services tested at once (default: CPUs, within --max-connections)"
    )
    parser.add_argument(
        "--max-connections",
        type=int,
        default=8,
        metavar="N",
        help="database connections open at once, all services together (default 8)",
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--junit", metavar="FILE", help="also write the results as JUnit XML to FILE")
    parser.add_argument("-v", "--verbose", action="store_true", help="show Alembic's output for every service")


def run(args: argparse.Namespace) -> int:
    import sys

    from monomig import fleet
    from monomig.migtest import report
    from monomig.migtest.runner import Runner, ServiceResult, sigterm_as_interrupt

    if args.backend and args.url:
        from monomig.migtest.throwaway import backend_of

        if backend_of(args.url) != args.backend:
            raise fleet.UsageError(
                f"--backend {args.backend} and --url {fleet.mask(args.url)} name two backends; pass one of them"
            )
    try:
        project = fleet.load_project(list(getattr(args, "config", None) or []), getattr(args, "toml_file", None))
        services = fleet.select_services(project, args.services)
    except fleet.UsageError as e:
        print(f"monomig: error: {e}", file=sys.stderr)
        return 2
    fleet.warn_project(project)

    def progress(r: ServiceResult) -> None:
        if not args.json:
            print("\n".join(report.service_lines(r, args.verbose)), flush=True)

    runner = Runner(
        project,
        services,
        checks=args.only or report.CHECKS,
        backend=args.backend,
        url=args.url,
        jobs=args.jobs,
        max_connections=args.max_connections,
        on_result=progress,
    )
    if not args.json:
        backends = ", ".join(sorted({s["backend"] for s in runner.specs})) or "-"
        print(
            f"monomig test: {len(runner.specs)} service{'s' if len(runner.specs) != 1 else ''} on {backends}, "
            f"{runner.jobs} at once; checks: {', '.join(runner.checks)}",
            file=sys.stderr,
            flush=True,
        )
    restore = sigterm_as_interrupt()
    try:
        results = runner.run()
    except KeyboardInterrupt:
        print("monomig: interrupted; the throwaway databases were dropped", file=sys.stderr)
        return 130
    finally:
        restore()
        for leftover in runner.leftovers:
            print(f"monomig: warning: {leftover}", file=sys.stderr)
    if args.junit:
        with open(args.junit, "wb") as f:
            f.write(report.junit(results))
    if args.json:
        print(report.as_json(results))
    else:
        print()
        print("\n".join(report.summary(results)))
    return report.exit_status(results)
