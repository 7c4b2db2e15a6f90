//! `genpath grid RECIPE --x KEY=V1,V2 [--y …] [--z …] --out grid.png`: an
//! X/Y/Z plot of one recipe on the built-in renderer (see `grid`).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};

use crate::grid::{self, Axis};
use crate::recipe::Limits;
use crate::workspace::write_atomic;

pub fn run(recipe_path: &Path, axes: Vec<Axis>, out: &Path, limits: Limits) -> Result<()> {
    let started = Instant::now();
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} cell {pos}/{len} {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let made = grid::make(recipe_path, &axes, limits, |n| bar.set_length(n as u64), || bar.inc(1))?;
    bar.finish_and_clear();
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("Failed to create {}", dir.display()))?;
    }
    write_atomic(out, &made.png)?;
    let shape: Vec<String> = axes.iter().map(|a| a.values.len().to_string()).collect();
    outln!("{}  {} cells ({})  {:.1} s", out.display(), made.cells, shape.join("×"), started.elapsed().as_secs_f64());
    Ok(())
}

/// The default output name: `<recipe>-grid.png` in the current folder.
pub fn default_out(recipe: &Path) -> PathBuf {
    let stem = recipe.file_stem().and_then(|s| s.to_str()).unwrap_or("recipe");
    PathBuf::from(format!("{stem}-grid.png"))
}
