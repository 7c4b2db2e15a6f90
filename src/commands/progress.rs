//! `genpath progress [--json]`: milestones, attempts and best results.

use anyhow::{Context, Result};

use super::Env;
use crate::progress;

pub fn run(env: &Env, json: bool) -> Result<()> {
    let store = env.workspace.store()?;
    let learner = env.learner();
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
