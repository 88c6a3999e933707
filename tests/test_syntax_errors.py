"""Python's own syntax errors, in every command and output format.

For each file of the corpus (tests/support/syntax_corpus.py: 42 revision files broken the
ways they break in practice), the message monomig gives must carry what the running
Python's ``compile()`` says about that file (line, column, exception class and message),
with no punctuation added to Python's own: the static reader, ``check`` (text, JSON,
GitHub annotations), ``status``, ``upgrade --all``, the fast commands and the bridged
``alembic`` commands, which all fail alike with one ``FAILED:`` line where stock Alembic
prints a traceback ending in the same ``SyntaxError``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from support.fleet_repo import Repo, alembic_script, env_without_urls, monomig
from support.syntax_corpus import CORPUS, python_says

import monomig as monomig_pkg
import monomig._native as native

SERVICES = [f"s{i:02d}" for i in range(len(CORPUS))]


def build(root: Path) -> dict[str, tuple[Path, str, int | None]]:
    """One service per broken file: service -> (file, Python's words, Python's line)."""
    repo = Repo(root)
    out = {}
    for svc, (name, data) in zip(SERVICES, CORPUS, strict=True):
        versions = repo.add_service(svc, f"sqlite:///{root}/{svc}.db", monomig_bridge="true")
        path = versions / f"{name}.py"
        path.write_bytes(data)
        fragment, line = python_says(data, str(path))
        out[svc] = (path, fragment, line)
    return out


def assert_python_words(message: str, fragment: str) -> None:
    assert fragment in message, f"{fragment!r} not in {message!r}"
    assert "\n" not in message.strip()
    outside = message.replace(fragment, "")  # Python's own text may hold anything
    assert not re.search(r"[.?!]\.", outside), message


def test_corpus_is_broken_for_the_running_python() -> None:
    assert len(CORPUS) >= 30
    assert len({name for name, _ in CORPUS}) == len(CORPUS)


def test_the_reader_reports_what_compile_reports(tmp_path: Path) -> None:
    files = build(tmp_path)
    for svc, (path, fragment, _) in files.items():
        with pytest.raises(monomig_pkg.ScriptError) as caught:
            native.scan_revisions([str(path.parent)], cache=False)
        assert_python_words(str(caught.value), fragment)
        assert str(path) in str(caught.value)
        with pytest.raises(monomig_pkg.ScriptError) as again:
            native.read_revision_file(path)
        assert str(again.value) == str(caught.value), svc


def test_check_status_and_upgrade_all_report_what_compile_reports(tmp_path: Path) -> None:
    files = build(tmp_path)
    env = env_without_urls()

    p = monomig(tmp_path, "check", "--json", env=env)
    assert p.returncode != 0
    findings = {f["service"]: f for f in json.loads(p.stdout) if f["code"] == "unreadable_revision"}
    assert set(findings) == set(SERVICES)
    for svc, (path, fragment, line) in files.items():
        f = findings[svc]
        assert_python_words(f["message"], fragment)
        assert f["path"] == str(path)
        assert f["line"] == (line or 1), svc

    p = monomig(tmp_path, "check", "--all", env=env)
    github = monomig(tmp_path, "check", "--format", "github", env=env)
    for svc, (path, fragment, line) in files.items():
        assert fragment in p.stdout + p.stderr, svc
        annotation = f"::error file={path.relative_to(tmp_path)},line={line or 1},"
        hits = [a for a in github.stdout.splitlines() if a.startswith(annotation)]
        assert len(hits) == 1 and fragment in hits[0], (svc, github.stdout)

    p = monomig(tmp_path, "status", "--json", env=env)
    rows = {r["service"]: r for r in json.loads(p.stdout)}
    for svc, (_, fragment, _) in files.items():
        assert rows[svc]["state"] == "error"
        assert_python_words(rows[svc]["error"], fragment)

    p = monomig(tmp_path, "upgrade", "--all", "--json", env=env)
    assert p.returncode != 0
    text = json.dumps(json.loads(p.stdout))
    for svc, (_, fragment, _) in files.items():
        assert json.dumps(fragment)[1:-1] in text, svc
    assert "Traceback" not in p.stderr


# A few files through every single-service command (each is a process of its own).
LOGGED = ("INFO ", "ERROR [alembic.util.messaging]")
SAMPLES = ["unclosed_paren", "missing_comma", "conflict_markers_in_header"]


@pytest.mark.slow  # a few dozen processes
def test_fast_and_bridged_commands_fail_alike_with_one_line(tmp_path: Path) -> None:
    files = build(tmp_path)
    names = [name for name, _ in CORPUS]
    bridged = env_without_urls()
    stock = dict(bridged, MONOMIG_BRIDGE="0")
    for sample in SAMPLES:
        svc = SERVICES[names.index(sample)]
        _, fragment, _ = files[svc]
        # Stock Alembic: a traceback ending in Python's SyntaxError.
        p = alembic_script(tmp_path, "-n", svc, "heads", env=stock)
        assert p.returncode == 1 and "Traceback" in p.stderr
        kind_and_msg = fragment.split(": ", 1)[1]
        assert p.stderr.strip().splitlines()[-1] == kind_and_msg
        # monomig: one FAILED line with Python's words, the same for every command.
        seen = set()
        for prog, args in (
            (monomig, ["heads"]),
            (monomig, ["history"]),
            (alembic_script, ["heads"]),
            (alembic_script, ["history"]),
            (alembic_script, ["current"]),
            (alembic_script, ["upgrade", "head"]),
        ):
            p = prog(tmp_path, "-n", svc, *args, env=bridged)
            assert "Traceback" not in p.stderr, (args, p.stderr)
            # (env.py's logging, once it has run, shows Alembic's own log lines too)
            lines = [line for line in (p.stdout + p.stderr).splitlines() if not line.startswith(LOGGED)]
            assert p.returncode == 255 and len(lines) == 1 and lines[0].startswith("FAILED: "), (args, lines)
            assert_python_words(lines[0], fragment)
            seen.add(lines[0])
        assert len(seen) == 1, seen
