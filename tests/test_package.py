"""The installed package: one abi3 extension, the exception hierarchy, typing markers."""

from __future__ import annotations

from pathlib import Path

import monomig
import monomig._native as native


def test_version_matches_native() -> None:
    assert monomig.__version__ == native.__version__


def test_exception_hierarchy() -> None:
    root = monomig.MonomigError
    assert issubclass(root, Exception)
    for name in ("ConfigError", "RevisionError", "DatabaseError", "LockError"):
        assert issubclass(getattr(monomig, name), root), name
    for name in ("ScriptError", "MultipleHeads", "ResolutionError", "RangeNotAncestorError", "CycleDetected"):
        assert issubclass(getattr(monomig, name), monomig.RevisionError), name
    assert issubclass(monomig.DependencyLoopDetected, monomig.DependencyCycleDetected)
    assert issubclass(monomig.LoopDetected, monomig.CycleDetected)
    assert monomig.MonomigError.__module__ == "monomig"


def test_typing_markers_installed() -> None:
    pkg = Path(monomig.__file__).parent
    assert (pkg / "py.typed").exists()
    assert (pkg / "_native.pyi").exists()
    assert native.__file__.endswith(".abi3.so")
