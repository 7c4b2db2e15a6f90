//! `genpath submit EXERCISE [--attempt N] [--out DIR]`: pack an attempt into
//! a `{learner}+{exercise}+{timestamp}.genpath` bundle for an instructor.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::{Env, UsageError};
use crate::bundle::{self, HistoryEntry, Milestone, Submission, SubmittedAttempt, SubmittedCheck, SubmittedImage};
use crate::store::{AttemptRow, AttemptStatus, Store, sha256_hex};

const NO_ATTEMPT: &str = "has no finished attempt to submit yet: run it first (`genpath run";

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
    env: &Env,
    store: &Store,
    exercise_id: &str,
    chosen: Option<i64>,
) -> Result<(Submission, BTreeMap<String, Vec<u8>>)> {
    let ws = &env.workspace;
    let exercise = env.curriculum.find(exercise_id)?;
    let learner = env.learner();
    let attempts = store.attempts(learner, &exercise.id)?;
    let attempt = match chosen {
        Some(id) => attempts.iter().find(|a| a.id == id).ok_or_else(|| {
            UsageError(format!("attempt {id} is not one of your attempts at {} (see `genpath progress`)", exercise.id))
        })?,
        None => best_attempt(&attempts)
            .ok_or_else(|| UsageError(format!("{} {NO_ATTEMPT} {}`)", exercise.id, exercise.id)))?,
    };
    if attempt.finished_at.is_none() || !matches!(attempt.status, AttemptStatus::Passed | AttemptStatus::Failed) {
        return Err(UsageError(format!(
            "attempt {} is {}; only an attempt that ran to a verdict can be submitted",
            attempt.id,
            attempt.status.as_str()
        ))
        .into());
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
            return Err(UsageError(format!(
                "{} changed since attempt {} made it; run the exercise again and submit the new attempt",
                path.display(),
                attempt.id
            ))
            .into());
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
            started_at: a.started_at.clone(),
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
            status: attempt.status.as_str().to_string(),
            score: attempt.score,
            cost: attempt.cost,
            started_at: attempt.started_at.clone(),
            finished_at: attempt.finished_at.clone(),
            backend: attempt.backend.clone(),
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

pub fn run(env: &Env, exercise: &str, chosen: Option<i64>, out: Option<PathBuf>) -> Result<()> {
    let store = env.workspace.store()?;
    let (submission, files) = build(env, &store, exercise, chosen)?;
    let bytes = bundle::write(&submission, &files)?;
    let dir = out.unwrap_or_else(|| env.workspace.root.join("submitted"));
    std::fs::create_dir_all(&dir).with_context(|| format!("Failed to create {}", dir.display()))?;
    let path = dir.join(bundle::file_name(&submission.learner.id, &submission.exercise, &submission.submitted_at));
    crate::workspace::write_atomic(&path, &bytes)?;
    print_summary(&submission, &path, bytes.len());
    Ok(())
}

fn print_summary(s: &Submission, path: &Path, size: usize) {
    let verdict = if s.attempt.status == "passed" { "passed" } else { "did not pass" };
    println!(
        "packed attempt {} of {} ({verdict}, score {}): {} image(s), {} attempt(s) of history",
        s.attempt.id,
        s.exercise,
        s.attempt.score.unwrap_or(0),
        s.images.len(),
        s.history.len()
    );
    println!("wrote {} ({} KB) — send this file to your instructor", path.display(), size.div_ceil(1024));
}
