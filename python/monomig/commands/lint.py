"""``monomig lint``: catch the revision that would lock production before it merges."""

from __future__ import annotations

import argparse
import sys

NAME = "lint"
HELP = "lint each revision's upgrade SQL (rendered offline by Alembic) for locking and breaking changes"
DESCRIPTION = (
    "Render every selected service's upgrade SQL offline through Alembic (each revision's statements "
    "apart, the dialect of the service's URL), parse it and report what would lock or break production: "
    "indexes built without CONCURRENTLY, constraints validated under lock, NOT NULL columns without "
    "defaults, type changes, renames, drops, missing lock_timeout, MySQL/MariaDB table copies, SQLite "
    "batch recreates, ... (docs/lint.md lists every rule). Each finding names the revision file and the "
    "line of the op.* call. Silence one with `# monomig: allow[rule_id] reason` on that line (or at the "
    "top of the file); turn rules off or raise them to errors per section with monomig.lint.disable / "
    "monomig.lint.error. Exit status 0 no finding at error severity, 1 some, 2 could not run.\n\n"
    "examples:\n"
    "  monomig lint                      every service, every revision\n"
    "  monomig lint -n orders ae10:head  the revisions after ae10 of one service\n"
    "  monomig lint --since origin/main  what a pull request adds\n"
    "  monomig lint --format sarif > lint.sarif"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from monomig.fleet import add_service_filter

    add_service_filter(parser)
    parser.add_argument(
        "rev_range",
        nargs="?",
        metavar="REV_RANGE",
        help="[FROM:]TO as for `alembic upgrade --sql` (default: base to heads)",
    )
    parser.add_argument(
        "--since",
        metavar="GITREF",
        help="only the revisions whose files changed since this git ref (committed, staged, unstaged or new)",
    )
    parser.add_argument("--json", action="store_true", help="print the findings as a JSON list")
    parser.add_argument(
        "--format",
        choices=("text", "github", "sarif"),
        default="text",
        help="'github': GitHub Actions annotations; 'sarif': SARIF 2.1.0 for code scanning",
    )
    parser.add_argument("--rules", action="store_true", help="list every rule (id, severity, dialects, summary)")


def run(args: argparse.Namespace) -> int:
    import json

    from monomig import lint
    from monomig.fleet import PROG, UsageError

    if args.rules:
        for r in lint.rules():
            print(f"{r['id']:<36} {r['severity']:<8} {r['dialects']:<28} {r['summary']}")
        return 0
    try:
        findings, errors, services, revisions = lint.run(
            list(getattr(args, "config", None) or []),
            getattr(args, "toml_file", None),
            getattr(args, "services", None),
            args.rev_range,
            args.since,
        )
    except UsageError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    for error in errors:
        print(f"{PROG} lint: error: {error}", file=sys.stderr)
    if args.json:
        sys.stdout.write(json.dumps(findings, indent=2) + "\n")
    elif args.format == "github":
        sys.stdout.write(lint.github(findings))
    elif args.format == "sarif":
        sys.stdout.write(lint.sarif(findings))
    else:
        sys.stdout.write(lint.text(findings))
        counts = {s: sum(1 for f in findings if f["severity"] == s) for s in ("error", "warning", "info")}
        summary = ", ".join(f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items() if n) or "no findings"
        print(
            f"{PROG} lint: {services} service{'s' if services != 1 else ''}, {revisions} revision"
            f"{'s' if revisions != 1 else ''}, {summary}",
            file=sys.stderr if findings else sys.stdout,
        )
    sys.stdout.flush()
    if errors:
        return 2
    return 1 if any(f["severity"] == "error" for f in findings) else 0
