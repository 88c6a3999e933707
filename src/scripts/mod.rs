//! Revision files: which ones Alembic loads, in which order, and what importing
//! each would give Alembic — read from the file's text instead of importing it.
//!
//! - [`discover`] lists the files exactly as `ScriptDirectory._load_revisions`
//!   would visit them (see `discover.rs` for the rules), with Alembic's
//!   "loaded twice" warnings.
//! - [`read_revision_file`] reads one file: its docstring and its module-level
//!   `revision`, `down_revision`, `branch_labels` and `depends_on`, normalised
//!   as Alembic's `Script`/`Revision` constructors normalise them. When a value
//!   is not a plain literal (computed, conditional, imported, touched through
//!   `globals()`, ...) or the file is compiled bytecode, the answer is
//!   [`ScriptSource::NeedsImport`] with the reason: the caller imports that file
//!   as Alembic would. Files Python would refuse to compile are errors.
//! - [`scan`] does both, reading the files in parallel, in discovery order;
//!   [`scan_cached`] does the same through the scan cache ([`cache`]), which
//!   skips reading and parsing the files that have not changed since a
//!   previous run.
//!
//! Outcomes, by what stock Alembic does with the file:
//! - Alembic loads it: [`ScriptSource::Static`] with the same values, or
//!   [`ScriptSource::NeedsImport`] when only Python can tell (never an error).
//! - Python cannot compile it (unterminated string, unbalanced brackets,
//!   merge-conflict markers, NUL bytes, undecodable bytes in a string, bad
//!   indentation, a missing `:`, ...): [`Error::Script`] naming the file and the
//!   line, where Alembic shows a raw `SyntaxError` traceback. Grammar errors a
//!   tokenizer cannot see (a dict missing a `:`), and module-level code that
//!   fails when run (a misspelt import), are not detected: those files read
//!   statically while Alembic fails on them.
//! - No `revision` and no hexadecimal file name: Alembic's `CommandError`
//!   text, as [`Error::Script`].
//! - No `down_revision` (an empty file with a legacy name, for one): Alembic
//!   fails with an `AttributeError`; monomig gives an [`Error::Script`] that
//!   says what to add.
//! - A self-loop, a dependency self-loop, or `@ - + :` in `revision`: the
//!   [`Error::Revision`] Alembic's `Revision` constructor raises, with its text.
//! - A `.pyo` file (sourceless): Python 3 cannot load it and Alembic fails on
//!   an assertion: [`Error::Script`]. A dangling `.py` symbolic link: Alembic
//!   fails unless compiled bytecode stands in for it: [`Error::Script`], or
//!   "needs import" when that bytecode exists.
//! - A symbolic link loop in a version location: `Path.resolve()` refuses it
//!   up to Python 3.12 ([`Error::Script`]) and keeps the looping path from 3.13;
//!   links to directories are never followed, so nothing hangs.
//!
//! [`scan`] returns the error of the first failing file in discovery order.
//! Alembic imports lazily in that order, so if a "needs import" file comes
//! before it and fails when imported, Alembic reports that file instead.
//!
//! Python-version differences that show in the results (the docstring
//! clean-up of CPython 3.13+, how `Path.walk` of 3.12+ lists symbolic links to
//! directories, symbolic link loops) are chosen with a [`Dialect`]. Files
//! using syntax only some supported versions accept (t-strings, PEP 695 type
//! parameters, `except*`, f-strings nesting their own quotes) need import.

pub mod cache;
mod discover;
mod error;
mod imports;
mod lexer;
mod literal;
mod pysource;
mod reach;
mod resolve;
pub mod syntax;

pub(crate) use literal::alembic_docs;
pub use resolve::resolve;

/// The absolute import statements of the file at `path` in code that runs at import
/// (not under `if TYPE_CHECKING:`), in order: `(module, names)`, with the names of a
/// `from module import names` (empty for `import module`). For the bridge's preload
/// (`monomig._preload`): `from pkg.sub import types` imports the submodule
/// `pkg.sub.types` when there is one, which the module name alone would not.
pub fn import_statements(path: &Path) -> io::Result<Vec<(String, Vec<String>)>> {
    let raw = fs::read(path)?;
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    let mut last_line = 0;
    for imp in imports::collect(&raw) {
        if imp.type_checking || imp.level > 0 || imp.module.is_empty() {
            continue;
        }
        match imp.name {
            None => out.push((imp.module, Vec::new())),
            Some(name) => match out.last_mut() {
                Some((m, names)) if imp.line == last_line && *m == imp.module && !names.is_empty() => names.push(name),
                _ => out.push((imp.module, vec![name])),
            },
        }
        last_line = imp.line;
    }
    Ok(out)
}

use std::fs;
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::{Error, Result, RevisionErrorKind};

use discover::NameKind;
use pysource::{Halt, Value};

/// Which Python's behaviour to reproduce where Python versions differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dialect {
    /// CPython 3.13+ strips the common indentation from docstrings when compiling.
    pub clean_docstrings: bool,
    /// `Path.walk` (used by Alembic on Python 3.12+) lists a symbolic link to a
    /// directory among the files; `os.walk` (3.10, 3.11) among the directories.
    pub dir_symlinks_as_files: bool,
    /// `Path.resolve()` raises on a symbolic link loop up to Python 3.12; from
    /// 3.13 it returns the looping path as it is.
    pub symlink_loops_fail: bool,
    /// The revision id rules of the installed Alembic (`:` allowed before 1.17.1).
    pub ids: crate::graph::IdRules,
}

impl Dialect {
    /// The behaviour of CPython `major.minor`.
    pub fn python(major: u32, minor: u32) -> Self {
        let v = (major, minor);
        Dialect {
            clean_docstrings: v >= (3, 13),
            dir_symlinks_as_files: v >= (3, 12),
            symlink_loops_fail: v < (3, 13),
            ids: crate::graph::IdRules::default(),
        }
    }
}

impl Default for Dialect {
    /// CPython 3.11's behaviour.
    fn default() -> Self {
        Dialect::python(3, 11)
    }
}

/// The files Alembic would load, in its order, and the warnings it would give.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Discovery {
    /// Resolved paths (symbolic links followed), as Alembic's `Script.path`.
    pub files: Vec<PathBuf>,
    /// Alembic's `UserWarning` texts, in order.
    pub warnings: Vec<String>,
}

/// One revision file read without importing it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevisionFile {
    pub path: PathBuf,
    /// `revision`, or the hexadecimal file name for legacy files without one.
    pub revision: String,
    /// True when `revision` came from the file name (Alembic's `_legacy_rev`).
    pub revision_from_filename: bool,
    /// `to_tuple(down_revision)`: empty for None, one item, or several.
    pub down_revision: Vec<String>,
    /// `to_tuple(branch_labels, default=())`, in the file's order.
    pub branch_labels: Vec<String>,
    /// `to_tuple(depends_on, default=())`.
    pub depends_on: Vec<String>,
    /// The module's `__doc__` (None without a docstring).
    pub module_doc: Option<String>,
    /// Alembic's `Script.doc`: the first paragraph of `longdoc`.
    pub doc: String,
    /// Alembic's `Script.longdoc`: the stripped docstring, or `""`.
    pub longdoc: String,
    /// The modules the file imports in code that runs at import, as absolute
    /// dotted names (see [`imports::module_imports`]).
    pub module_imports: Vec<String>,
}

/// What reading a revision file gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScriptSource {
    /// The values are plain literals: this is what importing would give.
    Static(RevisionFile),
    /// Only importing the file can tell; `reason` says why.
    NeedsImport {
        path: PathBuf,
        reason: String,
        /// As [`RevisionFile::module_imports`] (empty when the file was not read as Python source).
        module_imports: Vec<String>,
    },
}

impl ScriptSource {
    pub fn path(&self) -> &Path {
        match self {
            ScriptSource::Static(f) => &f.path,
            ScriptSource::NeedsImport { path, .. } => path,
        }
    }

    /// The modules the file imports in code that runs at import.
    pub fn module_imports(&self) -> &[String] {
        match self {
            ScriptSource::Static(f) => &f.module_imports,
            ScriptSource::NeedsImport { module_imports, .. } => module_imports,
        }
    }
}

/// Discovery and reading of every file of a service.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scan {
    pub scripts: Vec<ScriptSource>,
    pub warnings: Vec<String>,
    /// What the scan cache did (all zero without one).
    pub cache: CacheStats,
}

/// What [`scan_cached`] took from its cache and what it read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Files answered from the cache (unchanged since they were stored).
    pub hits: usize,
    /// `.py` files read and parsed.
    pub reads: usize,
    /// Whether the cache file was rewritten.
    pub written: bool,
}

/// The files Alembic would load from `locations` (absolute paths, in order;
/// missing ones are skipped), in Alembic's order.
pub fn discover(locations: &[PathBuf], recursive: bool, sourceless: bool) -> Result<Discovery> {
    discover_with(locations, recursive, sourceless, &Dialect::default())
}

pub fn discover_with(locations: &[PathBuf], recursive: bool, sourceless: bool, dialect: &Dialect) -> Result<Discovery> {
    let (found, warnings) = discover::discover_files(locations, recursive, sourceless, dialect)?;
    Ok(Discovery {
        files: found.into_iter().map(|f| f.path).collect(),
        warnings,
    })
}

/// Read one revision file as Alembic would see it after importing it.
pub fn read_revision_file(path: &Path) -> Result<ScriptSource> {
    read_revision_file_with(path, &Dialect::default())
}

pub fn read_revision_file_with(path: &Path, dialect: &Dialect) -> Result<ScriptSource> {
    let name = path.file_name().map(|n| n.as_bytes()).unwrap_or(b"");
    let kind = match discover::match_rev_name(name, true) {
        Some(Ok(k)) => k,
        _ => NameKind::Source,
    };
    read_found(path, kind, dialect)
}

/// Read a revision file's bytes as if they were the file at `path` (its name gives the
/// legacy revision id when the text has none); nothing is read from disk. The same
/// answer as [`read_revision_file`] on a file holding `raw`.
pub fn read_revision_source(path: &Path, raw: &[u8]) -> Result<ScriptSource> {
    read_source(path, raw, &Dialect::default())
}

/// Discovery, then every file read (in parallel), in discovery order. The
/// error of the first failing file in that order is returned.
pub fn scan(locations: &[PathBuf], recursive: bool, sourceless: bool) -> Result<Scan> {
    scan_with(locations, recursive, sourceless, &Dialect::default())
}

pub fn scan_with(locations: &[PathBuf], recursive: bool, sourceless: bool, dialect: &Dialect) -> Result<Scan> {
    scan_cached(locations, recursive, sourceless, dialect, None)
}

/// Discovery and reading through the scan cache in `cache_dir` (see [`cache`]):
/// the answer of reading every file, with unchanged files taken from the cache
/// instead of read and parsed. Without a folder every file is read and nothing
/// is stored (that is [`scan_with`]).
pub fn scan_cached(
    locations: &[PathBuf],
    recursive: bool,
    sourceless: bool,
    dialect: &Dialect,
    cache_dir: Option<&Path>,
) -> Result<Scan> {
    let (found, warnings) = discover::discover_files(locations, recursive, sourceless, dialect)?;
    let cache = match cache_dir {
        Some(dir) => cache::ScanCache::open(dir, locations, recursive, sourceless, dialect),
        None => cache::ScanCache::none(),
    };
    // (answer, its stamp when storable, whether it was read now)
    let positions: Vec<(usize, &discover::Found)> = found.iter().enumerate().collect();
    let results = parallel_map(&positions, |&(i, f)| {
        if f.kind != NameKind::Source {
            return (read_found(&f.path, f.kind, dialect), None, false);
        }
        if let cache::Lookup::Hit(source, stamp) = cache.lookup(i, &f.path) {
            return (Ok(source), Some(stamp), false);
        }
        let (result, stamp) = read_source_file(&f.path, dialect);
        let stamp = stamp.filter(|s| result.is_ok() && cache.storable(s));
        (result, stamp, true)
    });
    let mut scripts = Vec::with_capacity(results.len());
    let mut stamps = Vec::with_capacity(results.len());
    let mut any_fresh = false;
    let mut error = None;
    let mut stats = CacheStats::default();
    for (result, stamp, fresh) in results {
        if fresh {
            stats.reads += 1;
        } else if stamp.is_some() {
            stats.hits += 1;
        }
        match result {
            Ok(source) => {
                if stamp.is_some() {
                    any_fresh |= fresh;
                }
                stamps.push(stamp);
                scripts.push(source);
            }
            Err(e) => {
                error.get_or_insert(e);
            }
        }
    }
    let keep: Vec<(cache::Stamp, &ScriptSource)> = stamps
        .into_iter()
        .zip(&scripts)
        .filter_map(|(stamp, s)| Some((stamp?, s)))
        .collect();
    stats.written = cache.save(&keep, any_fresh);
    drop(keep);
    match error {
        Some(e) => Err(e),
        None => Ok(Scan {
            scripts,
            warnings,
            cache: stats,
        }),
    }
}

/// `f` over `items` on a few threads, results in the items' order.
pub(crate) fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, 8);
    if items.len() < 16 {
        return items.iter().map(&f).collect();
    }
    const CHUNK: usize = 16;
    let next = AtomicUsize::new(0);
    let mut parts: Vec<Vec<(usize, R)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let start = next.fetch_add(CHUNK, Ordering::Relaxed);
                        if start >= items.len() {
                            break;
                        }
                        let end = (start + CHUNK).min(items.len());
                        for (i, item) in items[start..end].iter().enumerate() {
                            done.push((start + i, f(item)));
                        }
                    }
                    done
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    let mut slots: Vec<Option<R>> = Vec::with_capacity(items.len());
    slots.resize_with(items.len(), || None);
    for part in parts.drain(..) {
        for (i, r) in part {
            slots[i] = Some(r);
        }
    }
    // A worker that panicked leaves holes: compute those here, so a panic
    // shows up in the caller's thread rather than as a missing file.
    slots
        .into_iter()
        .zip(items)
        .map(|(r, item)| r.unwrap_or_else(|| f(item)))
        .collect()
}

fn script_error(path: &Path, line: Option<u32>, msg: &str) -> Error {
    match line {
        Some(l) => Error::script(format!(
            "Revision file {}, line {l}: {msg}{} Python cannot import it either; fix the file or remove it \
             from the version location.",
            path.display(),
            full_stop(msg)
        ))
        .at_line(l as usize),
        None => Error::script(format!(
            "Revision file {}: {msg}{} Fix the file or remove it from the version location.",
            path.display(),
            full_stop(msg)
        )),
    }
    .at_path(path)
}

/// What ends a sentence that ends with `msg`: nothing more when `msg` ends with its own
/// punctuation ("Perhaps you forgot a comma?").
fn full_stop(msg: &str) -> &'static str {
    if msg.ends_with(['.', '?', '!']) { "" } else { "." }
}

/// The line of `path` a reading error names, if any.
pub fn error_line(path: &Path, e: &Error) -> Option<usize> {
    if e.path() == Some(path) { e.line() } else { None }
}

fn read_found(path: &Path, kind: NameKind, dialect: &Dialect) -> Result<ScriptSource> {
    match kind {
        NameKind::Source => {}
        NameKind::Compiled { pyo: false } => {
            return Ok(ScriptSource::NeedsImport {
                path: path.to_path_buf(),
                reason: "compiled bytecode without its source (sourceless)".into(),
                module_imports: Vec::new(),
            });
        }
        NameKind::Compiled { pyo: true } => {
            // Python 3 has no loader for `.pyo` files: Alembic fails on an assertion.
            return Err(Error::script(format!(
                "{} is a .pyo file, which Python 3 cannot load (Alembic fails on it too). \
                 Remove it, or keep its .py source or a .pyc beside it.",
                path.display()
            ))
            .at_path(path));
        }
    }
    read_source_file(path, dialect).0
}

/// A `.py` revision file read and parsed, with the stamp of what was read.
fn read_source_file(path: &Path, dialect: &Dialect) -> (Result<ScriptSource>, Option<cache::Stamp>) {
    let (bytes, stamp) = match read_bytes(path) {
        Ok((b, meta)) => (b, cache::Stamp::of(&meta)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return (missing_source(path), None),
        Err(e) => {
            return (
                Err(Error::script(format!(
                    "Cannot read revision file {}: {e}. Check its permissions, or remove it from the version location.",
                    path.display()
                ))
                .at_path(path)
                .caused_by(e)),
                None,
            );
        }
    };
    (read_source(path, &bytes, dialect), stamp)
}

fn read_bytes(path: &Path) -> io::Result<(Vec<u8>, fs::Metadata)> {
    let mut f = fs::File::open(path)?;
    let meta = f.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::other(if meta.is_dir() {
            "it is a directory"
        } else {
            "it is not a regular file"
        }));
    }
    let mut buf = Vec::with_capacity(meta.len() as usize + 1);
    f.read_to_end(&mut buf)?;
    Ok((buf, meta))
}

/// A `.py` path that does not exist (a dangling symbolic link): Python would
/// look for its compiled bytecode; without any, Alembic fails.
fn missing_source(path: &Path) -> Result<ScriptSource> {
    let dir = path.parent().unwrap_or(Path::new("/"));
    let stem = path.file_stem().map(|s| s.as_bytes().to_vec()).unwrap_or_default();
    let mut pyc = stem.clone();
    pyc.extend_from_slice(b".pyc");
    let mut has_bytecode = dir.join(std::ffi::OsStr::from_bytes(&pyc)).is_file();
    if !has_bytecode && let Ok(rd) = fs::read_dir(dir.join("__pycache__")) {
        has_bytecode = rd.flatten().any(|e| {
            let n = e.file_name();
            let n = n.as_bytes();
            n.len() > stem.len() + 1 && n.starts_with(&stem) && n[stem.len()] == b'.' && n.ends_with(b".pyc")
        });
    }
    if has_bytecode {
        return Ok(ScriptSource::NeedsImport {
            path: path.to_path_buf(),
            reason: "the source file is missing (a dangling symbolic link?); Python would load its compiled bytecode"
                .into(),
            module_imports: Vec::new(),
        });
    }
    Err(Error::script(format!(
        "Revision file {} does not exist (a dangling symbolic link?); Alembic cannot load it either. \
         Fix the link or remove it from the version location.",
        path.display()
    ))
    .at_path(path))
}

/// The encoding named by a PEP 263 coding cookie on the first two lines.
fn coding_cookie(src: &[u8]) -> Option<&[u8]> {
    let mut lines = src.splitn(3, |&c| c == b'\n');
    let first = lines.next()?;
    if let Some(enc) = cookie_in(first) {
        return Some(enc);
    }
    // The second line counts only when the first is blank or a comment.
    let t = first.trim_ascii_start();
    if !(t.is_empty() || t[0] == b'#') {
        return None;
    }
    cookie_in(lines.next()?)
}

fn cookie_in(line: &[u8]) -> Option<&[u8]> {
    let mut i = 0;
    while i < line.len() && matches!(line[i], b' ' | b'\t' | 0x0c) {
        i += 1;
    }
    if line.get(i) != Some(&b'#') {
        return None;
    }
    let rest = &line[i..];
    let mut from = 0;
    while let Some(off) = memchr::memmem::find(&rest[from..], b"coding") {
        let after = from + off + 6;
        if matches!(rest.get(after), Some(b':' | b'=')) {
            let mut j = after + 1;
            while matches!(rest.get(j), Some(b' ' | b'\t')) {
                j += 1;
            }
            let start = j;
            while rest
                .get(j)
                .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
            {
                j += 1;
            }
            return Some(&rest[start..j]);
        }
        from = after;
    }
    None
}

/// Python's tokenizer's `get_normal_name`, for UTF-8: `utf-8` and `utf-8-...`
/// (case-insensitive, `_` for `-`, first 12 characters).
fn is_normal_utf8(enc: &[u8]) -> bool {
    let e: Vec<u8> = enc
        .iter()
        .take(12)
        .map(|c| if *c == b'_' { b'-' } else { c.to_ascii_lowercase() })
        .collect();
    e == b"utf-8" || e.starts_with(b"utf-8-")
}

/// A cookie Python decodes as UTF-8: its normal name, or the `utf8` codec alias.
fn is_utf8_cookie(enc: &[u8]) -> bool {
    is_normal_utf8(enc) || enc.eq_ignore_ascii_case(b"utf8")
}

fn line_of(bytes: &[u8], pos: usize) -> u32 {
    let upto = &bytes[..pos.min(bytes.len())];
    let lf = memchr::memchr_iter(b'\n', upto).count();
    // Lone carriage returns end lines too.
    let cr = memchr::memchr_iter(b'\r', upto)
        .filter(|&i| upto.get(i + 1) != Some(&b'\n'))
        .count();
    (lf + cr + 1) as u32
}

/// Read a revision file's text (everything Alembic's import would see).
fn read_source(path: &Path, raw: &[u8], dialect: &Dialect) -> Result<ScriptSource> {
    if let Some(i) = memchr::memchr(0, raw) {
        return syntax::does_not_compile(
            path,
            raw,
            line_of(raw, i),
            "the file contains NUL bytes (is it a binary file?)",
            Vec::new(),
        );
    }
    let bom = raw.starts_with(b"\xef\xbb\xbf");
    let body = if bom { &raw[3..] } else { raw };
    // Universal newlines, as Python reads source (the coding cookie too).
    let normalized;
    let src: &[u8] = if memchr::memchr(b'\r', body).is_some() {
        let mut v = Vec::with_capacity(body.len());
        let mut i = 0;
        while i < body.len() {
            let c = body[i];
            if c == b'\r' {
                v.push(b'\n');
                if body.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
            } else {
                v.push(c);
            }
            i += 1;
        }
        normalized = v;
        &normalized
    } else {
        body
    };
    if let Some(enc) = coding_cookie(src) {
        if bom && !is_normal_utf8(enc) {
            return syntax::does_not_compile(
                path,
                raw,
                1,
                &format!(
                    "encoding problem: the file starts with a UTF-8 byte order mark but declares {:?}",
                    String::from_utf8_lossy(enc)
                ),
                Vec::new(),
            );
        }
        if !is_normal_utf8(enc) && is_utf8_cookie(enc) {
            // A codec alias: Python decodes the whole file with it, comments included.
            if let Err(e) = std::str::from_utf8(src) {
                return syntax::does_not_compile(
                    path,
                    raw,
                    line_of(src, e.valid_up_to()),
                    "the file is not valid UTF-8, the encoding its coding cookie declares",
                    Vec::new(),
                );
            }
        }
        if !is_utf8_cookie(enc) {
            return Ok(ScriptSource::NeedsImport {
                path: path.to_path_buf(),
                reason: format!(
                    "the file declares the source encoding {:?}",
                    String::from_utf8_lossy(enc)
                ),
                module_imports: Vec::new(),
            });
        }
    }
    // Undecodable bytes: Python tolerates them in comments only; the
    // tokenizer checks string literals, and anything else outside comments is
    // left to Python.
    let module = match pysource::read_module(src) {
        Ok(m) => m,
        Err(Halt::Import(reason)) => {
            let module_imports = imports::module_imports(&imports::collect(src), path);
            return syntax::needs_import(path, raw, reason, module_imports);
        }
        Err(Halt::Syntax { line, msg }) => {
            let module_imports = imports::module_imports(&imports::collect(src), path);
            return syntax::does_not_compile(path, raw, line, &msg, module_imports);
        }
    };
    build(path, module, dialect)
}

/// From the module's values to what Alembic's `Script` holds, with the errors
/// Alembic raises while building it, in its order.
fn build(path: &Path, m: pysource::Module, dialect: &Dialect) -> Result<ScriptSource> {
    let module_imports = imports::module_imports(&m.imports, path);
    let [revision, down_revision, branch_labels, depends_on] = m.values;
    let filename = path.file_name().map(|n| n.as_bytes()).unwrap_or(b"");
    let (revision, from_filename) = match revision {
        Some((Value::Str(s), _)) => (s, false),
        Some((_, line)) => {
            return Ok(ScriptSource::NeedsImport {
                path: path.to_path_buf(),
                reason: format!("line {line}: `revision` is not a string"),
                module_imports,
            });
        }
        None => match legacy_revision(filename) {
            Some(r) => (r, true),
            None => {
                return Err(Error::script(format!(
                    "Could not determine revision id from filename {}. Be sure the 'revision' variable is \
                     declared inside the script (please see 'Upgrading from Alembic 0.1 to 0.2' in the \
                     documentation).",
                    String::from_utf8_lossy(filename)
                ))
                .at_path(path));
            }
        },
    };
    let Some((down_value, _)) = down_revision else {
        return Err(Error::script(format!(
            "Revision file {} does not define `down_revision` (Alembic fails on it with an AttributeError). \
             Add `down_revision = None` for a first revision, or the id of the revision it follows.",
            path.display()
        ))
        .at_path(path));
    };
    let down = to_tuple(&down_value);
    // Revision.__init__: self-loops, then the identifier's characters.
    let down_truthy = match &down_value {
        Value::None => false,
        Value::Str(s) => !s.is_empty(),
        Value::Seq(v) => !v.is_empty(),
    };
    if down_truthy && down.contains(&revision) {
        return Err(Error::revision(
            RevisionErrorKind::Loop {
                revision: revision.clone(),
            },
            format!("Self-loop is detected in revisions ({revision})"),
        ));
    }
    let depends = depends_on.map(|(v, _)| to_tuple(&v)).unwrap_or_default();
    if depends.contains(&revision) {
        return Err(Error::revision(
            RevisionErrorKind::DependencyLoop {
                revision: revision.clone(),
            },
            format!("Dependency self-loop is detected in revisions ({revision})"),
        ));
    }
    let mut illegal: Vec<char> = revision.chars().filter(|&c| dialect.ids.is_illegal(c)).collect();
    if !illegal.is_empty() {
        illegal.sort_unstable();
        illegal.dedup();
        let list: Vec<String> = illegal.iter().map(|c| c.to_string()).collect();
        return Err(Error::revision_generic(format!(
            "Character(s) '{}' not allowed in revision identifier '{}'",
            list.join(", "),
            revision
        )));
    }
    let labels = branch_labels.map(|(v, _)| to_tuple(&v)).unwrap_or_default();
    let module_doc = m.doc.map(|d| {
        if dialect.clean_docstrings {
            literal::clean_doc(&d)
        } else {
            d
        }
    });
    let (doc, longdoc) = literal::alembic_docs(module_doc.as_deref());
    Ok(ScriptSource::Static(RevisionFile {
        path: path.to_path_buf(),
        revision,
        revision_from_filename: from_filename,
        down_revision: down,
        branch_labels: labels,
        depends_on: depends,
        module_doc,
        doc,
        longdoc,
        module_imports,
    }))
}

/// Alembic's `util.to_tuple` on a literal.
fn to_tuple(v: &Value) -> Vec<String> {
    match v {
        Value::None => Vec::new(),
        Value::Str(s) => vec![s.clone()],
        Value::Seq(items) => items.clone(),
    }
}

/// `_legacy_rev = re.compile(r"([a-f0-9]+)\.py$")`, with `re.match`.
fn legacy_revision(filename: &[u8]) -> Option<String> {
    let core = filename.strip_suffix(b"\n").unwrap_or(filename);
    let stem = core.strip_suffix(b".py")?;
    if stem.is_empty() || !stem.iter().all(|c| matches!(c, b'a'..=b'f' | b'0'..=b'9')) {
        return None;
    }
    Some(String::from_utf8_lossy(stem).into_owned())
}

#[cfg(test)]
mod tests;
