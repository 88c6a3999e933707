//! The pieces of Python's behaviour that Alembic's configuration depends on
//! beyond [`crate::pystr`]: `%`-formatting with a mapping (pyproject.toml
//! values) and `pathlib`'s purely lexical path handling (`Path(p).absolute()`,
//! `.parent`).

use crate::pystr;

/// `value % mapping` for a `str` value and a mapping of string values, as
/// Alembic expands `pyproject.toml` strings with `%(here)s`.
///
/// Supported: `%%`, and `%(key)` followed by flags, width, precision, a length
/// modifier and the conversions `s`, `r` or `a`. Errors carry Python's own
/// message (`KeyError`, `ValueError`, `TypeError`), except for the few forms
/// monomig refuses where Python would succeed: a conversion without a
/// `(key)` (Python formats the whole mapping).
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
            return Err(format!("KeyError: {}", pystr::repr(&key)));
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
            'r' => pystr::repr(arg),
            'a' => pystr::ascii(arg),
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

/// `os.path.normpath(path)` (posixpath): like [`normalize`], but `..` folds
/// the part before it (and is dropped at the root).
pub fn normpath(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let root = if path.starts_with("//") && !path.starts_with("///") {
        "//"
    } else if path.starts_with('/') {
        "/"
    } else {
        ""
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if (root.is_empty() && parts.is_empty()) || parts.last() == Some(&"..") => parts.push(part),
            ".." => {
                parts.pop();
            }
            _ => parts.push(part),
        }
    }
    let out = format!("{root}{}", parts.join("/"));
    if out.is_empty() { ".".into() } else { out }
}

/// `os.path.abspath(path)` with `cwd` as `os.getcwd()` (`..` folded).
pub fn abspath(cwd: &str, path: &str) -> String {
    if path.starts_with('/') {
        normpath(path)
    } else {
        normpath(&format!("{cwd}/{path}"))
    }
}

/// `os.path.dirname(path)` (posixpath): the text before the last `/`, without
/// trailing slashes unless it is all slashes.
pub fn dirname(path: &str) -> String {
    let head = match path.rfind('/') {
        Some(i) => &path[..=i],
        None => "",
    };
    if !head.is_empty() && head.chars().any(|c| c != '/') {
        head.trim_end_matches('/').to_owned()
    } else {
        head.to_owned()
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
    fn os_path_like_python() {
        // Expected values from CPython 3.11's posixpath.
        assert_eq!(normpath(""), ".");
        assert_eq!(normpath("/a/../../b"), "/b");
        assert_eq!(normpath("a/../../b/./c//"), "../b/c");
        assert_eq!(normpath("//a/b/.."), "//a");
        assert_eq!(normpath("///a/.."), "/");
        assert_eq!(normpath("a/.."), ".");
        assert_eq!(abspath("/w/b", "../a/alembic.ini"), "/w/a/alembic.ini");
        assert_eq!(abspath("/w", ""), "/w");
        assert_eq!(dirname("alembic.ini"), "");
        assert_eq!(dirname("../a//alembic.ini"), "../a");
        assert_eq!(dirname("//x"), "//");
        assert_eq!(dirname("/"), "/");
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
