//! `genpath import FILE…`: turn images made by AUTOMATIC1111, Forge,
//! stable-diffusion.cpp, ComfyUI (or genpath) into genpath recipes,
//! reporting what could not be mapped.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::{Env, UsageError};
use crate::recipe::import::{Origin, from_png};

pub fn run(env: &Env, files: &[PathBuf], out: Option<PathBuf>) -> Result<()> {
    if files.is_empty() {
        return Err(UsageError("name one or more image files to import".into()).into());
    }
    let out = out.unwrap_or_else(|| env.workspace.recipes_dir().join("imported"));
    std::fs::create_dir_all(&out).with_context(|| format!("Failed to create {}", out.display()))?;
    let mut failures = 0;
    for f in files {
        match import_one(f, &out) {
            Ok((path, origin, unmapped)) => {
                let from = match origin {
                    Origin::Genpath => "genpath",
                    Origin::Infotext => "A1111-style infotext",
                    Origin::ComfyUi => "ComfyUI graph",
                };
                outln!("{} → {} ({from})", f.display(), path.display());
                for u in &unmapped {
                    outln!("  not mapped: {u}");
                }
            }
            Err(e) => {
                failures += 1;
                eprintln!("{}: {e:#}", f.display());
            }
        }
    }
    if failures > 0 {
        return Err(UsageError(format!("{failures} file(s) could not be imported")).into());
    }
    Ok(())
}

fn import_one(file: &Path, out: &Path) -> Result<(PathBuf, Origin, Vec<String>)> {
    let bytes = crate::imaging::read_file(file).with_context(|| format!("Failed to read {}", file.display()))?;
    let (mut recipe, unmapped, origin) = if bytes.starts_with(&[137, 80, 78, 71]) {
        from_png(&bytes).map_err(anyhow::Error::msg)?
    } else {
        // JPEG and WebP from A1111/Forge carry the infotext in EXIF UserComment.
        let text = crate::recipe::import::exif_user_comment(&bytes)
            .context("no generation parameters found (no EXIF UserComment in this JPEG/WebP)")?;
        let (r, u) = crate::recipe::import::recipe_from_infotext(&crate::recipe::import::parse_infotext(&text));
        (r, u, Origin::Infotext)
    };
    let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("image").to_string();
    recipe.title.get_or_insert_with(|| {
        format!("Imported from {}", file.file_name().and_then(|n| n.to_str()).unwrap_or("an image"))
    });
    let mut text = String::from("# Imported by `genpath import`.\n");
    for u in &unmapped {
        text.push_str(&format!("# not mapped: {u}\n"));
    }
    text.push_str(&toml::to_string_pretty(&recipe).context("Failed to write the recipe")?);
    let path = unused_name(out, &stem, text.as_bytes())?;
    Ok((path, origin, unmapped))
}

/// Write `bytes` as `STEM.toml`, or `STEM-2.toml`, `STEM-3.toml`… when that
/// name holds another recipe: an import never overwrites one (two `01.png`
/// from different folders are two recipes). The same recipe imported again
/// keeps its file.
fn unused_name(out: &Path, stem: &str, bytes: &[u8]) -> Result<PathBuf> {
    for n in 1..10_000u32 {
        let name = if n == 1 { format!("{stem}.toml") } else { format!("{stem}-{n}.toml") };
        let path = out.join(name);
        match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(_) => {
                crate::workspace::write_atomic(&path, bytes)?;
                return Ok(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                if std::fs::read(&path).is_ok_and(|old| old == bytes) {
                    return Ok(path);
                }
            }
            Err(e) => return Err(e).with_context(|| format!("Failed to create {}", path.display())),
        }
    }
    anyhow::bail!("{} already holds 10,000 recipes named {stem}", out.display())
}
