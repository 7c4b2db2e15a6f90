//! `genpath check EXERCISE [IMAGES…] [--json]`: check existing images (made
//! anywhere) against an exercise without generating.

use std::path::PathBuf;

use anyhow::{Context, Result};

use super::{ChecksFailed, Env, UsageError, verdict};
use crate::attempt::{self, Answer};
use crate::checks::Image;

pub fn run(
    env: &Env,
    query: &str,
    paths: Vec<PathBuf>,
    recipe: Option<PathBuf>,
    json: bool,
    show_images: bool,
) -> Result<()> {
    let ws = &env.workspace;
    let exercise = env.curriculum.find(query)?;
    // Images made elsewhere are judged as images: the learner's own recipe
    // did not make them, so checks that read a recipe are "not checked"
    // (and the verdict cannot pass) unless one is given with --recipe.
    let answer = match (recipe, paths.is_empty()) {
        (Some(p), _) => Answer::read(exercise, &p, ws.config.limits())?,
        (None, true) => Answer::read(exercise, &ws.ensure_answer(&env.curriculum, exercise)?, ws.config.limits())?,
        (None, false) => Answer::none(),
    };
    let mut shown: Vec<PathBuf> = paths.clone();
    let images: Vec<Image> = if paths.is_empty() {
        let store = ws.store()?;
        let last = store.attempts(env.learner(), &exercise.id)?.into_iter().find(|a| a.finished_at.is_some());
        let Some(last) = last else {
            return Err(UsageError(format!(
                "no images given and no finished attempt of {} yet: pass image files or `genpath run` first",
                exercise.id
            ))
            .into());
        };
        store
            .images(last.id)?
            .into_iter()
            .map(|r| {
                let p = ws.root.join(&r.path);
                shown.push(p.clone());
                crate::imaging::read_file(&p)
                    .map(|b| Image::load(p.display().to_string(), b))
                    .with_context(|| format!("Failed to read {}", p.display()))
            })
            .collect::<Result<_>>()?
    } else {
        paths
            .iter()
            .map(|p| {
                crate::imaging::read_file(p)
                    .map(|b| Image::load(p.display().to_string(), b))
                    .with_context(|| format!("Failed to read {}", p.display()))
            })
            .collect::<Result<_>>()?
    };
    let backend = crate::backend::from_config(&ws.config.backend, &ws.config)?;
    let v = attempt::check(
        &env.curriculum,
        exercise,
        &answer,
        &images,
        Some(backend.as_ref()),
        ws.embedding_for(&exercise.checks)?,
    );
    if json {
        outln!("{}", serde_json::to_string_pretty(&v).context("Failed to encode the verdict")?);
    } else {
        outln!("{} — {} image(s)", exercise.id, images.len());
        verdict::print(&v)?;
        verdict::thumbnails(&shown, show_images);
    }
    if v.passed { Ok(()) } else { Err(ChecksFailed.into()) }
}
