//! Tokens: their kind, where they are, and the flags the reader tests to check
//! Python's grammar cheaply.

use super::names::{Keyword, NameClass, SoftKeyword};

/// Token kinds. Operators are grouped by what the reader needs to know.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum TokenKind {
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

/// One token: its kind, the class of a name, its flags and where it is.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Token {
    pub kind: TokenKind,
    /// What a name is (keyword, Alembic variable, ...); `NotName` otherwise.
    pub class: NameClass,
    /// What the token may follow or precede.
    pub flags: TokenFlags,
    /// Byte offsets in the source.
    pub start: u32,
    pub end: u32,
    /// The 1-based line the token starts on.
    pub line: u32,
}

impl Token {
    /// The token's bytes in the source.
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// What a token may follow or precede, as bits the reader tests cheaply.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub(crate) struct TokenFlags(u8);

impl TokenFlags {
    /// Ends an operand: a following operand with nothing between is a syntax error.
    pub const ENDS_OPERAND: TokenFlags = TokenFlags(1);
    /// Starts an operand.
    pub const STARTS_OPERAND: TokenFlags = TokenFlags(2);
    /// Cannot end a statement.
    pub const CANNOT_END: TokenFlags = TokenFlags(4);
    /// Cannot start a statement.
    pub const CANNOT_START: TokenFlags = TokenFlags(8);
    /// Opens a compound statement (needs a `:`).
    pub const COMPOUND: TokenFlags = TokenFlags(16);
    /// A name the reader looks at more closely (keywords, Alembic's variables, banned names).
    pub const SPECIAL_NAME: TokenFlags = TokenFlags(32);

    /// Whether every bit of `other` is set.
    #[inline]
    pub const fn contains(self, other: TokenFlags) -> bool {
        self.0 & other.0 == other.0
    }

    #[inline]
    const fn with(self, other: TokenFlags, on: bool) -> TokenFlags {
        if on { TokenFlags(self.0 | other.0) } else { self }
    }

    /// The flags of a token of kind `k` (a name of class `c`).
    #[inline]
    pub const fn of(k: TokenKind, c: NameClass) -> TokenFlags {
        TokenFlags(0)
            .with(TokenFlags::ENDS_OPERAND, ends_operand(k, c))
            .with(TokenFlags::STARTS_OPERAND, starts_operand(k, c))
            .with(TokenFlags::CANNOT_END, cannot_end(k, c))
            .with(TokenFlags::CANNOT_START, cannot_start(k))
            .with(TokenFlags::COMPOUND, is_compound_keyword(c))
            .with(
                TokenFlags::SPECIAL_NAME,
                !matches!(c, NameClass::NotName | NameClass::Plain),
            )
    }
}

/// Ends an operand: a following operand with nothing between is a syntax error.
const fn ends_operand(k: TokenKind, c: NameClass) -> bool {
    match k {
        TokenKind::Name => matches!(
            c,
            NameClass::Plain
                | NameClass::Watched(_)
                | NameClass::Banned
                | NameClass::Keyword(Keyword::None | Keyword::True | Keyword::False)
        ),
        TokenKind::Str | TokenKind::RPar | TokenKind::RSqb | TokenKind::RBrace => true,
        _ => false,
    }
}

const fn starts_operand(k: TokenKind, c: NameClass) -> bool {
    match k {
        TokenKind::Name => matches!(
            c,
            NameClass::Plain
                | NameClass::Watched(_)
                | NameClass::Banned
                | NameClass::SoftKeyword(_)
                | NameClass::Keyword(Keyword::None | Keyword::True | Keyword::False)
        ),
        TokenKind::Number | TokenKind::Str => true,
        _ => false,
    }
}

/// Tokens that cannot end a statement.
const fn cannot_end(k: TokenKind, c: NameClass) -> bool {
    match k {
        TokenKind::Equal
        | TokenKind::AugAssign
        | TokenKind::Dot
        | TokenKind::Arrow
        | TokenKind::Walrus
        | TokenKind::Compare
        | TokenKind::DoubleStar
        | TokenKind::Unary
        | TokenKind::Binary
        | TokenKind::At => true,
        TokenKind::Name => matches!(
            c,
            NameClass::Keyword(
                Keyword::And
                    | Keyword::Or
                    | Keyword::Not
                    | Keyword::In
                    | Keyword::Is
                    | Keyword::If
                    | Keyword::Elif
                    | Keyword::Else
                    | Keyword::For
                    | Keyword::While
                    | Keyword::With
                    | Keyword::As
                    | Keyword::From
                    | Keyword::Import
                    | Keyword::Def
                    | Keyword::Class
                    | Keyword::Lambda
                    | Keyword::Del
                    | Keyword::Global
                    | Keyword::Nonlocal
                    | Keyword::Assert
                    | Keyword::Await
                    | Keyword::Async
                    | Keyword::Except
                    | Keyword::Try
                    | Keyword::Finally
            )
        ),
        _ => false,
    }
}

/// Keywords that open a compound statement (which needs a `:`).
const fn is_compound_keyword(c: NameClass) -> bool {
    is_control_keyword(c) || matches!(c, NameClass::Keyword(Keyword::Def | Keyword::Class | Keyword::Async))
}

/// Keywords of the statements whose body runs when (and as often as) the header
/// says: `if`/`elif`/`else`, `for`, `while`, `try`/`except`/`finally`, `with`.
const fn is_control_keyword(c: NameClass) -> bool {
    matches!(
        c,
        NameClass::Keyword(
            Keyword::If
                | Keyword::Elif
                | Keyword::Else
                | Keyword::For
                | Keyword::While
                | Keyword::Try
                | Keyword::Except
                | Keyword::Finally
                | Keyword::With
        )
    )
}

/// The first token of a control statement's header: a control keyword, or
/// `match`/`case` (soft keywords).
pub(crate) const fn opens_control_block(c: NameClass) -> bool {
    is_control_keyword(c) || matches!(c, NameClass::SoftKeyword(SoftKeyword::Match | SoftKeyword::Case))
}

/// Tokens that cannot start a statement.
const fn cannot_start(k: TokenKind) -> bool {
    matches!(
        k,
        TokenKind::Equal
            | TokenKind::AugAssign
            | TokenKind::Comma
            | TokenKind::Semi
            | TokenKind::Colon
            | TokenKind::Dot
            | TokenKind::Arrow
            | TokenKind::Walrus
            | TokenKind::Compare
            | TokenKind::DoubleStar
            | TokenKind::Binary
    )
}
