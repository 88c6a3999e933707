"""monomig's URL parser against SQLAlchemy 2.1's make_url: hand-picked and random URLs.

Every component, the query (values and key order), str()/repr() (password masked) and
render_as_string(hide_password=False) must be identical; where SQLAlchemy raises,
monomig raises ConfigError. The one allowed difference: a port beyond 64 bits, which
SQLAlchemy keeps as a Python int and monomig refuses.

MONOMIG_DIFF_CASES raises the number of random cases (default 4000, seed fixed).
"""

from __future__ import annotations

import os
import random

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

import monomig
import monomig._native as native

CASES = int(os.environ.get("MONOMIG_DIFF_CASES", "4000"))
I64 = 2**63

HAND_PICKED = [
    "postgresql://scott:tiger@localhost/test",
    "postgresql+psycopg2://scott:tiger@localhost:5432/mydatabase",
    "postgresql+psycopg://scott:ti%40ger@db.example.com:5433/app?sslmode=require",
    "postgresql+asyncpg://u:p@h/db?prepared_statement_cache_size=0",
    "postgresql+pg8000://u@h/db",
    "postgres://u:p@h/db",
    "postgresql:///dbname?host=/var/run/postgresql",
    "postgresql://user@/dbname",
    "postgresql://u@h/db?host=h1:5432&host=h2:5433",
    "postgresql://u@h/db?options=-csearch_path%3Dfoo%2Cpublic",
    "postgresql://u:p@[::1]:5432/db",
    "postgresql://u:p@[2001:db8::1]/db",
    "postgresql://[::1]x/db",
    "postgresql://[::1/db",
    "postgresql://[]/db",
    "postgresql://u:p@ss@h/db",
    "postgresql://u@x@h/db",
    "postgresql://u:p:q@h/db",
    "postgresql://:p@h/db",
    "postgresql://@h/db",
    "postgresql://u:@h/db",
    "postgresql://h:/db",
    "postgresql://h:1:2/db",
    "postgresql://h: 5432 /db",
    "postgresql://h:+5432/db",
    "postgresql://h:-1/db",
    "postgresql://h:0/db",
    "postgresql://h:5_432/db",
    "postgresql://h:\u0665\u0664\u0663\u0662/db",
    "postgresql://h:99999999999999999999999/db",
    "postgresql://user:secret/db",
    "mysql://root@localhost/test",
    "mysql+pymysql://root:@127.0.0.1:3306/test?charset=utf8mb4",
    "mysql+mysqldb://u:p@h/db?ssl_ca=/etc/ca.pem&ssl_check_hostname=false",
    "mariadb+pymysql://u:p@h/db",
    "mysql://u:p@h/db?unix_socket=/var/run/mysqld/mysqld.sock",
    "sqlite://",
    "sqlite:///:memory:",
    "sqlite:///relative/path.db",
    "sqlite:////absolute/path.db",
    "sqlite:///C:\\path\\to\\db",
    "sqlite+pysqlite:///file:path.db?mode=ro&uri=true",
    "sqlite+aiosqlite:///x.db",
    "sqlite:///a?b=c\nd=e",
    "sqlite:///a\nb?c=d",
    "pg://h/db?a=1&a=2&b=&c",
    "pg://h/db?a=1&b=2&a=3&a=4",
    "pg://h/db?=x&y=",
    "pg://h/db?a+b=c+d&e%20f=g%2Bh",
    "pg://u:p%40w@h:\u0665\u0664/d%2Fb?x=%ZZ",
    "pg://u%3Ax:p%3Ay@h/d%3Fb",
    "pg://%C3%A9:%e9@h/%F0%9F%98%80",
    "pg://\u00e9\u0301:\u00e9@h\u00e9/\u00e9",
    "a+b://",
    "a://",
    "_://x",
    "\u00e9t\u00e9://x",
    "x\u0301://x",
    "x\u00bd://x",
    "x\u2160://x",
    "://x",
    "pg:/x",
    "pg//x",
    "",
    "+",
    "pg://h#frag/db",
    "pg://h/db#frag?x=1",
    "pg://u:p@h/db?x=1#y",
    "driver://user:pass@localhost/defaultdb",
    "postgresql://u@h/db?password=hunter2&user=x",
    "mysql://u@h/db?passwd=a&passwd=b&ssl_key_password=c",
]


def _sa(text: str):
    try:
        return make_url(text), None
    except (ArgumentError, ValueError) as e:
        return None, e


def _ours(text: str):
    try:
        return native.parse_url(text), None
    except monomig.ConfigError as e:
        return None, e


def is_secret_key(key: str) -> bool:
    k = "".join(c.lower() if c.isascii() else c for c in key)
    return any(w in k for w in ("password", "passwd", "secret", "token")) or k == "pwd"


def _render_redacted(sa) -> str:
    query = {
        k: (("***",) * len(v) if isinstance(v, tuple) else "***") if is_secret_key(k) else v
        for k, v in sa.query.items()
    }
    return sa.set(query=query).render_as_string(hide_password=True).replace("=%2A%2A%2A", "=***")


def check(text: str) -> None:
    sa, sa_err = _sa(text)
    ours, our_err = _ours(text)
    if sa_err is not None:
        assert our_err is not None, f"{text!r}: SQLAlchemy raised {sa_err!r}, monomig parsed {ours!r}"
        return
    if our_err is not None:
        assert sa.port is not None and not (-I64 <= sa.port < I64), f"{text!r}: monomig raised {our_err}"
        return
    got = (ours.drivername, ours.username, ours.password, ours.host, ours.port, ours.database)
    want = (sa.drivername, sa.username, sa.password, sa.host, sa.port, sa.database)
    assert got == want, f"{text!r}"
    assert list(ours.query.items()) == list(sa.query.items()), f"{text!r}"
    assert ours.masked == sa.render_as_string(hide_password=True), f"{text!r}"
    if any(is_secret_key(k) for k in sa.query):
        # str()/repr() also mask secret query options, which SQLAlchemy shows.
        assert str(ours) == repr(ours) == _render_redacted(sa), f"{text!r}"
    else:
        assert str(ours) == str(sa), f"{text!r}"
        assert repr(ours) == repr(sa), f"{text!r}"
    assert ours.render_as_string(hide_password=False) == sa.render_as_string(hide_password=False), f"{text!r}"
    assert ours.get_backend_name() == sa.get_backend_name(), f"{text!r}"


@pytest.mark.parametrize("text", HAND_PICKED)
def test_hand_picked(text: str) -> None:
    check(text)


# --- random URLs ------------------------------------------------------------------

PIECES = [
    "a",
    "b",
    "Z",
    "q",
    "0",
    "7",
    "_",
    "-",
    ".",
    "~",
    "!",
    "$",
    "'",
    "(",
    "*",
    ",",
    ";",
    ":",
    ":",
    "/",
    "/",
    "@",
    "@",
    "?",
    "&",
    "=",
    "[",
    "]",
    "%",
    "%41",
    "%2F",
    "%40",
    "%3A",
    "%3F",
    "%25",
    "%C3%A9",
    "%e9",
    "%ZZ",
    "%4",
    "%F0%9F%98%80",
    "%ED%A0%80",
    "%C3",
    "+",
    " ",
    "\n",
    "\t",
    "\r",
    "#",
    "\x00",
    "\u00e9",
    "\u0663",
    "\u0665",
    "\u3000",
    "\u00bd",
    "\u0301",
    "\U0001f600",
    "\u200b",
    "\x85",
    "\x1c",
    "\u2028",
    "\u00a0",
    "\uff10",
]
SCHEMES = [
    "postgresql",
    "postgresql+psycopg2",
    "postgresql+psycopg",
    "postgresql+asyncpg",
    "postgresql+pg8000",
    "postgres",
    "mysql",
    "mysql+pymysql",
    "mariadb",
    "mysql+mysqldb",
    "sqlite",
    "sqlite+pysqlite",
    "sqlite+aiosqlite",
    "a+b+c",
    "x_1",
    "+",
    "\u00e9t\u00e9",
    "x\u0301",
    "x\u00bd",
    "x\u2160",
    "",
    "pg-sql",
    "pg.sql",
    "PostgreSQL",
    "1",
]
HOSTS = [
    "localhost",
    "db.example.com",
    "127.0.0.1",
    "[::1]",
    "[2001:db8::1]",
    "[::1",
    "::1]",
    "[]",
    "[x]y",
    "h@h",
    "",
    "h%41",
    "\u00e9xample",
    "h h",
    "[::1]]",
    "[a]b]c",
]
PORTS = [
    "5432",
    "0",
    "",
    " 1 ",
    "+7",
    "-3",
    "1_0",
    "1__0",
    "\u0665\u0664",
    "\uff15",
    "x",
    "99999999999999999999999",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "1:2",
    "5432\u3000",
    "\u00bd",
    "1 2",
]


def noise(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(0, n)))


def structured(rng: random.Random) -> str:
    s = rng.choice(SCHEMES)
    s += rng.choice(["://"] * 12 + [":/", ":", "//", ":///", "://://"])
    if rng.random() < 0.6:
        s += noise(rng, 4)
        if rng.random() < 0.6:
            s += ":" + noise(rng, 5)
        s += "@"
    if rng.random() < 0.8:
        s += rng.choice(HOSTS) if rng.random() < 0.7 else noise(rng, 4)
    if rng.random() < 0.4:
        s += ":" + (rng.choice(PORTS) if rng.random() < 0.8 else noise(rng, 3))
    if rng.random() < 0.7:
        s += "/" + noise(rng, 5)
    if rng.random() < 0.5:
        pairs = []
        for _ in range(rng.randint(0, 5)):
            key = rng.choice(["a", "b", "host", "sslmode", "uri", "password", noise(rng, 2)])
            pairs.append(key + rng.choice(["=", "=", "", "=="]) + noise(rng, 3))
        s += "?" + rng.choice(["&", "&&", ";"]).join(pairs)
    if rng.random() < 0.15:
        s += noise(rng, 4)
    return s


def chaos(rng: random.Random) -> str:
    prefix = rng.choice(SCHEMES) + "://" if rng.random() < 0.8 else ""
    return prefix + noise(rng, 14)


@pytest.mark.slow
def test_random_urls() -> None:
    rng = random.Random(20240611)
    for i in range(CASES):
        text = structured(rng) if i % 3 else chaos(rng)
        check(text)


@pytest.mark.slow
def test_random_urls_parse_equal_and_masking_holds() -> None:
    """URLs with a distinctive password: it never shows in str/repr/masked, parse or not."""
    rng = random.Random(7)
    secret = "Zq9-SECRET-9qZ"
    for _ in range(max(CASES // 4, 200)):
        user = noise(rng, 3).replace(":", "").replace("/", "").replace("@", "")
        tail = noise(rng, 3).replace("@", "")
        text = f"{rng.choice(SCHEMES)}://{user}:{secret}{tail}@{rng.choice(HOSTS)}/{noise(rng, 3)}"
        ours, err = _ours(text)
        if ours is not None:
            for shown in (str(ours), repr(ours), ours.masked):
                assert secret not in shown, text
        else:
            assert secret not in str(err), text


def test_password_never_in_str_or_repr() -> None:
    u = native.parse_url("postgresql://scott:s3cr%2Ft%20pw@h/db")
    assert u.password == "s3cr/t pw"
    for shown in (str(u), repr(u), u.masked, u.render_as_string()):
        assert "s3cr" not in shown
    assert u.render_as_string(hide_password=False) == "postgresql://scott:s3cr%2Ft pw@h/db"
    u = native.parse_url("postgresql://scott@h/db?password=s3cret&sslpassword=s3cret2&a=1")
    assert "s3cret" not in str(u) and "s3cret" not in repr(u)
    assert str(u) == "postgresql://scott@h/db?a=1&password=***&sslpassword=***"


@pytest.mark.parametrize(
    "text",
    [
        "postgresql:/u:hunter2@h/db",
        "postgresql//u:hunter2@h/db",
        "post gresql://u:hunter2@h/db",
        "postgresql://u:hunter2/db",
        "postgresql://u:hunter2@h:x/db",
    ],
)
def test_parse_errors_are_clear_and_never_echo(text: str) -> None:
    with pytest.raises(monomig.ConfigError) as info:
        native.parse_url(text)
    msg = str(info.value)
    assert "hunter2" not in msg
    assert "URL" in msg


def test_stubs_describe_the_database_surface() -> None:
    """_native.pyi names every class, method and property the database surface has."""
    import ast
    from pathlib import Path

    stub = ast.parse((Path(native.__file__).parent / "_native.pyi").read_text())
    declared = {}
    for node in stub.body:
        if isinstance(node, ast.ClassDef):
            declared[node.name] = {
                n.name for n in node.body if isinstance(n, (ast.FunctionDef, ast.AnnAssign)) and hasattr(n, "name")
            }
        elif isinstance(node, ast.FunctionDef):
            declared[node.name] = set()
    for name in ("DatabaseURL", "VersionRead", "MigrationLock", "parse_url", "connect_info", "ping", "read_versions"):
        assert name in declared, name
        obj = getattr(native, name)
        for member in declared[name]:
            if not member.startswith("__"):
                assert hasattr(obj, member), f"{name}.{member}"
        if isinstance(obj, type):
            public = {m for m in dir(obj) if not m.startswith("_")}
            assert public <= declared[name], f"{name}: undeclared {public - declared[name]}"
