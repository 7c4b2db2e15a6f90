//! `genpath import FILE…`: turn images made by AUTOMATIC1111, Forge,
//! stable-diffusion.cpp, ComfyUI (or genpath) into genpath recipes,
//! reporting what could not be mapped.
//!
//! `genpath import FILE… --exercise ID` also records the images as one
//! attempt at that exercise, re-checked here against its checks and marked
//! with the tool that made them (`import:a1111`, `import:comfyui`…): the
//! portfolio shows such work under "Work on real tools".

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::{ChecksFailed, Env, UsageError, verdict};
use crate::attempt::{self, Answer};
use crate::checks::Image;
use crate::curriculum::ExerciseKind;
use crate::recipe::import::{Origin, from_png};
use crate::recipe::{Limits, Recipe};

use crate::portfolio::IMPORTED;

pub fn run(env: &Env, files: &[PathBuf], out: Option<PathBuf>, exercise: Option<&str>) -> Result<()> {
    if let Some(exercise) = exercise {
        return as_attempt(env, files, out, exercise);
    }
    if files.is_empty() {
        return Err(UsageError("name one or more image files to import".into()).into());
    }
    let out = out.unwrap_or_else(|| env.workspace.recipes_dir().join("imported"));
    std::fs::create_dir_all(&out).with_context(|| format!("Failed to create {}", out.display()))?;
    let mut failures = 0;
    for f in files {
        match import_one(f, &out) {
            Ok((path, origin, unmapped, _, _)) => {
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

/// The tool an image's metadata says made it: `a1111`, `forge`, `sdcpp`,
/// `comfyui`, or the backend named in genpath's own chunk.
fn tool(bytes: &[u8], origin: Origin) -> String {
    match origin {
        Origin::ComfyUi => "comfyui".into(),
        Origin::Genpath => crate::recipe::png::provenance(bytes).map_or("genpath".into(), |p| p.backend),
        Origin::Infotext => {
            let text = crate::recipe::png::text_chunks(bytes)
                .ok()
                .and_then(|c| c.into_iter().find(|(k, _)| k == "parameters").map(|(_, v)| v))
                .or_else(|| crate::recipe::import::exif_user_comment(bytes))
                .unwrap_or_default();
            let info = crate::recipe::import::parse_infotext(&text);
            let param = |k: &str| info.params.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
            if param("SDCPP").is_some() {
                "sdcpp".into()
            } else if param("Version").is_some_and(|v| v.starts_with('f')) {
                "forge".into()
            } else {
                "a1111".into()
            }
        }
    }
}

/// Import images as one attempt at an exercise, re-checked here.
fn as_attempt(env: &Env, files: &[PathBuf], out: Option<PathBuf>, exercise: &str) -> Result<()> {
    if files.is_empty() {
        return Err(UsageError("name the image files the tool made".into()).into());
    }
    let exercise = env.curriculum.find(exercise)?;
    if exercise.deliverable.count == 0 || exercise.kind == ExerciseKind::Pipeline {
        return Err(UsageError(format!(
            "{} is answered by a {}, not by images: import images for an exercise that asks for them",
            exercise.id, exercise.deliverable.file
        ))
        .into());
    }
    let out = out.unwrap_or_else(|| env.workspace.recipes_dir().join("imported"));
    std::fs::create_dir_all(&out).with_context(|| format!("Failed to create {}", out.display()))?;
    let mut images = Vec::new();
    let mut seeds = Vec::new();
    let mut first: Option<(PathBuf, String, Origin, Vec<String>)> = None;
    for f in files {
        let (path, origin, unmapped, bytes, seed) = import_one(f, &out).with_context(|| format!("{}", f.display()))?;
        if !bytes.starts_with(&[137, 80, 78, 71]) {
            return Err(UsageError(format!("{}: only PNG images can be recorded as an attempt", f.display())).into());
        }
        let name = format!("image {}", images.len() + 1);
        if first.is_none() {
            first = Some((path, tool(&bytes, origin), origin, unmapped));
        }
        images.push(Image::load(name, bytes));
        seeds.push(seed.unwrap_or(0));
    }
    let Some((recipe_path, tool, _, unmapped)) = first else {
        return Err(UsageError("name the image files the tool made".into()).into());
    };
    let text =
        std::fs::read_to_string(&recipe_path).with_context(|| format!("Failed to read {}", recipe_path.display()))?;
    let recipe = match Recipe::parse(&recipe_path.display().to_string(), &text, Limits::default()) {
        Ok(r) => Some(r),
        Err(e) => {
            outln!(
                "note: the recipe read from the image is not a valid genpath recipe; checks judge the images without it:"
            );
            outln!("{e}");
            None
        }
    };
    // The recipe's paths are the tool's, not this machine's: nothing is read through them.
    let answer = Answer { path: recipe_path.clone(), text, recipe, work_dir: None, sandbox: true };
    let mut store = env.workspace.store()?;
    let backend = format!("{IMPORTED}{tool}");
    let rec = attempt::record_made(
        &mut store,
        &env.workspace.outputs_dir(),
        env.learner(),
        &env.curriculum,
        exercise,
        &answer,
        images,
        seeds,
        &backend,
        env.workspace.embedding_for(&exercise.checks)?,
    )?;
    outln!(
        "{} image(s) made on {tool} → attempt {} at {} (recipe {})",
        files.len(),
        rec.number,
        exercise.id,
        recipe_path.display()
    );
    for u in &unmapped {
        outln!("  not mapped: {u}");
    }
    outln!("re-checked against {}'s checks:", exercise.id);
    verdict::print(&rec.verdict)?;
    for m in &rec.milestones {
        let title = env.curriculum.stage(m).map_or(m.as_str(), |s| s.milestone.title.as_str());
        outln!("Milestone reached: {title}!");
    }
    if rec.verdict.passed { Ok(()) } else { Err(ChecksFailed.into()) }
}

/// Import one image: the recipe file written, where the recipe came from,
/// what was not mapped, the image's bytes and the seed it names.
type Imported = (PathBuf, Origin, Vec<String>, Vec<u8>, Option<i64>);

fn import_one(file: &Path, out: &Path) -> Result<Imported> {
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
    Ok((path, origin, unmapped, bytes, recipe.seed))
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
