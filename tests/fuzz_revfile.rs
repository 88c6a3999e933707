//! Fuzzing the static reader of revision files on raw bytes (invalid UTF-8, NUL, BOMs,
//! coding cookies, stray `\r`): every input gives a value, "needs import" or a script
//! error, never a panic, hang or blow-up. See fuzz/README.md for the long runs.

use crate::harness;

use std::path::Path;
use std::time::Duration;

use monomig::scripts::{ScriptSource, read_revision_source};
use proptest::prelude::*;

const DICT: &[&[u8]] = &[
    b"\"\"\"",
    b"'''",
    b"\"",
    b"'",
    b"\\",
    b"\\\n",
    b"\n",
    b"\r",
    b"\n    ",
    b"\t",
    b"(",
    b")",
    b"[",
    b"]",
    b"{",
    b"}",
    b",",
    b":",
    b";",
    b"=",
    b"#",
    b"@",
    b"?",
    b"%",
    b"revision = ",
    b"down_revision = ",
    b"branch_labels = ",
    b"depends_on = ",
    b"revision: str = ",
    b"None",
    b"(",
    b"f\"{",
    b"}\"",
    b"rb'",
    b"u'",
    b"t'",
    b"\\N{",
    b"\\x",
    b"\\u",
    b"\\U0001",
    b"# -*- coding: latin-1 -*-\n",
    b"# coding: utf-8\n",
    b"\xef\xbb\xbf",
    b"\xff",
    b"\xc3",
    b"\x00",
    b"\x0c",
    b"if x:\n",
    b"def f():\n",
    b"class C:\n",
    b"import ",
    b"from x import *\n",
    b"lambda",
    b":=",
    b"...",
    b"0x",
    b"1_",
    b"j",
];

const NAMES: &[&str] = &[
    "2024_01_01_ab12cd34ef56_x.py",
    "ab12cd34ef56_slug.py",
    "ab12cd34ef56.py",
    "x.py",
];

fn check(bytes: &[u8]) -> Result<(), String> {
    // The file name matters for legacy revisions (taken from the name).
    let name = NAMES[bytes.len() % NAMES.len()];
    let path = Path::new("/versions").join(name);
    match read_revision_source(&path, bytes) {
        Ok(ScriptSource::Static(f)) => {
            assert!(!f.revision.is_empty() || !f.revision_from_filename);
            Ok(())
        }
        Ok(ScriptSource::NeedsImport { reason, .. }) => {
            assert!(!reason.is_empty(), "needs import without a reason");
            Ok(())
        }
        Err(e) => {
            // Script errors name the file; revision-identifier errors are Alembic's own
            // messages, word for word.
            if let monomig::Error::Script(d) = &e {
                assert!(d.message.contains(name), "error without the file name: {}", d.message);
            }
            Err(e.message().to_owned())
        }
    }
}

#[test]
fn fuzz_revfile() {
    let r = harness::run("revfile", DICT, check);
    assert!(r.cases > 0);
}

/// The same bytes through the file system give the same answer.
#[test]
fn bytes_and_file_agree() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (i, entry) in harness::load_corpus("revfile").iter().enumerate() {
        let path = dir.path().join(format!("{i:04}_{}", NAMES[0]));
        std::fs::write(&path, entry).expect("write");
        let a = monomig::scripts::read_revision_file(&path);
        let b = read_revision_source(&path, entry);
        assert_eq!(a, b, "corpus entry {i}");
    }
}

// ---- structured inputs ---------------------------------------------------------------

fn py_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        "'[a-f0-9]{0,12}'",
        "\"[a-z_ ]{0,8}\"",
        Just("None".to_owned()),
        Just("()".to_owned()),
        Just("r'\\d'".to_owned()),
        Just("b'x'".to_owned()),
        Just("f'{x}'".to_owned()),
        Just("'\\N{BULLET}'".to_owned()),
        Just("'''a\nb'''".to_owned()),
        "[0-9]{1,3}",
        "\\PC{0,3}",
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("({})", v.join(", "))),
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{},]", v.join(","))),
            prop::collection::vec(inner.clone(), 1..3).prop_map(|v| v.join(" ")),
            inner.prop_map(|v| format!("(\n    {v}\n)")),
        ]
    })
}

fn py_module() -> impl Strategy<Value = String> {
    let stmt = prop_oneof![
        (
            prop_oneof!["revision", "down_revision", "branch_labels", "depends_on", "[a-z]{1,3}"],
            prop_oneof![" = ", ": str = ", "=", " += "],
            py_value()
        )
            .prop_map(|(k, op, v)| format!("{k}{op}{v}\n")),
        Just("\"\"\"Doc.\n\nRevision ID: x\n\"\"\"\n".to_owned()),
        Just("import sqlalchemy as sa\n".to_owned()),
        Just("def upgrade():\n    pass\n".to_owned()),
        Just("if True:\n    revision = 'q'\n".to_owned()),
        Just("# comment\n".to_owned()),
        Just("\\\n".to_owned()),
        "[ \t]{0,3}\\PC{0,6}\n",
    ];
    prop::collection::vec(stmt, 0..10).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn structured_revfile(text in py_module()) {
        let _ = check(text.as_bytes());
    }

    #[test]
    fn arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = check(&bytes);
    }
}

// ---- scaling -------------------------------------------------------------------------

const LIMIT: Duration = Duration::from_secs(30);

fn read(b: &[u8]) {
    let _ = read_revision_source(Path::new("/v/ab12cd34ef56_x.py"), b);
}

fn with_header(body: Vec<u8>) -> Vec<u8> {
    let mut v =
        b"\"\"\"big\n\nRevision ID: ab12cd34ef56\n\"\"\"\nrevision = 'ab12cd34ef56'\ndown_revision = None\n".to_vec();
    v.extend(body);
    v
}

#[test]
fn scaling_realistic_file() {
    let unit = b"def upgrade():\n    op.create_table('t', sa.Column('id', sa.Integer(), primary_key=True))  # note\n    op.execute(\"UPDATE t SET x = 'y'\")\n\n";
    let mk = |size| with_header(harness::repeat_to(unit, size));
    harness::assert_scales(
        "revision file, many statements",
        &mk(100_000),
        &mk(1_000_000),
        LIMIT,
        read,
    );
}

#[test]
fn scaling_one_huge_string() {
    let mk = |size| {
        let mut v = b"revision = '".to_vec();
        v.extend(harness::repeat_to(b"a\\x41", size));
        v.extend(b"'\ndown_revision = None\n");
        v
    };
    harness::assert_scales(
        "revision file, one huge string",
        &mk(100_000),
        &mk(1_000_000),
        LIMIT,
        read,
    );
}

#[test]
fn scaling_huge_docstring() {
    let mk = |size| {
        let mut v = b"\"\"\"".to_vec();
        v.extend(harness::repeat_to(b"A line of text \\\n\n  indented\n", size));
        v.extend(b"\"\"\"\nrevision = 'a'\ndown_revision = None\n");
        v
    };
    harness::assert_scales(
        "revision file, huge docstring",
        &mk(100_000),
        &mk(1_000_000),
        LIMIT,
        read,
    );
}

#[test]
fn scaling_continuations_and_brackets() {
    let mk = |size| {
        let mut v = b"x = [\n".to_vec();
        v.extend(harness::repeat_to(b"  1, \\\n  (2, [3]),\n", size));
        v.extend(b"]\nrevision = 'a'\ndown_revision = None\n");
        v
    };
    harness::assert_scales(
        "revision file, long bracketed list",
        &mk(100_000),
        &mk(1_000_000),
        LIMIT,
        read,
    );
}

#[test]
fn scaling_deep_nesting_and_indent() {
    // Past CPython's limits (200 brackets, 100 indent levels): an answer, fast.
    let mk = |n: usize| {
        let mut v = b"revision = ".to_vec();
        v.extend(std::iter::repeat_n(b'(', n));
        v.extend(b"'a'");
        v.extend(std::iter::repeat_n(b')', n));
        v.push(b'\n');
        for i in 0..n / 100 {
            v.extend(std::iter::repeat_n(b' ', i));
            v.extend(b"if x:\n");
        }
        v
    };
    harness::assert_scales("revision file, deep nesting", &mk(10_000), &mk(100_000), LIMIT, read);
}

#[test]
fn scaling_many_lines_of_crs() {
    let mk = |size| with_header(harness::repeat_to(b"x = 1\r# c\r\n\r", size));
    harness::assert_scales(
        "revision file, \\r line ends",
        &mk(100_000),
        &mk(1_000_000),
        LIMIT,
        read,
    );
}

#[test]
fn scaling_invalid_utf8_in_comments() {
    let mk = |size| with_header(harness::repeat_to(b"# \xff\xfe caf\xe9\n", size));
    harness::assert_scales(
        "revision file, invalid UTF-8 comments",
        &mk(100_000),
        &mk(1_000_000),
        LIMIT,
        read,
    );
}
