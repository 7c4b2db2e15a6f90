//! `genpath compare EXERCISE A B [--out FILE]`: two attempts at an exercise
//! (by their numbers there) side by side — their images on one labelled
//! sheet, and what changed in the recipe between them.

use std::path::PathBuf;

use anyhow::{Context, Result};

use super::{Env, UsageError};
use crate::workspace::write_atomic;

/// Each image fitted into a square this big on the sheet.
const CELL: u32 = 384;

pub fn run(env: &Env, exercise: &str, a: u32, b: u32, out: Option<PathBuf>) -> Result<()> {
    let ws = &env.workspace;
    let exercise = &env.curriculum.find(exercise)?.id;
    let store = ws.store()?;
    let mut rows = Vec::new();
    let mut texts = Vec::new();
    for n in [a, b] {
        let row = store.numbered_attempt(env.learner(), exercise, n)?.ok_or_else(|| {
            UsageError(format!(
                "you have no attempt {n} at {exercise}: `genpath progress {exercise}` lists your attempts there"
            ))
        })?;
        let images = store
            .images(row.id)?
            .into_iter()
            .map(|r| {
                let p = ws.root.join(&r.path);
                let bytes = crate::imaging::read_file(&p).with_context(|| format!("Failed to read {}", p.display()))?;
                let img = crate::imaging::decode(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
                Ok(img.to_rgb8())
            })
            .collect::<Result<Vec<_>>>()?;
        let score = row.score.map_or_else(String::new, |s| format!(" {s}/100"));
        rows.push((format!("attempt {n} - {} - {}{score}", row.exercise, row.status.as_str()), images));
        texts.push(row.recipe_text);
    }
    let diff = crate::recipe::diff::unified(&texts[0], &texts[1]);
    let sheet = crate::imaging::sheet::contact(&rows, CELL);
    let legend = format!("genpath compare {exercise} {a} {b}\n{diff}");
    let png =
        crate::recipe::png::encode_with(&sheet, &[("parameters", &legend)]).context("Failed to encode the sheet")?;
    let out = out.unwrap_or_else(|| PathBuf::from(format!("compare-{exercise}-{a}-{b}.png")));
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("Failed to create {}", dir.display()))?;
    }
    write_atomic(&out, &png)?;
    for (label, images) in &rows {
        outln!("{label}: {} image(s)", images.len());
    }
    if texts[0] == texts[1] {
        outln!("the recipes are the same");
    } else {
        outln!("recipe, attempt {a} → {b}:");
        out!("{diff}");
    }
    outln!("{}", out.display());
    Ok(())
}
