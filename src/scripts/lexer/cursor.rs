//! The lexer's position in the source: building tokens, looking ahead, and
//! counting lines (with the merge-conflict check at each line start).

use super::{LexResult, Lexer, NameClass, Token, TokenFlags, TokenKind, syntax};

impl Lexer<'_> {
    /// A token that is not a name, from `start` to `end`.
    #[inline]
    pub(super) fn token(&self, k: TokenKind, start: usize, end: usize, line: u32) -> Token {
        // Positions fit: longer sources are refused before tokenizing.
        Token {
            kind: k,
            class: NameClass::NotName,
            flags: TokenFlags::of(k, NameClass::NotName),
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

    /// A merge-conflict marker on the first line fails.
    pub fn check_start(&self) -> LexResult<()> {
        self.check_marker()
    }

    /// After a consumed `\n`: the next line, which may hold a conflict marker.
    pub(super) fn newline_consumed(&mut self) -> LexResult<()> {
        self.line += 1;
        self.check_marker()
    }

    /// The byte `n` places after the current one.
    pub(super) fn peek(&self, n: usize) -> Option<u8> {
        self.b.get(self.pos + n).copied()
    }

    /// An operator token of `n` bytes at the current position.
    pub(super) fn op(&mut self, k: TokenKind, n: usize) -> Token {
        let t = self.token(k, self.pos, self.pos + n, self.line);
        self.pos += n;
        t
    }
}
