//! Long fuzzing sessions on the stable toolchain:
//!
//! ```sh
//! cargo run --release --example fuzz -- recipe --seconds 600
//! cargo run --release --example fuzz -- all --seconds 600 --seed 7
//! ```
//!
//! Mutates the seed corpus of a target (`tests/fuzz/corpus/<target>/`) and
//! runs every input with its time and memory measured. An input that panics,
//! takes longer than 5 s or allocates more than 1 GiB at once is saved to
//! `tests/fuzz/crashes/<target>/` (so every `cargo test` replays it from then
//! on) and reported; the session ends with a summary line per target.
//! Inputs that reach new behaviour are not tracked (no coverage feedback on
//! stable Rust): the mutator relies on format dictionaries, splices and
//! repetition instead.

#![allow(unsafe_code)] // the counting allocator below, and nothing else

#[path = "../tests/fuzz/harness.rs"]
mod fuzz;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Counts live heap bytes and their peak, so an input's memory is measured.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; the
// counters are only statistics.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same layout, same contract as the caller's.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const SLOW: Duration = Duration::from_secs(5);
const HUNGRY: usize = 1 << 30;

struct Summary {
    target: &'static str,
    cases: u64,
    seconds: f64,
    panics: usize,
    slow: usize,
    hungry: usize,
    slowest: Duration,
    peak: usize,
}

fn save(target: &str, kind: &str, input: &[u8]) -> String {
    use sha2::Digest;
    let hash: String = sha2::Sha256::digest(input).iter().take(8).map(|b| format!("{b:02x}")).collect();
    let dir = fuzz::fuzz_dir().join("crashes").join(target);
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(format!("{kind}-{hash}"));
    let _ = std::fs::write(&path, input);
    path.display().to_string()
}

fn session(t: &'static fuzz::Target, seconds: u64, seed: u64) -> Summary {
    let seeds: Vec<Vec<u8>> = fuzz::corpus(t.name).into_iter().map(|(_, b)| b).collect();
    let mut pool = seeds.clone();
    let mut rng = fuzz::Rng(seed);
    let started = Instant::now();
    let mut s = Summary {
        target: t.name,
        cases: 0,
        seconds: 0.0,
        panics: 0,
        slow: 0,
        hungry: 0,
        slowest: Duration::ZERO,
        peak: 0,
    };
    while started.elapsed() < Duration::from_secs(seconds) {
        let base = &pool[rng.below(pool.len())];
        let input = fuzz::mutate(base, &pool, t.dictionary, &mut rng);
        let before = LIVE.load(Ordering::Relaxed);
        PEAK.store(before, Ordering::Relaxed);
        let t0 = Instant::now();
        let outcome = fuzz::run_one(t, &input);
        let took = t0.elapsed();
        let peak = PEAK.load(Ordering::Relaxed).saturating_sub(before);
        s.cases += 1;
        s.slowest = s.slowest.max(took);
        s.peak = s.peak.max(peak);
        if let Err(e) = outcome {
            s.panics += 1;
            eprintln!("{}: PANIC {e} — saved {}", t.name, save(t.name, "panic", &input));
        }
        if took > SLOW {
            s.slow += 1;
            eprintln!("{}: SLOW {:.1} s — saved {}", t.name, took.as_secs_f64(), save(t.name, "slow", &input));
        }
        if peak > HUNGRY {
            s.hungry += 1;
            eprintln!("{}: MEMORY {} MiB — saved {}", t.name, peak >> 20, save(t.name, "memory", &input));
        }
        // Keep a few mutants as bases: deeper mutations without coverage feedback.
        if rng.below(64) == 0 && pool.len() < 4096 {
            pool.push(input);
        }
    }
    s.seconds = started.elapsed().as_secs_f64();
    s
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage =
        "usage: fuzz TARGET|all [--seconds N] [--seed N]   targets: recipe prompt curriculum import bundle pipeline";
    let Some(which) = args.first() else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let flag = |name: &str, default: u64| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let seconds = flag("--seconds", 60);
    let seed = flag("--seed", 1);
    let targets: Vec<&'static fuzz::Target> = if which == "all" {
        fuzz::TARGETS.iter().collect()
    } else {
        match fuzz::target(which) {
            Some(t) => vec![t],
            None => {
                eprintln!("unknown target {which}\n{usage}");
                std::process::exit(2);
            }
        }
    };
    fuzz::quiet_panics();
    let mut failed = false;
    for t in targets {
        let s = session(t, seconds, seed);
        failed |= s.panics + s.slow + s.hungry > 0;
        println!(
            "{:<10} {:>9} cases in {:>5.0} s ({:>6.0}/s): {} panics, {} over 5 s, {} over 1 GiB; slowest {:.3} s, peak {} MiB",
            s.target,
            s.cases,
            s.seconds,
            s.cases as f64 / s.seconds,
            s.panics,
            s.slow,
            s.hungry,
            s.slowest.as_secs_f64(),
            s.peak >> 20
        );
    }
    std::process::exit(i32::from(failed));
}
