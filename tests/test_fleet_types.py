"""The fleet boundary has one shape per object: `_native.fleet_status` / `fleet_check` take
and return lists of dicts whose keys are exactly those of the TypedDicts in the shipped
`monomig/_native.pyi` (ServiceSpec, ServiceStatus, CheckFinding), which mirror the Rust
structs of src/fleet/. If either side gains or loses a key, these tests fail."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

import monomig
from monomig import _native, fleet

STUB = Path(monomig.__file__).with_name("_native.pyi")


def _typeddict_keys(name: str) -> set[str]:
    """The keys of the TypedDict `name` in the stub (its TypedDict bases' keys included)."""
    tree = ast.parse(STUB.read_text())
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    node = classes[name]
    keys = {
        stmt.target.id for stmt in node.body if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)
    }
    for base in node.bases:
        if isinstance(base, ast.Name) and base.id in classes:
            keys |= _typeddict_keys(base.id)
    return keys


SPEC_KEYS = _typeddict_keys("ServiceSpec")
STATUS_KEYS = _typeddict_keys("ServiceStatus")
FINDING_KEYS = _typeddict_keys("CheckFinding")


def _versions(tmp_path: Path, heads: int) -> Path:
    """A versions folder with a base revision and `heads` children of it."""
    d = tmp_path / "versions"
    d.mkdir()
    (d / "a.py").write_text("revision = 'aaaa'\ndown_revision = None\n")
    for i in range(heads):
        (d / f"b{i}.py").write_text(f"revision = 'bbb{i}'\ndown_revision = 'aaaa'\n")
    return d


def _full_spec(tmp_path: Path, versions: Path) -> dict:
    spec = {
        "name": "svc",
        "version_locations": [str(versions)],
        "recursive": False,
        "sourceless": False,
        "url": f"sqlite:///{tmp_path}/app.db",
        "url_error": None,
        "base_dir": str(tmp_path),
        "version_table": "alembic_version",
        "version_table_schema": None,
        "allow_multiple_heads": False,
        "search_path": [],
        "imported": [],
        "alembic_version": None,
    }
    assert set(spec) == SPEC_KEYS, "update this test's spec with the stub's ServiceSpec"
    return spec


def test_stub_has_the_shapes() -> None:
    assert "name" in SPEC_KEYS and "url" in SPEC_KEYS
    assert {"state", "holder", "pending", "current"} <= STATUS_KEYS
    assert FINDING_KEYS == {"service", "code", "message", "path", "line", "revision"}


def test_status_returns_exactly_the_typeddict_keys(tmp_path: Path) -> None:
    spec = _full_spec(tmp_path, _versions(tmp_path, 1))
    (answer,) = _native.fleet_status([spec])
    assert isinstance(answer, dict)
    assert set(answer) == STATUS_KEYS
    assert answer["state"] == "not_initialized" and answer["holder"] is None
    # The Python wrapper hands the same dicts on.
    (wrapped,) = fleet.fleet_status([spec], timeout=2.0, max_connections=1)
    assert set(wrapped) == STATUS_KEYS


def test_every_spec_key_is_accepted_and_no_other(tmp_path: Path) -> None:
    spec = _full_spec(tmp_path, _versions(tmp_path, 1))
    # Each key alone (besides name) is accepted; None means "the default".
    for key in SPEC_KEYS - {"name"}:
        _native.fleet_check([{"name": "svc", key: spec[key]}])
        _native.fleet_check([{"name": "svc", key: None}])
    with pytest.raises(ValueError, match="'colour'"):
        _native.fleet_status([{**spec, "colour": "blue"}])
    with pytest.raises(ValueError, match="'name'"):
        _native.fleet_check([{k: v for k, v in spec.items() if k != "name"}])
    with pytest.raises(TypeError, match=r"services\[0\]\['recursive'\] must be a bool"):
        _native.fleet_check([{**spec, "recursive": "yes"}])
    with pytest.raises(TypeError, match="must be a dict"):
        _native.fleet_status(["svc"])


def test_check_returns_exactly_the_typeddict_keys(tmp_path: Path) -> None:
    spec = _full_spec(tmp_path, _versions(tmp_path, 2))
    findings = _native.fleet_check([spec], [spec])
    assert [f["code"] for f in findings] == ["multiple_heads"]
    assert all(set(f) == FINDING_KEYS for f in findings)


def test_fleet_py_builds_the_typeddict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`monomig.fleet.service_spec` (what `status`, `check` and `--all` send) has the stub's keys."""
    versions = _versions(tmp_path, 1)
    (tmp_path / "alembic.ini").write_text(
        "[alembic]\ndatabases = svc\n\n[svc]\nscript_location = ./migrations\n"
        f"version_locations = {versions}\nsqlalchemy.url = sqlite:///app.db\n"
    )
    (tmp_path / "migrations").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MONOMIG_URL_SVC", raising=False)
    project = monomig.load_project(os.path.join(tmp_path, "alembic.ini"), None)
    spec = fleet.service_spec(project, project.services["svc"])
    assert set(spec) == SPEC_KEYS
    (answer,) = _native.fleet_status([spec])
    assert answer["service"] == "svc" and answer["state"] == "not_initialized"
