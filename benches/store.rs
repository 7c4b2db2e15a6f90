//! Store speed: what recording one attempt costs as a learner's history grows,
//! and a learner's progress over 10,000 attempts.
//!
//! The bench records 100,000 attempts for one learner through the store
//! (3 images and 5 checks each, a third of them passing, so the milestones are
//! looked at on every pass), keeping a copy of the database when it holds
//! 1,000, 10,000 and 100,000. Each sample then records attempts on top of a
//! fresh copy, so each figure is the cost of one attempt at that size (a
//! sample adds a few hundred attempts at most).
//!
//! Targets (issue #20): the same per-attempt cost at every size — recording is
//! O(1) in the learner's past attempts; progress under 5 ms at 10,000.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed check

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main};
use genpath::curriculum::{Curriculum, ExerciseId};
use genpath::progress;
use genpath::store::{CheckRecord, Finished, ImageRecord, NewAttempt, Store};

/// The sizes the per-attempt cost is measured at; the last is how many the bench records.
const SIZES: [u32; 3] = [1_000, 10_000, 100_000];

fn finished(i: u32) -> Finished {
    Finished {
        passed: i.is_multiple_of(3),
        score: i % 101,
        cost: 0.02,
        images: (0..3)
            .map(|k| ImageRecord {
                path: format!("outputs/{i}/{k}.png"),
                sha256: format!("{i:064x}"),
                width: 512,
                height: 512,
                seed: Some(k),
            })
            .collect(),
        checks: (0..5)
            .map(|k| CheckRecord {
                check: format!("check{k}"),
                review: false,
                passed: k % 2 == 0,
                value: Some(0.5),
                threshold: Some(0.4),
                severity: genpath::checks::Severity::Essential,
                message: "measured 0.50, wanted at least 0.40".into(),
            })
            .collect(),
    }
}

/// Record attempt number `i` of the learner `ada`, as `genpath run` does.
fn record(store: &mut Store, curriculum: &Curriculum, ids: &[&ExerciseId], i: u32) {
    let exercise = ids[i as usize % ids.len()];
    let id = store
        .begin_attempt(&NewAttempt { learner: "ada", exercise, recipe_text: "prompt = \"a fox\"", backend: "builtin" })
        .unwrap();
    store.finish_attempt(id, &finished(i), |stats| progress::milestones_holding(curriculum, stats)).unwrap();
}

/// Copy a database with everything in its main file (the WAL checkpointed away).
fn snapshot(db: &Path, to: &Path) {
    let c = rusqlite::Connection::open(db).unwrap();
    c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).unwrap();
    std::fs::copy(db, to).unwrap();
}

/// A fresh copy of a snapshot to record on (its WAL and shared memory gone
/// too), on disk before the clock starts: otherwise the first checkpoint's
/// fsync would write out the whole copy and be timed as recording.
fn fresh(from: &Path, dir: &Path) -> PathBuf {
    let work = dir.join("work.db");
    for end in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(dir.join(format!("work.db{end}")));
    }
    std::fs::copy(from, &work).unwrap();
    std::fs::File::open(&work).unwrap().sync_all().unwrap();
    work
}

fn bench(c: &mut Criterion) {
    let curriculum = Curriculum::builtin().unwrap();
    let ids: Vec<&ExerciseId> = curriculum.exercises.iter().map(|e| &e.id).collect();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("genpath.db");

    // Record the history once, keeping a copy at each size.
    let mut snapshots = Vec::new();
    {
        let mut store = Store::open(&db).unwrap();
        store.upsert_learner("ada", "Ada", None).unwrap();
        let (mut recorded, start) = (0, Instant::now());
        for size in SIZES {
            while recorded < size {
                record(&mut store, &curriculum, &ids, recorded);
                recorded += 1;
            }
            let copy = dir.path().join(format!("at-{size}.db"));
            snapshot(&db, &copy);
            eprintln!("store: recorded {size} attempts in {:.1} s", start.elapsed().as_secs_f64());
            snapshots.push((size, copy));
        }
    }

    let mut g = c.benchmark_group("store_record one attempt (3 images, 5 checks)");
    g.sample_size(10).sampling_mode(SamplingMode::Flat);
    g.warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(1));
    for (size, copy) in &snapshots {
        g.bench_with_input(BenchmarkId::new("after", size), size, |b, &size| {
            b.iter_custom(|iters| {
                let work = fresh(copy, dir.path());
                let mut store = Store::open(&work).unwrap();
                let start = Instant::now();
                for i in 0..iters as u32 {
                    record(&mut store, &curriculum, &ids, size + i);
                }
                start.elapsed()
            })
        });
    }
    g.finish();

    let (_, at_10k) = snapshots.iter().find(|(size, _)| *size == 10_000).unwrap();
    let store = Store::open(&fresh(at_10k, dir.path())).unwrap();
    c.bench_function("store/progress of a learner with 10,000 attempts", |b| {
        b.iter(|| {
            let stats = store.exercise_stats("ada").unwrap();
            let milestones = store.milestones("ada").unwrap();
            let unlocks = store.stage_unlocks("ada").unwrap();
            progress::compute(&curriculum, &stats, &milestones, &unlocks)
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
