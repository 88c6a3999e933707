//! Python's string semantics, in one place: what `str.isspace`, `strip`,
//! `splitlines`, `expandtabs`, `lower`, `repr`, `ascii`, `isprintable`,
//! `isidentifier`, `int(str)`, `unicodedata.decimal` and `re`'s `\w` do, as CPython
//! 3.11 (Unicode 14.0) does them.
//!
//! Alembic and configparser apply these rules to text monomig reads without
//! running Python (ini values, docstrings, revision identifiers); every part of
//! the core that needs one of them calls it here.

mod tables;

/// Whether `c` lies in one of the sorted, disjoint inclusive `ranges` (a
/// character class generated from CPython's `unicodedata`).
pub(crate) fn in_ranges(ranges: &[(u32, u32)], c: char) -> bool {
    let cp = c as u32;
    ranges
        .binary_search_by(|&(lo, hi)| {
            if hi < cp {
                std::cmp::Ordering::Less
            } else if lo > cp {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// `str.isspace()` for one character: Unicode White_Space plus the four
/// information separators U+001C..U+001F, which Python also counts as space.
pub fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n'
            | '\x0b'
            | '\x0c'
            | '\r'
            | '\x1c'..='\x1f'
            | ' '
            | '\u{85}'
            | '\u{a0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200a}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}'
    )
}

/// `str.strip()` without arguments.
pub fn strip(s: &str) -> &str {
    s.trim_matches(is_space)
}

/// `str.rstrip()` without arguments.
pub fn rstrip(s: &str) -> &str {
    s.trim_end_matches(is_space)
}

/// `str.lower()` (full Unicode lower-casing, as `ConfigParser.optionxform`).
pub fn lower(s: &str) -> String {
    if s.bytes().all(|b| b.is_ascii() && !b.is_ascii_uppercase()) {
        s.to_owned()
    } else {
        s.to_lowercase()
    }
}

/// Whether `c` ends a line for `str.splitlines()`.
pub fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r' | '\x0b' | '\x0c' | '\x1c' | '\x1d' | '\x1e' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

/// `str.splitlines()` (without the line ends); `\r\n` is one break.
pub fn splitlines(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if !is_line_break(c) {
            continue;
        }
        out.push(&s[start..i]);
        let mut end = i + c.len_utf8();
        if c == '\r'
            && let Some(&(j, '\n')) = chars.peek()
        {
            chars.next();
            end = j + 1;
        }
        start = end;
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

/// `str.expandtabs()` (tab size 8): the column counts characters and restarts
/// after `\n` and `\r`.
pub fn expandtabs(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    let mut col = 0usize;
    for c in s.chars() {
        match c {
            '\t' => {
                let n = 8 - col % 8;
                out.extend(std::iter::repeat_n(' ', n));
                col += n;
            }
            '\n' | '\r' => {
                out.push(c);
                col = 0;
            }
            _ => {
                out.push(c);
                col += 1;
            }
        }
    }
    out
}

/// `str.isprintable()` for one character: everything but the categories
/// Cc, Cf, Cs, Co, Cn, Zl, Zp and Zs (the space itself is printable).
pub fn is_printable(c: char) -> bool {
    if c.is_ascii() {
        return (' '..='~').contains(&c);
    }
    !in_ranges(&tables::NOT_PRINTABLE, c)
}

/// The quote `repr()` puts around a string: `"` when it holds `'` and no `"`.
fn repr_quote(s: &str) -> char {
    if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    }
}

/// `\xhh`, `\uhhhh` or `\Uhhhhhhhh`, the shortest that holds `c`.
fn push_hex_escape(out: &mut String, c: char) {
    use std::fmt::Write;
    let cp = c as u32;
    let _ = if cp <= 0xff {
        write!(out, "\\x{cp:02x}")
    } else if cp <= 0xffff {
        write!(out, "\\u{cp:04x}")
    } else {
        write!(out, "\\U{cp:08x}")
    };
}

/// `repr()` or, with `ascii_only`, `ascii()` of a `str`.
fn quote(s: &str, ascii_only: bool) -> String {
    let quote = repr_quote(s);
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if is_printable(c) && (c.is_ascii() || !ascii_only) => out.push(c),
            c => push_hex_escape(&mut out, c),
        }
    }
    out.push(quote);
    out
}

/// `repr()` of a `str`.
pub fn repr(s: &str) -> String {
    quote(s, false)
}

/// `ascii()` of a `str`: `repr()` with every non-ASCII character escaped.
pub fn ascii(s: &str) -> String {
    quote(s, true)
}

/// Whether the ASCII byte `b` may start an identifier (`_` or a letter).
pub const fn is_ascii_id_start(b: u8) -> bool {
    b == b'_' || b.is_ascii_alphabetic()
}

/// Whether the ASCII byte `b` may continue an identifier (`_`, a letter or a digit).
pub const fn is_ascii_id_continue(b: u8) -> bool {
    b == b'_' || b.is_ascii_alphanumeric()
}

/// `str.isidentifier()`: an `XID_Start` character or `_`, then `XID_Continue` characters.
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let start = if first.is_ascii() {
        is_ascii_id_start(first as u8)
    } else {
        in_ranges(&tables::ID_START, first)
    };
    start
        && chars.all(|c| {
            if c.is_ascii() {
                is_ascii_id_continue(c as u8)
            } else {
                in_ranges(&tables::ID_CONTINUE, c)
            }
        })
}

/// Why `int(text)` refused a text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntError {
    /// Python raises `ValueError`: not an integer literal.
    Invalid,
    /// A valid integer that does not fit in an `i64`; `negative` is its sign.
    Overflow { negative: bool },
}

/// `int(text)` for a `str` in base 10, limited to `i64`. As CPython does it: every
/// non-ASCII space becomes ' ' and every non-ASCII decimal digit (`unicodedata.decimal`)
/// its ASCII digit, any other non-ASCII character makes the text invalid, and ASCII
/// passes as is; then surrounding ASCII whitespace (so U+001C..U+001F, which
/// `str.strip()` removes, stay and are refused), an optional sign, digits with single
/// underscores between them.
pub fn int(text: &str) -> Result<i64, IntError> {
    let mut ascii = Vec::with_capacity(text.len());
    for c in text.chars() {
        if (c as u32) < 127 {
            ascii.push(c as u8);
        } else if is_space(c) {
            ascii.push(b' ');
        } else if let Some(d) = decimal(c) {
            ascii.push(b'0' + d);
        } else {
            return Err(IntError::Invalid);
        }
    }
    let ascii_space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
    let start = ascii.iter().position(|b| !ascii_space(b)).ok_or(IntError::Invalid)?;
    let end = ascii.iter().rposition(|b| !ascii_space(b)).map_or(start, |i| i + 1);
    let mut body = ascii.get(start..end).ok_or(IntError::Invalid)?;
    let mut negative = false;
    if let Some((&sign, rest)) = body.split_first()
        && (sign == b'+' || sign == b'-')
    {
        negative = sign == b'-';
        body = rest;
    }
    if body.is_empty() || body.first() == Some(&b'_') || body.last() == Some(&b'_') {
        return Err(IntError::Invalid);
    }
    let mut value: i64 = 0;
    let mut overflow = false;
    let mut after_underscore = false;
    for &b in body {
        if b == b'_' {
            if after_underscore {
                return Err(IntError::Invalid);
            }
            after_underscore = true;
            continue;
        }
        if !b.is_ascii_digit() {
            return Err(IntError::Invalid);
        }
        after_underscore = false;
        let d = i64::from(b - b'0');
        if !overflow {
            match value
                .checked_mul(10)
                .and_then(|v| if negative { v.checked_sub(d) } else { v.checked_add(d) })
            {
                Some(v) => value = v,
                // Keep reading: a later character may still make the text invalid.
                None => overflow = true,
            }
        }
    }
    if overflow {
        return Err(IntError::Overflow { negative });
    }
    Ok(value)
}

/// The value of a decimal digit of any script (`unicodedata.decimal(c)`).
pub fn decimal(c: char) -> Option<u8> {
    let cp = c as u32;
    let idx = match tables::DECIMAL_ZEROS.binary_search(&cp) {
        Ok(i) => i,
        Err(0) => return None,
        Err(i) => i - 1,
    };
    let d = cp - *tables::DECIMAL_ZEROS.get(idx)?;
    u8::try_from(d).ok().filter(|d| *d < 10)
}

/// Whether the `re` module's `\w` matches `c` in a `str` pattern: `str.isalnum()` or `_`.
pub fn is_word(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || c == '_';
    }
    in_ranges(&tables::WORD, c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_is_str_isspace() {
        // Every character for which CPython 3.11's `str.isspace()` is true.
        let spaces: Vec<char> = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \u{85}\u{a0}\u{1680}\u{2000}\u{2001}\u{2002}\
             \u{2003}\u{2004}\u{2005}\u{2006}\u{2007}\u{2008}\u{2009}\u{200a}\u{2028}\u{2029}\u{202f}\
             \u{205f}\u{3000}"
            .chars()
            .collect();
        for cp in 0..=0x10ffffu32 {
            if let Some(c) = char::from_u32(cp) {
                assert_eq!(is_space(c), spaces.contains(&c), "U+{cp:04X}");
            }
        }
        // Not spaces for Python: zero-width space, BOM, Mongolian vowel separator.
        for c in ['\u{200b}', '\u{feff}', '\u{180e}', 'a', '\0'] {
            assert!(!is_space(c), "{c:?}");
        }
    }

    #[test]
    fn strip_and_lines() {
        assert_eq!(strip("\x1c a b \u{3000}\n"), "a b");
        assert_eq!(strip("\u{200b}a\u{200b}"), "\u{200b}a\u{200b}");
        assert_eq!(rstrip("  a\u{85} \t"), "  a");
        assert_eq!(lower("ÀbC"), "àbc");
        // 'a\r\nb\x0bc\x1cd\u2028e\n'.splitlines() == ['a', 'b', 'c', 'd', 'e']
        assert_eq!(splitlines("a\r\nb\x0bc\x1cd\u{2028}e\n"), ["a", "b", "c", "d", "e"]);
        // '\n\nx'.splitlines() == ['', '', 'x']; 'x\x1f'.splitlines() == ['x\x1f']
        assert_eq!(splitlines("\n\nx"), ["", "", "x"]);
        assert_eq!(splitlines("x\x1f"), ["x\x1f"]);
        assert!(splitlines("").is_empty());
        // 'a\tb\n\tc'.expandtabs() == 'a       b\n        c'
        assert_eq!(expandtabs("a\tb\n\tc"), "a       b\n        c");
    }

    #[test]
    fn repr_is_python_repr() {
        // Each right-hand side is what CPython 3.11 prints for repr() of the left.
        assert_eq!(repr("abc"), "'abc'");
        assert_eq!(repr("a'b"), "\"a'b\"");
        assert_eq!(repr("a'b\"c"), "'a\\'b\"c'");
        assert_eq!(repr("a\"b"), "'a\"b'");
        assert_eq!(repr("a\\b\nc\td\re"), "'a\\\\b\\nc\\td\\re'");
        assert_eq!(repr("\0\x1b\x7f"), "'\\x00\\x1b\\x7f'");
        assert_eq!(repr("\u{85}\u{a0}\u{ad}é"), "'\\x85\\xa0\\xadé'");
        assert_eq!(repr("\u{2028}\u{200b}\u{feff}"), "'\\u2028\\u200b\\ufeff'");
        assert_eq!(repr("\u{3000}日本"), "'\\u3000日本'");
        assert_eq!(repr("\u{e000}\u{10ffff}\u{1f600}"), "'\\ue000\\U0010ffff\u{1f600}'");
        assert_eq!(repr("\u{378}"), "'\\u0378'"); // unassigned
        assert_eq!(ascii("é日\u{1f600}'"), "\"\\xe9\\u65e5\\U0001f600'\"");
        assert!(is_printable(' ') && !is_printable('\u{a0}') && is_printable('ß'));
    }

    #[test]
    fn identifiers_are_str_isidentifier() {
        for ok in ["a", "_", "_1", "abc_DEF9", "é", "日本", "x\u{300}", "ℕ", "ǅ"] {
            assert!(is_identifier(ok), "{ok:?}");
        }
        // '1a', '', 'a-b', 'a b', '\u0300x' (combining mark first), '€' are not identifiers.
        for bad in ["1a", "", "a-b", "a b", "\u{300}x", "€", "a\u{200b}"] {
            assert!(!is_identifier(bad), "{bad:?}");
        }
    }

    #[test]
    fn int_is_python_int() {
        assert_eq!(int(" 40 "), Ok(40));
        assert_eq!(int("-1_000"), Ok(-1000));
        assert_eq!(int("+007"), Ok(7));
        assert_eq!(int("40\u{85}"), Ok(40));
        assert_eq!(int("\u{2003}5\u{3000}"), Ok(5));
        assert_eq!(int("\x1c40"), Err(IntError::Invalid));
        // Decimal digits of other scripts, as Python reads them.
        assert_eq!(int("\u{663}\u{660}"), Ok(30));
        assert_eq!(int("\u{FF11}_\u{FF12}"), Ok(12));
        assert_eq!(int("\u{663}\u{200b}"), Err(IntError::Invalid));
        assert_eq!(int("99999999999999999999x"), Err(IntError::Invalid));
        for bad in [
            "", " ", "4 0", "_4", "4_", "4__0", "0x10", "4.0", "--4", "+", "-", "abc", "+_1",
        ] {
            assert_eq!(int(bad), Err(IntError::Invalid), "{bad:?}");
        }
        assert_eq!(int("-9223372036854775808"), Ok(i64::MIN));
        assert_eq!(int("9223372036854775807"), Ok(i64::MAX));
        assert_eq!(int("9223372036854775808"), Err(IntError::Overflow { negative: false }));
        assert_eq!(
            int("-99999999999999999999999"),
            Err(IntError::Overflow { negative: true })
        );
    }
}
