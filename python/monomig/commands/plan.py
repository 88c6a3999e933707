"""``monomig plan --shards N``: which targets each shard of a sharded run covers.

The split is the one ``--shard I/N`` and ``--shard-from-env --shards N`` use (rendezvous
hashing of each target's database: a database's targets share a shard, and adding a
database moves no other); no database is migrated, only the targets are listed (which
reads the servers for ``schemas:``/``databases:``/``query:`` targets).
"""

from __future__ import annotations

from typing import Any

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

NAME = "plan"
HELP = "show how --shard I/N splits the services and tenants over N shards"
DESCRIPTION = (
    "Show which targets (services, and the tenants of services with monomig.targets) each of N shards runs "
    "with `--all --shard I/N` or `--shard-from-env --shards N`: all targets of one database in one shard, "
    "and adding a database moves no other. Example: `monomig plan --shards 4 --json`. Exit status 0, "
    "or 2 when the targets cannot be listed."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--shards", type=int, required=True, metavar="N", help="the number of shards")
    parser.add_argument(
        "-n",
        "--name",
        dest="services",
        action="append",
        metavar="NAME",
        help="only this service (or service/tenant); may be repeated",
    )
    parser.add_argument("--tenant", metavar="GLOB", help="only the tenants whose name matches GLOB")
    parser.add_argument("--json", action="store_true", help="print a JSON list, one object per shard")


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from monomig import _fanout
    from monomig.fleet import UsageError, _load_project, select_services, service_spec, warn_project

    shards = args.shards
    if shards < 1:
        print(f"monomig: error: --shards must be at least 1, not {shards}", file=sys.stderr)
        return 2
    project = _load_project(args)
    warn_project(project)
    selection = {"tenant": args.tenant}
    try:
        rows = _fanout.entries(project, args.services, _Args(selection), select_services, service_spec)
    except UsageError as e:
        print(f"monomig: error: {e}", file=sys.stderr)
        return 2
    index = _fanout.shard_indexes(rows, shards)
    plan: list[dict[str, Any]] = []
    for i in range(shards):
        mine = [r for r, s in zip(rows, index, strict=True) if s == i]
        plan.append(
            {
                "shard": i,
                "targets": [r.label for r in mine],
                "databases": len({_fanout.database_key(r.spec) for r in mine}),
                "errors": [{"service": r.label, "error": r.error} for r in mine if r.error],
            }
        )
    if args.json:
        sys.stdout.write(json.dumps(plan, indent=2) + "\n")
    else:
        for p in plan:
            n = len(p["targets"])
            first = ", ".join(p["targets"][:5]) + (", ..." if n > 5 else "")
            print(
                f"shard {p['shard']}/{shards}: {n} target{'s' if n != 1 else ''} on {p['databases']} "
                f"database{'s' if p['databases'] != 1 else ''}{': ' + first if n else ''}"
            )
        for p in plan:
            for bad in p["errors"]:
                print(f"{bad['service']}: error: {bad['error']}", file=sys.stderr)
    sys.stdout.flush()
    return 2 if any(p["errors"] for p in plan) else 0


class _Args:
    """The selection options ``_fanout.entries`` reads (no shard: every shard is shown)."""

    def __init__(self, values: dict[str, object]) -> None:
        self.__dict__.update(values)
