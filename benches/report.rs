//! Report speed: a cohort of 1,000 learners × 16 exercises × 20 attempts
//! (320,000 attempts in the learner history, 16,000 collected submissions).
//! Targets (issue: instructors): csv/json ≤ 1 s, html ≤ 2 s, query included.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed check

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use genpath::curriculum::{Curriculum, ExerciseId};
use genpath::report::{self, Format, Query};
use genpath::store::{CheckRecord, HistoryRow, NewSubmission, Scope, Store};
use genpath::time::parse_day;

const LEARNERS: usize = 1_000;
const EXERCISES: usize = 16;
const ATTEMPTS: usize = 20;

fn cohort(store: &mut Store, curriculum: &Curriculum) {
    let exercises: Vec<&ExerciseId> = curriculum.exercises.iter().take(EXERCISES).map(|e| &e.id).collect();
    store.create_cohort("big", None).unwrap();
    let mut history = Vec::with_capacity(LEARNERS * EXERCISES * ATTEMPTS);
    for l in 0..LEARNERS {
        let id = format!("learner{l:04}");
        store.upsert_learner(&id, &format!("Learner {l}"), None).unwrap();
        store.add_to_cohort("big", &id).unwrap();
        for (e, ex) in exercises.iter().enumerate() {
            for a in 0..ATTEMPTS {
                let passed = a >= (l + e) % ATTEMPTS;
                history.push(HistoryRow {
                    learner: id.clone(),
                    exercise: (*ex).clone(),
                    started_at: format!("2026-{:02}-{:02}T10:{:02}:00.000Z", 1 + a % 12, 1 + (l + e) % 28, a)
                        .parse()
                        .unwrap(),
                    passed,
                    score: Some(if passed { 100 } else { (a * 5) as u32 }),
                    failed_checks: if passed { String::new() } else { format!("check{},format", (l + a) % 7) },
                });
            }
        }
    }
    store.insert_history(&history).unwrap();
    for ex in &exercises {
        store.assign_to_cohort(ex, "big", parse_day("2026-06-30"), None).unwrap();
    }
    let checks = vec![CheckRecord {
        check: "format".into(),
        review: false,
        passed: true,
        value: Some(1.0),
        threshold: Some(1.0),
        severity: genpath::checks::Severity::Essential,
        message: "ok".into(),
    }];
    for l in 0..LEARNERS {
        let id = format!("learner{l:04}");
        for (e, ex) in exercises.iter().enumerate() {
            let sha = format!("{l:032x}{e:032x}");
            store
                .record_submission(&NewSubmission {
                    learner: &id,
                    learner_name: &id,
                    exercise: ex,
                    bundle_sha256: &sha,
                    bundle_name: "b.genpath",
                    dir: "submissions/none",
                    submitted_at: "2026-07-01T09:00:00.000Z".parse().unwrap(),
                    due: parse_day("2026-06-30"),
                    late: true,
                    genpath_version: "0.1.0",
                    backend: "builtin",
                    claimed_passed: true,
                    passed: (l + e) % 4 != 0,
                    score: 90,
                    reproduced: None,
                    reproduce_note: None,
                    checks: &checks,
                    history: &[],
                    milestones: &[],
                })
                .unwrap();
        }
    }
}

fn bench(c: &mut Criterion) {
    let curriculum = Curriculum::builtin().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("genpath.db")).unwrap();
    cohort(&mut store, &curriculum);
    let query = Query { scope: Scope::Cohort("big"), exercise: None, now: "2026-11-26T12:00:00Z".parse().unwrap() };
    let built = report::build(&store, &curriculum, query).unwrap();
    assert_eq!(built.learners.len(), LEARNERS);
    assert_eq!(built.learners.iter().map(|l| l.attempts as usize).sum::<usize>(), LEARNERS * EXERCISES * ATTEMPTS);
    let mut group = c.benchmark_group("report_320k_attempts");
    group.sample_size(10);
    for (name, format) in [("csv", Format::Csv), ("json", Format::Json), ("html", Format::Html), ("md", Format::Md)] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let r = report::build(&store, &curriculum, query).unwrap();
                black_box(report::render(&r, format, dir.path()).unwrap().len())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
