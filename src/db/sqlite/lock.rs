//! SQLite's side of a migration lock: an exclusive `flock` on `<database file>.monomig-lock`,
//! never a lock inside the database; while held, the file holds the holder's description
//! (one JSON object). The file is never deleted (deleting a lock file races with processes
//! waiting on it). There is one lock file per database file, so every lock name on one
//! SQLite database is the same lock: coarser than on the servers, and harmless, since
//! SQLite admits one writer at a time anyway.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

/// The name of the lock file for a database file.
pub fn lock_path(db: &Path) -> PathBuf {
    let mut s = db.as_os_str().to_owned();
    s.push(".monomig-lock");
    PathBuf::from(s)
}

/// The lock file of a database file, beside the real file when the path goes through a symlink.
pub(crate) fn lock_path_of(db: &Path) -> PathBuf {
    let real = std::fs::canonicalize(db).unwrap_or_else(|_| db.to_path_buf());
    lock_path(&real)
}

/// Open (creating it if needed) the lock file, without locking it.
pub(crate) fn open(path: &Path) -> std::io::Result<File> {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
}

/// `flock(LOCK_EX | LOCK_NB)`: `Ok(true)` when this descriptor now holds the lock,
/// `Ok(false)` when another one does.
pub(crate) fn try_lock(file: &File) -> std::io::Result<bool> {
    // SAFETY: flock on a descriptor we own.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        return Ok(true);
    }
    let err = std::io::Error::last_os_error();
    if err.raw_os_error() == Some(libc::EWOULDBLOCK) || err.kind() == std::io::ErrorKind::Interrupted {
        Ok(false)
    } else {
        Err(err)
    }
}

/// Write the holder's description into the held lock file. Holding without a description
/// is still a correct lock, so a failure here is ignored.
pub(crate) fn describe(file: &mut File, description: &str) {
    let _ = file
        .set_len(0)
        .and_then(|_| file.rewind())
        .and_then(|_| file.write_all(description.as_bytes()))
        .and_then(|_| file.write_all(b"\n"))
        .and_then(|_| file.flush());
}

/// Empty the description and unlock; closing the file afterwards frees it anyway.
pub(crate) fn unlock(file: File) -> std::io::Result<()> {
    let _ = file.set_len(0);
    // SAFETY: flock on a descriptor we own.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_UN) };
    drop(file);
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// The holder's description, read from the lock file. None when it has none (the lock is
/// free, or its holder died before writing one).
pub(crate) fn holder(path: &Path) -> Option<String> {
    let mut text = String::new();
    File::open(path).ok()?.read_to_string(&mut text).ok()?;
    let v: serde_json::Value = serde_json::from_str(text.trim()).ok()?;
    let mut s = String::from("monomig");
    if let Some(svc) = v.get("service").and_then(|x| x.as_str()) {
        s.push_str(&format!(" for service '{svc}'"));
    }
    if let Some(pid) = v.get("pid").and_then(|x| x.as_u64()) {
        s.push_str(&format!(", pid {pid}"));
    }
    if let Some(host) = v.get("host").and_then(|x| x.as_str()) {
        s.push_str(&format!(" on host '{host}'"));
    }
    if let Some(since) = v.get("started").and_then(|x| x.as_str()) {
        s.push_str(&format!(", since {since}"));
    }
    s.push_str(&format!(" (see {})", path.display()));
    Some(s)
}

/// The lock name the holder wrote into the lock file (`"lock"`), if it wrote one.
pub(crate) fn holder_lock_name(path: &Path) -> Option<String> {
    let mut text = String::new();
    File::open(path).ok()?.read_to_string(&mut text).ok()?;
    let v: serde_json::Value = serde_json::from_str(text.trim()).ok()?;
    v.get("lock").and_then(|x| x.as_str()).map(str::to_owned)
}

/// Whether some process holds a `flock` on the file at `path`, found without taking or
/// waiting for the lock: the kernel's table of locks (`/proc/locks`) lists every `FLOCK`
/// with the file's device and inode and the pid that took it. Returns the pids holding it
/// (empty when it is free), or None where the kernel offers no such table.
pub(crate) fn flock_holders(path: &Path) -> Option<Vec<u32>> {
    use std::os::unix::fs::MetadataExt;
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        // No lock file: nobody ever locked this database.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Some(Vec::new()),
        Err(_) => return None,
    };
    let table = std::fs::read_to_string("/proc/locks").ok()?;
    Some(pids_in_lock_table(&table, meta.dev(), meta.ino()))
}

/// The pids of the `FLOCK` entries for the file `(dev, ino)` in the text of `/proc/locks`
/// (`1: FLOCK  ADVISORY  WRITE 4242 fd:01:1234 0 EOF`; blocked waiters, marked `->`, are
/// not holders).
fn pids_in_lock_table(table: &str, dev: u64, ino: u64) -> Vec<u32> {
    let major = libc::major(dev);
    let minor = libc::minor(dev);
    let mut pids = Vec::new();
    for line in table.lines() {
        let mut fields = line.split_whitespace();
        let _ordinal = fields.next();
        // A waiter blocked on the lock is marked "->": it does not hold it.
        if fields.next() != Some("FLOCK") {
            continue;
        }
        let (_advisory, _mode) = (fields.next(), fields.next());
        let (Some(pid), Some(file)) = (fields.next(), fields.next()) else {
            continue;
        };
        let mut parts = file.split(':');
        let (Some(ma), Some(mi), Some(inode)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let same = u32::from_str_radix(ma, 16).ok() == Some(major)
            && u32::from_str_radix(mi, 16).ok() == Some(minor)
            && inode.parse::<u64>().ok() == Some(ino);
        if same && let Ok(pid) = pid.parse::<u32>() {
            pids.push(pid);
        }
    }
    pids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_kernel_lock_table() {
        let dev = libc::makedev(0xfd, 1);
        let table = "1: POSIX  ADVISORY  WRITE 10 fd:01:99 0 EOF\n\
                     2: FLOCK  ADVISORY  WRITE 4242 fd:01:1234 0 EOF\n\
                     2: -> FLOCK  ADVISORY  WRITE 4343 fd:01:1234 0 EOF\n\
                     3: FLOCK  ADVISORY  WRITE 77 fd:02:1234 0 EOF\n";
        assert_eq!(pids_in_lock_table(table, dev, 1234), vec![4242]);
        assert!(pids_in_lock_table(table, dev, 99).is_empty());
    }

    #[test]
    fn sees_a_held_flock_without_taking_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.db.monomig-lock");
        let held = open(&path).unwrap();
        assert_eq!(flock_holders(&path), Some(Vec::new()));
        assert!(try_lock(&held).unwrap());
        assert_eq!(flock_holders(&path), Some(vec![std::process::id()]));
        unlock(held).unwrap();
        assert_eq!(flock_holders(&path), Some(Vec::new()));
    }
}
