"""The fleet commands over tenants: which targets a run covers, and how thousands of rows show.

- :func:`add_selection_arguments`: ``--tenant GLOB``, ``--shard I/N``, ``--shard-from-env`` with
  ``--shards N`` (``status``, ``upgrade|downgrade|stamp --all``, ``plan``);
- :func:`entries`: the services chosen with ``-n`` (``-n service/tenant`` too), each service with
  ``monomig.targets`` expanded into one entry per tenant (``service/tenant``), then narrowed to
  ``--tenant`` and to the shard;
- :func:`shard_index`: the shard of a database key (rendezvous hashing in the Rust core: all
  targets of one database in one shard);
- :class:`Progress`: a one-line progress bar on a terminal, nothing elsewhere;
- :func:`status_lines`: ``status``'s text for many tenants: counts by state, and the rows that
  are not up to date (``--json`` still gives every row).
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from typing import IO, Any

import monomig
from monomig import _native
from monomig._values import mask
from monomig.fleet import UsageError
from monomig.tenants import TARGETS, TARGETS_URL, Target, TenantError, resolve_targets, select, split_names

#: Past this many rows, the text of ``status`` and ``--all`` shows counts instead of a line each.
MANY = 40
SHARD_ENV = "JOB_COMPLETION_INDEX"


@dataclass
class Entry:
    """One row of a fleet command: a service, or one tenant of a service."""

    label: str  # "service" or "service/tenant"
    section: str
    spec: dict[str, Any]  # the _native.ServiceSpec; its name is the label
    target: Target | None = None
    error: str | None = None  # the service's targets could not be resolved


def add_selection_arguments(parser: Any) -> None:
    parser.add_argument(
        "--tenant",
        metavar="GLOB",
        help="only the tenants (targets of a service's monomig.targets) whose name matches GLOB; "
        "-n service/tenant names one",
    )
    parser.add_argument(
        "--shard",
        metavar="I/N",
        help="only shard I of N (0 <= I < N): a deterministic split of the targets keeping each "
        "database's targets together (see `monomig plan --shards N`)",
    )
    parser.add_argument(
        "--shard-from-env",
        action="store_true",
        help=f"the shard index comes from ${SHARD_ENV} (a Kubernetes Indexed Job); needs --shards N",
    )
    parser.add_argument("--shards", type=int, metavar="N", help="with --shard-from-env: the number of shards")


def shard_of_args(args: Any) -> tuple[int, int] | None:
    """(index, count) asked with ``--shard`` or ``--shard-from-env --shards``, or None."""
    text = getattr(args, "shard", None)
    from_env = getattr(args, "shard_from_env", False)
    shards = getattr(args, "shards", None)
    if text and from_env:
        raise UsageError("--shard and --shard-from-env both name the shard: use one of them")
    if from_env:
        if shards is None:
            raise UsageError("--shard-from-env needs --shards N (the Job's completions), to split the targets in N")
        raw = os.environ.get(SHARD_ENV)
        if raw is None or not raw.strip().isdigit():
            raise UsageError(
                f"--shard-from-env reads the shard index from ${SHARD_ENV}, which is "
                f"{'not set' if raw is None else repr(raw)}; run it in a Kubernetes Indexed Job or pass --shard I/N"
            )
        index, count = int(raw), shards
    elif text:
        i, sep, n = text.partition("/")
        if not sep or not i.strip().isdigit() or not n.strip().isdigit():
            raise UsageError(f"--shard {text!r}: expected I/N with whole numbers, e.g. --shard 0/4")
        index, count = int(i), int(n)
    elif shards is not None:
        raise UsageError("--shards N goes with --shard-from-env; for one shard pass --shard I/N")
    else:
        return None
    if count < 1:
        raise UsageError(f"the number of shards must be at least 1, not {count}")
    if not 0 <= index < count:
        raise UsageError(f"shard index {index} is out of range for {count} shards (0 to {count - 1})")
    return index, count


def database_key(spec: dict[str, Any]) -> str:
    """What keeps targets together in one shard: the database (no password), else the label."""
    url = spec.get("url")
    if url:
        try:
            return _native.database_identity(url, spec.get("base_dir"))
        except monomig.MonomigError:
            pass
    return f"name:{spec['name']}"


def shard_indexes(entries: list[Entry], count: int) -> list[int]:
    return list(_native.shards_of([database_key(e.spec) for e in entries], count))


def _targets_of(project: monomig.Project, svc: monomig.Service, spec: dict[str, Any], timeout: float) -> list[Target]:
    option = svc.options.get(TARGETS)
    assert option is not None
    return resolve_targets(
        svc.name,
        option,
        url=spec.get("url"),
        targets_url=svc.options.get(TARGETS_URL),
        here=os.path.dirname(os.path.abspath(project.config_file)),
        base_dir=spec.get("base_dir"),
        timeout=timeout,
    )


def entries(
    project: monomig.Project,
    names: list[str] | None,
    args: Any,
    select_services: Any,
    service_spec: Any,
    timeout: float = 5.0,
) -> list[Entry]:
    """The rows a fleet command works on (see the module docstring)."""
    services_asked, tenants_asked = split_names(names)
    pattern = getattr(args, "tenant", None)
    shard = shard_of_args(args)
    out: list[Entry] = []
    for svc in select_services(project, services_asked):
        spec = service_spec(project, svc)
        if not svc.options.get(TARGETS):
            if svc.name in tenants_asked:
                raise UsageError(
                    f"-n {svc.name}/{sorted(tenants_asked[svc.name])[0]} names a tenant, and service {svc.name!r} "
                    f"has no {TARGETS} in its section: name the service alone"
                )
            if pattern is None:
                out.append(Entry(svc.name, svc.name, spec))
            continue
        try:
            targets = select(_targets_of(project, svc, spec, timeout), tenants_asked.get(svc.name), pattern)
        except TenantError as e:
            message = mask(str(e))
            bad = dict(spec, url=None, url_error=message)
            out.append(Entry(svc.name, svc.name, bad, error=message))
            continue
        for t in targets:
            tspec = dict(spec, name=t.label, url=t.url, url_error=None)
            if t.schema is not None:
                tspec["version_table_schema"] = t.schema
            out.append(Entry(t.label, svc.name, tspec, target=t))
    if shard is not None:
        index, count = shard
        out = [e for e, s in zip(out, shard_indexes(out, count), strict=True) if s == index]
    return out


def has_tenants(rows: list[Entry]) -> bool:
    return any(e.target is not None for e in rows)


class Progress:
    """``done/total`` with a bar and counts, redrawn in place on a terminal; silent elsewhere."""

    def __init__(self, total: int, out: IO[str], what: str) -> None:
        self.total = total
        self.out = out
        self.what = what
        self.counts: Counter[str] = Counter()
        self.on = total > 0 and hasattr(out, "isatty") and out.isatty()

    def add(self, result: str) -> None:
        self.counts[result] += 1
        self.draw()

    def draw(self) -> None:
        if not self.on:
            return
        done = sum(self.counts.values())
        width = 30
        fill = int(width * done / max(self.total, 1))
        counts = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(self.counts.items()))
        self.out.write(f"\r{self.what} [{'#' * fill}{'.' * (width - fill)}] {done}/{self.total} {counts}\x1b[K")
        self.out.flush()

    def close(self) -> None:
        if self.on:
            self.out.write("\n")
            self.out.flush()


def counts_line(states: list[str]) -> str:
    c = Counter(states)
    return ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(c.items(), key=lambda kv: (-kv[1], kv[0])))


def status_lines(items: list[dict[str, Any]], label: Any, limit: int = 20) -> list[str]:
    """``status`` text for many rows: per service the counts by state, then the rows that are
    not up to date (at most ``limit`` of them; ``--json`` has all)."""
    by_service: dict[str, list[dict[str, Any]]] = {}
    for s in items:
        by_service.setdefault(s["service"].split("/", 1)[0], []).append(s)
    lines = []
    for service, rows in by_service.items():
        noun = "target" if len(rows) == 1 else "targets"
        lines.append(f"{service}: {len(rows)} {noun}: {counts_line([r['state'] for r in rows])}")
    others = [s for s in items if s["state"] != "up_to_date"]
    if others:
        lines.append("")
        for s in others[:limit]:
            why = f": {s['error']}" if s.get("error") else ""
            lines.append(f"{s['service']}: {label(s)}{why}")
        if len(others) > limit:
            lines.append(f"... and {len(others) - limit} more not up to date (all rows: --json)")
    return lines


__all__ = [
    "MANY",
    "Entry",
    "Progress",
    "add_selection_arguments",
    "entries",
    "has_tenants",
    "shard_of_args",
    "status_lines",
]


# --------------------------------------------------------------------------- rollout


def add_rollout_arguments(group: Any) -> None:
    """``--max-connections``, ``--canary``, ``--max-failures``, ``--on-error`` for ``--all``."""
    group.add_argument(
        "--max-connections",
        type=int,
        default=None,
        metavar="N",
        help="at most N database connections at once across all targets, so on each server too (each "
        "running target holds two: its migration lock's and env.py's); bounds --jobs",
    )
    group.add_argument(
        "--canary",
        type=int,
        default=0,
        metavar="K",
        help="run K targets first, and start no other when one of them fails",
    )
    group.add_argument(
        "--max-failures",
        type=int,
        default=None,
        metavar="K",
        help="start no new target after K failures (the running ones finish)",
    )
    group.add_argument(
        "--on-error",
        choices=("continue", "stop"),
        default="continue",
        help="after a failure, go on with the other targets (default) or start no new one (as --fail-fast)",
    )


@dataclass
class Rollout:
    """When the runner may start another target: the connection budget, the canaries, the
    failure budget."""

    max_running: int | None = None  # from --max-connections
    canary: int = 0
    max_failures: int | None = None
    stop_on_error: bool = False
    started: int = 0
    canaries_open: int = 0
    canary_failed: bool = False
    failures: int = 0
    stop_reason: str | None = None

    @classmethod
    def from_args(cls, a: dict[str, Any]) -> Rollout:
        conns = a.get("max_connections")
        if conns is not None and conns < 2:
            raise UsageError(
                "--max-connections must be at least 2 (a running target holds its lock's connection and env.py's)"
            )
        canary = a.get("canary") or 0
        if canary < 0:
            raise UsageError("--canary must be 0 or more")
        max_failures = a.get("max_failures")
        if max_failures is not None and max_failures < 1:
            raise UsageError("--max-failures must be at least 1")
        return cls(
            max_running=None if conns is None else conns // 2,
            canary=canary,
            max_failures=max_failures,
            stop_on_error=a.get("on_error") == "stop",
        )

    def may_start(self, running: int) -> bool:
        if self.stop_reason is not None:
            return False
        if self.max_running is not None and running >= self.max_running:
            return False
        if self.canary and self.started >= self.canary and self.canaries_open:
            return False  # the canaries first
        return True

    def on_start(self) -> bool:
        """Count a start; True when it is a canary."""
        self.started += 1
        is_canary = self.started <= self.canary
        if is_canary:
            self.canaries_open += 1
        return is_canary

    def on_finish(self, failed: bool, was_canary: bool) -> None:
        if was_canary:
            self.canaries_open -= 1
        if not failed:
            return
        self.failures += 1
        if was_canary:
            self.stop_reason = f"not started: a canary failed (--canary {self.canary})"
        elif self.max_failures is not None and self.failures >= self.max_failures:
            self.stop_reason = f"not started after {self.failures} failures (--max-failures {self.max_failures})"
        elif self.stop_on_error:
            self.stop_reason = "not started after an earlier failure (--on-error stop)"


def run_summary_lines(items: list[dict[str, Any]], limit: int = 20) -> list[str]:
    """The end of ``--all`` over many targets: counts by result, then each failure (at most
    ``limit``; ``--json`` has every row)."""
    lines = [f"{len(items)} targets: {counts_line([i['result'] for i in items])}"]
    bad = [i for i in items if i["result"] not in ("done", "up_to_date")]
    for i in bad[:limit]:
        lines.append(f"{i['service']}: {i['result'].replace('_', ' ')}: {i['error'] or ''}".rstrip(": "))
    if len(bad) > limit:
        lines.append(f"... and {len(bad) - limit} more (all rows: --json)")
    return lines
