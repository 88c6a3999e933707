"""Reading revision files without importing them, compared with Alembic importing them.

Alembic 1.20.1 is the oracle: for every file, monomig's static reading must
give exactly what Alembic's ``Script`` shows (revision, down_revision,
branch_labels, dependencies, doc, longdoc, the module docstring), in the same
order, or say "needs import" — and it may say so only for files whose values
really need Python.

``MONOMIG_DIFF_CASES`` raises the number of random files (default 3000).
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest
from support.revfile_gen import RevFileGen
from support.scripts_oracle import alembic_load, monomig_view, view

import monomig
import monomig._native as native

CASES = int(os.environ.get("MONOMIG_DIFF_CASES", "3000"))
SEED = int(os.environ.get("MONOMIG_DIFF_SEED", "20240620"))


def compare_dir(tmp: Path, versions: Path, expect_import: dict[str, bool] | None = None) -> Counter:
    """Compare monomig and Alembic on every file of ``versions``; return counts."""
    oracle = alembic_load(tmp, [versions])
    if oracle.error is not None:
        loaded = oracle.scripts[-1].path if oracle.scripts else None
        raise AssertionError(f"Alembic failed after {loaded}: {oracle.error!r}")
    entries, warnings = native.scan_revisions([str(versions)])
    assert warnings == oracle.warnings
    assert [e.path for e in entries] == [s.path for s in oracle.scripts]
    counts: Counter = Counter()
    for entry, script in zip(entries, oracle.scripts, strict=False):
        name = Path(entry.path).name
        if entry.needs_import:
            counts["needs_import"] += 1
            assert entry.reason
            if expect_import is not None:
                assert expect_import[name], f"{name}: monomig wants to import a literal file: {entry.reason}"
            continue
        counts["static"] += 1
        if expect_import is not None:
            assert not expect_import[name], f"{name}: read statically though its values need Python"
        assert monomig_view(entry) == view(script), name
    return counts


@pytest.mark.slow
def test_random_revision_files_match_alembic(tmp_path: Path) -> None:
    gen = RevFileGen(SEED)
    versions = tmp_path / "versions"
    versions.mkdir()
    expect: dict[str, bool] = {}
    features: Counter = Counter()
    for i in range(CASES):
        f = gen.make(i)
        (versions / f.name).write_bytes(f.data)
        expect[f.name] = f.expect_import
        features.update(set(f.features))
    counts = compare_dir(tmp_path, versions, expect)
    assert counts["static"] + counts["needs_import"] == CASES
    # Most generated files are literal: the static path must carry them.
    assert counts["static"] > CASES * 0.6
    print(
        f"\n{CASES} random revision files: {counts['static']} read statically "
        f"({counts['static'] / CASES:.1%}), {counts['needs_import']} imported; "
        f"features: {dict(sorted(features.items()))}"
    )


def test_demo_revision_files_match_alembic(repo_root: Path, tmp_path: Path) -> None:
    for service in ("service_one", "service_two"):
        counts = compare_dir(tmp_path, repo_root / "migrations" / "versions" / service)
        assert counts["needs_import"] == 0


# Hand-picked files: (source, expected to need import).
HAND_PICKED: list[tuple[str, bool]] = [
    ('"""doc"""\nrevision = "a1"\ndown_revision = None\n', False),
    ("from typing import Union\nrevision: str = 'a2'\ndown_revision: Union[str, None] = 'x'\n", False),
    ("from typing import Sequence\nrevision = 'a3'\ndown_revision: Sequence[str] | None = ('x', 'y',)\n", False),
    ("revision = 'a4'\ndown_revision = ['x', 'y']\nbranch_labels = 'lbl'\ndepends_on = ('d',)\n", False),
    ("revision = 'a5'\ndown_revision = 'x',\n", False),
    ("revision = 'a6'\ndown_revision = ()\nbranch_labels = []\ndepends_on = None\n", False),
    ("revision = 'a7'\ndown_revision = ''\nbranch_labels = ''\ndepends_on = ''\n", False),
    ("revision = 'old'\nrevision = 'a8'\ndown_revision = None\n", False),
    ("revision = 'a9'; down_revision = None; branch_labels = 'x' 'y'\n", False),
    ("revision = \\\n    'a10'\ndown_revision = (\n    'x'  # first\n    'y'\n)\n", False),
    ("'''first para\n\nsecond para\n   indented'''\nrevision = 'a11'\ndown_revision = None\n", False),
    ("r'''raw \\n doc'''\nrevision = 'a12'\ndown_revision = None\n", False),
    ("u'unicode \\u00e9 \\U0001F600 \\x41 \\101'\nrevision = 'a13'\ndown_revision = None\n", False),
    ("('paren'\n 'thesised')\nrevision = 'a14'\ndown_revision = None\n", False),
    ("'cont\\\ninued'\nrevision = 'a15'\ndown_revision = None\n", False),
    ("b'bytes'\nrevision = 'a16'\ndown_revision = None\n", False),
    ("f'fstring'\nrevision = 'a17'\ndown_revision = None\n", False),
    ("''\nrevision = 'a18'\ndown_revision = None\n", False),
    ("'  \\t  '\nrevision = 'a19'\ndown_revision = None\n", False),
    ("# comment\n\n'after comment'\nrevision = 'a20'\ndown_revision = None\n", False),
    ("import os\n'not a docstring'\nrevision = 'a21'\ndown_revision = None\n", False),
    ("'\\x1c trimmed by str.strip \\u3000'\nrevision = 'a22'\ndown_revision = None\n", False),
    ("'''\\ttabbed\n\tlines\n    and spaces'''\nrevision = 'a23'\ndown_revision = None\n", False),
    (
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import os\nrevision = 'a24'\ndown_revision = None\n",
        False,
    ),
    ("revision = 'a25'\ndown_revision = None\ndef upgrade():\n    revision = 'no'\n    global x\n", False),
    ("revision = 'a26'\ndown_revision = None\nclass K:\n    revision = 'no'\n", False),
    ("revision = 'é27'\ndown_revision = '日本'\nbranch_labels = ('ünï', 'x y')\n", False),
    ("revision = 'a28'\ndown_revision = None\nx = {'revision': 'no'}\n", False),
    ("\ufeffrevision = 'a29'\ndown_revision = None\n", False),
    ("# -*- coding: utf-8 -*-\nrevision = 'a30'\ndown_revision = None\n", False),
    ("revision = 'a31'\r\ndown_revision = None\r\n'''x'''\r\n", False),
    ("down_revision = None\n", False),  # legacy name, see below
    # Needs Python:
    ("revision = 'b' + '1'\ndown_revision = None\n", True),
    ("revision = 'b2'\ndown_revision = None\nif True:\n    down_revision = 'c'\n", True),
    ("from os.path import sep as down_revision\nrevision = 'b3'\n", True),
    ("revision = 'b4'\ndown_revision = None\nglobals()['branch_labels'] = 'g'\n", True),
    ("revision = 'b5'\ndown_revision = None\nrevision += 'x'\n", True),
    ("revision, down_revision = 'b6', None\n", True),
    ("revision = 'b7'\ndown_revision = None\n__doc__ = 'set'\n", True),
    ("'\\N{BULLET} named'\nrevision = 'b8'\ndown_revision = None\n", True),
    ("# coding: latin-1\nrevision = 'b9'\ndown_revision = None\n", True),
    ("revision = 'b10'\ndown_revision = None\nexec('depends_on = 1')\n", True),
    ("revision = 'b11'\ndown_revision = None\n[(depends_on := 'w') for _ in 'x']\n", True),
]


@pytest.mark.parametrize("index", range(len(HAND_PICKED)))
def test_hand_picked_files_match_alembic(tmp_path: Path, index: int) -> None:
    src, needs = HAND_PICKED[index]
    versions = tmp_path / "versions"
    versions.mkdir()
    name = "abcdef12.py" if src.startswith("down_revision") else f"f{index:03d}.py"
    (versions / name).write_bytes(src.encode("latin-1" if "latin-1" in src else "utf-8"))
    counts = compare_dir(tmp_path, versions, {name: needs})
    assert counts["static" if not needs else "needs_import"] == 1


def test_read_revision_file_matches_scan(tmp_path: Path) -> None:
    p = tmp_path / "x.py"
    p.write_text("'''Doc\n\nmore'''\nrevision = 'r'\ndown_revision = ('a', 'b')\ndepends_on = 'd'\n")
    e = native.read_revision_file(str(p))
    assert not e.needs_import and e.reason is None
    assert (e.revision, e.down_revision, e.depends_on, e.branch_labels) == ("r", ("a", "b"), "d", ())
    assert (e.doc, e.longdoc, e.module_doc) == ("Doc", "Doc\n\nmore", "Doc\n\nmore")
    assert "RevisionEntry(" in repr(e)
    e = native.read_revision_file(p)  # os.PathLike works too
    assert e.revision == "r"
    p.write_text("revision = compute()\ndown_revision = None\n")
    e = native.read_revision_file(str(p))
    assert e.needs_import and "revision" in e.reason
    assert e.revision is None and e.down_revision is None and e.branch_labels == ()


def test_errors_are_script_errors(tmp_path: Path) -> None:
    p = tmp_path / "broken.py"
    p.write_text("revision = 'a\ndown_revision = None\n")
    with pytest.raises(monomig.ScriptError) as info:
        native.read_revision_file(str(p))
    assert isinstance(info.value, monomig.RevisionError)
    assert str(p) in str(info.value) and "line 1" in str(info.value)


FIXTURES = Path(__file__).resolve().parent / "fixtures" / "revfiles"
DEMO_VERSIONS = Path(__file__).resolve().parent.parent / "migrations" / "versions"
#: The seed corpus: the fixtures, and the demo's revision files where they live.
SEED_CORPUS = {
    p.name: p for p in sorted([*FIXTURES.iterdir(), *DEMO_VERSIONS.glob("*/*.py")]) if p.suffix in (".py", ".pybroken")
}


def test_seed_corpus_has_the_demo_revisions() -> None:
    assert len([n for n in SEED_CORPUS if n.startswith("2024_")]) == 9


@pytest.mark.parametrize("name", sorted(SEED_CORPUS))
def test_seed_corpus_matches_alembic(tmp_path: Path, name: str) -> None:
    versions = tmp_path / "versions"
    versions.mkdir()
    target = versions / (name if name.endswith(".py") else name + ".py")
    target.write_bytes(SEED_CORPUS[name].read_bytes())
    oracle = alembic_load(tmp_path, [versions])
    try:
        entries, _ = native.scan_revisions([str(versions)])
    except monomig.MonomigError as e:
        assert oracle.error is not None, f"monomig failed ({e}), Alembic loaded the file"
        assert name.endswith(".pybroken") or "revision id" in str(e)
        return
    assert oracle.error is None, f"Alembic failed ({oracle.error!r}), monomig read the file"
    assert name.endswith(".py")
    (entry,) = entries
    assert entry.needs_import == ("_import" in name or "latin1" in name)
    if not entry.needs_import:
        assert monomig_view(entry) == view(oracle.scripts[0])
