//! The tokenizer behind the revision-file reader: Python's rules for
//! indentation, brackets, continuation lines, comments, string literals (every
//! prefix, triple quotes, f-strings) and numbers, on UTF-8 source whose
//! newlines are already `\n`. Each token carries what the reader needs to
//! check Python's grammar cheaply: the class of a name (keyword, Alembic
//! variable, a name through which code reaches module globals) and flag bits
//! (`F_*`) saying what may precede or follow it.

use memchr::{memchr, memchr3};

use super::literal;

/// Why the static reading stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Halt {
    /// Python would reject the file: a syntax error on `line`.
    Syntax { line: u32, msg: String },
    /// Only importing the file can tell its values; the reason says why.
    Import(String),
}

pub(crate) fn syntax(line: u32, msg: impl Into<String>) -> Halt {
    Halt::Syntax { line, msg: msg.into() }
}

/// Token kinds. Operators are grouped by what the reader needs to know.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum K {
    Name,
    Number,
    Str,
    LPar,
    RPar,
    LSqb,
    RSqb,
    LBrace,
    RBrace,
    Comma,
    Colon,
    Semi,
    Dot,
    /// `=`
    Equal,
    /// `+=`, `-=`, ... `**=`
    AugAssign,
    /// `:=`
    Walrus,
    /// `->`
    Arrow,
    Star,
    DoubleStar,
    At,
    Ellipsis,
    /// `==`, `!=`, `<`, `>`, `<=`, `>=`
    Compare,
    /// `+`, `-`, `~`: may start an expression.
    Unary,
    /// `/`, `//`, `%`, `&`, `|`, `^`, `<<`, `>>`: binary only.
    Binary,
    Newline,
    Indent,
    Dedent,
    End,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Tok {
    pub k: K,
    /// What a name is (keyword, Alembic variable, ...); `NotName` otherwise.
    pub c: Cls,
    /// `F_*` bits: what the token may follow or precede.
    pub f: u8,
    pub start: u32,
    pub end: u32,
    pub line: u32,
}

impl Tok {
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// Ends an operand: a following operand with nothing between is a syntax error.
pub(crate) const F_ENDS: u8 = 1;
/// Starts an operand.
pub(crate) const F_STARTS: u8 = 2;
/// Cannot end a statement.
pub(crate) const F_NO_END: u8 = 4;
/// Cannot start a statement.
pub(crate) const F_NO_START: u8 = 8;
/// Opens a compound statement (needs a `:`).
pub(crate) const F_COMPOUND: u8 = 16;
/// A name the reader looks at more closely (keywords, Alembic's variables, banned names).
pub(crate) const F_SPECIAL: u8 = 32;

#[inline]
const fn flags(k: K, c: Cls) -> u8 {
    let mut f = 0;
    if ends_operand(k, c) {
        f |= F_ENDS;
    }
    if starts_operand(k, c) {
        f |= F_STARTS;
    }
    if cannot_end(k, c) {
        f |= F_NO_END;
    }
    if cannot_start(k) {
        f |= F_NO_START;
    }
    if is_compound_keyword(c) {
        f |= F_COMPOUND;
    }
    if !matches!(c, Cls::NotName | Cls::Plain) {
        f |= F_SPECIAL;
    }
    f
}

/// Identifier bytes: 1 for ASCII letters, digits and `_`, 2 for non-ASCII.
static IDENT: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        t[i] = if c.is_ascii_alphanumeric() || c == b'_' {
            1
        } else if c >= 0x80 {
            2
        } else {
            0
        };
        i += 1;
    }
    t
};

/// CPython's tokenizer limits: nested brackets, indentation levels.
const MAX_PARENS: usize = 200;
const MAX_INDENT: usize = 100;

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

    #[inline]
    fn tok(&self, k: K, start: usize, end: usize, line: u32) -> Tok {
        // Positions fit: longer sources are refused before tokenizing.
        Tok {
            k,
            c: Cls::NotName,
            f: flags(k, Cls::NotName),
            start: start as u32,
            end: end as u32,
            line,
        }
    }

    /// A merge-conflict marker at the start of the line beginning at `self.pos`.
    fn check_marker(&self) -> LexResult<()> {
        let rest = &self.b[self.pos..];
        if rest.len() >= 7 && matches!(rest[0], b'<' | b'=' | b'>' | b'|') {
            let c = rest[0];
            if matches!(c, b'<' | b'=' | b'>' | b'|')
                && rest[..7].iter().all(|&x| x == c)
                && rest.get(7).is_none_or(|&n| matches!(n, b' ' | b'\t' | b'\n'))
            {
                return Err(Box::new(syntax(
                    self.line,
                    format!(
                        "a merge conflict marker (`{}`); resolve the conflict",
                        String::from_utf8_lossy(&rest[..7])
                    ),
                )));
            }
        }
        Ok(())
    }

    pub fn check_start(&self) -> LexResult<()> {
        self.check_marker()
    }

    fn newline_consumed(&mut self) -> LexResult<()> {
        self.line += 1;
        self.check_marker()
    }

    /// At the beginning of a logical line: skip blank and comment-only lines,
    /// then compare the indentation with the enclosing levels.
    fn begin_line(&mut self) -> LexResult<Option<Tok>> {
        loop {
            let mut col = 0u32;
            let mut alt = 0u32;
            while let Some(&c) = self.b.get(self.pos) {
                match c {
                    b' ' => {
                        col += 1;
                        alt += 1;
                    }
                    b'\t' => {
                        col = (col / 8 + 1) * 8;
                        alt += 1;
                    }
                    0x0c => {
                        col = 0;
                        alt = 0;
                    }
                    _ => break,
                }
                self.pos += 1;
            }
            match self.b.get(self.pos) {
                None => return self.end_of_file().map(Some),
                Some(b'#') => {
                    self.pos = match memchr(b'\n', &self.b[self.pos..]) {
                        Some(i) => self.pos + i,
                        None => self.b.len(),
                    };
                }
                Some(b'\n') => {
                    self.pos += 1;
                    self.newline_consumed()?;
                }
                Some(b'\\') => {
                    return Err(Box::new(Halt::Import(format!(
                        "line {} begins with a backslash continuation",
                        self.line
                    ))));
                }
                Some(_) => {
                    self.at_bol = false;
                    let (top, top_alt) = *self.indents.last().unwrap_or(&(0, 0));
                    if col == top {
                        if alt != top_alt {
                            return Err(Box::new(syntax(
                                self.line,
                                "inconsistent use of tabs and spaces in indentation",
                            )));
                        }
                        return Ok(None);
                    }
                    if col > top {
                        if alt <= top_alt {
                            return Err(Box::new(syntax(
                                self.line,
                                "inconsistent use of tabs and spaces in indentation",
                            )));
                        }
                        if self.indents.len() >= MAX_INDENT {
                            return Err(Box::new(syntax(self.line, "too many levels of indentation")));
                        }
                        self.indents.push((col, alt));
                        return Ok(Some(self.tok(K::Indent, self.pos, self.pos, self.line)));
                    }
                    let mut n = 0;
                    while self.indents.len() > 1 && col < self.indents.last().map_or(0, |x| x.0) {
                        self.indents.pop();
                        n += 1;
                    }
                    let (top, top_alt) = *self.indents.last().unwrap_or(&(0, 0));
                    if col != top {
                        return Err(Box::new(syntax(
                            self.line,
                            "unindent does not match any outer indentation level",
                        )));
                    }
                    if alt != top_alt {
                        return Err(Box::new(syntax(
                            self.line,
                            "inconsistent use of tabs and spaces in indentation",
                        )));
                    }
                    self.pending_dedents = n - 1;
                    return Ok(Some(self.tok(K::Dedent, self.pos, self.pos, self.line)));
                }
            }
        }
    }

    fn end_of_file(&mut self) -> LexResult<Tok> {
        if let Some(&(c, line)) = self.parens.last() {
            return Err(Box::new(syntax(line, format!("'{}' was never closed", c as char))));
        }
        if self.indents.len() > 1 {
            self.indents.pop();
            return Ok(self.tok(K::Dedent, self.pos, self.pos, self.line));
        }
        Ok(self.tok(K::End, self.pos, self.pos, self.line))
    }

    /// The next token. The common tokens in the middle of a line (names,
    /// brackets, simple operators) take a short path; everything else goes
    /// through [`Lexer::next_slow`].
    #[inline(always)]
    pub fn next_tok(&mut self) -> LexResult<Tok> {
        if self.pending_dedents == 0 && !self.at_bol {
            let b = self.b;
            let mut p = self.pos;
            while p < b.len() && b[p] == b' ' {
                p += 1;
            }
            self.pos = p;
            if let Some(&c) = b.get(p) {
                let line = self.line;
                let simple = |k: K, n: usize| Tok {
                    k,
                    c: Cls::NotName,
                    f: flags(k, Cls::NotName),
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
                        Tok {
                            k: K::Name,
                            c: cls,
                            f: if matches!(cls, Cls::Plain) {
                                flags(K::Name, Cls::Plain)
                            } else {
                                flags(K::Name, cls)
                            },
                            start: p as u32,
                            end: e as u32,
                            line,
                        }
                    }
                    b',' => simple(K::Comma, 1),
                    b'(' if self.parens.len() < MAX_PARENS => {
                        self.parens.push((c, line));
                        simple(K::LPar, 1)
                    }
                    b'[' if self.parens.len() < MAX_PARENS => {
                        self.parens.push((c, line));
                        simple(K::LSqb, 1)
                    }
                    b')' if self.parens.last().is_some_and(|x| x.0 == b'(') => {
                        self.parens.pop();
                        simple(K::RPar, 1)
                    }
                    b']' if self.parens.last().is_some_and(|x| x.0 == b'[') => {
                        self.parens.pop();
                        simple(K::RSqb, 1)
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
                        simple(K::Str, e + 1 - p)
                    }
                    b'.' if next != b'.' && !next.is_ascii_digit() => simple(K::Dot, 1),
                    b'=' if next != b'=' => simple(K::Equal, 1),
                    b':' if next != b'=' => simple(K::Colon, 1),
                    _ => return self.next_slow(),
                };
                self.pos = t.end as usize;
                self.line_has_tokens = true;
                return Ok(t);
            }
        }
        self.next_slow()
    }

    #[inline(never)]
    fn next_slow(&mut self) -> LexResult<Tok> {
        if self.pending_dedents > 0 {
            self.pending_dedents -= 1;
            return Ok(self.tok(K::Dedent, self.pos, self.pos, self.line));
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
                    return Ok(self.tok(K::Newline, start, start, self.line));
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
                            return Ok(self.tok(K::Newline, start, start + 1, line));
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
                        self.op(K::Ellipsis, 3)
                    } else {
                        self.op(K::Dot, 1)
                    }
                }
                b'(' | b'[' | b'{' => {
                    if self.parens.len() >= MAX_PARENS {
                        return Err(Box::new(syntax(line, "too many nested parentheses")));
                    }
                    self.parens.push((c, line));
                    let k = match c {
                        b'(' => K::LPar,
                        b'[' => K::LSqb,
                        _ => K::LBrace,
                    };
                    self.op(k, 1)
                }
                b')' | b']' | b'}' => {
                    let want = match c {
                        b')' => b'(',
                        b']' => b'[',
                        _ => b'{',
                    };
                    match self.parens.pop() {
                        None => return Err(Box::new(syntax(line, format!("unmatched '{}'", c as char)))),
                        Some((open, oline)) if open != want => {
                            return Err(Box::new(syntax(
                                line,
                                format!(
                                    "closing parenthesis '{}' does not match opening parenthesis '{}' on line {}",
                                    c as char, open as char, oline
                                ),
                            )));
                        }
                        Some(_) => {}
                    }
                    let k = match c {
                        b')' => K::RPar,
                        b']' => K::RSqb,
                        _ => K::RBrace,
                    };
                    self.op(k, 1)
                }
                b',' => self.op(K::Comma, 1),
                b';' => self.op(K::Semi, 1),
                b'~' => self.op(K::Unary, 1),
                b':' => {
                    if self.peek(1) == Some(b'=') {
                        self.op(K::Walrus, 2)
                    } else {
                        self.op(K::Colon, 1)
                    }
                }
                b'=' => {
                    if self.peek(1) == Some(b'=') {
                        self.op(K::Compare, 2)
                    } else {
                        self.op(K::Equal, 1)
                    }
                }
                b'!' => {
                    if self.peek(1) == Some(b'=') {
                        self.op(K::Compare, 2)
                    } else {
                        return Err(Box::new(syntax(line, "invalid syntax ('!')")));
                    }
                }
                b'<' | b'>' => {
                    if self.peek(1) == Some(c) {
                        if self.peek(2) == Some(b'=') {
                            self.op(K::AugAssign, 3)
                        } else {
                            self.op(K::Binary, 2)
                        }
                    } else if self.peek(1) == Some(b'=') {
                        self.op(K::Compare, 2)
                    } else {
                        self.op(K::Compare, 1)
                    }
                }
                b'+' | b'-' => {
                    if self.peek(1) == Some(b'=') {
                        self.op(K::AugAssign, 2)
                    } else if c == b'-' && self.peek(1) == Some(b'>') {
                        self.op(K::Arrow, 2)
                    } else {
                        self.op(K::Unary, 1)
                    }
                }
                b'*' => {
                    if self.peek(1) == Some(b'*') {
                        if self.peek(2) == Some(b'=') {
                            self.op(K::AugAssign, 3)
                        } else {
                            self.op(K::DoubleStar, 2)
                        }
                    } else if self.peek(1) == Some(b'=') {
                        self.op(K::AugAssign, 2)
                    } else {
                        self.op(K::Star, 1)
                    }
                }
                b'/' => {
                    if self.peek(1) == Some(b'/') {
                        if self.peek(2) == Some(b'=') {
                            self.op(K::AugAssign, 3)
                        } else {
                            self.op(K::Binary, 2)
                        }
                    } else if self.peek(1) == Some(b'=') {
                        self.op(K::AugAssign, 2)
                    } else {
                        self.op(K::Binary, 1)
                    }
                }
                b'%' | b'&' | b'|' | b'^' => {
                    if self.peek(1) == Some(b'=') {
                        self.op(K::AugAssign, 2)
                    } else {
                        self.op(K::Binary, 1)
                    }
                }
                b'@' => {
                    if self.peek(1) == Some(b'=') {
                        self.op(K::AugAssign, 2)
                    } else {
                        self.op(K::At, 1)
                    }
                }
                b'$' | b'?' | b'`' => {
                    return Err(Box::new(syntax(line, format!("invalid character '{}'", c as char))));
                }
                _ => {
                    return Err(Box::new(Halt::Import(format!(
                        "line {line} holds the control character U+{c:04X} outside strings and comments"
                    ))));
                }
            };
            self.line_has_tokens = true;
            return Ok(t);
        }
    }

    fn peek(&self, n: usize) -> Option<u8> {
        self.b.get(self.pos + n).copied()
    }

    fn op(&mut self, k: K, n: usize) -> Tok {
        let t = self.tok(k, self.pos, self.pos + n, self.line);
        self.pos += n;
        t
    }

    fn name_or_string(&mut self, start: usize) -> LexResult<Tok> {
        let b = self.b;
        let mut p = start;
        let mut kinds = 0u8;
        while p < b.len() {
            let k = IDENT[b[p] as usize];
            if k == 0 {
                break;
            }
            kinds |= k;
            p += 1;
        }
        let non_ascii = kinds & 2 != 0;
        if non_ascii {
            return Err(Box::new(Halt::Import(format!(
                "line {} has a non-ASCII identifier or character outside strings and comments \
                 (Python normalises identifiers)",
                self.line
            ))));
        }
        if let Some(&(b'"' | b'\'')) = b.get(p) {
            let letters = &b[start..p];
            if let Some(pre) = literal::prefix(letters) {
                return self.string(start, p, pre);
            }
            if literal::is_template_prefix(letters) {
                return Err(Box::new(Halt::Import(format!(
                    "line {} has a template string (t-string), which only Python 3.14 and later accept",
                    self.line
                ))));
            }
        }
        let mut t = self.tok(K::Name, start, p, self.line);
        t.c = classify(&b[start..p]);
        t.f = flags(K::Name, t.c);
        self.pos = p;
        Ok(t)
    }

    fn number(&mut self, start: usize) -> LexResult<Tok> {
        let b = self.b;
        let mut p = start;
        let digits = |p: &mut usize, ok: fn(u8) -> bool| {
            while b.get(*p).is_some_and(|&c| ok(c) || c == b'_') {
                *p += 1;
            }
        };
        let is_dec = |c: u8| c.is_ascii_digit();
        if b[p] == b'0' && matches!(b.get(p + 1), Some(b'x' | b'X' | b'o' | b'O' | b'b' | b'B')) {
            let base = b[p + 1].to_ascii_lowercase();
            p += 2;
            match base {
                b'x' => digits(&mut p, |c| c.is_ascii_hexdigit()),
                b'o' => digits(&mut p, |c| (b'0'..=b'7').contains(&c)),
                _ => digits(&mut p, |c| c == b'0' || c == b'1'),
            }
        } else {
            digits(&mut p, is_dec);
            if b.get(p) == Some(&b'.') {
                p += 1;
                digits(&mut p, is_dec);
            }
            if matches!(b.get(p), Some(b'e' | b'E')) {
                let q = if matches!(b.get(p + 1), Some(b'+' | b'-')) {
                    p + 2
                } else {
                    p + 1
                };
                if b.get(q).is_some_and(|c| c.is_ascii_digit()) {
                    p = q;
                    digits(&mut p, is_dec);
                }
            }
            if matches!(b.get(p), Some(b'j' | b'J')) {
                p += 1;
            }
        }
        if b.get(p)
            .is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80)
        {
            return Err(Box::new(Halt::Import(format!(
                "line {} has a number literal running straight into a name, \
                 which Python versions read differently",
                self.line
            ))));
        }
        let t = self.tok(K::Number, start, p, self.line);
        self.pos = p;
        Ok(t)
    }

    /// A string literal whose prefix starts at `start` and quote sits at `q`.
    fn string(&mut self, start: usize, qpos: usize, pre: literal::Prefix) -> LexResult<Tok> {
        let b = self.b;
        let q = b[qpos];
        let triple = b.get(qpos + 1) == Some(&q) && b.get(qpos + 2) == Some(&q);
        let start_line = self.line;
        let body_start = qpos + if triple { 3 } else { 1 };
        let mut p = body_start;
        let body_end;
        loop {
            let Some(i) = memchr3(q, b'\\', b'\n', &b[p..]) else {
                return Err(Box::new(if triple {
                    syntax(start_line, "unterminated triple-quoted string literal")
                } else {
                    syntax(start_line, "unterminated string literal")
                }));
            };
            let j = p + i;
            match b[j] {
                b'\\' => {
                    match b.get(j + 1) {
                        None => {
                            return Err(Box::new(syntax(start_line, "unterminated string literal")));
                        }
                        Some(b'\n') => self.line += 1,
                        Some(_) => {}
                    }
                    p = j + 2;
                }
                b'\n' => {
                    if !triple {
                        return Err(Box::new(syntax(start_line, "unterminated string literal")));
                    }
                    self.line += 1;
                    p = j + 1;
                }
                _ => {
                    if !triple {
                        body_end = j;
                        p = j + 1;
                        break;
                    }
                    if b.get(j + 1) == Some(&q) && b.get(j + 2) == Some(&q) {
                        body_end = j;
                        p = j + 3;
                        break;
                    }
                    p = j + 1;
                }
            }
        }
        let body = &b[body_start..body_end];
        if self.check_utf8 && !pre.bytes && std::str::from_utf8(body).is_err() {
            return Err(Box::new(syntax(start_line, "a string literal is not valid UTF-8")));
        }
        if pre.bytes && !body.is_ascii() {
            return Err(Box::new(syntax(
                start_line,
                "bytes can only contain ASCII literal characters",
            )));
        }
        if pre.fstring {
            check_fstring(body, q, triple, pre.raw, start_line)?;
        } else if !pre.raw {
            check_escapes(body, pre.bytes, start_line)?;
        }
        self.pos = p;
        Ok(self.tok(K::Str, start, p, start_line))
    }
}

/// Escapes Python refuses to compile anywhere: truncated `\x`, `\u`, `\U`,
/// out-of-range `\U`, `\N` without braces.
fn check_escapes(body: &[u8], bytes: bool, line: u32) -> Result<(), Halt> {
    let mut i = 0;
    while let Some(off) = memchr(b'\\', &body[i..]) {
        let j = i + off;
        let c = body.get(j + 1).copied().unwrap_or(b'\\');
        let n = match c {
            b'x' => 2,
            b'u' if !bytes => 4,
            b'U' if !bytes => 8,
            b'N' if !bytes => {
                // Unicode character names use letters, digits, spaces and hyphens only.
                let name_ok = body.get(j + 2) == Some(&b'{')
                    && memchr(b'}', &body[j + 3..]).is_some_and(|end| {
                        end > 0
                            && body[j + 3..j + 3 + end]
                                .iter()
                                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b' ' | b'-'))
                    });
                if !name_ok {
                    return Err(syntax(line, "a string literal has a malformed \\N character escape"));
                }
                0
            }
            _ => 0,
        };
        if n > 0 {
            let ok = body
                .get(j + 2..j + 2 + n)
                .is_some_and(|d| d.iter().all(|x| x.is_ascii_hexdigit()));
            if !ok {
                return Err(syntax(
                    line,
                    format!("a string literal has a truncated \\{}XX escape", c as char),
                ));
            }
            if n == 8 {
                let v = u32::from_str_radix(std::str::from_utf8(&body[j + 2..j + 10]).unwrap_or("0"), 16).unwrap_or(0);
                if v > 0x10FFFF {
                    return Err(syntax(line, "a string literal has an illegal Unicode character escape"));
                }
            }
        }
        i = j + 2;
        if i >= body.len() {
            break;
        }
    }
    Ok(())
}

/// f-strings are tokenized differently by Python 3.12+ (nested quotes,
/// backslashes and comments inside replacement fields). Anything inside a
/// replacement field that the two tokenizers could read differently makes the
/// file "needs import".
fn check_fstring(body: &[u8], q: u8, triple: bool, raw: bool, line: u32) -> Result<(), Halt> {
    let ambiguous = || {
        Halt::Import(format!(
            "the f-string on line {line} has quotes, backslashes or comments in a replacement field, \
             which Python versions tokenize differently"
        ))
    };
    let mut i = 0;
    let mut depth = 0usize;
    let mut nested: Option<u8> = None;
    while i < body.len() {
        let c = body[i];
        if let Some(nq) = nested {
            if c == b'\\' {
                return Err(ambiguous());
            }
            if c == nq {
                nested = None;
            }
            i += 1;
            continue;
        }
        if depth == 0 {
            match c {
                b'{' => {
                    if body.get(i + 1) == Some(&b'{') {
                        i += 2;
                        continue;
                    }
                    depth = 1;
                }
                b'}' => {
                    if body.get(i + 1) == Some(&b'}') {
                        i += 2;
                        continue;
                    }
                    return Err(Halt::Import(format!("the f-string on line {line} has a single '}}'")));
                }
                b'\\' if !raw => {
                    if body.get(i + 1) == Some(&b'N') && body.get(i + 2) == Some(&b'{') {
                        match memchr(b'}', &body[i..]) {
                            Some(k) => {
                                i += k + 1;
                                continue;
                            }
                            None => return Err(ambiguous()),
                        }
                    }
                    i += 2;
                    continue;
                }
                _ => {}
            }
        } else {
            match c {
                b'{' | b'(' | b'[' => depth += 1,
                b'}' | b')' | b']' => depth -= 1,
                b'\'' | b'"' => {
                    if c == q {
                        return Err(ambiguous());
                    }
                    nested = Some(c);
                }
                b'\\' | b'#' => return Err(ambiguous()),
                b'\n' if !triple => return Err(ambiguous()),
                _ => {}
            }
        }
        i += 1;
    }
    if depth != 0 || nested.is_some() {
        return Err(ambiguous());
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Names

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kw {
    False,
    None,
    True,
    And,
    As,
    Assert,
    Async,
    Await,
    Break,
    Class,
    Continue,
    Def,
    Del,
    Elif,
    Else,
    Except,
    Finally,
    For,
    From,
    Global,
    If,
    Import,
    In,
    Is,
    Lambda,
    Nonlocal,
    Not,
    Or,
    Pass,
    Raise,
    Return,
    Try,
    While,
    With,
    Yield,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Soft {
    Match,
    Case,
    Type,
    Underscore,
}

/// Module-level names whose binding matters to Alembic.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Watched {
    Revision = 0,
    DownRevision = 1,
    BranchLabels = 2,
    DependsOn = 3,
    /// `__doc__`, `__getattr__` (PEP 562), `_alembic_source_encoding`: any
    /// module-level binding makes the file "needs import".
    Special = 4,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Cls {
    NotName,
    Plain,
    Kw(Kw),
    Soft(Soft),
    Watched(Watched),
    /// A name through which code can change module globals (`globals`, `exec`, ...).
    Banned,
}

pub(crate) fn classify(s: &[u8]) -> Cls {
    use Cls::{Banned, Kw as K_, Plain, Soft as S_, Watched as W_};
    use Kw::*;
    let Some(&c0) = s.first() else {
        return Plain;
    };
    // Dispatch on the first byte: most names are none of these.
    match c0 {
        b'F' if s == b"False" => K_(False),
        b'N' if s == b"None" => K_(Kw::None),
        b'T' if s == b"True" => K_(True),
        b'_' => match s {
            b"_" => S_(Soft::Underscore),
            b"__doc__" | b"__getattr__" | b"_alembic_source_encoding" => W_(Watched::Special),
            b"__dict__" | b"__globals__" | b"__import__" | b"_getframe" | b"__builtins__" => Banned,
            _ => Plain,
        },
        b'a' => match s {
            b"and" => K_(And),
            b"as" => K_(As),
            b"assert" => K_(Assert),
            b"async" => K_(Async),
            b"await" => K_(Await),
            _ => Plain,
        },
        b'b' => match s {
            b"break" => K_(Break),
            b"branch_labels" => W_(Watched::BranchLabels),
            _ => Plain,
        },
        b'c' => match s {
            b"class" => K_(Class),
            b"continue" => K_(Continue),
            b"case" => S_(Soft::Case),
            b"currentframe" => Banned,
            _ => Plain,
        },
        b'd' => match s {
            b"def" => K_(Def),
            b"del" => K_(Del),
            b"down_revision" => W_(Watched::DownRevision),
            b"depends_on" => W_(Watched::DependsOn),
            b"delattr" => Banned,
            _ => Plain,
        },
        b'e' => match s {
            b"elif" => K_(Elif),
            b"else" => K_(Else),
            b"except" => K_(Except),
            b"exec" | b"eval" => Banned,
            _ => Plain,
        },
        b'f' => match s {
            b"finally" => K_(Finally),
            b"for" => K_(For),
            b"from" => K_(From),
            b"f_globals" | b"f_locals" => Banned,
            _ => Plain,
        },
        b'g' => match s {
            b"global" => K_(Global),
            b"globals" | b"getmodule" => Banned,
            _ => Plain,
        },
        b'i' => match s {
            b"if" => K_(If),
            b"import" => K_(Import),
            b"in" => K_(In),
            b"is" => K_(Is),
            b"import_module" => Banned,
            _ => Plain,
        },
        b'l' => match s {
            b"lambda" => K_(Lambda),
            b"locals" => Banned,
            _ => Plain,
        },
        b'm' => match s {
            b"match" => S_(Soft::Match),
            b"modules" => Banned,
            _ => Plain,
        },
        b'n' => match s {
            b"nonlocal" => K_(Nonlocal),
            b"not" => K_(Not),
            _ => Plain,
        },
        b'o' if s == b"or" => K_(Or),
        b'p' if s == b"pass" => K_(Pass),
        b'r' => match s {
            b"raise" => K_(Raise),
            b"return" => K_(Return),
            b"revision" => W_(Watched::Revision),
            _ => Plain,
        },
        b's' if s == b"setattr" => Banned,
        b't' => match s {
            b"try" => K_(Try),
            b"type" => S_(Soft::Type),
            _ => Plain,
        },
        b'v' if s == b"vars" => Banned,
        b'w' => match s {
            b"while" => K_(While),
            b"with" => K_(With),
            _ => Plain,
        },
        b'y' if s == b"yield" => K_(Yield),
        _ => Plain,
    }
}

/// Ends an operand: a following operand with nothing between is a syntax error.
const fn ends_operand(k: K, c: Cls) -> bool {
    match k {
        K::Name => matches!(
            c,
            Cls::Plain | Cls::Watched(_) | Cls::Banned | Cls::Kw(Kw::None | Kw::True | Kw::False)
        ),
        K::Str | K::RPar | K::RSqb | K::RBrace => true,
        _ => false,
    }
}

const fn starts_operand(k: K, c: Cls) -> bool {
    match k {
        K::Name => matches!(
            c,
            Cls::Plain | Cls::Watched(_) | Cls::Banned | Cls::Soft(_) | Cls::Kw(Kw::None | Kw::True | Kw::False)
        ),
        K::Number | K::Str => true,
        _ => false,
    }
}

/// Tokens that cannot end a statement.
const fn cannot_end(k: K, c: Cls) -> bool {
    match k {
        K::Equal
        | K::AugAssign
        | K::Dot
        | K::Arrow
        | K::Walrus
        | K::Compare
        | K::DoubleStar
        | K::Unary
        | K::Binary
        | K::At => true,
        K::Name => matches!(
            c,
            Cls::Kw(
                Kw::And
                    | Kw::Or
                    | Kw::Not
                    | Kw::In
                    | Kw::Is
                    | Kw::If
                    | Kw::Elif
                    | Kw::Else
                    | Kw::For
                    | Kw::While
                    | Kw::With
                    | Kw::As
                    | Kw::From
                    | Kw::Import
                    | Kw::Def
                    | Kw::Class
                    | Kw::Lambda
                    | Kw::Del
                    | Kw::Global
                    | Kw::Nonlocal
                    | Kw::Assert
                    | Kw::Await
                    | Kw::Async
                    | Kw::Except
                    | Kw::Try
                    | Kw::Finally
            )
        ),
        _ => false,
    }
}

/// Keywords that open a compound statement (which needs a `:`).
const fn is_compound_keyword(c: Cls) -> bool {
    matches!(
        c,
        Cls::Kw(
            Kw::If
                | Kw::Elif
                | Kw::Else
                | Kw::For
                | Kw::While
                | Kw::Try
                | Kw::Except
                | Kw::Finally
                | Kw::With
                | Kw::Def
                | Kw::Class
                | Kw::Async
        )
    )
}

/// Tokens that cannot start a statement.
const fn cannot_start(k: K) -> bool {
    matches!(
        k,
        K::Equal
            | K::AugAssign
            | K::Comma
            | K::Semi
            | K::Colon
            | K::Dot
            | K::Arrow
            | K::Walrus
            | K::Compare
            | K::DoubleStar
            | K::Binary
    )
}
