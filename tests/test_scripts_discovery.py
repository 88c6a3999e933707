"""Revision-file discovery compared with Alembic's own loader.

Trees with everything Alembic's walk treats specially (``__init__.py``, ``.#``
lock files, ``_private.py``, ``__pycache__`` and directories whose name ends
with it, sourceless ``.pyc``/``.pyo``, non-Python files, symbolic links to
files and directories, dangling links, link loops, several and overlapping
locations, missing locations) are loaded by Alembic and by monomig, with and
without ``recursive_version_locations`` and ``sourceless``: same files, same
order, same warnings, and failures on the same trees.

``MONOMIG_TREE_CASES`` raises the number of random trees (default 60).
"""

from __future__ import annotations

import os
import py_compile
import random
import shutil
import sys
from pathlib import Path

import pytest
from support.scripts_oracle import alembic_load

import monomig
import monomig._native as native

TREE_CASES = int(os.environ.get("MONOMIG_TREE_CASES", "60"))
SEED = int(os.environ.get("MONOMIG_DIFF_SEED", "20240620"))
FLAGS = [(False, False), (True, False), (False, True), (True, True)]


def rev_of(name: str) -> str:
    """The revision id a test file carries: its name, without characters Alembic refuses."""
    return name.replace("-", "_")


def source(rev: str) -> str:
    return f'"""{rev}"""\nrevision = {rev!r}\ndown_revision = None\n'


def write(p: Path, rev: str | None = None) -> None:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(source(rev or rev_of(p.name)))


def compiled(p: Path, rev: str | None = None) -> None:
    """A valid compiled module at ``p`` (any name), without leaving its source behind."""
    p.parent.mkdir(parents=True, exist_ok=True)
    src = p.parent / (".src_" + p.name.replace(".", "_") + ".txt")
    src.write_text(source(rev or rev_of(p.name)))
    py_compile.compile(str(src), cfile=str(p), doraise=True)
    src.unlink()


def compare(root: Path, locations: list[Path], recursive: bool, sourceless: bool) -> str:
    """Assert monomig discovers what Alembic loads; return 'ok' or 'error'."""
    oracle = alembic_load(root, locations, recursive=recursive, sourceless=sourceless)
    try:
        paths, warnings = native.discover_revision_files([str(p) for p in locations], recursive, sourceless)
        entries, scan_warnings = native.scan_revisions([str(p) for p in locations], recursive, sourceless)
    except monomig.MonomigError as e:
        assert oracle.error is not None, f"monomig failed ({e}) where Alembic loaded {len(oracle.scripts)} files"
        return "error"
    assert oracle.error is None, f"Alembic failed ({oracle.error!r}) where monomig found {paths}"
    expected = [s.path for s in oracle.scripts]
    assert paths == expected
    assert [e.path for e in entries] == expected
    assert warnings == scan_warnings == oracle.warnings
    for e in entries:
        assert e.needs_import == e.path.endswith((".pyc", ".pyo"))
        if not e.needs_import:
            assert e.revision in (rev_of(Path(e.path).name), None) or e.revision.startswith("r")
    return "ok"


def build_reference_tree(root: Path) -> Path:
    v = root / "versions"
    for name in [
        "b.py",
        "a.py",
        "B.py",
        "_private.py",
        "__init__.py",
        ".#lock.py",
        "__init__x.py",
        "weird name.py",
        "é.py",
        "x.py.bak",
        "notes.txt",
        "e.py",
    ]:
        write(v / name)
    compiled(v / "a.pyc")  # beside a.py: the .py wins
    compiled(v / "c.pyc")  # alone: loaded when sourceless
    compiled(v / "e.pyo")  # beside e.py
    compiled(v / "f.pyc")
    compiled(v / "f.pyo")  # beside f.pyc: the .pyc wins
    compiled(v / "__pycache__" / "a.cpython-311.pyc")  # a.py exists: skipped
    compiled(v / "__pycache__" / "g.cpython-311.pyc")  # no g.*: loaded when sourceless
    write(v / "__pycache__" / "nested" / "in_cache.py")  # a directory inside __pycache__
    write(v / "sub" / "s2.py")
    write(v / "sub" / "s1.py")
    write(v / "sub" / "deeper" / "d1.py")
    compiled(v / "sub" / "__pycache__" / "s9.cpython-311.pyc")
    write(v / "zz__pycache__" / "hidden.py")  # files of a *__pycache__ directory are skipped
    write(v / "zz__pycache__" / "inner" / "seen.py")  # but its sub-directories are walked
    write(v / "A_upper" / "u.py")
    write(root / "elsewhere" / "real.py")
    write(root / "elsewhere" / "deep" / "other.py")
    (root / "elsewhere" / "target.txt").write_text("not python")
    (v / "link_to_file.py").symlink_to(root / "elsewhere" / "real.py")
    (v / "link_to_txt.py").symlink_to(root / "elsewhere" / "target.txt")
    (v / "link_dir").symlink_to(root / "elsewhere")
    (v / "dangling.txt").symlink_to(root / "missing.txt")
    return v


@pytest.mark.parametrize(("recursive", "sourceless"), FLAGS)
def test_reference_tree(tmp_path: Path, recursive: bool, sourceless: bool) -> None:
    v = build_reference_tree(tmp_path)
    assert compare(tmp_path, [v], recursive, sourceless) == "ok"
    # Several locations: missing ones skipped, overlapping ones warn per file.
    locations = [tmp_path / "missing", v / "sub", v, tmp_path / "elsewhere", v / "sub"]
    assert compare(tmp_path, locations, recursive, sourceless) == "ok"
    # A location that is a file, and one given through a symbolic link.
    (tmp_path / "vlink").symlink_to(v)
    assert compare(tmp_path, [v / "a.py", tmp_path / "vlink", v], recursive, sourceless) == "ok"


@pytest.mark.parametrize("recursive", [False, True])
def test_location_named_like_pycache(tmp_path: Path, recursive: bool) -> None:
    # Alembic skips the files of a directory whose name ends with __pycache__
    # and, even without recursion, goes on into its first sub-directory.
    v = tmp_path / "my__pycache__"
    write(v / "top.py")
    write(v / "one" / "x.py")
    write(v / "two" / "y.py")
    write(v / "two" / "deep" / "z.py")
    assert compare(tmp_path, [v], recursive, False) == "ok"


def test_lone_pyo_fails_like_alembic(tmp_path: Path) -> None:
    # Python 3 has no loader for .pyo files: Alembic fails on an assertion.
    v = tmp_path / "versions"
    write(v / "a.py")
    compiled(v / "d.pyo")
    assert compare(tmp_path, [v], False, False) == "ok"
    assert compare(tmp_path, [v], False, True) == "error"
    with pytest.raises(monomig.ScriptError, match="d.pyo"):
        native.scan_revisions([str(v)], sourceless=True)


def test_dangling_python_link_fails_like_alembic(tmp_path: Path) -> None:
    v = tmp_path / "versions"
    write(v / "a.py")
    (v / "b.py").symlink_to(tmp_path / "gone.py")
    assert compare(tmp_path, [v], False, False) == "error"
    with pytest.raises(monomig.ScriptError, match="gone.py"):
        native.scan_revisions([str(v)])


def test_symlink_loop_fails_like_alembic(tmp_path: Path) -> None:
    v = tmp_path / "versions"
    write(v / "a.py")
    (v / "loop1.py").symlink_to(v / "loop2.py")
    (v / "loop2.py").symlink_to(v / "loop1.py")
    assert compare(tmp_path, [v], False, False) == "error"
    if sys.version_info < (3, 13):
        # Path.resolve() refuses the loop.
        with pytest.raises(monomig.ScriptError, match="symbolic link loop"):
            native.discover_revision_files([str(v)])
    else:
        # Path.resolve() keeps the looping path; reading it fails.
        with pytest.raises(monomig.ScriptError, match="loop1.py"):
            native.scan_revisions([str(v)])


def test_directory_link_loops_do_not_hang(tmp_path: Path) -> None:
    v = tmp_path / "versions"
    write(v / "a.py")
    write(v / "sub" / "b.py")
    (v / "sub" / "up").symlink_to(v)  # a directory link is never followed
    assert compare(tmp_path, [v], True, False) == "ok"
    # A link to itself: before Python 3.13 Path.resolve() refuses it, whatever
    # its name; from 3.13 a name that is not a revision file's is skipped.
    (v / "self").symlink_to(v / "self")
    assert compare(tmp_path, [v], True, False) == ("error" if sys.version_info < (3, 13) else "ok")


def random_tree(r: random.Random, root: Path) -> list[Path]:
    """A random version tree under ``root``; returns a random list of locations."""
    names = [
        "a.py",
        "b.py",
        "Z.py",
        "_p.py",
        "__init__.py",
        ".#l.py",
        "n.txt",
        "m.py.orig",
        "c.pyc",
        "d.pyo",
        "é.py",
        "sp ace.py",
        "a.pyc",
        "b.pyo",
        "k.py",
        "d.pyc",
    ]
    dirs = [root / "v"]
    created_dirs = [root / "v"]
    (root / "v").mkdir()
    counter = 0
    for _ in range(r.randint(2, 6)):
        parent = r.choice(created_dirs)
        if len(parent.relative_to(root).parts) >= 4:
            continue
        d = parent / r.choice(["sub", "x", "__pycache__", "w__pycache__", "A", "b", "été"])
        d.mkdir(exist_ok=True)
        created_dirs.append(d)
    for d in created_dirs:
        for name in r.sample(names, r.randint(0, 6)):
            counter += 1
            rev = f"r{counter}"
            if name.endswith((".pyc", ".pyo")):
                compiled(d / name, rev)
            else:
                write(d / name, rev)
        if r.random() < 0.4:
            cache = d / "__pycache__"
            for stem in r.sample(["a", "b", "q", "z"], r.randint(1, 2)):
                counter += 1
                compiled(cache / f"{stem}.cpython-311.pyc", f"r{counter}")
    # Symbolic links.
    files = [p for p in root.rglob("*") if p.is_file()]
    for _ in range(r.randint(0, 3)):
        d = r.choice(created_dirs)
        kind = r.random()
        name = r.choice(["l1.py", "l2.py", "link", "l3.txt"])
        if (d / name).exists() or (d / name).is_symlink():
            continue
        if kind < 0.5 and files:
            (d / name).symlink_to(r.choice(files))
        elif kind < 0.8:
            (d / name).symlink_to(r.choice(created_dirs))
        elif kind < 0.9:
            (d / name).symlink_to(root / "nowhere.txt")
        else:
            (d / name).symlink_to(d / name)  # a loop
    dirs = created_dirs + [root / "missing"]
    return [r.choice(dirs) for _ in range(r.randint(1, 3))]


def test_random_trees_match_alembic(tmp_path: Path) -> None:
    r = random.Random(SEED)
    outcomes = {"ok": 0, "error": 0}
    for i in range(TREE_CASES):
        root = tmp_path / f"t{i}"
        root.mkdir()
        locations = random_tree(r, root)
        for recursive, sourceless in FLAGS:
            outcomes[compare(root, locations, recursive, sourceless)] += 1
        shutil.rmtree(root)
    assert outcomes["ok"] > outcomes["error"]
    print(f"\n{TREE_CASES} random trees x 4 flag sets: {outcomes}")


def test_relative_locations_are_relative_to_the_working_directory(tmp_path: Path, monkeypatch) -> None:
    root = tmp_path / "proj__pycache__"
    write(root / "versions" / "a.py")
    write(root / "top.py")
    write(root / "sub" / "b.py")
    monkeypatch.chdir(root)
    for locations in (["versions"], ["."], ["./versions/../versions", "versions"]):
        for recursive in (False, True):
            oracle = alembic_load(root, locations, recursive=recursive)
            assert oracle.error is None
            paths, warnings = native.discover_revision_files(locations, recursive)
            assert paths == [s.path for s in oracle.scripts], locations
            assert warnings == oracle.warnings
