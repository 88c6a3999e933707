//! `monomig.sum`: a checksum file per service, in its first version location.
//!
//! ```text
//! monomig-sum v1 sha256:<hash of every line below>
//! 1a2b3c4d5e6f_create_users.py sha256:<hash of the file>
//! 7f8e9d0c1b2a_add_orders.py sha256:<hash of the file>
//! ```
//!
//! One line per revision file, its path relative to the folder of the sum file
//! (`/`-separated) and the SHA-256 of its contents with line endings normalised
//! (`\r\n` and lone `\r` read as `\n`, so a checkout with `core.autocrlf` hashes
//! alike). Lines come in the service's upgrade order (Alembic's own topological
//! order over the graph of [`crate::graph`], whose ties follow load order, i.e.
//! file names), then any file the graph could not place, in discovery order. The
//! header holds the hash of all those lines, so every change to any line changes
//! the header too: two branches that each add a revision both rewrite the header
//! (and the same end of the list), and git reports a conflict at review time
//! instead of letting two heads through.
//!
//! SHA-256 comes from the `sha2` crate (RustCrypto), which sqlx's PostgreSQL
//! driver already builds: no new code in the wheel, a widely audited
//! implementation, and the hash sqlx and Flyway users know. [`crate::hash`] stays
//! the non-cryptographic lock-key hash.
//!
//! - [`compute`] and [`write`]: the lines a service's files give, and the file;
//! - [`parse`]: a sum file's lines, its damaged lines and whether its header holds;
//! - [`check`]: the `check --all` findings (modified, deleted, renamed, unhashed
//!   revisions and a stale sum).

pub mod check;

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::graph::{Graph, Ident, IterateOptions, RevisionInput};
use crate::scripts::{self, ScriptSource};

/// The name of the checksum file in a service's first version location.
pub const FILE_NAME: &str = "monomig.sum";

/// The first word of the header line (the format's name and version).
const MAGIC: &str = "monomig-sum v1";
const PREFIX: &str = "sha256:";

/// A service as the sum sees it: its name and where its revision files are.
#[derive(Debug, Clone, Default)]
pub struct SumService {
    pub name: String,
    pub version_locations: Vec<PathBuf>,
    pub recursive: bool,
    pub sourceless: bool,
}

impl SumService {
    /// Where the service's sum file lives (None without a version location).
    pub fn sum_path(&self) -> Option<PathBuf> {
        self.version_locations.first().map(|l| l.join(FILE_NAME))
    }
}

/// One line of a sum: a revision file and the hash of its contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Relative to the sum file's folder, `/`-separated.
    pub path: String,
    /// `sha256:<64 hex digits>`.
    pub hash: String,
    /// The revision id, when the file can be read without importing it.
    pub revision: Option<String>,
}

impl Entry {
    fn line(&self) -> String {
        format!("{} {}", self.path, self.hash)
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// `sha256:<hex>` of `bytes` with `\r\n` and lone `\r` read as `\n`.
pub fn content_hash(bytes: &[u8]) -> String {
    let mut h = Sha256::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\r' {
            h.update(&bytes[start..i]);
            h.update(b"\n");
            if bytes.get(i + 1) == Some(&b'\n') {
                i += 1;
            }
            start = i + 1;
        }
        i += 1;
    }
    h.update(&bytes[start.min(bytes.len())..]);
    format!("{PREFIX}{}", hex(&h.finalize()))
}

/// [`content_hash`] of the file at `path`.
pub fn file_hash(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| {
        Error::script(format!("cannot read {} to hash it: {e}", path.display()))
            .at_path(path)
            .caused_by(e)
    })?;
    Ok(content_hash(&bytes))
}

/// The header's hash: SHA-256 over the entry lines, each ended by `\n`.
fn header_hash<'a>(lines: impl Iterator<Item = &'a str>) -> String {
    let mut h = Sha256::new();
    for l in lines {
        h.update(l.as_bytes());
        h.update(b"\n");
    }
    format!("{PREFIX}{}", hex(&h.finalize()))
}

/// `path` relative to `base`, `/`-separated (with `..` where it lies outside).
pub fn relative(path: &Path, base: &Path) -> String {
    let p: Vec<Component> = path.components().collect();
    let b: Vec<Component> = base.components().collect();
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<String> = Vec::new();
    for _ in common..b.len() {
        parts.push("..".to_owned());
    }
    for c in &p[common..] {
        parts.push(c.as_os_str().to_string_lossy().into_owned());
    }
    parts.join("/")
}

/// The service's revision files in sum order, with their revision ids when readable.
fn ordered_files(svc: &SumService) -> Result<Vec<(PathBuf, Option<String>)>> {
    let found = scripts::discover(&svc.version_locations, svc.recursive, svc.sourceless)
        .map_err(|e| e.for_service(svc.name.clone()))?;
    let mut inputs = Vec::new();
    let mut ids: Vec<Option<String>> = Vec::with_capacity(found.files.len());
    for path in &found.files {
        match scripts::read_revision_file(path) {
            Ok(ScriptSource::Static(f)) => {
                ids.push(Some(f.revision.clone()));
                inputs.push(RevisionInput::from(f));
            }
            _ => ids.push(None),
        }
    }
    let mut out: Vec<(PathBuf, Option<String>)> = Vec::with_capacity(found.files.len());
    let mut placed: HashSet<PathBuf> = HashSet::new();
    if let Ok(graph) = Graph::build(inputs) {
        let opts = IterateOptions {
            inclusive: true,
            assert_relative_length: false,
            ..IterateOptions::default()
        };
        let mut warnings = Vec::new();
        if let Ok(mut nodes) = graph.iterate_revisions(&Ident::str("heads"), &Ident::str("base"), opts, &mut warnings) {
            nodes.reverse();
            for n in nodes {
                if let Some(p) = graph.path(n)
                    && placed.insert(p.to_path_buf())
                {
                    out.push((p.to_path_buf(), graph.revision_id(n).map(str::to_owned)));
                }
            }
        }
    }
    for (path, id) in found.files.iter().zip(ids) {
        if !placed.contains(path) {
            out.push((path.clone(), id));
        }
    }
    Ok(out)
}

/// The lines the service's revision files give now, in sum order.
pub fn compute(svc: &SumService) -> Result<Vec<Entry>> {
    let Some(base) = svc.version_locations.first() else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (path, revision) in ordered_files(svc)? {
        let hash = file_hash(&path).map_err(|e| e.for_service(svc.name.clone()))?;
        out.push(Entry {
            path: relative(&path, base),
            hash,
            revision,
        });
    }
    Ok(out)
}

/// The text of a sum file holding `entries`.
pub fn render(entries: &[Entry]) -> String {
    let lines: Vec<String> = entries.iter().map(Entry::line).collect();
    let mut text = format!("{MAGIC} {}\n", header_hash(lines.iter().map(String::as_str)));
    for l in &lines {
        text.push_str(l);
        text.push('\n');
    }
    text
}

/// A sum file as read.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    /// The entries with their 1-based line numbers.
    pub entries: Vec<(usize, Entry)>,
    /// Lines that are neither a header nor `<path> sha256:<hex>`: line number and why.
    pub damaged: Vec<(usize, String)>,
    /// Whether the first line is a header whose hash matches the lines below it.
    pub header_ok: bool,
    /// Why the header does not hold, when it does not.
    pub header_problem: Option<String>,
}

fn valid_hash(h: &str) -> bool {
    h.strip_prefix(PREFIX)
        .is_some_and(|x| x.len() == 64 && x.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
}

/// Read the text of a sum file (git conflict markers and hand edits included).
pub fn parse(text: &str) -> Parsed {
    let mut out = Parsed::default();
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l.trim_end_matches('\r')));
    let header = lines.next();
    let mut body: Vec<&str> = Vec::new();
    for (no, line) in lines {
        body.push(line);
        let entry = line
            .rsplit_once(' ')
            .filter(|(p, h)| !p.trim().is_empty() && valid_hash(h));
        match entry {
            Some((p, h)) => out.entries.push((
                no,
                Entry {
                    path: p.to_owned(),
                    hash: h.to_owned(),
                    revision: None,
                },
            )),
            None => {
                let why = if line.starts_with("<<<<<<<") || line.starts_with("=======") || line.starts_with(">>>>>>>") {
                    "a git conflict marker: two branches changed the revisions at once; merge the \
                     revision files, then run `monomig hash` to write the sum again"
                } else {
                    "not a line of the form `<path> sha256:<64 hex digits>`"
                };
                out.damaged.push((no, why.to_owned()));
            }
        }
    }
    match header {
        None => out.header_problem = Some("the file is empty: it has no header line".to_owned()),
        Some((_, h)) => match h.strip_prefix(MAGIC).map(str::trim) {
            Some(hash) if valid_hash(hash) => {
                if header_hash(body.iter().copied()) == hash {
                    out.header_ok = true;
                } else {
                    out.header_problem = Some(
                        "its header hash does not match the lines below it (a merge or a hand edit \
                         changed them)"
                            .to_owned(),
                    );
                }
            }
            _ => {
                out.header_problem = Some(format!(
                    "its first line is not a header `{MAGIC} sha256:<64 hex digits>`"
                ));
            }
        },
    }
    out
}

/// What [`write`] did.
#[derive(Debug, Clone)]
pub struct Written {
    pub path: PathBuf,
    /// How many revision files the sum holds.
    pub files: usize,
    /// False when the file already held exactly this text.
    pub changed: bool,
}

/// Write the service's sum file from its revision files as they are now.
pub fn write(svc: &SumService) -> Result<Written> {
    let Some(path) = svc.sum_path() else {
        return Err(Error::config(format!(
            "service '{}' has no version location to write {FILE_NAME} into; set version_locations \
             (or script_location) in its section.",
            svc.name
        ))
        .for_service(svc.name.clone()));
    };
    if let Some(dir) = path.parent()
        && !dir.is_dir()
    {
        return Err(Error::config(format!(
            "service '{}': its version location {} does not exist, so {FILE_NAME} cannot be written \
             there; create the folder or correct version_locations in its section.",
            svc.name,
            dir.display()
        ))
        .for_service(svc.name.clone()));
    }
    let entries = compute(svc)?;
    let text = render(&entries);
    let changed = std::fs::read_to_string(&path).map(|old| old != text).unwrap_or(true);
    if changed {
        // A sibling file renamed over the old one: a reader never sees half a sum.
        let tmp = path.with_file_name(format!(".{FILE_NAME}.{}.tmp", std::process::id()));
        std::fs::write(&tmp, text.as_bytes())
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|e| {
                let _ = std::fs::remove_file(&tmp);
                Error::config(format!("service '{}': cannot write {}: {e}", svc.name, path.display()))
                    .at_path(&path)
                    .for_service(svc.name.clone())
                    .caused_by(e)
            })?;
    }
    Ok(Written {
        path,
        files: entries.len(),
        changed,
    })
}

#[cfg(test)]
mod tests;
