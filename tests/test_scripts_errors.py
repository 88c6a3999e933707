"""Damaged revision files: monomig fails where Alembic fails, with a clear error.

For each damaged file, stock Alembic is run first. When it cannot load the
file, monomig must raise a ``monomig.MonomigError`` subclass naming the file
(or, where monomig cannot tell statically, ask for the file to be imported —
importing then fails exactly as Alembic does). When Alembic loads the file,
monomig must agree with its values (or ask for an import), never raise.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from alembic.script import revision as alembic_revision
from alembic.util import CommandError
from support.revfile_gen import RevFileGen
from support.scripts_oracle import alembic_load, monomig_view, view

import monomig
import monomig._native as native

MUTATION_CASES = int(os.environ.get("MONOMIG_DAMAGE_CASES", "400"))
SEED = int(os.environ.get("MONOMIG_DIFF_SEED", "20240620"))

GOOD = "revision = 'abc123'\ndown_revision = None\n"

MERGE_CONFLICT = """\"\"\"add field

Revision ID: 2b3c4d5e6f70
\"\"\"
revision = '2b3c4d5e6f70'
<<<<<<< HEAD
down_revision = '1a2b3c4d5e6f'
=======
down_revision = '9f8e7d6c5b4a'
>>>>>>> feature-branch


def upgrade():
    pass
"""


def outcome(tmp: Path, name: str, data: bytes):
    """(Alembic's result, monomig's entries or exception) for one file in its own directory."""
    versions = tmp / "versions"
    versions.mkdir(exist_ok=True)
    for old in versions.iterdir():
        old.unlink()
    (versions / name).write_bytes(data)
    oracle = alembic_load(tmp, [versions])
    try:
        mine = native.scan_revisions([str(versions)])[0]
    except monomig.MonomigError as e:
        mine = e
    return oracle, mine


# (description, file name, content, monomig exception class, exact message or None)
DAMAGE = [
    ("unterminated string", "f.py", b"revision = 'abc\ndown_revision = None\n", monomig.ScriptError, None),
    ("unterminated triple", "f.py", b'"""doc\nrevision = "a"\ndown_revision = None\n', monomig.ScriptError, None),
    ("open bracket", "f.py", b"revision = 'a'\ndown_revision = ('b',\n", monomig.ScriptError, None),
    ("stray close", "f.py", b"revision = 'a'\ndown_revision = None)\n", monomig.ScriptError, None),
    ("mismatched", "f.py", b"revision = 'a'\ndown_revision = ['b')\n", monomig.ScriptError, None),
    ("merge conflict", "f.py", MERGE_CONFLICT.encode(), monomig.ScriptError, None),
    ("NUL byte", "f.py", b"revision = 'a'\x00\ndown_revision = None\n", monomig.ScriptError, None),
    ("binary", "f.py", bytes(range(256)) * 4, monomig.ScriptError, None),
    ("invalid UTF-8", "f.py", b"revision = 'caf\xe9'\ndown_revision = None\n", monomig.ScriptError, None),
    ("BOM and latin-1", "f.py", b"\xef\xbb\xbf# coding: latin-1\n" + GOOD.encode(), monomig.ScriptError, None),
    ("bad escape", "f.py", b"revision = 'a\\x4'\ndown_revision = None\n", monomig.ScriptError, None),
    ("non-ASCII bytes literal", "f.py", "x = b'é'\n".encode() + GOOD.encode(), monomig.ScriptError, None),
    ("unexpected indent", "f.py", b"revision = 'a'\n    down_revision = None\n", monomig.ScriptError, None),
    ("bad dedent", "f.py", GOOD.encode() + b"def f():\n        x = 1\n    y = 2\n", monomig.ScriptError, None),
    (
        "missing block",
        "f.py",
        GOOD.encode() + b"def upgrade():\n\ndef downgrade():\n    pass\n",
        monomig.ScriptError,
        None,
    ),
    ("missing colon", "f.py", GOOD.encode() + b"def upgrade()\n    pass\n", monomig.ScriptError, None),
    ("tabs and spaces", "f.py", GOOD.encode() + b"if True:\n        x = 1\n\ty = 2\n", monomig.ScriptError, None),
    ("incomplete", "f.py", GOOD.encode() + b"x = 1 +\n", monomig.ScriptError, None),
    ("missing comma", "f.py", GOOD.encode() + b"def upgrade():\n    op.f(a b)\n", monomig.ScriptError, None),
    ("python 2 print", "f.py", GOOD.encode() + b"print 'hello'\n", monomig.ScriptError, None),
    ("dollar", "f.py", GOOD.encode() + b"x = $y\n", monomig.ScriptError, None),
    ("continuation", "f.py", GOOD.encode() + b"x = 1 \\ # comment\n", monomig.ScriptError, None),
    (
        "no revision, not a legacy name",
        "add_field.py",
        b"down_revision = None\n",
        monomig.ScriptError,
        "Could not determine revision id from filename add_field.py. Be sure the 'revision' variable is "
        "declared inside the script (please see 'Upgrading from Alembic 0.1 to 0.2' in the documentation).",
    ),
    (
        "empty file, not a legacy name",
        "empty.py",
        b"",
        monomig.ScriptError,
        "Could not determine revision id from filename empty.py. Be sure the 'revision' variable is "
        "declared inside the script (please see 'Upgrading from Alembic 0.1 to 0.2' in the documentation).",
    ),
    ("empty file, legacy name", "abc123.py", b"", monomig.ScriptError, None),
    ("no down_revision", "f.py", b"revision = 'a'\n", monomig.ScriptError, None),
    (
        "illegal characters",
        "f.py",
        b"revision = 'a-b:c'\ndown_revision = None\n",
        monomig.RevisionError,
        "Character(s) '-, :' not allowed in revision identifier 'a-b:c'",
    ),
    (
        "self loop",
        "f.py",
        b"revision = 'a'\ndown_revision = ('b', 'a')\n",
        monomig.LoopDetected,
        "Self-loop is detected in revisions (a)",
    ),
    (
        "dependency self loop",
        "f.py",
        b"revision = 'a'\ndown_revision = None\ndepends_on = 'a'\n",
        monomig.DependencyLoopDetected,
        "Dependency self-loop is detected in revisions (a)",
    ),
]


@pytest.mark.parametrize("case", DAMAGE, ids=[d[0] for d in DAMAGE])
def test_damage_fails_like_alembic(tmp_path: Path, case) -> None:
    _, name, data, exc_class, message = case
    oracle, mine = outcome(tmp_path, name, data)
    assert oracle.error is not None, "Alembic loaded the damaged file"
    assert isinstance(mine, exc_class), mine
    text = str(mine)
    if message is not None:
        assert text == message
        assert str(oracle.error) == message
        if isinstance(oracle.error, alembic_revision.RevisionError):
            assert type(oracle.error).__name__ == type(mine).__name__ or exc_class is monomig.RevisionError
        else:
            assert isinstance(oracle.error, CommandError)
    else:
        # One paragraph naming the file, and for syntax damage the line.
        assert name in text
        assert "\n" not in text
        if isinstance(oracle.error, SyntaxError) and oracle.error.lineno and "NUL" not in text:
            assert "line " in text


def test_empty_legacy_file_is_an_error_not_a_revision(tmp_path: Path) -> None:
    # Alembic: revision from the name, then AttributeError for down_revision.
    oracle, mine = outcome(tmp_path, "abc123.py", b"")
    assert isinstance(oracle.error, AttributeError)
    assert isinstance(mine, monomig.ScriptError)
    assert "down_revision" in str(mine)


def _mutate(r: random.Random, src: bytes) -> tuple[str, bytes]:
    kind = r.choice(
        [
            "drop-quote",
            "drop-bracket",
            "add-bracket",
            "truncate",
            "conflict",
            "nul",
            "bad-utf8",
            "drop-colon",
            "drop-char",
        ]
    )
    if kind == "drop-quote":
        spots = [i for i, c in enumerate(src) if c in b"'\""]
    elif kind == "drop-bracket":
        spots = [i for i, c in enumerate(src) if c in b"()[]{}"]
    elif kind == "drop-colon":
        spots = [i for i, c in enumerate(src) if c == ord(":")]
    else:
        spots = list(range(len(src)))
    if not spots:
        return "truncate", src[: len(src) // 2]
    i = r.choice(spots)
    if kind in ("drop-quote", "drop-bracket", "drop-colon", "drop-char"):
        return kind, src[:i] + src[i + 1 :]
    if kind == "add-bracket":
        return kind, src[:i] + r.choice([b"(", b")", b"[", b"]", b"{", b"}"]) + src[i:]
    if kind == "truncate":
        return kind, src[:i]
    if kind == "conflict":
        nl = src.rfind(b"\n", 0, i) + 1
        return kind, src[:nl] + b"<<<<<<< HEAD\nx = 1\n=======\nx = 2\n>>>>>>> other\n" + src[nl:]
    if kind == "nul":
        return kind, src[:i] + b"\x00" + src[i:]
    return kind, src[:i] + r.choice([b"\xff", b"\xc3", b"\xed\xa0\x80"]) + src[i:]


# Damage a tokenizer sees (the brief's list: quotes, brackets, truncation,
# conflict markers, NUL bytes, undecodable bytes) must never be read as fine.
TOKEN_DAMAGE = {"drop-quote", "drop-bracket", "add-bracket", "truncate", "conflict", "nul", "bad-utf8"}


def _python_refuses(error: BaseException) -> bool:
    """Alembic failed because Python cannot compile the file."""
    return isinstance(error, (SyntaxError, UnicodeDecodeError)) or (
        isinstance(error, ValueError) and "null bytes" in str(error)
    )


def test_random_damage_never_silently_differs(tmp_path: Path) -> None:
    """Mutated revision files.

    - Alembic loads the file: monomig agrees with its values (or imports it), never raises.
    - Python refuses the file and the damage is token-level: monomig raises a
      ScriptError naming the file, or imports it (which then fails as Alembic does).
    - Other failures (grammar-level damage such as a dropped ':' in a dict, or
      module-level code failing at run time such as a truncated import) are
      counted: a static reader cannot see them.
    """
    r = random.Random(SEED)
    gen = RevFileGen(SEED + 1)
    stats = {"both_fail": 0, "both_load": 0, "deferred": 0, "unseen_grammar": 0, "unseen_runtime": 0}
    for i in range(MUTATION_CASES):
        f = gen.make(i)
        kind, data = _mutate(r, f.data)
        oracle, mine = outcome(tmp_path, f.name, data)
        where = f"case {i} ({kind}, {f.name}): {data[:2000]!r}"
        if oracle.error is None:
            assert not isinstance(mine, Exception), f"{where}: Alembic loads it, monomig says {mine}"
            stats["both_load"] += 1
            assert len(mine) == len(oracle.scripts) == 1
            if not mine[0].needs_import:
                assert monomig_view(mine[0]) == view(oracle.scripts[0]), where
            continue
        if isinstance(mine, monomig.MonomigError):
            stats["both_fail"] += 1
            assert f.name in str(mine) or isinstance(mine, monomig.RevisionError), where
            continue
        assert len(mine) == 1
        if mine[0].needs_import:
            stats["deferred"] += 1
        elif not _python_refuses(oracle.error):
            stats["unseen_runtime"] += 1
        else:
            assert kind not in TOKEN_DAMAGE, f"{where}: Python refuses it ({oracle.error!r}), monomig reads it"
            stats["unseen_grammar"] += 1
    print(f"\n{MUTATION_CASES} damaged files: {stats}")
