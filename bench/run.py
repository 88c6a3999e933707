"""monomig's benchmark: stock Alembic and monomig on the same work, side by side.

    python bench/run.py                      # every row; writes bench/results/latest.{md,json}
    python bench/run.py --quick              # small repositories, one run each (a smoke test)
    python bench/run.py --only heads,current --reps 5

Each row runs stock Alembic and monomig alternately (A B A B ...) in the same run,
after one warm-up run of each, and reports the median and the minimum of each side,
the ratio of the medians and whether it meets the row's target. Every command is a
child process whose wall time and peak memory (ru_maxrss from os.wait4) are taken;
database resets and setups between runs are not timed.

A row whose monomig side does not exist yet (the `monomig` command rejects the
sub-command, `import monomig` installs no Alembic bridge, `monomig._native` has no
`bench_scan`) is reported as "n/a (not built yet)". A monomig side that runs but
prints something else than stock Alembic, or leaves the databases in another state,
is reported as FAIL whatever its speed.

Run from the virtualenv that has both `alembic` and `monomig` installed (`make bench`
does this); the commands are taken from that virtualenv's bin folder.
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
import importlib.metadata
import json
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate
import migtest

ROOT = generate.ROOT
RESULTS = ROOT / "bench" / "results"
BIN = Path(sys.executable).parent
HASH_SEED = "0"  # Alembic iterates sets in a few places: keep its output comparable run to run

REPO_LABELS = {  # repositories not made by generate.RepoSpec
    "tenants": "tenant schemas",
    "migtest": "{s} service x {n:,}",
    "migtest_fleet": "{s} services x {n:,}",
    "migtest_demo": "the demo monorepo",
}


def repo_label(spec: generate.RepoSpec) -> str:
    """How the table names a repository: its shape and size."""
    if len(spec.services) > 1:
        return f"{len(spec.services):,} services x {spec.revisions:,}"
    if not spec.merge_every:
        return f"{spec.revisions:,} linear"
    label = f"{spec.revisions:,}, a merge every {spec.merge_every}"
    if spec.label_every:
        label += f", a branch label every {spec.label_every} branches"
    return label


# ---------------------------------------------------------------------------
# Rows


@dataclass(frozen=True)
class Row:
    key: str
    work: str
    repo: str  # a role of generate.FULL / generate.QUICK
    kind: str  # "cli": two commands; "bridge": one Alembic command, with and without `import monomig`;
    #            "scan": in-process; "memory": peak RSS of another row's runs
    stock: tuple[str, ...] = ()  # command template; "{svc}" is each service in turn
    monomig: tuple[str, ...] = ()
    per_service: bool = False  # the stock command runs once per service, sequentially
    state: str = "any"  # "head": bring to head first; "empty": fresh databases before every run
    target: float | None = None  # None: shown for context only
    compare_output: bool = True
    monomig_env: tuple[tuple[str, str], ...] = ()  # extra environment of the monomig side
    stock_env: tuple[tuple[str, str], ...] = ()  # extra environment of the stock side
    stock_bridged: bool = False  # "bridge" rows: the stock side runs with the bridge too
    full: bool = False  # only with --full (`make bench-full`): long rows
    reps: int = 0  # at least this many runs per side (not with --quick): ratios near 1 need many
    stock_sample: int = 0  # per_service stock on the first N services only, its time scaled to all
    of: tuple[str, ...] = ()  # "memory": the row whose runs it reads; "growth": (small row, large row)
    label_sets: bool = False  # compare outputs with each printed label set sorted (see sorted_label_sets)
    note: str = ""  # shown under the table


def _small_rows(n: int) -> tuple[Row, ...]:
    """`import monomig` must never make a small repository slower: three bridged commands on
    ``n`` revisions, many runs each (ratios near 1 need them)."""
    heads_note = (
        "`alembic heads` does not run env.py, so `import monomig` never happens: both sides run the same "
        "code (same instruction count under callgrind) and the ratio is 1.0 within noise; context, no target"
    )
    repo = f"small_{n}"
    return (
        Row(
            f"small-current-{n}",
            "`alembic -n svc current` with `import monomig` vs stock",
            repo,
            "bridge",
            ("alembic", "-n", "{svc}", "current"),
            state="head",
            target=1,
            reps=21,
        ),
        Row(
            f"small-upgrade-noop-{n}",
            "`alembic -n svc upgrade head`, nothing to do, with `import monomig` vs stock",
            repo,
            "bridge",
            ("alembic", "-n", "{svc}", "upgrade", "head"),
            state="head",
            target=1,
            reps=21,
        ),
        Row(
            f"small-heads-{n}",
            "`alembic -n svc heads` with `import monomig` vs stock",
            repo,
            "bridge",
            ("alembic", "-n", "{svc}", "heads"),
            reps=21,
            note=heads_note,
        ),
    )


ROWS: tuple[Row, ...] = (
    Row(
        "heads",
        "`monomig -n svc heads` vs `alembic -n svc heads`",
        "linear",
        "cli",
        ("alembic", "-n", "{svc}", "heads"),
        ("monomig", "-n", "{svc}", "heads"),
        target=20,
    ),
    Row(
        "history",
        "`monomig -n svc history` vs `alembic -n svc history`",
        "merges",
        "cli",
        ("alembic", "-n", "{svc}", "history"),
        ("monomig", "-n", "{svc}", "history"),
        target=30,
    ),
    Row(
        "current",
        "`alembic -n svc current` with `import monomig` vs stock",
        "linear",
        "bridge",
        ("alembic", "-n", "{svc}", "current"),
        state="head",
        target=10,
    ),
    Row(
        "upgrade-noop",
        "`alembic -n svc upgrade head`, nothing to do, with `import monomig` vs stock",
        "linear",
        "bridge",
        ("alembic", "-n", "{svc}", "upgrade", "head"),
        state="head",
        target=2.5,
    ),
    Row(
        "upgrade-empty",
        "`alembic -n svc upgrade head` from an empty SQLite file, with `import monomig` vs stock",
        "merges",
        "bridge",
        ("alembic", "-n", "{svc}", "upgrade", "head"),
        state="empty",
        target=1.5,
    ),
    Row(
        "status",
        "`monomig status` vs sequential `alembic -n svc current` for every service",
        "fleet",
        "cli",
        ("alembic", "-n", "{svc}", "current"),
        ("monomig", "status"),
        per_service=True,
        state="head",
        target=20,
        compare_output=False,
    ),
    Row(
        "upgrade-all-noop",
        "`monomig upgrade --all`, nothing to do, vs sequential `alembic -n svc upgrade head`",
        "fleet",
        "cli",
        ("alembic", "-n", "{svc}", "upgrade", "head"),
        ("monomig", "upgrade", "--all"),
        per_service=True,
        state="head",
        target=5,
        compare_output=False,
    ),
    Row(
        "upgrade-all-empty",
        "`monomig upgrade --all` from empty vs sequential `alembic -n svc upgrade head`",
        "fleet",
        "cli",
        ("alembic", "-n", "{svc}", "upgrade", "head"),
        ("monomig", "upgrade", "--all"),
        per_service=True,
        state="empty",
        target=1.5,
        compare_output=False,
    ),
    Row(
        "heads-cold",
        "`monomig -n svc heads` without the scan cache (`MONOMIG_CACHE=0`: every file read and "
        "parsed, as on a first run) vs `alembic -n svc heads`",
        "linear",
        "cli",
        ("alembic", "-n", "{svc}", "heads"),
        ("monomig", "-n", "{svc}", "heads"),
        monomig_env=(("MONOMIG_CACHE", "0"),),
        target=20,
    ),
    Row(
        "heads-1000",
        "`monomig -n svc heads` vs `alembic -n svc heads`",
        "linear_small",
        "cli",
        ("alembic", "-n", "{svc}", "heads"),
        ("monomig", "-n", "{svc}", "heads"),
    ),
    Row(
        "current-1000",
        "`alembic -n svc current` with `import monomig` vs stock",
        "linear_small",
        "bridge",
        ("alembic", "-n", "{svc}", "current"),
        state="head",
    ),
    Row(
        "scan",
        "Rust scan + parse + graph build (`monomig._native.bench_scan`) vs reading the files' bytes",
        "merges",
        "scan",
        target=5,
    ),
    Row(
        "memory",
        "peak memory (max RSS): `monomig -n svc heads` vs `alembic -n svc heads`",
        "linear",
        "memory",
        target=1,
        of=("heads",),
    ),
    Row(
        "graph-mermaid",
        "`monomig -n svc graph --full` (Mermaid, every revision) vs `alembic -n svc history`",
        "merges",
        "cli",
        ("alembic", "-n", "{svc}", "history"),
        ("monomig", "-n", "{svc}", "graph", "--full"),
        compare_output=False,
    ),
    Row(
        "graph-svg",
        "`monomig -n svc graph --format svg --full` (laid out) vs `alembic -n svc history`",
        "merges",
        "cli",
        ("alembic", "-n", "{svc}", "history"),
        ("monomig", "-n", "{svc}", "graph", "--format", "svg", "--full"),
        compare_output=False,
    ),
    # PostgreSQL tenant schemas (bench/tenants_bench.py): a Dispatch-style env.py looping over them vs monomig
    Row(
        "tenants-status",
        "`monomig status` of tenant schemas vs a Dispatch-style loop of `alembic current` in one env.py",
        "tenants",
        "tenants",
        target=2,
        compare_output=False,
    ),
    Row(
        "tenants-upgrade",
        "`monomig upgrade --all --jobs 4` of tenant schemas by one revision vs the "
        "Dispatch-style sequential loop in one env.py",
        "tenants",
        "tenants",
        compare_output=False,
    ),
    # monomig lint (docs/lint.md): render + rules for 1,000 revisions vs the usual glue, Alembic's offline SQL
    # piped into squawk (exit 1 is squawk's "findings", an answer; 2 and up, or Alembic failing, is a failure)
    Row(
        "lint-1000",
        "`monomig lint -n svc` vs `alembic -n svc upgrade base:head --sql` piped into `squawk`",
        "linear_small",
        "cli",
        (
            "bash",
            "-c",
            "set -o pipefail; alembic -n {svc} upgrade base:head --sql | squawk --reporter json "
            "> /dev/null; rc=$?; [ $rc -le 1 ]",
        ),
        ("monomig", "lint", "-n", "{svc}"),
        compare_output=False,
    ),
    Row(
        "ledger-upgrade-200",
        "the ledger's cost: `alembic -n svc upgrade head` of 200 revisions from an empty "
        "SQLite file, bridged, without the ledger (`MONOMIG_LOG=0`) vs with it",
        "fleet",
        "bridge",
        ("alembic", "-n", "{svc}", "upgrade", "head"),
        state="empty",
        stock_env=(("MONOMIG_LOG", "0"),),
        stock_bridged=True,
    ),
    Row(
        "ledger-noop",
        "the ledger's cost: `alembic -n svc upgrade head`, nothing to do, bridged, without the "
        "ledger (`MONOMIG_LOG=0`) vs with it",
        "fleet",
        "bridge",
        ("alembic", "-n", "{svc}", "upgrade", "head"),
        state="head",
        stock_env=(("MONOMIG_LOG", "0"),),
        stock_bridged=True,
    ),
    Row(
        "test-200",
        "`monomig test` (single_head, upgrade, models_match, roundtrip) vs pytest-alembic's default "
        "tests, on SQLite (bench/migtest.py)",
        "migtest",
        "cli",
        migtest.STOCK_ROW,
        migtest.MONOMIG_ROW,
        per_service=True,
        target=5,
        compare_output=False,
    ),
    Row(
        "test-fleet",
        "`monomig test`, every service in parallel, vs pytest-alembic's default tests service after "
        "service (bench/migtest.py)",
        "migtest_fleet",
        "cli",
        migtest.STOCK_ROW,
        migtest.MONOMIG_ROW,
        per_service=True,
        target=5,
        compare_output=False,
    ),
    Row(
        "test-demo",
        "`monomig test` vs pytest-alembic's default tests on the demo monorepo's two services (bench/migtest.py)",
        "migtest_demo",
        "cli",
        migtest.STOCK_ROW,
        migtest.MONOMIG_ROW,
        per_service=True,
        compare_output=False,
    ),  # context: 3 to 6 revisions a service, start-up dominates
    # issue 20: speed at scale
    Row(
        "history-labels",
        "`monomig -n svc history` vs `alembic -n svc history`, labels spread to dozens per line",
        "labels",
        "cli",
        ("alembic", "-n", "{svc}", "history"),
        ("monomig", "-n", "{svc}", "history"),
        target=30,
        label_sets=True,
    ),
    Row(
        "status-200",
        "`monomig status` vs sequential `alembic -n svc current` for every service",
        "fleet_200",
        "cli",
        ("alembic", "-n", "{svc}", "current"),
        ("monomig", "status"),
        per_service=True,
        state="head",
        target=50,
        compare_output=False,
        stock_sample=20,
    ),
    Row(
        "upgrade-all-noop-200",
        "`monomig upgrade --all`, nothing to do, vs sequential `alembic -n svc upgrade head`",
        "fleet_200",
        "cli",
        ("alembic", "-n", "{svc}", "upgrade", "head"),
        ("monomig", "upgrade", "--all"),
        per_service=True,
        state="head",
        target=50,
        compare_output=False,
        stock_sample=20,
    ),
    *_small_rows(10),
    *_small_rows(100),
    # make bench-full: growth in revisions and in services, peak memory at the largest sizes
    Row(
        "history-1000",
        "`monomig -n svc history` vs `alembic -n svc history`",
        "linear_small",
        "cli",
        ("alembic", "-n", "{svc}", "history"),
        ("monomig", "-n", "{svc}", "history"),
        full=True,
    ),
    Row(
        "history-5000",
        "`monomig -n svc history` vs `alembic -n svc history`",
        "linear",
        "cli",
        ("alembic", "-n", "{svc}", "history"),
        ("monomig", "-n", "{svc}", "history"),
        full=True,
    ),
    Row(
        "heads-20k",
        "`monomig -n svc heads` vs `alembic -n svc heads`",
        "linear_20k",
        "cli",
        ("alembic", "-n", "{svc}", "heads"),
        ("monomig", "-n", "{svc}", "heads"),
        target=50,
        full=True,
    ),
    Row(
        "history-20k",
        "`monomig -n svc history` vs `alembic -n svc history`",
        "linear_20k",
        "cli",
        ("alembic", "-n", "{svc}", "history"),
        ("monomig", "-n", "{svc}", "history"),
        full=True,
    ),
    Row(
        "current-20k",
        "`alembic -n svc current` with `import monomig` vs stock",
        "linear_20k",
        "bridge",
        ("alembic", "-n", "{svc}", "current"),
        state="head",
        full=True,
    ),
    Row(
        "heads-50k",
        "`monomig -n svc heads` vs `alembic -n svc heads`",
        "linear_50k",
        "cli",
        ("alembic", "-n", "{svc}", "heads"),
        ("monomig", "-n", "{svc}", "heads"),
        full=True,
    ),
    Row(
        "history-50k",
        "`monomig -n svc history` vs `alembic -n svc history`",
        "linear_50k",
        "cli",
        ("alembic", "-n", "{svc}", "history"),
        ("monomig", "-n", "{svc}", "history"),
        full=True,
    ),
    Row(
        "current-50k",
        "`alembic -n svc current` with `import monomig` vs stock",
        "linear_50k",
        "bridge",
        ("alembic", "-n", "{svc}", "current"),
        state="head",
        full=True,
    ),
    Row(
        "growth-heads",
        "growth of `heads` from 5,000 to 50,000 revisions (time at 50,000 / time at 5,000)",
        "linear_50k",
        "growth",
        target=12,
        of=("heads", "heads-50k"),
        full=True,
    ),
    Row(
        "growth-history",
        "growth of `history` from 5,000 to 50,000 revisions",
        "linear_50k",
        "growth",
        target=12,
        of=("history-5000", "history-50k"),
        full=True,
    ),
    Row(
        "growth-current",
        "growth of bridged `current` from 5,000 to 50,000 revisions",
        "linear_50k",
        "growth",
        target=12,
        of=("current", "current-50k"),
        full=True,
    ),
    Row(
        "status-20",
        "`monomig status` vs sequential `alembic -n svc current` for every service",
        "fleet_20",
        "cli",
        ("alembic", "-n", "{svc}", "current"),
        ("monomig", "status"),
        per_service=True,
        state="head",
        compare_output=False,
        full=True,
    ),
    Row(
        "upgrade-all-noop-20",
        "`monomig upgrade --all`, nothing to do, vs sequential `alembic -n svc upgrade head`",
        "fleet_20",
        "cli",
        ("alembic", "-n", "{svc}", "upgrade", "head"),
        ("monomig", "upgrade", "--all"),
        per_service=True,
        state="head",
        compare_output=False,
        full=True,
    ),
    Row(
        "status-1000",
        "`monomig status` vs sequential `alembic -n svc current` for every service",
        "fleet_1000",
        "cli",
        ("alembic", "-n", "{svc}", "current"),
        ("monomig", "status"),
        per_service=True,
        state="head",
        compare_output=False,
        stock_sample=20,
        full=True,
    ),
    Row(
        "upgrade-all-noop-1000",
        "`monomig upgrade --all`, nothing to do, vs sequential `alembic -n svc upgrade head`",
        "fleet_1000",
        "cli",
        ("alembic", "-n", "{svc}", "upgrade", "head"),
        ("monomig", "upgrade", "--all"),
        per_service=True,
        state="head",
        compare_output=False,
        stock_sample=20,
        full=True,
    ),
    Row(
        "growth-status",
        "growth of `monomig status` from 20 to 1,000 services (time at 1,000 / time at 20; 50x the services)",
        "fleet_1000",
        "growth",
        target=60,
        of=("status-20", "status-1000"),
        full=True,
    ),
    Row(
        "growth-upgrade-all-noop",
        "growth of no-op `monomig upgrade --all` from 20 to 1,000 services",
        "fleet_1000",
        "growth",
        target=60,
        of=("upgrade-all-noop-20", "upgrade-all-noop-1000"),
        full=True,
    ),
    Row(
        "memory-status-1000",
        "peak memory (max RSS): `monomig status` vs `alembic -n svc current`, 1,000 services",
        "fleet_1000",
        "memory",
        target=1,
        of=("status-1000",),
        full=True,
    ),
    Row(
        "memory-history-50k",
        "peak memory (max RSS): `monomig -n svc history` vs `alembic -n svc history`",
        "linear_50k",
        "memory",
        target=1,
        of=("history-50k",),
        full=True,
    ),
)
# Execution order: rows sharing a repository run together; "from empty" rows come
# before the rows that need the databases at head, which then are at head already.
RUN_ORDER = (
    "heads-1000",
    "current-1000",
    "heads",
    "heads-cold",
    "memory",
    "current",
    "upgrade-noop",
    "history",
    "graph-mermaid",
    "graph-svg",
    "scan",
    "upgrade-empty",
    "upgrade-all-empty",
    "status",
    "upgrade-all-noop",
    "tenants-status",
    "tenants-upgrade",
    "lint-1000",
    "ledger-upgrade-200",
    "ledger-noop",
    "test-200",
    "test-fleet",
    "test-demo",
    "history-labels",
    "small-current-10",
    "small-upgrade-noop-10",
    "small-heads-10",
    "small-current-100",
    "small-upgrade-noop-100",
    "small-heads-100",
    "status-200",
    "upgrade-all-noop-200",
    # --full
    "history-1000",
    "history-5000",
    "heads-20k",
    "history-20k",
    "current-20k",
    "heads-50k",
    "history-50k",
    "current-50k",
    "growth-heads",
    "growth-history",
    "growth-current",
    "memory-history-50k",
    "status-20",
    "upgrade-all-noop-20",
    "status-1000",
    "upgrade-all-noop-1000",
    "growth-status",
    "growth-upgrade-all-noop",
    "memory-status-1000",
)
NOT_BUILT = "n/a (not built yet)"


# ---------------------------------------------------------------------------
# Child processes


@dataclass
class Proc:
    cmd: list[str]
    rc: int
    seconds: float
    maxrss_kb: int
    stdout: str
    stderr: str
    cpu: float = 0.0  # the child's user + system CPU seconds


CHILD_TIMEOUT = 3600.0  # seconds; --timeout
SINGLE_RUN = 120.0  # a side whose warm-up run takes longer is measured by that one run


def run_child(cmd: list[str], cwd: Path, env: dict[str, str], scratch: Path) -> Proc:
    """Run one command; wall time and the child's own peak RSS (os.wait4)."""
    exe = shutil.which(cmd[0], path=str(BIN)) or shutil.which(cmd[0], path=env.get("PATH"))
    if exe is None:
        return Proc(cmd, 127, 0.0, 0, "", f"{cmd[0]}: command not found")
    out_path, err_path = scratch / "stdout", scratch / "stderr"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        t0 = time.perf_counter()
        p = subprocess.Popen([exe, *cmd[1:]], cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        timer = threading.Timer(CHILD_TIMEOUT, p.kill)  # a hung command must not hang the benchmark
        timer.start()
        try:
            _, status, usage = os.wait4(p.pid, 0)
        finally:
            timer.cancel()
        seconds = time.perf_counter() - t0
    p.returncode = rc = os.waitstatus_to_exitcode(status)
    read = lambda path: path.read_text(encoding="utf-8", errors="replace")  # noqa: E731
    stderr = read(err_path)
    if seconds >= CHILD_TIMEOUT:
        stderr += f"\nkilled after the {CHILD_TIMEOUT:g} s timeout"
    return Proc(cmd, rc, seconds, usage.ru_maxrss, read(out_path), stderr, usage.ru_utime + usage.ru_stime)


@dataclass
class Run:
    seconds: float
    maxrss_kb: int
    procs: list[Proc]

    @property
    def cpu(self) -> float:
        return sum(p.cpu for p in self.procs)

    @property
    def failed(self) -> Proc | None:
        return next((p for p in self.procs if p.rc != 0), None)

    @property
    def stdout(self) -> str:
        return "".join(p.stdout for p in self.procs)


def run_sequence(cmds: list[list[str]], cwd: Path, env: dict[str, str], scratch: Path) -> Run:
    procs: list[Proc] = []
    t0 = time.perf_counter()
    for cmd in cmds:
        proc = run_child(cmd, cwd, env, scratch)
        procs.append(proc)
        if proc.rc != 0:
            break
    return Run(time.perf_counter() - t0, max(p.maxrss_kb for p in procs), procs)


_NOT_BUILT_PATTERNS = re.compile(
    r"invalid choice|unrecognized arguments|the following arguments are required"
    r"|No module named '?monomig|cannot import name '?main'? from '?monomig|command not found"
)


def classify_failure(proc: Proc) -> str:
    """A failed monomig command: not built yet, or a real failure (one line)."""
    if proc.rc in (1, 2, 127) and _NOT_BUILT_PATTERNS.search(proc.stderr):
        return NOT_BUILT
    lines = [ln.strip() for ln in proc.stderr.splitlines() if ln.strip()]
    last = lines[-1] if lines else "no output"
    return f"failed (exit {proc.rc}): {last[:160]}"


#: monomig's scan cache for this run (set by Bench): it starts empty, so the first
#: (warm-up) run of a repository reads every file, as a user's first run does.
SCAN_CACHE: Path | None = None


def base_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONHASHSEED"] = HASH_SEED
    for name in (
        "MONOMIG_BENCH_BRIDGE",
        "MONOMIG_LOG",
        "PYTHONDONTWRITEBYTECODE",
        "ALEMBIC_CONFIG",
        "MONOMIG_CACHE",
        "MONOMIG_CACHE_DIR",
    ):
        env.pop(name, None)
    if SCAN_CACHE is not None:
        env["MONOMIG_CACHE_DIR"] = str(SCAN_CACHE)
    return env


# ---------------------------------------------------------------------------
# Is `import monomig` an Alembic bridge?  Is stock Alembic really stock?

_PROBE = r"""
import importlib, json, sys, types
import alembic.config, alembic.command
import alembic.script.base as sb, alembic.script.revision as sr
import alembic.runtime.migration as rm, alembic.runtime.environment as renv
import alembic.util.pyfiles as pf

owners = {"ScriptDirectory": sb.ScriptDirectory, "Script": sb.Script, "RevisionMap": sr.RevisionMap,
          "Revision": sr.Revision, "MigrationContext": rm.MigrationContext,
          "HeadMaintainer": rm.HeadMaintainer, "EnvironmentContext": renv.EnvironmentContext,
          "alembic.command": alembic.command, "alembic.script.base": sb,
          "alembic.script.revision": sr, "alembic.runtime.migration": rm, "alembic.util.pyfiles": pf}

def snapshot():
    return {(o, k): v for o, obj in owners.items() for k, v in list(vars(obj).items())}

def foreign():
    # functions on Alembic's classes that were not defined by Alembic
    found = []
    for o, obj in owners.items():
        if not isinstance(obj, type):
            continue
        for k, v in vars(obj).items():
            f = getattr(v, "__func__", None) or getattr(v, "fget", None) or v
            if isinstance(f, (types.FunctionType, types.BuiltinFunctionType)):
                mod = getattr(f, "__module__", None) or ""
                if not mod.startswith("alembic"):
                    found.append(f"{o}.{k} ({mod or 'builtin'})")
    return found

before = snapshot()
stock_foreign = foreign()
changed = []
if len(sys.argv) > 1:
    importlib.import_module(sys.argv[1])
    after = snapshot()
    missing = object()
    changed = sorted(f"{o}.{k}" for (o, k) in set(before) | set(after)
                     if before.get((o, k), missing) is not after.get((o, k), missing))
print(json.dumps({"stock_foreign": stock_foreign, "changed": changed, "foreign_after": foreign()}))
"""


def probe_bridge(module: str | None) -> dict:
    cmd = [sys.executable, "-c", _PROBE] + ([module] if module else [])
    p = subprocess.run(cmd, capture_output=True, text=True, env=base_env(), cwd=tempfile.gettempdir())
    if p.returncode != 0:
        lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
        return {"error": lines[-1] if lines else f"exit {p.returncode}"}
    return json.loads(p.stdout)


# ---------------------------------------------------------------------------
# Database state (SQLite files of a generated repository)


def db_paths(repo: Path, manifest: dict) -> dict[str, Path]:
    return {svc: repo / info["database"] for svc, info in manifest["services"].items()}


def reset_databases(repo: Path, manifest: dict) -> None:
    for path in db_paths(repo, manifest).values():
        for p in path.parent.glob(path.name + "*"):  # the file, -journal, -wal, lock files
            p.unlink()


def fingerprint(repo: Path, manifest: dict) -> dict[str, dict]:
    """Per service: the version table rows and the schema, comparable across runs."""
    out: dict[str, dict] = {}
    for svc, path in db_paths(repo, manifest).items():
        if not path.exists():
            out[svc] = {"exists": False}
            continue
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            schema = con.execute(
                "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' "
                "AND tbl_name != 'alembic_version_log' ORDER BY type, name"  # monomig's ledger: its own rows
            ).fetchall()
            try:
                versions = sorted(r[0] for r in con.execute("SELECT version_num FROM alembic_version"))
            except sqlite3.OperationalError:
                versions = None
        finally:
            con.close()
        out[svc] = {"exists": True, "versions": versions, "schema": [list(r) for r in schema]}
    return out


def at_head(repo: Path, manifest: dict) -> bool:
    fp = fingerprint(repo, manifest)
    return all(fp[svc].get("versions") == sorted(info["heads"]) for svc, info in manifest["services"].items())


def bring_to_head(repo: Path, manifest: dict, scratch: Path) -> None:
    """Databases at head for "nothing to do" rows (not timed): stamped unless already there."""
    if at_head(repo, manifest):
        return
    reset_databases(repo, manifest)
    env = base_env()
    services = list(manifest["services"])
    # Stamping 1,000 services one Alembic process at a time takes minutes: past the
    # first few, each database is a copy of the first one's file (only its version
    # table) with that service's head written in, which is what `stamp head` leaves.
    stamped = services if len(services) <= 20 else services[:1]
    for svc in stamped:
        proc = run_child(["alembic", "-n", svc, "stamp", "head"], repo, env, scratch)
        if proc.rc != 0:
            raise HarnessError(f"`alembic -n {svc} stamp head` failed in {repo}: {proc.stderr.strip()[-400:]}")
    paths = db_paths(repo, manifest)
    for svc in services[len(stamped) :]:
        shutil.copyfile(paths[stamped[0]], paths[svc])
        con = sqlite3.connect(paths[svc])
        try:
            with con:
                con.execute("DELETE FROM alembic_version")
                con.executemany(
                    "INSERT INTO alembic_version (version_num) VALUES (?)",
                    [(h,) for h in manifest["services"][svc]["heads"]],
                )
        finally:
            con.close()


class HarnessError(Exception):
    pass


# ---------------------------------------------------------------------------
# Measuring a row


@dataclass
class Side:
    runs: list[float] = field(default_factory=list)
    maxrss_kb: list[int] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # CPU seconds of the children (JSON only)
    warmup: float | None = None
    status: str = "ok"  # ok | n/a (not built yet) | failed (...)

    @property
    def ok(self) -> bool:
        return self.status == "ok" and bool(self.runs)

    def median(self) -> float:
        return statistics.median(self.runs)

    def to_json(self) -> dict:
        return {
            "status": self.status,
            "warmup": self.warmup,
            "runs": self.runs,
            "cpu": self.cpu,
            "maxrss_kb": self.maxrss_kb,
        }


@dataclass
class Result:
    row: Row
    repo_label: str
    stock: Side
    monomig: Side
    notes: list[str] = field(default_factory=list)
    baseline_name: str = "stock"

    small: tuple[Side, Side] | None = None  # "growth": the (stock, monomig) sides of the smaller size

    def ratio(self) -> float | None:
        if self.row.kind == "growth":  # monomig's time at the large size / at the small one: lower is better
            if self.small is None or not (self.monomig.ok and self.small[1].ok):
                return None
            return self.monomig.median() / self.small[1].median()
        if not (self.stock.ok and self.monomig.ok):
            return None
        if self.row.kind == "scan":  # monomig / read bytes: lower is better
            return self.monomig.median() / self.stock.median()
        if self.row.kind == "memory":
            return statistics.median(self.stock.maxrss_kb) / statistics.median(self.monomig.maxrss_kb)
        return self.stock.median() / self.monomig.median()

    def verdict(self) -> str:
        if self.row.kind == "growth":
            ratio = self.ratio()
            if ratio is None:
                return "n/a"
            return "PASS" if self.row.target is None or ratio <= self.row.target else "FAIL"
        if not self.stock.ok:
            return "ERROR"
        if self.monomig.status == NOT_BUILT:
            return "n/a"
        if not self.monomig.ok or any(n.startswith("MISMATCH") for n in self.notes):
            return "FAIL"
        ratio = self.ratio()
        if self.row.target is None or ratio is None:
            return "context"
        if self.row.kind == "scan":
            return "PASS" if ratio <= self.row.target else "FAIL"
        return "PASS" if ratio >= self.row.target else "FAIL"


def settle_seconds() -> float:
    """How long monomig's scan cache waits before storing a changed file: 2 s, or the
    window monomig's tests set with MONOMIG_TEST_SCAN_SETTLE_MS."""
    try:
        return int(os.environ["MONOMIG_TEST_SCAN_SETTLE_MS"]) / 1000
    except (KeyError, ValueError):
        return 2.0


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.specs = generate.TINY if args.tiny else generate.QUICK if args.quick else generate.FULL
        self.repos: dict[str, Path] = {}
        self.manifests: dict[str, dict] = {}
        self.scratch = Path(tempfile.mkdtemp(prefix="monomig-bench-"))
        global SCAN_CACHE
        SCAN_CACHE = self.scratch / "scan-cache"
        self.bridge: dict | None = None
        self.results: dict[str, Result] = {}
        self.log = (lambda *a: None) if args.quiet else (lambda *a: print(*a, file=sys.stderr, flush=True))

    # -- repositories -----------------------------------------------------
    def repo(self, role: str) -> tuple[Path, dict]:
        if role in migtest.ROLES and role not in self.repos:  # `monomig test` beside pytest-alembic
            self.repos[role], self.manifests[role] = migtest.ensure(role, self.mode(), self.args.cache)
        if role not in self.repos:
            spec = self.specs[role]
            t0 = time.perf_counter()
            path = generate.ensure_repo(spec, self.args.cache)
            # Bytecode as after any earlier run of Alembic: no row pays for compiling 5,000 files.
            compileall.compile_dir(str(path), quiet=1, workers=1)
            # monomig's scan cache keeps only files that have not changed for 2 s (a
            # later change within the same clock tick could go unseen): let them settle.
            # (monomig's tests shorten that window with MONOMIG_TEST_SCAN_SETTLE_MS.)
            time.sleep(max(0.0, settle_seconds() + 0.5 - (time.perf_counter() - t0)))
            self.log(f"repository {spec.name}: ready in {time.perf_counter() - t0:.1f} s ({path})")
            self.repos[role] = path
            self.manifests[role] = generate.load_manifest(path)
        return self.repos[role], self.manifests[role]

    def mode(self) -> str:
        return "tiny" if self.args.tiny else "quick" if self.args.quick else "full"

    def repo_label(self, role: str) -> str:
        if role in ("tenants", "migtest_demo"):
            return REPO_LABELS[role]
        if role in migtest.ROLES:
            s, n = migtest.SIZES[self.mode()][role]
            return REPO_LABELS[role].format(s=s, n=n)
        return repo_label(self.specs[role])

    # -- the bridge -------------------------------------------------------
    def bridge_status(self) -> dict:
        if self.bridge is None:
            stock = probe_bridge(None)
            bridged = probe_bridge(self.args.bridge_module)
            active = bool(bridged.get("changed") or bridged.get("foreign_after"))
            if self.args.assume_bridge:
                active = "error" not in bridged
            self.bridge = {
                "module": self.args.bridge_module,
                "active": active,
                "error": bridged.get("error"),
                "patched": bridged.get("changed", []),
                "stock_foreign": stock.get("stock_foreign", []),
            }
            if self.bridge["stock_foreign"]:
                self.log(
                    "WARNING: stock Alembic is already patched in this environment: "
                    + ", ".join(self.bridge["stock_foreign"][:5])
                )
        return self.bridge

    # -- rows -------------------------------------------------------------
    def run_row(self, row: Row) -> Result:
        if row.kind == "memory":
            return self.memory_row(row)
        if row.kind == "tenants":
            import tenants_bench

            return tenants_bench.run_row(self, row, sys.modules[__name__])
        if row.kind == "growth":
            return self.growth_row(row)
        repo, manifest = self.repo(row.repo)
        result = Result(row, self.repo_label(row.repo), Side(), Side())
        if row.note:
            result.notes.append(row.note)
        if row.kind == "scan":
            self.scan_row(row, repo, manifest, result)
        else:
            self.command_row(row, repo, manifest, result)
        return result

    def commands(self, row: Row, manifest: dict) -> tuple[list[list[str]], list[list[str]]]:
        services = list(manifest["services"])
        fill = lambda tpl, svc: [part.replace("{svc}", svc) for part in tpl]  # noqa: E731
        stock_services = services if row.per_service else services[:1]
        if row.stock_sample and not self.args.quick:
            stock_services = stock_services[: row.stock_sample]
        stock = [fill(row.stock, s) for s in stock_services]
        if row.kind == "bridge":
            mono = stock
        else:
            mono = [fill(row.monomig, services[0])]  # one monomig command covers the repository
            if self.args.monomig:
                mono = [[self.args.monomig, *cmd[1:]] for cmd in mono]
        return stock, mono

    def command_row(self, row: Row, repo: Path, manifest: dict, result: Result) -> None:
        stock_cmds, mono_cmds = self.commands(row, manifest)
        stock_env = base_env()
        mono_env = base_env()
        mono_env.update(row.monomig_env)
        stock_env.update(row.stock_env)
        if row.kind == "bridge":
            bridge = self.bridge_status()
            if not bridge["active"]:
                result.monomig.status = NOT_BUILT
                if bridge.get("error"):
                    result.notes.append(f"`import {bridge['module']}` failed: {bridge['error']}")
            mono_env["MONOMIG_BENCH_BRIDGE"] = self.args.bridge_module
            if row.stock_bridged:
                stock_env["MONOMIG_BENCH_BRIDGE"] = self.args.bridge_module
        sides = {"stock": (result.stock, stock_cmds, stock_env), "monomig": (result.monomig, mono_cmds, mono_env)}
        fingerprints: dict[str, list] = {"stock": [], "monomig": []}
        # Stock measured on a sample of the services, its time scaled to all of them.
        scale = len(manifest["services"]) / len(stock_cmds) if row.per_service else 1.0
        if scale != 1.0:
            result.notes.append(
                f"stock measured on the first {len(stock_cmds)} of {len(manifest['services'])} "
                f"services (one sequential `alembic` per service), its times scaled by {scale:g}"
            )
        single: set[str] = set()  # sides whose one run takes so long that it is their only one

        def prepare() -> None:  # not timed
            if row.state == "empty":
                reset_databases(repo, manifest)
            elif row.state == "head":
                bring_to_head(repo, manifest, self.scratch)

        def once(name: str) -> Run | None:
            side, cmds, env = sides[name]
            prepare()
            run = run_sequence(cmds, repo, env, self.scratch)
            if name == "stock" and scale != 1.0:
                run.seconds *= scale
                for proc in run.procs:
                    proc.cpu *= scale
            bad = run.failed
            if bad is not None:
                side.status = (
                    classify_failure(bad)
                    if name == "monomig"
                    else (f"failed (exit {bad.rc}): `{' '.join(bad.cmd)}`: {bad.stderr.strip()[-300:]}")
                )
                return None
            if row.state != "any":
                fingerprints[name].append(fingerprint(repo, manifest))
            return run

        before = None
        if row.state == "head":
            prepare()
            before = fingerprint(repo, manifest)
        # Warm-up: one run of each side, not counted. "From empty" rows skip it: one run
        # costs minutes, and the files were already read and compiled by earlier rows.
        outputs: dict[str, str] = {}
        budget_unit = 0.0
        if row.state != "empty" and self.args.warmup:
            for name in ("stock", "monomig"):
                side = sides[name][0]
                if side.status != "ok":
                    continue
                run = once(name)
                if run is not None:
                    side.warmup = run.seconds
                    outputs[name] = run.stdout
                    budget_unit += run.seconds
                    self.log(f"  {row.key}: {name} warm-up {run.seconds:.2f} s")
                    if run.seconds > SINGLE_RUN:  # stock at 50,000 revisions: its one run counts
                        single.add(name)
                        side.runs.append(run.seconds)
                        side.maxrss_kb.append(run.maxrss_kb)
                        side.cpu.append(run.cpu)
                        result.notes.append(f"{name} measured once: one run takes over {SINGLE_RUN:g} s")
        # Up to --reps pairs, fewer if they would not fit in the row budget: the cost of a
        # pair is the warm-up pair's, or (without warm-up) the mean of the pairs so far.
        pairs: list[float] = []
        reps = self.args.reps if self.args.quick else max(self.args.reps, row.reps)
        for i in range(reps):
            if i >= max(1, row.reps if not self.args.quick else 1) and self.args.row_budget:
                unit = budget_unit or statistics.mean(pairs)
                if unit * (i + 1) > self.args.row_budget:
                    break
            pair = 0.0
            for name in ("stock", "monomig"):  # A B A B ...
                side = sides[name][0]
                if side.status != "ok" or name in single:
                    continue
                run = once(name)
                if run is None:
                    continue
                side.runs.append(run.seconds)
                side.maxrss_kb.append(run.maxrss_kb)
                side.cpu.append(run.cpu)
                outputs.setdefault(name, run.stdout)
                pair += run.seconds
                self.log(f"  {row.key}: {name} run {i + 1} {run.seconds:.2f} s (cpu {run.cpu:.2f} s)")
            pairs.append(pair)

        # Same answers as stock Alembic, or the speed means nothing.
        if row.compare_output and result.stock.ok and result.monomig.ok:
            shown = (lambda text: sorted_label_sets(text)) if row.label_sets else (lambda text: text)
            if shown(outputs.get("stock", "")) != shown(outputs.get("monomig", "")):
                result.notes.append("MISMATCH: monomig's output differs from stock Alembic's")
            elif row.label_sets:
                result.notes.append(
                    "outputs compared with each printed label set sorted: Alembic spreads labels "
                    "over a set of Revision objects, iterated in memory-address order, so the order "
                    "within a set of several labels is not reproducible (see tests/test_cli_alembic.py)"
                )
        if row.state != "any":
            for name in ("stock", "monomig"):
                fps = fingerprints[name]
                if any(fp != fps[0] for fp in fps):
                    result.notes.append(f"MISMATCH: {name} runs left different database states")
            if row.state == "head" and before is not None:
                for name in ("stock", "monomig"):
                    if any(fp != before for fp in fingerprints[name]):
                        result.notes.append(f"MISMATCH: {name} changed databases that were at head")
            if (
                fingerprints["stock"]
                and fingerprints["monomig"]
                and fingerprints["stock"][0] != fingerprints["monomig"][0]
            ):
                result.notes.append("MISMATCH: monomig left the databases in another state than stock Alembic")
            heads = {svc: sorted(info["heads"]) for svc, info in manifest["services"].items()}
            if not row.per_service:  # the row's commands migrate the first service only
                heads = dict(list(heads.items())[:1])
            for name in ("stock", "monomig"):
                if any(fp[svc].get("versions") != heads[svc] for fp in fingerprints[name] for svc in heads):
                    result.notes.append(f"MISMATCH: after {name} runs a version table is not at head")

    def scan_row(self, row: Row, repo: Path, manifest: dict, result: Result) -> None:
        result.baseline_name = "read bytes"
        svc = next(iter(manifest["services"]))
        versions = repo / manifest["services"][svc]["versions"]

        def read_bytes() -> float:
            t0 = time.perf_counter()
            total = 0
            with os.scandir(versions) as it:
                for entry in it:
                    if entry.name.endswith(".py"):
                        with open(entry.path, "rb") as f:
                            total += len(f.read())
            return time.perf_counter() - t0

        try:
            import monomig._native as native

            bench_scan: Callable[[str], object] | None = getattr(native, "bench_scan", None)
        except ImportError as e:
            bench_scan = None
            result.notes.append(f"monomig is not importable: {e}")
        if bench_scan is None:
            result.monomig.status = NOT_BUILT

        def scan() -> float:
            t0 = time.perf_counter()
            bench_scan(str(versions))  # type: ignore[misc]
            return time.perf_counter() - t0

        sides = [(result.stock, read_bytes)]
        if bench_scan is not None:
            sides.append((result.monomig, scan))
        for side, fn in sides:
            try:
                side.warmup = fn()  # also the first call of bench_scan: a failure ends that side
            except Exception as e:  # noqa: BLE001  (a monomig failure is a row result, not a crash)
                side.status = f"failed: {type(e).__name__}: {e}"[:200]
        reps = max(self.args.reps, 7)  # each run takes milliseconds: more of them
        for _ in range(reps):
            for side, fn in sides:
                if side.status == "ok":
                    side.runs.append(fn())
        result.notes.append("in-process; the baseline lists the folder and reads every .py file from Python")

    def row_result(self, key: str) -> Result:
        """Another row's result, measured now unless it already was."""
        if key not in self.results:
            self.results[key] = self.run_row(next(r for r in ROWS if r.key == key))
        return self.results[key]

    def memory_row(self, row: Row) -> Result:
        of = self.row_result(row.of[0] if row.of else "heads")
        return Result(row, of.repo_label, of.stock, of.monomig, list(of.notes))

    def growth_row(self, row: Row) -> Result:
        small, large = (self.row_result(key) for key in row.of)
        result = Result(
            row,
            f"{small.repo_label} → {large.repo_label}",
            large.stock,
            large.monomig,
            small=(small.stock, small.monomig),
        )
        result.notes.append(f"rows `{small.row.key}` and `{large.row.key}`")
        return result


# ---------------------------------------------------------------------------
# Report


def fmt_seconds(s: float) -> str:
    if s < 1:
        return f"{s * 1000:.0f} ms" if s >= 0.01 else f"{s * 1000:.1f} ms"
    return f"{s:.2f} s" if s < 100 else f"{s:.0f} s"


def fmt_side(side: Side, memory: bool) -> str:
    if not side.ok:
        return side.status
    if memory:
        kb = sorted(side.maxrss_kb)
        return f"{statistics.median(kb) / 1024:.1f} MB ({kb[0] / 1024:.1f})"
    return f"{fmt_seconds(side.median())} ({fmt_seconds(min(side.runs))})"


def fmt_growth(small: Side, large: Side) -> str:
    """A side of a growth row: its medians at both sizes and how much it grew."""
    if not (small.ok and large.ok):
        return small.status if not small.ok else large.status
    return f"{fmt_seconds(small.median())} → {fmt_seconds(large.median())} ({large.median() / small.median():.1f}x)"


def sorted_label_sets(text: str) -> str:
    """``text`` with the items of every parenthesised comma-separated group sorted."""
    return re.sub(r"\(([^()]*, [^()]*)\)", lambda m: "(" + ", ".join(sorted(m.group(1).split(", "))) + ")", text)


def fmt_target(row: Row) -> str:
    if row.target is None:
        return "context"
    if row.kind == "growth":
        return f"monomig ≤ {row.target:g}x"
    if row.kind == "scan":
        return f"≤ {row.target:g}x"
    if row.kind == "memory":
        return "monomig ≤ alembic"
    return f"≥ {row.target:g}x"


def machine_info() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def version(dist: str) -> str:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    try:
        commit = (
            subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10
            ).stdout.strip()
            or "unknown"
        )
    except (OSError, subprocess.SubprocessError):
        commit = "unknown"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "os": f"{platform.system()} {platform.release()} {platform.machine()}",
        "python": platform.python_version(),
        "alembic": version("alembic"),
        "sqlalchemy": version("SQLAlchemy"),
        "sqlite": sqlite3.sqlite_version,
        "monomig": version("monomig"),
        "commit": commit,
    }


def render(results: list[Result], meta: dict) -> str:
    m = meta["machine"]
    lines = [
        "# monomig benchmark: stock Alembic vs monomig",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['os']}. Python {m['python']}, Alembic {m['alembic']}, "
        f"SQLAlchemy {m['sqlalchemy']}, SQLite {m['sqlite']}, monomig {m['monomig']} (commit {m['commit']}).",
        "",
        f"Run {meta['started']} ({meta['mode']}): "
        + (
            'one warm-up run of each side first (not for "from empty" rows), then '
            if meta["warmup"]
            else "no warm-up, "
        )
        + f"up to {meta['reps']} alternating runs each (fewer where one pair of runs exceeds the "
        f"{meta['row_budget']:g} s row budget; column n). Times are wall times of whole commands: "
        f"median (min). Ratio = median(stock) / median(monomig). Load average at start "
        f"{meta['load_start']}, at end {meta['load_end']}. Total runtime {meta['total']}.",
        "",
        "| Work | Repository | n | Stock Alembic | monomig | Ratio | Target | Result |",
        "| --- | --- | --: | --: | --: | --: | --- | --- |",
    ]
    footnotes: list[str] = []
    for r in results:
        memory = r.row.kind == "memory"
        ratio = r.ratio()
        if ratio is None:
            ratio_s = "–"
        elif r.row.kind == "growth":
            ratio_s = f"monomig grows {ratio:.1f}x"
        elif r.row.kind == "scan":
            ratio_s = f"monomig / read = {ratio:.1f}x"
        else:
            ratio_s = f"{ratio:.1f}x" if ratio < 100 else f"{ratio:.0f}x"
        stock = fmt_side(r.stock, memory)
        mono = fmt_side(r.monomig, memory)
        if r.row.kind == "scan" and r.stock.ok:
            stock = f"read bytes: {stock}"
        if r.row.kind == "growth" and r.small is not None:
            stock, mono = fmt_growth(r.small[0], r.stock), fmt_growth(r.small[1], r.monomig)
        n = len(r.stock.runs) if r.stock.ok else 0
        lines.append(
            f"| {r.row.work} | {r.repo_label} | {n} | {stock} | {mono} | "
            f"{ratio_s} | {fmt_target(r.row)} | {r.verdict()} |"
        )
        for note in r.notes:
            footnotes.append(f"- `{r.row.key}`: {note}")
    footnotes.append(
        "- monomig keeps what reading each revision file gave in its scan cache (a file per repository "
        "under `MONOMIG_CACHE_DIR`, here a fresh folder for this run) and, on later runs, reads only "
        "files whose size, inode or times changed. The warm-up run (the first) fills it; the "
        "`heads-cold` row runs without it (`MONOMIG_CACHE=0`)."
    )
    bridge = meta.get("bridge")
    if bridge:
        if bridge["active"]:
            footnotes.append(f"- `import {bridge['module']}` patches {len(bridge['patched'])} Alembic attributes.")
        else:
            footnotes.append(f"- `import {bridge['module']}` installs no Alembic bridge yet: bridged rows are n/a.")
        if bridge["stock_foreign"]:
            footnotes.append(
                "- WARNING: stock Alembic was already patched in this environment "
                f"({', '.join(bridge['stock_foreign'][:5])}): its timings are not stock."
            )
    if footnotes:
        lines += ["", "Notes:", ""] + footnotes
    lines += ["", "Reproduce: `make bench` (or `python bench/run.py --help`); raw timings in `latest.json`.", ""]
    return "\n".join(lines)


def _shown(path: Path) -> str:
    """A path relative to the project when it is inside it."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    keys = [r.key for r in ROWS]
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="rows: " + ", ".join(keys),
    )
    ap.add_argument("--quick", action="store_true", help="small repositories, one run per side (a smoke test)")
    ap.add_argument(
        "--full",
        action="store_true",
        help="also the long rows (20,000 and 50,000 revisions, 1,000 services, growth, peak memory at "
        "scale): `make bench-full`, an hour or more on 2 cores",
    )
    ap.add_argument(
        "--tiny",
        action="store_true",
        help="with --quick: the smallest repositories of each shape (the runner's own test)",
    )
    ap.add_argument(
        "--reps", type=int, default=None, help="runs per side after the warm-up (default 3; 1 with --quick)"
    )
    ap.add_argument(
        "--row-budget",
        type=float,
        default=45.0,
        help="seconds of measured runs per row; rows whose warm-up pair is slower get fewer runs, "
        "at least one (0: always --reps; default 45)",
    )
    ap.add_argument(
        "--only", action="append", default=[], metavar="ROW", help="run only these rows (comma-separated or repeated)"
    )
    ap.add_argument("--cache", type=Path, default=None, help=f"repositories folder (default {generate.DEFAULT_CACHE})")
    ap.add_argument(
        "--results",
        type=Path,
        default=None,
        help=f"where latest.md / latest.json go (default {RESULTS}; with --quick: <cache>/quick-results)",
    )
    ap.add_argument("--bridge-module", default="monomig", help="the module env.py imports for bridged runs")
    ap.add_argument(
        "--assume-bridge",
        action="store_true",
        help="treat the bridge module as active even if importing it patches nothing visible",
    )
    ap.add_argument(
        "--no-warmup",
        dest="warmup",
        action="store_false",
        default=None,
        help="no warm-up runs (the default with --quick)",
    )
    ap.add_argument(
        "--monomig",
        default=None,
        metavar="COMMAND",
        help="the monomig command to measure (default: `monomig` from this virtualenv)",
    )
    ap.add_argument(
        "--timeout",
        type=float,
        default=CHILD_TIMEOUT,
        help=f"seconds before one command is killed (default {CHILD_TIMEOUT:g})",
    )
    ap.add_argument("--quiet", action="store_true", help="no progress on stderr")
    args = ap.parse_args(argv)
    if args.tiny and not args.quick:
        ap.error("--tiny goes with --quick")
    args.reps = args.reps if args.reps is not None else (1 if args.quick else 3)
    args.warmup = args.warmup if args.warmup is not None else not args.quick
    if args.reps < 1:
        ap.error("--reps must be at least 1")
    args.cache = args.cache or generate.DEFAULT_CACHE
    args.results = args.results or (args.cache / "quick-results" if args.quick else RESULTS)
    only = [k.strip() for item in args.only for k in item.split(",") if k.strip()]
    unknown = [k for k in only if k not in keys]
    if unknown:
        ap.error(f"unknown row(s) {', '.join(unknown)}; rows: {', '.join(keys)}")
    args.only = only
    return args


def main(argv: list[str] | None = None) -> int:
    global CHILD_TIMEOUT
    args = parse_args(argv)
    CHILD_TIMEOUT = args.timeout
    t0 = time.perf_counter()
    started = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load_start = "%.2f" % os.getloadavg()[0]
    bench = Bench(args)
    full_rows = {r.key for r in ROWS if r.full}
    wanted = [k for k in RUN_ORDER if (k in args.only if args.only else args.full or k not in full_rows)]
    if args.quick:  # the long rows have no small repositories
        wanted = [k for k in wanted if k not in full_rows]
    errors = 0
    try:
        for key in wanted:
            row = next(r for r in ROWS if r.key == key)
            bench.log(f"{key}: {row.work} [{row.repo}]")
            try:
                bench.results[key] = bench.run_row(row)
            except HarnessError as e:
                errors += 1
                bench.log(f"  {key}: {e}")
                side = Side(status=f"failed: {e}"[:300])
                bench.results[key] = Result(row, bench.repo_label(row.repo), side, Side(status="not run"))
    finally:
        shutil.rmtree(bench.scratch, ignore_errors=True)
    results = [bench.results[r.key] for r in ROWS if r.key in bench.results and r.key in wanted]
    total = time.perf_counter() - t0
    meta = {
        "started": started,
        "mode": ("tiny" if args.tiny else "quick" if args.quick else "full" if args.full else "default")
        + (f", only {', '.join(args.only)}" if args.only else ""),
        "reps": args.reps,
        "warmup": args.warmup,
        "row_budget": args.row_budget,
        "load_start": load_start,
        "load_end": "%.2f" % os.getloadavg()[0],
        "total": f"{int(total // 60)} min {total % 60:.0f} s",
        "total_seconds": round(total, 1),
        "machine": machine_info(),
        "bridge": bench.bridge,
    }
    table = render(results, meta)
    print(table)
    write_atomic(args.results / "latest.md", table)
    raw = {
        "meta": meta,
        "rows": [
            {
                "key": r.row.key,
                "work": r.row.work,
                "repository": r.repo_label,
                "target": r.row.target,
                "ratio": r.ratio(),
                "result": r.verdict(),
                "notes": r.notes,
                "stock": r.stock.to_json(),
                "monomig": r.monomig.to_json(),
            }
            for r in results
        ],
        "repositories": {role: {"path": _shown(p), **bench.manifests[role]["spec"]} for role, p in bench.repos.items()},
    }
    write_atomic(args.results / "latest.json", json.dumps(raw, indent=2) + "\n")
    bench.log(f"wrote {args.results / 'latest.md'} and latest.json in {meta['total']}")
    return 1 if errors or any(r.verdict() == "ERROR" for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
