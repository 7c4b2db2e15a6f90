//! `genpath path`: the stages and exercises with the learner's status.

use anyhow::Result;

use super::Env;
use crate::progress::{self, ExerciseStatus};

pub fn run(env: &Env) -> Result<()> {
    let store = env.workspace.store()?;
    let learner = env.learner();
    let p = progress::of_learner(&env.curriculum, &store, learner)?;
    outln!(
        "{} — {} — learner: {}",
        env.curriculum.title,
        env.curriculum.source.describe(),
        env.workspace.config.learner.name
    );
    // The latest due date per exercise (assignments may be re-issued).
    let mut due = store.due_for(learner)?;
    due.sort_by_key(|a| std::cmp::Reverse(a.due));
    let now = crate::time::Timestamp::now();
    // The newest review of each exercise (`genpath feedback import`).
    let feedback = store.feedback(None)?;
    let width = env.curriculum.exercises.iter().map(|e| e.id.len()).max().unwrap_or(20);
    for (stage, sp) in env.curriculum.stages.iter().zip(&p.stages) {
        outln!();
        let state = if sp.milestone_reached {
            match &sp.milestone_reached_at {
                Some(at) => format!("milestone reached {}", at.local()),
                None => "milestone reached".to_string(),
            }
        } else if sp.unlocked {
            let opened =
                if sp.unlocked_by.as_deref() == Some("instructor") { ", opened by your instructor" } else { "" };
            format!("{}/{} passed{opened}", sp.passed, sp.exercises.len())
        } else {
            let after =
                stage.unlock_after.as_deref().and_then(|a| env.curriculum.stage(a)).map_or("", |s| s.title.as_str());
            format!("locked until the {after} milestone")
        };
        outln!("{}  ({state})", stage.title);
        for line in crate::present::wrap(&stage.summary, 76) {
            outln!("  {line}");
        }
        outln!("  milestone: {}", stage.milestone.title);
        for e in &sp.exercises {
            let mark = if p.next.as_deref() == Some(e.id.as_str()) {
                "→"
            } else {
                match e.status {
                    ExerciseStatus::Passed => "✔",
                    ExerciseStatus::Attempted => "✗",
                    ExerciseStatus::Open => "○",
                    ExerciseStatus::Locked => "·",
                }
            };
            let score = e.best_score.map(|s| format!("{s:>3}")).unwrap_or_default();
            let milestone = if stage.milestone.pass.contains(&e.id) { "  (milestone)" } else { "" };
            let due = due
                .iter()
                .filter(|a| a.exercise == e.id)
                .find_map(|a| a.due)
                .map(|d| {
                    let past = e.status != ExerciseStatus::Passed && crate::time::is_past(d, &now);
                    format!("  due {d}{}", if past { " (past)" } else { "" })
                })
                .unwrap_or_default();
            let reviewed = feedback
                .iter()
                .find(|f| f.exercise == e.id)
                .map(|f| format!("  reviewed: {}", if f.record.passed { "pass" } else { "FAIL" }))
                .unwrap_or_default();
            outln!("  {mark} {:<width$}  {:<42} {score}{milestone}{due}{reviewed}", e.id, e.title);
        }
    }
    outln!();
    match &p.next {
        Some(next) => outln!("Next: `genpath show {next}`"),
        None => outln!("Every exercise on the path is passed."),
    }
    if !feedback.is_empty() {
        outln!("Feedback from your instructor: `genpath feedback show` (or `genpath show EXERCISE`)");
    }
    Ok(())
}
