//! A small mutation fuzzer that runs on stable Rust as an ordinary integration test.
//!
//! Each target (`tests/fuzz_*.rs`) includes this file with
//! `#[path = "../fuzz/harness.rs"] mod harness;` and calls [`run`] with its seed corpus
//! (`fuzz/corpus/<target>/`), its dictionary of tokens and the function under test.
//!
//! - Inputs are corpus entries mutated by a seeded RNG: byte flips, bit flips, inserted
//!   and overwritten dictionary tokens, deleted, duplicated and repeated ranges, and
//!   splices between two corpus entries. `MONOMIG_FUZZ_SEED` picks the seed (default:
//!   fixed, so `cargo test` is reproducible).
//! - `MONOMIG_FUZZ_CASES=N` sets the number of cases (default [`DEFAULT_CASES`]);
//!   `MONOMIG_FUZZ_SECONDS=S` runs for S seconds instead (or as well: the first limit
//!   reached stops the run).
//! - Every case runs under `catch_unwind`: a panic is a failure, and its input is saved
//!   to `fuzz/crashes/<target>-<hash>.bin` for replay (`MONOMIG_FUZZ_REPLAY=<file>`).
//! - A watchdog thread fails the run, saving the input, when one case takes longer than
//!   [`HANG_LIMIT`] (a hang or a blow-up); the slowest case is reported either way.

#![allow(dead_code)]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Cases per target in a plain `cargo test` run.
pub const DEFAULT_CASES: u64 = 3000;

/// One case taking longer than this (in a debug build, on a loaded machine) is a hang.
pub const HANG_LIMIT: Duration = Duration::from_secs(20);

/// A seeded xorshift64* generator: tiny, fast and reproducible.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        // splitmix64 of the seed, so small seeds give good states.
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Rng((z ^ (z >> 31)) | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
}

/// The repository root (where `fuzz/` lives).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The folders whose files seed a target besides `fuzz/corpus/<target>/`: the
/// test fixtures and the demo's revision files, read where they live (not copied).
fn seed_folders(target: &str) -> &'static [&'static str] {
    match target {
        "revfile" => &[
            "tests/fixtures/revfiles",
            "migrations/versions/service_one",
            "migrations/versions/service_two",
        ],
        "ini" => &["tests/fixtures/ini"],
        _ => &[],
    }
}

/// The seed corpus of `target`: every file of `fuzz/corpus/<target>/` and of its
/// [`seed_folders`] (not their subfolders, not README.md), sorted by file name.
pub fn load_corpus(target: &str) -> Vec<Vec<u8>> {
    let own = root().join("fuzz").join("corpus").join(target);
    let mut files: Vec<PathBuf> = Vec::new();
    for dir in std::iter::once(own.clone()).chain(seed_folders(target).iter().map(|d| root().join(d))) {
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("corpus {}: {e}", dir.display()));
        files.extend(
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != "README.md")),
        );
    }
    files.sort_by(|a, b| (a.file_name(), a).cmp(&(b.file_name(), b)));
    let corpus: Vec<Vec<u8>> = files.iter().filter_map(|p| std::fs::read(p).ok()).collect();
    assert!(!corpus.is_empty(), "empty corpus {}", own.display());
    corpus
}

fn pick_range(rng: &mut Rng, len: usize) -> (usize, usize) {
    if len == 0 {
        return (0, 0);
    }
    let a = rng.below(len + 1);
    let max = (len - a).min(if rng.chance(4) { 4096 } else { 32 });
    let n = if max == 0 { 0 } else { rng.below(max + 1) };
    (a, a + n)
}

/// One mutation step.
pub fn mutate_once(rng: &mut Rng, data: &mut Vec<u8>, corpus: &[Vec<u8>], dict: &[&[u8]]) {
    let len = data.len();
    match rng.below(11) {
        // Flip a byte to anything.
        0 if len > 0 => {
            let i = rng.below(len);
            data[i] = rng.next() as u8;
        }
        // Flip one bit.
        1 if len > 0 => {
            let i = rng.below(len);
            data[i] ^= 1 << rng.below(8);
        }
        // Insert a dictionary token.
        2 | 3 => {
            let tok = dict[rng.below(dict.len())];
            let at = rng.below(len + 1);
            data.splice(at..at, tok.iter().copied());
        }
        // Overwrite with a dictionary token.
        4 if len > 0 => {
            let tok = dict[rng.below(dict.len())];
            let at = rng.below(len);
            let end = (at + tok.len()).min(len);
            data.splice(at..end, tok.iter().copied());
        }
        // Delete a range.
        5 => {
            let (a, b) = pick_range(rng, len);
            data.drain(a..b);
        }
        // Duplicate a range somewhere else.
        6 => {
            let (a, b) = pick_range(rng, len);
            let chunk: Vec<u8> = data[a..b].to_vec();
            let at = rng.below(data.len() + 1);
            data.splice(at..at, chunk);
        }
        // Repeat a short range many times (nesting, continuation, blow-ups).
        7 if len > 0 => {
            let a = rng.below(len);
            let b = (a + 1 + rng.below(8)).min(len);
            let chunk: Vec<u8> = data[a..b].to_vec();
            let most = if rng.chance(8) { 2000 } else { 50 };
            let times = 1 + rng.below(most);
            let rep: Vec<u8> = chunk.iter().copied().cycle().take(chunk.len() * times).collect();
            data.splice(b..b, rep);
        }
        // Splice: our head with another entry's tail.
        8 => {
            let other = &corpus[rng.below(corpus.len())];
            let cut = rng.below(len + 1);
            let from = rng.below(other.len() + 1);
            data.truncate(cut);
            data.extend_from_slice(&other[from..]);
        }
        // Insert a random byte (ASCII punctuation and control characters are likelier).
        9 => {
            let b = match rng.below(4) {
                0 => b"\n\r\t \\\"'#;:=%()[]{}@?/&,.$"[rng.below(24)],
                1 => rng.below(32) as u8,
                _ => rng.next() as u8,
            };
            let at = rng.below(len + 1);
            data.insert(at, b);
        }
        // Insert a multi-byte character.
        _ => {
            let chars = [
                "é",
                "\u{2028}",
                "\u{85}",
                "\u{feff}",
                "\u{1F600}",
                "\u{0}",
                "\u{ffff}",
                "ß",
                "İ",
            ];
            let c = chars[rng.below(chars.len())].as_bytes();
            let at = rng.below(len + 1);
            data.splice(at..at, c.iter().copied());
        }
    }
}

/// A corpus entry with 1 to 8 mutations.
pub fn generate(rng: &mut Rng, corpus: &[Vec<u8>], dict: &[&[u8]]) -> Vec<u8> {
    let mut data = corpus[rng.below(corpus.len())].clone();
    let steps = 1 + rng.below(8);
    for _ in 0..steps {
        mutate_once(rng, &mut data, corpus, dict);
    }
    // Keep inputs bounded: the scaling tests cover size on purpose.
    data.truncate(256 * 1024);
    data
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

fn save_crash(target: &str, input: &[u8]) -> PathBuf {
    let dir = root().join("fuzz").join("crashes");
    let _ = std::fs::create_dir_all(&dir);
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in input {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let path = dir.join(format!("{target}-{h:016x}.bin"));
    let _ = std::fs::write(&path, input);
    path
}

/// What a run did.
#[derive(Debug)]
pub struct Report {
    pub cases: u64,
    pub elapsed: Duration,
    pub slowest: Duration,
    pub slowest_len: usize,
    pub errors: u64,
}

type Current = Arc<Mutex<Option<(Vec<u8>, Instant)>>>;

/// Run `check` on the corpus entries themselves, then on generated inputs until the case
/// or time budget is spent. `check` returns `Ok` or `Err` (a handled bad input); a panic
/// fails the test with the input saved. `extra` is called every few cases for
/// structured (non-mutated) inputs that the target wants mixed in.
pub fn run(target: &str, dict: &[&[u8]], check: impl Fn(&[u8]) -> Result<(), String>) -> Report {
    let corpus = load_corpus(target);
    let quiet = QuietPanics::install();

    if let Ok(replay) = std::env::var("MONOMIG_FUZZ_REPLAY") {
        let input = std::fs::read(&replay).expect("replay file");
        let r = catch_unwind(AssertUnwindSafe(|| check(&input)));
        if r.is_err() {
            let msg = last_panic();
            drop(quiet);
            panic!("{replay} still panics: {msg}");
        }
    }

    let seed = env_u64("MONOMIG_FUZZ_SEED").unwrap_or(0x006d_6f6e_6f6d_6967);
    let seconds = env_u64("MONOMIG_FUZZ_SECONDS");
    let cases = env_u64("MONOMIG_FUZZ_CASES").unwrap_or(if seconds.is_some() { u64::MAX } else { DEFAULT_CASES });
    let budget = seconds.map(Duration::from_secs);

    // The watchdog: a case that never ends is saved and the process stops.
    let current: Current = Arc::new(Mutex::new(None));
    let done = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let current = Arc::clone(&current);
        let done = Arc::clone(&done);
        let target = target.to_owned();
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                let slot = current.lock().unwrap_or_else(|p| p.into_inner());
                if let Some((input, since)) = slot.as_ref()
                    && since.elapsed() > HANG_LIMIT
                {
                    let path = save_crash(&target, input);
                    eprintln!(
                        "fuzz {target}: one case ran for more than {HANG_LIMIT:?} (hang or blow-up); input saved to {}",
                        path.display()
                    );
                    std::process::exit(101);
                }
            }
        })
    };

    let mut rng = Rng::new(seed);
    let start = Instant::now();
    let mut report = Report {
        cases: 0,
        elapsed: Duration::ZERO,
        slowest: Duration::ZERO,
        slowest_len: 0,
        errors: 0,
    };
    let mut crashes: Vec<(PathBuf, String)> = Vec::new();
    let mut i: u64 = 0;
    loop {
        if i >= cases.saturating_add(corpus.len() as u64) {
            break;
        }
        if let Some(b) = budget
            && start.elapsed() >= b
        {
            break;
        }
        let input = match corpus.get(i as usize) {
            Some(c) => c.clone(),
            None => generate(&mut rng, &corpus, dict),
        };
        i += 1;
        let t0 = Instant::now();
        *current.lock().unwrap_or_else(|p| p.into_inner()) = Some((input.clone(), t0));
        let r = catch_unwind(AssertUnwindSafe(|| check(&input)));
        let took = t0.elapsed();
        *current.lock().unwrap_or_else(|p| p.into_inner()) = None;
        report.cases += 1;
        if took > report.slowest {
            report.slowest = took;
            report.slowest_len = input.len();
        }
        match r {
            Ok(Ok(())) => {}
            Ok(Err(_)) => report.errors += 1,
            Err(_) => {
                let path = save_crash(target, &input);
                crashes.push((path, last_panic()));
                if crashes.len() >= 20 {
                    break;
                }
            }
        }
    }
    done.store(true, Ordering::Relaxed);
    let _ = watchdog.join();
    drop(quiet);
    report.elapsed = start.elapsed();
    eprintln!(
        "fuzz {target}: {} cases ({} handled errors) in {:.1?}, {:.0} cases/s; slowest case {:.1?} ({} bytes); seed {seed:#x}",
        report.cases,
        report.errors,
        report.elapsed,
        report.cases as f64 / report.elapsed.as_secs_f64().max(1e-9),
        report.slowest,
        report.slowest_len
    );
    if !crashes.is_empty() {
        let list: Vec<String> = crashes
            .iter()
            .map(|(p, m)| format!("  {} : {m}", p.display()))
            .collect();
        panic!(
            "fuzz {target}: {} inputs panicked (replay with MONOMIG_FUZZ_REPLAY=<file>):\n{}",
            crashes.len(),
            list.join("\n")
        );
    }
    report
}

thread_local! {
    static LAST_PANIC: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

fn last_panic() -> String {
    LAST_PANIC.with(|m| m.borrow().clone())
}

/// Panics inside the fuzz loop are recorded, not printed one by one.
struct QuietPanics;

impl QuietPanics {
    fn install() -> QuietPanics {
        std::panic::set_hook(Box::new(|info| {
            let msg = match info.payload().downcast_ref::<&str>() {
                Some(s) => (*s).to_owned(),
                None => info.payload().downcast_ref::<String>().cloned().unwrap_or_default(),
            };
            let at = info
                .location()
                .map(|l| format!(" at {}:{}", l.file(), l.line()))
                .unwrap_or_default();
            LAST_PANIC.with(|m| *m.borrow_mut() = format!("{msg}{at}"));
        }));
        QuietPanics
    }
}

impl Drop for QuietPanics {
    fn drop(&mut self) {
        // The hook cannot be changed while this thread panics; the default one comes
        // back with the next test binary anyway.
        if !std::thread::panicking() {
            let _ = std::panic::take_hook();
        }
    }
}

/// CPU time of the calling thread: unlike wall-clock time, it does not grow when other
/// processes share the machine, so growth ratios stay meaningful on a loaded machine.
pub fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes one timespec into `ts`.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// The most a ten times larger input may cost, as a factor. Linear code gives about 10;
/// caches and the allocator (a small input fits in cache, a large one does not) push an
/// optimised build up to about 35 on these machines; quadratic code gives 100 and more.
pub const LINEAR_GROWTH: f64 = 50.0;

/// Time `f` on `small` and on `large` (best of 5 and of 3 runs, in thread CPU time), and check that the
/// large input costs at most [`LINEAR_GROWTH`] times the small one and that it finishes within
/// `limit` of wall-clock time.
pub fn assert_scales(what: &str, small: &[u8], large: &[u8], limit: Duration, f: impl Fn(&[u8])) {
    let time = |input: &[u8], reps: usize| {
        let mut best = Duration::MAX;
        let mut wall = Duration::ZERO;
        for _ in 0..reps {
            let w0 = Instant::now();
            let t0 = thread_cpu_time();
            f(input);
            best = best.min(thread_cpu_time().saturating_sub(t0));
            wall = wall.max(w0.elapsed());
        }
        (best, wall)
    };
    let (ts, _) = time(small, 5);
    let (tl, wall) = time(large, 3);
    let ratio = tl.as_secs_f64() / ts.as_secs_f64().max(1e-4);
    eprintln!(
        "scaling {what}: {} bytes in {ts:.1?}, {} bytes in {tl:.1?} (ratio {ratio:.1}, CPU time)",
        small.len(),
        large.len()
    );
    assert!(
        wall < limit,
        "{what}: {} bytes took {wall:?}, more than {limit:?}",
        large.len()
    );
    assert!(
        ratio < LINEAR_GROWTH,
        "{what}: {}x the input took {ratio:.1}x the time ({ts:?} -> {tl:?}); growth is not linear",
        large.len() / small.len().max(1),
    );
}

/// `unit` repeated until the result is at least `size` bytes.
pub fn repeat_to(unit: &[u8], size: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(size + unit.len());
    while v.len() < size {
        v.extend_from_slice(unit);
    }
    v
}

/// A path for a temporary scratch file of this test binary.
pub fn scratch(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}
