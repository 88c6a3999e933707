//! The module-level statement reader (on top of [`super::lexer`]).
//!
//! It answers, without running the file, what importing a revision file would
//! give Alembic: the module docstring and the module-level values of
//! `revision`, `down_revision`, `branch_labels` and `depends_on`. It reads the
//! bytes once, keeps only the tokens of module-level lines, and skips over
//! function bodies while still tokenizing their strings and brackets.
//!
//! Three outcomes:
//! - [`Module`]: the values are plain literals and can be trusted;
//! - `Halt::Import`: the file does something whose effect only Python can
//!   tell (a computed or conditional value, an import of the value, `globals()`,
//!   a construct whose meaning differs between Python versions, ...): monomig
//!   imports it instead;
//! - `Halt::Syntax`: Python itself would refuse to compile the file.

use super::error::syntax;
use super::imports::{self, Import};
use super::lexer::{Keyword, Lexer, NameClass, SoftKeyword, Token, TokenFlags, TokenKind, opens_control_block};
use super::literal;
use super::reach::{Ctx, Flow, Reach};

pub(crate) use super::error::Halt;
pub(crate) use super::lexer::Watched;

// ---------------------------------------------------------------------------
// Values

/// A module-level value Alembic reads, as a literal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Value {
    None,
    Str(String),
    /// A tuple or a list of strings.
    Seq(Vec<String>),
}

/// What the static reading found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Module {
    /// `__doc__` as Python compiles it (before any 3.13 clean-up).
    pub doc: Option<String>,
    /// The last binding of `revision`, `down_revision`, `branch_labels`,
    /// `depends_on`, with its line.
    pub values: [Option<(Value, u32)>; 4],
    /// The import statements of code that runs at import, in order.
    pub imports: Vec<Import>,
    /// Values built from names instead of literals (`(cli.EXPAND_BRANCH,)`), kept
    /// only by [`read_module_deferring`] (the plain reader stops on them).
    pub deferred: [Option<Deferred>; 4],
}

/// One part of a value built from names: a string literal or a dotted name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Part {
    Str(String),
    /// `cli.EXPAND_BRANCH`, `EXPAND`: a name and its attribute chain.
    Name(String),
}

/// A value of `revision`, `down_revision`, `branch_labels` or `depends_on` made of
/// names (and literals): one part, or a tuple or list of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Deferred {
    pub seq: bool,
    pub parts: Vec<Part>,
    pub line: u32,
    /// Why the plain reader needs import for it (the reason it would give).
    pub reason: String,
}

const WATCHED_NAMES: [&str; 4] = ["revision", "down_revision", "branch_labels", "depends_on"];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Block {
    None,
    Def,
    Control,
}

struct Reader<'a> {
    src: &'a [u8],
    module: Module,
    /// Keep values built from names in `module.deferred` instead of stopping.
    defer: bool,
}

/// Read a module's docstring and Alembic's values from normalised source
/// (UTF-8, `\n` newlines, no BOM, no NUL bytes).
pub(crate) fn read_module(src: &[u8]) -> Result<Module, Halt> {
    read(src, false)
}

/// [`read_module`], except that values built from names (`(labels.EXPAND,)`) do
/// not stop the reading: they land in [`Module::deferred`] for the resolver.
pub(crate) fn read_module_deferring(src: &[u8]) -> Result<Module, Halt> {
    read(src, true)
}

/// A literal value (`None`, strings, a tuple or list of strings) from an
/// assignment's value tokens in `src`.
pub(crate) fn literal(src: &[u8], toks: &[Token]) -> Option<Value> {
    reader(src).value(toks).ok()
}

/// A value made of string literals and dotted names (see [`Deferred`]).
pub(crate) fn named(src: &[u8], toks: &[Token]) -> Option<(bool, Vec<Part>)> {
    reader(src).named_value(toks)
}

fn reader(src: &[u8]) -> Reader<'_> {
    Reader {
        src,
        module: Module::default(),
        defer: true,
    }
}

fn read(src: &[u8], defer: bool) -> Result<Module, Halt> {
    if u32::try_from(src.len()).is_err() {
        return Err(Halt::Import("the file is larger than 4 GiB".into()));
    }
    let mut lex = Lexer::new(src);
    lex.check_start().map_err(|e| *e)?;
    let mut r = Reader {
        src,
        module: Module::default(),
        defer,
    };
    // No previous token on the line.
    let none = Token {
        kind: TokenKind::Newline,
        class: NameClass::NotName,
        flags: TokenFlags::default(),
        start: 0,
        end: 0,
        line: 0,
    };
    let mut buf: Vec<Token> = Vec::with_capacity(64);
    let mut line_started = false;
    let mut buffering = false;
    let mut first_line = true;
    let mut block = Block::None;
    let mut expect_indent: Option<u32> = None;
    let mut prev = none;
    let mut stmt_start = true;
    let mut in_global = false;
    let mut line_first_line = 0u32;
    // A compound statement's header must have its `:` outside brackets.
    let mut needs_colon = false;
    let mut colon_seen = false;
    let mut from_stmt = false;
    let mut import_seen = false;
    let mut match_bodies: Vec<usize> = Vec::new();
    let mut try_pending: Vec<(usize, u32)> = Vec::new();
    let mut lambdas: Vec<usize> = Vec::new();
    let mut decorator_pending: Option<(usize, u32)> = None;
    let mut ntoks = 0usize;
    let mut line_first = none;
    // Which code runs at import (see `reach`), and the imports it makes.
    let mut reach = Reach::default();
    let mut imports: Vec<Import> = Vec::new();
    let mut import_stmt: Vec<Token> = Vec::new();
    let mut in_import = false;
    let mut line_ctx = Ctx::Exec;
    let mut line_flow = Flow::default();
    let mut tok_ctx = Ctx::Exec;
    let mut header_ctx: Option<Ctx> = None;
    let mut type_checking_header = false;
    let mut decorated = false;
    let mut prev2 = none;
    loop {
        let t = lex.next_token().map_err(|e| *e)?;
        match t.kind {
            TokenKind::Indent => {
                if expect_indent.take().is_none() {
                    return Err(syntax(t.line, "unexpected indent"));
                }
                continue;
            }
            TokenKind::Dedent | TokenKind::End => {
                if let Some(h) = expect_indent {
                    return Err(syntax(h, "expected an indented block after this line"));
                }
                if t.kind == TokenKind::End {
                    if let Some((_, line)) = decorator_pending {
                        return Err(syntax(
                            line,
                            "a decorator must be followed by a function or class definition",
                        ));
                    }
                    if let Some(&(_, line)) = try_pending.last() {
                        return Err(syntax(line, "expected 'except' or 'finally' block"));
                    }
                    if let Some(h) = reach.verdict(src, &imports) {
                        return Err(h);
                    }
                    if let Some(rel) = imports.iter().find(|i| i.level > 0) {
                        // Alembic loads a revision file as a top-level module: Python
                        // refuses the import (or an `except` around it decides).
                        return Err(Halt::Import(format!(
                            "line {}: a relative import, which fails in a revision module (Alembic loads it \
                             without a package)",
                            rel.line
                        )));
                    }
                    break;
                }
                continue;
            }
            _ => {}
        }
        if !line_started {
            // The first token of a logical line.
            if let Some(h) = expect_indent {
                return Err(syntax(h, "expected an indented block after this line"));
            }
            if lex.depth() > 21 {
                // CPython limits statically nested blocks (loops, `try`, `with`) to 20.
                return Err(Halt::Import(format!(
                    "line {} is nested more than 20 blocks deep",
                    t.line
                )));
            }
            line_started = true;
            buffering = lex.depth() == 1;
            buf.clear();
            prev = none;
            stmt_start = true;
            line_first_line = t.line;
            line_first = t;
            colon_seen = false;
            ntoks = 0;
            lambdas.clear();
            let depth = lex.depth();
            (line_ctx, line_flow) = reach.line_start(depth);
            tok_ctx = line_ctx;
            header_ctx = None;
            type_checking_header = false;
            decorated = decorator_pending.is_some();
            // The body of a `match` holds `case` clauses only.
            while match_bodies.last().is_some_and(|&d| d > depth) {
                match_bodies.pop();
            }
            let in_match_body = match_bodies.last() == Some(&depth);
            if in_match_body && !matches!(t.class, NameClass::SoftKeyword(SoftKeyword::Case)) {
                return Err(syntax(t.line, "expected 'case' in the body of a match statement"));
            }
            needs_colon = in_match_body;
            // A `try` block is followed by `except` or `finally` at its level.
            if let Some(&(d, line)) = try_pending.last()
                && d >= depth
            {
                if d == depth && matches!(t.class, NameClass::Keyword(Keyword::Except | Keyword::Finally)) {
                    try_pending.pop();
                } else {
                    return Err(syntax(line, "expected 'except' or 'finally' block"));
                }
            }
            // A decorator is followed by another decorator, a `def` or a `class`.
            if let Some((d, line)) = decorator_pending.take() {
                let ok = d == depth
                    && (t.kind == TokenKind::At
                        || matches!(
                            t.class,
                            NameClass::Keyword(Keyword::Def | Keyword::Class | Keyword::Async)
                        ));
                if !ok {
                    return Err(syntax(
                        line,
                        "a decorator must be followed by a function or class definition",
                    ));
                }
            }
            if t.kind == TokenKind::At {
                decorator_pending = Some((depth, t.line));
            }
        }
        let f = t.flags;
        // The end of a statement.
        if t.kind == TokenKind::Newline || t.kind == TokenKind::Semi {
            if prev.flags.contains(TokenFlags::CANNOT_END) {
                return Err(syntax(t.line, "invalid syntax: the statement is incomplete"));
            }
            if from_stmt && !import_seen {
                return Err(syntax(t.line, "invalid syntax: `from` without `import`"));
            }
            if in_import && !matches!(tok_ctx, Ctx::Unit { .. }) {
                imports::parse_statement(
                    src,
                    &import_stmt,
                    line_flow.conditional,
                    line_flow.type_checking,
                    &mut imports,
                );
            }
            import_stmt.clear();
            in_import = false;
            from_stmt = false;
            in_global = false;
        }
        if t.kind == TokenKind::Newline {
            if !lambdas.is_empty() {
                return Err(syntax(t.line, "a lambda has no ':'"));
            }
            if needs_colon && !colon_seen {
                return Err(syntax(line_first_line, "expected ':'"));
            }
            if buffering {
                block = r.module_line(&buf, first_line, line_first_line)?;
                first_line = false;
            }
            if prev.kind == TokenKind::Colon {
                let control = opens_control_block(line_first.class);
                let flow = Flow {
                    conditional: line_flow.conditional || control,
                    type_checking: line_flow.type_checking || type_checking_header,
                };
                reach.push(lex.depth() + 1, header_ctx.unwrap_or(line_ctx), flow);
                expect_indent = Some(t.line);
                if matches!(line_first.class, NameClass::SoftKeyword(SoftKeyword::Match)) {
                    match_bodies.push(lex.depth() + 1);
                }
            }
            if matches!(line_first.class, NameClass::Keyword(Keyword::Try)) {
                try_pending.push((lex.depth(), line_first_line));
            }
            line_started = false;
            continue;
        }
        if stmt_start {
            if f.contains(TokenFlags::CANNOT_START) {
                return Err(syntax(t.line, "invalid syntax"));
            }
            from_stmt = matches!(t.class, NameClass::Keyword(Keyword::From));
            in_import = matches!(t.class, NameClass::Keyword(Keyword::Import | Keyword::From));
            import_seen = false;
            if f.contains(TokenFlags::COMPOUND) {
                if prev.kind == TokenKind::Semi {
                    // Compound statements cannot follow `;`.
                    return Err(syntax(t.line, "invalid syntax"));
                }
                needs_colon = true;
            }
        }
        ntoks += 1;
        if in_import {
            import_stmt.push(t);
        }
        // Function and class names open the scope of their body; other bare
        // names are references (a function named by code that runs at import may run).
        let mut names_scope = false;
        if t.kind == TokenKind::Name && header_ctx.is_none() {
            let def_name = match line_first.class {
                NameClass::Keyword(Keyword::Def) => ntoks == 2,
                NameClass::Keyword(Keyword::Async) => ntoks == 3 && prev.class == NameClass::Keyword(Keyword::Def),
                _ => false,
            };
            if def_name {
                header_ctx = Some(reach.open_def(line_ctx, &t, decorated));
                names_scope = true;
            } else if ntoks == 2 && line_first.class == NameClass::Keyword(Keyword::Class) {
                header_ctx = Some(reach.open_class(line_ctx, &t, decorated));
                names_scope = true;
            }
        }
        if t.kind == TokenKind::Name
            && line_first.class == NameClass::Keyword(Keyword::If)
            && (2..=4).contains(&ntoks)
            && &src[t.range()] == b"TYPE_CHECKING"
        {
            type_checking_header = true;
        }
        if t.kind == TokenKind::Name
            && !names_scope
            && !in_import
            && prev.kind != TokenKind::Dot
            && matches!(t.class, NameClass::Plain)
        {
            reach.name(tok_ctx, &t);
        }
        if ntoks == 2 {
            if matches!(line_first.class, NameClass::SoftKeyword(SoftKeyword::Match))
                && (f.contains(TokenFlags::STARTS_OPERAND) || t.kind == TokenKind::LBrace)
            {
                // `match x ...` can only be a match statement.
                needs_colon = true;
            }
            if matches!(line_first.class, NameClass::SoftKeyword(SoftKeyword::Type)) && t.kind == TokenKind::Name
                || matches!(line_first.class, NameClass::Keyword(Keyword::Except)) && t.kind == TokenKind::Star
            {
                return Err(Halt::Import(format!(
                    "line {} uses syntax that only newer Python versions accept",
                    t.line
                )));
            }
        }
        if ntoks == 3
            && matches!(line_first.class, NameClass::Keyword(Keyword::Def | Keyword::Class))
            && t.kind == TokenKind::LSqb
        {
            return Err(Halt::Import(format!(
                "line {} declares type parameters, which only Python 3.12 and later accept",
                t.line
            )));
        }
        if prev.flags.contains(TokenFlags::ENDS_OPERAND)
            && f.contains(TokenFlags::STARTS_OPERAND)
            && !(prev.kind == TokenKind::Str && t.kind == TokenKind::Str)
        {
            return Err(syntax(t.line, "invalid syntax. Perhaps you forgot a comma?"));
        }
        if prev.kind == TokenKind::Dot
            && t.kind != TokenKind::Name
            && !(from_stmt && matches!(t.kind, TokenKind::Dot | TokenKind::Ellipsis))
        {
            return Err(syntax(t.line, "invalid syntax after '.'"));
        }
        if t.kind == TokenKind::Equal && prev.class == NameClass::Banned && lex.paren_depth() == 0 {
            reach.assigned(&prev);
        }
        match t.kind {
            TokenKind::Colon => {
                let pdepth = lex.paren_depth();
                if lambdas.last() == Some(&pdepth) {
                    lambdas.pop();
                } else if pdepth == 0 {
                    if !colon_seen
                        && matches!(line_first.class, NameClass::Keyword(Keyword::Def | Keyword::Async))
                        && let Some(h) = header_ctx
                    {
                        // The body of a one-line `def f(): ...`.
                        tok_ctx = h;
                    }
                    colon_seen = true;
                }
            }
            TokenKind::RPar | TokenKind::RSqb | TokenKind::RBrace
                if lambdas.last().is_some_and(|&d| d > lex.paren_depth()) =>
            {
                return Err(syntax(t.line, "a lambda has no ':'"));
            }
            TokenKind::Equal if lex.paren_depth() > 0 && lambdas.is_empty() => {
                // Inside brackets `=` only names a keyword argument (or a
                // parameter default in a `def`/`class`/`type` header).
                let header = matches!(
                    line_first.class,
                    NameClass::Keyword(Keyword::Def | Keyword::Class | Keyword::Async)
                        | NameClass::SoftKeyword(SoftKeyword::Type)
                );
                if !header && (lex.innermost() != Some(b'(') || prev.kind != TokenKind::Name) {
                    return Err(syntax(t.line, "invalid syntax: '=' inside brackets"));
                }
            }
            TokenKind::Walrus => {
                if let NameClass::Watched(_) = prev.class {
                    return Err(Halt::Import(format!(
                        "line {} assigns an Alembic variable with `:=`",
                        t.line
                    )));
                }
            }
            TokenKind::Name if f.contains(TokenFlags::SPECIAL_NAME) => {
                let control = !buffering && block == Block::Control;
                match t.class {
                    NameClass::Keyword(Keyword::Lambda) => lambdas.push(lex.paren_depth()),
                    NameClass::Keyword(Keyword::Import) => import_seen = true,
                    NameClass::Keyword(Keyword::Global | Keyword::Nonlocal) => in_global = true,
                    NameClass::Banned if !in_import => {
                        let attribute_of = (prev.kind == TokenKind::Dot).then_some(&prev2);
                        reach.banned(src, tok_ctx, &t, attribute_of);
                    }
                    NameClass::Watched(_) if in_global => reach.global(tok_ctx, &t),
                    // Inside the body of a module-level `if`/`for`/`try`/`with`/`match`:
                    // that code runs at import, conditionally.
                    NameClass::Watched(_) if control && prev.kind != TokenKind::Dot => {
                        return Err(Halt::Import(format!(
                            "line {} uses `{}` inside a module-level compound statement",
                            t.line,
                            String::from_utf8_lossy(&src[t.range()])
                        )));
                    }
                    NameClass::Keyword(
                        Keyword::Raise
                        | Keyword::Assert
                        | Keyword::Return
                        | Keyword::Yield
                        | Keyword::Await
                        | Keyword::While
                        | Keyword::Break
                        | Keyword::Continue,
                    ) if control => {
                        return Err(Halt::Import(format!(
                            "line {} has module-level code that can stop or repeat the import",
                            t.line
                        )));
                    }
                    _ => {}
                }
            }
            _ => {}
        }
        if buffering {
            buf.push(t);
        }
        stmt_start = t.kind == TokenKind::Semi;
        prev2 = prev;
        prev = t;
    }
    r.module.imports = imports;
    Ok(r.module)
}

fn name_text(src: &[u8], t: &Token) -> String {
    String::from_utf8_lossy(&src[t.range()]).into_owned()
}

/// Index of the bracket closing the one at `open`, within `toks`.
fn matching_close(toks: &[Token], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, t) in toks.iter().enumerate().skip(open) {
        match t.kind {
            TokenKind::LPar | TokenKind::LSqb | TokenKind::LBrace => depth += 1,
            TokenKind::RPar | TokenKind::RSqb | TokenKind::RBrace => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// The parts of `toks` between top-level (not bracketed) tokens of kind `k`.
fn split_top(toks: &[Token], k: TokenKind) -> TopSplit<'_> {
    TopSplit {
        toks,
        kind: k,
        pos: 0,
        done: false,
    }
}

struct TopSplit<'a> {
    toks: &'a [Token],
    kind: TokenKind,
    pos: usize,
    done: bool,
}

impl<'a> Iterator for TopSplit<'a> {
    type Item = &'a [Token];

    fn next(&mut self) -> Option<&'a [Token]> {
        if self.done {
            return None;
        }
        let mut depth = 0usize;
        for i in self.pos..self.toks.len() {
            match self.toks[i].kind {
                TokenKind::LPar | TokenKind::LSqb | TokenKind::LBrace => depth += 1,
                TokenKind::RPar | TokenKind::RSqb | TokenKind::RBrace => depth = depth.saturating_sub(1),
                kk if kk == self.kind && depth == 0 => {
                    let part = &self.toks[self.pos..i];
                    self.pos = i + 1;
                    return Some(part);
                }
                _ => {}
            }
        }
        self.done = true;
        Some(&self.toks[self.pos..])
    }
}

/// Whether `toks` has a top-level token of kind `k`.
fn has_top(toks: &[Token], k: TokenKind) -> bool {
    split_top(toks, k).nth(1).is_some()
}

impl Reader<'_> {
    fn cls(&self, t: &Token) -> NameClass {
        t.class
    }

    /// The first watched name in `toks` that is not an attribute (`x.revision`).
    fn watched_in<'t>(&self, toks: &'t [Token]) -> Option<&'t Token> {
        toks.iter().enumerate().find_map(|(i, t)| {
            let after_dot = i > 0 && toks[i - 1].kind == TokenKind::Dot;
            match self.cls(t) {
                NameClass::Watched(_) if !after_dot => Some(t),
                _ => None,
            }
        })
    }

    fn import_reason(&self, t: &Token, what: &str) -> Halt {
        Halt::Import(format!("line {}: `{}` {what}", t.line, name_text(self.src, t)))
    }

    /// One module-level logical line. Returns the kind of block it opens.
    fn module_line(&mut self, toks: &[Token], first_line: bool, line: u32) -> Result<Block, Halt> {
        let Some(first) = toks.first() else {
            return Ok(Block::None);
        };
        let header = toks.last().is_some_and(|t| t.kind == TokenKind::Colon);
        if first.kind == TokenKind::At {
            // A decorator: an expression evaluated at import.
            return Ok(Block::None);
        }
        let c0 = self.cls(first);
        match c0 {
            NameClass::Keyword(Keyword::Def | Keyword::Class) => {
                if let Some(t) = toks.get(1)
                    && let NameClass::Watched(_) = self.cls(t)
                {
                    return Err(self.import_reason(t, "is bound by a module-level `def` or `class`"));
                }
                return Ok(if header { Block::Def } else { Block::None });
            }
            NameClass::Keyword(Keyword::Async) => {
                if toks
                    .get(1)
                    .is_some_and(|t| self.cls(t) == NameClass::Keyword(Keyword::Def))
                {
                    if let Some(t) = toks.get(2)
                        && let NameClass::Watched(_) = self.cls(t)
                    {
                        return Err(self.import_reason(t, "is bound by a module-level `def`"));
                    }
                    return Ok(if header { Block::Def } else { Block::None });
                }
                return Err(Halt::Import(format!(
                    "line {line} has a module-level `async` statement"
                )));
            }
            NameClass::Keyword(Keyword::While) => {
                return Err(Halt::Import(format!("line {line} has a module-level `while` loop")));
            }
            NameClass::Keyword(
                Keyword::If
                | Keyword::Elif
                | Keyword::Else
                | Keyword::For
                | Keyword::Try
                | Keyword::Except
                | Keyword::Finally
                | Keyword::With,
            ) => {
                self.control_line(toks)?;
                return Ok(if header { Block::Control } else { Block::None });
            }
            NameClass::SoftKeyword(SoftKeyword::Match | SoftKeyword::Case) if header => {
                self.control_line(toks)?;
                return Ok(Block::Control);
            }
            _ if header => {
                return Err(Halt::Import(format!(
                    "line {line} has an unrecognised compound statement"
                )));
            }
            _ => {}
        }
        for (i, stmt) in split_top(toks, TokenKind::Semi).enumerate() {
            if stmt.is_empty() {
                continue;
            }
            if first_line && i == 0 {
                self.module.doc = self.docstring(stmt)?;
            }
            self.simple_statement(stmt)?;
        }
        Ok(Block::None)
    }

    fn control_line(&self, toks: &[Token]) -> Result<(), Halt> {
        if let Some(t) = self.watched_in(toks) {
            return Err(self.import_reason(t, "appears in a module-level compound statement"));
        }
        for t in toks {
            if let NameClass::Keyword(
                Keyword::Raise
                | Keyword::Assert
                | Keyword::Return
                | Keyword::Yield
                | Keyword::Await
                | Keyword::Break
                | Keyword::Continue,
            ) = self.cls(t)
            {
                return Err(Halt::Import(format!(
                    "line {} has module-level code that can stop the import",
                    t.line
                )));
            }
        }
        Ok(())
    }

    fn simple_statement(&mut self, s: &[Token]) -> Result<(), Halt> {
        let first = &s[0];
        match self.cls(first) {
            NameClass::Keyword(Keyword::Import) => {
                for item in split_top(&s[1..], TokenKind::Comma) {
                    let bound = match item.iter().position(|t| self.cls(t) == NameClass::Keyword(Keyword::As)) {
                        Some(a) => item.get(a + 1),
                        None => item.first(),
                    };
                    if let Some(t) = bound
                        && let NameClass::Watched(_) = self.cls(t)
                    {
                        return Err(self.import_reason(t, "is bound by an `import`"));
                    }
                }
                return Ok(());
            }
            NameClass::Keyword(Keyword::From) => {
                let Some(imp) = s
                    .iter()
                    .position(|t| self.cls(t) == NameClass::Keyword(Keyword::Import))
                else {
                    return Ok(());
                };
                let mut names = &s[imp + 1..];
                if names.first().is_some_and(|t| t.kind == TokenKind::Star) {
                    return Err(Halt::Import(format!(
                        "line {} has `from ... import *`, which may bind Alembic's variables",
                        first.line
                    )));
                }
                if names.first().is_some_and(|t| t.kind == TokenKind::LPar)
                    && names.last().is_some_and(|t| t.kind == TokenKind::RPar)
                {
                    names = &names[1..names.len() - 1];
                }
                for item in split_top(names, TokenKind::Comma) {
                    let bound = match item.iter().position(|t| self.cls(t) == NameClass::Keyword(Keyword::As)) {
                        Some(a) => item.get(a + 1),
                        None => item.first(),
                    };
                    if let Some(t) = bound
                        && let NameClass::Watched(_) = self.cls(t)
                    {
                        return Err(self.import_reason(t, "is bound by a `from ... import`"));
                    }
                }
                return Ok(());
            }
            NameClass::Keyword(Keyword::Del) => {
                if let Some(t) = self.watched_in(s) {
                    return Err(self.import_reason(t, "is deleted at module level"));
                }
                return Ok(());
            }
            NameClass::Keyword(
                kw @ (Keyword::Raise
                | Keyword::Assert
                | Keyword::Return
                | Keyword::Yield
                | Keyword::Await
                | Keyword::Break
                | Keyword::Continue
                | Keyword::Nonlocal
                | Keyword::Global),
            ) => {
                return Err(Halt::Import(format!(
                    "line {} has a module-level `{}` statement",
                    first.line,
                    format!("{kw:?}").to_lowercase()
                )));
            }
            NameClass::SoftKeyword(SoftKeyword::Type)
                if s.len() >= 3
                    && s[1].kind == TokenKind::Name
                    && matches!(s[2].kind, TokenKind::Equal | TokenKind::LSqb) =>
            {
                if let NameClass::Watched(_) = self.cls(&s[1]) {
                    return Err(self.import_reason(&s[1], "is bound by a `type` statement"));
                }
                return Ok(());
            }
            _ => {}
        }
        if let Some(t) = s
            .iter()
            .find(|t| matches!(self.cls(t), NameClass::Keyword(Keyword::Yield | Keyword::Await)))
        {
            return Err(Halt::Import(format!(
                "line {} uses `yield` or `await` at module level",
                t.line
            )));
        }
        // Assignments.
        let mut depth = 0usize;
        let mut eqs: Vec<usize> = Vec::new();
        let mut aug = None;
        let mut colon = None;
        let mut lambda = false;
        for (i, t) in s.iter().enumerate() {
            match t.kind {
                TokenKind::LPar | TokenKind::LSqb | TokenKind::LBrace => depth += 1,
                TokenKind::RPar | TokenKind::RSqb | TokenKind::RBrace => depth = depth.saturating_sub(1),
                TokenKind::Equal if depth == 0 => eqs.push(i),
                TokenKind::AugAssign if depth == 0 && aug.is_none() && eqs.is_empty() => aug = Some(i),
                TokenKind::Colon if depth == 0 && colon.is_none() && eqs.is_empty() && !lambda => colon = Some(i),
                TokenKind::Name if self.cls(t) == NameClass::Keyword(Keyword::Lambda) => lambda = true,
                _ => {}
            }
        }
        if let Some(a) = aug {
            if let Some(t) = self.watched_in(&s[..a]) {
                return Err(self.import_reason(t, "is changed by an augmented assignment"));
            }
            return Ok(());
        }
        if let Some(c) = colon {
            let target = &s[..c];
            if target.len() == 1 {
                if let NameClass::Watched(w) = self.cls(&target[0]) {
                    match eqs.as_slice() {
                        // An annotation alone binds nothing.
                        [] => {}
                        [e] => self.record(w, &target[0], &s[e + 1..])?,
                        _ => return Err(self.import_reason(&target[0], "has an unusual annotated assignment")),
                    }
                }
            } else if let Some(t) = self.watched_in(target) {
                return Err(self.import_reason(t, "is the target of an unusual annotated assignment"));
            }
            return Ok(());
        }
        if eqs.is_empty() {
            // An expression statement. A bare name there is most likely a
            // half-typed line that would fail with a NameError.
            if s.len() == 1
                && s[0].kind == TokenKind::Name
                && matches!(self.cls(&s[0]), NameClass::Plain | NameClass::Watched(_))
            {
                return Err(Halt::Import(format!(
                    "line {}: a bare name `{}` at module level",
                    s[0].line,
                    name_text(self.src, &s[0])
                )));
            }
            return Ok(());
        }
        let value = &s[eqs[eqs.len() - 1] + 1..];
        let mut bounds = Vec::with_capacity(eqs.len());
        let mut start = 0;
        for &e in &eqs {
            bounds.push(&s[start..e]);
            start = e + 1;
        }
        let watched_simple = bounds
            .iter()
            .any(|t| t.len() == 1 && matches!(self.cls(&t[0]), NameClass::Watched(_)));
        for target in &bounds {
            if target.len() == 1
                && let NameClass::Watched(w) = self.cls(&target[0])
            {
                self.record(w, &target[0], value)?;
                continue;
            }
            if let Some(t) = self.watched_in(target) {
                return Err(self.import_reason(t, "is assigned by unpacking or through another target"));
            }
            if watched_simple && target.len() != 1 {
                return Err(Halt::Import(format!(
                    "line {} chains an Alembic variable with an unpacking assignment",
                    s[0].line
                )));
            }
        }
        Ok(())
    }

    fn record(&mut self, w: Watched, target: &Token, value: &[Token]) -> Result<(), Halt> {
        if w == Watched::Special {
            return Err(self.import_reason(target, "is assigned at module level"));
        }
        let v = match self.value(value) {
            Ok(v) => v,
            Err(Halt::Import(_)) => {
                let uses = match self.first_reference(value) {
                    Some(r) => format!(" (it uses `{r}`, which only Python can evaluate)"),
                    None => String::new(),
                };
                let reason = format!(
                    "line {}: `{}` is not assigned a plain literal{uses}",
                    target.line, WATCHED_NAMES[w as usize]
                );
                if self.defer
                    && let Some((seq, parts)) = self.named_value(value)
                {
                    self.module.values[w as usize] = None;
                    self.module.deferred[w as usize] = Some(Deferred {
                        seq,
                        parts,
                        line: target.line,
                        reason,
                    });
                    return Ok(());
                }
                return Err(Halt::Import(reason));
            }
            Err(e) => return Err(e),
        };
        self.module.values[w as usize] = Some((v, target.line));
        self.module.deferred[w as usize] = None;
        Ok(())
    }

    /// A value made of string literals and dotted names: one part, or a tuple or
    /// list of parts (is it a sequence, the parts). None for anything else.
    fn named_value(&self, toks: &[Token]) -> Option<(bool, Vec<Part>)> {
        let toks = strip_parens(toks);
        let first = toks.first()?;
        let closes_all = |open: TokenKind, close: TokenKind| {
            first.kind == open
                && toks.last().is_some_and(|t| t.kind == close)
                && matching_close(toks, 0) == Some(toks.len() - 1)
        };
        let items: Vec<&[Token]> = if has_top(toks, TokenKind::Comma) {
            split_top(toks, TokenKind::Comma).collect()
        } else if closes_all(TokenKind::LPar, TokenKind::RPar) || closes_all(TokenKind::LSqb, TokenKind::RSqb) {
            split_top(&toks[1..toks.len() - 1], TokenKind::Comma).collect()
        } else {
            return Some((false, vec![self.part(toks)?]));
        };
        let mut parts = Vec::with_capacity(items.len());
        let n = items.len();
        for (i, item) in items.into_iter().enumerate() {
            if item.is_empty() {
                // Only one trailing comma after at least one item.
                if i + 1 == n && i > 0 {
                    break;
                }
                return None;
            }
            parts.push(self.part(strip_parens(item))?);
        }
        Some((true, parts))
    }

    /// A string literal, or a dotted name of plain names (`a.b.c`).
    fn part(&self, toks: &[Token]) -> Option<Part> {
        if let Ok(Some(s)) = self.strings(toks) {
            return Some(Part::Str(s));
        }
        let mut out = String::new();
        for (i, t) in toks.iter().enumerate() {
            let want_name = i % 2 == 0;
            if want_name {
                // The first name is a plain one; attributes may be any name but a keyword.
                let ok = match self.cls(t) {
                    NameClass::Plain => true,
                    NameClass::Keyword(_) | NameClass::NotName => false,
                    _ => i > 0,
                };
                if t.kind != TokenKind::Name || !ok {
                    return None;
                }
                out.push_str(&name_text(self.src, t));
            } else if t.kind == TokenKind::Dot {
                out.push('.');
            } else {
                return None;
            }
        }
        (toks.len() % 2 == 1).then_some(Part::Name(out))
    }

    /// The first name (with its attribute chain, `cli.EXPAND_BRANCH`) a value uses.
    fn first_reference(&self, toks: &[Token]) -> Option<String> {
        let i = toks.iter().position(|t| {
            t.kind == TokenKind::Name
                && matches!(
                    self.cls(t),
                    NameClass::Plain | NameClass::Watched(_) | NameClass::Banned
                )
        })?;
        let mut out = name_text(self.src, &toks[i]);
        let mut k = i + 1;
        while k + 1 < toks.len() && toks[k].kind == TokenKind::Dot && toks[k + 1].kind == TokenKind::Name {
            out.push('.');
            out.push_str(&name_text(self.src, &toks[k + 1]));
            k += 2;
        }
        Some(out)
    }

    /// A literal value: `None`, a string (implicit concatenation allowed), or a
    /// tuple or list of strings; parentheses allowed around any of them.
    fn value(&self, toks: &[Token]) -> Result<Value, Halt> {
        let not_literal = || Halt::Import(String::new());
        let toks = strip_parens(toks);
        if toks.is_empty() {
            return Err(not_literal());
        }
        if has_top(toks, TokenKind::Comma) {
            // A tuple without parentheses: a trailing comma leaves an empty last part.
            return self.seq(split_top(toks, TokenKind::Comma));
        }
        let first = &toks[0];
        if first.kind == TokenKind::LPar
            && toks.last().is_some_and(|t| t.kind == TokenKind::RPar)
            && matching_close(toks, 0) == Some(toks.len() - 1)
        {
            // `()` or a parenthesised tuple (strip_parens keeps those).
            let inner = &toks[1..toks.len() - 1];
            if inner.is_empty() {
                return Ok(Value::Seq(Vec::new()));
            }
            return self.seq(split_top(inner, TokenKind::Comma));
        }
        if first.kind == TokenKind::LSqb && matching_close(toks, 0) == Some(toks.len() - 1) {
            let inner = &toks[1..toks.len() - 1];
            if inner.is_empty() {
                return Ok(Value::Seq(Vec::new()));
            }
            return self.seq(split_top(inner, TokenKind::Comma));
        }
        if toks.len() == 1 && self.cls(first) == NameClass::Keyword(Keyword::None) {
            return Ok(Value::None);
        }
        match self.strings(toks)? {
            Some(s) => Ok(Value::Str(s)),
            None => Err(not_literal()),
        }
    }

    fn seq<'t>(&self, elems: impl Iterator<Item = &'t [Token]>) -> Result<Value, Halt> {
        let mut out = Vec::new();
        let mut elems = elems.peekable();
        let mut first = true;
        while let Some(e) = elems.next() {
            if e.is_empty() {
                // Only a single trailing comma may leave an empty element.
                if elems.peek().is_none() && !first {
                    break;
                }
                return Err(Halt::Import(String::new()));
            }
            first = false;
            match self.strings(strip_parens(e))? {
                Some(s) => out.push(s),
                None => return Err(Halt::Import(String::new())),
            }
        }
        Ok(Value::Seq(out))
    }

    /// Adjacent `str` literals, concatenated; `None` when the tokens are not
    /// only `str` literals (bytes, f-strings or anything else).
    fn strings(&self, toks: &[Token]) -> Result<Option<String>, Halt> {
        if toks.is_empty() || toks.iter().any(|t| t.kind != TokenKind::Str) {
            return Ok(None);
        }
        let mut out = String::new();
        for t in toks {
            let (pre, body) = literal::split_token(&self.src[t.range()]);
            if pre.bytes || pre.fstring {
                return Ok(None);
            }
            literal::decode_str_body(body, pre.raw, t.line, &mut out)?;
        }
        Ok(Some(out))
    }

    /// `__doc__` from the file's first statement.
    fn docstring(&self, stmt: &[Token]) -> Result<Option<String>, Halt> {
        let toks = strip_parens(stmt);
        if toks.is_empty() || toks.iter().any(|t| t.kind != TokenKind::Str) {
            return Ok(None);
        }
        let mut any_bytes = false;
        let mut any_str = false;
        let mut any_f = false;
        for t in toks {
            let (pre, _) = literal::split_token(&self.src[t.range()]);
            any_bytes |= pre.bytes;
            any_str |= !pre.bytes;
            any_f |= pre.fstring;
        }
        if any_bytes && any_str {
            return Err(Halt::Import(format!(
                "line {} concatenates bytes and str literals",
                toks[0].line
            )));
        }
        if any_bytes || any_f {
            return Ok(None);
        }
        self.strings(toks)
    }
}

/// Remove parentheses that enclose the whole token run: `(("a"))` → `"a"`.
/// An empty pair `()` is kept (it is an empty tuple).
fn strip_parens(toks: &[Token]) -> &[Token] {
    let lead = toks.iter().take_while(|t| t.kind == TokenKind::LPar).count();
    if lead == 0 {
        return toks;
    }
    // One pass: where each leading `(` closes, and whether a comma sits
    // directly inside it (then it is a tuple).
    let mut close = vec![usize::MAX; lead];
    let mut comma = vec![false; lead];
    let mut open: Vec<usize> = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        match t.kind {
            TokenKind::LPar | TokenKind::LSqb | TokenKind::LBrace => open.push(i),
            TokenKind::RPar | TokenKind::RSqb | TokenKind::RBrace => {
                if let Some(o) = open.pop()
                    && o < lead
                {
                    close[o] = i;
                }
            }
            TokenKind::Comma => {
                if let Some(&o) = open.last()
                    && o < lead
                {
                    comma[o] = true;
                }
            }
            _ => {}
        }
    }
    let n = toks.len();
    let mut k = 0;
    // Peel `(` k while it encloses everything left, is not `()` and is not a tuple.
    while k < lead && n - 2 * k > 2 && close[k] == n - 1 - k && !comma[k] {
        k += 1;
    }
    &toks[k..n - k]
}

#[cfg(test)]
pub(crate) fn lex_only(src: &[u8]) -> usize {
    let mut lex = Lexer::new(src);
    let mut n = 0;
    loop {
        match lex.next_token() {
            Ok(t) if t.kind == TokenKind::End => return n,
            Ok(_) => n += 1,
            Err(_) => return n,
        }
    }
}
