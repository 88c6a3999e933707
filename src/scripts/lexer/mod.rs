//! The tokenizer behind the revision-file reader: Python's rules for
//! indentation, brackets, continuation lines, comments, string literals (every
//! prefix, triple quotes, f-strings) and numbers, on UTF-8 source whose
//! newlines are already `\n`. Each token carries what the reader needs to
//! check Python's grammar cheaply: the class of a name (keyword, Alembic
//! variable, a name through which code reaches module globals) and flags
//! ([`TokenFlags`]) saying what may precede or follow it.
//!
//! - `token`: [`TokenKind`], [`Token`], [`TokenFlags`];
//! - `cursor`: position, look-ahead and line counting;
//! - `indentation`: line starts, `Indent` / `Dedent`;
//! - `names`: identifiers, keywords and the names the reader watches;
//! - `numbers`, `strings`, `operators`: the other tokens.
//!
//! Its errors are [`Halt`]s, from `scripts::error`.

mod cursor;
mod indentation;
mod names;
mod numbers;
mod operators;
mod strings;
mod token;

use memchr::memchr;

use super::error::{Halt, syntax};
pub(crate) use names::{Keyword, NameClass, SoftKeyword, Watched, classify};
pub(crate) use token::{Token, TokenFlags, TokenKind, opens_control_block};

use super::literal;
use names::IDENT;

/// CPython's limit on nested brackets.
const MAX_PARENS: usize = 200;

pub(crate) type LexResult<T> = Result<T, Box<Halt>>;

/// The tokenizer: Python's rules for indentation, brackets, continuation lines,
/// comments, strings (all prefixes, triple quotes, f-strings) and numbers.
pub(crate) struct Lexer<'a> {
    b: &'a [u8],
    pos: usize,
    line: u32,
    at_bol: bool,
    line_has_tokens: bool,
    parens: Vec<(u8, u32)>,
    /// Indentation levels: (column with tab size 8, column with tab size 1).
    indents: Vec<(u32, u32)>,
    pending_dedents: u32,
    /// The file is not valid UTF-8 as a whole: check each string literal
    /// (Python tolerates undecodable bytes in comments only).
    check_utf8: bool,
}

impl<'a> Lexer<'a> {
    pub fn new(b: &'a [u8]) -> Self {
        Lexer {
            b,
            pos: 0,
            line: 1,
            at_bol: true,
            line_has_tokens: false,
            parens: Vec::new(),
            indents: vec![(0, 0)],
            pending_dedents: 0,
            check_utf8: std::str::from_utf8(b).is_err(),
        }
    }

    /// 1 at module level, more inside indented blocks.
    pub fn depth(&self) -> usize {
        self.indents.len()
    }

    /// How many brackets are open.
    pub fn paren_depth(&self) -> usize {
        self.parens.len()
    }

    /// The innermost open bracket (`(`, `[` or `{`).
    pub fn innermost(&self) -> Option<u8> {
        self.parens.last().map(|p| p.0)
    }

    /// The next token. The common tokens in the middle of a line (names,
    /// brackets, simple operators) take a short path; everything else goes
    /// through `next_slow`.
    #[inline(always)]
    pub fn next_token(&mut self) -> LexResult<Token> {
        if self.pending_dedents == 0 && !self.at_bol {
            let b = self.b;
            let mut p = self.pos;
            while p < b.len() && b[p] == b' ' {
                p += 1;
            }
            self.pos = p;
            if let Some(&c) = b.get(p) {
                let line = self.line;
                let simple = |k: TokenKind, n: usize| Token {
                    kind: k,
                    class: NameClass::NotName,
                    flags: TokenFlags::of(k, NameClass::NotName),
                    start: p as u32,
                    end: (p + n) as u32,
                    line,
                };
                let next = b.get(p + 1).copied().unwrap_or(0);
                let t = match c {
                    b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                        let mut e = p + 1;
                        while e < b.len() && IDENT[b[e] as usize] == 1 {
                            e += 1;
                        }
                        // A string prefix, or a non-ASCII name: the long way.
                        if let Some(b'"' | b'\'' | 0x80..=0xff) = b.get(e) {
                            return self.next_slow();
                        }
                        let cls = classify(&b[p..e]);
                        Token {
                            kind: TokenKind::Name,
                            class: cls,
                            flags: if matches!(cls, NameClass::Plain) {
                                TokenFlags::of(TokenKind::Name, NameClass::Plain)
                            } else {
                                TokenFlags::of(TokenKind::Name, cls)
                            },
                            start: p as u32,
                            end: e as u32,
                            line,
                        }
                    }
                    b',' => simple(TokenKind::Comma, 1),
                    b'(' if self.parens.len() < MAX_PARENS => {
                        self.parens.push((c, line));
                        simple(TokenKind::LPar, 1)
                    }
                    b'[' if self.parens.len() < MAX_PARENS => {
                        self.parens.push((c, line));
                        simple(TokenKind::LSqb, 1)
                    }
                    b')' if self.parens.last().is_some_and(|x| x.0 == b'(') => {
                        self.parens.pop();
                        simple(TokenKind::RPar, 1)
                    }
                    b']' if self.parens.last().is_some_and(|x| x.0 == b'[') => {
                        self.parens.pop();
                        simple(TokenKind::RSqb, 1)
                    }
                    b'"' | b'\'' if next != c => {
                        // A short plain string on one line: find its end here.
                        let mut e = p + 1;
                        let limit = b.len().min(p + 80);
                        while e < limit && b[e] != c && b[e] != b'\\' && b[e] != b'\n' {
                            e += 1;
                        }
                        if e >= limit || b[e] != c || (self.check_utf8 && !b[p..e].is_ascii()) {
                            return self.next_slow();
                        }
                        simple(TokenKind::Str, e + 1 - p)
                    }
                    b'.' if next != b'.' && !next.is_ascii_digit() => simple(TokenKind::Dot, 1),
                    b'=' if next != b'=' => simple(TokenKind::Equal, 1),
                    b':' if next != b'=' => simple(TokenKind::Colon, 1),
                    _ => return self.next_slow(),
                };
                self.pos = t.end as usize;
                self.line_has_tokens = true;
                return Ok(t);
            }
        }
        self.next_slow()
    }

    /// Every token the short path of [`Lexer::next_token`] does not take:
    /// pending dedents, line starts, comments, newlines, continuation lines,
    /// strings, names, numbers and operators.
    #[inline(never)]
    fn next_slow(&mut self) -> LexResult<Token> {
        if self.pending_dedents > 0 {
            self.pending_dedents -= 1;
            return Ok(self.token(TokenKind::Dedent, self.pos, self.pos, self.line));
        }
        loop {
            if self.at_bol
                && let Some(t) = self.begin_line()?
            {
                return Ok(t);
            }
            while let Some(&(b' ' | b'\t' | 0x0c)) = self.b.get(self.pos) {
                self.pos += 1;
            }
            let start = self.pos;
            let Some(&c) = self.b.get(start) else {
                if let Some(&(c, line)) = self.parens.last() {
                    return Err(Box::new(syntax(line, format!("'{}' was never closed", c as char))));
                }
                self.at_bol = true;
                if self.line_has_tokens {
                    self.line_has_tokens = false;
                    return Ok(self.token(TokenKind::Newline, start, start, self.line));
                }
                continue;
            };
            let line = self.line;
            let t = match c {
                b'#' => {
                    self.pos = match memchr(b'\n', &self.b[start..]) {
                        Some(i) => start + i,
                        None => self.b.len(),
                    };
                    continue;
                }
                b'\n' => {
                    self.pos += 1;
                    self.newline_consumed()?;
                    if self.parens.is_empty() {
                        self.at_bol = true;
                        if self.line_has_tokens {
                            self.line_has_tokens = false;
                            return Ok(self.token(TokenKind::Newline, start, start + 1, line));
                        }
                    }
                    continue;
                }
                b'\\' => match self.b.get(start + 1) {
                    Some(b'\n') => {
                        self.pos += 2;
                        self.newline_consumed()?;
                        if self.pos == self.b.len() {
                            return Err(Box::new(syntax(
                                line,
                                "unexpected end of file after a line continuation character",
                            )));
                        }
                        continue;
                    }
                    None => {
                        return Err(Box::new(syntax(
                            line,
                            "unexpected end of file after a line continuation character",
                        )));
                    }
                    Some(_) => {
                        return Err(Box::new(syntax(
                            line,
                            "unexpected character after line continuation character",
                        )));
                    }
                },
                b'"' | b'\'' => self.string(start, start, literal::Prefix::default())?,
                b'a'..=b'z' | b'A'..=b'Z' | b'_' | 0x80..=0xff => self.name_or_string(start)?,
                b'0'..=b'9' => self.number(start)?,
                b'.' => {
                    if self.b.get(start + 1).is_some_and(|d| d.is_ascii_digit()) {
                        self.number(start)?
                    } else if self.b.get(start + 1) == Some(&b'.') && self.b.get(start + 2) == Some(&b'.') {
                        self.op(TokenKind::Ellipsis, 3)
                    } else {
                        self.op(TokenKind::Dot, 1)
                    }
                }
                _ => self.operator(c, line)?,
            };
            self.line_has_tokens = true;
            return Ok(t);
        }
    }
}
