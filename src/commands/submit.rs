//! `genpath submit EXERCISE [--attempt N] [--out DIR]`: pack an attempt into
//! a `{learner}+{exercise}+{timestamp}.genpath` bundle for an instructor.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::Env;
use crate::instructor::bundle::{self, Submission};
use crate::instructor::submit;

pub fn run(env: &Env, exercise: &str, chosen: Option<i64>, out: Option<PathBuf>) -> Result<()> {
    let store = env.workspace.store()?;
    let exercise = env.curriculum.find(exercise)?;
    let (submission, files) = submit::build(&env.workspace, &store, exercise, chosen)?;
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
