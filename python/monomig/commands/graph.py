"""``monomig graph``: each service's revision graph as Mermaid, Graphviz DOT or SVG.

The pictures are drawn by the Rust core (``_native.render_graphs``, ``src/render/``) from
the revision files read without importing them; :func:`load_graphs` and
:func:`database_marks` are also what ``monomig report --html`` draws from.
"""

from __future__ import annotations

import argparse

TYPE_CHECKING = False
if TYPE_CHECKING:
    from monomig import Project, RevisionGraph, Service

    #: A service's name, graph and each revision's message, as ``render_graphs`` takes them.
    Loaded = tuple[str, RevisionGraph, list[str | None]]

NAME = "graph"
HELP = "draw each service's revision graph as Mermaid, Graphviz DOT or SVG"
DESCRIPTION = """\
Draw each service's revision graph: revisions with short ids and messages, branch points,
merges, branch labels, depends_on edges (dashed, apart from the down_revision edges) and
heads. Long linear runs collapse into one node with a count unless --full. With --status,
each database's current revision is marked (read as `monomig status` reads it). Revision
files are read without importing them; neither Alembic nor SQLAlchemy is imported.

examples:
  monomig graph                          # Mermaid of every service (GitHub renders it)
  monomig graph -n orders --format dot | dot -Tpng > orders.png
  monomig graph --format svg -o graph.svg --status
  monomig graph -n orders --since ae1027a6acf   # that revision and what follows it

exit status: 0 drawn; 2 when a service's revisions cannot be read or resolved, or
--since names no revision of a service."""

FORMATS = ("mermaid", "dot", "svg")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from monomig.fleet import add_service_filter

    add_service_filter(parser)
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="mermaid",
        help="mermaid (default; for Markdown and pull requests), dot (Graphviz) or svg (laid out by monomig)",
    )
    parser.add_argument(
        "--since",
        metavar="REV",
        help="draw only REV (an id, a unique prefix or a branch label) and the revisions after it",
    )
    parser.add_argument("--full", action="store_true", help="draw every revision: do not collapse linear runs")
    parser.add_argument(
        "--status",
        action="store_true",
        help="mark where each service's database stands (reads every version table, like `monomig status`)",
    )
    parser.add_argument(
        "--connect-timeout",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="with --status: give up on a database after this long (default 5)",
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")


def chosen_names(args: argparse.Namespace) -> list[str] | None:
    """The services named with ``-n`` after the command, else with the global ``-n`` before it
    (``monomig -n orders graph``; its default, ``alembic``, names none), else None (all)."""
    if args.services:
        return list(args.services)
    name = getattr(args, "name", None)
    return [name] if name and name != "alembic" else None


class GraphError(Exception):
    """A service whose graph cannot be drawn (printed as one paragraph, exit status 2)."""


def load_graph(service: Service) -> tuple[RevisionGraph, list[str | None]]:
    """A service's ``RevisionGraph`` and each revision's message, read without importing."""
    import warnings

    import monomig
    from monomig import _native

    try:
        entries, _warnings = _native.scan_revisions(
            list(service.version_locations),
            recursive=service.recursive_version_locations,
            sourceless=service.sourceless,
        )
    except monomig.MonomigError as e:
        raise GraphError(f"service {service.name!r}: reading its revision files failed: {e}") from None
    for entry in entries:
        if entry.needs_import:
            raise GraphError(
                f"service {service.name!r}: the revision file {entry.path} cannot be read without importing it "
                f"({entry.reason}); monomig graph never imports revision files. Write its revision, "
                "down_revision, branch_labels and depends_on as plain literals."
            )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            graph = monomig.RevisionGraph(entries)
        except monomig.MonomigError as e:
            raise GraphError(
                f"service {service.name!r}: its revisions do not form a graph Alembic accepts: {e} "
                f"(`monomig check --all -n {service.name}` names the files)."
            ) from None
    return graph, [entry.doc for entry in entries]


def load_graphs(services: list[Service]) -> list[Loaded | GraphError]:
    """For each service, ``(name, graph, messages)`` or the :class:`GraphError` saying why not."""
    out: list[Loaded | GraphError] = []
    for svc in services:
        try:
            graph, messages = load_graph(svc)
        except GraphError as e:
            out.append(e)
        else:
            out.append((svc.name, graph, messages))
    return out


def state_label(status: dict[str, object]) -> str:
    """A service's state in the words of ``monomig status``."""
    from monomig.fleet import STATE_LABELS

    state = str(status["state"])
    if state == "behind":
        return f"behind by {status['pending']}"
    return STATE_LABELS.get(state, state)


def database_marks(project: Project, services: list[Service], timeout: float = 5.0) -> dict[str, tuple[list[str], str]]:
    """Per service name: the revisions in its database and its state, from ``monomig status``'s
    read. A database that cannot be read has no revisions and says why in its state."""
    from monomig import fleet

    specs = [fleet.service_spec(project, s) for s in services]
    marks: dict[str, tuple[list[str], str]] = {}
    for s in fleet.fleet_status(specs, timeout=timeout):
        label = state_label(s)
        if s["state"] in ("unreachable", "error"):
            label += " (where it stands is unknown)"
        marks[s["service"]] = (list(s["current"]), label)
    return marks


def run(args: argparse.Namespace) -> int:
    import os
    import sys

    import monomig
    from monomig import _native, fleet
    from monomig._values import mask

    try:
        project = fleet.load_project(list(getattr(args, "config", None) or []), getattr(args, "toml_file", None))
        fleet.warn_project(project)
        services = fleet.select_services(project, chosen_names(args))
    except fleet.UsageError as e:
        print(f"monomig: error: {e}", file=sys.stderr)
        return 2
    loaded = load_graphs(list(services))
    failed = [x for x in loaded if isinstance(x, GraphError)]
    for problem in failed:
        print(f"monomig: error: {mask(str(problem))}", file=sys.stderr)
    drawable = [x for x in loaded if not isinstance(x, GraphError)]
    marks = database_marks(project, list(services), args.connect_timeout) if args.status else {}
    try:
        text = _native.render_graphs(
            [(name, graph, messages, marks.get(name)) for name, graph, messages in drawable],
            args.format,
            full=args.full,
            since=args.since,
        )
    except monomig.MonomigError as e:
        print(f"monomig: error: {mask(str(e))}", file=sys.stderr)
        return 2
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as f:
                f.write(text)
        except OSError as e:
            print(f"monomig: error: cannot write {args.output}: {e.strerror}", file=sys.stderr)
            return 2
        print(f"monomig graph: {len(drawable)} service(s) drawn to {os.path.abspath(args.output)}", file=sys.stderr)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    return 2 if failed else 0
