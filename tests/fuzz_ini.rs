//! Fuzzing the ini reader (`Ini::parse` with every value interpolated) and the whole
//! `load_project` on a temporary directory (alembic.ini plus, for corpus entries with a
//! `##pyproject.toml##` line, a pyproject.toml). Every input gives a value or an error,
//! never a panic, hang or blow-up. See fuzz/README.md for the long runs.

use crate::harness;

use std::path::Path;
use std::time::Duration;

use monomig::config::{Ini, LoadOptions, ini, load_project};
use proptest::prelude::*;

const DICT: &[&[u8]] = &[
    b"%(",
    b")s",
    b"%(here)s",
    b"%%",
    b"%",
    b"[",
    b"]",
    b"[alembic]\n",
    b"[DEFAULT]\n",
    b"\n ",
    b"\n\t",
    b"\n",
    b"\r",
    b"\r\n",
    b"=",
    b":",
    b";",
    b"#",
    b"\\",
    b"\"\"\"",
    b"@",
    b"?",
    b"script_location = ",
    b"version_locations = ",
    b"databases = ",
    b"path_separator = ",
    b"sqlalchemy.url = ",
    b"version_table = ",
    b"recursive_version_locations = ",
    b"truncate_slug_length = ",
    b"sourceless = ",
    b"post_write_hooks",
    b"hooks = ",
    b"migrations",
    b"newline",
    b"os",
    b"space",
    b"\xef\xbb\xbf",
    b"\xff",
    b"##pyproject.toml##\n",
    b"[tool.alembic]\n",
    b"[[tool.alembic.post_write_hooks]]\n",
    b"\"",
    b"'''",
    b"[\"a\", ",
    b"package:path",
];

/// Parse and interpolate everything; the error must name the source.
fn check_ini(bytes: &[u8]) -> Result<(), String> {
    let text = ini::decode(bytes, "fuzz.ini").map_err(|e| e.message)?;
    let defaults = vec![("here".to_owned(), "/tmp/x".to_owned())];
    let parsed = Ini::parse_with_defaults(&text, "fuzz.ini", &defaults).map_err(|e| {
        assert!(
            e.message.contains("fuzz.ini"),
            "error without the file name: {}",
            e.message
        );
        e.message
    })?;
    let sections: Vec<String> = parsed.sections().map(str::to_owned).collect();
    let mut errors = 0;
    for s in &sections {
        let _ = parsed.items_raw(s);
        if parsed.items(s).is_err() {
            errors += 1;
        }
        let keys: Vec<String> = parsed
            .section(s)
            .map(|sec| sec.entries.iter().map(|e| e.key.clone()).collect())
            .unwrap_or_default();
        for k in keys {
            assert!(parsed.has_option(s, &k));
            let _ = parsed.get(s, &k);
        }
    }
    if errors > 0 {
        Err(format!("{errors} sections with interpolation errors"))
    } else {
        Ok(())
    }
}

const TOML_SPLIT: &[u8] = b"##pyproject.toml##\n";

/// `load_project` on a directory holding the input (and the directories the corpus names),
/// then every section resolved.
fn check_project(dir: &Path, bytes: &[u8]) -> Result<(), String> {
    let (ini_part, toml_part) = match memchr::memmem::find(bytes, TOML_SPLIT) {
        Some(i) => (&bytes[..i], Some(&bytes[i + TOML_SPLIT.len()..])),
        None => (bytes, None),
    };
    std::fs::write(dir.join("alembic.ini"), ini_part).map_err(|e| e.to_string())?;
    let toml = dir.join("pyproject.toml");
    match toml_part {
        Some(t) => std::fs::write(&toml, t).map_err(|e| e.to_string())?,
        None => {
            let _ = std::fs::remove_file(&toml);
        }
    }
    let mut opts = LoadOptions::new(dir);
    opts.allow_missing_ini = true;
    let project = load_project(Path::new("alembic.ini"), &opts).map_err(|e| {
        assert!(!e.message().is_empty());
        e.message().to_owned()
    })?;
    let names: Vec<String> = project.section_names().into_iter().map(str::to_owned).collect();
    for n in names.iter().chain(std::iter::once(&"alembic".to_owned())) {
        if let Ok(svc) = project.section(n) {
            let _ = svc.effective_truncate_slug_length();
            let _ = format!("{svc:?}");
        }
        let _ = project.alembic_option(n, "script_location");
        let _ = project.alembic_boolean_option(n, "sourceless");
    }
    Ok(())
}

fn project_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for d in ["migrations/versions", "alt/versions", "a", "b"] {
        std::fs::create_dir_all(dir.path().join(d)).expect("mkdir");
    }
    dir
}

#[test]
fn fuzz_ini_parse() {
    let r = harness::run("ini", DICT, check_ini);
    assert!(r.cases > 0);
}

#[test]
fn fuzz_ini_load_project() {
    let dir = project_dir();
    let r = harness::run("ini", DICT, |b| check_project(dir.path(), b));
    assert!(r.cases > 0);
}

// ---- structured inputs ---------------------------------------------------------------

fn ini_value() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            "[a-z/ ._-]{0,8}",
            Just("%(here)s".to_owned()),
            Just("%%".to_owned()),
            Just("%(".to_owned()),
            "%\\([a-z_]{1,6}\\)s",
            Just("\n  continued".to_owned()),
            Just("\n\n  after blank".to_owned()),
            Just("\n;comment".to_owned()),
            "\\PC{0,4}",
        ],
        0..6,
    )
    .prop_map(|v| v.concat())
}

fn ini_text() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        Just("script_location".to_owned()),
        Just("version_locations".to_owned()),
        Just("path_separator".to_owned()),
        Just("databases".to_owned()),
        Just("sqlalchemy.url".to_owned()),
        Just("sourceless".to_owned()),
        Just("truncate_slug_length".to_owned()),
        "[a-z_]{1,6}",
    ];
    let section = (
        "[a-z_]{1,6}|alembic|DEFAULT|post_write_hooks",
        prop::collection::vec((key, "[=:]| = ", ini_value()), 0..6),
    );
    prop::collection::vec(section, 0..5).prop_map(|secs| {
        let mut s = String::new();
        for (name, entries) in secs {
            s.push_str(&format!("[{name}]\n"));
            for (k, sep, v) in entries {
                s.push_str(&format!("{k}{sep}{v}\n"));
            }
        }
        s
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn structured_ini(text in ini_text()) {
        let _ = check_ini(text.as_bytes());
    }

    #[test]
    fn structured_project(text in ini_text()) {
        let dir = project_dir();
        let _ = check_project(dir.path(), text.as_bytes());
    }
}

// ---- scaling -------------------------------------------------------------------------

const LIMIT: Duration = Duration::from_secs(30);

fn parse_all(b: &[u8]) {
    let _ = check_ini(b);
}

#[test]
fn scaling_plain_file() {
    let unit = b"[svc_X]\nscript_location = %(here)s/migrations\nsqlalchemy.url = postgresql://u:p@h/db\nversion_locations = a b c\n";
    let mut n = 0;
    let build = |size: usize, n: &mut usize| {
        let mut v = Vec::new();
        while v.len() < size {
            v.extend_from_slice(&unit[..]);
            let at = v.len() - unit.len() + 5;
            let tag = format!("{:06}", *n);
            *n += 1;
            v.splice(at..at + 1, tag.bytes());
        }
        v
    };
    let small = build(100_000, &mut n);
    let large = build(1_000_000, &mut n);
    harness::assert_scales("ini, many sections", &small, &large, LIMIT, parse_all);
}

#[test]
fn scaling_one_long_continuation() {
    let head = b"[alembic]\nscript_location = migrations\nversion_locations = a\n";
    let mk = |size: usize| {
        let mut v = head.to_vec();
        v.extend(harness::repeat_to(b"  %(here)s/versions\n", size));
        v
    };
    harness::assert_scales(
        "ini, one long continued value",
        &mk(100_000),
        &mk(1_000_000),
        LIMIT,
        parse_all,
    );
}

#[test]
fn scaling_blank_lines_inside_a_value() {
    let mk = |size: usize| {
        let mut v = b"[alembic]\nx = a\n".to_vec();
        v.extend(harness::repeat_to(b"\n\n\n  b\n", size));
        v
    };
    harness::assert_scales(
        "ini, blank lines in a value",
        &mk(100_000),
        &mk(1_000_000),
        LIMIT,
        parse_all,
    );
}

#[test]
fn scaling_interpolation_chain() {
    // Each value refers to the next: interpolation depth is bounded (configparser's
    // MAX_INTERPOLATION_DEPTH is 10), so a long chain is an error, found fast.
    let mk = |n: usize| {
        let mut v = b"[alembic]\n".to_vec();
        for i in 0..n {
            v.extend(format!("k{i} = %(k{}s)s%(k{}s)s\n", i + 1, i + 1).bytes());
        }
        v
    };
    harness::assert_scales("ini, interpolation chain", &mk(3_000), &mk(30_000), LIMIT, parse_all);
}

#[test]
fn scaling_interpolation_fanout() {
    // Doubling at every level: 2^10 expansions at configparser's depth limit, and the
    // text grows with it; the bound is what Python itself would produce.
    let mk = |width: usize| {
        let mut v = b"[alembic]\nk10 = ".to_vec();
        v.extend(std::iter::repeat_n(b'x', width));
        v.push(b'\n');
        for i in (0..10).rev() {
            v.extend(format!("k{i} = %(k{})s%(k{})s\n", i + 1, i + 1).bytes());
        }
        v
    };
    harness::assert_scales("ini, doubling interpolation", &mk(1_000), &mk(10_000), LIMIT, parse_all);
}

#[test]
fn scaling_many_percent_signs() {
    let mk = |size: usize| {
        let mut v = b"[alembic]\nx = ".to_vec();
        v.extend(harness::repeat_to(b"%%%(here)s", size));
        v.push(b'\n');
        v
    };
    harness::assert_scales(
        "ini, many % in one value",
        &mk(100_000),
        &mk(1_000_000),
        LIMIT,
        parse_all,
    );
}

#[test]
fn scaling_project() {
    let dir = project_dir();
    let mk = |n: usize| {
        let mut v = b"[alembic]\nscript_location = migrations\n".to_vec();
        for i in 0..n {
            v.extend(
                format!("[svc{i}]\nscript_location = %(here)s/migrations\nsqlalchemy.url = sqlite:///{i}.db\n").bytes(),
            );
        }
        v
    };
    harness::assert_scales("load_project, many services", &mk(200), &mk(2_000), LIMIT, |b| {
        let _ = check_project(dir.path(), b);
    });
}

#[test]
fn scaling_one_section_many_options() {
    let mk = |n: usize| {
        let mut v = b"[alembic]\nscript_location = migrations\n".to_vec();
        for i in 0..n {
            v.extend(format!("option_{i} = value {i}\n  continued {i}\n\n").bytes());
        }
        v
    };
    harness::assert_scales(
        "ini, one section with many options",
        &mk(4_000),
        &mk(40_000),
        LIMIT,
        parse_all,
    );
}

#[test]
fn scaling_many_defaults_and_references() {
    // [DEFAULT] and a section both with many options, each referring to another.
    let mk = |n: usize| {
        let mut v = b"[DEFAULT]\n".to_vec();
        for i in 0..n {
            v.extend(format!("d{i} = %(here)s/{i}\n").bytes());
        }
        v.extend(b"[alembic]\n");
        for i in 0..n {
            v.extend(format!("s{i} = %(d{i})s and %(s{})s\n", (i + 1) % n).bytes());
        }
        v
    };
    harness::assert_scales(
        "ini, many defaults and references",
        &mk(2_000),
        &mk(20_000),
        LIMIT,
        parse_all,
    );
}
