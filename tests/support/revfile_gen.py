"""Random Alembic revision files written in many Python spellings.

Every file the generator makes is one stock Alembic loads without error; the
generator knows whether the file's values need Python to be known
(``expect_import``: computed, conditional, imported, touched through
``globals()``...) or are plain literals that monomig must read statically.
The values themselves are never predicted here: Alembic is the oracle.

Used by the differential tests (``tests/test_scripts_*.py``) with a fixed seed.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field

HEX = "0123456789abcdef"

WORDS = [
    "add",
    "column",
    "user",
    "orders",
    "index",
    "drop",
    "table",
    "Revision",
    "ID:",
    "Revises:",
    "Create",
    "Date:",
    "2024-06-20",
    "merge",
    "heads",
    "fix",
    "naïve",
    "café",
    "日本",
    "données",
    "ünïcödé",
    "emoji😀",
    "tab\there",
    "x",
    "-",
    "*",
    "#",
    "'quoted'",
    '"dq"',
    "back\\slash",
    "{brace}",
    "(paren",
    "bracket]",
    "revision",
    "=",
    "None",
    ";",
    "«»",
    "\u00a0nbsp",
    "\u3000wide",
]

# Characters a docstring may hold (besides words): whitespace Python's strip() knows.
ODD_SPACES = ["\t", "\x0b", "\x0c", "\x1c", "\x1f", "\x85", "\u2028", "\u3000", " "]

ANNOTATIONS = [
    "str",
    "Union[str, None]",
    "Union[str, Sequence[str], None]",
    "Sequence[str] | None",
    "Optional[str]",
    "tuple[str, ...]",
    "'str'",
    "str | tuple[str, ...] | None",
]


@dataclass
class RevFile:
    """One generated revision file."""

    name: str
    data: bytes
    expect_import: bool
    features: list[str] = field(default_factory=list)


class RevFileGen:
    """Generates revision files; ``make(i)`` is deterministic for a given seed."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        self.features: list[str] = []
        self.needs_import = False
        self.ascii_only = False
        self.used_names: set[str] = set()

    # ------------------------------------------------------------------ helpers

    def chance(self, p: float) -> bool:
        return self.r.random() < p

    def mark(self, feature: str, needs_import: bool = False) -> None:
        self.features.append(feature)
        if needs_import:
            self.needs_import = True

    def rev_id(self) -> str:
        r = self.r
        roll = r.random()
        if roll < 0.8:
            return "".join(r.choice(HEX) for _ in range(r.choice([12, 12, 12, 4, 8, 32])))
        if roll < 0.9:
            return r.choice(["rev_", "r", "Ab", "x"]) + "".join(r.choice(HEX) for _ in range(6))
        return r.choice(["é1", "rev one", "日本1", "a.b", "a/b", "a b c", "A_B", "0"]) + str(r.randint(0, 99999))

    def label(self) -> str:
        return self.r.choice(["feature", "lbl", "branch_a", "b", "dépôt", "x y", "Ω", "tag1", "release/1"]) + str(
            self.r.randint(0, 999)
        )

    # --------------------------------------------------------- string literals

    def escape_char(self, c: str, quote: str, triple: bool, allow_named: bool) -> str:
        r = self.r
        o = ord(c)
        if c == "\\":
            return "\\\\"
        if c == quote or (c in "'\"" and r.random() < 0.3):
            return "\\" + c
        if c == "\n":
            return "\n" if triple and r.random() < 0.7 else "\\n"
        if c == "\r":
            return "\\r"
        if c == "\t":
            return "\t" if r.random() < 0.5 else "\\t"
        if o < 0x20 or o == 0x7F:
            return r.choice([f"\\x{o:02x}", f"\\{o:03o}", f"\\u{o:04x}"])
        if o >= 0x80 or r.random() < 0.02:
            roll = r.random()
            if self.ascii_only or roll < 0.3:
                choices = [f"\\U{o:08x}"]
                if o <= 0xFFFF:
                    choices.append(f"\\u{o:04X}")
                if o <= 0xFF:
                    choices.append(f"\\x{o:02x}")
                if o <= 0o377:
                    choices.append(f"\\{o:03o}")
                return r.choice(choices)
            if allow_named and roll < 0.305:
                name = unicodedata.name(c, "")
                if name:
                    self.mark("named-escape", needs_import=True)
                    return "\\N{" + name + "}"
        return c

    def piece(self, s: str, allow_named: bool = True) -> str:
        """One string token whose value is ``s``."""
        r = self.r
        quote = r.choice(["'", '"'])
        triple = r.random() < 0.35
        simple = all(c not in "\\'\"\n\r" and 0x20 <= ord(c) != 0x7F for c in s)
        if self.ascii_only:
            simple = simple and s.isascii()
        prefix = ""
        if simple and r.random() < 0.25:
            prefix = r.choice(["r", "R"])
            body = s
        else:
            body = "".join(self.escape_char(c, quote, triple, allow_named) for c in s)
            # A line continuation inside the literal changes nothing.
            if r.random() < 0.1 and not triple:
                cut = self.safe_cut(body)
                body = body[:cut] + "\\\n" + body[cut:]
        if not prefix and r.random() < 0.15:
            prefix = r.choice(["u", "U"])
        q = quote * 3 if triple else quote
        return f"{prefix}{q}{body}{q}"

    @staticmethod
    def safe_cut(body: str) -> int:
        """A position in ``body`` that does not split an escape sequence."""
        positions = [0]
        i = 0
        while i < len(body):
            if body[i] == "\\":
                # skip the whole escape
                j = i + 2
                if body[i + 1 : i + 2] in ("x",):
                    j = i + 4
                elif body[i + 1 : i + 2] == "u":
                    j = i + 6
                elif body[i + 1 : i + 2] == "U":
                    j = i + 10
                elif body[i + 1 : i + 2] == "N":
                    j = body.index("}", i) + 1
                elif body[i + 1 : i + 2].isdigit():
                    j = i + 2
                    while j < len(body) and j < i + 4 and body[j] in "01234567":
                        j += 1
                i = j
            else:
                i += 1
            positions.append(min(i, len(body)))
        return positions[len(positions) // 2]

    def strlit(self, s: str, allow_named: bool = True) -> str:
        """A str expression (possibly implicit concatenation) whose value is ``s``."""
        r = self.r
        if len(s) > 1 and r.random() < 0.25:
            cuts = sorted(r.sample(range(1, len(s)), min(len(s) - 1, r.randint(1, 2))))
            parts = [s[a:b] for a, b in zip([0, *cuts], [*cuts, len(s)], strict=False)]
            toks = [self.piece(p, allow_named) for p in parts]
            if r.random() < 0.5:
                self.mark("concat-parens")
                sep = r.choice([" ", "\n    ", "  # c\n  "])
                return "(" + sep.join(toks) + ")"
            self.mark("concat")
            return r.choice([" ", "", " \\\n    "]).join(toks)
        tok = self.piece(s, allow_named)
        if r.random() < 0.08:
            return f"({tok})"
        return tok

    # ------------------------------------------------------------------ values

    def value(self, items: list[str] | None, scalar_ok: bool = True) -> str:
        """A literal whose Alembic reading (to_tuple) gives ``items`` (None → None)."""
        r = self.r
        if items is None:
            return r.choice(["None", "None", "(None)", "()", "[]"])
        if len(items) == 1 and scalar_ok and r.random() < 0.6:
            return self.strlit(items[0])
        elems = [self.strlit(x) for x in items]
        roll = r.random()
        trailing = "," if (len(elems) == 1 or r.random() < 0.3) else ""
        if roll < 0.45:
            if r.random() < 0.3:
                inner = "".join(f"\n    {e},  # item" for e in elems) + "\n"
                return f"({inner})"
            return "(" + ", ".join(elems) + trailing + ")"
        if roll < 0.75:
            if r.random() < 0.3:
                inner = "".join(f"\n    {e}," for e in elems) + "\n"
                return f"[{inner}]"
            return "[" + ", ".join(elems) + trailing + "]"
        return ", ".join(elems) + trailing

    def assignment(self, name: str, value: str) -> str:
        r = self.r
        eq = r.choice([" = ", "=", "  =  ", " =\t"])
        if r.random() < 0.08:
            eq = " = \\\n    "
        if r.random() < 0.4:
            ann = r.choice(ANNOTATIONS)
            line = f"{name}: {ann}{eq}{value}"
            self.mark("annotated")
        else:
            line = f"{name}{eq}{value}"
        if r.random() < 0.15:
            line += "  # " + r.choice(["revision identifiers", "noqa", "type: ignore", "é"])
        return line

    # -------------------------------------------------------------- docstrings

    def doc_text(self) -> str:
        r = self.r
        paras = []
        for _ in range(r.randint(1, 4)):
            lines = []
            for _ in range(r.randint(1, 3)):
                indent = r.choice(["", "", "", "  ", "    ", "\t"])
                words = " ".join(r.choice(WORDS) for _ in range(r.randint(1, 6)))
                lines.append(indent + words + r.choice(["", "", " ", "  "]))
            paras.append("\n".join(lines))
        text = r.choice(["\n\n", "\n \n", "\n\n\n"]).join(paras)
        if r.random() < 0.5:
            text = r.choice(["\n", "", " ", "\n  ", r.choice(ODD_SPACES)]) + text
        if r.random() < 0.5:
            text += r.choice(["\n", "\n\n", "  \n", r.choice(ODD_SPACES), "\n    "])
        return text

    def docstring(self) -> str | None:
        """Source for the file's first statement, or None for no docstring at all."""
        r = self.r
        roll = r.random()
        if roll < 0.1:
            self.mark("no-docstring")
            return None
        if roll < 0.15:
            self.mark("empty-docstring")
            return r.choice(['""""""', "''", '""', "r''''''"])
        if roll < 0.19:
            self.mark("bytes-docstring")
            return r.choice(['b"""bytes doc"""', "B'x'", 'rb"raw bytes"'])
        if roll < 0.22:
            self.mark("fstring-docstring")
            return r.choice(['f"""f doc"""', "F'x'", "'a' f'b'", 'rf"{1}"'])
        if roll < 0.25:
            self.mark("expression-not-docstring")
            return r.choice(['"a" + "b"', '"doc".strip()', '"a" if True else "b"', '("a", "b")'])
        text = self.doc_text()
        if r.random() < 0.5:
            # The Mako template's shape.
            text = (
                f"{r.choice(WORDS)} {r.choice(WORDS)}\n\nRevision ID: {self.rev_id()}\n"
                f"Revises: {self.rev_id()}\nCreate Date: 2024-06-20 10:00:00.000000\n\n"
            )
        self.mark("docstring")
        return self.strlit(text)

    # ------------------------------------------------------------------- noise

    def literal_noise(self) -> str:
        """Module-level code that does not change Alembic's values."""
        r = self.r
        options = [
            "if TYPE_CHECKING:\n    from typing import Any\n",
            "def upgrade() -> None:\n    revision = 'local'\n    down_revision = ('x', 'y')\n"
            "    op.execute(\"SELECT 'revision = 1'\")\n",
            "def downgrade():\n\tbranch_labels = None\n\tdepends_on: str = 'x'\n\tfor revision in []:\n\t\tpass\n",
            "class _Meta:\n    revision = 'class attribute'\n    down_revision: str = 'x'\n",
            "TABLE_NAME = 'orders'\n_MAP = {'revision': 1, \"down_revision\": [1, 2]}\n",
            "_names = [n for n in ('a', 'b') if n]\n_squares = {k: k * k for k in range(3)}\n",
            "import functools\n\n\n@functools.lru_cache()\ndef _cached(x):\n    return x\n",
            "_fn = lambda revision: revision\n",
            "_ns = type('NS', (), {})()\n_ns.revision = 'attribute'\n_ns.down_revision = None\n",
            "def _f(x):\n    return f\"{x['a']} {x!r:>10} {{literal}}\"\n",
            "_s = \"# not a comment ([{\"\n_t = '''multi\nline \"\"\" string'''\n",
            "# revision = 'fake'\n# down_revision = 'fake'\n",
            '_doc = """\nrevision = \'in a string\'\n"""\n',
            "_v = 2\nmatch _v:\n    case 1:\n        pass\n    case _:\n        pass\n",
            "try:\n    import json as _json\nexcept ImportError:\n    _json = None\n",
            "for _i in range(2):\n    pass\nelse:\n    pass\n",
            "with open(__file__, 'rb') as _fh:\n    pass\n",
            "_tmp = 1\ndel _tmp\n",
            "_w = (_x := 3)\n",
            "_long = (1 +\n         2 -\n         3)\n",
            "_a = 1; _b = 2;\n",
            "_x1 = 1 \\\n    + 2\n",
            "def _typed(a: int, *args: str, b: 'str' = \"x\", **kw) -> 'dict[str, int]':\n    ...\n",
            'class _C:\n    """Doc."""\n\n    def m(self):\n        revision = self\n        return revision\n',
            "async def _co():\n    await _co()\n",
            "_nums = [0x1F, 0o17, 0b101, 1_000, 1.5e-3, 2j, .5, 1., 3e+2]\n",
            "_e = ...\n_n = None\n_t = True\n",
            "if False:\n    pass\nelif True:\n    _z = 1\nelse:\n    _z = 2\n",
            "assert_ = 1\nraise_ = 2\n",
            "def _gen():\n    yield 1\n    return\n",
            "_dict = {\n    'a': 1,  # comment\n    'b': [\n        2,\n    ],\n}\n",
            "@staticmethod\ndef _st():\n    pass\n",
            "_bytes = b'\\x00\\xff' + rb'\\d'\n",
            "_uni = '\\u00e9\\N{BULLET}'\n",
            "\x0c\n_ff = 1\n",
        ]
        fresh = [i for i in range(len(options)) if i not in self.used_noise]
        if not fresh:
            return "_spare = 1\n"
        i = r.choice(fresh)
        self.used_noise.add(i)
        self.mark("noise")
        return options[i]

    def import_noise(self) -> tuple[str, str]:
        """(feature, module-level code) that only Python can evaluate."""
        r = self.r
        k = r.randrange(18)
        if k == 0:
            return "computed", "revision = 'ab' + 'cd' + str(len(__name__))\n"
        if k == 1:
            return "name-reference", "_PREV = 'x1'\ndown_revision = _PREV\n"
        if k == 2:
            return "conditional", "if True:\n    down_revision = 'cond'\nelse:\n    down_revision = None\n"
        if k == 3:
            return "conditional-try", "try:\n    branch_labels = ('trylabel',)\nexcept Exception:\n    pass\n"
        if k == 4:
            return "imported", "from os.path import sep as depends_on\n"
        if k == 5:
            return "star-import", "from os.path import *\n"
        if k == 6:
            return "augmented", "revision += 'aug'\n"
        if k == 7:
            return "unpacking", "(down_revision, _unused) = ('unpacked', 0)\n"
        if k == 8:
            return "globals", "globals()['branch_labels'] = ('viaglobals',)\n"
        if k == 9:
            return "exec", "exec(\"depends_on = 'viaexec'\")\n"
        if k == 10:
            return "walrus", "(_w := (revision := 'walrus' + revision))\n"
        if k == 11:
            return "for-target", "for branch_labels in [('fortarget',)]:\n    pass\n"
        if k == 12:
            return (
                "global-in-function",
                "def _set():\n    global down_revision\n    down_revision = 'setglobal'\n\n\n_set()\n",
            )
        if k == 13:
            return "deleted", "del revision\nrevision = 'redefined'\n"
        if k == 14:
            return "dunder-doc", "__doc__ = 'assigned doc'\n"
        if k == 15:
            return "locals-in-function", "def upgrade():\n    return locals()\n"
        if k == 16:
            return "module-level-global", "global _g\n_g = 1\n"
        return "number-into-name", "_n = [1if True else 2]\n"

    # -------------------------------------------------------------------- file

    def make(self, index: int) -> RevFile:
        r = self.r
        self.features = []
        self.needs_import = False
        self.ascii_only = False
        self.used_noise: set[int] = set()
        newline = "\n"
        roll = r.random()
        if roll < 0.05:
            newline = "\r\n"
            self.mark("crlf")
        elif roll < 0.07:
            newline = "\r"
            self.mark("cr")
        bom = r.random() < 0.05
        header: list[str] = []
        cookie_roll = r.random()
        encoding = "utf-8"
        if cookie_roll < 0.05:
            cookies = ["# -*- coding: utf-8 -*-", "# vim: set fileencoding=UTF-8 :"]
            if not bom:
                # Python refuses any other spelling after a byte order mark.
                cookies.append("# coding=utf8")
            header.append(r.choice(cookies))
            self.mark("utf8-cookie")
        elif cookie_roll < 0.08:
            header.append("#!/usr/bin/env python")
            header.append("# -*- coding: utf_8 -*-")
            self.mark("utf8-cookie-line2")
        elif cookie_roll < 0.10 and not bom:
            header.append("# -*- coding: latin-1 -*-")
            encoding = "latin-1"
            self.ascii_only = True
            self.mark("latin1-cookie", needs_import=True)
        if r.random() < 0.2:
            header.append(r.choice(["# a comment before the docstring", "", "   ", "# revision = 'nope'"]))

        rev = self.rev_id()
        legacy = r.random() < 0.08
        down = None if r.random() < 0.2 else [self.rev_id() for _ in range(r.choice([1, 1, 1, 2, 3]))]
        labels = None if r.random() < 0.7 else [self.label() for _ in range(r.choice([1, 1, 2]))]
        deps = None if r.random() < 0.7 else [self.rev_id() for _ in range(r.choice([1, 1, 2]))]
        # Never a self-loop: those are errors, tested elsewhere.
        if down and rev in down:
            down = None

        body: list[str] = []
        doc = self.docstring()
        if doc is not None:
            if r.random() < 0.1:
                doc += "; _after_doc = 1"
            body.append(doc)
        imports = [
            "from typing import Optional, Sequence, Union, TYPE_CHECKING\n\nfrom alembic import op\nimport sqlalchemy as sa\n",
            "from typing import (\n    Optional,\n    Sequence,\n    Union,\n    TYPE_CHECKING,\n)\nfrom alembic import op\n",
            "import typing\nfrom typing import *\n",
        ]
        body.append(imports[0] if r.random() < 0.6 else imports[1] if r.random() < 0.9 else imports[2])
        if body[-1].startswith("import typing\nfrom typing import *"):
            # A star import could bind anything: only Python can tell.
            self.mark("star-import-typing", needs_import=True)

        assigns: list[str] = []
        if not legacy:
            if r.random() < 0.1:
                assigns.append(self.assignment("revision", self.strlit("decoy" + rev)))
                self.mark("reassigned")
            assigns.append(self.assignment("revision", self.strlit(rev)))
        else:
            self.mark("legacy-name")
        assigns.append(self.assignment("down_revision", self.value(down)))
        if labels is not None or r.random() < 0.5:
            assigns.append(self.assignment("branch_labels", self.value(labels)))
        if deps is not None or r.random() < 0.5:
            assigns.append(self.assignment("depends_on", self.value(deps)))
        r.shuffle(assigns)
        if len(assigns) > 1 and r.random() < 0.1:
            # Two assignments on one line.
            a = assigns.pop()
            if "#" not in a and "#" not in assigns[0]:
                assigns[0] = assigns[0] + "; " + a
            else:
                assigns.append(a)
            self.mark("semicolon")

        for _ in range(r.choice([0, 1, 1, 2, 3])):
            assigns.insert(r.randrange(len(assigns) + 1), self.literal_noise())
        if r.random() < 0.15:
            feature, code = self.import_noise()
            while legacy and feature in ("augmented", "walrus", "deleted"):
                # Those need `revision` to exist already.
                feature, code = self.import_noise()
            # A function body nothing calls at import changes no module variable.
            self.mark(feature, needs_import=feature != "locals-in-function")
            # After the assignments, so augmented/deleted names exist.
            assigns.append(code)
        body.extend(assigns)
        text = "".join(h + "\n" for h in header)
        sep = r.choice(["\n", "\n\n", "\n\n\n"])
        text += sep.join(body) + "\n"
        if r.random() < 0.05:
            text = text.rstrip("\n")  # no final newline
            self.mark("no-final-newline")
        if newline != "\n":
            text = text.replace("\n", newline)
        data = text.encode(encoding)
        if bom:
            data = b"\xef\xbb\xbf" + data
            self.mark("bom")
        if legacy:
            name = rev + ".py"
            if not all(c in HEX for c in rev):
                # Only hexadecimal names are legacy names: give it one.
                name = "".join(r.choice(HEX) for _ in range(12)) + ".py"
        else:
            stem = r.choice(["", "_", "rev_", "2024_06_20_", "A", "z"])
            name = f"{stem}{index:05d}_{rev.encode('ascii', 'ignore').decode()[:12]}.py".replace("/", "_")
        while name in self.used_names:
            # Legacy names are hexadecimal and short ones can collide.
            name = name[:-3] + r.choice(HEX) + ".py"
        self.used_names.add(name)
        return RevFile(name=name, data=data, expect_import=self.needs_import, features=list(self.features))
