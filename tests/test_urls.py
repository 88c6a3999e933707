"""monomig.urls: the documented order in which a service's database URL is found."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import monomig
from monomig.urls import env_var_name, resolve_url


def _service_module(root: Path, service: str, body: str) -> None:
    pkg = root / "services" / service
    pkg.mkdir(parents=True, exist_ok=True)
    (root / "services" / "__init__.py").touch()
    (pkg / "__init__.py").touch()
    (pkg / "config.py").write_text(textwrap.dedent(body))


def _resolve(root: Path, service: str, **kw):
    # A fresh interpreter, so modules imported by one case never leak into another.
    code = (
        "import json, sys\n"
        "from monomig.urls import resolve_url\n"
        f"r = resolve_url({service!r}, sys_path=[{str(root)!r}], **{kw!r})\n"
        "print(json.dumps(None if r is None else [r.url, r.source, 'sqlalchemy' in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root)
    assert out.returncode == 0, out.stderr
    import json

    return json.loads(out.stdout)


def test_env_var_name() -> None:
    assert env_var_name("service_one") == "MONOMIG_URL_SERVICE_ONE"
    assert env_var_name("billing-api.v2") == "MONOMIG_URL_BILLING_API_V2"


def test_order_env_then_module_then_section_then_fallback(tmp_path: Path) -> None:
    _service_module(tmp_path, "svc", 'DB_URL = "sqlite:///from_module.db"\n')
    env = {"MONOMIG_URL_SVC": "sqlite:///from_env.db"}
    r = resolve_url(
        "svc", section_url="sqlite:///sec.db", fallback_url="sqlite:///fb.db", environ=env, sys_path=[str(tmp_path)]
    )
    assert (r.url, r.source) == ("sqlite:///from_env.db", "environment variable MONOMIG_URL_SVC")
    assert _resolve(tmp_path, "svc", section_url="sqlite:///sec.db")[:2] == [
        "sqlite:///from_module.db",
        "services.svc.config.DB_URL",
    ]
    assert _resolve(tmp_path, "other", section_url="sqlite:///sec.db")[:2] == [
        "sqlite:///sec.db",
        "sqlalchemy.url in [other]",
    ]
    assert _resolve(tmp_path, "other", fallback_url="sqlite:///fb.db")[:2] == [
        "sqlite:///fb.db",
        "sqlalchemy.url in [alembic]",
    ]
    assert _resolve(tmp_path, "other") is None


def test_literal_make_url_is_read_without_importing(tmp_path: Path) -> None:
    _service_module(
        tmp_path,
        "svc",
        """
        from sqlalchemy.engine import make_url
        raise RuntimeError("importing this module would fail")
        DB_URL = make_url("postgresql://u:secret@db/app")
        """,
    )
    url, source, sqlalchemy_imported = _resolve(tmp_path, "svc")
    assert url == "postgresql://u:secret@db/app"
    assert source == "services.svc.config.DB_URL"
    assert not sqlalchemy_imported


def test_computed_url_is_imported(tmp_path: Path) -> None:
    _service_module(
        tmp_path,
        "svc",
        """
        import os
        from sqlalchemy.engine import URL
        DB_URL = URL.create("postgresql", username="u", password="p@ss", host="db", database=os.path.basename("/x/app"))
        """,
    )
    url, _, sqlalchemy_imported = _resolve(tmp_path, "svc")
    assert url == "postgresql://u:p%40ss@db/app"
    assert sqlalchemy_imported


def test_reassigned_or_conditional_url_is_imported(tmp_path: Path) -> None:
    _service_module(
        tmp_path,
        "svc",
        """
        DB_URL = "sqlite:///a.db"
        if True:
            DB_URL = "sqlite:///b.db"
        """,
    )
    assert _resolve(tmp_path, "svc")[0] == "sqlite:///b.db"


def test_broken_module_is_a_config_error_naming_the_service(tmp_path: Path) -> None:
    _service_module(tmp_path, "svc", "import no_such_module_anywhere\nDB_URL = compute()\n")
    sys.path.insert(0, str(tmp_path))
    try:
        with pytest.raises(
            monomig.ConfigError, match=r"service 'svc': importing services.svc.config .*MONOMIG_URL_SVC"
        ):
            resolve_url("svc")
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == "services" or m.startswith("services.")]:
            del sys.modules[name]


def test_resolved_url_repr_hides_the_url() -> None:
    r = resolve_url("x", section_url="postgresql://u:hunter2@h/db", module=None)
    assert "hunter2" not in repr(r)
