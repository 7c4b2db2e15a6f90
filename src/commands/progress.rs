//! `genpath progress [EXERCISE] [--json]`: milestones, attempts and best
//! results; with an exercise, each attempt at it by its number there.

use anyhow::{Context, Result};

use super::Env;
use crate::progress;

pub fn run(env: &Env, exercise: Option<&str>, json: bool) -> Result<()> {
    let store = env.workspace.store()?;
    let learner = env.learner();
    if let Some(exercise) = exercise {
        return attempts(env, &store, env.curriculum.find(exercise)?, json);
    }
    let p = progress::of_learner(&env.curriculum, &store, learner)?;
    if json {
        let out = serde_json::json!({
            "learner": { "id": learner, "name": env.workspace.config.learner.name },
            "progress": p,
        });
        outln!("{}", serde_json::to_string_pretty(&out).context("Failed to encode progress as JSON")?);
        return Ok(());
    }
    outln!("Progress of {} ({learner})", env.workspace.config.learner.name);
    outln!(
        "{} attempts; {} rendering and checking, {} studying (between runs; breaks over 30 min left out)",
        p.attempts,
        crate::present::minutes(p.seconds),
        crate::present::minutes(p.study_seconds)
    );
    outln!();
    outln!("Milestones:");
    for s in &p.stages {
        let when = match (&s.milestone_reached_at, s.milestone_reached) {
            (Some(at), _) => format!("reached {}", at.local()),
            (None, true) => "reached".to_string(),
            (None, false) if s.unlocked => "not yet".to_string(),
            (None, false) => "locked".to_string(),
        };
        outln!("  {:<10} {:<44} {when}", s.title, s.milestone_title);
    }
    outln!();
    outln!("  {:<36} {:>8} {:>6}  status", "exercise", "attempts", "best");
    for s in &p.stages {
        for e in &s.exercises {
            let best = e.best_score.map(|b| b.to_string()).unwrap_or_else(|| "-".into());
            outln!("  {:<36} {:>8} {:>6}  {}", e.id, e.attempts, best, e.status.as_str());
        }
    }
    if let Some(next) = &p.next {
        outln!();
        outln!("Next: {next}");
    }
    Ok(())
}

/// A learner's attempts at one exercise, oldest first: what `compare` and
/// `submit --attempt` take by number.
fn attempts(env: &Env, store: &crate::store::Store, exercise: &crate::curriculum::Exercise, json: bool) -> Result<()> {
    let mut rows = store.attempts(env.learner(), &exercise.id)?;
    rows.reverse();
    let failed: Vec<Vec<String>> = rows
        .iter()
        .map(|a| Ok(store.check_results(a.id)?.into_iter().filter(|c| !c.passed).map(|c| c.check).collect()))
        .collect::<Result<_>>()?;
    if json {
        let list: Vec<_> = rows
            .iter()
            .zip(&failed)
            .map(|(a, f)| {
                serde_json::json!({
                    "number": a.number, "started_at": a.started_at, "status": a.status.as_str(),
                    "score": a.score, "cost": a.cost, "backend": a.backend, "failed_checks": f, "error": a.error,
                })
            })
            .collect();
        let out = serde_json::json!({ "exercise": exercise.id, "attempts": list });
        outln!("{}", serde_json::to_string_pretty(&out).context("Failed to encode attempts as JSON")?);
        return Ok(());
    }
    outln!("{} ─ {}", exercise.id, exercise.title);
    if rows.is_empty() {
        outln!("no attempts yet: `genpath run {}`", exercise.id);
        return Ok(());
    }
    outln!("  {:>3}  {:<16}  {:<11} {:>5}  failed checks", "#", "started", "status", "score");
    for (a, f) in rows.iter().zip(&failed) {
        let score = a.score.map_or_else(|| "-".to_string(), |s| s.to_string());
        outln!(
            "  {:>3}  {:<16}  {:<11} {:>5}  {}",
            a.number,
            a.started_at.local(),
            a.status.as_str(),
            score,
            f.join(", ")
        );
    }
    outln!();
    outln!("compare two: genpath compare {} A B", exercise.id);
    Ok(())
}
