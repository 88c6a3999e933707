//! Indentation: blank and comment-only lines, `Indent` and `Dedent` tokens,
//! and Python's checks of tabs against spaces.

use memchr::memchr;

use super::{Halt, LexResult, Lexer, Token, TokenKind, syntax};

/// CPython's limit on indentation levels.
const MAX_INDENT: usize = 100;

impl Lexer<'_> {
    /// At the beginning of a logical line: skip blank and comment-only lines,
    /// then compare the indentation with the enclosing levels.
    pub(super) fn begin_line(&mut self) -> LexResult<Option<Token>> {
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
                        return Ok(Some(self.token(TokenKind::Indent, self.pos, self.pos, self.line)));
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
                    return Ok(Some(self.token(TokenKind::Dedent, self.pos, self.pos, self.line)));
                }
            }
        }
    }

    /// At the end of the source: an unclosed bracket fails; each open
    /// indentation level closes with a `Dedent`, then comes `End`.
    pub(super) fn end_of_file(&mut self) -> LexResult<Token> {
        if let Some(&(c, line)) = self.parens.last() {
            return Err(Box::new(syntax(line, format!("'{}' was never closed", c as char))));
        }
        if self.indents.len() > 1 {
            self.indents.pop();
            return Ok(self.token(TokenKind::Dedent, self.pos, self.pos, self.line));
        }
        Ok(self.token(TokenKind::End, self.pos, self.pos, self.line))
    }
}
