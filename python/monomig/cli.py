"""The ``monomig`` command: a drop-in superset of the ``alembic`` command.

``monomig [-c FILE] [-n NAME] [-x ARG] [--raiseerr] [-q] COMMAND ...`` accepts every
command and option of Alembic's command line, whose parser is mirrored from the data
in :mod:`monomig._alembic_cli` (generated from Alembic's ``CommandLine``; Alembic is
not imported to build it), and answers with Alembic's output and exit status:

- ``heads``, ``history`` (without ``-i`` or ``current``), ``branches`` and ``show``
  (except ``show current``) are answered here without importing Alembic or
  SQLAlchemy: the configuration through :func:`monomig.load_project`, the revision
  files through ``scan_revisions`` and the text from the Rust core. Whatever this
  fast path cannot reproduce exactly (warnings, revision files that fail to import,
  unreadable configuration, ``--raiseerr`` errors) is handed to Alembic instead, and
  so is every command on an Alembic older than 1.16 (its configuration rules differ
  from the Rust core's) or outside the supported range (:mod:`monomig._alembic_support`).
- every other Alembic command runs in-process through Alembic's own ``CommandLine``,
  with ``monomig.bridge`` activated when it is installed.
- monomig's own commands sit beside them: ``services``, and, with ``monomig.fleet``,
  ``status``, ``doctor``, the fleet ``check`` (``check --all``, or ``check`` with one of
  the fleet check's own options: ``-n`` after the command, ``--json``, ``--format``) and
  ``upgrade|downgrade|stamp --all``. ``check`` as stock ``alembic`` accepts it
  (``monomig [-n NAME] check``) is Alembic's check.

Exit statuses: Alembic's own where Alembic answers (``FAILED: ...`` exits 255);
monomig's commands 0 ok, 1 findings, 2 could not run; usage errors 2; Ctrl-C 130.
"""

from __future__ import annotations

# Only what every run needs is imported here: `monomig -n svc heads` must start fast.
# argparse, json, the fleet runner and Alembic are imported where they are used.
import os
import sys

import monomig
from monomig import _alembic_support, _importing, _native
from monomig._alembic_cli import SPEC as _GENERATED_SPEC
from monomig._values import mask as _mask
from monomig._values import parse_bool

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from types import ModuleType
    from typing import Any

#: Alembic's command line (generated): nested dicts and lists, read by key; that of the
#: installed Alembic (``_alembic_support.cli_spec``: options and help texts of its release).
SPEC: dict[str, Any] = _alembic_support.cli_spec(_GENERATED_SPEC)

PROG = "monomig"
ALEMBIC_VERSION: str = SPEC["alembic_version"]


def _fleet() -> ModuleType:
    """monomig's fleet runner (``status``, fleet ``check``, ``--all``), imported on use."""
    from monomig import fleet

    return fleet


#: Alembic commands answered without Alembic (see the module docstring).
FAST_COMMANDS = ("heads", "history", "branches", "show")
#: Alembic commands that gain the fleet form ``--all``.
FLEET_ALL_COMMANDS = ("upgrade", "downgrade", "stamp")

EPILOG = """\
monomig runs every Alembic command above exactly as `alembic` does (same output,
same exit status): heads, history, branches and show are answered by monomig's
Rust core without importing Alembic; the others run Alembic in-process.

monomig's own commands:
  services              list the services (ini sections) of the project
  doctor                check the project's setup: config, services, Alembic and
                        the bridge, scan cache, databases; exit 1 when something is wrong
{fleet}
exit status: Alembic's own for Alembic's commands (FAILED: ... exits 255);
monomig's commands 0 ok, 1 findings, 2 could not run; usage errors 2; Ctrl-C 130.
"""

FLEET_EPILOG = """\
  status                every service's database revision against its heads
  check --all           static CI checks of every service's revision files (fleet
                        check, no database; -n NAME after it narrows it); plain
                        `monomig [-n NAME] check` is Alembic's check (autogenerate:
                        do the models differ from the database?)
  upgrade|downgrade|stamp --all
                        run the command for every service (or those named with -n
                        after the command); without --all they are Alembic's
"""

ALL_EPILOG = """\
monomig: with --all this runs for every service of the project (or only those
named with -n/--name after the command) through monomig's fleet runner; without
--all it is Alembic's `{command}` for the service chosen by the global -n.
"""


# --------------------------------------------------------------------------- parser


def _add_spec_argument(parser: argparse.ArgumentParser, spec: dict[str, Any]) -> None:
    if spec["action"] == "help":
        return  # argparse adds -h/--help itself, in the same place
    kwargs: dict[str, Any] = {}
    flags = list(spec["flags"])
    if spec["action"] == "version":
        kwargs["action"] = "version"
        kwargs["version"] = f"%(prog)s {monomig.__version__} (alembic {ALEMBIC_VERSION} command line)"
    else:
        kwargs["action"] = spec["action"]
    for key in ("nargs", "default", "help", "metavar"):
        if key in spec:
            kwargs[key] = spec[key]
    if spec.get("type") == "str":
        kwargs["type"] = str
    if flags:
        if spec["action"] not in ("version", "help"):
            kwargs["dest"] = spec["dest"]
        parser.add_argument(*flags, **kwargs)
    else:
        parser.add_argument(spec["dest"], **kwargs)


def _alembic_subparser(sub: Any, command: dict[str, Any], **extra: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(command["name"], help=command["help"], **extra)
    for spec in command["arguments"]:
        _add_spec_argument(p, spec)
    p.set_defaults(alembic_command=command["name"])
    return p


def _commands() -> list[dict[str, Any]]:
    return list(SPEC["commands"])


ALEMBIC_CHECK_EPILOG = """\
monomig: this is Alembic's `check` for one service (the global -n NAME): whether
autogenerate finds differences between the models and the database. monomig's
static check of every service's revision files (several heads, missing parents,
cycles, ...; no database) is `monomig check --all [-n NAME] [--json] [--format github]`.
"""


def build_parser(fleet_check: bool = False) -> argparse.ArgumentParser:
    """monomig's parser: Alembic's (from the generated spec) plus monomig's commands.

    ``fleet_check`` chooses the fleet check over Alembic's ``check`` (see
    :func:`wants_fleet_check`).
    """
    import argparse

    fleet = _fleet()
    parser = argparse.ArgumentParser(
        prog=PROG,
        epilog=EPILOG.format(fleet=FLEET_EPILOG),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    for spec in SPEC["globals"]:
        _add_spec_argument(parser, spec)
    sub = parser.add_subparsers()

    for command in _commands():
        name = command["name"]
        if name == "check" and fleet_check:
            p = sub.add_parser(
                "check",
                help="with --all: monomig's static CI checks of every service's revisions; without: Alembic's check",
            )
            fleet.add_check_arguments(p)
            p.set_defaults(monomig_command="check")
            continue
        if name == "check":
            _alembic_subparser(
                sub, command, epilog=ALEMBIC_CHECK_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
            )
            continue
        if name in FLEET_ALL_COMMANDS:
            p = _alembic_subparser(
                sub,
                command,
                epilog=ALL_EPILOG.format(command=name),
                formatter_class=argparse.RawDescriptionHelpFormatter,
            )
            if name == "upgrade":
                # `upgrade --all` defaults to heads; without --all Alembic still requires it.
                for action in p._actions:
                    if action.dest == "revision":
                        action.nargs = "?"
                        action.default = None
            fleet.add_all_arguments(p, name)
            continue
        _alembic_subparser(sub, command)

    services = sub.add_parser(
        "services",
        help="list the services (ini sections) of the project (monomig)",
        description="List the services of alembic.ini: the sections `alembic -n NAME` can run.",
    )
    _add_config_args(services)
    services.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    services.set_defaults(monomig_command="services")

    doctor = sub.add_parser(
        "doctor",
        help="check the project's setup on one screen: config, services, Alembic and the bridge, "
        "scan cache, databases (monomig)",
    )
    _add_config_args(doctor)
    from monomig import doctor as _doctor

    _doctor.add_arguments(doctor)
    doctor.set_defaults(monomig_command="doctor")

    status = sub.add_parser(
        "status",
        help="every service's database revision against its heads (monomig)",
        description="Show, for every service, the revisions in its database and its heads.",
    )
    fleet.add_status_arguments(status)
    status.set_defaults(monomig_command="status")

    from monomig import commands

    for module in commands.modules():
        p = sub.add_parser(
            module.NAME,
            help=f"{module.HELP} (monomig)",
            description=module.DESCRIPTION,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(p)
        p.set_defaults(monomig_command=module.NAME, monomig_run=module.run)
    return parser


# ------------------------------------------------------------------- argv pre-scan

_GLOBAL_WITH_VALUE = ("-c", "--config", "-n", "--name", "-x")


def _prescan(argv: list[str]) -> tuple[str | None, bool]:
    """The command word of ``argv`` and whether the global ``-n/--name`` was given."""
    index, name_given = _command_index(argv)
    return (argv[index] if index is not None else None), name_given


#: The fleet check's own options (after ``check``); stock ``alembic check`` takes none of them.
FLEET_CHECK_OPTIONS = ("--all", "--name", "--json", "--format", "--strict")


def wants_fleet_check(argv: list[str]) -> bool:
    """Whether ``argv`` asks for monomig's fleet check: ``check --all``, or ``check`` with
    one of the fleet check's own options. Plain ``check`` (what stock ``alembic``
    accepts) stays Alembic's."""
    index, _ = _command_index(argv)
    if index is None or argv[index] != "check":
        return False
    for a in argv[index + 1 :]:
        if a == "--":
            break
        word = a.split("=", 1)[0]
        if a.startswith("-n") or (
            word.startswith("--") and len(word) > 2 and any(o.startswith(word) for o in FLEET_CHECK_OPTIONS)
        ):
            return True
    return False


def _command_index(argv: list[str]) -> tuple[int | None, bool]:
    """Where the command word of ``argv`` is, and whether the global ``-n/--name`` was given."""
    name_given = False
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            return (i + 1 if i + 1 < len(argv) else None), name_given
        if not a.startswith("-") or a == "-":
            return i, name_given
        if a in ("-n", "--name") or a.startswith("--name=") or (a.startswith("-n") and not a.startswith("--")):
            name_given = True
        if a in _GLOBAL_WITH_VALUE:
            i += 2
            continue
        if a.startswith("--") and "=" not in a:
            # a unique prefix of a long option taking a value (argparse allows abbreviations)
            matches = [o for o in ("--config", "--name") if o.startswith(a)]
            if len(matches) == 1:
                if matches[0] == "--name":
                    name_given = True
                i += 2
                continue
        i += 1
    return None, name_given


# ----------------------------------------------------------------------- services


def _add_config_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-c",
        "--config",
        action="append",
        dest="services_config",
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
    configs = list(getattr(args, "services_config", None) or []) + list(getattr(args, "config", None) or [])
    ini, toml = _native.config_paths(configs, os.environ.get("ALEMBIC_CONFIG"))
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
        import json

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


def _cmd_status(args: argparse.Namespace) -> int:
    return int(_fleet().run_status(args))


def _cmd_check(args: argparse.Namespace) -> int:
    return int(_fleet().run_check(args))


def _cmd_doctor(args: argparse.Namespace) -> int:
    from monomig import doctor

    return doctor.run(args)


COMMANDS = {
    "services": cmd_services,
    "doctor": _cmd_doctor,
    "status": _cmd_status,
    "check": _cmd_check,
}


# ------------------------------------------------------------------ Alembic itself


def delegate(argv: list[str]) -> int:
    """Run ``alembic ARGV`` in this process (bridge active) and return its exit status."""
    bridge: ModuleType | None
    try:
        from monomig import bridge
    except ImportError:
        bridge = None
    if bridge is not None:
        bridge.activate()
    from alembic.config import CommandLine

    try:
        CommandLine(prog=PROG).main(argv)
    except SystemExit as e:
        if e.code is None:
            return 0
        if isinstance(e.code, int):
            return e.code
        raise
    return 0


# -------------------------------------------------------------------- the fast path


class _Fallback(Exception):
    """The fast path cannot reproduce Alembic's answer exactly: hand over to Alembic."""


class _Failed(Exception):
    """A command error: printed as Alembic prints one (``FAILED: ...``, exit 255).

    Used where Alembic fails too, with this text or with a raw traceback.
    """


def _termwidth() -> int | None:
    try:
        import fcntl
        import struct
        import termios

        packed = fcntl.ioctl(0, termios.TIOCGWINSZ, struct.pack("HHHH", 0, 0, 0, 0))
        width = struct.unpack("HHHH", packed)[1]
        return width if width > 0 else None
    except (ImportError, OSError):
        return None


def _write(text: str) -> None:
    encoding = getattr(sys.stdout, "encoding", "ascii") or "ascii"
    text = text.encode(encoding, "replace").decode(encoding)
    try:
        sys.stdout.write(text)
    except OSError:
        pass


def _failed(message: str, quiet: bool) -> int:
    """``util.err``: ``FAILED: message`` on stdout (wrapped on a terminal), exit -1."""
    if not quiet:
        text = f"FAILED: {message}"
        width = _termwidth()
        if width is None:
            _write(text + "\n")
        else:
            import textwrap

            lines = textwrap.wrap(text, width, initial_indent="  ", subsequent_indent="  ")
            _write("\n".join(lines) + "\n")
    sys.stdout.flush()
    return 255


def _to_tuple(value: Any) -> tuple[Any, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    try:
        return tuple(value)
    except TypeError:
        return (value,)


def _import_revision(path: str) -> tuple[tuple[Any, ...], str | None]:
    """Import a revision file as Alembic does; its graph entry and docstring."""
    import importlib.util
    import re

    filename = os.path.basename(path)
    module_id = re.sub(r"\W", "_", filename)
    spec = importlib.util.spec_from_file_location(module_id, path)
    if spec is None or spec.loader is None:
        raise _Fallback(path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if hasattr(module, "revision"):
        revision = module.revision
    else:
        m = re.match(r"([a-f0-9]+)\.py$", filename)
        if not m:
            raise _Fallback(path)
        revision = m.group(1)
    down = _to_tuple(module.down_revision)
    labels = _to_tuple(getattr(module, "branch_labels", None))
    deps = _to_tuple(getattr(module, "depends_on", None))
    if not isinstance(revision, str) or not all(isinstance(x, str) for x in down + labels + deps):
        raise _Fallback(path)
    doc = module.__doc__
    if doc is not None and not isinstance(doc, str):
        raise _Fallback(path)
    return (revision, down, deps, labels, path), doc


def _answer(e: monomig.MonomigError, alembic_answers: type[monomig.MonomigError]) -> Exception:
    """What a core error means on the fast path: for ``alembic_answers`` errors, Alembic's
    own text (or a clear message where Alembic shows a traceback), printed as ``FAILED:``;
    any other error hands the command to Alembic."""
    return _Failed(str(e)) if isinstance(e, alembic_answers) else _Fallback(str(e))


_SILENT_WARNING = "No path_separator found in configuration"


def _load_graph(
    args: argparse.Namespace, option: str | None = None
) -> tuple[Any, list[str | _native.RevisionEntry | None], Any]:
    """The revision graph of the section ``args.name`` as Alembic's ScriptDirectory sees it.

    Returns (graph, docstrings, service); raises :class:`_Fallback` wherever Alembic
    would warn, fail or behave in a way this path does not reproduce.
    """
    import warnings

    try:
        ini, toml = _native.config_paths(list(args.config or []), os.environ.get("ALEMBIC_CONFIG"))
        project = monomig.load_project(ini, toml, allow_missing_ini=True, find_services=False)
        service = project.section(args.name)
    except monomig.MonomigError as e:
        raise _Fallback(str(e)) from None
    # Alembic's legacy path splitting warns with a DeprecationWarning, which Python
    # hides by default; any other warning (or a warnings filter) is Alembic's to show.
    shown = [w for w in [*project.warnings, *service.warnings] if not w.startswith(_SILENT_WARNING)]
    if shown or (sys.warnoptions and project.warnings + service.warnings):
        raise _Fallback("configuration warnings")
    location = service.script_location
    if not location or not os.access(location, os.F_OK):
        raise _Fallback("script_location")
    # Alembic reads revision_environment with SQLAlchemy's asbool (a word it does not
    # know raises there): anything but a false word is Alembic's to answer.
    if option is not None and parse_bool(service.options.get(option, "false")) is not False:
        raise _Fallback(option)
    try:
        entries, scan_warnings = _native.scan_revisions(
            list(service.version_locations),
            recursive=service.recursive_version_locations,
            sourceless=service.sourceless,
            search_path=_importing.search_path(service),
        )
    except monomig.MonomigError as e:
        raise _answer(e, monomig.ScriptError) from None
    if scan_warnings:
        raise _Fallback("scan warnings")
    if not _importing.import_allowed(service, False) and any(e.needs_import for e in entries):
        raise _Failed(_importing.refusal(service, [e for e in entries if e.needs_import]))
    rows: list[tuple[Any, ...] | _native.RevisionEntry] = []
    docs: list[str | _native.RevisionEntry | None] = []
    if not any(entry.needs_import for entry in entries):
        # Everything read statically: the graph and the reports take the entries
        # themselves (a docstring crosses into Python only if a line prints it).
        rows, docs = list(entries), list(entries)
        entries = []
    prepended = False
    for entry in entries:
        if entry.needs_import:
            if not prepended and service.prepend_sys_path:
                sys.path[:0] = list(service.prepend_sys_path)
                prepended = True
            try:
                row, doc = _import_revision(entry.path)
            except _Fallback:
                raise
            except Exception as e:  # noqa: BLE001 - Alembic answers this one itself
                raise _Fallback(repr(e)) from None
            rows.append(row)
            docs.append(doc)
            continue
        rows.append(entry)  # read statically: the graph takes the entry itself
        docs.append(entry.module_doc)
    from monomig.setorder import python_set_order

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            graph = monomig.RevisionGraph(rows, set_order=python_set_order())
        except monomig.MonomigError as e:
            raise _answer(e, monomig.RevisionError) from None
    if caught:
        raise _Fallback("graph warnings")
    return graph, docs, service


def _fast(command: str, args: argparse.Namespace) -> int | None:
    """Answer a graph command without Alembic; None to hand it over to Alembic."""
    if command == "show" and args.rev == "current":
        return None
    base = head = ""
    if command == "history":
        if args.indicate_current:
            return None
        if args.rev_range is not None:
            if ":" not in args.rev_range:
                return _failed_or_delegate("History range requires [start]:[end], [start]:, or :[end]", args)
            parts = args.rev_range.strip().split(":")
            if len(parts) != 2:
                # Alembic stops here with a ValueError traceback.
                return _failed_or_delegate(
                    "History range requires [start]:[end], [start]:, or :[end]; "
                    f"{args.rev_range!r} has more than one ':'",
                    args,
                )
            base, head = parts
            if "current" in (base, head):
                return None
    try:
        graph, docs, _ = _load_graph(args, "revision_environment" if command == "history" else None)
    except _Fallback:
        return None
    except _Failed as e:
        return _failed_or_delegate(str(e), args)
    try:
        if command == "heads":
            text = _native.report_heads(graph, docs, args.verbose, args.resolve_dependencies)
        elif command == "history":
            text = _native.report_history(graph, docs, base, head, args.verbose)
        elif command == "branches":
            text = _native.report_branches(graph, docs, args.verbose)
        else:
            text = _native.report_show(graph, docs, args.rev)
    except monomig.CommandError as e:
        return _failed_or_delegate(str(e), args)
    except monomig.MonomigError:
        return None
    if not args.quiet:
        _write(text)
    return 0


def _failed_or_delegate(message: str, args: argparse.Namespace) -> int | None:
    if args.raiseerr:
        return None  # Alembic raises the full traceback
    return _failed(message, args.quiet)


# ---------------------------------------------------------------------------- main


class _QuickArgs:
    """The parsed arguments of a command line :func:`_quick_parse` understood."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


def _quick_parse(argv: list[str]) -> _QuickArgs | None:
    """Parse the plain command lines of the fast commands without argparse.

    Accepts only the options of Alembic's parser (from the generated spec) written
    out in full, each with its value as the next word, then one of
    :data:`FAST_COMMANDS` with its own options and positional arguments. Anything
    else (abbreviations, ``--opt=value``, ``-h``, values that start with ``-``,
    ``--``, missing or extra words) returns None and is parsed by argparse. What it
    returns is what argparse returns for the same words (tests/test_cli_fast.py).
    """

    def options(specs: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, dict[str, Any]], list[str]]:
        values: dict[str, Any] = {}
        flags: dict[str, dict[str, Any]] = {}
        positionals: list[str] = []
        for spec in specs:
            action = spec["action"]
            if action in ("help", "version"):
                continue
            if action not in ("store", "append", "store_true") or "nargs" in spec:
                return {}, {}, ["?"]  # a form this parser does not know: argparse decides
            if not spec["flags"]:
                positionals.append(spec["dest"])
                continue
            values[spec["dest"]] = spec.get("default", False if action == "store_true" else None)
            for flag in spec["flags"]:
                flags[flag] = spec
        return values, flags, positionals

    def take(i: int, values: dict[str, Any], flags: dict[str, dict[str, Any]]) -> int | None:
        spec = flags.get(argv[i])
        if spec is None:
            return None
        if spec["action"] == "store_true":
            values[spec["dest"]] = True
            return i + 1
        if i + 1 >= len(argv) or argv[i + 1].startswith("-"):
            return None
        if spec["action"] == "append":
            values[spec["dest"]] = [*(values[spec["dest"]] or []), argv[i + 1]]
        else:
            values[spec["dest"]] = argv[i + 1]
        return i + 2

    values, flags, positionals = options(SPEC["globals"])
    if positionals:
        return None
    i = 0
    while i < len(argv) and argv[i].startswith("-"):
        nxt = take(i, values, flags)
        if nxt is None:
            return None
        i = nxt
    if i >= len(argv) or argv[i] not in FAST_COMMANDS:
        return None
    command = next(c for c in SPEC["commands"] if c["name"] == argv[i])
    own, own_flags, own_positionals = options(command["arguments"])
    if "?" in own_positionals:
        return None
    i += 1
    given: list[str] = []
    while i < len(argv):
        if argv[i].startswith("-"):
            nxt = take(i, own, own_flags)
            if nxt is None:
                return None
            i = nxt
        else:
            given.append(argv[i])
            i += 1
    if len(given) != len(own_positionals):
        return None
    values.update(own)
    values.update(zip(own_positionals, given, strict=False))
    values["alembic_command"] = command["name"]
    return _QuickArgs(values)


def _follows_installed_alembic() -> bool:
    """Whether monomig's own reading of the configuration (the Rust core: Alembic 1.16's
    rules for ``-c``, ``[tool.alembic]``, ``path_separator`` and ``%(here)s``) is the
    installed Alembic's. Before 1.16 those rules differ (docs/alembic-versions.md), and
    outside the supported range the bridge is off: Alembic itself answers then."""
    from monomig import _alembic_support

    return _alembic_support.check().supported and _alembic_support.at_least(1, 16)


def _alembic_command(argv: list[str], args: Any) -> int:
    """Alembic's command ``args.alembic_command``: the fast path, or Alembic itself."""
    if not _follows_installed_alembic():
        return delegate(argv)
    try:
        _native.config_paths(list(args.config or []), os.environ.get("ALEMBIC_CONFIG"))
    except monomig.MonomigError as e:
        # Alembic lets this CommandError escape as a traceback.
        if not args.raiseerr:
            return _failed(str(e), args.quiet)
    if args.alembic_command in FAST_COMMANDS:
        status = _fast(args.alembic_command, args)
        if status is not None:
            return status
    try:
        status = delegate(argv)
    except Exception:
        _hint(args)  # Alembic's own traceback follows, as stock Alembic shows it
        raise
    if status != 0:
        _hint(args)
    else:
        from monomig import _sumfile

        _sumfile.after_new_revision(args)  # a new revision file: the service's monomig.sum follows
    return status


def _hint(args: Any) -> None:
    """After Alembic's own failure, what monomig knows about its cause, on stderr (Alembic's
    stdout and exit status stay as they are): the alembic.ini of a parent folder when there is
    none here, the project's services when -n names none of them."""
    from monomig import _hints

    try:
        ini, toml = _native.config_paths(list(args.config or []), os.environ.get("ALEMBIC_CONFIG"))
    except monomig.MonomigError:
        return
    if os.path.exists(ini):
        hint = _hints.section_hint(ini, toml if os.path.exists(toml) else None, args.name)
    else:
        hint = _hints.config_hint(ini)
    if args.alembic_command == "check":
        also = (
            f"this was Alembic's check (autogenerate); monomig's static check of every service is `{PROG} check --all`."
        )
        hint = f"{hint} {also[0].upper()}{also[1:]}" if hint else also
    if hint:
        sys.stdout.flush()
        print(f"{PROG}: hint: {hint}", file=sys.stderr)


def _run(argv: list[str]) -> int:
    quick = _quick_parse(argv)
    if quick is not None:
        return _alembic_command(argv, quick)
    fleet_check = wants_fleet_check(argv)
    if fleet_check and _prescan(argv)[1]:
        print(
            f"{PROG}: error: the global -n NAME (before `check`) selects Alembic's check of one section, "
            f"which takes no options; for monomig's static check of some services put -n after it: "
            f"`{PROG} check --all -n NAME`.",
            file=sys.stderr,
        )
        return 2
    parser = build_parser(fleet_check=fleet_check)
    args = parser.parse_args(argv)
    monomig_command = getattr(args, "monomig_command", None)
    alembic_command = getattr(args, "alembic_command", None)
    if monomig_command is not None:
        try:
            run = COMMANDS.get(monomig_command) or args.monomig_run
            return int(run(args))
        except monomig.MonomigError as e:
            print(f"{PROG}: error: {e}", file=sys.stderr)
            return 2
    if alembic_command is None:
        parser.error("too few arguments")
    if alembic_command in FLEET_ALL_COMMANDS and getattr(args, "all", False):
        try:
            return int(_fleet().run_all(alembic_command, args))
        except monomig.MonomigError as e:
            print(f"{PROG}: error: {e}", file=sys.stderr)
            return 2
    return _alembic_command(argv, args)


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    status = 0
    try:
        status = _run(list(argv))
        sys.stdout.flush()
        return status
    except BrokenPipeError:
        # The reader went away (e.g. `monomig history | head`): not an error.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except OSError:
            pass
        return status
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
