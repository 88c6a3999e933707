"""Revision files Python refuses to compile, and what the running Python says about each.

:data:`CORPUS` holds (name, file bytes) pairs: real-world-shaped revision files broken
the ways they break in practice (unclosed and unmatched brackets, bad indentation,
tabs mixed with spaces, stray characters, f-string errors, merge-conflict markers,
truncation, unterminated strings, encoding damage, ...). :func:`python_says` compiles
one as importlib does and gives the fragment monomig's message must carry
(``line L, column C: SyntaxError: msg``): the expectation comes from the running
Python, never from this file, so the tests hold on every Python version.
"""

from __future__ import annotations

HEADER = '''"""{doc}

Revision ID: {rev}
"""
from alembic import op
import sqlalchemy as sa

revision = "{rev}"
down_revision = None
branch_labels = None
depends_on = None

'''

UPGRADE_OK = """

def upgrade():
    op.create_table("t", sa.Column("id", sa.Integer, primary_key=True))


def downgrade():
    op.drop_table("t")
"""

# What follows the header of each broken file (the header itself stays intact, so the
# reader finds the revision variables before the damage, where they are in practice).
_TAILS: list[tuple[str, str]] = [
    (
        "unclosed_paren",
        '\n\ndef upgrade():\n    op.create_table(\n        "t",\n        sa.Column("id", sa.Integer)\n\n\ndef downgrade():\n    op.drop_table("t")\n',
    ),
    (
        "unclosed_bracket",
        '\n\ndef upgrade():\n    cols = [\n        sa.Column("id", sa.Integer)\n\n\ndef downgrade():\n    pass\n',
    ),
    ("unclosed_brace", '\n\ndef upgrade():\n    kw = {\n        "nullable": False\n\n\ndef downgrade():\n    pass\n'),
    ("unmatched_close_paren", '\n\ndef upgrade():\n    op.drop_table("t"))\n'),
    ("unmatched_close_bracket", "\n\ndef upgrade():\n    x = 1]\n"),
    ("mismatched_brackets", '\n\ndef upgrade():\n    op.create_table("t", sa.Column("id"]\n'),
    ("unexpected_indent", '\n\ndef upgrade():\n    pass\n        op.drop_table("t")\n'),
    ("bad_dedent", "\n\ndef upgrade():\n        x = 1\n    y = 2\n"),
    ("missing_block", "\n\ndef upgrade():\n\ndef downgrade():\n    pass\n"),
    ("tabs_and_spaces", "\n\ndef upgrade():\n    if True:\n        x = 1\n\ty = 2\n"),
    ("stray_dollar", "\n\ndef upgrade():\n    x = $y\n"),
    ("stray_question_mark", "\n\ndef upgrade():\n    x = y ? 1 : 2\n"),
    ("stray_backtick", "\n\ndef upgrade():\n    x = `y`\n"),
    ("stray_non_ascii", "\n\ndef upgrade():\n    x = 1 → 2\n"),
    ("fstring_unclosed_brace", '\n\ndef upgrade():\n    op.execute(f"UPDATE t SET x = {y")\n'),
    ("fstring_single_close_brace", '\n\ndef upgrade():\n    op.execute(f"UPDATE t SET x = }")\n'),
    (
        "conflict_markers_in_body",
        '\n\ndef upgrade():\n<<<<<<< HEAD\n    op.add_column("t", sa.Column("a", sa.Integer))\n=======\n    op.add_column("t", sa.Column("b", sa.Integer))\n>>>>>>> feature\n',
    ),
    ("truncated_in_call", '\n\ndef upgrade():\n    op.create_table("t", sa.Col'),
    ("truncated_in_def", "\n\ndef upgrade("),
    ("truncated_in_string", '\n\ndef upgrade():\n    op.execute("UPDATE t SET'),
    ("truncated_in_triple_string", '\n\ndef upgrade():\n    op.execute("""\n        UPDATE t\n'),
    ("unterminated_string", "\n\ndef upgrade():\n    op.drop_table('t)\n"),
    ("missing_colon", '\n\ndef upgrade()\n    op.drop_table("t")\n'),
    ("missing_comma", '\n\ndef upgrade():\n    op.create_table("t" sa.Column("id", sa.Integer))\n'),
    ("python2_print", "\n\ndef upgrade():\n    print 'upgrading'\n"),
    ("continuation_then_comment", "\n\ndef upgrade():\n    x = 1 + \\ # more\n        2\n"),
    ("incomplete_expression", "\n\ndef upgrade():\n    x = 1 +\n"),
    ("from_without_import", "\nfrom sqlalchemy.dialects\n" + UPGRADE_OK),
    ("try_without_except", '\n\ndef upgrade():\n    try:\n        op.drop_table("t")\n    x = 1\n'),
    ("invalid_decimal_literal", "\n\ndef upgrade():\n    x = 1abc\n"),
    ("bad_hex_escape", '\n\ndef upgrade():\n    op.execute("\\x4")\n'),
    ("lambda_without_colon", "\n\ndef upgrade():\n    f = lambda x x + 1\n"),
    ("fstring_empty_expression", '\n\ndef upgrade():\n    op.execute(f"UPDATE t SET x = {}")\n'),
    ("leading_zeros", "\n\ndef upgrade():\n    x = 0123\n"),
]

# Whole files broken before or inside the revision variables.
_WHOLE: list[tuple[str, bytes]] = [
    (
        "conflict_markers_in_header",
        b'"""merge gone wrong"""\nrevision = "c0nf1"\n<<<<<<< HEAD\ndown_revision = "a1"\n=======\n'
        b'down_revision = "b2"\n>>>>>>> other\n',
    ),
    ("unterminated_down_revision", b'revision = "ab12"\ndown_revision = "cd34\n'),
    ("unclosed_tuple_in_header", b'revision = "ab12"\ndown_revision = ("cd34",\n\ndef upgrade():\n    pass\n'),
    ("unterminated_docstring", b'"""add a table\n\nrevision = "ab12"\ndown_revision = None\n'),
    ("invalid_utf8_in_string", b'revision = "caf\xe9"\ndown_revision = None\n'),
    ("bom_with_latin1_cookie", b"\xef\xbb\xbf# -*- coding: latin-1 -*-\nrevision = 'ab12'\ndown_revision = None\n"),
]


def _corpus() -> list[tuple[str, bytes]]:
    out: list[tuple[str, bytes]] = []
    for i, (name, tail) in enumerate(_TAILS):
        rev = f"bad{i:03d}"
        out.append((name, (HEADER.format(doc=name.replace("_", " "), rev=rev) + tail).encode()))
    out.extend(_WHOLE)
    return out


CORPUS: list[tuple[str, bytes]] = _corpus()


def python_error(data: bytes, path: str) -> BaseException:
    """What the running Python's ``compile()`` raises for ``data`` as the file ``path``
    (as importlib compiles a module's source); fails when it compiles."""
    try:
        compile(data, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as e:
        return e
    raise AssertionError(f"{path} compiles: not a broken file")


def python_says(data: bytes, path: str) -> tuple[str, int | None]:
    """The part of monomig's message that must be Python's own words for this file, and
    the line Python names (None when it names none)."""
    e = python_error(data, path)
    if isinstance(e, SyntaxError) and e.lineno:
        place = f"line {e.lineno}" + (f", column {e.offset}" if e.offset and e.offset > 0 else "")
        return f"{place}: {type(e).__name__}: {e.msg}", e.lineno
    msg = e.msg if isinstance(e, SyntaxError) else str(e)
    return f": {type(e).__name__}: {msg}", None


def python_words(data: bytes, path: str) -> str:
    """Python's part of monomig's message for ``data`` as the file ``path``, as monomig must
    show it: ``line L, column C: SyntaxError: msg (the running Python's compile(), at `text`)``
    (without ``line ...: `` when Python names no line)."""
    e = python_error(data, path)
    fragment, _ = python_says(data, path)
    text = (e.text or "").strip() if isinstance(e, SyntaxError) else ""
    at = f", at `{text}`" if text else ""
    return f"{fragment.lstrip(': ')} (the running Python's compile(){at})"
