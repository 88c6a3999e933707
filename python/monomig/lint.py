"""``monomig lint``: every selected service's revisions, rendered offline by Alembic
(:mod:`monomig._lint_render`, one process per service), checked by the Rust rules
(``monomig._native.lint_service``, src/lint/), printed as text, JSON, GitHub
annotations or SARIF.

Section options read here: ``monomig.lint.disable`` and ``monomig.lint.error``
(comma- or space-separated rule ids), ``monomig.lock_timeout`` and
``monomig.statement_timeout`` (the bridge sets them at run time, so they satisfy the
timeout rules). Exit status: 0 no finding at error severity, 1 some, 2 could not run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import monomig
from monomig import _native
from monomig._values import mask

PROG = "monomig"
DISABLE = "monomig.lint.disable"
ERROR = "monomig.lint.error"
LOCK_TIMEOUT = "monomig.lock_timeout"
STATEMENT_TIMEOUT = "monomig.statement_timeout"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


class LintError(monomig.MonomigError):
    """``monomig lint`` could not run (a bad git ref, a service without a URL, ...)."""


def rules() -> list[dict[str, Any]]:
    """Every rule: id, severity, dialects, squawk, summary, why, fix."""
    return list(json.loads(_native.lint_rules()))


def _words(value: str | None) -> list[str]:
    return [w for w in (value or "").replace(",", " ").split() if w]


def _range(rev_range: str | None) -> tuple[str, str | None]:
    """``REV_RANGE`` as Alembic's ``upgrade --sql`` reads it: ``[FROM:]TO``."""
    if not rev_range:
        return "heads", None
    if ":" in rev_range:
        current, _, destination = rev_range.partition(":")
        return destination or "heads", current or None
    return rev_range, None


def changed_files(since: str, cwd: str) -> list[str]:
    """Absolute paths of the files changed (committed, staged, in the work tree or new)
    since the git ref ``since``, in the repository around ``cwd``."""

    def git(*args: str) -> str:
        try:
            done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
        except OSError as e:
            raise LintError(f"--since {since}: cannot run git ({e}); install git or lint without --since") from None
        if done.returncode != 0:
            why = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit status {done.returncode}"
            raise LintError(f"--since {since}: git {' '.join(args)} failed in {cwd}: {why}")
        return done.stdout

    top = git("rev-parse", "--show-toplevel").strip()
    git("rev-parse", "--verify", "--quiet", f"{since}^{{commit}}")
    names = git("diff", "--name-only", "--no-renames", since, "--").splitlines()
    names += git("ls-files", "--others", "--exclude-standard").splitlines()
    return [os.path.join(top, n) for n in names if n]


def _dialect(url: str | None) -> str | None:
    if not url or "://" not in url:
        return None
    return url.split("://", 1)[0].split("+", 1)[0]


def lint_service(
    ini: str,
    toml: str | None,
    svc: monomig.Service,
    url: str | None,
    rev_range: str | None,
    only_paths: list[str] | None,
) -> tuple[list[dict[str, Any]], str | None, int]:
    """The findings of one service, an error message when it could not be linted, and
    the number of revisions linted."""
    dialect = _dialect(url)
    if dialect is None:
        return [], f"service {svc.name!r}: no database URL to take the SQL dialect from", 0
    destination, current = _range(rev_range)
    job = {
        "ini": ini,
        "toml": toml,
        "service": svc.name,
        "dialect": dialect,
        "destination": destination,
        "current": current,
        "only_paths": only_paths,
        "cwd": os.getcwd(),
    }
    done = subprocess.run(
        [sys.executable, "-m", "monomig._lint_render"],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        answer = json.loads(done.stdout)
    except ValueError:
        tail = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        return [], f"service {svc.name!r}: rendering its revisions failed: {mask(tail)}", 0
    if "error" in answer:
        return [], f"service {svc.name!r}: {mask(answer['error'])}", 0
    options = svc.options
    request = {
        "service": svc.name,
        "dialect": dialect,
        "lock_timeout": bool(options.get(LOCK_TIMEOUT, "").strip()),
        "statement_timeout": bool(options.get(STATEMENT_TIMEOUT, "").strip()),
        "disable": _words(options.get(DISABLE)),
        "error": _words(options.get(ERROR)),
        "revisions": answer["revisions"],
    }
    try:
        found = json.loads(_native.lint_service(json.dumps(request)))
    except ValueError as e:
        return [], f"{e} (in {ini})", len(answer["revisions"])
    for f in found:
        f["message"] = mask(f["message"])
        if f.get("statement"):
            f["statement"] = mask(f["statement"])
    return found, None, len(answer["revisions"])


def run(
    configs: list[str],
    toml_file: str | None,
    names: list[str] | None,
    rev_range: str | None,
    since: str | None,
) -> tuple[list[dict[str, Any]], list[str], int, int]:
    """Lint the selected services: (findings, errors, services, revisions)."""
    from monomig.fleet import load_project, select_services

    project = load_project(configs, toml_file)
    selected = select_services(project, names)
    only = changed_files(since, os.path.dirname(os.path.abspath(project.config_file))) if since else None
    findings: list[dict[str, Any]] = []
    errors: list[str] = []
    total = 0
    for found, error, count in lint_services(configs, toml_file, project, selected, rev_range, only):
        findings += found
        total += count
        if error:
            errors.append(error)
    return findings, errors, len(selected), total


def lint_services(
    configs: list[str],
    toml_file: str | None,
    project: monomig.Project,
    selected: list[monomig.Service],
    rev_range: str | None = None,
    only_paths: list[str] | None = None,
) -> list[tuple[list[dict[str, Any]], str | None, int]]:
    """:func:`lint_service` for each of ``selected`` (in that order), a few at a time:
    what ``monomig lint`` and ``monomig report --lint`` run."""
    from monomig.fleet import service_spec

    ini, toml = _native.config_paths(configs, os.environ.get("ALEMBIC_CONFIG"))
    jobs = [(svc, service_spec(project, svc)["url"]) for svc in selected]
    with ThreadPoolExecutor(max_workers=max(1, min(len(jobs), os.cpu_count() or 2))) as pool:
        return list(pool.map(lambda j: lint_service(ini, toml_file or toml, j[0], j[1], rev_range, only_paths), jobs))


# --------------------------------------------------------------------------- output


def _rel(path: str) -> str:
    return os.path.relpath(path) if os.path.isabs(path) else path


def text(findings: list[dict[str, Any]]) -> str:
    out = []
    for f in findings:
        out.append(
            f"{_rel(f['path'])}:{f['line']}: {f['severity']} {f['rule']} [{f['service']} {f['revision']}]: "
            f"{f['message']}"
        )
        if f.get("statement"):
            out.append(f"    {f['statement']}")
        out.append(f"    fix: {f['fix']}")
    return "\n".join(out) + ("\n" if out else "")


def github(findings: list[dict[str, Any]]) -> str:
    from monomig.fleet import _gh_escape

    level = {"error": "error", "warning": "warning", "info": "notice"}
    out = []
    for f in findings:
        title = _gh_escape(f"monomig lint {f['rule']} ({f['service']})", prop=True)
        body = f["message"] + (f"\n{f['statement']}" if f.get("statement") else "") + f"\nfix: {f['fix']}"
        out.append(
            f"::{level[f['severity']]} file={_gh_escape(_rel(f['path']), True)},line={f['line']},"
            f"title={title}::{_gh_escape(body)}"
        )
    return "\n".join(out) + ("\n" if out else "")


def sarif(findings: list[dict[str, Any]]) -> str:
    level = {"error": "error", "warning": "warning", "info": "note"}
    table = rules()
    index = {r["id"]: i for i, r in enumerate(table)}
    doc = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "monomig lint",
                        "version": _native.__version__,
                        "informationUri": "https://github.com/monomig/monomig/blob/main/docs/lint.md",
                        "rules": [
                            {
                                "id": r["id"],
                                "shortDescription": {"text": r["summary"]},
                                "fullDescription": {"text": r["why"]},
                                "help": {"text": r["fix"]},
                                "defaultConfiguration": {"level": level[r["severity"]]},
                            }
                            for r in table
                        ],
                    }
                },
                "results": [
                    {
                        "ruleId": f["rule"],
                        "ruleIndex": index[f["rule"]],
                        "level": level[f["severity"]],
                        "message": {"text": f"{f['message']} ({f['service']} {f['revision']}). Fix: {f['fix']}"},
                        "locations": [
                            {
                                "physicalLocation": {
                                    "artifactLocation": {"uri": _rel(f["path"]).replace(os.sep, "/")},
                                    "region": {"startLine": f["line"]},
                                }
                            }
                        ],
                    }
                    for f in findings
                ],
            }
        ],
    }
    return json.dumps(doc, indent=2) + "\n"
