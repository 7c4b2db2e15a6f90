//! The hand-off package: what a client takes away from a pipeline run.
//!
//! A run whose pipeline has `[handoff]` writes `handoff/` beside its
//! outputs, a folder that stands on its own:
//!
//! ```text
//! handoff/
//!   assets/<output name>     every asset, byte for byte as made
//!   manifest.json            backend, seed, recipe and sha256 of each asset
//!   manifest.csv
//!   contact-sheet.png        every asset on one page, labelled
//!   response.md              the one-page response to the brief (`handoff.response`)
//!   rerun/pipeline.toml      the pipeline itself, and every input file it reads
//!   rerun/README.md          how to re-run it
//! ```
//!
//! The `handoff` check judges the package's completeness (every asset in
//! every format, hashes as recorded, the response's sections and numbers),
//! and `bundle_reruns` re-runs `rerun/` in a clean folder holding nothing
//! else — the test a client's machine would make.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use serde::{Deserialize, Serialize};

use super::{Pipeline, stays_inside};
use crate::workspace::write_atomic;

/// The package's folder, beside the run's outputs.
pub const FOLDER: &str = "handoff";
/// The re-runnable copy of the pipeline, inside the package.
pub const RERUN: &str = "rerun";
/// Files beside the assets that the package carries when the run wrote them.
const RUN_FILES: [&str; 3] = ["manifest.json", "manifest.csv", "contact-sheet.png"];
/// Bounds on reading a package back: a campaign is tens of megabytes.
const MAX_FILES: usize = 4096;
const MAX_BYTES: u64 = 1 << 30;

/// `[handoff]` in a pipeline file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Handoff {
    /// The one-page response to the brief the client reads (Markdown),
    /// shipped as response.md.
    pub response: String,
    /// The matrix variable whose values are the delivery formats (e.g.
    /// `"format"`): the package must hold every asset of each.
    #[serde(default)]
    pub formats: Option<String>,
}

/// Each asset the pipeline makes, with its delivery format (the `formats`
/// variable's value; `"all"` without one), in job order.
pub fn expected_assets(p: &Pipeline) -> Vec<(String, String)> {
    let axis = p.handoff.as_ref().and_then(|h| h.formats.as_deref());
    p.expand()
        .into_iter()
        .map(|j| {
            let format = axis.and_then(|a| j.vars.get(a)).cloned().unwrap_or_else(|| "all".into());
            (format, j.output)
        })
        .collect()
}

/// Write the package for a run into `out_dir/handoff`, replacing an older
/// one: the assets found in `out_dir`, the run's manifest and contact
/// sheet, the pipeline `text` and each input file it names (read with
/// `inputs`, by the path the pipeline gives), and the response. Assets or
/// inputs that are missing are left out; the checks say which.
pub fn write_package(
    p: &Pipeline,
    text: &str,
    out_dir: &Path,
    inputs: &dyn Fn(&str) -> Option<Vec<u8>>,
) -> Result<Option<PathBuf>> {
    let Some(h) = &p.handoff else { return Ok(None) };
    let dir = out_dir.join(FOLDER);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("Failed to replace {}", dir.display()))?;
    }
    let put = |rel: &str, bytes: &[u8]| -> Result<()> {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("Failed to create {}", parent.display()))?;
        }
        write_atomic(&path, bytes)
    };
    for (_, output) in expected_assets(p) {
        if let Ok(bytes) = std::fs::read(out_dir.join(&output)) {
            put(&format!("assets/{output}"), &bytes)?;
        }
    }
    for name in RUN_FILES {
        if let Ok(bytes) = std::fs::read(out_dir.join(name)) {
            put(name, &bytes)?;
        }
    }
    put(&format!("{RERUN}/pipeline.toml"), text.as_bytes())?;
    for rel in p.base.asset_paths() {
        if let Some(bytes) = inputs(rel).filter(|_| stays_inside(rel)) {
            put(&format!("{RERUN}/{rel}"), &bytes)?;
        }
    }
    put(&format!("{RERUN}/README.md"), rerun_readme(p).as_bytes())?;
    put("response.md", h.response.as_bytes())?;
    Ok(Some(dir))
}

fn rerun_readme(p: &Pipeline) -> String {
    format!(
        "# Re-running {name}\n\n\
         In this folder: `genpath pipeline run pipeline.toml`. It makes the assets again on the \
         backends it names ({backends}) with the seeds it pins; on the same backend and model the \
         images are the same, and `../manifest.json` holds the sha256 of each to compare against. \
         Every input file the pipeline reads is here beside it.\n",
        name = p.name,
        backends = p.run.backends.join(", "),
    )
}

/// Every file of a package folder (path relative to it, with `/`), bounded
/// in count and size; symbolic links are refused.
pub fn read_package(dir: &Path) -> Result<BTreeMap<String, Vec<u8>>> {
    let mut out = BTreeMap::new();
    let mut total = 0u64;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).with_context(|| format!("Failed to read {}", d.display()))? {
            let entry = entry?;
            let kind = entry.file_type()?;
            let path = entry.path();
            if kind.is_symlink() {
                anyhow::bail!("{} is a symbolic link: a package holds plain files", path.display());
            }
            if kind.is_dir() {
                stack.push(path);
                continue;
            }
            let size = entry.metadata()?.len();
            total += size;
            if out.len() >= MAX_FILES || total > MAX_BYTES {
                anyhow::bail!("{} holds more than {MAX_FILES} files or {MAX_BYTES} bytes", dir.display());
            }
            let rel = path.strip_prefix(dir).unwrap_or(&path);
            let rel: Vec<String> = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
            out.insert(
                rel.join("/"),
                std::fs::read(&path).with_context(|| format!("Failed to read {}", path.display()))?,
            );
        }
    }
    Ok(out)
}
