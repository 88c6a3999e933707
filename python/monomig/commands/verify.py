"""``monomig verify``: drift between each database and the revision files."""

from __future__ import annotations

import argparse

NAME = "verify"
HELP = "report applied revisions whose files changed or vanished, and steps that died half-way"
DESCRIPTION = """\
For each service's database, compare what ran (the version table and the ledger table
monomig writes beside it, see docs/ledger.md) with the revision files now:

  changed_after_apply   an applied revision whose file changed since it ran (both hashes, when)
  missing_file          an applied revision no file defines
  partial_apply         a step left running by a process that is gone, with what to do
  applied_without_ledger  (information) an applied revision the ledger has no row of

  monomig verify                 # every service
  monomig verify -n orders --json

Exit status 0 when clean, 1 with findings, 2 when a database could not be read."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from monomig import fleet

    fleet.add_service_filter(parser)
    parser.add_argument("--json", action="store_true", help="print a JSON list of findings")


def run(args: argparse.Namespace) -> int:
    from monomig import fleet

    return fleet._guard(_run, args)


def _run(args: argparse.Namespace) -> int:
    import json
    import sys

    from monomig import _drift, fleet

    project = fleet._load_project(args)
    fleet.warn_project(project)
    services = fleet.select_services(project, getattr(args, "services", None))
    found = _drift.verify(project, services)
    broken = [f for f in found if f["code"] == "could_not_verify"]
    failing = _drift.blocking(found)
    if args.json:
        print(json.dumps(found, indent=2))
    else:
        for f in found:
            print(f"{f['service']}: {f['code']}: {f['message']}")
        n = len(failing) - len(broken)
        summary = "no findings" if not n else f"{n} finding{'s' if n != 1 else ''}"
        if broken:
            summary += f", {len(broken)} service{'s' if len(broken) != 1 else ''} could not be verified"
        print(
            f"monomig verify: {len(services)} service{'s' if len(services) != 1 else ''}, {summary}",
            file=sys.stderr if failing else sys.stdout,
        )
    if broken:
        return 2
    return 1 if failing else 0
