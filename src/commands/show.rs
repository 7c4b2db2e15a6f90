//! `genpath show EXERCISE`: the brief, the deliverable, the checks and hints.

use anyhow::Result;

use super::Env;

pub fn run(env: &Env, query: &str) -> Result<()> {
    let e = env.curriculum.find(query)?;
    let store = env.workspace.store()?;
    let revealed = store.hints_revealed(env.learner(), &e.id)?;
    println!("{}  —  {}", e.id, e.title);
    println!("stage: {}   kind: {}   capability: {}", e.stage, e.kind, e.capability.as_str());
    println!();
    for line in e.brief.lines() {
        println!("  {line}");
    }
    println!();
    let d = &e.deliverable;
    let size = match (d.width, d.height) {
        (Some(w), Some(h)) => format!(", {w}×{h}"),
        _ => String::new(),
    };
    println!("Deliverable: {} image{}{size}, answered in {}", d.count, if d.count == 1 { "" } else { "s" }, d.file);
    if let Some(desc) = &d.description {
        println!("  {desc}");
    }
    println!();
    println!("Checks:");
    for c in &e.checks {
        let t = c.thresholds();
        println!("  {:<24} {:<11} {t}", c.check, c.severity.as_str());
    }
    println!();
    if !e.assets.is_empty() {
        println!("Assets: {}", e.assets.join(", "));
    }
    println!("Your recipe: {}", env.workspace.answer_path(e).display());
    println!("Hints: {revealed} of {} revealed (`genpath hint {}`)", e.hints.len(), e.id);
    for (i, h) in e.hints.iter().take(revealed as usize).enumerate() {
        println!("  {}. {h}", i + 1);
    }
    Ok(())
}
