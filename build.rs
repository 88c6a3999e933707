//! Build script: a hash of the revision-file reader's own source code, so that the
//! scan cache (`src/scripts/cache.rs`) of one build is never read by a build whose
//! reader could answer differently.

use std::fs;
use std::path::Path;

fn main() {
    let dir = Path::new("src/scripts");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut names: Vec<_> = fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    names.sort();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for &b in bytes {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    feed(env!("CARGO_PKG_VERSION").as_bytes());
    for path in &names {
        feed(path.to_string_lossy().as_bytes());
        feed(&fs::read(path).unwrap_or_default());
    }
    println!("cargo:rustc-env=MONOMIG_READER_HASH={hash:016x}");
}
