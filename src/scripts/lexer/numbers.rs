//! Number literals.

use super::{Halt, LexResult, Lexer, Token, TokenKind, syntax};

impl Lexer<'_> {
    /// A number literal (integer, float, imaginary; every base and `_` separators).
    pub(super) fn number(&mut self, start: usize) -> LexResult<Token> {
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
            let int_end = p;
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
            // `0123`: a decimal integer may start with 0 only when it is all zeros.
            if p == int_end && b[start] == b'0' && b[start..p].iter().any(|c| (b'1'..=b'9').contains(c)) {
                return Err(Box::new(syntax(
                    self.line,
                    "leading zeros in decimal integer literals are not permitted; use an 0o prefix for octal integers",
                )));
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
        let t = self.token(TokenKind::Number, start, p, self.line);
        self.pos = p;
        Ok(t)
    }
}
