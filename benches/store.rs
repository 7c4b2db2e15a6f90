//! Store speed: recording attempts, and a learner's progress over 10,000 of them.
//! Target (issue: foundation): progress query under 5 ms at 10,000 attempts.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed check

use criterion::{Criterion, criterion_group, criterion_main};
use genpath::curriculum::Curriculum;
use genpath::progress;
use genpath::store::{CheckRecord, Finished, ImageRecord, NewAttempt, Store};

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

/// A file-backed store with `n` attempts spread over the curriculum's exercises.
fn filled(dir: &std::path::Path, curriculum: &Curriculum, n: u32) -> Store {
    let mut store = Store::open(&dir.join("genpath.db")).unwrap();
    store.upsert_learner("ada", "Ada", None).unwrap();
    let ids: Vec<&genpath::curriculum::ExerciseId> = curriculum.exercises.iter().map(|e| &e.id).collect();
    for i in 0..n {
        let exercise = ids[i as usize % ids.len()];
        let id = store
            .begin_attempt(&NewAttempt {
                learner: "ada",
                exercise,
                recipe_text: "prompt = \"a fox\"",
                backend: "builtin",
            })
            .unwrap();
        store.finish_attempt(id, &finished(i), |stats| progress::milestones_holding(curriculum, stats)).unwrap();
    }
    store
}

fn bench(c: &mut Criterion) {
    let curriculum = Curriculum::builtin().unwrap();
    let mut g = c.benchmark_group("store");
    g.sample_size(10);
    g.bench_function("record 10,000 attempts (3 images, 5 checks each)", |b| {
        b.iter_with_setup(tempfile::TempDir::new, |dir| {
            let dir = dir.unwrap();
            filled(dir.path(), &curriculum, 10_000);
        })
    });
    g.finish();

    let dir = tempfile::tempdir().unwrap();
    let store = filled(dir.path(), &curriculum, 10_000);
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
