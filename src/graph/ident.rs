//! Revision identifiers as Alembic receives them, and the few pieces of Python
//! behaviour that identifier handling depends on beyond [`crate::pystr`]
//! (truthiness, `int()` saturated, and the relative-destination pattern
//! `(?:(.+?)@)?(\w+)?((?:\+|-)\d+)`).

use std::fmt;

use crate::pystr::{self, IntError};

/// A revision identifier argument, shaped like the Python value Alembic gets.
///
/// Alembic accepts a string, `None`, a tuple (of strings, usually the heads read
/// from a version table), and in `get_revisions` also lists and sets, which it
/// walks element by element. Anything else is kept as its `repr()` so that the
/// "is not a string" error can name it exactly as Alembic does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ident {
    /// Python `None`.
    Nil,
    /// A `str`.
    Str(String),
    /// A `tuple`.
    Tuple(Vec<Ident>),
    /// A `list`, `set` or `frozenset` (in its iteration order).
    List(Vec<Ident>),
    /// Any other object, by its `repr()`.
    Other(String),
}

impl Ident {
    /// A string identifier.
    pub fn str(s: impl Into<String>) -> Self {
        Ident::Str(s.into())
    }

    /// A tuple of string identifiers, e.g. the current heads of a database.
    pub fn tuple<I, S>(items: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Ident::Tuple(items.into_iter().map(|s| Ident::Str(s.into())).collect())
    }

    /// Python truthiness of the value.
    pub fn is_truthy(&self) -> bool {
        match self {
            Ident::Nil => false,
            Ident::Str(s) => !s.is_empty(),
            Ident::Tuple(v) | Ident::List(v) => !v.is_empty(),
            Ident::Other(_) => true,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Ident::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Python `repr()`.
    pub fn py_repr(&self) -> String {
        match self {
            Ident::Nil => "None".to_string(),
            Ident::Str(s) => pystr::repr(s),
            Ident::Tuple(v) => {
                let inner: Vec<String> = v.iter().map(Ident::py_repr).collect();
                if inner.len() == 1 {
                    format!("({},)", inner[0])
                } else {
                    format!("({})", inner.join(", "))
                }
            }
            Ident::List(v) => {
                let inner: Vec<String> = v.iter().map(Ident::py_repr).collect();
                format!("[{}]", inner.join(", "))
            }
            Ident::Other(r) => r.clone(),
        }
    }

    /// Python `str()` (what `"%s" % value` prints).
    pub fn py_str(&self) -> String {
        match self {
            Ident::Str(s) => s.clone(),
            other => other.py_repr(),
        }
    }

    /// `alembic.util.to_tuple(value)` with its default of `None`.
    pub(crate) fn to_tuple(&self) -> Option<Vec<Ident>> {
        match self {
            Ident::Nil => None,
            Ident::Str(_) | Ident::Other(_) => Some(vec![self.clone()]),
            Ident::Tuple(v) | Ident::List(v) => Some(v.clone()),
        }
    }
}

impl fmt::Display for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.py_str())
    }
}

impl From<&str> for Ident {
    fn from(s: &str) -> Self {
        Ident::Str(s.to_string())
    }
}

impl From<String> for Ident {
    fn from(s: String) -> Self {
        Ident::Str(s)
    }
}

impl From<Option<&str>> for Ident {
    fn from(s: Option<&str>) -> Self {
        match s {
            Some(s) => Ident::Str(s.to_string()),
            None => Ident::Nil,
        }
    }
}

/// Python `int(s)` for a `str` ([`pystr::int`]): `None` where Python raises
/// `ValueError`. Values beyond `i64` saturate (only their sign and "more steps
/// than the graph has" matter to the callers).
pub(crate) fn py_int(s: &str) -> Option<i64> {
    match pystr::int(s) {
        Ok(v) => Some(v),
        Err(IntError::Overflow { negative: true }) => Some(i64::MIN + 1),
        Err(IntError::Overflow { negative: false }) => Some(i64::MAX),
        Err(IntError::Invalid) => None,
    }
}

/// The three groups of Alembic's relative-destination pattern, matched with
/// `re.match` (anchored at the start, not at the end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Relative<'a> {
    pub label: Option<&'a str>,
    pub symbol: Option<&'a str>,
    /// The signed number as written, e.g. `+2` or `-01`.
    pub relative: &'a str,
}

impl Relative<'_> {
    /// `int(relative)`, saturated.
    pub fn value(&self) -> i64 {
        py_int(self.relative).unwrap_or(0)
    }

    /// `"%d" % abs(int(relative))`, exact for any length.
    pub fn abs_text(&self) -> String {
        let digits = self.relative.trim_start_matches(['+', '-']);
        let trimmed = digits.trim_start_matches('0');
        if trimmed.is_empty() {
            "0".to_string()
        } else {
            trimmed.to_string()
        }
    }

    /// `"%s" % int(relative)`, exact for any length.
    pub fn int_text(&self) -> String {
        let abs = self.abs_text();
        if abs != "0" && self.relative.starts_with('-') {
            format!("-{abs}")
        } else {
            abs
        }
    }
}

fn is_word(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// The part of the pattern after the optional `label@`: `(\w+)?([+-]\d+)`.
fn match_rest(s: &str, pos: usize) -> Option<(Option<&str>, &str)> {
    let rest = &s[pos..];
    let word_len: usize = rest
        .char_indices()
        .find(|&(_, c)| !is_word(c))
        .map(|(i, _)| i)
        .unwrap_or(rest.len());
    let after = &rest[word_len..];
    let mut chars = after.chars();
    match chars.next() {
        Some('+') | Some('-') => {}
        _ => return None,
    }
    let digits = after[1..].bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let symbol = if word_len > 0 { Some(&rest[..word_len]) } else { None };
    Some((symbol, &after[..1 + digits]))
}

/// `re.match(r"(?:(.+?)@)?(\w+)?((?:\+|-)\d+)", s)`.
pub(crate) fn match_relative(s: &str) -> Option<Relative<'_>> {
    // With the optional label group first (lazy: shortest label first); `.`
    // does not cross a newline.
    for (i, c) in s.char_indices() {
        if c == '\n' {
            break;
        }
        if c == '@'
            && i > 0
            && let Some((symbol, relative)) = match_rest(s, i + 1)
        {
            return Some(Relative {
                label: Some(&s[..i]),
                symbol,
                relative,
            });
        }
    }
    match_rest(s, 0).map(|(symbol, relative)| Relative {
        label: None,
        symbol,
        relative,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_like_python() {
        assert_eq!(py_int("-1"), Some(-1));
        assert_eq!(py_int(" +3 "), Some(3));
        assert_eq!(py_int("1_000"), Some(1000));
        assert_eq!(py_int("1__0"), None);
        assert_eq!(py_int("_1"), None);
        assert_eq!(py_int("1_"), None);
        assert_eq!(py_int("-"), None);
        assert_eq!(py_int(""), None);
        assert_eq!(py_int("abc"), None);
        assert_eq!(py_int("007"), Some(7));
        assert_eq!(py_int("-99999999999999999999999"), Some(i64::MIN + 1));
    }

    #[test]
    fn relative_pattern() {
        let m = match_relative("abc+2").unwrap();
        assert_eq!((m.label, m.symbol, m.relative), (None, Some("abc"), "+2"));
        let m = match_relative("-1").unwrap();
        assert_eq!((m.label, m.symbol, m.relative), (None, None, "-1"));
        let m = match_relative("lbl@-1").unwrap();
        assert_eq!((m.label, m.symbol, m.relative), (Some("lbl"), None, "-1"));
        let m = match_relative("a@b@c-12xyz").unwrap();
        assert_eq!((m.label, m.symbol, m.relative), (Some("a@b"), Some("c"), "-12"));
        assert!(match_relative("abc").is_none());
        assert!(match_relative("@-1").is_none());
        assert!(match_relative("heads").is_none());
        let m = match_relative("x@+0").unwrap();
        assert_eq!(m.abs_text(), "0");
        assert_eq!(m.int_text(), "0");
        let m = match_relative("-007").unwrap();
        assert_eq!(m.int_text(), "-7");
    }

    #[test]
    fn reprs() {
        assert_eq!(Ident::str("a'b").py_repr(), "\"a'b\"");
        assert_eq!(Ident::str("a\nb").py_repr(), "'a\\nb'");
        assert_eq!(Ident::tuple(["a"]).py_repr(), "('a',)");
        assert_eq!(Ident::Tuple(vec![Ident::Other("b'x'".into())]).py_repr(), "(b'x',)");
    }
}
