//! Which files Alembic loads from a service's version locations, in its order
//! (`ScriptDirectory._load_revisions`, `Script._list_py_dir`, `Script._from_path`).
//!
//! - each location that exists is walked top-down (`os.walk`, or `Path.walk` on
//!   Python 3.12+); symbolic links to directories are never followed;
//! - in every directory visited, the files (everything that is not a directory)
//!   are taken sorted by name; a directory whose name ends with `__pycache__`
//!   contributes no files; with `sourceless`, the entries of its `__pycache__`
//!   whose name (up to the first dot) is not the name of a file beside it are
//!   added, in directory order;
//! - without `recursive_version_locations` the walk stops after the first
//!   directory whose files were taken; with it, sub-directories are visited
//!   sorted by name (those of a `__pycache__` directory in directory order);
//! - every path is resolved (symbolic links); a real path met twice is skipped
//!   with Alembic's warning, whatever its name;
//! - the resolved name must match `(?!\.\#|__init__)(.*\.py)$` (with
//!   `sourceless`, also `.pyc`/`.pyo`, skipped when the `.py` — or for `.pyo`,
//!   the `.pyc` — exists beside it).

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::ffi::{OsStr, OsString};
use std::fs;
use std::io;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};

use super::Dialect;

const ENOENT: i32 = 2;
const EBADF: i32 = 9;
const ENOTDIR: i32 = 20;
const ELOOP: i32 = 40;

/// Python's `Path.exists()`: false for a missing path, a non-directory in the
/// way, or a symbolic link loop; other errors (permissions) are errors.
pub(crate) fn py_exists(p: &Path) -> io::Result<bool> {
    match fs::metadata(p) {
        Ok(_) => Ok(true),
        Err(e) => match e.raw_os_error() {
            Some(ENOENT | EBADF | ENOTDIR | ELOOP) => Ok(false),
            _ if e.kind() == io::ErrorKind::NotFound => Ok(false),
            _ => Err(e),
        },
    }
}

/// Python's `str` ordering of file names: by code point, undecodable bytes
/// counting as the surrogates `os.fsdecode` maps them to.
pub(crate) fn py_name_cmp(a: &OsStr, b: &OsStr) -> Ordering {
    let (ab, bb) = (a.as_bytes(), b.as_bytes());
    if let (Ok(_), Ok(_)) = (std::str::from_utf8(ab), std::str::from_utf8(bb)) {
        // UTF-8 byte order is code point order.
        return ab.cmp(bb);
    }
    fn code_points(b: &[u8]) -> Vec<u32> {
        let mut out = Vec::with_capacity(b.len());
        for chunk in b.utf8_chunks() {
            out.extend(chunk.valid().chars().map(|c| c as u32));
            out.extend(chunk.invalid().iter().map(|&x| 0xDC00 + x as u32));
        }
        out
    }
    code_points(ab).cmp(&code_points(bb))
}

/// Python's `Path(p).name`, for the name tests Alembic makes on a directory.
fn py_path_name(p: &Path) -> OsString {
    match p.components().next_back() {
        Some(Component::Normal(n)) => n.to_os_string(),
        Some(Component::ParentDir) => OsString::from(".."),
        _ => OsString::new(),
    }
}

struct Entry {
    name: OsString,
    /// Known not to be a symbolic link (so `resolved_dir/name` is its real path).
    plain: bool,
}

struct Listing {
    dirs: Vec<OsString>,
    files: Vec<Entry>,
}

/// `os.scandir` split as `os.walk` splits it: directories (following symbolic
/// links, unless `dir_symlinks_as_files`) and everything else.
fn list_dir(dir: &Path, dialect: &Dialect) -> Option<Listing> {
    let rd = fs::read_dir(dir).ok()?;
    let mut dirs = Vec::new();
    let mut files = Vec::new();
    for entry in rd {
        // os.walk stops listing a directory on an error.
        let entry = entry.ok()?;
        let name = entry.file_name();
        let ft = entry.file_type();
        let (is_dir, plain) = match ft {
            Ok(ft) if ft.is_dir() => (true, true),
            Ok(ft) if ft.is_symlink() => {
                let target_is_dir = fs::metadata(entry.path()).map(|m| m.is_dir()).unwrap_or(false);
                (target_is_dir && !dialect.dir_symlinks_as_files, false)
            }
            Ok(_) => (false, true),
            Err(_) => (false, false),
        };
        if is_dir {
            // Symbolic links to directories are listed but never entered.
            if plain {
                dirs.push(name);
            }
        } else {
            files.push(Entry { name, plain });
        }
    }
    Some(Listing { dirs, files })
}

/// `posixpath.realpath(base/rest)` in non-strict mode, for an already
/// resolved `base`: symbolic links are followed as far as they go, a missing
/// part is kept as written, and a loop stops the resolution.
fn realpath_from(base: &Path, rest: &Path) -> io::Result<PathBuf> {
    let mut seen: HashMap<PathBuf, Option<PathBuf>> = HashMap::new();
    let (p, _) = join_realpath(base.to_path_buf(), rest, &mut seen, 0)?;
    Ok(p)
}

fn join_realpath(
    mut path: PathBuf,
    rest: &Path,
    seen: &mut HashMap<PathBuf, Option<PathBuf>>,
    depth: usize,
) -> io::Result<(PathBuf, bool)> {
    if depth > 256 {
        return Err(io::Error::from_raw_os_error(ELOOP));
    }
    if rest.is_absolute() {
        path = PathBuf::from("/");
    }
    let parts: Vec<&OsStr> = rest
        .as_os_str()
        .as_bytes()
        .split(|&c| c == b'/')
        .map(OsStr::from_bytes)
        .collect();
    for (i, name) in parts.iter().enumerate() {
        if name.is_empty() || *name == "." {
            continue;
        }
        if *name == ".." {
            path.pop();
            continue;
        }
        let newpath = path.join(name);
        let is_link = fs::symlink_metadata(&newpath)
            .map(|m| m.file_type().is_symlink())
            .unwrap_or(false);
        if !is_link {
            path = newpath;
            continue;
        }
        let remaining = || -> PathBuf { parts[i + 1..].iter().collect() };
        match seen.get(&newpath) {
            Some(Some(resolved)) => {
                path = resolved.clone();
                continue;
            }
            Some(None) => {
                // A loop: give back the unresolved remainder.
                let r = remaining();
                return Ok((
                    if r.as_os_str().is_empty() {
                        newpath
                    } else {
                        newpath.join(r)
                    },
                    false,
                ));
            }
            None => {}
        }
        seen.insert(newpath.clone(), None);
        let target = fs::read_link(&newpath)?;
        let (p, ok) = join_realpath(path, &target, seen, depth + 1)?;
        if !ok {
            let r = remaining();
            return Ok((if r.as_os_str().is_empty() { p } else { p.join(r) }, false));
        }
        seen.insert(newpath, Some(p.clone()));
        path = p;
    }
    Ok((path, true))
}

/// `Path.resolve()` of `resolved_dir/rel`, with its refusal of symbolic link loops.
fn resolve(resolved_dir: &Path, rel: &Path, plain: bool, dialect: &Dialect) -> Result<PathBuf> {
    if plain {
        return Ok(resolved_dir.join(rel));
    }
    let shown = resolved_dir.join(rel);
    let p = realpath_from(resolved_dir, rel).map_err(|e| io_error(&shown, "resolve", e))?;
    match fs::metadata(&p) {
        Ok(_) => Ok(p),
        Err(e) if e.raw_os_error() == Some(ENOENT) => Ok(p),
        Err(e) if e.raw_os_error() == Some(ELOOP) && !dialect.symlink_loops_fail => Ok(p),
        Err(e) if e.raw_os_error() == Some(ELOOP) => Err(Error::script(format!(
            "{} is a symbolic link loop in a version location; Alembic cannot load it either. \
             Fix or remove the link.",
            shown.display()
        ))
        .at_path(&shown)
        .caused_by(e)),
        Err(e) => Err(io_error(&shown, "resolve", e)),
    }
}

fn io_error(path: &Path, what: &str, e: io::Error) -> Error {
    Error::script(format!(
        "Cannot {what} {}: {e}. Check the file's permissions, or remove it from the version location.",
        path.display()
    ))
    .at_path(path)
    .caused_by(e)
}

/// The bytes of Alembic's file name regexes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NameKind {
    /// `.py`
    Source,
    /// `.pyc` / `.pyo`
    Compiled { pyo: bool },
}

/// `_only_source_rev_file` / `_sourceless_rev_file` applied with `re.match` to
/// a file name; `Err(())` when the name matches but ends with a newline (Alembic
/// then fails on an assertion).
pub(crate) fn match_rev_name(name: &[u8], sourceless: bool) -> Option<std::result::Result<NameKind, ()>> {
    if name.starts_with(b".#") || name.starts_with(b"__init__") {
        return None;
    }
    let (core, trailing_newline) = match name.strip_suffix(b"\n") {
        Some(c) => (c, true),
        None => (name, false),
    };
    if memchr::memchr(b'\n', core).is_some() {
        return None;
    }
    let kind = if core.ends_with(b".py") {
        NameKind::Source
    } else if sourceless && core.ends_with(b".pyc") {
        NameKind::Compiled { pyo: false }
    } else if sourceless && core.ends_with(b".pyo") {
        NameKind::Compiled { pyo: true }
    } else {
        return None;
    };
    Some(if trailing_newline { Err(()) } else { Ok(kind) })
}

/// One directory's contribution, in Alembic's order: (walk path, plain, resolved dir).
struct Candidate {
    rel: PathBuf,
    plain: bool,
}

/// `Script._list_py_dir` for one location, resolved against `resolved_top`.
fn list_py_dir(
    top: &Path,
    resolved_top: &Path,
    recursive: bool,
    sourceless: bool,
    dialect: &Dialect,
    out: &mut Vec<(PathBuf, Vec<Candidate>)>,
) -> Result<()> {
    // (walk path, resolved path, name as Python sees it)
    let mut stack: Vec<(PathBuf, PathBuf, OsString)> =
        vec![(top.to_path_buf(), resolved_top.to_path_buf(), py_path_name(top))];
    while let Some((root, resolved_root, root_name)) = stack.pop() {
        let Some(mut listing) = list_dir(&root, dialect) else {
            continue;
        };
        if !root_name.as_bytes().ends_with(b"__pycache__") {
            if listing
                .files
                .iter()
                .all(|e| std::str::from_utf8(e.name.as_bytes()).is_ok())
            {
                // UTF-8 byte order is code point order: no need to decode in every comparison.
                listing.files.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
            } else {
                listing.files.sort_by(|a, b| py_name_cmp(&a.name, &b.name));
            }
            let mut cands: Vec<Candidate> = listing
                .files
                .iter()
                .map(|e| Candidate {
                    rel: PathBuf::from(&e.name),
                    plain: e.plain,
                })
                .collect();
            if sourceless {
                let cache = root.join("__pycache__");
                let exists = py_exists(&cache).map_err(|e| io_error(&cache, "read", e))?;
                if exists {
                    let stems: HashSet<&[u8]> = listing
                        .files
                        .iter()
                        .map(|e| first_dot_stem(e.name.as_bytes()))
                        .collect();
                    let rd = fs::read_dir(&cache).map_err(|e| io_error(&cache, "list", e))?;
                    for entry in rd {
                        let entry = entry.map_err(|e| io_error(&cache, "list", e))?;
                        let name = entry.file_name();
                        if stems.contains(first_dot_stem(name.as_bytes())) {
                            continue;
                        }
                        cands.push(Candidate {
                            rel: Path::new("__pycache__").join(&name),
                            plain: false,
                        });
                    }
                }
            }
            out.push((resolved_root.clone(), cands));
            if !recursive {
                break;
            }
            listing.dirs.sort_by(|a, b| py_name_cmp(a, b));
        }
        for d in listing.dirs.into_iter().rev() {
            let resolved = resolved_root.join(&d);
            stack.push((root.join(&d), resolved, d));
        }
    }
    Ok(())
}

fn first_dot_stem(name: &[u8]) -> &[u8] {
    match memchr::memchr(b'.', name) {
        Some(i) => &name[..i],
        None => name,
    }
}

/// A file Alembic would load, before reading.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Found {
    pub path: PathBuf,
    pub kind: NameKind,
}

pub(crate) fn discover_files(
    locations: &[PathBuf],
    recursive: bool,
    sourceless: bool,
    dialect: &Dialect,
) -> Result<(Vec<Found>, Vec<String>)> {
    let mut existing = Vec::new();
    for loc in locations {
        // Alembic makes each location absolute (against the working directory).
        let loc = std::path::absolute(loc).unwrap_or_else(|_| loc.clone());
        match py_exists(&loc) {
            Ok(true) => existing.push(loc),
            Ok(false) => {}
            Err(e) => {
                return Err(Error::script(format!(
                    "Cannot access the version location {}: {e}. Check its permissions or fix version_locations.",
                    loc.display()
                )));
            }
        }
    }
    // Paths compared as `pathlib.Path` compares them (by their components). A
    // plain entry's resolved path is already in that form: its bytes will do.
    let mut seen: HashSet<Vec<u8>> = HashSet::new();
    let mut files = Vec::new();
    let mut warnings = Vec::new();
    for loc in &existing {
        let Ok(resolved_top) = fs::canonicalize(loc) else {
            continue;
        };
        let mut dirs = Vec::new();
        list_py_dir(loc, &resolved_top, recursive, sourceless, dialect, &mut dirs)?;
        for (resolved_dir, cands) in dirs {
            for c in cands {
                let real = resolve(&resolved_dir, &c.rel, c.plain, dialect)?;
                let key = if c.plain {
                    real.as_os_str().as_bytes().to_vec()
                } else {
                    real.components().collect::<PathBuf>().into_os_string().into_vec()
                };
                if !seen.insert(key) {
                    warnings.push(format!(
                        "File {} loaded twice! ignoring. Please ensure version_locations is unique.",
                        real.display()
                    ));
                    continue;
                }
                if let Some(kind) = from_path_filter(&real, sourceless)? {
                    files.push(Found { path: real, kind });
                }
            }
        }
    }
    Ok((files, warnings))
}

/// `Script._from_path` up to the import: `None` for a file Alembic skips.
fn from_path_filter(real: &Path, sourceless: bool) -> Result<Option<NameKind>> {
    let name = real.file_name().map(|n| n.as_bytes()).unwrap_or(b"");
    let kind = match match_rev_name(name, sourceless) {
        None => return Ok(None),
        Some(Err(())) => {
            return Err(Error::script(format!(
                "The file name of {:?} ends with a newline; Alembic cannot load it. Rename or remove the file.",
                real.display().to_string()
            )));
        }
        Some(Ok(k)) => k,
    };
    if let NameKind::Compiled { pyo } = kind {
        let dir = real.parent().unwrap_or(Path::new("/"));
        // The `.py` name the compiled file stands for (`x.pyc` -> `x.py`).
        let py_name = &name[..name.len() - 1];
        let py = dir.join(OsStr::from_bytes(py_name));
        let mut pyc_name = py_name.to_vec();
        pyc_name.push(b'c');
        let pyc = dir.join(OsStr::from_bytes(&pyc_name));
        let py_exists_ = py_exists(&py).map_err(|e| io_error(&py, "check", e))?;
        let pyc_exists = py_exists(&pyc).map_err(|e| io_error(&pyc, "check", e))?;
        if py_exists_ || (pyo && pyc_exists) {
            return Ok(None);
        }
    }
    Ok(Some(kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(match_rev_name(b"abc.py", false), Some(Ok(NameKind::Source)));
        assert_eq!(match_rev_name(b"_x.py", false), Some(Ok(NameKind::Source)));
        assert_eq!(match_rev_name(b"__init__.py", false), None);
        assert_eq!(match_rev_name(b"__init__x.py", false), None);
        assert_eq!(match_rev_name(b".#abc.py", false), None);
        assert_eq!(match_rev_name(b"abc.pyc", false), None);
        assert_eq!(
            match_rev_name(b"abc.pyc", true),
            Some(Ok(NameKind::Compiled { pyo: false }))
        );
        assert_eq!(match_rev_name(b"a\nb.py", false), None);
        assert_eq!(match_rev_name(b"ab.py\n", false), Some(Err(())));
        assert_eq!(match_rev_name(b"ab.txt", true), None);
    }

    #[test]
    fn python_name_order() {
        let a = OsStr::from_bytes(b"\xe9.py");
        let b = OsStr::new("\u{e9}.py");
        // Python: '\udce9' > 'é'.
        assert_eq!(py_name_cmp(a, b), Ordering::Greater);
        assert_eq!(py_name_cmp(OsStr::new("B"), OsStr::new("a")), Ordering::Less);
    }

    #[test]
    fn path_names() {
        assert_eq!(py_path_name(Path::new("/a/b/")), "b");
        assert_eq!(py_path_name(Path::new("/a/b/.")), "b");
        assert_eq!(py_path_name(Path::new("/a/..")), "..");
        assert_eq!(py_path_name(Path::new("/")), "");
    }
}
