//! Import statements of a revision file: what each binds, from which module,
//! at which relative level and line.
//!
//! The statement reader hands every `import` / `from ... import` statement of
//! code that runs at import (see [`super::reach`]) to [`parse_statement`]:
//! - `import a.b` binds `a` and imports `a.b`; `import a.b as c` binds `c` to `a.b`;
//! - `from x import y as z` binds `z` to the attribute (or submodule) `y` of `x`;
//! - `from . import y` and `from .m import y` are relative (level 1, 2, ...).
//!
//! [`module_imports`] gives the modules Python imports for them, as absolute
//! dotted names. Alembic loads a revision file as a top-level module (its name
//! has no dots), so a relative import in a revision file fails under Alembic;
//! monomig still resolves it from the file's location when the file is inside a
//! package (`__init__.py` folders), and keeps it as written otherwise.

use std::path::Path;

use super::lexer::{Keyword, NameClass, Token, TokenKind, opens_control_block};

/// One name bound by an import statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Import {
    pub line: u32,
    /// Leading dots of a `from` import (0 for absolute ones and for `import`).
    pub level: u32,
    /// The dotted module: `a.b` of `import a.b` or of `from a.b import c`;
    /// empty for `from . import c`.
    pub module: String,
    /// The imported name of a `from` import (`*` for a star import); None for `import`.
    pub name: Option<String>,
    /// The name bound in the module (None for a star import).
    pub bound: Option<String>,
    /// Inside a module-level compound statement: it may not run.
    pub conditional: bool,
    /// Inside `if TYPE_CHECKING:`: it never runs.
    pub type_checking: bool,
}

fn text(src: &[u8], t: &Token) -> String {
    String::from_utf8_lossy(&src[t.range()]).into_owned()
}

/// A dotted name from name and dot tokens (`a . b . c` → `a.b.c`).
fn dotted(src: &[u8], toks: &[Token]) -> String {
    let mut out = String::new();
    for t in toks {
        match t.kind {
            TokenKind::Name => out.push_str(&text(src, t)),
            TokenKind::Dot => out.push('.'),
            _ => {}
        }
    }
    out
}

/// Split `item` at `as`: the dotted part and the alias token.
fn split_as(item: &[Token]) -> (&[Token], Option<&Token>) {
    match item.iter().position(|t| t.class == NameClass::Keyword(Keyword::As)) {
        Some(a) => (&item[..a], item.get(a + 1)),
        None => (item, None),
    }
}

fn split_commas(toks: &[Token]) -> impl Iterator<Item = &[Token]> {
    toks.split(|t| t.kind == TokenKind::Comma).filter(|p| !p.is_empty())
}

/// The bindings of one import statement (its tokens, without the ending newline
/// or `;`), appended to `out`. Malformed statements add nothing (the reader
/// reports syntax errors elsewhere).
pub(crate) fn parse_statement(
    src: &[u8],
    stmt: &[Token],
    conditional: bool,
    type_checking: bool,
    out: &mut Vec<Import>,
) {
    let Some(first) = stmt.first() else {
        return;
    };
    let line = first.line;
    let mk = |level, module: String, name, bound| Import {
        line,
        level,
        module,
        name,
        bound,
        conditional,
        type_checking,
    };
    match first.class {
        NameClass::Keyword(Keyword::Import) => {
            for item in split_commas(&stmt[1..]) {
                let (path, alias) = split_as(item);
                let module = dotted(src, path);
                let bound = match alias {
                    Some(a) => text(src, a),
                    None => module.split('.').next().unwrap_or_default().to_string(),
                };
                if !module.is_empty() {
                    out.push(mk(0, module, None, Some(bound)));
                }
            }
        }
        NameClass::Keyword(Keyword::From) => {
            let Some(imp) = stmt.iter().position(|t| t.class == NameClass::Keyword(Keyword::Import)) else {
                return;
            };
            let from = &stmt[1..imp];
            let mut level = 0u32;
            let mut k = 0;
            while let Some(t) = from.get(k) {
                match t.kind {
                    TokenKind::Dot => level += 1,
                    TokenKind::Ellipsis => level += 3,
                    _ => break,
                }
                k += 1;
            }
            let module = dotted(src, &from[k..]);
            let mut names = &stmt[imp + 1..];
            if names.first().is_some_and(|t| t.kind == TokenKind::LPar) {
                names = &names[1..];
                if names.last().is_some_and(|t| t.kind == TokenKind::RPar) {
                    names = &names[..names.len() - 1];
                }
            }
            if names.first().is_some_and(|t| t.kind == TokenKind::Star) {
                out.push(mk(level, module, Some("*".into()), None));
                return;
            }
            for item in split_commas(names) {
                let (path, alias) = split_as(item);
                let Some(n) = path.first().filter(|t| t.kind == TokenKind::Name) else {
                    continue;
                };
                let name = text(src, n);
                let bound = alias.map_or_else(|| name.clone(), |a| text(src, a));
                out.push(mk(level, module.clone(), Some(name), Some(bound)));
            }
        }
        _ => {}
    }
}

/// The dotted package a file at `path` belongs to (its folders up to the first
/// one without `__init__.py`), outermost first; empty when its folder is not a package.
fn package_of(path: &Path) -> Vec<String> {
    let mut parts = Vec::new();
    let mut dir = path.parent();
    while let Some(d) = dir {
        if !d.join("__init__.py").is_file() {
            break;
        }
        match d.file_name() {
            Some(n) => parts.push(n.to_string_lossy().into_owned()),
            None => break,
        }
        dir = d.parent();
    }
    parts.reverse();
    parts
}

/// The absolute module an import reads from, resolved against the package of
/// the file at `path` for a relative import; as written (`.m`, `..`) when the
/// file is not deep enough in a package.
pub(crate) fn absolute_module(imp: &Import, path: &Path) -> String {
    if imp.level == 0 {
        return imp.module.clone();
    }
    let written = || format!("{}{}", ".".repeat(imp.level as usize), imp.module);
    let pkg = package_of(path);
    let up = imp.level as usize - 1;
    if pkg.is_empty() || up >= pkg.len() {
        return written();
    }
    let mut base = pkg[..pkg.len() - up].join(".");
    if !imp.module.is_empty() {
        base.push('.');
        base.push_str(&imp.module);
    }
    base
}

/// The modules importing a file at `path` imports at module level, in order,
/// without repeats: `a.b` for `import a.b`, `x` for `from x import y`, relative
/// ones resolved by [`absolute_module`]. Imports under `if TYPE_CHECKING:` are
/// left out (they never run); conditional ones (`try:`/`if`) are kept.
pub(crate) fn module_imports(imports: &[Import], path: &Path) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for imp in imports.iter().filter(|i| !i.type_checking) {
        let m = absolute_module(imp, path);
        if !m.is_empty() && !out.contains(&m) {
            out.push(m);
        }
    }
    out
}

/// The import statements of code that runs at import, for a file the statement
/// reader stopped on (it needs import): every statement outside function bodies,
/// read with the tokenizer alone. A tokenizer error ends the list there.
pub(crate) fn collect(src: &[u8]) -> Vec<Import> {
    use super::lexer::Lexer;
    let mut lex = Lexer::new(src);
    let mut out = Vec::new();
    // Open blocks: (body depth, inside a function, conditional, under TYPE_CHECKING).
    let mut scopes: Vec<(usize, bool, bool, bool)> = Vec::new();
    let mut stmt: Vec<Token> = Vec::new();
    let mut line: Vec<Token> = Vec::new();
    let mut line_scope = (false, false, false);
    loop {
        let Ok(t) = lex.next_token() else {
            return out;
        };
        match t.kind {
            TokenKind::End => return out,
            TokenKind::Indent | TokenKind::Dedent => continue,
            _ => {}
        }
        if line.is_empty() {
            let depth = lex.depth();
            while scopes.last().is_some_and(|s| s.0 > depth) {
                scopes.pop();
            }
            line_scope = scopes.last().map_or((false, false, false), |s| (s.1, s.2, s.3));
        }
        let (in_def, conditional, tc) = line_scope;
        if matches!(t.kind, TokenKind::Newline | TokenKind::Semi) {
            if !in_def
                && stmt
                    .first()
                    .is_some_and(|f| matches!(f.class, NameClass::Keyword(Keyword::Import | Keyword::From)))
            {
                parse_statement(src, &stmt, conditional, tc, &mut out);
            }
            stmt.clear();
        } else {
            stmt.push(t);
        }
        if t.kind != TokenKind::Newline {
            line.push(t);
            continue;
        }
        if line.last().is_some_and(|t| t.kind == TokenKind::Colon) {
            let first = line[0].class;
            let def = matches!(first, NameClass::Keyword(Keyword::Def | Keyword::Async));
            let control = opens_control_block(first);
            let type_checking =
                first == NameClass::Keyword(Keyword::If) && line.iter().any(|t| &src[t.range()] == b"TYPE_CHECKING");
            scopes.push((
                lex.depth() + 1,
                in_def || def,
                conditional || control,
                tc || type_checking,
            ));
        }
        line.clear();
    }
}
