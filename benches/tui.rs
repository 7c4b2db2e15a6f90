//! Studio speed. Targets (issue: TUI): first frame within 150 ms of launch on
//! a workspace with 10,000 attempts; no view's draw over 5 ms.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed check

use criterion::{Criterion, criterion_group, criterion_main};
use genpath::session::Env;
use genpath::store::{CheckRecord, Finished, ImageRecord, NewAttempt};
use genpath::tui::app::{Action, Msg};
use genpath::tui::images::Images;
use genpath::tui::{Runtime, view};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn workspace_with_attempts(n: u32) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let env = Env::open(Some(dir.path()), None).unwrap();
    let mut store = env.workspace.store().unwrap();
    let ids: Vec<genpath::curriculum::ExerciseId> = env.curriculum.exercises.iter().map(|e| e.id.clone()).collect();
    for i in 0..n {
        let exercise = &ids[i as usize % ids.len()];
        let id = store
            .begin_attempt(&NewAttempt {
                learner: "learner",
                exercise,
                recipe_text: "prompt = \"a fox\"\nseed = 1\n",
                backend: "builtin",
            })
            .unwrap();
        let done = Finished {
            passed: i % 5 == 0,
            score: i % 100,
            cost: 0.0,
            images: vec![ImageRecord {
                path: format!("outputs/{exercise}/attempt-{id}/01.png"),
                sha256: "0".repeat(64),
                width: 512,
                height: 512,
                seed: Some(1),
            }],
            checks: (0..3)
                .map(|k| CheckRecord {
                    check: format!("check{k}"),
                    review: false,
                    passed: k != 1,
                    value: Some(0.5),
                    threshold: Some(0.4),
                    severity: genpath::checks::Severity::Essential,
                    message: "measured 0.50, wanted 0.40".into(),
                })
                .collect(),
        };
        store.finish_attempt(id, &done, |_| vec![]).unwrap();
    }
    dir
}

fn bench(c: &mut Criterion) {
    let dir = workspace_with_attempts(10_000);
    let mut g = c.benchmark_group("tui");
    g.sample_size(20);
    g.bench_function("first frame (load curriculum, open store of 10,000 attempts, draw 120x40)", |b| {
        b.iter(|| {
            let env = Env::open(Some(dir.path()), None).unwrap();
            let mut rt = Runtime::new(env, Images::halfblocks()).unwrap();
            let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
            term.draw(|f| view::draw(f, &rt.app, &mut rt.images)).unwrap();
        })
    });
    g.finish();
    let env = Env::open(Some(dir.path()), None).unwrap();
    let mut rt = Runtime::new(env, Images::halfblocks()).unwrap();
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    for (name, action) in [
        ("path", None),
        ("progress", Some(Action::Progress)),
        ("history", Some(Action::History)),
        ("help", Some(Action::Help)),
    ] {
        if let Some(a) = action {
            rt.handle(Msg::Key(Action::Back)).unwrap();
            rt.handle(Msg::Key(a)).unwrap();
        }
        c.bench_function(&format!("tui/draw {name} view 120x40"), |b| {
            b.iter(|| term.draw(|f| view::draw(f, &rt.app, &mut rt.images)).unwrap().area)
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
