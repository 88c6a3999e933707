"""The scan cache (src/scripts/cache.rs): the same answers as reading every file,
and every change to a file seen.

The cache keeps what reading each revision file gave and uses it only while the
file's device, inode, size, modification and status-change times are unchanged;
files changed less than two seconds before a scan are read but not stored (these
tests shorten that window with its test-only override, MONOMIG_TEST_SCAN_SETTLE_MS). These
tests scan real folders with the cache on and off, change files in every way a
user or a tool can (edits that keep the size and put the modification time back,
replacement by rename, removal, addition), damage the cache file, and take its
folder away, and check that the answers always equal an uncached scan.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import monomig._native as native

#: The settle window these tests give the cache through its test-only override
#: (MONOMIG_TEST_SCAN_SETTLE_MS; RACY_NANOS, 2 s, otherwise): files changed less than
#: this long before a scan are not stored. 150 ms stays well above any timestamp tick.
SETTLE_MS = 150
#: How long a test waits for its files to settle: the window plus margin.
SETTLE = SETTLE_MS / 1000 + 0.1


def entry_view(e: native.RevisionEntry) -> tuple:
    return (
        e.path, e.needs_import, e.reason, e.revision, e.revision_from_filename, e.down_revision,
        e.branch_labels, e.depends_on, e.module_doc, e.doc, e.longdoc,
    )  # fmt: skip


FILES = {
    "1a_base.py": '"""Base: créer les tables ✓\n\nLonger text.\n"""\nrevision = "1a"\ndown_revision = None\n',
    "2b_left.py": '"""left"""\nrevision: str = "2b"\ndown_revision = "1a"\nbranch_labels = ("left",)\n',
    "3c_right.py": "revision = '3c'\ndown_revision = '1a'\ndepends_on = ['2b']\n",
    "4d_merge.py": '"""merge"""\nrevision = "4d"\ndown_revision = ("2b", "3c")\n',
    "5e_computed.py": 'import os\nrevision = "5" + "e"\ndown_revision = "4d"\n',
    "abcdef012345.py": '"""legacy name, no revision variable"""\ndown_revision = "5e"\n',
}


def make_versions(root: Path) -> Path:
    versions = root / "versions"
    versions.mkdir(parents=True)
    for name, text in FILES.items():
        (versions / name).write_text(text, encoding="utf-8")
    return versions


def scan(versions: Path, cache: bool = True) -> tuple[list[tuple], dict]:
    entries, warnings = native.scan_revisions([str(versions)], cache=cache)
    assert warnings == []
    stats = native.last_scan_cache_stats() if cache else {}
    return [entry_view(e) for e in entries], stats


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "cache"
    monkeypatch.setenv("MONOMIG_CACHE_DIR", str(d))
    monkeypatch.delenv("MONOMIG_CACHE", raising=False)
    monkeypatch.setenv("MONOMIG_TEST_SCAN_SETTLE_MS", str(SETTLE_MS))
    return d


@pytest.fixture
def settled(tmp_path: Path, cache_dir: Path) -> Path:
    """A versions folder old enough to be stored, scanned once (so the cache holds it)."""
    versions = make_versions(tmp_path / "repo")
    time.sleep(SETTLE)
    _first, stats = scan(versions)
    assert stats == {"hits": 0, "reads": len(FILES) - 0, "written": True}
    return versions


def test_a_warm_cache_answers_as_reading_does(settled: Path) -> None:
    uncached, _ = scan(settled, cache=False)
    warm, stats = scan(settled)
    assert stats == {"hits": len(FILES), "reads": 0, "written": False}
    assert warm == uncached


def test_an_edit_that_keeps_size_and_modification_time_is_seen(settled: Path) -> None:
    path = settled / "3c_right.py"
    before = path.stat()
    text = path.read_text()
    path.write_text(text.replace("'2b'", "'4d'").replace("'1a'", "'2b'"))  # same length
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    got, stats = scan(settled)
    assert stats["reads"] == 1 and stats["hits"] == len(FILES) - 1
    assert got == scan(settled, cache=False)[0]
    assert next(v for v in got if v[3] == "3c")[5] == "2b"


def test_a_file_replaced_by_rename_is_seen(settled: Path) -> None:
    path = settled / "2b_left.py"
    tmp = settled.parent / "new.tmp"
    tmp.write_text(path.read_text().replace('("left",)', '("lft",) '))
    st = path.stat()
    os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(tmp, path)
    got, stats = scan(settled)
    assert stats["reads"] == 1
    assert got == scan(settled, cache=False)[0]
    assert next(v for v in got if v[3] == "2b")[6] == ("lft",)


def test_removed_and_added_files(settled: Path) -> None:
    (settled / "abcdef012345.py").unlink()
    (settled / "6f_new.py").write_text('revision = "6f"\ndown_revision = "5e"\n')
    got, stats = scan(settled)
    # the new file is too young to be stored; the removed one is dropped from the cache
    assert stats == {"hits": len(FILES) - 1, "reads": 1, "written": True}
    assert got == scan(settled, cache=False)[0]
    assert [v[3] for v in got][-1] == "6f"


def test_young_files_are_read_every_time_until_they_settle(tmp_path: Path, cache_dir: Path) -> None:
    versions = make_versions(tmp_path / "repo")
    for _ in range(2):
        _got, stats = scan(versions)
        assert stats == {"hits": 0, "reads": len(FILES), "written": False}
    time.sleep(SETTLE)
    assert scan(versions)[1]["written"] is True
    assert scan(versions)[1]["hits"] == len(FILES)


def test_without_the_override_files_settle_for_two_seconds(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real window (2 s): files older than the tests' window but younger than 2 s are not stored."""
    monkeypatch.delenv("MONOMIG_TEST_SCAN_SETTLE_MS")
    versions = make_versions(tmp_path / "repo")
    time.sleep(SETTLE)
    assert scan(versions)[1] == {"hits": 0, "reads": len(FILES), "written": False}
    monkeypatch.setenv("MONOMIG_TEST_SCAN_SETTLE_MS", str(SETTLE_MS))
    assert scan(versions)[1] == {"hits": 0, "reads": len(FILES), "written": True}


@pytest.mark.parametrize("damage", ["empty", "truncated", "flipped", "garbage", "directory", "foreign"])
def test_a_damaged_cache_file_is_ignored_and_replaced(settled: Path, cache_dir: Path, damage: str) -> None:
    (cache_file,) = cache_dir.glob("scan-*.bin")
    data = cache_file.read_bytes()
    if damage == "foreign":
        # a cache file planted by another user in a shared folder is not trusted
        if os.geteuid() != 0:
            pytest.skip("changing a file's owner needs root")
        os.chown(cache_file, 65534, 65534)
    elif damage == "empty":
        cache_file.write_bytes(b"")
    elif damage == "truncated":
        cache_file.write_bytes(data[: len(data) // 2])
    elif damage == "flipped":
        cache_file.write_bytes(data[:100] + bytes([data[100] ^ 1]) + data[101:])
    elif damage == "garbage":
        cache_file.write_bytes(os.urandom(len(data)))
    else:
        cache_file.unlink()
        cache_file.mkdir()
    got, stats = scan(settled)
    assert stats["hits"] == 0 and stats["reads"] == len(FILES)
    assert got == scan(settled, cache=False)[0]
    if damage != "directory":
        assert scan(settled)[1]["hits"] == len(FILES)  # rewritten


def test_an_unusable_cache_folder_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    versions = make_versions(tmp_path / "repo")
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("MONOMIG_CACHE_DIR", str(blocker / "cache"))
    monkeypatch.setenv("MONOMIG_TEST_SCAN_SETTLE_MS", str(SETTLE_MS))
    time.sleep(SETTLE)
    got, stats = scan(versions)
    assert stats == {"hits": 0, "reads": len(FILES), "written": False}
    assert got == scan(versions, cache=False)[0]


def test_monomig_cache_0_turns_it_off(tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    versions = make_versions(tmp_path / "repo")
    time.sleep(SETTLE)
    monkeypatch.setenv("MONOMIG_CACHE", "0")
    for _ in range(2):
        assert scan(versions)[1] == {"hits": 0, "reads": len(FILES), "written": False}
    assert not cache_dir.exists()


def test_the_cache_is_per_scan_options(settled: Path, cache_dir: Path) -> None:
    # recursive / sourceless scans of the same folder keep their own files
    native.scan_revisions([str(settled)], recursive=True)
    assert native.last_scan_cache_stats()["hits"] == 0
    assert len(list(cache_dir.glob("scan-*.bin"))) == 2


def test_the_monomig_command_with_a_warm_cache(tmp_path: Path, cache_dir: Path) -> None:
    """`monomig heads` answers from the cache as Alembic does, before and after an edit."""
    repo = tmp_path / "repo"
    shutil.copytree(Path(__file__).parent.parent / "migrations", repo / "migrations",
                    ignore=shutil.ignore_patterns("__pycache__", "versions"))  # fmt: skip
    versions = repo / "migrations" / "versions" / "svc"
    versions.mkdir(parents=True)
    for name, text in FILES.items():
        if "computed" not in name and not name.startswith("abcdef"):
            (versions / name).write_text(text, encoding="utf-8")
    (repo / "alembic.ini").write_text(
        "[svc]\nscript_location = migrations\nversion_locations = migrations/versions/svc\npath_separator = os\n"
    )
    bin_dir = Path(sys.executable).parent

    def run(prog: str, *args: str) -> str:
        # `alembic` is the oracle: stock, without the bridge the demo env.py's `import monomig` opts in to
        # (and one hash seed, which orders the sets whose order reaches Alembic's output)
        env = {**os.environ, "MONOMIG_CACHE_DIR": str(cache_dir), "PYTHONHASHSEED": "0",
               "MONOMIG_BRIDGE": "0" if prog == "alembic" else "1"}  # fmt: skip
        r = subprocess.run([str(bin_dir / prog), "-n", "svc", *args], cwd=repo, capture_output=True, text=True, env=env)
        assert r.returncode == 0, r.stderr
        return r.stdout

    time.sleep(SETTLE)
    for command in (["heads"], ["history", "-v"], ["branches"]):
        expected = run("alembic", *command)
        assert run("monomig", *command) == expected  # reads and stores
        assert run("monomig", *command) == expected  # from the cache
    merge = versions / "4d_merge.py"
    st = merge.stat()
    merge.write_text(merge.read_text().replace('("2b", "3c")', '("2b", "1a")'))  # same size
    os.utime(merge, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert run("monomig", "heads") == run("alembic", "heads")
    assert "3c" in run("monomig", "heads")


CONCURRENT = """
import sys
import monomig._native as native
versions = sys.argv[1]
first = None
for _ in range(30):
    entries, _ = native.scan_revisions([versions])
    view = [(e.path, e.revision, e.down_revision, e.module_doc, e.needs_import) for e in entries]
    first = first or view
    assert view == first, "answers changed between scans"
print(len(first))
"""


def test_concurrent_commands_share_one_cache(tmp_path: Path, cache_dir: Path) -> None:
    """Four processes scanning (and rewriting the cache) at once all get the same answers."""
    versions = make_versions(tmp_path / "repo")
    for i in range(200):  # enough files that reading and writing overlap
        (versions / f"{i:04d}_extra.py").write_text(f'"""extra {i}"""\nrevision = "x{i}"\ndown_revision = None\n')
    time.sleep(SETTLE)
    env = {**os.environ, "MONOMIG_CACHE_DIR": str(cache_dir)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CONCURRENT, str(versions)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        assert out.strip() == str(len(FILES) + 200)
    got, stats = scan(versions)
    assert stats["hits"] == len(FILES) + 200
    assert got == scan(versions, cache=False)[0]
    assert not list(cache_dir.glob(".scan-*.tmp"))  # no temporary file left behind
