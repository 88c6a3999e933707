"""`monomig doctor`: a healthy project says so (exit 0); each problem it names is found
on a project that has it (exit 1), in text and JSON, with the password masked."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from support.fleet_repo import Repo, env_without_urls, monomig


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = env_without_urls()
    env.pop("MONOMIG_BRIDGE", None)
    env["MONOMIG_CACHE_DIR"] = str(tmp_path / "cache")
    env.update(extra)
    return env


def _doctor(root: Path, env: dict[str, str], *args: str) -> tuple[int, dict, str]:
    """Run doctor twice (JSON and text) and check the two agree on health."""
    j = monomig(root, "doctor", "--json", *args, env=env)
    assert "Traceback" not in j.stderr, j.stderr
    data = json.loads(j.stdout)
    t = monomig(root, "doctor", *args, env=env)
    assert "Traceback" not in t.stderr, t.stderr
    assert t.returncode == j.returncode, t.stdout + t.stderr
    assert data["healthy"] is (j.returncode == 0)
    return j.returncode, data, t.stdout


def test_healthy_demo_project(demo_copy: Path, tmp_path: Path) -> None:
    env = _env(tmp_path)
    up = monomig(demo_copy, "upgrade", "--all", env=env)
    assert up.returncode == 0, up.stdout + up.stderr
    code, data, text = _doctor(demo_copy, env)
    assert code == 0, text
    assert data["problems"] == []
    assert data["config_found"] and data["config_file"] == str(demo_copy / "alembic.ini")
    assert data["alembic"]["version"] and data["alembic"]["supported"] is True
    assert data["sqlalchemy"]
    assert data["scan_cache"] == {"path": str(tmp_path / "cache"), "enabled": True, "writable": True}
    services = {s["name"]: s for s in data["services"]}
    assert list(services) == ["service_one", "service_two"]
    one = services["service_one"]
    assert one["bridge"]["active"] is True and "imports monomig" in one["bridge"]["reason"]
    assert one["version_locations"] == [
        {"path": str(demo_copy / "migrations" / "versions" / "service_one"), "exists": True}
    ]
    assert one["url"].startswith("sqlite:///") and one["url"].endswith("service_one.db")
    assert one["url_source"] and "services.service_one.config" in one["url_source"]
    assert one["database"]["answers"] is True and one["database"]["current"]
    assert one["revision_files"] > 0 and one["needs_import"] == []
    # the screen
    assert text.rstrip().endswith("no problems found")
    assert "[service_one]" in text and "[service_two]" in text
    assert f"scan cache  {tmp_path / 'cache'} (writable)" in text
    assert "answers; version table:" in text

    # MONOMIG_BRIDGE=0 switches the bridge off everywhere: said, and not a problem
    code, data, text = _doctor(demo_copy, _env(tmp_path, MONOMIG_BRIDGE="0"))
    assert code == 0, text
    assert all(s["bridge"]["active"] is False for s in data["services"])
    assert "MONOMIG_BRIDGE turns it off" in text


def _repo(tmp_path: Path) -> Repo:
    repo = Repo(tmp_path / "repo")
    repo.add_service("orders", f"sqlite:///{tmp_path}/orders.db")
    repo.chain("orders", 2)
    return repo


Setup = Callable[[Repo, Path], tuple[Path, dict[str, str]]]


def _option(key: str, value: str | None) -> Setup:
    """A setup that sets (or, with None, removes) an option of the service's section."""

    def setup(repo: Repo, tmp_path: Path) -> tuple[Path, dict[str, str]]:
        if value is None:
            del repo.services["orders"][key]
        else:
            repo.services["orders"][key] = value
        repo.write_ini()
        return repo.root, {}

    return setup


def _no_config(repo: Repo, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    below = repo.root / "services" / "orders"
    below.mkdir(parents=True)
    return below, {}


def _not_a_service(repo: Repo, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    ini = repo.root / "alembic.ini"
    ini.write_text(ini.read_text().replace("databases = orders", "databases = orders, billing"))
    return repo.root, {}


def _missing_env_py(repo: Repo, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    (repo.root / "migrations" / "env.py").unlink()
    return repo.root, {}


def _needs_import(repo: Repo, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    path = repo.revision("orders", "ord9", "orde0001")
    path.write_text(path.read_text().replace("revision = 'ord9'", "revision = 'ord' + '9'"))
    return repo.root, {}


def _unreachable(repo: Repo, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    # nothing listens on port 1: refused at once
    return repo.root, {"MONOMIG_URL_ORDERS": "postgresql://app:s3cret-pw@127.0.0.1:1/orders"}


def _url_error(repo: Repo, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    return repo.root, {"MONOMIG_URL_ORDERS": "mssql+pyodbc://app:s3cret-pw@db.example/orders"}


def _cache_not_writable(repo: Repo, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    return repo.root, {"MONOMIG_CACHE_DIR": str(blocker / "cache")}


def _no_services(repo: Repo, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    (repo.root / "alembic.ini").write_text("[alembic]\nsqlalchemy.url = sqlite://\n")
    return repo.root, {}


#: problem code -> (how to make a project that has it, a fragment of its message)
PROBLEMS: dict[str, tuple[Setup, str]] = {
    "no_config": (_no_config, "alembic.ini exists: run the command from ../.. or pass -c ../../alembic.ini"),
    "not_a_service": (_not_a_service, "billing"),
    # Alembic's own rule: the project does not load; the error names the file, line and section
    "config_error": (
        _option("script_location", "./migratons"),
        "alembic.ini, line 8, section [orders]: Path doesn't exist: migratons",
    ),
    "missing_env_py": (_missing_env_py, "there is no env.py"),
    "missing_version_location": (_option("version_locations", "./migrations/versions/ordrs"), "ordrs does not exist"),
    "unreadable_revision": (_needs_import, "cannot be read without importing it"),
    "no_url": (_option("sqlalchemy.url", None), "MONOMIG_URL_ORDERS"),
    "unreachable": (_unreachable, "does not answer (waited at most 2 s)"),
    "url_error": (_url_error, "mssql"),
    "scan_cache_not_writable": (_cache_not_writable, "cannot be written"),
    "no_services": (_no_services, "defines no service"),
}


@pytest.mark.parametrize("code", sorted(PROBLEMS))
def test_each_problem_is_named(code: str, tmp_path: Path) -> None:
    setup, fragment = PROBLEMS[code]
    where, extra = setup(_repo(tmp_path), tmp_path)
    env = _env(tmp_path, **extra)
    status, data, text = _doctor(where, env)
    assert status == 1, text
    codes = [p["code"] for p in data["problems"]]
    assert codes == [code], data["problems"]
    assert fragment in data["problems"][0]["message"], data["problems"][0]
    assert fragment in text, text
    assert "s3cret-pw" not in text + json.dumps(data)
    if code == "no_config":
        assert data["parent_config"] == str(tmp_path / "repo" / "alembic.ini")
    if code == "unreadable_revision":
        (item,) = data["services"][0]["needs_import"]
        assert item["path"].endswith("ord9_rev.py") and item["reason"]
    if code == "unreachable":
        assert data["services"][0]["database"]["answers"] is False
        assert data["services"][0]["url"] == "postgresql://app:***@127.0.0.1:1/orders"
    if code == "missing_version_location":
        assert data["services"][0]["version_locations"][0]["exists"] is False
        assert "MISSING" in text


def test_a_name_that_is_no_service_is_a_usage_error(tmp_path: Path) -> None:
    r = monomig(_repo(tmp_path).root, "doctor", "-n", "ordres", env=_env(tmp_path))
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.endswith("(its services: orders); did you mean -n orders?\n"), r.stderr


def test_without_alembic(tmp_path: Path) -> None:
    """A Python without Alembic (the base interpreter of the test virtualenv, with only the
    installed monomig package on its path): doctor runs and says Alembic is missing."""
    import shutil
    import subprocess
    import sys

    import monomig

    base = Path(sys.base_prefix) / "bin" / "python3"
    site = tmp_path / "site"
    shutil.copytree(Path(monomig.__file__).parent, site / "monomig")
    repo = _repo(tmp_path)
    code = f"import sys; sys.path.insert(0, {str(site)!r}); from monomig.cli import main; sys.exit(main())"
    probe = subprocess.run([str(base), "-s", "-c", "import alembic"], capture_output=True)
    if probe.returncode == 0:
        pytest.skip(f"{base} has Alembic installed")
    r = subprocess.run(
        [str(base), "-s", "-c", code, "doctor", "--json"],
        cwd=repo.root,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 1, r.stdout + r.stderr
    data = json.loads(r.stdout)
    assert data["alembic"]["version"] is None and data["sqlalchemy"] is None
    assert [p["code"] for p in data["problems"]] == ["alembic_missing"]
    assert "pip install 'monomig[alembic]'" in data["problems"][0]["message"]
    assert data["services"][0]["bridge"] == {"active": False, "reason": "off: Alembic is not installed"}


def test_help_names_doctor(tmp_path: Path) -> None:
    r = monomig(tmp_path, "--help")
    assert "doctor" in r.stdout
    r = monomig(tmp_path, "doctor", "--help")
    assert r.returncode == 0 and "Exit status 0 when healthy, 1" in " ".join(r.stdout.split())
