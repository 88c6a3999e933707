//! Small pieces of Python's text semantics that Alembic's configuration
//! depends on: `str.isspace`/`strip`/`lower`, `int(str)`, `%`-formatting with
//! a mapping (pyproject.toml values), `repr` of plain ASCII strings, and
//! `pathlib`'s purely lexical path handling (`Path(p).absolute()`, `.parent`).

/// `str.isspace()` for one character: Unicode White_Space plus the four
/// information separators U+001C..U+001F, which Python also counts as space.
pub fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
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

/// `int(s)` for a `str`: surrounding whitespace, an optional sign, decimal
/// digits with single underscores between them. Only ASCII digits are
/// accepted and the result must fit in an `i64`; `None` where Python raises
/// `ValueError` (or, for the rare cases above, where monomig cannot follow).
pub fn parse_int(s: &str) -> Option<i64> {
    // int() skips Unicode whitespace but not U+001C..U+001F, unlike str.strip().
    let t = s.trim_matches(char::is_whitespace);
    let (negative, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || digits.starts_with('_') || digits.ends_with('_') || digits.contains("__") {
        return None;
    }
    let mut value: i64 = 0;
    for b in digits.bytes() {
        match b {
            b'_' => continue,
            b'0'..=b'9' => {
                let d = i64::from(b - b'0');
                value = value.checked_mul(10)?;
                value = if negative {
                    value.checked_sub(d)?
                } else {
                    value.checked_add(d)?
                };
            }
            _ => return None,
        }
    }
    Some(value)
}

/// `repr()` of a string made only of printable ASCII characters; `None` for
/// anything else (monomig does not carry Python's Unicode printability table).
pub fn ascii_repr(s: &str) -> Option<String> {
    if !s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return None;
    }
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        if c == '\\' || c == quote {
            out.push('\\');
        }
        out.push(c);
    }
    out.push(quote);
    Some(out)
}

/// `value % mapping` for a `str` value and a mapping of string values, as
/// Alembic expands `pyproject.toml` strings with `%(here)s`.
///
/// Supported: `%%`, and `%(key)` followed by flags, width, precision, a length
/// modifier and the conversions `s`, `r` or `a`. Errors carry Python's own
/// message (`KeyError`, `ValueError`, `TypeError`), except for the few forms
/// monomig refuses where Python would succeed: a conversion without a
/// `(key)` (Python formats the whole mapping) and `r`/`a` of a value that is
/// not plain printable ASCII.
pub fn percent_format(value: &str, args: &[(String, String)]) -> Result<String, String> {
    let chars: Vec<char> = value.chars().collect();
    let mut out = String::with_capacity(value.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c != '%' {
            out.push(c);
            i += 1;
            continue;
        }
        let start = i;
        i += 1;
        let Some(&next) = chars.get(i) else {
            return Err("ValueError: incomplete format".into());
        };
        if next == '%' {
            out.push('%');
            i += 1;
            continue;
        }
        if next != '(' {
            // A conversion without a key: Python would format the mapping itself.
            return Err(format!(
                "'%' at index {start} is not followed by '%%' or '(name)'; \
                 monomig only expands '%(name)s' and '%%'"
            ));
        }
        // The key, with nested parentheses as Python counts them.
        i += 1;
        let key_start = i;
        let mut depth = 1;
        while i < chars.len() {
            match chars[i] {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        if i >= chars.len() {
            return Err("ValueError: incomplete format key".into());
        }
        let key: String = chars[key_start..i].iter().collect();
        i += 1; // past ')'
        let Some((_, arg)) = args.iter().find(|(k, _)| *k == key) else {
            return Err(format!(
                "KeyError: {}",
                ascii_repr(&key).unwrap_or_else(|| format!("'{key}'"))
            ));
        };
        // flags
        let mut left = false;
        while let Some(&f) = chars.get(i) {
            match f {
                '-' => left = true,
                '+' | ' ' | '#' | '0' => {}
                _ => break,
            }
            i += 1;
        }
        let mut width: usize = 0;
        if chars.get(i) == Some(&'*') {
            return Err("TypeError: * wants int".into());
        }
        while let Some(d) = chars
            .get(i)
            .and_then(|c| c.to_digit(10))
            .filter(|_| chars[i].is_ascii_digit())
        {
            width = width.saturating_mul(10).saturating_add(d as usize);
            i += 1;
        }
        let mut precision: Option<usize> = None;
        if chars.get(i) == Some(&'.') {
            i += 1;
            if chars.get(i) == Some(&'*') {
                return Err("TypeError: * wants int".into());
            }
            let mut p: usize = 0;
            while let Some(d) = chars
                .get(i)
                .and_then(|c| c.to_digit(10))
                .filter(|_| chars[i].is_ascii_digit())
            {
                p = p.saturating_mul(10).saturating_add(d as usize);
                i += 1;
            }
            precision = Some(p);
        }
        if matches!(chars.get(i), Some('h' | 'l' | 'L')) {
            i += 1;
        }
        let Some(&conv) = chars.get(i) else {
            return Err("ValueError: incomplete format".into());
        };
        let text: String = match conv {
            's' => arg.clone(),
            'r' | 'a' => ascii_repr(arg).ok_or_else(|| {
                format!("'%({key}){conv}' needs Python's repr() of a non-ASCII value; use '%({key})s'")
            })?,
            'd' | 'i' | 'u' | 'o' | 'x' | 'X' | 'e' | 'E' | 'f' | 'F' | 'g' | 'G' => {
                return Err(format!("TypeError: %{conv} format: a real number is required, not str"));
            }
            'c' => return Err("TypeError: %c requires an int or a unicode character".into()),
            other => {
                return Err(format!(
                    "ValueError: unsupported format character '{}' (0x{:x}) at index {}",
                    other, other as u32, i
                ));
            }
        };
        let text: String = match precision {
            Some(p) => text.chars().take(p).collect(),
            None => text,
        };
        let len = text.chars().count();
        if width > len {
            let pad = " ".repeat(width - len);
            if left {
                out.push_str(&text);
                out.push_str(&pad);
            } else {
                out.push_str(&pad);
                out.push_str(&text);
            }
        } else {
            out.push_str(&text);
        }
        i += 1;
    }
    Ok(out)
}

/// A `pathlib.PurePosixPath` string: repeated slashes collapsed, `.` parts
/// dropped, `..` kept, no trailing slash, exactly two leading slashes kept;
/// the empty path is `.`.
pub fn normalize(path: &str) -> String {
    let root = if path.starts_with("//") && !path.starts_with("///") {
        "//"
    } else if path.starts_with('/') {
        "/"
    } else {
        ""
    };
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty() && *p != ".").collect();
    if parts.is_empty() {
        return if root.is_empty() { ".".into() } else { root.into() };
    }
    let mut out = String::with_capacity(path.len());
    out.push_str(root);
    out.push_str(&parts.join("/"));
    out
}

/// `str(Path(path).absolute())` with `cwd` as `os.getcwd()`.
pub fn absolute(cwd: &str, path: &str) -> String {
    if path.starts_with('/') {
        normalize(path)
    } else {
        normalize(&format!("{cwd}/{path}"))
    }
}

/// `str(PurePosixPath(path).parent)` of a normalized path.
pub fn parent(path: &str) -> String {
    let path = normalize(path);
    if path == "/" || path == "//" || path == "." {
        return path;
    }
    match path.rfind('/') {
        None => ".".into(),
        Some(0) => "/".into(),
        Some(1) if path.starts_with("//") => "//".into(),
        Some(i) => path[..i].into(),
    }
}

/// `str(Path(a, b))`: `b` replaces `a` when absolute.
pub fn join(a: &str, b: &str) -> String {
    if b.starts_with('/') {
        normalize(b)
    } else {
        normalize(&format!("{a}/{b}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_matches_python() {
        for c in [
            '\t', '\n', '\x0b', '\x0c', '\r', '\x1c', '\x1f', ' ', '\u{85}', '\u{a0}', '\u{3000}',
        ] {
            assert!(is_space(c), "{c:?}");
        }
        for c in ['\u{feff}', '\u{200b}', 'a', '\0'] {
            assert!(!is_space(c), "{c:?}");
        }
        assert_eq!(strip("\x1c a b \u{3000}\n"), "a b");
    }

    #[test]
    fn ints_like_python() {
        assert_eq!(parse_int(" 40 "), Some(40));
        assert_eq!(parse_int("-1_000"), Some(-1000));
        assert_eq!(parse_int("+007"), Some(7));
        assert_eq!(parse_int("40\u{85}"), Some(40));
        assert_eq!(parse_int("\x1c40"), None);
        for bad in ["", " ", "4 0", "_4", "4_", "4__0", "0x10", "4.0", "--4", "+"] {
            assert_eq!(parse_int(bad), None, "{bad:?}");
        }
        assert_eq!(parse_int("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_int("9223372036854775808"), None);
    }

    #[test]
    fn percent_format_like_python() {
        let args = vec![("here".to_string(), "/x/y".to_string())];
        let ok = |s: &str| percent_format(s, &args).unwrap();
        assert_eq!(ok("%(here)s/a"), "/x/y/a");
        assert_eq!(ok("100%%"), "100%");
        assert_eq!(ok("%(here)10s|"), "      /x/y|");
        assert_eq!(ok("%(here)-10s|"), "/x/y      |");
        assert_eq!(ok("%(here).2s"), "/x");
        assert_eq!(ok("%(here)ls"), "/x/y");
        assert_eq!(ok("%(here)r"), "'/x/y'");
        assert_eq!(ok("%(here)0-5s"), "/x/y ");
        for bad in [
            "%",
            "abc%",
            "%(here",
            "%(here)",
            "%(nope)s",
            "%(here)d",
            "%(here)%",
            "%(here)z",
            "%s",
            "%(here)*s",
        ] {
            assert!(percent_format(bad, &args).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn pathlib_like_python() {
        assert_eq!(normalize("./migrations/"), "migrations");
        assert_eq!(normalize(""), ".");
        assert_eq!(normalize("a//b/./../c"), "a/b/../c");
        assert_eq!(normalize("//a"), "//a");
        assert_eq!(normalize("///a"), "/a");
        assert_eq!(absolute("/w", "."), "/w");
        assert_eq!(absolute("/w", "x/../y"), "/w/x/../y");
        assert_eq!(absolute("/w", "/abs/"), "/abs");
        assert_eq!(parent("/w/alembic.ini"), "/w");
        assert_eq!(parent("/alembic.ini"), "/");
        assert_eq!(parent("/"), "/");
        assert_eq!(join("/w/m", "versions"), "/w/m/versions");
    }
}
