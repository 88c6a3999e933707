//! Values Alembic computes from imported names, computed from the project's files.
//!
//! A revision file such as Neutron's `branch_labels = (cli.EXPAND_BRANCH,)` (after
//! `from neutron.db.migration import cli`) needs import for the plain reader. When
//! the name is bound by one unconditional import of the revision file, and the
//! module it comes from is a file found on the search path (the service's
//! `prepend_sys_path`, which Alembic puts at the front of `sys.path` as written:
//! the caller makes it absolute against the working directory) whose binding of
//! the name is one module-level assignment of a literal (or of names resolved the
//! same way, or an import followed the same way), the value is that literal:
//! [`resolve`] then answers [`ScriptSource::Static`] with what importing would give.
//!
//! Anything else is left as it is (the caller imports that one file as Alembic
//! would): a module not found on the search path (installed packages are not
//! read), a name bound more than once, conditionally, by a star import or by a
//! `global` statement, a value that is not a literal, a file that is not plain
//! UTF-8. What this cannot see: a module already imported from elsewhere before
//! the revision file runs (Python would use that one), and code that changes a
//! module's variables from outside it.

use std::path::{Path, PathBuf};

use super::imports::{Import, parse_statement};
use super::lexer::{Keyword, Lexer, NameClass, Token, TokenKind};
use super::pysource::{self, Part, Value};
use super::{Dialect, ScriptSource};
use crate::error::Result;

/// How many modules a name may be followed through.
const MAX_HOPS: usize = 12;

/// `source` with values built from imported names resolved from the files on
/// `search` (absolute folders, in `sys.path` order). A file this cannot resolve
/// comes back unchanged; a resolved one goes through Alembic's checks (self-loops,
/// characters of the id) like any file read statically.
pub fn resolve(source: ScriptSource, search: &[PathBuf], dialect: &Dialect) -> Result<ScriptSource> {
    let ScriptSource::NeedsImport { path, .. } = &source else {
        return Ok(source);
    };
    if search.is_empty() {
        return Ok(source);
    }
    match resolve_file(path, search, dialect) {
        Some(answer) => answer,
        None => Ok(source),
    }
}

fn resolve_file(path: &Path, search: &[PathBuf], dialect: &Dialect) -> Option<Result<ScriptSource>> {
    let raw = std::fs::read(path).ok()?;
    let src = plain_source(&raw)?;
    let mut module = pysource::read_module_deferring(src).ok()?;
    if module.deferred.iter().all(Option::is_none) {
        return None;
    }
    let mut r = Resolver { search, hops: 0 };
    let here = File {
        src,
        module: None,
        imports: module.imports.clone(),
    };
    for w in 0..4 {
        let Some(d) = module.deferred[w].take() else {
            continue;
        };
        let value = r.value_of_parts(&here, d.seq, &d.parts, d.line)?;
        module.values[w] = Some((value, d.line));
    }
    Some(super::build(path, module, dialect))
}

/// Source Python reads as it is: UTF-8, `\n` newlines, no BOM, no NUL, no coding
/// cookie other than UTF-8 (anything else is left to the import).
fn plain_source(raw: &[u8]) -> Option<&[u8]> {
    if raw.starts_with(b"\xef\xbb\xbf") || raw.contains(&b'\r') || raw.contains(&0) {
        return None;
    }
    std::str::from_utf8(raw).ok()?;
    if let Some(enc) = super::coding_cookie(raw)
        && !super::is_utf8_cookie(enc)
    {
        return None;
    }
    Some(raw)
}

/// A Python file being read: its text, its dotted module name (None for the
/// revision file, which Alembic loads without a package) and its imports.
struct File<'a> {
    src: &'a [u8],
    /// (dotted name, is a package).
    module: Option<(String, bool)>,
    imports: Vec<Import>,
}

struct Resolver<'a> {
    search: &'a [PathBuf],
    hops: usize,
}

impl Resolver<'_> {
    /// A value of parts: one part as it is, or a sequence of strings.
    fn value_of_parts(&mut self, file: &File<'_>, seq: bool, parts: &[Part], line: u32) -> Option<Value> {
        let mut values = Vec::with_capacity(parts.len());
        for p in parts {
            values.push(match p {
                Part::Str(s) => Value::Str(s.clone()),
                Part::Name(n) => self.name_in(file, n, line)?,
            });
        }
        if !seq {
            return values.pop();
        }
        // Alembic keeps tuple items as they are: only strings make a revision tuple.
        let mut out = Vec::with_capacity(values.len());
        for v in values {
            match v {
                Value::Str(s) => out.push(s),
                _ => return None,
            }
        }
        Some(Value::Seq(out))
    }

    /// The value of the dotted name `dotted` used in `file` on line `line`.
    fn name_in(&mut self, file: &File<'_>, dotted: &str, line: u32) -> Option<Value> {
        let parts: Vec<String> = dotted.split('.').map(str::to_owned).collect();
        let first = &parts[0];
        let binding = single_binding(file.src, first)?;
        if binding.line >= line {
            return None;
        }
        match binding.kind {
            BindKind::Assign(value) => {
                if parts.len() != 1 {
                    return None; // an attribute of a value: only Python can tell
                }
                self.assigned_value(file, &value, binding.line)
            }
            BindKind::Import => {
                let imp = file
                    .imports
                    .iter()
                    .find(|i| i.bound.as_deref() == Some(first.as_str()) && i.line == binding.line && !i.conditional)?;
                let base = match &file.module {
                    Some((m, is_pkg)) => relative_base(imp, m, *is_pkg)?,
                    None if imp.level > 0 => return None,
                    None => imp.module.clone(),
                };
                let (module, mut attrs) = match &imp.name {
                    // `import a.b` binds `a`; `import a.b as c` binds c to `a.b`.
                    None if imp.module.split('.').next() == Some(first.as_str()) && !imp.module.is_empty() => {
                        (first.clone(), Vec::new())
                    }
                    None => (base, Vec::new()),
                    Some(n) if n == "*" => return None,
                    // `from . import labels` in the package's own `__init__`: the submodule.
                    Some(n) if file.module.as_ref().is_some_and(|(m, _)| *m == base) => {
                        (format!("{base}.{n}"), Vec::new())
                    }
                    Some(n) => (base, vec![n.clone()]),
                };
                attrs.extend(parts[1..].iter().cloned());
                self.lookup(&module, &attrs)
            }
        }
    }

    /// A module-level assignment's value: a literal, or names resolved in the same file.
    fn assigned_value(&mut self, file: &File<'_>, toks: &[Token], line: u32) -> Option<Value> {
        if let Some(v) = pysource::literal(file.src, toks) {
            return Some(v);
        }
        let (seq, parts) = pysource::named(file.src, toks)?;
        self.hop()?;
        self.value_of_parts(file, seq, &parts, line)
    }

    fn hop(&mut self) -> Option<()> {
        self.hops += 1;
        (self.hops <= MAX_HOPS).then_some(())
    }

    /// The attribute chain `attrs` of the module `module`, found on the search path.
    fn lookup(&mut self, module: &str, attrs: &[String]) -> Option<Value> {
        self.hop()?;
        let (path, is_pkg) = find_module(self.search, module)?;
        let (first, rest) = attrs.split_first()?;
        let raw = std::fs::read(&path).ok()?;
        let src = plain_source(&raw)?;
        let bound_here = bindings(src, first)?;
        if is_pkg && bound_here.is_empty() {
            // `pkg.sub` that the package's `__init__` does not bind: the submodule.
            let sub = format!("{module}.{first}");
            if find_module(self.search, &sub).is_some() {
                return self.lookup(&sub, rest);
            }
            return None;
        }
        let mut imports = Vec::new();
        collect_module_imports(src, &mut imports);
        let file = File {
            src,
            module: Some((module.to_owned(), is_pkg)),
            imports,
        };
        let dotted = attrs.join(".");
        self.name_in(&file, &dotted, u32::MAX)
    }
}

/// The package a relative import of module `module` starts from, with the imported module.
fn relative_base(imp: &Import, module: &str, is_pkg: bool) -> Option<String> {
    if imp.level == 0 {
        return Some(imp.module.clone());
    }
    let mut pkg: Vec<&str> = module.split('.').collect();
    if !is_pkg {
        pkg.pop();
    }
    let up = imp.level as usize - 1;
    if up >= pkg.len() {
        return None;
    }
    pkg.truncate(pkg.len() - up);
    let mut base = pkg.join(".");
    if !imp.module.is_empty() {
        base.push('.');
        base.push_str(&imp.module);
    }
    Some(base)
}

/// Where Python's path finder finds the dotted module `name` when `search` comes
/// first on `sys.path`: (its file, whether it is a package). None for a namespace
/// package, or a module that is not a `.py` file there.
pub(crate) fn find_module(search: &[PathBuf], name: &str) -> Option<(PathBuf, bool)> {
    let mut dirs: Vec<PathBuf> = search.to_vec();
    let parts: Vec<&str> = name.split('.').collect();
    let mut found = None;
    for (i, part) in parts.iter().enumerate() {
        if part.is_empty() {
            return None;
        }
        found = None;
        for d in &dirs {
            let pkg = d.join(part);
            if pkg.join("__init__.py").is_file() {
                found = Some((pkg.join("__init__.py"), true));
                break;
            }
            let file = d.join(format!("{part}.py"));
            if file.is_file() {
                found = Some((file, false));
                break;
            }
        }
        let (file, is_pkg) = found.clone()?;
        if i + 1 < parts.len() {
            if !is_pkg {
                return None;
            }
            dirs = vec![file.parent()?.to_path_buf()];
        }
    }
    found
}

// ---------------------------------------------------------------------------
// Bindings of one name in a file

enum BindKind {
    /// `NAME = value` at module level, the value's tokens.
    Assign(Vec<Token>),
    /// An unconditional module-level import statement.
    Import,
}

struct Binding {
    line: u32,
    kind: BindKind,
}

/// The one binding of `name` in `src`, when there is exactly one and it is a
/// module-level `NAME = value` or import (not inside a block).
fn single_binding(src: &[u8], name: &str) -> Option<Binding> {
    let mut all = bindings(src, name)?;
    if all.len() != 1 {
        return None;
    }
    let (b, top) = all.pop()?;
    top.then_some(b)
}

/// Every statement that may bind `name` anywhere in `src` (a function's locals
/// included, which only makes this more careful), with whether it is a plain
/// module-level binding; None when the file binds names in ways not followed
/// here (a star import, or a tokenizer error).
fn bindings(src: &[u8], name: &str) -> Option<Vec<(Binding, bool)>> {
    let mut lex = Lexer::new(src);
    lex.check_start().ok()?;
    let mut out = Vec::new();
    let mut stmt: Vec<Token> = Vec::new();
    let mut stmt_depth = 1usize;
    loop {
        let t = lex.next_token().ok()?;
        match t.kind {
            TokenKind::Indent | TokenKind::Dedent => continue,
            TokenKind::End | TokenKind::Newline | TokenKind::Semi => {
                if !stmt.is_empty() {
                    statement_bindings(src, &stmt, stmt_depth == 1, name, &mut out)?;
                    stmt.clear();
                }
                if t.kind == TokenKind::End {
                    return Some(out);
                }
                continue;
            }
            _ => {}
        }
        if stmt.is_empty() {
            stmt_depth = lex.depth();
        }
        // A compound statement's header ends at its `:`: its body is a statement of its own.
        if t.kind == TokenKind::Colon
            && lex.paren_depth() == 0
            && stmt
                .first()
                .is_some_and(|f| matches!(f.class, NameClass::Keyword(k) if opens_block(k)))
        {
            statement_bindings(src, &stmt, false, name, &mut out)?;
            stmt.clear();
            stmt_depth = usize::MAX; // a one-line body is inside the block
            continue;
        }
        stmt.push(t);
    }
}

fn opens_block(k: Keyword) -> bool {
    use Keyword::*;
    matches!(
        k,
        If | Elif | Else | For | While | Try | Except | Finally | With | Def | Class | Async
    )
}

fn is_name(src: &[u8], t: &Token, name: &str) -> bool {
    t.kind == TokenKind::Name && &src[t.range()] == name.as_bytes()
}

/// The bindings of `name` by one statement (or compound statement header).
fn statement_bindings(src: &[u8], stmt: &[Token], top: bool, name: &str, out: &mut Vec<(Binding, bool)>) -> Option<()> {
    let first = stmt[0];
    let line = first.line;
    if matches!(first.class, NameClass::Keyword(Keyword::Import | Keyword::From)) {
        let mut imps = Vec::new();
        parse_statement(src, stmt, false, false, &mut imps);
        if imps.iter().any(|i| i.name.as_deref() == Some("*")) {
            return None;
        }
        if imps.iter().any(|i| i.bound.as_deref() == Some(name)) {
            out.push((
                Binding {
                    line,
                    kind: BindKind::Import,
                },
                top,
            ));
        }
        return Some(());
    }
    // Where the statement's top-level `=` signs are.
    let mut depth = 0usize;
    let mut last_eq = None;
    let mut eqs = 0;
    for (i, t) in stmt.iter().enumerate() {
        match t.kind {
            TokenKind::LPar | TokenKind::LSqb | TokenKind::LBrace => depth += 1,
            TokenKind::RPar | TokenKind::RSqb | TokenKind::RBrace => depth = depth.saturating_sub(1),
            TokenKind::Equal if depth == 0 => {
                last_eq = Some(i);
                eqs += 1;
            }
            _ => {}
        }
    }
    let for_target_end = matches!(first.class, NameClass::Keyword(Keyword::For | Keyword::Async))
        .then(|| stmt.iter().position(|t| t.class == NameClass::Keyword(Keyword::In)))
        .flatten();
    // Whether every bracket around each token groups (`(a, b) = ...`) rather than
    // follows an operand (`d[NAME] = ...`, `f(NAME).x = ...`, which bind nothing).
    let mut trailers: Vec<bool> = Vec::new();
    let mut in_trailer = Vec::with_capacity(stmt.len());
    for (i, t) in stmt.iter().enumerate() {
        match t.kind {
            TokenKind::LPar | TokenKind::LSqb | TokenKind::LBrace => {
                in_trailer.push(trailers.iter().any(|&x| x));
                let after_operand = i > 0
                    && matches!(
                        stmt[i - 1].kind,
                        TokenKind::Name | TokenKind::RPar | TokenKind::RSqb | TokenKind::Str
                    )
                    && !matches!(stmt[i - 1].class, NameClass::Keyword(_));
                trailers.push(after_operand || t.kind == TokenKind::LBrace);
            }
            TokenKind::RPar | TokenKind::RSqb | TokenKind::RBrace => {
                trailers.pop();
                in_trailer.push(trailers.iter().any(|&x| x));
            }
            _ => in_trailer.push(trailers.iter().any(|&x| x)),
        }
    }
    for (i, t) in stmt.iter().enumerate() {
        if !is_name(src, t, name) || (i > 0 && stmt[i - 1].kind == TokenKind::Dot) || in_trailer[i] {
            continue;
        }
        let prev = (i > 0).then(|| stmt[i - 1].class);
        let next = stmt.get(i + 1).map(|n| n.kind);
        let binds = last_eq.is_some_and(|e| i < e)
            || matches!(next, Some(TokenKind::AugAssign | TokenKind::Walrus))
            || matches!(
                prev,
                Some(NameClass::Keyword(
                    Keyword::Def | Keyword::Class | Keyword::As | Keyword::Global | Keyword::Nonlocal | Keyword::Del
                ))
            )
            || matches!(
                first.class,
                NameClass::Keyword(Keyword::Global | Keyword::Nonlocal | Keyword::Del)
            )
            || for_target_end.is_some_and(|e| i < e);
        if !binds {
            continue;
        }
        let plain = top && i == 0 && eqs == 1 && next == Some(TokenKind::Equal);
        let kind = match (plain, last_eq) {
            (true, Some(e)) => BindKind::Assign(stmt[e + 1..].to_vec()),
            _ => BindKind::Assign(Vec::new()),
        };
        out.push((Binding { line, kind }, plain));
    }
    Some(())
}

/// The import statements of a module file that run unconditionally at module
/// level (the others are recorded as conditional, so they are never followed).
fn collect_module_imports(src: &[u8], out: &mut Vec<Import>) {
    for imp in super::imports::collect(src) {
        out.push(imp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A project folder with `files` (path, text), and a revision file `rev.py`.
    fn project(files: &[(&str, &str)], rev: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        for (p, text) in files {
            let path = dir.path().join("lib").join(p);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let versions = dir.path().join("versions");
        std::fs::create_dir_all(&versions).unwrap();
        let rev_path = versions.join("aaaa_rev.py");
        std::fs::write(&rev_path, rev).unwrap();
        (dir, rev_path)
    }

    fn read(dir: &tempfile::TempDir, rev: &Path) -> ScriptSource {
        let first = super::super::read_revision_file(rev).unwrap();
        resolve(first, &[dir.path().join("lib")], &Dialect::default()).unwrap()
    }

    fn labels(s: &ScriptSource) -> Option<Vec<String>> {
        match s {
            ScriptSource::Static(f) => Some(f.branch_labels.clone()),
            ScriptSource::NeedsImport { .. } => None,
        }
    }

    const HEAD: &str = "revision = \"aaaa\"\ndown_revision = None\n";

    /// (module files, the revision file's body after HEAD, the branch labels read, if read).
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, Option<&'a [&'a str]>);

    #[test]
    fn constants_of_project_modules() {
        let cases: &[Case] = &[
            // The minimal case: lib/labels.py and `import labels`.
            (
                &[("labels.py", "EXPAND = 'expand'\n")],
                "import labels\nbranch_labels = (labels.EXPAND,)\n",
                Some(&["expand"]),
            ),
            (
                &[("labels.py", "EXPAND = 'expand'\n")],
                "from labels import EXPAND\nbranch_labels = EXPAND\n",
                Some(&["expand"]),
            ),
            (
                &[("labels.py", "EXPAND = 'expand'\n")],
                "from labels import EXPAND as E\nbranch_labels = [E, 'x']\n",
                Some(&["expand", "x"]),
            ),
            // Neutron: `from pkg.sub import cli; (cli.EXPAND_BRANCH,)`, a chain and a package.
            (
                &[
                    ("pkg/__init__.py", ""),
                    ("pkg/db/__init__.py", "import os\n"),
                    (
                        "pkg/db/cli.py",
                        "import os\nEXPAND_BRANCH = 'expand'\nBRANCHES = (EXPAND_BRANCH, 'contract')\n\ndef f():\n    EXPAND_BRANCH = 1\n",
                    ),
                ],
                "from pkg.db import cli\nbranch_labels = (cli.EXPAND_BRANCH,)\n",
                None, // a function's local of the same name: left to the import
            ),
            (
                &[
                    ("pkg/__init__.py", ""),
                    ("pkg/db/__init__.py", ""),
                    (
                        "pkg/db/cli.py",
                        "EXPAND_BRANCH = 'expand'\nBRANCHES = (EXPAND_BRANCH, 'contract')\n",
                    ),
                ],
                "import pkg.db.cli\nbranch_labels = pkg.db.cli.BRANCHES\n",
                Some(&["expand", "contract"]),
            ),
            // Re-exported through the package's __init__ (relative import).
            (
                &[
                    ("app/__init__.py", "from .labels import EXPAND\n"),
                    ("app/labels.py", "EXPAND = 'e'\n"),
                ],
                "import app\nbranch_labels = app.EXPAND,\n",
                Some(&["e"]),
            ),
            (
                &[
                    ("app/__init__.py", "from . import labels\n"),
                    ("app/labels.py", "EXPAND = 'e'\n"),
                ],
                "import app\nbranch_labels = app.labels.EXPAND\n",
                Some(&["e"]),
            ),
            // Left to the import: computed, conditional, rebound, star, missing, installed.
            (
                &[("labels.py", "EXPAND = 'ex' + 'pand'\n")],
                "import labels\nbranch_labels = labels.EXPAND\n",
                None,
            ),
            (
                &[("labels.py", "if True:\n    EXPAND = 'e'\n")],
                "import labels\nbranch_labels = labels.EXPAND\n",
                None,
            ),
            (
                &[("labels.py", "EXPAND = 'e'\nEXPAND = 'f'\n")],
                "import labels\nbranch_labels = labels.EXPAND\n",
                None,
            ),
            (
                &[("labels.py", "EXPAND = 'e'\nd = {}\nd[EXPAND] = 1\nf(EXPAND).x = 2\n")],
                "import labels\nbranch_labels = labels.EXPAND\n",
                Some(&["e"]),
            ),
            (
                &[("labels.py", "(EXPAND, X) = 'e', 'f'\n")],
                "import labels\nbranch_labels = labels.EXPAND\n",
                None,
            ),
            (
                &[("labels.py", "EXPAND = 'e'\nfor EXPAND in []:\n    pass\n")],
                "import labels\nbranch_labels = labels.EXPAND\n",
                None,
            ),
            (
                &[("labels.py", "from other import *\nEXPAND = 'e'\n")],
                "import labels\nbranch_labels = labels.EXPAND\n",
                None,
            ),
            (
                &[("labels.py", "EXPAND = 'e'\n")],
                "import labels\nlabels = None\nbranch_labels = labels.EXPAND\n",
                None,
            ),
            (
                &[("labels.py", "EXPAND = 'e'\n")],
                "try:\n    import labels\nexcept ImportError:\n    pass\nbranch_labels = labels.EXPAND\n",
                None,
            ),
            (&[], "import sqlalchemy\nbranch_labels = sqlalchemy.__version__\n", None),
            (
                &[("labels.py", "EXPAND = 'e'\n")],
                "branch_labels = labels.EXPAND\nimport labels\n",
                None,
            ),
        ];
        for (files, body, want) in cases {
            let (dir, rev) = project(files, &format!("{HEAD}{body}"));
            let got = read(&dir, &rev);
            let want: Option<Vec<String>> = want.map(|w| w.iter().map(|s| s.to_string()).collect());
            assert_eq!(labels(&got), want, "{body} with {files:?}: {got:?}");
        }
    }

    #[test]
    fn revision_ids_from_constants_get_alembics_checks() {
        let (dir, rev) = project(
            &[("ids.py", "REV = 'bbbb'\nDOWN = 'bbbb'\n")],
            "import ids\nrevision = ids.REV\ndown_revision = ids.DOWN\n",
        );
        let first = super::super::read_revision_file(&rev).unwrap();
        let err = resolve(first, &[dir.path().join("lib")], &Dialect::default()).unwrap_err();
        assert!(err.to_string().contains("Self-loop"), "{err}");
    }
}
