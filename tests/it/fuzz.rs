//! The fuzz targets in every `cargo test`: every seed and every past crash
//! input replays without a panic, then each target takes a short,
//! deterministic mutation run. Long sessions: `examples/fuzz.rs`.

use crate::harness::*;

/// Mutations per target in `cargo test` (a long session runs millions).
const CASES: usize = 2000;

#[test]
fn every_target_has_seeds() {
    for t in TARGETS {
        assert!(!files(&fuzz_dir().join("corpus").join(t.name)).is_empty(), "{}: no seed corpus", t.name);
    }
}

#[test]
fn the_corpus_and_every_past_crash_replay_without_a_panic() {
    for t in TARGETS {
        for (path, input) in corpus(t.name) {
            if let Err(e) = run_one(t, &input) {
                panic!("{}: {} panics: {e}", t.name, path.display());
            }
        }
    }
}

#[test]
fn a_short_mutation_run_of_every_target_finds_no_panic() {
    let mut failures = Vec::new();
    for (k, t) in TARGETS.iter().enumerate() {
        let seeds: Vec<Vec<u8>> = corpus(t.name).into_iter().map(|(_, b)| b).collect();
        let mut rng = Rng(0x5EED_0000 + k as u64);
        for _ in 0..CASES {
            let base = &seeds[rng.below(seeds.len())];
            let input = mutate(base, &seeds, t.dictionary, &mut rng);
            if let Err(e) = run_one(t, &input) {
                failures.push(format!(
                    "{}: {e} on {:?}",
                    t.name,
                    String::from_utf8_lossy(&input[..input.len().min(200)])
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
