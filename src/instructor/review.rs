//! Reviews travel back to learners: the feedback an instructor exports for
//! one learner (every collected submission, its grade of record beside the
//! automatic verdict, the reviewer's comments and the re-check's word on
//! each failing or reviewed check), and what importing it records on the
//! learner's side. The file format is `crate::feedback`.

use anyhow::Result;

use crate::curriculum::Curriculum;
use crate::feedback::{Body, FORMAT, VERSION};
use crate::store::{CheckFeedback, Feedback, Imported, ReviewFilter, Scope, Store, SubmissionDetail};
use crate::time::Timestamp;

/// What a learner receives about one collected submission. A submission
/// nobody reviewed still carries the instructor's re-check: its verdict and
/// the messages of the checks that failed.
pub fn feedback_of(s: &SubmissionDetail) -> Feedback {
    let review = s.review.as_ref();
    let checks = s
        .checks
        .iter()
        .filter(|c| !c.passed || c.review.is_some())
        .map(|c| CheckFeedback {
            check: c.check.clone(),
            passed: c.passed,
            grade: c.review.as_ref().and_then(|r| r.grade),
            comment: c.review.as_ref().map(|r| r.comment.clone()).unwrap_or_default(),
            message: c.message.clone(),
        })
        .collect();
    let latest = s.checks.iter().filter_map(|c| c.review.as_ref()).map(|r| (r.reviewed_at, r.reviewer.as_str()));
    let (reviewed_at, reviewer) = review
        .map(|r| (r.reviewed_at, r.reviewer.as_str()))
        .into_iter()
        .chain(latest)
        .max_by_key(|(at, _)| *at)
        .unwrap_or((s.collected_at, ""));
    Feedback {
        bundle_sha256: s.bundle_sha256.clone(),
        exercise: s.exercise.clone(),
        attempt: s.attempt,
        attempt_number: s.attempt_number,
        submitted_at: s.submitted_at,
        automatic_passed: s.automatic_passed,
        automatic_score: s.automatic_score,
        record: s.record(),
        grade: review.and_then(|r| r.grade),
        score_adjust: review.map_or(0, |r| r.score_adjust),
        comment: review.map(|r| r.comment.clone()).unwrap_or_default(),
        checks,
        reviewer: reviewer.to_string(),
        reviewed_at,
    }
}

/// The feedback file body for one learner: every submission of theirs
/// collected here, oldest first. `None` when nothing of theirs was collected.
pub fn body_for(store: &Store, learner: &str, issued_by: &str) -> Result<Option<Body>> {
    let filter = ReviewFilter { scope: Some(Scope::Learner(learner)), ..ReviewFilter::default() };
    let items: Vec<Feedback> = store.review_queue(&filter)?.iter().map(feedback_of).collect();
    if items.is_empty() {
        return Ok(None);
    }
    Ok(Some(Body {
        format: FORMAT.into(),
        version: VERSION,
        learner: learner.into(),
        issued_by: issued_by.into(),
        issued_at: Timestamp::now(),
        items,
    }))
}

/// Why a verified feedback file still cannot be imported here.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{path} is feedback for '{file_for}', and this workspace is '{workspace}''s; nothing was imported")]
    WrongLearner { path: String, file_for: String, workspace: String },
    #[error("{path} reviews {exercise}, which this curriculum does not have; nothing was imported")]
    UnknownExercise { path: String, exercise: String },
}

/// Record a verified feedback file in a learner's store, all or nothing.
pub fn import(
    store: &mut Store,
    curriculum: &Curriculum,
    learner: &str,
    path: &str,
    bytes_sha256: &str,
    body: &Body,
) -> Result<Vec<(Feedback, Imported)>> {
    if body.learner != learner {
        return Err(ImportError::WrongLearner {
            path: path.into(),
            file_for: body.learner.clone(),
            workspace: learner.into(),
        }
        .into());
    }
    if let Some(f) = body.items.iter().find(|f| curriculum.exercise(&f.exercise).is_none()) {
        return Err(ImportError::UnknownExercise { path: path.into(), exercise: f.exercise.to_string() }.into());
    }
    let outcomes = store.record_feedback(&body.items, bytes_sha256)?;
    Ok(body.items.iter().cloned().zip(outcomes).collect())
}

/// The files of a collected submission a reviewer looks at.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct SubmissionFiles {
    /// The answer file (recipe, decision or pipeline).
    pub answer: Option<std::path::PathBuf>,
    /// Conditioning inputs the answer carried: control maps, init images, masks.
    pub inputs: Vec<std::path::PathBuf>,
    /// The images it made.
    pub images: Vec<std::path::PathBuf>,
}

const IMAGE_EXTENSIONS: [&str; 4] = ["png", "jpg", "jpeg", "webp"];

/// Read a collected submission's folder: `answer/` (the answer file and its
/// assets) and `images/`.
pub fn submission_files(dir: &std::path::Path) -> SubmissionFiles {
    let sorted = |d: std::path::PathBuf| -> Vec<std::path::PathBuf> {
        let mut v: Vec<_> = walk(&d);
        v.sort();
        v
    };
    let is_image = |p: &std::path::Path| {
        p.extension().is_some_and(|x| IMAGE_EXTENSIONS.contains(&x.to_string_lossy().to_lowercase().as_str()))
    };
    let answer_files = sorted(dir.join("answer"));
    let manifest: Option<crate::bundle::Submission> =
        std::fs::read(dir.join(crate::bundle::SUBMISSION)).ok().and_then(|b| serde_json::from_slice(&b).ok());
    let answer = manifest
        .map(|m| dir.join(m.attempt.answer))
        .filter(|p| p.is_file())
        .or_else(|| answer_files.iter().find(|p| p.extension().is_some_and(|x| x == "toml")).cloned());
    SubmissionFiles {
        inputs: answer_files.into_iter().filter(|p| is_image(p)).collect(),
        images: sorted(dir.join("images")).into_iter().filter(|p| is_image(p)).collect(),
        answer,
    }
}

/// Every file under a folder (a submission holds at most 512).
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let Ok(t) = e.file_type() else { continue };
            if t.is_dir() {
                stack.push(e.path());
            } else if t.is_file() {
                out.push(e.path());
            }
        }
    }
    out
}
