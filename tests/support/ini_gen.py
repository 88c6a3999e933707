"""Random ini texts (valid and invalid) for the config differential tests.

Two generators, both driven by a seeded ``random.Random``:

- :func:`ini_text` stresses the configparser grammar: headers, delimiters,
  comments, continuation and blank lines, odd whitespace, interpolation
  (chains, cycles, missing keys, bad ``%``), duplicates, valueless keys, BOM.
- :func:`project` builds an Alembic-shaped project (an ini text and maybe a
  pyproject.toml) over the directory tree made by :func:`make_tree`, with
  services, separators, package resources, booleans, slug lengths, hooks, and
  occasional corruption.
"""

from __future__ import annotations

import random
from pathlib import Path

# --------------------------------------------------------------------------- grammar

SECTION_NAMES = [
    "alembic",
    "alembic",
    "DEFAULT",
    "DEFAULT",
    "svc",
    "Svc",
    "svc two",
    "a",
    "b",
    "logger_root",
    "post_write_hooks",
    "Ünï",
    "x]y",
    "s",
    "s",
]
KEYS = ["a", "b", "c", "A", "B", "key", "Key", "my key", "here", "script_location", "x.y", "ünï", "ΣΑΣ", "k"]
WORDS = ["v", "value", "/abs/path", "rel/path", "a=b", "x:y", "# not a comment", "; nor this", "[bracket]", "é", "  "]
REFS = ["%(a)s", "%(b)s", "%(C)s", "%(here)s", "%(key)s", "%(missing)s", "%(my key)s", "%(ünï)s"]
BAD_PERCENT = ["%", "%d", "%(a)d", "%(", "%(a", "%()s", "100%", "%x"]
SPACES = [" ", "  ", "\t", " \t", "\u3000", "\x0c", "\u00a0", "\x1c"]


def _value(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(0, 3)):
        r = rng.random()
        if r < 0.45:
            parts.append(rng.choice(WORDS))
        elif r < 0.75:
            parts.append(rng.choice(REFS) if rng.random() < 0.4 else f"%(k{rng.randint(0, 6)})s")
        elif r < 0.9:
            parts.append("%%")
        else:
            parts.append(rng.choice(BAD_PERCENT))
    return rng.choice(["", " ", "/"]).join(parts)


def _indent(rng: random.Random) -> str:
    return "" if rng.random() < 0.7 else rng.choice(SPACES)


def _line(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.14:
        name = rng.choice(SECTION_NAMES)
        form = rng.random()
        if form < 0.85:
            return f"{_indent(rng)}[{name}]"
        if form < 0.95:
            return f"[{name}] {rng.choice(['# c', 'junk', ']'])}"
        return rng.choice(["[]", "[", "[ spaced ]", "[a]]"])
    if r < 0.55:
        key = rng.choice(KEYS) if rng.random() < 0.35 else f"k{rng.randint(0, 12)}"
        delim = rng.choice(["=", " = ", ":", " : ", "  =  ", "=\t", " :"])
        return f"{_indent(rng)}{key}{delim}{_value(rng)}"
    if r < 0.64:
        return f"{rng.choice(SPACES)}{_value(rng) or 'cont'}"
    if r < 0.8:
        return rng.choice(["", "", " ", "\t"])
    if r < 0.9:
        return f"{_indent(rng)}{rng.choice(['#', ';'])}{rng.choice(['', ' comment', ' [s]', ' k = v'])}"
    if r < 0.93:
        return rng.choice(["novalue", "= v", ": v", " = ", "just words"])
    return f"{rng.choice(KEYS)}={rng.choice(BAD_PERCENT)}"


def ini_text(rng: random.Random) -> str:
    """A random ini text: often valid, often not."""
    lines = []
    if rng.random() < 0.9:
        lines.append(f"[{rng.choice(SECTION_NAMES)}]")
    for _ in range(rng.randint(0, 14)):
        lines.append(_line(rng))
    newline = rng.choice(["\n"] * 8 + ["\r\n", "\r"])
    text = newline.join(lines)
    if rng.random() < 0.7:
        text += newline
    if rng.random() < 0.02:
        text = "\ufeff" + text
    return text


# --------------------------------------------------------------------------- projects

TREE_DIRS = [
    "migrations/versions/one",
    "migrations/versions/two",
    "migrations/versions/nested/deeper",
    "other/versions",
    "pkgs/monomig_gen_pkg/migrations/versions/a",
]


def make_tree(root: Path) -> None:
    """The directories random projects point at (``root`` is the working directory)."""
    for d in TREE_DIRS:
        (root / d).mkdir(parents=True, exist_ok=True)
    (root / "pkgs/monomig_gen_pkg/__init__.py").write_text("")


SCRIPT_LOCATIONS = [
    "migrations",
    "./migrations",
    "%(here)s/migrations",
    "%(here)s/./migrations/",
    "other",
    "missing_dir",
    "monomig_gen_pkg:migrations",
    "no_such_pkg:migrations",
    "",
    "%(root)s/migrations",
    "migrations/../migrations",
]
VERSION_ITEMS = [
    "migrations/versions/one",
    "%(here)s/migrations/versions/two",
    "./other/versions",
    "other/versions/",
    "monomig_gen_pkg:migrations/versions/a",
    "missing/versions",
    "/abs/versions",
    "",
]
SEPARATORS = {"os": ":", "space": " ", "newline": "\n", ":": ":", ";": ";"}
BOOLS = ["true", "True", "false", "1", "", "%(flag)s", "yes"]
SLUGS = ["40", " 12 ", "0", "-3", "x", "1_0", "4 0", "+7", "%(n)s"]
SERVICE_NAMES = ["svc_a", "svc_b", "svc c", "Svc_A", "engine1", "logger_x", "post_write_hooks", "alembic"]


def _join_items(rng: random.Random, items: list[str], sep_key: str | None) -> str:
    sep = SEPARATORS.get(sep_key or "", rng.choice([", ", " ", ",", ":"]))
    if sep == "\n":
        return "\n    " + "\n    ".join(items)
    if rng.random() < 0.2:
        sep = rng.choice([" ", ":", ";", ", "])  # a separator that does not match the declared one
    return sep.join(items)


def _service_lines(rng: random.Random, in_default: bool = False) -> list[str]:
    lines = []
    if rng.random() < (0.4 if in_default else 0.75):
        lines.append(f"script_location = {rng.choice(SCRIPT_LOCATIONS)}")
    sep_key = None
    r = rng.random()
    if r < 0.55:
        sep_key = rng.choice(list(SEPARATORS) + ["bogus", ""])
        lines.append(f"path_separator = {sep_key}")
    elif r < 0.65:
        sep_key = rng.choice([";", ":", "space", "bad"])
        lines.append(f"version_path_separator = {sep_key}")
    if rng.random() < 0.6:
        items = [rng.choice(VERSION_ITEMS) for _ in range(rng.randint(1, 3))]
        lines.append(f"version_locations = {_join_items(rng, items, sep_key)}")
    if rng.random() < 0.3:
        lines.append(f"prepend_sys_path = {_join_items(rng, rng.sample(['.', 'src', 'lib:x', 'a b'], 2), sep_key)}")
    for key, pool, p in (
        ("recursive_version_locations", BOOLS, 0.2),
        ("sourceless", BOOLS, 0.2),
        ("truncate_slug_length", SLUGS, 0.2),
        ("file_template", ["%%(rev)s", "%%(year)d_%%(rev)s_%%(slug)s", "%(rev)s", "plain"], 0.15),
        ("sqlalchemy.url", ["sqlite://", "postgresql://u:p%%40w@h/db", "mysql://u@h/%(here)s"], 0.3),
        ("version_table", ["v_a", "", "%(here)s"], 0.15),
        ("version_table_schema", ["s", ""], 0.1),
        ("flag", ["true", "false"], 0.1),
        ("n", ["9", "z"], 0.1),
        ("root", ["%(here)s", "."], 0.15),
    ):
        if rng.random() < p:
            lines.append(f"{key} = {rng.choice(pool)}")
    rng.shuffle(lines)
    return lines


def _toml(rng: random.Random) -> str:
    lines = ["[tool.alembic]"]
    opts = [
        ("script_location", ['"%(here)s/migrations"', '"migrations"', '"missing"', "3", '"%(nope)s"']),
        # (a plain string is refused by monomig on purpose: Alembic would split it into characters)
        ("version_locations", ['["%(here)s/other/versions", "migrations/versions/one"]', "[]", "[1]", "{}"]),
        ("prepend_sys_path", ['["."]', '[".", "src"]', "[]"]),
        ("sourceless", ["true", "false", '"true"']),
        ("recursive_version_locations", ["true", "false"]),
        ("truncate_slug_length", ["33", '"12"', "1.5", "true"]),
        ("file_template", ['"%%(rev)s_%%(slug)s"', '"100%"']),
        ("timezone", ['"UTC"', "2024-01-01"]),
    ]
    for key, pool in opts:
        if rng.random() < 0.35:
            lines.append(f"{key} = {rng.choice(pool)}")
    if rng.random() < 0.15:
        lines.append('[[tool.alembic.post_write_hooks]]\nname = "black"\ntype = "console_scripts"')
    if rng.random() < 0.05:
        lines.append("broken = [")
    return "\n".join(lines) + "\n"


def project(rng: random.Random) -> tuple[str, str | None]:
    """A random Alembic project: (ini text, pyproject.toml text or None)."""
    blocks: list[list[str]] = []
    services = rng.sample(SERVICE_NAMES, rng.randint(0, 4))
    if rng.random() < 0.8:
        alembic = []
        if rng.random() < 0.6 and services:
            named = rng.sample(services + ["ghost"], rng.randint(1, len(services) + 1))
            alembic.append("databases = " + rng.choice([", ", " ", ","]).join(named))
        if rng.random() < 0.5:
            alembic += _service_lines(rng)
        blocks.append(["[alembic]"] + alembic)
    if rng.random() < 0.5:
        blocks.append(["[DEFAULT]"] + _service_lines(rng, in_default=True))
    for name in services:
        if name == "alembic":
            continue
        blocks.append([f"[{name}]"] + _service_lines(rng))
    if rng.random() < 0.2:
        blocks.append(["[post_write_hooks]", "hooks = fmt", "fmt.type = console_scripts", "fmt.entrypoint = %(here)s"])
    if rng.random() < 0.2:
        blocks.append(["[loggers]", "keys = root", "[logger_root]", "level = WARN"])
    rng.shuffle(blocks)
    lines = [line for block in blocks for line in block]
    # occasional corruption
    r = rng.random()
    if r < 0.03 and lines:
        lines.insert(rng.randrange(len(lines) + 1), rng.choice(lines))  # a duplicate
    elif r < 0.06:
        lines.insert(rng.randrange(len(lines) + 1), rng.choice(["novalue", "k = %(k)s", "bad = 5%", "  cont"]))
    text = "\n".join(lines) + "\n"
    toml = _toml(rng) if rng.random() < 0.35 else None
    return text, toml
