"""Run monomig's tests once per supported Alembic minor release.

For every Alembic minor release monomig supports (1.13 to 1.20) this keeps one
virtualenv, built once per machine and reused afterwards, holding the newest patch
release of that minor, a SQLAlchemy it works with, and the other development pins of
``requirements-dev.txt`` (pytest, hypothesis, psycopg, PyMySQL, Mako, ...). Then:

- with ``--wheel PATH``: installs that monomig wheel into each virtualenv (``--no-deps
  --force-reinstall``) and runs pytest there, from ``tests/`` as ``make test`` does,
  with the arguments after ``--`` as the selection;
- without ``--wheel``: removes any monomig left there by an earlier run and runs a
  trivial command in each (``--command``; by default it prints the Alembic and
  SQLAlchemy versions), to check the virtualenvs themselves;
- with ``--wheel`` and ``--command``: runs that code instead of pytest, with the wheel
  installed (e.g. ``--command "import alembic"`` to see whether monomig's entry point
  lets Alembic import).

It ends with one line per Alembic version: passed, failed, skipped, errors, seconds.
The exit status is 0 when every version passed. A version whose virtualenv cannot be
built is reported as SETUP and the others still run.

``make test-alembic-matrix`` runs the differential suites through this script on
every supported minor but the pinned one; tests that need a newer Alembic skip with a
reason naming the version (tests/support/alembic_versions.py). The minors of
``OUTSIDE`` (below the supported range) are built only on request, with Alembic and
SQLAlchemy alone, for the tests of the bridge's refusal (tests/test_alembic_range.py).

Examples::

    python3 scripts/alembic_matrix.py --versions 1.13,1.20
    python3 scripts/alembic_matrix.py --wheel dist/monomig-*.whl -- test_bridge.py test_bridge_e2e.py -q
    python3 scripts/alembic_matrix.py --wheel dist/monomig-*.whl --command "import alembic"
    python3 scripts/alembic_matrix.py --list

The virtualenvs live in ``$MONOMIG_MATRIX_DIR/<version>`` or, without that variable,
``~/.cache/monomig/alembic-matrix/<version>``. A virtualenv is rebuilt when its pins
change (a new patch release below, or an edited requirements-dev.txt) or with
``--rebuild``. Nothing of monomig is imported here: the script only needs the
standard library of the Python that builds the virtualenvs (``--python``, default
this interpreter; monomig needs 3.10 or newer).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "requirements-dev.txt"

# Alembic minor release -> (its newest patch release on PyPI, the SQLAlchemy to pin).
# Checked with `pip index versions alembic` on 2026-12-07; see docs/alembic-versions.md.
# SQLAlchemy: requirements-dev.txt's 2.1 release from Alembic 1.18 on (1.18.0/1.18.1
# adapted Alembic's DDL to SQLAlchemy 2.1, 1.20 requires 2.0 or newer); the last 2.0
# release for 1.13 to 1.17, which came before those adjustments (none of the eight
# declares an upper bound, so pip would accept 2.1 there too).
MATRIX: dict[str, tuple[str, str]] = {
    "1.13": ("1.13.3", "2.0.59"),
    "1.14": ("1.14.1", "2.0.59"),
    "1.15": ("1.15.2", "2.0.59"),
    "1.16": ("1.16.5", "2.0.59"),
    "1.17": ("1.17.2", "2.0.59"),
    "1.18": ("1.18.5", "2.1.9"),
    "1.19": ("1.19.2", "2.1.9"),
    "1.20": ("1.20.1", "2.1.9"),
}

# Releases outside the supported range, for the tests of the bridge's refusal
# (tests/test_alembic_range.py): built on demand with Alembic and SQLAlchemy only.
OUTSIDE: dict[str, tuple[str, str]] = {
    "1.12": ("1.12.1", "2.0.59"),
}

# requirements-dev.txt pins that are not installed into the matrix virtualenvs: the
# build tool, and the two pinned per Alembic version above.
_NOT_FROM_REQUIREMENTS = {"maturin", "alembic", "sqlalchemy"}
_STAMP = ".monomig-matrix.json"
DEFAULT_COMMAND = (
    "import alembic, sqlalchemy; print('alembic', alembic.__version__, 'sqlalchemy', sqlalchemy.__version__)"
)


class SetupFailed(Exception):
    """A virtualenv could not be built (reported in the table, the other versions still run)."""


def cache_dir() -> Path:
    env = os.environ.get("MONOMIG_MATRIX_DIR")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "monomig" / "alembic-matrix"


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].strip().lower().replace("_", "-")


def requirement_pins(path: Path = REQUIREMENTS) -> list[str]:
    """The pins of requirements-dev.txt for a matrix virtualenv (comments dropped)."""
    pins = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        if _name(line) in _NOT_FROM_REQUIREMENTS:
            continue
        pins.append(line)
    return pins


def venv_python(venv: Path) -> Path:
    if os.name == "nt":
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"


def _run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, text=True, **kw)  # type: ignore[call-overload,no-any-return]


def ensure_venv(minor: str, python: str, rebuild: bool, quiet: bool) -> Path:
    """The cached virtualenv of ``minor``, created (or re-created) when needed.

    A minor of :data:`OUTSIDE` gets Alembic and SQLAlchemy only (no test tools)."""
    if minor in OUTSIDE:
        alembic, sqlalchemy = OUTSIDE[minor]
        pins = [f"alembic=={alembic}", f"SQLAlchemy=={sqlalchemy}"]
    else:
        alembic, sqlalchemy = MATRIX[minor]
        pins = [f"alembic=={alembic}", f"SQLAlchemy=={sqlalchemy}", *requirement_pins()]
    # The interpreter a virtualenv's python links to, so that every virtualenv of one
    # CPython (the test environment of any checkout, the development one) shares the cache.
    python = os.path.realpath(python)
    venv = cache_dir() / alembic
    stamp = venv / _STAMP
    want = {"pins": pins, "python": python}
    if not rebuild and stamp.exists():
        try:
            if json.loads(stamp.read_text(encoding="utf-8")) == want and venv_python(venv).exists():
                return venv
        except (OSError, ValueError):
            pass
    if venv.exists():
        shutil.rmtree(venv)
    venv.parent.mkdir(parents=True, exist_ok=True)
    if not quiet:
        print(f"[{minor}] creating {venv} (alembic {alembic}, SQLAlchemy {sqlalchemy})", flush=True)
    if _run([python, "-m", "venv", str(venv)]).returncode != 0:
        raise SetupFailed(f"{python} -m venv failed")
    py = str(venv_python(venv))
    pip = [py, "-m", "pip", "--disable-pip-version-check"]
    if _run([*pip, "install", "--quiet", "--upgrade", "pip"]).returncode != 0:
        shutil.rmtree(venv, ignore_errors=True)
        raise SetupFailed("pip could not upgrade itself")
    result = _run([*pip, "install", "--quiet", *pins])
    if result.returncode != 0:
        shutil.rmtree(venv, ignore_errors=True)
        raise SetupFailed(f"pip could not install {' '.join(pins)}")
    stamp.write_text(json.dumps(want, indent=1) + "\n", encoding="utf-8")
    return venv


def remove_monomig(venv: Path) -> None:
    py = str(venv_python(venv))
    probe = _run([py, "-c", "import importlib.util as u; raise SystemExit(u.find_spec('monomig') is None)"])
    if probe.returncode == 0:
        _run([py, "-m", "pip", "--disable-pip-version-check", "uninstall", "--quiet", "--yes", "monomig"])


def install_wheel(venv: Path, wheel: Path) -> None:
    py = str(venv_python(venv))
    cmd = [py, "-m", "pip", "--disable-pip-version-check", "install", "--quiet", "--no-deps", "--force-reinstall"]
    if _run([*cmd, str(wheel)]).returncode != 0:
        raise SetupFailed(f"pip could not install {wheel.name}")


def _junit_counts(path: Path) -> dict[str, int]:
    counts = {"passed": 0, "failed": 0, "skipped": 0, "errors": 0}
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return counts
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    for s in suites:
        tests = int(s.get("tests", 0))
        failed = int(s.get("failures", 0))
        errors = int(s.get("errors", 0))
        skipped = int(s.get("skipped", 0))
        counts["failed"] += failed
        counts["errors"] += errors
        counts["skipped"] += skipped
        counts["passed"] += tests - failed - errors - skipped
    return counts


def run_pytest(venv: Path, args: list[str]) -> dict[str, object]:
    py = str(venv_python(venv))
    cwd = ROOT / "tests" if (ROOT / "tests").is_dir() else ROOT
    env = dict(os.environ)
    env["PATH"] = str(venv_python(venv).parent) + os.pathsep + env.get("PATH", "")
    env.pop("VIRTUAL_ENV", None)
    with tempfile.TemporaryDirectory(prefix="monomig-matrix-") as tmp:
        junit = Path(tmp) / "junit.xml"
        start = time.monotonic()
        result = _run([py, "-m", "pytest", "-p", "no:cacheprovider", f"--junitxml={junit}", *args], cwd=cwd, env=env)
        seconds = time.monotonic() - start
        counts = _junit_counts(junit)
    return {**counts, "rc": result.returncode, "seconds": seconds, "note": ""}


def run_command(venv: Path, code: str) -> dict[str, object]:
    py = str(venv_python(venv))
    start = time.monotonic()
    result = _run([py, "-c", code], cwd=ROOT, capture_output=True)
    seconds = time.monotonic() - start
    ok = result.returncode == 0
    out = (result.stdout if ok else result.stderr).strip().splitlines()
    return {
        "passed": int(ok),
        "failed": int(not ok),
        "skipped": 0,
        "errors": 0,
        "rc": result.returncode,
        "seconds": seconds,
        "note": out[-1] if out else "",
    }


def _setup_failed(why: str) -> dict[str, object]:
    return {"passed": 0, "failed": 0, "skipped": 0, "errors": 1, "rc": "setup", "seconds": 0.0, "note": why}


def print_table(rows: list[tuple[str, dict[str, object]]]) -> None:
    header = ("alembic", "sqlalchemy", "result", "passed", "failed", "skipped", "errors", "seconds", "")
    lines = [header]
    for minor, r in rows:
        alembic, sqlalchemy = MATRIX[minor]
        ok = r["rc"] == 0
        lines.append(
            (
                alembic,
                sqlalchemy,
                "ok" if ok else ("SETUP" if r["rc"] == "setup" else f"FAIL({r['rc']})"),
                str(r["passed"]),
                str(r["failed"]),
                str(r["skipped"]),
                str(r["errors"]),
                f"{r['seconds']:.1f}",
                str(r["note"]),
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
    print()
    for line in lines:
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=False)) + "  " + line[-1])


def _parse_versions(text: str | None) -> list[str]:
    if not text:
        return list(MATRIX)
    out = []
    for item in text.split(","):
        item = item.strip()
        minor = ".".join(item.split(".")[:2])
        if minor not in MATRIX:
            raise SystemExit(f"unknown Alembic version {item!r}; known: {', '.join(MATRIX)}")
        out.append(minor)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Run monomig's tests against each supported Alembic minor release.",
        epilog="Arguments after -- are passed to pytest (with --wheel).",
    )
    parser.add_argument("--versions", help="comma-separated minors, e.g. 1.13,1.20 (default: all)")
    parser.add_argument("--wheel", type=Path, help="monomig wheel to install and test")
    parser.add_argument("--python", default=sys.executable, help="interpreter for the virtualenvs (default: this one)")
    parser.add_argument(
        "--command",
        help="Python code to run in each virtualenv instead of pytest (default without --wheel: print versions)",
    )
    parser.add_argument("--rebuild", action="store_true", help="re-create the virtualenvs")
    parser.add_argument("--setup-only", action="store_true", help="only create the virtualenvs")
    parser.add_argument("--list", action="store_true", help="print the matrix and the cache folder, then exit")
    parser.add_argument("pytest_args", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    versions = _parse_versions(args.versions)
    if args.list:
        print(f"cache: {cache_dir()}")
        for minor in versions:
            alembic, sqlalchemy = MATRIX[minor]
            state = "ready" if (cache_dir() / alembic / _STAMP).exists() else "not built"
            print(f"{minor}: alembic=={alembic} SQLAlchemy=={sqlalchemy} ({state})")
        print("other pins: " + " ".join(requirement_pins()))
        return 0
    if args.wheel is not None and not args.wheel.is_file():
        parser.error(f"no such wheel: {args.wheel}")
    if args.pytest_args and (args.wheel is None or args.command is not None):
        parser.error("a pytest selection (after --) needs --wheel and no --command")

    rows: list[tuple[str, dict[str, object]]] = []
    for minor in versions:
        alembic = MATRIX[minor][0]
        try:
            venv = ensure_venv(minor, args.python, args.rebuild, quiet=False)
            if args.wheel is not None and not args.setup_only:
                install_wheel(venv, args.wheel.resolve())
            elif args.wheel is None:
                remove_monomig(venv)
        except SetupFailed as e:
            print(f"[{minor}] {e}", file=sys.stderr, flush=True)
            rows.append((minor, _setup_failed(str(e))))
            continue
        if args.setup_only:
            continue
        if args.wheel is not None and args.command is None:
            print(f"\n===== alembic {alembic}: pytest {' '.join(args.pytest_args)}", flush=True)
            rows.append((minor, run_pytest(venv, args.pytest_args)))
        else:
            rows.append((minor, run_command(venv, args.command or DEFAULT_COMMAND)))
    if args.setup_only and not rows:
        return 0
    print_table(rows)
    return 0 if all(r["rc"] == 0 for _, r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
