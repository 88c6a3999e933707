//! The scan cache: what reading each revision file gave, kept between runs, so
//! that a command on an unchanged repository checks each file's status
//! (one `stat`) instead of opening, reading and parsing it.
//!
//! **When an entry is used.** Only when the file at that resolved path still has
//! the device, inode, size, modification time and status-change time (both to
//! the nanosecond) it had when it was read. The status-change time (ctime) is set
//! by the kernel on every write, rename or `utime` and cannot be set back by a
//! program, so an edit that keeps the size and restores the modification time
//! is still seen. A file changed less than [`RACY_NANOS`] before the scan began
//! is read but not stored: a second change within the same timestamp tick could
//! keep every one of those values. For monomig's own tests only, the environment
//! variable `MONOMIG_TEST_SCAN_SETTLE_MS` (milliseconds) replaces that window, so
//! that the cache tests need not wait two seconds for their files to settle; it is
//! not meant for users (a window shorter than the file system's timestamp tick
//! would let a quick second edit go unseen).
//!
//! **What the cache is keyed by.** One file per (absolute version locations,
//! `recursive`, `sourceless`, Python dialect, reader build): the reader build is
//! a hash of the reader's own source (`build.rs`), so a different monomig never
//! reads another build's answers. Discovery (which files, in which order, the
//! "loaded twice" warnings) is never cached; errors are never cached.
//!
//! **Damage.** The file ends with a checksum of its contents; a file that is
//! short, damaged, of another format, unreadable or owned by another user is
//! ignored and replaced. A
//! cache that cannot be written (read-only home, full disk) is skipped without
//! a word: the scan's answer never depends on the cache.
//!
//! **Where.** `MONOMIG_CACHE_DIR`, else `$XDG_CACHE_HOME/monomig`, else
//! `~/.cache/monomig`; `MONOMIG_CACHE=0` (or `false`, `no`, `off`) turns it off.
//! Files are written to a temporary name and renamed, so concurrent commands
//! see either the old file or the new one. Writing one removes this user's cache
//! files not rewritten for [`STALE_AFTER`] (30 days), so the folder does not grow
//! with every repository and monomig version ever used.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::fs;
use std::io::Write;
use std::ops::Range;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{Dialect, RevisionFile, ScriptSource};

/// Files whose status changed less than this long before the scan are not stored.
pub const RACY_NANOS: i128 = 2_000_000_000;

/// The test-only override of [`RACY_NANOS`] (see the module documentation).
const SETTLE_VAR: &str = "MONOMIG_TEST_SCAN_SETTLE_MS";

/// The settle window in nanoseconds: [`RACY_NANOS`] unless `MONOMIG_TEST_SCAN_SETTLE_MS`
/// holds a whole number of milliseconds.
fn settle_nanos(var: impl Fn(&str) -> Option<std::ffi::OsString>) -> i128 {
    var(SETTLE_VAR)
        .and_then(|v| v.to_str().and_then(|v| v.trim().parse::<u32>().ok()))
        .map_or(RACY_NANOS, |ms| i128::from(ms) * 1_000_000)
}

const MAGIC: &[u8; 8] = b"MMSCAN02";
const READER_HASH: &str = env!("MONOMIG_READER_HASH");

/// The values that must be unchanged for a stored entry to be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stamp {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: i64,
    mtime_nsec: i64,
    ctime: i64,
    ctime_nsec: i64,
}

impl Stamp {
    /// The stamp of a regular file; None for anything else.
    pub(crate) fn of(meta: &fs::Metadata) -> Option<Stamp> {
        if !meta.is_file() {
            return None;
        }
        Some(Stamp {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime: meta.mtime(),
            mtime_nsec: meta.mtime_nsec(),
            ctime: meta.ctime(),
            ctime_nsec: meta.ctime_nsec(),
        })
    }

    fn changed_nanos(&self) -> i128 {
        let m = i128::from(self.mtime) * 1_000_000_000 + i128::from(self.mtime_nsec);
        let c = i128::from(self.ctime) * 1_000_000_000 + i128::from(self.ctime_nsec);
        m.max(c)
    }
}

/// The cache folder chosen by the environment (see the module documentation).
pub fn dir_from_env() -> Option<PathBuf> {
    dir_from(|name| std::env::var_os(name))
}

fn dir_from(var: impl Fn(&str) -> Option<std::ffi::OsString>) -> Option<PathBuf> {
    if let Some(v) = var("MONOMIG_CACHE") {
        let v = v.to_string_lossy().trim().to_ascii_lowercase();
        if matches!(v.as_str(), "0" | "false" | "no" | "off") {
            return None;
        }
    }
    let nonempty = |name: &str| var(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(d) = nonempty("MONOMIG_CACHE_DIR") {
        return Some(d);
    }
    if let Some(d) = nonempty("XDG_CACHE_HOME").filter(|d| d.is_absolute()) {
        return Some(d.join("monomig"));
    }
    nonempty("HOME").map(|h| h.join(".cache").join("monomig"))
}

fn fnv(hash: &mut u64, bytes: &[u8]) {
    for &b in bytes {
        *hash ^= u64::from(b);
        *hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
}

const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;

/// The stored answers for one scan's options, and what this run adds to them.
pub(crate) struct ScanCache {
    /// None: no cache (nothing is found, nothing is stored).
    file: Option<PathBuf>,
    /// The cache file's bytes (checked), which the slots point into.
    bytes: Vec<u8>,
    slots: Vec<Slot>,
    /// Slot positions by path hash, for files that moved in the load order.
    by_path: OnceLock<HashMap<u64, Vec<u32>>>,
    started: i128,
    /// Files changed less than this many nanoseconds before `started` are not stored.
    settle: i128,
}

/// One stored entry: the stamp, and where its path and answer are in `bytes`.
struct Slot {
    stamp: Stamp,
    path: Range<usize>,
    answer: Range<usize>,
}

/// What the cache made of one file. It lives for one call, so `Hit` stays
/// unboxed rather than cost an allocation for each cached file.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Lookup {
    /// The stored answer still holds.
    Hit(ScriptSource, Stamp),
    /// Read the file.
    Miss,
}

impl ScanCache {
    /// The cache for these scan options under `dir` (empty when there is none yet
    /// or it cannot be used).
    pub(crate) fn open(
        dir: &Path,
        locations: &[PathBuf],
        recursive: bool,
        sourceless: bool,
        dialect: &Dialect,
    ) -> ScanCache {
        let started = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as i128);
        let mut key = FNV_START;
        fnv(&mut key, READER_HASH.as_bytes());
        for loc in locations {
            let abs = std::path::absolute(loc).unwrap_or_else(|_| loc.clone());
            fnv(&mut key, abs.as_os_str().as_bytes());
            fnv(&mut key, b"\0");
        }
        fnv(
            &mut key,
            &[
                u8::from(recursive),
                u8::from(sourceless),
                u8::from(dialect.clean_docstrings),
                u8::from(dialect.dir_symlinks_as_files),
                u8::from(dialect.symlink_loops_fail),
                u8::from(dialect.ids.colon_allowed),
            ],
        );
        let file = dir.join(format!("scan-{key:016x}.bin"));
        let bytes = read_own(&file).unwrap_or_default();
        let slots = index(&bytes).unwrap_or_default();
        ScanCache {
            file: Some(file),
            bytes,
            slots,
            by_path: OnceLock::new(),
            started,
            settle: settle_nanos(|name| std::env::var_os(name)),
        }
    }

    /// No cache: every lookup misses and nothing is stored.
    pub(crate) fn none() -> ScanCache {
        ScanCache {
            file: None,
            bytes: Vec::new(),
            slots: Vec::new(),
            by_path: OnceLock::new(),
            started: 0,
            settle: RACY_NANOS,
        }
    }

    /// The stored answer for the file at `path` (the `position`th file of the
    /// load order), if the file is unchanged since it was stored.
    pub(crate) fn lookup(&self, position: usize, path: &Path) -> Lookup {
        if self.slots.is_empty() {
            return Lookup::Miss; // no cache, or nothing stored yet
        }
        let want = path.as_os_str().as_bytes();
        let slot = match self.slots.get(position) {
            Some(s) if &self.bytes[s.path.clone()] == want => Some(s),
            _ => self.find(want),
        };
        let Some(slot) = slot else {
            return Lookup::Miss;
        };
        let now = match fs::metadata(path).ok().as_ref().and_then(Stamp::of) {
            Some(now) if now == slot.stamp => now,
            _ => return Lookup::Miss,
        };
        match answer(path, &self.bytes[slot.answer.clone()]) {
            Some(source) => Lookup::Hit(source, now),
            None => Lookup::Miss,
        }
    }

    fn find(&self, path: &[u8]) -> Option<&Slot> {
        let map = self.by_path.get_or_init(|| {
            let mut map: HashMap<u64, Vec<u32>> = HashMap::with_capacity(self.slots.len());
            for (i, s) in self.slots.iter().enumerate() {
                map.entry(path_hash(&self.bytes[s.path.clone()]))
                    .or_default()
                    .push(i as u32);
            }
            map
        });
        map.get(&path_hash(path))?
            .iter()
            .map(|&i| &self.slots[i as usize])
            .find(|s| &self.bytes[s.path.clone()] == path)
    }

    /// Whether an answer read from a file with this stamp may be stored.
    pub(crate) fn storable(&self, stamp: &Stamp) -> bool {
        self.file.is_some() && stamp.changed_nanos() < self.started - self.settle
    }

    /// Store this scan's `entries` in place of the stored ones, unless they are
    /// the same (nothing was read afresh and nothing was dropped). Failures are ignored.
    /// Returns whether the cache file was written.
    pub(crate) fn save(&self, entries: &[(Stamp, &ScriptSource)], any_fresh: bool) -> bool {
        if !any_fresh && entries.len() == self.slots.len() {
            return false;
        }
        self.write(&encode(entries)).is_ok()
    }

    fn write(&self, bytes: &[u8]) -> std::io::Result<()> {
        let Some(file) = &self.file else {
            return Err(std::io::Error::other("no cache"));
        };
        let dir = file.parent().unwrap_or(Path::new("."));
        fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = file.file_name().unwrap_or(OsStr::new("scan.bin")).to_string_lossy();
        let tmp = dir.join(format!(".{name}.{}.{nanos}.tmp", std::process::id()));
        let result = (|| {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(bytes)?;
            fs::rename(&tmp, file)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        } else {
            prune(dir, SystemTime::now());
        }
        result
    }
}

/// A cache file not rewritten for this long is removed when another one is written
/// (a repository gone, or an older monomig's files); one in use is only read again.
pub const STALE_AFTER: Duration = Duration::from_secs(30 * 24 * 3600);
/// A temporary file of a writer that died.
const STALE_TMP_AFTER: Duration = Duration::from_secs(3600);

/// Remove this user's stale cache files (and temporary files) from `dir`.
fn prune(dir: &Path, now: SystemTime) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let b = name.as_bytes();
        let limit = if b.starts_with(b"scan-") && b.ends_with(b".bin") {
            STALE_AFTER
        } else if b.starts_with(b".scan-") && b.ends_with(b".tmp") {
            STALE_TMP_AFTER
        } else {
            continue;
        };
        let Ok(meta) = entry.metadata() else {
            continue;
        };
        let age = meta.modified().ok().and_then(|m| now.duration_since(m).ok());
        if meta.is_file() && meta.uid() == me && age.is_some_and(|a| a > limit) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// The bytes of a cache file this user owns (one planted by someone else in a
/// shared cache folder is not trusted).
fn read_own(file: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut f = fs::File::open(file)?;
    let meta = f.metadata()?;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if !meta.is_file() || meta.uid() != me {
        return Err(std::io::Error::other("not a cache file of this user"));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    f.read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn path_hash(path: &[u8]) -> u64 {
    let mut h = FNV_START;
    fnv(&mut h, path);
    h
}

// ------------------------------------------------------------------- format
//
// MAGIC, entry count (u32), entries, checksum (u64) of everything before it.
// An entry: the stamp (7 x u64), the path, the answer (u32 length + bytes).
// An answer: 0, revision, u8 revision_from_filename, down_revision,
// branch_labels, depends_on, optional module docstring (Alembic's `doc` and
// `longdoc` follow from it); or 1, the reason the file needs import.
// Integers little-endian; strings as u32 length + bytes; lists as u32 count +
// strings; an optional string as u8 0/1 + string.

/// A checksum that changes whenever any one word does (each step is a bijection).
fn checksum(bytes: &[u8]) -> u64 {
    let mut h: u64 = FNV_START ^ bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes(c.try_into().unwrap_or_default());
        h = (h.rotate_left(23) ^ w).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
    let mut last = [0u8; 8];
    last[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
    (h.rotate_left(23) ^ u64::from_le_bytes(last)).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

fn encode(entries: &[(Stamp, &ScriptSource)]) -> Vec<u8> {
    let mut w = Writer(Vec::with_capacity(64 + entries.len() * 256));
    w.0.extend_from_slice(MAGIC);
    w.u32(entries.len() as u32);
    let mut answer = Writer(Vec::with_capacity(256));
    for (st, source) in entries {
        for v in [st.dev, st.ino, st.size] {
            w.u64(v);
        }
        for v in [st.mtime, st.mtime_nsec, st.ctime, st.ctime_nsec] {
            w.u64(v as u64);
        }
        w.bytes(source.path().as_os_str().as_bytes());
        answer.0.clear();
        match source {
            ScriptSource::Static(f) => {
                answer.u8(0);
                answer.str(&f.revision);
                answer.u8(u8::from(f.revision_from_filename));
                answer.list(&f.down_revision);
                answer.list(&f.branch_labels);
                answer.list(&f.depends_on);
                match &f.module_doc {
                    None => answer.u8(0),
                    Some(d) => {
                        answer.u8(1);
                        answer.str(d);
                    }
                }
            }
            ScriptSource::NeedsImport { reason, .. } => {
                answer.u8(1);
                answer.str(reason);
            }
        }
        answer.list(source.module_imports());
        w.bytes(&answer.0);
    }
    let sum = checksum(&w.0);
    w.u64(sum);
    w.0
}

/// The slots of a cache file; None when it is damaged or of another format.
fn index(bytes: &[u8]) -> Option<Vec<Slot>> {
    let body_len = bytes.len().checked_sub(8)?;
    let (body, tail) = bytes.split_at(body_len);
    if tail != checksum(body).to_le_bytes() || !body.starts_with(MAGIC) {
        return None;
    }
    let mut r = Reader {
        b: body,
        at: MAGIC.len(),
    };
    let n = r.u32()? as usize;
    let mut slots = Vec::with_capacity(n.min(body.len() / 64));
    for _ in 0..n {
        let stamp = Stamp {
            dev: r.u64()?,
            ino: r.u64()?,
            size: r.u64()?,
            mtime: r.u64()? as i64,
            mtime_nsec: r.u64()? as i64,
            ctime: r.u64()? as i64,
            ctime_nsec: r.u64()? as i64,
        };
        let path = r.range()?;
        let answer = r.range()?;
        slots.push(Slot { stamp, path, answer });
    }
    (r.at == body.len()).then_some(slots)
}

/// A stored answer for the file at `path`.
fn answer(path: &Path, bytes: &[u8]) -> Option<ScriptSource> {
    let mut r = Reader { b: bytes, at: 0 };
    let source = match r.u8()? {
        0 => {
            let revision = r.string()?;
            let revision_from_filename = r.u8()? != 0;
            let down_revision = r.list()?;
            let branch_labels = r.list()?;
            let depends_on = r.list()?;
            let module_doc = match r.u8()? {
                0 => None,
                1 => Some(r.string()?),
                _ => return None,
            };
            let (doc, longdoc) = super::literal::alembic_docs(module_doc.as_deref());
            let module_imports = r.list()?;
            ScriptSource::Static(RevisionFile {
                path: path.to_path_buf(),
                revision,
                revision_from_filename,
                down_revision,
                branch_labels,
                depends_on,
                module_doc,
                doc,
                longdoc,
                module_imports,
            })
        }
        1 => ScriptSource::NeedsImport {
            path: path.to_path_buf(),
            reason: r.string()?,
            module_imports: r.list()?,
        },
        _ => return None,
    };
    (r.at == bytes.len()).then_some(source)
}

struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn bytes(&mut self, b: &[u8]) {
        self.u32(b.len() as u32);
        self.0.extend_from_slice(b);
    }
    fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }
    fn list(&mut self, items: &[String]) {
        self.u32(items.len() as u32);
        for s in items {
            self.str(s);
        }
    }
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.b.len())?;
        let head = &self.b[self.at..end];
        self.at = end;
        Some(head)
    }
    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn range(&mut self) -> Option<Range<usize>> {
        let n = self.u32()? as usize;
        let start = self.at;
        self.take(n)?;
        Some(start..start + n)
    }
    fn string(&mut self) -> Option<String> {
        String::from_utf8(self.take_counted()?.to_vec()).ok()
    }
    fn take_counted(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()? as usize;
        self.take(n)
    }
    fn list(&mut self) -> Option<Vec<String>> {
        let n = self.u32()? as usize;
        if n > self.b.len() - self.at {
            return None;
        }
        (0..n).map(|_| self.string()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(path: &str) -> ScriptSource {
        ScriptSource::Static(RevisionFile {
            path: PathBuf::from(path),
            revision: "abc".into(),
            revision_from_filename: false,
            down_revision: vec!["x".into(), "y".into()],
            branch_labels: vec![],
            depends_on: vec!["z".into()],
            module_doc: Some("Doc\n\nmore".into()),
            doc: "Doc".into(),
            longdoc: "Doc\n\nmore".into(),
            module_imports: vec!["sqlalchemy".into(), "alembic".into()],
        })
    }

    fn stamp() -> Stamp {
        Stamp {
            dev: 1,
            ino: 2,
            size: 3,
            mtime: 4,
            mtime_nsec: 5,
            ctime: 6,
            ctime_nsec: 7,
        }
    }

    #[test]
    fn round_trip() {
        let one = sample("/a/1.py");
        let two = ScriptSource::NeedsImport {
            path: "/a/2.py".into(),
            reason: "computed".into(),
            module_imports: vec!["neutron.db.migration".into()],
        };
        let bytes = encode(&[(stamp(), &one), (stamp(), &two)]);
        let slots = index(&bytes).unwrap();
        assert_eq!(slots.len(), 2);
        assert_eq!(&bytes[slots[1].path.clone()], b"/a/2.py");
        assert_eq!(slots[0].stamp, stamp());
        assert_eq!(answer(Path::new("/a/1.py"), &bytes[slots[0].answer.clone()]), Some(one));
        assert_eq!(answer(Path::new("/a/2.py"), &bytes[slots[1].answer.clone()]), Some(two));
    }

    #[test]
    fn every_damage_is_refused() {
        let one = sample("/a/1.py");
        let bytes = encode(&[(stamp(), &one)]);
        for cut in 0..bytes.len() {
            assert!(index(&bytes[..cut]).is_none(), "truncated at {cut}");
        }
        for i in 0..bytes.len() {
            for bit in [0x01, 0x20, 0x80] {
                let mut b = bytes.clone();
                b[i] ^= bit;
                assert!(index(&b).is_none(), "byte {i} changed");
            }
        }
    }

    #[test]
    fn stale_files_are_pruned_when_another_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("scan-0000000000000001.bin");
        let fresh = dir.path().join("scan-0000000000000002.bin");
        let tmp = dir.path().join(".scan-0000000000000003.bin.1.2.tmp");
        let other = dir.path().join("notes.txt");
        for p in [&old, &fresh, &tmp, &other] {
            fs::write(p, b"x").unwrap();
        }
        let long_ago = SystemTime::now() - STALE_AFTER - Duration::from_secs(60);
        for p in [&old, &tmp, &other] {
            fs::File::options()
                .write(true)
                .open(p)
                .unwrap()
                .set_modified(long_ago)
                .unwrap();
        }
        prune(dir.path(), SystemTime::now());
        assert!(!old.exists() && !tmp.exists());
        assert!(fresh.exists() && other.exists());
    }

    /// An environment holding only `pairs`, as the lookups in this module read one.
    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<std::ffi::OsString> {
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| std::ffi::OsString::from(v))
        }
    }

    #[test]
    fn folder_from_environment() {
        assert_eq!(
            dir_from(env(&[("HOME", "/h")])),
            Some(PathBuf::from("/h/.cache/monomig"))
        );
        assert_eq!(
            dir_from(env(&[("HOME", "/h"), ("XDG_CACHE_HOME", "/x")])),
            Some(PathBuf::from("/x/monomig"))
        );
        assert_eq!(
            dir_from(env(&[("HOME", "/h"), ("XDG_CACHE_HOME", "rel")])),
            Some(PathBuf::from("/h/.cache/monomig"))
        );
        assert_eq!(
            dir_from(env(&[("HOME", "/h"), ("MONOMIG_CACHE_DIR", "/c")])),
            Some(PathBuf::from("/c"))
        );
        assert_eq!(dir_from(env(&[("HOME", "/h"), ("MONOMIG_CACHE", "off")])), None);
        assert_eq!(dir_from(env(&[])), None);
    }

    #[test]
    fn the_settle_window_has_a_test_override() {
        assert_eq!(settle_nanos(env(&[])), RACY_NANOS);
        assert_eq!(settle_nanos(env(&[(SETTLE_VAR, "150")])), 150_000_000);
        assert_eq!(settle_nanos(env(&[(SETTLE_VAR, "0")])), 0);
        assert_eq!(settle_nanos(env(&[(SETTLE_VAR, "soon")])), RACY_NANOS);
        assert_eq!(settle_nanos(env(&[(SETTLE_VAR, "-5")])), RACY_NANOS);
    }
}
