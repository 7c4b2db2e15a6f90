//! `genpath show EXERCISE`: the brief, the deliverable, the checks and hints.

use anyhow::Result;

use super::Env;

pub fn run(env: &Env, query: &str) -> Result<()> {
    let e = env.curriculum.find(query)?;
    let store = env.workspace.store()?;
    let revealed = store.hints_revealed(env.learner(), &e.id)?;
    outln!("{}  —  {}", e.id, e.title);
    outln!("stage: {}   kind: {}   capability: {}", e.stage, e.kind, e.capability.as_str());
    outln!();
    for line in e.brief.lines() {
        outln!("  {line}");
    }
    outln!();
    let d = &e.deliverable;
    let size = match (d.width, d.height) {
        (Some(w), Some(h)) => format!(", {w}×{h}"),
        _ => String::new(),
    };
    outln!("Deliverable: {} image{}{size}, answered in {}", d.count, if d.count == 1 { "" } else { "s" }, d.file);
    if let Some(desc) = &d.description {
        outln!("  {desc}");
    }
    outln!();
    outln!("Checks:");
    for c in &e.checks {
        let t = c.thresholds();
        outln!("  {:<24} {:<11} {t}", c.check, c.severity.as_str());
    }
    outln!();
    if !e.assets.is_empty() {
        outln!("Assets: {}", e.assets.join(", "));
    }
    outln!("Your recipe: {}", env.workspace.answer_path(e).display());
    outln!("Hints: {revealed} of {} revealed (`genpath hint {}`)", e.hints.len(), e.id);
    for (i, h) in e.hints.iter().take(revealed as usize).enumerate() {
        outln!("  {}. {h}", i + 1);
    }
    Ok(())
}
