"""The ``monomig`` command.

Each command is a subcommand registered in :data:`COMMANDS` (name -> function
taking the parsed arguments and returning an exit status) with its arguments
added by :func:`build_parser`. Every :class:`monomig.MonomigError` is printed as
``monomig: error: <message>`` on stderr with exit status 2, never as a traceback.

This module imports only argparse, json, sys, os and monomig, so that the
command starts fast; Alembic and SQLAlchemy are never imported here.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import monomig
from monomig import _native

PROG = "monomig"


def _mask(value: str) -> str:
    return _native.mask_password(value)


def _add_config_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-c",
        "--config",
        action="append",
        metavar="FILE",
        help="alternate config file; defaults to the ALEMBIC_CONFIG environment variable, or "
        '"alembic.ini". May also name a pyproject.toml; may be given twice to name both',
    )
    parser.add_argument(
        "--toml-file",
        metavar="FILE",
        help="the pyproject.toml whose [tool.alembic] fills in options missing from the ini file "
        "(default: pyproject.toml in the working directory)",
    )


def load_project_from_args(args: argparse.Namespace) -> monomig.Project:
    """The project named by ``-c`` (zero, one or two times), ``--toml-file`` and ALEMBIC_CONFIG."""
    ini, toml = _native.config_paths(list(args.config or []), os.environ.get("ALEMBIC_CONFIG"))
    if getattr(args, "toml_file", None):
        toml = args.toml_file
    return monomig.load_project(ini, toml)


def cmd_services(args: argparse.Namespace) -> int:
    """List the services of the project."""
    project = load_project_from_args(args)
    for warning in project.warnings:
        print(f"{PROG}: warning: {_mask(warning)}", file=sys.stderr)
    services = list(project.services.values())
    if args.json:
        out = [
            {
                "name": s.name,
                "script_location": s.script_location,
                "version_locations": s.version_locations,
                "options": {k: _mask(v) for k, v in s.options.items()},
            }
            for s in services
        ]
        sys.stdout.write(json.dumps(out, indent=2) + "\n")
        return 0
    if not services:
        print(f"no services in {project.config_file}")
        return 0
    rows = [("SERVICE", "SCRIPT_LOCATION", "VERSION_LOCATIONS")]
    rows += [(s.name, s.script_location, ", ".join(s.version_locations)) for s in services]
    width0 = max(len(r[0]) for r in rows)
    width1 = max(len(r[1]) for r in rows)
    for name, location, versions in rows:
        print(f"{name:<{width0}}  {location:<{width1}}  {versions}".rstrip())
    return 0


def _fleet_all(command: str):
    def run(args: argparse.Namespace) -> int:
        from monomig import fleet

        if not args.all:
            print(f"{PROG}: error: only `{PROG} {command} --all` is available here", file=sys.stderr)
            return 2
        return fleet.run_all(command, args)

    return run


def _fleet(name: str):
    def run(args: argparse.Namespace) -> int:
        from monomig import fleet

        return getattr(fleet, name)(args)

    return run


COMMANDS = {
    "services": cmd_services,
    "status": _fleet("run_status"),
    "check": _fleet("run_check"),
    "upgrade": _fleet_all("upgrade"),
    "downgrade": _fleet_all("downgrade"),
    "stamp": _fleet_all("stamp"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Fast, safe Alembic migrations for monorepos.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {monomig.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    services = sub.add_parser(
        "services",
        help="list the services (ini sections) of the project",
        description="List the services of alembic.ini: the sections `alembic -n NAME` can run.",
    )
    _add_config_args(services)
    services.add_argument("--json", action="store_true", help="print a JSON list instead of a table")

    from monomig import fleet

    for name, add in (("status", fleet.add_status_arguments), ("check", fleet.add_check_arguments)):
        p = sub.add_parser(name, help=f"monomig {name} for every service")
        _add_config_args(p)
        add(p)
    for name in ("upgrade", "downgrade", "stamp"):
        p = sub.add_parser(name, help=f"{name} every service (--all)")
        _add_config_args(p)
        p.add_argument("-x", action="append")
        p.add_argument("revision", nargs="?")
        p.add_argument("--sql", action="store_true")
        p.add_argument("--tag")
        if name == "stamp":
            p.add_argument("--purge", action="store_true")
        fleet.add_all_arguments(p, name)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    command = COMMANDS.get(args.command or "")
    if command is None:
        parser.print_usage(sys.stderr)
        print(f"{PROG}: error: a command is required (one of: {', '.join(COMMANDS)})", file=sys.stderr)
        return 2
    try:
        return command(args)
    except monomig.MonomigError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (e.g. `monomig services | head`): not an error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
