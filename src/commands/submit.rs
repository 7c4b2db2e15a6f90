//! `genpath submit EXERCISE [--attempt N] [--out DIR]`: pack an attempt into
//! a `{learner}+{exercise}+{timestamp}.genpath` bundle for an instructor.

use std::path::PathBuf;

use anyhow::Result;

use super::Env;
use crate::instructor::submit::{self, Written};

pub fn run(env: &Env, exercise: &str, chosen: Option<u32>, out: Option<PathBuf>) -> Result<()> {
    let store = env.workspace.store()?;
    let exercise = env.curriculum.find(exercise)?;
    let dir = out.unwrap_or_else(|| submit::default_dir(&env.workspace));
    let written = submit::write_to(&env.workspace, &store, exercise, chosen, &dir)?;
    print_summary(&written)?;
    Ok(())
}

fn print_summary(w: &Written) -> Result<()> {
    let s = &w.submission;
    let verdict = if s.attempt.status == "passed" { "passed" } else { "did not pass" };
    outln!(
        "packed attempt {} of {} ({verdict}, score {}): {} image(s), {} attempt(s) of history",
        crate::present::attempt_number(s.attempt.number),
        s.exercise,
        s.attempt.score.unwrap_or(0),
        s.images.len(),
        s.history.len()
    );
    outln!("wrote {} ({} KB) — send this file to your instructor", w.path.display(), w.bytes.div_ceil(1024));
    Ok(())
}
