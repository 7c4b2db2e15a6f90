//! Report speed: a cohort of 100 or 1,000 learners × 16 exercises × 20
//! attempts (32,000 or 320,000 attempts in the learner history, 1,600 or
//! 16,000 collected submissions), beside a plain SQLite GROUP BY over the same
//! history rows in the same run, so the ratio can be read.
//! Targets (issue: instructors): csv/json ≤ 1 s, html ≤ 2 s, query included;
//! (issue #20) the csv report within 2× of the plain GROUP BY, and linear from
//! 32,000 to 320,000 attempts.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed check

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use genpath::curriculum::{Curriculum, ExerciseId};
use genpath::report::{self, Format, Query};
use genpath::store::{CheckRecord, HistoryRow, NewSubmission, Scope, Store};
use genpath::time::parse_day;

const EXERCISES: usize = 16;
const ATTEMPTS: usize = 20;

/// The cohort's learners: 100 (32,000 attempts) and 1,000 (320,000 attempts).
const SIZES: [usize; 2] = [100, 1_000];

/// The history summed up per learner and exercise as a person would write it
/// in SQL, without the report's attempts-to-first-pass and failed checks.
const PLAIN_GROUP_BY: &str = "SELECT learner_id, exercise_id, COUNT(*), MAX(score),
        MIN(CASE WHEN status = 'passed' THEN started_at END), MAX(started_at)
     FROM learner_history GROUP BY learner_id, exercise_id";

type Plain = (String, String, u32, Option<u32>, Option<String>, Option<String>);

fn cohort(store: &mut Store, curriculum: &Curriculum, learners: usize) {
    let exercises: Vec<&ExerciseId> = curriculum.exercises.iter().take(EXERCISES).map(|e| &e.id).collect();
    store.create_cohort("big", None).unwrap();
    let mut history = Vec::with_capacity(learners * EXERCISES * ATTEMPTS);
    for l in 0..learners {
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
    for l in 0..learners {
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
                    attempt: None,
                    attempt_number: None,
                    needs_review: false,
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
    let query = Query { scope: Scope::Cohort("big"), exercise: None, now: "2026-11-26T12:00:00Z".parse().unwrap() };
    for learners in SIZES {
        let attempts = learners * EXERCISES * ATTEMPTS;
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("genpath.db");
        let mut store = Store::open(&db).unwrap();
        cohort(&mut store, &curriculum, learners);
        let built = report::build(&store, &curriculum, query).unwrap();
        assert_eq!(built.learners.len(), learners);
        assert_eq!(built.learners.iter().map(|l| l.attempts as usize).sum::<usize>(), attempts);
        let plain = rusqlite::Connection::open(&db).unwrap();
        let mut group = c.benchmark_group(format!("report_{}k_attempts", attempts / 1000));
        group.sample_size(10);
        group.bench_function("plain GROUP BY", |b| {
            b.iter(|| {
                let mut st = plain.prepare_cached(PLAIN_GROUP_BY).unwrap();
                let rows = st
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))
                    .unwrap();
                let rows: Vec<Plain> = rows.collect::<Result<_, _>>().unwrap();
                assert_eq!(rows.len(), learners * EXERCISES);
                black_box(rows)
            })
        });
        let formats: &[(&str, Format)] = if learners == 1_000 {
            &[("csv", Format::Csv), ("json", Format::Json), ("html", Format::Html), ("md", Format::Md)]
        } else {
            &[("csv", Format::Csv)]
        };
        for &(name, format) in formats {
            group.bench_function(name, |b| {
                b.iter(|| {
                    let r = report::build(&store, &curriculum, query).unwrap();
                    black_box(report::render(&r, format, dir.path(), &curriculum).unwrap().len())
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
