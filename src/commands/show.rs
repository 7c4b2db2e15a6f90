//! `genpath show EXERCISE`: the brief, the deliverable, the checks, hints and
//! the "On a real model" section (the same task on A1111, ComfyUI or an API).

use anyhow::Result;

use super::Env;

pub fn run(env: &Env, query: &str, show_images: bool) -> Result<()> {
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
    let recipe = env.workspace.ensure_answer(&env.curriculum, e)?;
    let assets = env.workspace.copy_assets(&env.curriculum, e)?;
    if !assets.is_empty() {
        outln!("Assets (beside your recipe; a recipe names them by these relative paths):");
        for (name, path) in e.assets.iter().zip(&assets) {
            outln!("  {name}  {}", path.display());
        }
    }
    outln!("Your recipe: {}", recipe.display());
    outln!("Hints: {revealed} of {} revealed (`genpath hint {}`)", e.hints.len(), e.id);
    for (i, h) in e.hints.iter().take(revealed as usize).enumerate() {
        outln!("  {}. {h}", i + 1);
    }
    if let Some(real) = &e.real {
        outln!();
        outln!("On a real model:");
        for line in real.lines() {
            outln!("  {line}");
        }
    }
    let feedback = store.feedback(Some(e.id.as_str()))?;
    if !feedback.is_empty() {
        outln!();
        outln!("Feedback from your instructor:");
        for f in &feedback {
            for line in super::feedback::lines(f) {
                outln!("  {line}");
            }
        }
    }
    // In a terminal, the assets themselves (a control map is easier seen than described).
    super::verdict::thumbnails(&assets, show_images);
    Ok(())
}
