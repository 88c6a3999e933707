//! Brackets and operators.

use super::{Halt, LexResult, Lexer, MAX_PARENS, Token, TokenKind, syntax};

impl Lexer<'_> {
    /// Brackets (with their nesting checks) and operators, from the byte `c`
    /// at the current position; any other character fails.
    pub(super) fn operator(&mut self, c: u8, line: u32) -> LexResult<Token> {
        Ok(match c {
            b'(' | b'[' | b'{' => {
                if self.parens.len() >= MAX_PARENS {
                    return Err(Box::new(syntax(line, "too many nested parentheses")));
                }
                self.parens.push((c, line));
                let k = match c {
                    b'(' => TokenKind::LPar,
                    b'[' => TokenKind::LSqb,
                    _ => TokenKind::LBrace,
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
                    b')' => TokenKind::RPar,
                    b']' => TokenKind::RSqb,
                    _ => TokenKind::RBrace,
                };
                self.op(k, 1)
            }
            b',' => self.op(TokenKind::Comma, 1),
            b';' => self.op(TokenKind::Semi, 1),
            b'~' => self.op(TokenKind::Unary, 1),
            b':' => {
                if self.peek(1) == Some(b'=') {
                    self.op(TokenKind::Walrus, 2)
                } else {
                    self.op(TokenKind::Colon, 1)
                }
            }
            b'=' => {
                if self.peek(1) == Some(b'=') {
                    self.op(TokenKind::Compare, 2)
                } else {
                    self.op(TokenKind::Equal, 1)
                }
            }
            b'!' => {
                if self.peek(1) == Some(b'=') {
                    self.op(TokenKind::Compare, 2)
                } else {
                    return Err(Box::new(syntax(line, "invalid syntax ('!')")));
                }
            }
            b'<' | b'>' => {
                if self.peek(1) == Some(c) {
                    if self.peek(2) == Some(b'=') {
                        self.op(TokenKind::AugAssign, 3)
                    } else {
                        self.op(TokenKind::Binary, 2)
                    }
                } else if self.peek(1) == Some(b'=') {
                    self.op(TokenKind::Compare, 2)
                } else {
                    self.op(TokenKind::Compare, 1)
                }
            }
            b'+' | b'-' => {
                if self.peek(1) == Some(b'=') {
                    self.op(TokenKind::AugAssign, 2)
                } else if c == b'-' && self.peek(1) == Some(b'>') {
                    self.op(TokenKind::Arrow, 2)
                } else {
                    self.op(TokenKind::Unary, 1)
                }
            }
            b'*' => {
                if self.peek(1) == Some(b'*') {
                    if self.peek(2) == Some(b'=') {
                        self.op(TokenKind::AugAssign, 3)
                    } else {
                        self.op(TokenKind::DoubleStar, 2)
                    }
                } else if self.peek(1) == Some(b'=') {
                    self.op(TokenKind::AugAssign, 2)
                } else {
                    self.op(TokenKind::Star, 1)
                }
            }
            b'/' => {
                if self.peek(1) == Some(b'/') {
                    if self.peek(2) == Some(b'=') {
                        self.op(TokenKind::AugAssign, 3)
                    } else {
                        self.op(TokenKind::Binary, 2)
                    }
                } else if self.peek(1) == Some(b'=') {
                    self.op(TokenKind::AugAssign, 2)
                } else {
                    self.op(TokenKind::Binary, 1)
                }
            }
            b'%' | b'&' | b'|' | b'^' => {
                if self.peek(1) == Some(b'=') {
                    self.op(TokenKind::AugAssign, 2)
                } else {
                    self.op(TokenKind::Binary, 1)
                }
            }
            b'@' => {
                if self.peek(1) == Some(b'=') {
                    self.op(TokenKind::AugAssign, 2)
                } else {
                    self.op(TokenKind::At, 1)
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
        })
    }
}
