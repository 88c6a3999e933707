//! Names: identifier bytes, keywords, soft keywords, and the names the reader
//! watches (Alembic's variables, names through which code reaches module globals).

use super::{Halt, LexResult, Lexer, Token, TokenFlags, TokenKind};
use crate::pystr;
use crate::scripts::literal;

/// Identifier bytes: 1 for ASCII letters, digits and `_`, 2 for non-ASCII.
pub(super) static IDENT: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        t[i] = if pystr::is_ascii_id_continue(c) {
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

impl Lexer<'_> {
    /// A name, or a string literal with a prefix (`r"..."`, `b'...'`, ...).
    pub(super) fn name_or_string(&mut self, start: usize) -> LexResult<Token> {
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
        let mut t = self.token(TokenKind::Name, start, p, self.line);
        t.class = classify(&b[start..p]);
        t.flags = TokenFlags::of(TokenKind::Name, t.class);
        self.pos = p;
        Ok(t)
    }
}

/// Python's keywords.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Keyword {
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

/// Python's soft keywords (keywords only in some places).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum SoftKeyword {
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

/// What a name token is, for the reader.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum NameClass {
    /// Not a name.
    NotName,
    /// Any other name.
    Plain,
    Keyword(Keyword),
    SoftKeyword(SoftKeyword),
    Watched(Watched),
    /// A name through which code can change module globals (`globals`, `exec`, ...).
    Banned,
}

/// The class of the name `s` (ASCII letters, digits and `_`).
pub(crate) fn classify(s: &[u8]) -> NameClass {
    use Keyword::*;
    use NameClass::{Banned, Keyword as K_, Plain, SoftKeyword as S_, Watched as W_};
    let Some(&c0) = s.first() else {
        return Plain;
    };
    // Dispatch on the first byte: most names are none of these.
    match c0 {
        b'F' if s == b"False" => K_(False),
        b'N' if s == b"None" => K_(Keyword::None),
        b'T' if s == b"True" => K_(True),
        b'_' => match s {
            b"_" => S_(SoftKeyword::Underscore),
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
            b"case" => S_(SoftKeyword::Case),
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
            b"match" => S_(SoftKeyword::Match),
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
            b"type" => S_(SoftKeyword::Type),
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
