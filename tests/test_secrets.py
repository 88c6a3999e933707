"""Passwords never show: in renderings of URLs and targets, and in every error the
database layer raises (refused, unknown host, timeout, authentication failure, missing
database, TLS, bad options, lock timeouts), against the real servers.

Every output is recorded in a SecretRegistry (tests/support/secrets.py) and grepped for
the test passwords when the test ends.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.databases import (  # noqa: F401  (fixtures)
    MY_HOST,
    MY_PORT,
    PG_HOST,
    PG_PORT,
    ServerDb,
    my_admin,
    mysql_database,
    pg_admin,
    pg_database,
    unique_name,
)
from support.secrets import SecretLeak, SecretRegistry, leak_check  # noqa: F401

import monomig
import monomig._native as native


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never answers (a hung server)."""
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                c, _ = srv.accept()
                held.append(c)
            except OSError:
                pass

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield srv.getsockname()[1]
    stop.set()
    t.join()
    for c in held:
        c.close()
    srv.close()


#: The connect timeout of the connection-failure tests (a hung server, the wrong protocol):
#: long enough to connect to a local server, short enough not to make the suite wait.
HANG_TIMEOUT = 0.3


def attempt(reg: SecretRegistry, label: str, url: str, **kw) -> BaseException | None:
    """ping, read_versions and MigrationLock on url; every outcome recorded."""
    err = None
    try:
        native.ping(url, connect_timeout=kw.get("connect_timeout", 3))
    except (monomig.MonomigError, ValueError) as e:
        reg.record_exception(f"{label} ping", e)
        err = e
    (r,) = native.read_versions([(url, None, None)], connect_timeout=kw.get("connect_timeout", 3))
    reg.record(f"{label} read_versions", r.error)
    reg.record(f"{label} read_versions repr", repr(r))
    reg.record(f"{label} read_versions url", r.url)
    try:
        lock = native.MigrationLock(url, "monomig:secrets", timeout=1, connect_timeout=kw.get("connect_timeout", 3))
        reg.record(f"{label} lock repr", repr(lock))
        reg.record(f"{label} lock url", lock.url)
        reg.record(f"{label} lock location", lock.location)
        with lock:
            pass
    except (monomig.MonomigError, ValueError) as e:
        reg.record_exception(f"{label} lock", e)
    return err


# --- the registry itself -----------------------------------------------------------


def test_registry_finds_leaks_in_every_form() -> None:
    reg = SecretRegistry()
    pw = reg.new_secret()
    assert pw.startswith("S3cr3t-") and len(pw) > 30
    reg.record("clean", "postgresql://u:***@h/db")
    reg.check()
    reg.record("raw", f"oops {pw}")
    reg.record("bytes", f"x{pw}".encode())
    with pytest.raises(SecretLeak) as info:
        reg.check()
    assert "raw" in str(info.value) and "bytes" in str(info.value)
    assert pw not in str(info.value)  # the failure itself masks it
    reg2 = SecretRegistry()
    reg2.add_secret("p@ss/w:rd?x")
    reg2.record("url-encoded", "postgresql://u:p%40ss%2Fw%3Ard%3Fx@h/db")
    assert reg2.leaks() == [("url-encoded", "p@ss/w:rd?x")]
    try:
        raise monomig.DatabaseError(f"boom {pw}")
    except monomig.DatabaseError as e:
        reg3 = SecretRegistry()
        reg3.add_secret(pw)
        reg3.record_exception("exc", e)
        assert reg3.leaks()


# --- renderings ----------------------------------------------------------------------

URL_FORMS = [
    "postgresql://scott:{pw}@db.example.com:5432/app",
    "postgresql+psycopg://scott:{pw}@127.0.0.1/app?sslmode=require",
    "postgresql+asyncpg://scott:{pw}@[::1]:5432/app",
    "postgresql://scott@h/app?password={pw}",
    "postgresql://scott:x@h/app?sslpassword={pw}",
    "mysql+pymysql://root:{pw}@127.0.0.1:3306/test?charset=utf8mb4",
    "mysql+pymysql://root@127.0.0.1/test?passwd={pw}",
    "mariadb://root:{pw}@localhost/test?unix_socket=/tmp/x.sock",
    "sqlite:///x.db?password={pw}",
]


@pytest.mark.parametrize("form", URL_FORMS)
def test_url_renderings_mask(leak_check: SecretRegistry, form: str) -> None:
    pw = leak_check.new_secret()
    for variant in (pw, pw + "%40x", pw + "%2F%3A"):
        url = form.format(pw=variant)
        u = native.DatabaseURL(url)
        leak_check.record("str", str(u))
        leak_check.record("repr", repr(u))
        if "?" not in form or form.index("{pw}") < form.index("?"):
            # SQLAlchemy's render_as_string() masks the URL password (query options show).
            leak_check.record("masked", u.masked)
            leak_check.record("render_as_string", u.render_as_string())
        try:
            leak_check.record("connect_info", repr(native.connect_info(url, base_dir="/tmp")))
        except monomig.ConfigError as e:  # an option monomig does not take: said without the secret
            leak_check.record_exception("connect_info", e)
        leak_check.record("mask_password", native.mask_password(f"url = {url}"))


@pytest.mark.parametrize(
    "form",
    [
        "postgresql://u:{pw}@h:notaport/db",
        "postgresql://u:{pw}@h:99999999999999999999999/db",
        "postgres://u:{pw}@h/db",
        "oracle://u:{pw}@h/db",
        "postgresql+nodriver://u:{pw}@h/db",
        "mysql+nodriver://u:{pw}@h/db",
        "postgresql://u:{pw}@h/db?sslmode=bogus",
        "postgresql://u:{pw}@h/db?connect_timeout=soon",
        "postgresql://u:{pw}@h/db?port=abc",
        "postgresql://u:{pw}@h/db?sslrootcert=/nonexistent/ca.pem&sslmode=verify-full",
        "mysql+pymysql://u:{pw}@h/db?ssl_ca=/nonexistent/ca.pem",
        "mysql+pymysql://u:{pw}@h/db?connect_timeout=-5",
        "mysql+pymysql://u:{pw}@h/db?charset=nonsense",
        "sqlite+pysqlcipher://:{pw}@/x.db",
        "{pw}://u@h/db",
        "postgresql:/u:{pw}@h/db",
    ],
)
def test_bad_urls_and_options_mask(leak_check: SecretRegistry, form: str) -> None:
    pw = leak_check.new_secret()
    url = form.format(pw=pw)
    for call in (
        lambda: native.parse_url(url),
        lambda: native.connect_info(url, base_dir="/tmp"),
        lambda: native.ping(url, connect_timeout=HANG_TIMEOUT),
        lambda: native.MigrationLock(url, "monomig:x", timeout=0.5, connect_timeout=HANG_TIMEOUT).acquire(),
    ):
        try:
            leak_check.record("result", repr(call()))
        except (monomig.MonomigError, ValueError) as e:
            leak_check.record_exception(form, e)
    (r,) = native.read_versions([(url, None, None)], connect_timeout=HANG_TIMEOUT)
    leak_check.record("read_versions", r.error)
    leak_check.record("read_versions repr", repr(r))


# --- connection failures -------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["postgresql+psycopg", "mysql+pymysql"])
def test_refused_port_masks(leak_check: SecretRegistry, scheme: str) -> None:
    pw = leak_check.new_secret()
    err = attempt(leak_check, "refused", f"{scheme}://u:{pw}@127.0.0.1:{free_port()}/db")
    assert isinstance(err, monomig.DatabaseError) and err.kind == "unreachable", err


@pytest.mark.parametrize("scheme", ["postgresql+psycopg", "mysql+pymysql"])
def test_unknown_host_masks(leak_check: SecretRegistry, scheme: str) -> None:
    pw = leak_check.new_secret()
    host = f"no-such-host-{uuid.uuid4().hex[:8]}.invalid"
    err = attempt(leak_check, "unknown host", f"{scheme}://u:{pw}@{host}:5432/db", connect_timeout=HANG_TIMEOUT)
    assert isinstance(err, monomig.DatabaseError) and err.kind in ("unknown_host", "unreachable", "timeout"), err


@pytest.mark.parametrize("scheme", ["postgresql+psycopg", "mysql+pymysql"])
def test_silent_server_times_out_and_masks(leak_check: SecretRegistry, silent_server: int, scheme: str) -> None:
    pw = leak_check.new_secret()
    err = attempt(
        leak_check, "timeout", f"{scheme}://u:{pw}@127.0.0.1:{silent_server}/db", connect_timeout=HANG_TIMEOUT
    )
    assert isinstance(err, monomig.DatabaseError) and err.kind == "timeout", err


def test_wrong_protocol_masks(leak_check: SecretRegistry) -> None:
    """A PostgreSQL URL pointed at MariaDB's port and the other way round."""
    pw = leak_check.new_secret()
    attempt(leak_check, "pg at mysql", f"postgresql://root:{pw}@{MY_HOST}:{MY_PORT}/test", connect_timeout=HANG_TIMEOUT)
    attempt(
        leak_check,
        "mysql at pg",
        f"mysql+pymysql://postgres:{pw}@{PG_HOST}:{PG_PORT}/test",
        connect_timeout=HANG_TIMEOUT,
    )


@pytest.fixture
def mysql_user(mysql_database: ServerDb) -> Iterator[tuple[str, str]]:
    """A MariaDB user with a password (real password checks) on the test database."""
    user = unique_name("mm_u")[:30]
    pw = f"S3cr3t-{uuid.uuid4().hex}"
    admin = my_admin()
    try:
        with admin.cursor() as cur:
            for host in ("127.0.0.1", "localhost", "%"):
                cur.execute(f"CREATE USER '{user}'@'{host}' IDENTIFIED BY '{pw}'")
                cur.execute(f"GRANT ALL ON `{mysql_database.name}`.* TO '{user}'@'{host}'")
        yield user, pw
    finally:
        with admin.cursor() as cur:
            for host in ("127.0.0.1", "localhost", "%"):
                cur.execute(f"DROP USER IF EXISTS '{user}'@'{host}'")
        admin.close()


def test_mysql_auth_failure_masks(leak_check: SecretRegistry, mysql_database: ServerDb, mysql_user) -> None:
    user, good = mysql_user
    leak_check.add_secret(good)
    wrong = leak_check.new_secret()
    base = f"mysql+pymysql://{user}:{{pw}}@{MY_HOST}:{MY_PORT}/{mysql_database.name}"
    # The right password works (the password really is checked) ...
    native.ping(base.format(pw=good))
    (r,) = native.read_versions([(base.format(pw=good), None, None)])
    assert r.state == "no_table", r.error
    leak_check.record("good read", repr(r))
    with native.MigrationLock(base.format(pw=good), "monomig:x", timeout=2) as lock:
        leak_check.record("good lock", repr(lock))
    # ... and a wrong one is a real authentication failure.
    err = attempt(leak_check, "wrong password", base.format(pw=wrong))
    assert isinstance(err, monomig.DatabaseError) and err.kind == "auth_failed", err
    assert user in str(err)
    # The right password against a database the user may not see.
    attempt(leak_check, "no grant", f"mysql+pymysql://{user}:{good}@{MY_HOST}:{MY_PORT}/mysql")
    # The password as a query option, and percent-encoded.
    attempt(leak_check, "query password", f"mysql+pymysql://{user}@{MY_HOST}:{MY_PORT}/db?password={wrong}")


def test_mysql_query_errors_mask(leak_check: SecretRegistry, mysql_database: ServerDb, mysql_user) -> None:
    """Errors after connecting (a version table that is a view on a missing table)."""
    user, good = mysql_user
    leak_check.add_secret(good)
    c = my_admin(mysql_database.name)
    with c.cursor() as cur:
        cur.execute("CREATE TABLE t (version_num varchar(32))")
        cur.execute("CREATE VIEW alembic_version AS SELECT version_num FROM t")
        cur.execute("DROP TABLE t")
    c.close()
    url = f"mysql+pymysql://{user}:{good}@{MY_HOST}:{MY_PORT}/{mysql_database.name}"
    (r,) = native.read_versions([(url, None, None)])
    assert r.state == "error" and r.error_kind == "query", r
    leak_check.record("broken view", r.error)


@pytest.fixture
def pg_role(pg_database: ServerDb) -> Iterator[tuple[str, str]]:
    """A PostgreSQL role with a password (the server trusts 127.0.0.1, so the password is
    not checked there; the failing paths below are what is checked)."""
    role = unique_name("mm_r")
    pw = f"S3cr3t-{uuid.uuid4().hex}"
    with pg_admin() as c:
        c.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{pw}'")
    try:
        yield role, pw
    finally:
        with pg_admin() as c:
            c.execute(f'DROP DATABASE IF EXISTS "{pg_database.name}" WITH (FORCE)')
            c.execute(f"DROP ROLE IF EXISTS {role}")


def test_pg_failures_mask(leak_check: SecretRegistry, pg_database: ServerDb, pg_role, tmp_path: Path) -> None:
    role, pw = pg_role
    leak_check.add_secret(pw)
    wrong = leak_check.new_secret()
    ok = f"postgresql+psycopg://{role}:{pw}@{PG_HOST}:{PG_PORT}/{pg_database.name}"
    native.ping(ok)
    (r,) = native.read_versions([(ok, None, None)])
    assert r.state == "no_table", r.error
    # A role that does not exist: the server refuses the user.
    err = attempt(
        leak_check, "no such role", f"postgresql+psycopg://nobody_{uuid.uuid4().hex[:6]}:{wrong}@{PG_HOST}/postgres"
    )
    assert isinstance(err, monomig.DatabaseError) and err.kind == "auth_failed", err
    # A database that does not exist.
    err = attempt(
        leak_check, "no such db", f"postgresql+psycopg://{role}:{wrong}@{PG_HOST}/nodb_{uuid.uuid4().hex[:6]}"
    )
    assert isinstance(err, monomig.DatabaseError) and err.kind == "database_absent", err
    (r,) = native.read_versions([(f"postgresql://{role}:{wrong}@{PG_HOST}/nodb_x", None, None)])
    assert r.state == "no_database"
    # TLS: a root certificate that is not one, and verify-full against a server whose
    # certificate no given root signs.
    bad_ca = tmp_path / "ca.pem"
    bad_ca.write_text("-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n")
    for q in (
        f"sslmode=verify-full&sslrootcert={bad_ca}",
        f"sslmode=verify-ca&sslrootcert={bad_ca}",
        "sslmode=require",
        f"sslmode=require&sslcert={bad_ca}&sslkey={bad_ca}",
    ):
        attempt(leak_check, f"tls {q}", f"postgresql+psycopg://{role}:{wrong}@{PG_HOST}/{pg_database.name}?{q}")
    # A statement that fails after connecting: the role may not read the version table.
    with pg_admin(pg_database.name) as c:
        c.execute("CREATE TABLE alembic_version (version_num varchar(32) primary key)")
        c.execute(f"REVOKE ALL ON alembic_version FROM {role}")
    (r,) = native.read_versions([(ok, None, None)])
    assert r.state == "error" and r.error_kind == "query", r
    leak_check.record("permission denied", r.error)


def test_mysql_tls_failures_mask(leak_check: SecretRegistry, mysql_database: ServerDb, tmp_path: Path) -> None:
    pw = leak_check.new_secret()
    bad_ca = tmp_path / "ca.pem"
    bad_ca.write_text("-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n")
    for q in ("ssl=true", f"ssl_ca={bad_ca}", "ssl_mode=REQUIRED", f"ssl_ca={bad_ca}&ssl_check_hostname=true"):
        attempt(leak_check, f"tls {q}", f"mysql+mysqldb://root:{pw}@{MY_HOST}:{MY_PORT}/{mysql_database.name}?{q}")


def test_lock_timeout_message_masks(leak_check: SecretRegistry, mysql_database: ServerDb, mysql_user) -> None:
    user, good = mysql_user
    leak_check.add_secret(good)
    url = f"mysql+pymysql://{user}:{good}@{MY_HOST}:{MY_PORT}/{mysql_database.name}"
    with native.MigrationLock(url, "monomig:t", timeout=2):
        with pytest.raises(monomig.LockError) as info:
            native.MigrationLock(url, "monomig:t", timeout=0.3).acquire()
        leak_check.record_exception("lock timeout", info.value)
        assert "Timed out" in str(info.value)


def test_subprocess_output_masks(leak_check: SecretRegistry) -> None:
    """An uncaught error in a child process: the traceback Python prints is masked too."""
    pw = leak_check.new_secret()
    script = textwrap.dedent(
        f"""
        import monomig._native as n
        print(n.DatabaseURL("postgresql://u:{pw}@h/db"))
        print(repr(n.read_versions([("postgresql://u:{pw}@127.0.0.1:1/db", None, None)])[0]))
        n.ping("postgresql://u:{pw}@127.0.0.1:1/db", connect_timeout=2)
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "DatabaseError" in proc.stderr
    # The script's own text (with the password) is not part of the traceback for -c.
    leak_check.record_process("child", proc)
