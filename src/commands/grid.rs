//! `genpath grid RECIPE --x KEY=V1,V2 [--y …] [--z …] --out grid.png`: an
//! X/Y/Z plot of one recipe on the built-in renderer (see `grid`).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};

use crate::backend::Request;
use crate::backend::inputs::{self, AssetDirs};
use crate::grid::{self, Axis};
use crate::recipe::Limits;
use crate::workspace::write_atomic;

pub fn run(recipe_path: &Path, axes: Vec<Axis>, out: &Path, limits: Limits) -> Result<()> {
    let text =
        std::fs::read_to_string(recipe_path).with_context(|| format!("Failed to read {}", recipe_path.display()))?;
    let name = recipe_path.display().to_string();
    let cells = grid::cells(&name, &text, &axes, limits)?;
    let dirs = AssetDirs::beside(recipe_path);
    let started = Instant::now();
    let bar = indicatif::ProgressBar::new(cells.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} cell {pos}/{len} {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    // Assets are read once, here; the cells render in parallel.
    let requests: Vec<Request> = cells
        .iter()
        .map(|c| -> Result<_> {
            let inputs = inputs::load(&c.recipe, &dirs, &[]).map_err(|e| e.located(&name, &text))?;
            Ok(Request { recipe: c.recipe.clone(), inputs })
        })
        .collect::<Result<_>>()?;
    let made = grid::render(&requests, || bar.inc(1))?;
    bar.finish_and_clear();
    let (images, seeds): (Vec<_>, Vec<_>) = made.into_iter().unzip();
    let sheet = grid::sheet(&axes, &cells, &images);
    let legend = grid::legend(&axes, &cells, &seeds, "builtin");
    let png =
        crate::recipe::png::encode_with(&sheet, &[("parameters", &legend)]).context("Failed to encode the grid")?;
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("Failed to create {}", dir.display()))?;
    }
    write_atomic(out, &png)?;
    let shape: Vec<String> = axes.iter().map(|a| a.values.len().to_string()).collect();
    outln!("{}  {} cells ({})  {:.1} s", out.display(), cells.len(), shape.join("×"), started.elapsed().as_secs_f64());
    Ok(())
}

/// The default output name: `<recipe>-grid.png` in the current folder.
pub fn default_out(recipe: &Path) -> PathBuf {
    let stem = recipe.file_stem().and_then(|s| s.to_str()).unwrap_or("recipe");
    PathBuf::from(format!("{stem}-grid.png"))
}
