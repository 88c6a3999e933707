"""``monomig log``: the ledger of every service, newest first."""

from __future__ import annotations

import argparse

NAME = "log"
HELP = "show the ledger: every step applied to the services' databases, newest first"
DESCRIPTION = """\
Read the ledger table monomig writes beside each service's version table (one row per
upgrade, downgrade or stamp step: when, how long, outcome, error, who, versions) and
print it across services, newest first. See docs/ledger.md.

  monomig log                    # every service, the last 20 steps
  monomig log -n orders --limit 100
  monomig log --json

Exit status 0, or 2 when a database could not be read."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from monomig import fleet

    fleet.add_service_filter(parser)
    parser.add_argument("--limit", type=int, default=20, metavar="N", help="at most N rows (default 20; 0: all)")
    parser.add_argument("--json", action="store_true", help="print a JSON list of rows")


def run(args: argparse.Namespace) -> int:
    from monomig import fleet

    return fleet._guard(_run, args)


def _run(args: argparse.Namespace) -> int:
    import json
    import sys

    import sqlalchemy as sa

    from monomig import _ledger, fleet
    from monomig._values import mask

    project = fleet._load_project(args)
    fleet.warn_project(project)
    rows: list[dict] = []
    status = 0
    for svc in fleet.select_services(project, getattr(args, "services", None)):
        spec = fleet.service_spec(project, svc)
        if spec["url"] is None:
            print(f"monomig: error: service {svc.name!r}: {spec['url_error']}", file=sys.stderr)
            status = 2
            continue
        _, table, schema = _ledger.service_table(svc)
        try:
            engine = sa.create_engine(spec["url"], poolclass=sa.pool.NullPool)
            try:
                with engine.connect() as conn:
                    found = _ledger.read_rows(conn, table, schema, service=svc.name)
            finally:
                engine.dispose()
        except Exception as e:  # noqa: BLE001 - any driver error: say which service and go on
            print(f"monomig: error: service {svc.name!r}: cannot read its ledger: {mask(str(e))}", file=sys.stderr)
            status = 2
            continue
        rows += found or []
    rows.sort(key=lambda r: (r["started_at"], r["id"]), reverse=True)
    if args.limit > 0:
        rows = rows[: args.limit]
    if args.json:
        print(json.dumps(rows, indent=2))
        return status
    if not rows:
        print("no steps recorded")
        return status
    table_rows = [("started (UTC)", "service", "step", "revision", "outcome", "took", "by")]
    for r in rows:
        took = "-" if r["duration_ms"] is None else f"{r['duration_ms'] / 1000:.2f}s"
        table_rows.append(
            (
                r["started_at"][:19].replace("T", " "),
                r["service"],
                r["direction"],
                r["revision"],
                r["outcome"],
                took,
                f"{r['run_user']}@{r['run_host']}",
            )
        )
    for line in fleet.table(table_rows):
        print(line)
    for r in rows:
        if r["outcome"] == "failed" and r["error"]:
            print(f"\n{r['service']} {r['revision']} failed: {r['error']}")
    return status
