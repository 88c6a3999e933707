"""What monomig connects to for a URL, against what SQLAlchemy's dialects hand their drivers.

SQLAlchemy's `dialect.create_connect_args(url)` gives the driver keyword arguments
(host, port, user, database, TLS, socket); `monomig._native.connect_info(url)` says what
sqlx will use. Hand-picked and random URLs (fixed seed) must agree; options monomig
cannot honour must raise a ConfigError naming them, never connect elsewhere.
"""

from __future__ import annotations

import getpass
import os
import random
from pathlib import Path

import pytest
from sqlalchemy.dialects.mysql import pymysql as sa_pymysql
from sqlalchemy.dialects.postgresql import psycopg as sa_psycopg
from sqlalchemy.dialects.sqlite import pysqlite as sa_pysqlite
from sqlalchemy.engine import URL, make_url

import monomig
import monomig._native as native

CASES = max(int(os.environ.get("MONOMIG_DIFF_CASES", "4000")) // 8, 100)
PG_SSL = {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}


def pg_default_host() -> tuple[str, str]:
    if os.environ.get("PGHOST"):
        h = os.environ["PGHOST"]
        return ("socket", h) if h.startswith("/") else ("host", h)
    for d in ("/var/run/postgresql", "/private/tmp", "/tmp"):
        if Path(d, ".s.PGSQL.5432").exists():
            return ("socket", d)
    return ("host", "localhost")


def check_pg(text: str) -> None:
    url = make_url(text)
    try:
        _, kw = sa_psycopg.dialect().create_connect_args(url)
        sa_err = None
    except Exception as e:  # noqa: BLE001
        kw, sa_err = None, e
    try:
        info = native.connect_info(text)
        err = None
    except monomig.ConfigError as e:
        info, err = None, e
    if sa_err is not None:
        assert err is not None, f"{text!r}: SQLAlchemy raised {sa_err!r}"
        return
    if err is not None:
        # Allowed: several hosts, option keys or values monomig does not take.
        host = str(kw.get("host", ""))
        known = {"host", "port", "dbname", "user", "password", "sslmode", "application_name"}
        assert (
            "," in host
            or "," in str(kw.get("port", ""))
            or set(kw) - known
            or any(isinstance(v, tuple) for v in kw.values())
            or kw.get("sslmode", "prefer") not in PG_SSL
            or not 0 < int(str(kw.get("port", 1)) or 1) < 65536
        ), f"{text!r}: monomig raised {err}"
        assert "hunter2" not in str(err)
        return
    if "host" in kw:
        h = kw["host"]
        if h.startswith("/"):
            assert info.get("socket") == h, text
        else:
            assert info.get("host") == h, text
    else:
        kind, h = pg_default_host()
        assert info.get(kind) == h, text
    assert int(info["port"]) == int(kw.get("port", 5432)), text
    assert info["username"] == kw.get("user", os.environ.get("PGUSER") or getpass.getuser()), text
    assert info.get("database") == kw.get("dbname", os.environ.get("PGDATABASE")), text
    want_ssl = kw.get("sslmode", os.environ.get("PGSSLMODE", "prefer"))
    assert info["ssl_mode"] == want_ssl.replace("-", ""), text
    if "application_name" in kw:
        assert info["application_name"] == kw["application_name"], text
    assert "hunter2" not in repr(info)


def check_mysql(text: str) -> None:
    url = make_url(text)
    _, kw = sa_pymysql.dialect().create_connect_args(url)
    try:
        info = native.connect_info(text)
    except monomig.ConfigError as e:
        known = {"host", "port", "database", "user", "password", "charset", "unix_socket", "ssl"}
        assert (
            set(kw) - known
            or not 0 < int(kw.get("port", 1)) < 65536
            or not str(kw.get("charset", "x")).replace("_", "").isalnum()
        ), f"{text!r}: monomig raised {e}"
        assert "hunter2" not in str(e)
        return
    if "unix_socket" in kw:
        assert info.get("socket") == kw["unix_socket"], text
    else:
        assert info.get("host") == kw.get("host", "localhost"), text
    assert int(info["port"]) == int(kw.get("port", 3306)), text
    assert info["username"] == kw.get("user", getpass.getuser()), text
    assert info.get("database") == kw.get("database"), text
    assert info["charset"] == kw.get("charset", "utf8mb4"), text
    ssl = kw.get("ssl")
    if not ssl:
        assert info["ssl_mode"] == "disabled", text
    elif "ca" in ssl:
        assert info["ssl_mode"] == ("verifyidentity" if ssl.get("check_hostname", True) else "verifyca"), text
    assert "hunter2" not in repr(info)


def check_sqlite(text: str, cwd: Path) -> None:
    url = make_url(text)
    try:
        args, _ = sa_pysqlite.dialect().create_connect_args(url)
        sa_err = None
    except Exception as e:  # noqa: BLE001
        args, sa_err = None, e
    try:
        info = native.connect_info(text, base_dir=str(cwd))
        err = None
    except monomig.ConfigError as e:
        info, err = None, e
    if sa_err is not None:
        assert err is not None, f"{text!r}: SQLAlchemy raised {sa_err!r}"
        return
    assert err is None, f"{text!r}: {err}"
    (filename,) = args
    if url.query.get("uri") in ("true", "1", "yes", "on"):
        return  # URI forms are checked by hand below
    if filename.startswith("//") and not filename.startswith("///"):
        filename = filename[1:]  # POSIX keeps a leading "//" in abspath; Linux reads it as "/"
    assert info["path"] == filename, text


@pytest.mark.parametrize(
    "text",
    [
        "postgresql://scott:hunter2@localhost/test",
        "postgresql+psycopg://u:hunter2@db.example:6543/app?sslmode=require&application_name=svc",
        "postgresql:///dbname?host=/var/run/postgresql",
        "postgresql://user@/dbname",
        "postgresql://u@h/db?host=other:7777",
        "postgresql://u@h/db?host=other:",
        "postgresql://u@h/db?host=other&port=7777",
        "postgresql://u@h/db?host=h1:5432&host=h2:5433",
        "postgresql://u@h/db?host=h1,h2",
        "postgresql://u@h:5/db?host=h1:5432&port=6",
        "postgresql://u@[::1]:5433/db",
        "postgresql://u@h/db?host=::1",
        "postgresql://u@h/db?dbname=other&user=v&password=hunter2",
        "postgresql://u@h/db?sslmode=verify-full",
        "postgresql://u@h/db?sslmode=bogus",
        "postgresql://u@h/db?frobnicate=1",
        "postgresql://u@h:0/db",
        "postgresql://u@h:70000/db",
        "postgresql://:@/",
    ],
)
def test_postgres_hand_picked(text: str) -> None:
    check_pg(text)


@pytest.mark.parametrize(
    "text",
    [
        "mysql+pymysql://root:hunter2@127.0.0.1:3306/test",
        "mysql+pymysql://root@localhost/test?charset=latin1",
        "mysql+pymysql://root@h/test?unix_socket=/var/run/mysqld/mysqld.sock",
        "mysql+pymysql://root@h/test?ssl_ca=/ca.pem",
        "mysql+pymysql://root@h/test?ssl_ca=/ca.pem&ssl_check_hostname=false",
        "mysql+pymysql://h/test",
        "mysql+pymysql://root@h/test?charset=utf8;DROP",
        "mysql+pymysql://root@h/test?init_command=USE%20other",
        "mysql+pymysql://root@h/test?database=other",
        "mysql+pymysql://root@h/test?user=other&host=h2&port=3307",
    ],
)
def test_mysql_hand_picked(text: str) -> None:
    check_mysql(text)


def test_postgres_random() -> None:
    rng = random.Random(1234)
    users = [None, "", "u", "us er", "u@x", "\u00e9", "post:gres"]
    passwords = [None, "", "hunter2", "p@ss:w/rd?"]
    hosts = [None, "", "h", "127.0.0.1", "::1", "db.example"]
    ports = [None, 0, 5432, 6543, 70000]
    dbs = [None, "", "app", "a/b", "\u00e9", "a b"]
    qkeys = {
        "host": ["/var/run/postgresql", "h2", "h2:7777", "h2:", "h1,h2", "::1"],
        "port": ["7777", "1,2", "x", ""],
        "sslmode": ["disable", "require", "verify-ca", "Prefer", "bogus"],
        "application_name": ["svc", "a b"],
        "dbname": ["other"],
        "user": ["other"],
        "connect_timeout": ["3", "0", "x"],
        "keepalives": ["1"],
        "bogus_option": ["1"],
    }
    for _ in range(CASES):
        query = {}
        for k, vals in qkeys.items():
            if rng.random() < 0.15:
                query[k] = rng.choice(vals) if rng.random() < 0.9 else [rng.choice(vals), rng.choice(vals)]
        url = URL.create(
            rng.choice(["postgresql", "postgresql+psycopg", "postgresql+psycopg2"]),
            username=rng.choice(users),
            password=rng.choice(passwords),
            host=rng.choice(hosts),
            port=rng.choice(ports),
            database=rng.choice(dbs),
            query=query,
        )
        check_pg(url.render_as_string(hide_password=False))


def test_mysql_random() -> None:
    rng = random.Random(4321)
    qkeys = {
        "charset": ["utf8mb4", "latin1", "utf8;x"],
        "unix_socket": ["/run/mysqld/mysqld.sock"],
        "ssl_ca": ["/ca.pem"],
        "ssl_check_hostname": ["false", "true"],
        "host": ["h2"],
        "port": ["3307"],
        "user": ["other"],
        "database": ["other"],
        "read_timeout": ["5"],
        "bogus_option": ["1"],
    }
    for _ in range(CASES):
        query = {k: rng.choice(v) for k, v in qkeys.items() if rng.random() < 0.15}
        url = URL.create(
            rng.choice(["mysql+pymysql", "mariadb+pymysql"]),
            username=rng.choice([None, "", "root", "us er", "u@x"]),
            password=rng.choice([None, "", "hunter2", "p@ss:w/rd?"]),
            host=rng.choice([None, "", "127.0.0.1", "db.example", "::1"]),
            port=rng.choice([None, 0, 3306, 3307]),
            database=rng.choice([None, "", "test", "\u00e9"]),
            query=query,
        )
        check_mysql(url.render_as_string(hide_password=False))


@pytest.mark.filterwarnings("ignore:Query string argument")
def test_sqlite_paths_random(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    rng = random.Random(99)
    parts = ["a", "b.db", "..", ".", "", "x y", "%41", "\u00e9", ":memory:", "sub/dir"]
    for _ in range(CASES):
        path = "/".join(rng.choice(parts) for _ in range(rng.randint(0, 4)))
        lead = rng.choice(["", "", "/", "//"])
        q = rng.choice(["", "?timeout=2", "?check_same_thread=false", "?mode=ro", "?uri=false"])
        check_sqlite(f"sqlite:///{lead}{path}{q}", tmp_path)
    for text in ["sqlite://", "sqlite:///:memory:", "sqlite:///", "sqlite:///var/app.db", "sqlite:////abs/x.db"]:
        check_sqlite(text, tmp_path)


def test_sqlite_uri_forms(tmp_path: Path) -> None:
    info = native.connect_info("sqlite:///file:data/x.db?mode=ro&uri=true", base_dir=str(tmp_path))
    assert info["path"] == str(tmp_path / "data" / "x.db")
    assert info["read_only"] == "true"
    info = native.connect_info("sqlite:///file:///abs/x%20y.db?uri=true&immutable=1")
    assert info["path"] == "/abs/x y.db"
    assert info["immutable"] == "true"
    info = native.connect_info("sqlite:///file::memory:?cache=shared&uri=true")
    assert info["path"] == ":memory:"
    info = native.connect_info("sqlite:///file:x.db?mode=memory&uri=true")
    assert info["path"] == ":memory:"
    with pytest.raises(monomig.ConfigError, match="nolock"):
        native.connect_info("sqlite:///file:x.db?nolock=1&uri=true")
    with pytest.raises(monomig.ConfigError, match="host"):
        native.connect_info("sqlite:///file://otherhost/x.db?uri=true")


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("postgres://u:hunter2@h/db", "postgresql://"),
        ("oracle://u:hunter2@h/db", "oracle"),
        ("mssql+pyodbc://u:hunter2@h/db", "mssql"),
        ("postgresql+foo://u:hunter2@h/db", "foo"),
        ("mysql+foo://u:hunter2@h/db", "foo"),
        ("sqlite+pysqlcipher://:hunter2@/x.db", "encrypted"),
        ("sqlite://u:hunter2@h/x.db", "Invalid SQLite URL"),
        ("postgresql://u:hunter2@h/db?host=a&host=b", "several hosts"),
        ("postgresql://u:hunter2@h/db?target_session_attrs=read-write", "target_session_attrs"),
        ("postgresql://u:hunter2@h/db?options=-Z%20x", "options"),
        ("postgresql://u:hunter2@h/db?client_encoding=latin1", "client_encoding"),
        ("postgresql+pg8000://h/db", "user name"),
        ("mysql://u:hunter2@h/db?read_default_file=~/.my.cnf", "read_default_file"),
        ("mysql://u:hunter2@h/db?ssl_capath=/etc/ssl", "ssl_capath"),
        ("driver://user:hunter2@localhost/defaultdb", "driver"),
    ],
)
def test_unsupported_is_a_clear_config_error(text: str, needle: str) -> None:
    with pytest.raises(monomig.ConfigError) as info:
        native.connect_info(text)
    msg = str(info.value)
    assert needle in msg
    assert "hunter2" not in msg
    assert "***" in msg or ":" not in text.split("@")[0].split("//", 1)[-1]
