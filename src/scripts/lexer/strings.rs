//! String literals: every prefix, triple quotes, escapes Python refuses, and
//! the f-string replacement fields that Python versions tokenize differently.

use memchr::{memchr, memchr3};

use super::{Halt, LexResult, Lexer, Token, TokenKind, syntax};
use crate::scripts::literal;

impl Lexer<'_> {
    /// A string literal whose prefix starts at `start` and quote sits at `q`.
    pub(super) fn string(&mut self, start: usize, qpos: usize, pre: literal::Prefix) -> LexResult<Token> {
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
        Ok(self.token(TokenKind::Str, start, p, start_line))
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
                    // `{}`, `{!r}`, `{:>4}`: a replacement field needs an expression.
                    let next = body[i + 1..].iter().find(|c| !matches!(c, b' ' | b'\t' | b'\x0c'));
                    if matches!(next, Some(b'}' | b'!' | b':')) {
                        return Err(syntax(line, "f-string: empty expression not allowed"));
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
