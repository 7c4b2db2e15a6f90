//! Collecting submission bundles (instructors): verify a bundle, re-check
//! its images on this machine, optionally re-generate them from their
//! recipes, flag late work, and record it all.
//!
//! A bundle is verified completely in memory first (`bundle::read`); a
//! refused bundle writes nothing. An accepted one is unpacked into a staging
//! folder, renamed into `submissions/<learner>/<exercise>/<time>/` and then
//! recorded in one transaction.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::attempt::{self, Answer};
use crate::backend::Backend;
use crate::bundle::{self, Bundle};
use crate::checks::{Image, Verdict};
use crate::curriculum::{Curriculum, Exercise, ExerciseKind};
use crate::hash::sha256_hex;
use crate::id::ExerciseId;
use crate::store::{NewSubmission, Store};
use crate::time::Timestamp;
use crate::workspace::{Workspace, write_atomic};

/// Where collected work lives, relative to the workspace.
pub const SUBMISSIONS_DIR: &str = "submissions";
const THUMB_SIDE: u32 = 160;

/// How one bundle fared.
#[derive(Debug, Clone, PartialEq)]
pub enum Collected {
    Recorded {
        learner: String,
        exercise: ExerciseId,
        passed: bool,
        late: bool,
        reproduced: Option<bool>,
        new_learner: bool,
    },
    AlreadyCollected,
}

/// The marker a submission folder carries from the moment it is moved into
/// place until its row is committed; it holds the collecting process's id.
const PENDING_MARKER: &str = ".collecting";

/// Clear what a collect killed mid-way left behind: staging folders, and
/// submission folders moved into place whose row was never committed (their
/// process no longer holds its workspace lock). A folder whose row did commit
/// just loses its marker. Returns how many folders were removed.
pub fn remove_abandoned_staging(ws: &Workspace, store: &Store) -> Result<usize> {
    let root = ws.root.join(SUBMISSIONS_DIR);
    let dead = |pid: Option<u32>| pid.is_none_or(|pid| pid != std::process::id() && !ws.process_alive(pid));
    let mut removed = 0;
    let Ok(entries) = std::fs::read_dir(&root) else { return Ok(0) };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(rest) = name.strip_prefix(".staging-") {
            let pid = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
            if dead(pid) && std::fs::remove_dir_all(entry.path()).is_ok() {
                removed += 1;
            }
            continue;
        }
        // submissions/<learner>/<exercise>/<time>/.collecting
        for exercise in read_dirs(&entry.path()) {
            for dir in read_dirs(&exercise) {
                let marker = dir.join(PENDING_MARKER);
                let Ok(text) = std::fs::read_to_string(&marker) else { continue };
                if !dead(text.trim().parse::<u32>().ok()) {
                    continue;
                }
                let rel = relative(ws, &dir);
                if store.submission_in_dir(&rel)? {
                    let _ = std::fs::remove_file(&marker);
                } else if std::fs::remove_dir_all(&dir).is_ok() {
                    removed += 1;
                }
            }
        }
    }
    Ok(removed)
}

fn read_dirs(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|rd| rd.flatten().filter(|e| e.file_type().is_ok_and(|t| t.is_dir())).map(|e| e.path()).collect())
        .unwrap_or_default()
}

/// A path inside the workspace as stored: relative, with forward slashes.
fn relative(ws: &Workspace, path: &Path) -> String {
    path.strip_prefix(&ws.root).unwrap_or(path).to_string_lossy().replace('\\', "/")
}

/// Collect one bundle file into the workspace.
pub fn collect(
    ws: &Workspace,
    curriculum: &Curriculum,
    store: &mut Store,
    backend: &dyn Backend,
    file: &Path,
    reproduce: bool,
) -> Result<Collected> {
    let limits = bundle::Limits::default();
    // Read at most one byte past the limit: the size on disk is not trusted
    // (a device or a growing file has none).
    let mut bytes = Vec::new();
    std::fs::File::open(file)
        .and_then(|f| f.take(limits.archive_bytes + 1).read_to_end(&mut bytes))
        .with_context(|| format!("Failed to read {}", file.display()))?;
    if bytes.len() as u64 > limits.archive_bytes {
        let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0).max(bytes.len() as u64);
        return Err(bundle::BundleError::ArchiveTooLarge { size, limit: limits.archive_bytes }.into());
    }
    let bundle_sha = sha256_hex(&bytes);
    if store.submission_exists(&bundle_sha)? {
        return Ok(Collected::AlreadyCollected);
    }
    let bundle = bundle::read(&bytes, limits)?;
    let s = &bundle.submission;
    let exercise = curriculum.exercise(&s.exercise).ok_or_else(|| {
        anyhow::anyhow!(
            "exercise {:?} is not in this genpath's curriculum (the learner has version {})",
            s.exercise,
            s.genpath_version
        )
    })?;
    let new_learner = !store.learner_exists(&s.learner.id)?;

    let root = ws.root.join(SUBMISSIONS_DIR);
    let staging = root.join(format!(".staging-{}-{}", std::process::id(), &bundle_sha[..12]));
    let _ = std::fs::remove_dir_all(&staging);
    let result = (|| -> Result<Collected> {
        unpack(&bundle, &bytes, &staging)?;
        let answer_path = staging.join(&s.attempt.answer);
        let images: Vec<Image> = s
            .images
            .iter()
            .filter_map(|i| bundle.files.get(&i.path).map(|b| Image::load(i.path.clone(), b.clone())))
            .collect();
        let (verdict, reproduced) = recheck(ws, curriculum, exercise, backend, &answer_path, &images, reproduce);
        if let Some(first) = images.first().and_then(|i| i.pixels().ok()) {
            let (w, h) = thumb_size(first.width, first.height);
            let thumb = image::imageops::thumbnail(&first.rgb, w, h);
            write_atomic(&staging.join("thumb.png"), &crate::recipe::png::encode_with(&thumb, &[])?)?;
        }
        let due = store.due_date(&s.learner.id, &exercise.id)?;
        let late = crate::report::is_late(&s.submitted_at, due);
        // One folder per bundle, named by its time and hash: a bundle collected
        // again after a killed collect lands in the same place, never in a copy.
        let final_dir = submission_dir(&root.join(&s.learner.id).join(&exercise.id), &s.submitted_at, &bundle_sha);
        std::fs::create_dir_all(final_dir.parent().unwrap_or(&root))
            .with_context(|| format!("Failed to create {}", root.display()))?;
        if final_dir.exists() {
            // Left by a collect that died before recording it, or being recorded right now.
            match std::fs::read_to_string(final_dir.join(PENDING_MARKER))
                .ok()
                .and_then(|t| t.trim().parse::<u32>().ok())
            {
                Some(pid) if pid != std::process::id() && ws.process_alive(pid) => {
                    return Ok(Collected::AlreadyCollected);
                }
                _ => std::fs::remove_dir_all(&final_dir)
                    .with_context(|| format!("Failed to clear {}", final_dir.display()))?,
            }
        }
        write_atomic(&staging.join(PENDING_MARKER), std::process::id().to_string().as_bytes())?;
        std::fs::rename(&staging, &final_dir)
            .with_context(|| format!("Failed to move the submission into {}", final_dir.display()))?;
        let rel = relative(ws, &final_dir);
        let checks = attempt::check_records(&verdict);
        let note = reproduced.as_ref().map(|o| o.message.clone());
        let recorded = store.record_submission(&NewSubmission {
            learner: &s.learner.id,
            learner_name: &s.learner.name,
            exercise: &exercise.id,
            bundle_sha256: &bundle_sha,
            bundle_name: &file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            dir: &rel,
            submitted_at: s.submitted_at,
            due,
            late,
            genpath_version: &s.genpath_version,
            backend: &s.attempt.backend,
            claimed_passed: s.attempt.status == "passed",
            passed: verdict.passed,
            score: verdict.score,
            reproduced: reproduced.as_ref().map(|o| o.passed),
            reproduce_note: note.as_deref(),
            attempt: Some(s.attempt.id),
            attempt_number: s.attempt.number,
            needs_review: needs_review(exercise, &checks),
            checks: &checks,
            history: &s.history,
            milestones: &s.milestones,
        });
        if let Err(e) = recorded {
            // Another collect of the same bundle may have recorded it meanwhile (in this folder).
            if store.submission_exists(&bundle_sha).unwrap_or(false) {
                return Ok(Collected::AlreadyCollected);
            }
            let _ = std::fs::remove_dir_all(&final_dir);
            return Err(e.into());
        }
        // Committed: the folder is no longer pending (a marker left by a kill
        // here is removed by the next collect, which finds the row).
        let _ = std::fs::remove_file(final_dir.join(PENDING_MARKER));
        Ok(Collected::Recorded {
            learner: s.learner.id.clone(),
            exercise: exercise.id.clone(),
            passed: verdict.passed,
            late,
            reproduced: reproduced.map(|o| o.passed),
            new_learner,
        })
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

/// Write a verified bundle's files (and the bundle itself) into `dir`.
fn unpack(bundle: &Bundle, bytes: &[u8], dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("Failed to create {}", dir.display()))?;
    for (path, data) in &bundle.files {
        // `bundle::read` admits only plain relative paths; joined here they stay inside `dir`.
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("Failed to create {}", parent.display()))?;
        }
        write_atomic(&target, data)?;
    }
    write_atomic(&dir.join(bundle::MANIFEST), &bundle.manifest_json)?;
    write_atomic(&dir.join(format!("bundle.{}", bundle::EXTENSION)), bytes)
}

/// Re-check the submitted work on this machine. Pipeline answers are re-run
/// (their checks need the run); with `reproduce`, recipe answers are
/// re-generated on the instructor's backend and compared.
fn recheck(
    ws: &Workspace,
    curriculum: &Curriculum,
    exercise: &Exercise,
    backend: &dyn Backend,
    answer_path: &Path,
    images: &[Image],
    reproduce: bool,
) -> (Verdict, Option<crate::checks::Outcome>) {
    let failed = |reason: String| {
        let spec = exercise.checks.first().cloned();
        let outcomes =
            spec.map(|s| vec![crate::checks::Outcome::new(&s, false, None, None, reason.clone())]).unwrap_or_default();
        (Verdict::from_outcomes(outcomes), None)
    };
    let text = match std::fs::read_to_string(answer_path) {
        Ok(t) => t,
        Err(e) => return failed(format!("the submitted answer cannot be read: {e}")),
    };
    let mut answer = match Answer::from_text(exercise, answer_path, text, ws.config.limits()) {
        Ok(a) => a,
        Err(e) => return failed(format!("the submitted answer does not parse here: {e:#}")),
    };
    // The answer's files resolve inside the bundle only, as on a clean machine.
    answer.sandbox = true;
    let embedding = match ws.embedding_for(&exercise.checks) {
        Ok(e) => e,
        Err(e) => return failed(format!("{e:#}")),
    };
    if exercise.kind == ExerciseKind::Pipeline {
        answer.work_dir = answer_path.parent().map(|p| p.join(".rerun"));
        let result = attempt::evaluate(curriculum, exercise, &answer, backend, &attempt::Quiet, embedding);
        if let Some(dir) = &answer.work_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
        return match result {
            Ok((made, verdict)) => {
                let again = Ok(made.images.into_iter().map(|i| i.bytes).collect());
                (verdict, reproduce.then(|| attempt::compare_remade(exercise, images, again)))
            }
            Err(e) => failed(format!("re-running the pipeline failed: {e:#}")),
        };
    }
    let verdict = attempt::check(curriculum, exercise, &answer, images, Some(backend), embedding);
    let reproduced = (reproduce && exercise.deliverable.count > 0)
        .then(|| attempt::reproduce(curriculum, exercise, &answer, images, backend));
    (verdict, reproduced)
}

/// A thumbnail's size: the image scaled to fit a THUMB_SIDE square.
fn thumb_size(width: u32, height: u32) -> (u32, u32) {
    let (w, h) = (u64::from(width.max(1)), u64::from(height.max(1)));
    let side = u64::from(THUMB_SIDE);
    let fit = |a: u64, b: u64| (side * a / b).max(1) as u32;
    if w >= h { (THUMB_SIDE, fit(h, w)) } else { (fit(w, h), THUMB_SIDE) }
}

/// `base/<timestamp>-<first 8 hex of the bundle's sha256>`.
fn submission_dir(base: &Path, submitted_at: &Timestamp, bundle_sha: &str) -> PathBuf {
    base.join(format!("{}-{}", submitted_at.compact(), &bundle_sha[..8.min(bundle_sha.len())]))
}

/// Whether a person should look at a submission: a judgment write-up
/// (no check reads prose the way a reviewer does), or a check that landed
/// close to its line.
pub fn needs_review(exercise: &Exercise, checks: &[crate::store::CheckRecord]) -> bool {
    exercise.kind == ExerciseKind::Decision || checks.iter().any(|c| c.review)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbnails_fit_a_square_whatever_the_shape() {
        assert_eq!(thumb_size(512, 512), (160, 160));
        assert_eq!(thumb_size(1024, 576), (160, 90));
        assert_eq!(thumb_size(1, 8192), (1, 160));
        assert_eq!(thumb_size(8192, 1), (160, 1));
        assert_eq!(thumb_size(0, 0), (160, 160));
    }
}
