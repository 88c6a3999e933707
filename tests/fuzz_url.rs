//! Fuzzing SQLAlchemy URL parsing (`SqlaUrl::parse`, as `make_url`) and its translation
//! into sqlx connect options (`DbTarget::parse`): every input gives a value or a
//! `ConfigError`, never a panic, hang or blow-up, and a password never shows in a
//! rendering, a description or an error. See fuzz/README.md for the long runs.

use crate::harness;

use std::path::Path;
use std::time::Duration;

use monomig::db::{DbTarget, SqlaUrl};
use proptest::prelude::*;

const DICT: &[&[u8]] = &[
    b"://",
    b"@",
    b":",
    b"/",
    b"//",
    b"?",
    b"&",
    b"=",
    b"%",
    b"%40",
    b"%2F",
    b"%zz",
    b"%00",
    b"+",
    b"[",
    b"]",
    b"[::1]",
    b"\\",
    b"#",
    b"\n",
    b" ",
    b"postgresql",
    b"postgresql+psycopg",
    b"postgresql+asyncpg",
    b"postgresql+pg8000",
    b"mysql+pymysql",
    b"mariadb",
    b"sqlite",
    b"sqlite+aiosqlite",
    b":memory:",
    b"file:",
    b"uri=true",
    b"mode=ro",
    b"immutable=1",
    b"vfs=unix",
    b"host=",
    b"port=",
    b"password=",
    b"sslpassword=",
    b"sslmode=",
    b"verify-full",
    b"sslrootcert=",
    b"ssl_ca=",
    b"ssl=true",
    b"unix_socket=",
    b"connect_timeout=",
    b"timeout=",
    b"options=",
    b"-c ",
    b"application_name=",
    b"charset=",
    b"target_session_attrs=",
    b"99999999999999999999",
    b"-1",
    b"0",
    b"1e9",
    b"nan",
    b"inf",
];

/// A password is checked when it is one of the test passwords (it contains `S3cr3t`,
/// which no message, option name or dialect name does) and cannot be confused with
/// another part of the URL.
fn distinctive(url: &SqlaUrl, text: &str) -> Option<String> {
    let p = url.password()?.expose().to_owned();
    if !p.contains("S3cr3t") || text.matches(p.as_str()).count() > 1 {
        return None;
    }
    let others = [url.username(), url.host(), url.database(), Some(url.drivername())];
    if others.iter().flatten().any(|o| o.contains(p.as_str())) {
        return None;
    }
    if url
        .query()
        .iter()
        .any(|(k, v)| k.contains(p.as_str()) || v.values().iter().any(|x| x.contains(p.as_str())))
    {
        return None;
    }
    Some(p)
}

fn no_secret(secret: &Option<String>, what: &str, shown: &str) {
    if let Some(p) = secret {
        assert!(!shown.contains(p.as_str()), "{what} shows the password {p:?}: {shown}");
    }
}

fn check(bytes: &[u8]) -> Result<(), String> {
    let text = String::from_utf8_lossy(bytes);
    let _ = monomig::config::mask_password(&text);
    let url = SqlaUrl::parse(&text).map_err(|e| e.message().to_owned())?;
    let secret = distinctive(&url, &text);
    no_secret(&secret, "masked()", &url.masked());
    no_secret(&secret, "redacted()", &url.redacted());
    no_secret(&secret, "Debug", &format!("{url:?}"));
    let _ = url.render(false);
    let _ = (url.backend_name(), url.driver_name(), url.port());
    match DbTarget::from_url(url, Path::new("/nonexistent/base")) {
        Ok(t) => {
            no_secret(&secret, "DbTarget Debug", &format!("{t:?}"));
            no_secret(&secret, "DbTarget Display", &t.to_string());
            no_secret(&secret, "identity", t.identity());
            for (k, v) in t.describe() {
                no_secret(&secret, k, &v);
            }
            let _ = (t.url_connect_timeout(), t.sqlite_location(), t.tls_files());
            let _ = monomig::db::lock::lock_location(&t, "monomig:alembic_version");
            if let Some(p) = &secret {
                // Shorter secrets (a ?password= option) may mask more; never less.
                let scrubbed = t.scrub(&format!("driver said {p}!"));
                assert!(!scrubbed.contains(p.as_str()), "scrub left the password: {scrubbed}");
            }
            Ok(())
        }
        Err(e) => {
            no_secret(&secret, "translation error", e.message());
            Err(e.message().to_owned())
        }
    }
}

#[test]
fn fuzz_url() {
    let r = harness::run("url", DICT, check);
    assert!(r.cases > 0);
}

// ---- structured inputs ---------------------------------------------------------------

fn component() -> impl Strategy<Value = String> {
    prop_oneof!["[a-z0-9._-]{0,8}", "[%@:/?&=+ \\[\\]a-z]{0,6}", "\\PC{0,4}",]
}

/// A URL's pieces: driver, user, host, port, database, query pairs, and a tag.
type UrlParts = (String, String, String, String, String, Vec<(String, String)>, String);

fn url_parts() -> impl Strategy<Value = UrlParts> {
    (
        prop_oneof![
            Just("postgresql"),
            Just("postgresql+psycopg"),
            Just("postgresql+asyncpg"),
            Just("postgresql+pg8000"),
            Just("mysql+pymysql"),
            Just("mysql"),
            Just("mariadb+mariadbconnector"),
            Just("sqlite"),
            Just("sqlite+aiosqlite"),
        ]
        .prop_map(str::to_owned),
        component(),
        component(),
        prop_oneof!["[0-9]{0,6}", Just(String::new()), component()],
        component(),
        prop::collection::vec(
            (
                prop_oneof![
                    Just("sslmode".to_owned()),
                    Just("host".to_owned()),
                    Just("port".to_owned()),
                    Just("connect_timeout".to_owned()),
                    Just("options".to_owned()),
                    Just("ssl_ca".to_owned()),
                    Just("unix_socket".to_owned()),
                    Just("mode".to_owned()),
                    Just("uri".to_owned()),
                    Just("charset".to_owned()),
                    "[a-z_]{1,8}",
                ],
                component(),
            ),
            0..4,
        ),
        "[A-Za-z0-9]{6,10}",
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

    /// Random URLs with a distinctive password: never shown anywhere.
    #[test]
    fn structured_url((drv, user, host, port, db, query, tag) in url_parts()) {
        let password = format!("S3cr3t-{tag}");
        let mut s = format!("{drv}://{user}:{password}@{host}");
        if !port.is_empty() {
            s.push(':');
            s.push_str(&port);
        }
        s.push('/');
        s.push_str(&db);
        if !query.is_empty() {
            s.push('?');
            let q: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
            s.push_str(&q.join("&"));
        }
        let _ = check(s.as_bytes());
        // Wherever the password landed, no rendering or error shows it as a password.
        match SqlaUrl::parse(&s) {
            Ok(u) => {
                if u.password().map(|p| p.expose()) == Some(password.as_str()) && distinctive(&u, &s).is_some() {
                    prop_assert!(!u.redacted().contains(&password));
                    if let Err(e) = DbTarget::from_url(u, Path::new("/x")) {
                        prop_assert!(!e.message().contains(&password), "{}", e.message());
                    }
                }
            }
            Err(e) => prop_assert!(!e.message().contains(&password), "{}", e.message()),
        }
    }

    #[test]
    fn arbitrary_text(text in "\\PC{0,200}") {
        let _ = check(text.as_bytes());
    }
}

// ---- scaling -------------------------------------------------------------------------

const LIMIT: Duration = Duration::from_secs(30);

fn both(b: &[u8]) {
    let _ = check(b);
}

#[test]
fn scaling_many_query_keys() {
    let mk = |n: usize| {
        let mut s = String::from("postgresql://u:S3cr3t-pw@h/db?");
        for i in 0..n {
            s.push_str(&format!("k{i}=v{i}&"));
        }
        s.into_bytes()
    };
    // About 100 KB and 1.2 MB.
    harness::assert_scales("URL, many distinct query keys", &mk(10_000), &mk(100_000), LIMIT, both);
}

#[test]
fn scaling_repeated_query_key() {
    let mk = |size| {
        let mut v = b"mysql+pymysql://u:S3cr3t-pw@h/db?".to_vec();
        v.extend(harness::repeat_to(b"charset=utf8&ssl_ca=%2Fx&", size));
        v
    };
    harness::assert_scales("URL, one key repeated", &mk(100_000), &mk(1_000_000), LIMIT, both);
}

#[test]
fn scaling_long_components() {
    let mk = |size: usize| {
        let part = "a%41".repeat(size / 16);
        format!("postgresql://{part}:{part}@{part}:5432/{part}").into_bytes()
    };
    harness::assert_scales(
        "URL, long percent-encoded parts",
        &mk(100_000),
        &mk(1_000_000),
        LIMIT,
        both,
    );
}

#[test]
fn scaling_long_sqlite_path() {
    let mk = |size: usize| {
        let mut v = b"sqlite:///".to_vec();
        v.extend(harness::repeat_to(b"../dir/./", size));
        v.extend(b"x.db?mode=ro&uri=true");
        v
    };
    harness::assert_scales("URL, long SQLite path", &mk(100_000), &mk(1_000_000), LIMIT, both);
}

#[test]
fn scaling_mask_password_without_at() {
    let mk = |size| harness::repeat_to(b"x://u:p ", size);
    harness::assert_scales("mask_password, no '@'", &mk(100_000), &mk(1_000_000), LIMIT, |b| {
        let _ = monomig::config::mask_password(std::str::from_utf8(b).unwrap());
    });
}

#[test]
fn scaling_many_at_and_colons() {
    let mk = |size| {
        let mut v = b"postgresql://".to_vec();
        v.extend(harness::repeat_to(b"u:p@:", size));
        v.extend(b"/db");
        v
    };
    harness::assert_scales("URL, many '@' and ':'", &mk(100_000), &mk(1_000_000), LIMIT, both);
}
