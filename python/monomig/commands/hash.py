"""``monomig hash``: write each service's ``monomig.sum``."""

from __future__ import annotations

import argparse

NAME = "hash"
HELP = "write each service's monomig.sum, the checksums of its revision files"
DESCRIPTION = """\
Write monomig.sum in each service's first version location: a header line with a hash
over every line, then one line per revision file (its path and the SHA-256 of its
contents, line endings normalised) in the service's upgrade order. Commit it: `monomig
check --all` then reports revision files edited, renamed or deleted after they were
hashed, and two branches that each add a revision conflict in monomig.sum at merge time.
The drop-in `monomig revision` and `monomig merge` update an existing sum themselves.

  monomig hash                # every service
  monomig hash -n orders      # one service (repeat -n for more)

Exit status 0, or 2 when a sum could not be written."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from monomig import fleet

    fleet.add_service_filter(parser)
    parser.add_argument("--json", action="store_true", help="print a JSON list, one object per service")


def run(args: argparse.Namespace) -> int:
    from monomig import fleet

    return fleet._guard(_run, args)


def _run(args: argparse.Namespace) -> int:
    import json
    import os

    from monomig import _sumfile, fleet

    project = fleet._load_project(args)
    fleet.warn_project(project)
    done = []
    for svc in fleet.select_services(project, getattr(args, "services", None)):
        w = _sumfile.write(svc)
        done.append({"service": svc.name, **w})
    if args.json:
        print(json.dumps(done, indent=2))
    else:
        for d in done:
            what = "written" if d["changed"] else "unchanged"
            print(f"{d['service']}: {os.path.relpath(d['path'])} {what} ({d['files']} revision files)")
    return 0
