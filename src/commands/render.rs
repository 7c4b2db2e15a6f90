//! `genpath render RECIPE.toml --out DIR`: render any recipe outside an
//! exercise (a contact sheet, a quick experiment).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::backend::inputs::{self, AssetDirs};
use crate::backend::{Backend, Cancel, Request, builtin::Builtin};
use crate::recipe::{Limits, Recipe};
use crate::workspace::write_atomic;

pub fn run(recipe_path: &Path, out: Option<PathBuf>, limits: Limits) -> Result<()> {
    let text =
        std::fs::read_to_string(recipe_path).with_context(|| format!("Failed to read {}", recipe_path.display()))?;
    let recipe = Recipe::parse(&recipe_path.display().to_string(), &text, limits)?;
    let stem = recipe_path.file_stem().and_then(|s| s.to_str()).unwrap_or("image").to_string();
    let out = out.unwrap_or_else(|| PathBuf::from("."));
    std::fs::create_dir_all(&out).with_context(|| format!("Failed to create {}", out.display()))?;
    let dirs = AssetDirs::beside(recipe_path);
    let backend = Builtin::new();
    let mut made = Vec::new();
    for (i, r) in recipe.resolve().into_iter().enumerate() {
        let conflicts = crate::recipe::prompt::conflicts(&crate::recipe::prompt::parse(&r.prompt));
        let inputs =
            inputs::load(&r, &dirs, &made).map_err(|e| e.located(&recipe_path.display().to_string(), &text))?;
        let g = backend.generate(&Request { recipe: r, inputs }, &Cancel::default())?;
        let name = if recipe.shot.is_empty() { format!("{stem}.png") } else { format!("{stem}-{:02}.png", i + 1) };
        let path = out.join(name);
        write_atomic(&path, &g.png)?;
        outln!("{}  seed {}  {:.0} ms", path.display(), g.seed, g.seconds * 1000.0);
        if !g.not_understood.is_empty() {
            outln!("  not understood: {}", g.not_understood.join(", "));
            if g.not_understood.iter().any(|w| crate::recipe::prompt::is_hex(w)) {
                outln!("  {}", crate::recipe::prompt::HEX_HINT);
            }
        }
        for c in &conflicts {
            outln!("  conflicting words in the prompt: {c}");
        }
        made.push(image::load_from_memory(&g.png).context("Failed to read back the image")?.to_rgb8());
    }
    Ok(())
}
