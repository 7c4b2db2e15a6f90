//! Packing a learner's attempt as a submission bundle: the recipe and the
//! rest of the answer folder, the images (verified against their recorded
//! hashes), check outcomes, history and milestones.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use thiserror::Error;

use crate::bundle::{self, HistoryEntry, Milestone, Submission, SubmittedAttempt, SubmittedCheck, SubmittedImage};
use crate::curriculum::Exercise;
use crate::hash::sha256_hex;
use crate::id::ExerciseId;
use crate::store::{AttemptRow, AttemptStatus, Store};
use crate::workspace::Workspace;

/// Why an attempt cannot be submitted; each says what to do instead.
#[derive(Debug, Error)]
pub enum SubmitError {
    #[error("{0} has no finished attempt to submit yet: run it first (`genpath run {0}`)")]
    NoAttempt(ExerciseId),
    #[error("you have no attempt {number} at {exercise} (`genpath progress {exercise}` lists them)")]
    NotYours { number: u32, exercise: ExerciseId },
    #[error("attempt {number} is {status}; only an attempt that ran to a verdict can be submitted")]
    Unfinished { number: u32, status: String },
    #[error("{path} changed since attempt {number} made it; run the exercise again and submit the new attempt")]
    ImageChanged { path: String, number: u32 },
}

/// The attempt a bundle carries when none is chosen: the best pass (highest
/// score, then the latest), else the best-scoring failure.
pub fn best_attempt(attempts: &[AttemptRow]) -> Option<&AttemptRow> {
    attempts
        .iter()
        .filter(|a| matches!(a.status, AttemptStatus::Passed | AttemptStatus::Failed))
        .max_by_key(|a| (a.status == AttemptStatus::Passed, a.score.unwrap_or(0), a.id))
}

/// Everything `submit` packs, built from a workspace's records.
pub fn build(
    ws: &Workspace,
    store: &Store,
    exercise: &Exercise,
    chosen: Option<u32>,
) -> Result<(Submission, BTreeMap<String, Vec<u8>>)> {
    let learner = ws.config.learner.id.as_str();
    let attempts = store.attempts(learner, &exercise.id)?;
    let attempt = match chosen {
        Some(number) => attempts
            .iter()
            .find(|a| a.number == number)
            .ok_or_else(|| SubmitError::NotYours { number, exercise: exercise.id.clone() })?,
        None => best_attempt(&attempts).ok_or_else(|| SubmitError::NoAttempt(exercise.id.clone()))?,
    };
    if attempt.finished_at.is_none() || !matches!(attempt.status, AttemptStatus::Passed | AttemptStatus::Failed) {
        return Err(SubmitError::Unfinished { number: attempt.number, status: attempt.status.as_str().into() }.into());
    }
    let answer_path = ws.answer_path(exercise);
    let answer_dir = answer_path.parent().unwrap_or(&ws.root);
    let mut files = bundle::answer_entries(
        answer_dir,
        &exercise.deliverable.file,
        &attempt.recipe_text,
        bundle::Limits::default(),
    )?;
    let mut images = Vec::new();
    for (i, record) in store.images(attempt.id)?.into_iter().enumerate() {
        let path = ws.root.join(&record.path);
        let bytes = std::fs::read(&path).with_context(|| format!("Failed to read {}", path.display()))?;
        if sha256_hex(&bytes) != record.sha256 {
            return Err(SubmitError::ImageChanged { path: path.display().to_string(), number: attempt.number }.into());
        }
        let name = format!("images/{:02}.png", i + 1);
        files.insert(name.clone(), bytes);
        images.push(SubmittedImage {
            path: name,
            sha256: record.sha256,
            width: record.width,
            height: record.height,
            seed: record.seed,
        });
    }
    let checks = store
        .check_results(attempt.id)?
        .into_iter()
        .map(|c| SubmittedCheck {
            check: c.check,
            passed: c.passed,
            value: c.value,
            threshold: c.threshold,
            message: c.message,
        })
        .collect();
    let mut history = Vec::new();
    for a in attempts.iter().rev().filter(|a| a.finished_at.is_some()) {
        let failed_checks = store.check_results(a.id)?.into_iter().filter(|c| !c.passed).map(|c| c.check).collect();
        history.push(HistoryEntry {
            attempt: a.id,
            number: Some(a.number),
            started_at: a.started_at,
            status: a.status.as_str().to_string(),
            score: a.score,
            failed_checks,
        });
    }
    let milestones = store
        .milestones(learner)?
        .into_iter()
        .map(|m| Milestone { stage: m.stage, reached_at: m.reached_at })
        .collect();
    let submission = Submission {
        learner: bundle::Learner { id: learner.to_string(), name: ws.config.learner.name.clone() },
        exercise: exercise.id.clone(),
        exercise_title: exercise.title.clone(),
        genpath_version: env!("CARGO_PKG_VERSION").to_string(),
        submitted_at: crate::store::now(),
        attempt: SubmittedAttempt {
            id: attempt.id,
            number: Some(attempt.number),
            status: attempt.status.as_str().to_string(),
            score: attempt.score,
            cost: attempt.cost,
            started_at: attempt.started_at,
            finished_at: attempt.finished_at,
            backend: attempt.backend.clone(),
            backend_description: crate::backend::from_config(&attempt.backend, &ws.config).ok().map(|b| {
                let d = b.describe();
                bundle::BackendInfo { kind: d.kind, deterministic: d.deterministic, price_per_image: d.price_per_image }
            }),
            answer: format!("answer/{}", exercise.deliverable.file),
            recipe_sha256: attempt.recipe_sha256.clone(),
        },
        images,
        checks,
        history,
        milestones,
    };
    Ok((submission, files))
}

/// A bundle written to disk.
#[derive(Debug)]
pub struct Written {
    pub submission: Submission,
    pub path: PathBuf,
    pub bytes: usize,
}

/// Where `submit` writes bundles unless told otherwise.
pub fn default_dir(ws: &Workspace) -> PathBuf {
    ws.root.join("submitted")
}

/// Build the bundle for an exercise and write it (atomically) into `dir`.
pub fn write_to(
    ws: &Workspace,
    store: &Store,
    exercise: &Exercise,
    chosen: Option<u32>,
    dir: &Path,
) -> Result<Written> {
    let (submission, files) = build(ws, store, exercise, chosen)?;
    let bytes = bundle::write(&submission, &files)?;
    std::fs::create_dir_all(dir).with_context(|| format!("Failed to create {}", dir.display()))?;
    let path = dir.join(bundle::file_name(&submission.learner.id, &submission.exercise, &submission.submitted_at));
    crate::workspace::write_atomic(&path, &bytes)?;
    Ok(Written { submission, path, bytes: bytes.len() })
}
