//! Python string literals: prefixes, escapes and the text Python gives them,
//! and the whitespace and docstring rules Alembic's `Script.doc`/`longdoc` rely on.
//!
//! The source handed in here has already had its newlines normalised to `\n`
//! (Python reads source files with universal newlines), so a literal's text is
//! exactly what Python's tokenizer saw.

use super::error::Halt;
use crate::pystr;

/// What a string token's prefix says about it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Prefix {
    pub raw: bool,
    pub bytes: bool,
    pub fstring: bool,
    /// Length of the prefix in bytes (0, 1 or 2).
    pub len: usize,
}

/// The prefix of a string token (`r`, `u`, `b`, `f`, `br`, `rb`, `fr`, `rf`, any
/// case), or `None` when the letters are not a prefix Python accepts.
pub(crate) fn prefix(letters: &[u8]) -> Option<Prefix> {
    let mut p = Prefix {
        len: letters.len(),
        ..Prefix::default()
    };
    let mut u = false;
    for &c in letters {
        match c.to_ascii_lowercase() {
            b'r' if !p.raw => p.raw = true,
            b'b' if !p.bytes => p.bytes = true,
            b'f' if !p.fstring => p.fstring = true,
            b'u' if !u => u = true,
            _ => return None,
        }
    }
    let ok = match letters.len() {
        0 => true,
        1 => true,
        // Two letters: one of them must be `r`, the other `b` or `f`.
        2 => p.raw && (p.bytes || p.fstring),
        _ => false,
    };
    ok.then_some(p)
}

/// Whether `letters` (followed directly by a quote) is a template-string prefix
/// (`t`, `tr`, `rt`, any case): Python 3.14 accepts those, older versions reject them.
pub(crate) fn is_template_prefix(letters: &[u8]) -> bool {
    let l: Vec<u8> = letters.iter().map(|c| c.to_ascii_lowercase()).collect();
    matches!(l.as_slice(), b"t" | b"tr" | b"rt")
}

/// The parts of a string token: its prefix, and the body between the quotes.
pub(crate) fn split_token(text: &[u8]) -> (Prefix, &[u8]) {
    let qpos = text.iter().position(|&c| c == b'"' || c == b'\'').unwrap_or(text.len());
    let pre = prefix(&text[..qpos]).unwrap_or_default();
    let rest = &text[qpos..];
    let q = rest.first().copied().unwrap_or(b'"');
    let triple = rest.len() >= 6 && rest[1] == q && rest[2] == q;
    let n = if triple { 3 } else { 1 };
    let body = if rest.len() >= 2 * n {
        &rest[n..rest.len() - n]
    } else {
        &[][..]
    };
    (pre, body)
}

fn hex_value(digits: &[u8]) -> Option<u32> {
    let mut v: u32 = 0;
    for &d in digits {
        let x = (d as char).to_digit(16)?;
        v = v.checked_mul(16)?.checked_add(x)?;
    }
    Some(v)
}

/// Decode the body of a `str` literal (not bytes, not an f-string) and append
/// the text Python would build to `out`. `line` is the token's first line, for
/// error messages.
pub(crate) fn decode_str_body(body: &[u8], raw: bool, line: u32, out: &mut String) -> Result<(), Halt> {
    // The body is valid UTF-8 (the whole file was checked) and every escape is
    // ASCII, so slicing at ASCII positions keeps the text valid.
    let text = std::str::from_utf8(body).map_err(|_| Halt::Syntax {
        line,
        msg: "a string literal is not valid UTF-8".into(),
    })?;
    if raw {
        out.push_str(text);
        return Ok(());
    }
    let b = body;
    let mut i = 0;
    while i < b.len() {
        let Some(off) = memchr::memchr(b'\\', &b[i..]) else {
            out.push_str(&text[i..]);
            break;
        };
        let j = i + off;
        out.push_str(&text[i..j]);
        let Some(&c) = b.get(j + 1) else {
            // A lone trailing backslash cannot end a token; keep it as Python would.
            out.push('\\');
            break;
        };
        let mut next = j + 2;
        match c {
            b'\n' => {}
            b'\\' => out.push('\\'),
            b'\'' => out.push('\''),
            b'"' => out.push('"'),
            b'a' => out.push('\x07'),
            b'b' => out.push('\x08'),
            b'f' => out.push('\x0c'),
            b'n' => out.push('\n'),
            b'r' => out.push('\r'),
            b't' => out.push('\t'),
            b'v' => out.push('\x0b'),
            b'0'..=b'7' => {
                let mut v = (c - b'0') as u32;
                let mut k = 0;
                while k < 2 {
                    match b.get(next) {
                        Some(&d @ b'0'..=b'7') => {
                            v = v * 8 + (d - b'0') as u32;
                            next += 1;
                            k += 1;
                        }
                        _ => break,
                    }
                }
                // At most 0o777: always a valid, non-surrogate code point.
                out.push(char::from_u32(v).unwrap_or('\u{fffd}'));
            }
            b'x' | b'u' | b'U' => {
                let n = match c {
                    b'x' => 2,
                    b'u' => 4,
                    _ => 8,
                };
                let digits = b.get(j + 2..j + 2 + n);
                let v = digits.and_then(|d| {
                    if d.iter().all(|x| x.is_ascii_hexdigit()) {
                        hex_value(d)
                    } else {
                        None
                    }
                });
                let Some(v) = v else {
                    return Err(Halt::Syntax {
                        line,
                        msg: format!("a string literal has a truncated \\{}XX escape", c as char),
                    });
                };
                if (0xD800..=0xDFFF).contains(&v) {
                    return Err(Halt::Import(
                        "a string literal holds a lone surrogate escape, which only Python can represent".into(),
                    ));
                }
                let Some(ch) = char::from_u32(v) else {
                    return Err(Halt::Syntax {
                        line,
                        msg: "a string literal has an illegal Unicode character escape".into(),
                    });
                };
                out.push(ch);
                next = j + 2 + n;
            }
            b'N' => {
                return Err(Halt::Import(
                    "a string literal uses a \\N{...} escape (named Unicode character)".into(),
                ));
            }
            _ => {
                // Unknown escape: Python keeps the backslash and the character.
                out.push('\\');
                next = j + 1;
            }
        }
        i = next;
    }
    Ok(())
}

/// The docstring clean-up CPython 3.13 and later apply when compiling: tabs
/// expanded, leading spaces removed from the first line and the common margin
/// of spaces removed from the following lines.
pub(crate) fn clean_doc(doc: &str) -> String {
    let doc = pystr::expandtabs(doc);
    let b = doc.as_bytes();
    let end = b.len();
    // The smallest indentation of the non-blank lines after the first.
    let mut p = match memchr::memchr(b'\n', b) {
        Some(i) => i + 1,
        None => end,
    };
    let mut margin = usize::MAX;
    while p < end {
        let s = p;
        while p < end && b[p] == b' ' {
            p += 1;
        }
        if p < end && b[p] != b'\n' {
            margin = margin.min(p - s);
        }
        p = match memchr::memchr(b'\n', &b[p..]) {
            Some(i) => p + i + 1,
            None => end,
        };
    }
    if margin == usize::MAX {
        margin = 0;
    }
    let mut p = 0;
    while p < end && b[p] == b' ' {
        p += 1;
    }
    if p == 0 && margin == 0 {
        return doc;
    }
    let mut out: Vec<u8> = Vec::with_capacity(end);
    // The first line, without its leading spaces.
    let stop = match memchr::memchr(b'\n', &b[p..]) {
        Some(i) => p + i + 1,
        None => end,
    };
    out.extend_from_slice(&b[p..stop]);
    p = stop;
    // The following lines, without the margin.
    while p < end {
        let mut k = 0;
        while k < margin && p < end && b[p] == b' ' {
            p += 1;
            k += 1;
        }
        let stop = match memchr::memchr(b'\n', &b[p..]) {
            Some(i) => p + i + 1,
            None => end,
        };
        out.extend_from_slice(&b[p..stop]);
        p = stop;
    }
    // Only ASCII spaces were removed, so the text is still valid UTF-8.
    String::from_utf8(out).unwrap_or(doc)
}

/// Alembic's `Script.longdoc` (the stripped docstring, `""` without one) and
/// `Script.doc` (its first paragraph).
pub(crate) fn alembic_docs(module_doc: Option<&str>) -> (String, String) {
    let longdoc = match module_doc {
        Some(d) if !d.is_empty() => pystr::strip(d).to_string(),
        _ => String::new(),
    };
    let doc = longdoc.split("\n\n").next().unwrap_or("").to_string();
    (doc, longdoc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(body: &str) -> String {
        let mut s = String::new();
        decode_str_body(body.as_bytes(), false, 1, &mut s).unwrap();
        s
    }

    #[test]
    fn prefixes() {
        assert!(prefix(b"").is_some());
        assert!(prefix(b"rB").unwrap().bytes);
        assert!(prefix(b"Fr").unwrap().fstring);
        assert!(prefix(b"ur").is_none());
        assert!(prefix(b"bf").is_none());
        assert!(prefix(b"rr").is_none());
        assert!(prefix(b"U").is_some());
        assert!(is_template_prefix(b"Rt"));
    }

    #[test]
    fn escapes() {
        assert_eq!(dec(r"a\nb"), "a\nb");
        assert_eq!(dec("a\\\nb"), "ab");
        assert_eq!(dec(r"\x41\u00e9\U0001F600"), "Aé😀");
        assert_eq!(dec(r"\400\0\101"), "\u{100}\0A");
        assert_eq!(dec(r"\q\d"), "\\q\\d");
        assert_eq!(dec(r#"\'\"\\"#), "'\"\\");
        let mut s = String::new();
        assert!(matches!(
            decode_str_body(br"\x4", false, 3, &mut s),
            Err(Halt::Syntax { line: 3, .. })
        ));
        assert!(matches!(
            decode_str_body(br"\ud800", false, 1, &mut s),
            Err(Halt::Import(_))
        ));
        assert!(matches!(
            decode_str_body(br"\N{BULLET}", false, 1, &mut s),
            Err(Halt::Import(_))
        ));
        assert!(matches!(
            decode_str_body(br"\U00110000", false, 1, &mut s),
            Err(Halt::Syntax { .. })
        ));
    }

    #[test]
    fn docs() {
        assert_eq!(
            alembic_docs(Some("\n  title\n\nmore\n\n")),
            ("title".into(), "title\n\nmore".into())
        );
        assert_eq!(alembic_docs(None), (String::new(), String::new()));
        assert_eq!(alembic_docs(Some("\x1c a \u{3000}")).1, "a");
    }

    #[test]
    fn cleandoc_like_cpython_313() {
        let d = "  First line\n    indented second\n\ttabbed\n\n  third\n";
        assert_eq!(clean_doc(d), "First line\n  indented second\n      tabbed\n\nthird\n");
        assert_eq!(clean_doc("a\nb"), "a\nb");
    }
}
