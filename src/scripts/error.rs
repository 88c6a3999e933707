//! Why the static reading of a revision file stopped. The lexer, the literal
//! decoder and the statement reader all stop in these two ways, so the type
//! lives beside them rather than in any one of them.

/// Why the static reading stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Halt {
    /// Python would reject the file: a syntax error on `line`.
    Syntax { line: u32, msg: String },
    /// Only importing the file can tell its values; the reason says why.
    Import(String),
}

/// A [`Halt::Syntax`] on `line`.
pub(crate) fn syntax(line: u32, msg: impl Into<String>) -> Halt {
    Halt::Syntax { line, msg: msg.into() }
}
