//! `genpath collect DIR|FILE… [--reproduce]` (instructors): collect every
//! bundle named, printing one line per bundle; the work is in
//! `instructor::collect`.

use std::path::PathBuf;

use anyhow::{Context, Result};

use super::{Env, UsageError};
use crate::bundle;
use crate::instructor::collect::{self, Collected};

#[derive(Debug, thiserror::Error)]
#[error("{rejected} of {total} bundle(s) were refused; nothing was imported from them")]
pub struct Rejected {
    pub rejected: usize,
    pub total: usize,
}

/// The bundle files named by the arguments (folders are searched one level deep).
fn bundle_files(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for input in inputs {
        let meta = std::fs::metadata(input).with_context(|| format!("Failed to read {}", input.display()))?;
        if meta.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(input)
                .with_context(|| format!("Failed to list {}", input.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == bundle::EXTENSION) && p.is_file())
                .collect();
            found.sort();
            files.extend(found);
        } else {
            files.push(input.clone());
        }
    }
    if files.is_empty() {
        return Err(UsageError(format!("no .{} files in {}", bundle::EXTENSION, display_list(inputs))).into());
    }
    Ok(files)
}

fn display_list(paths: &[PathBuf]) -> String {
    paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
}

pub fn run(env: &Env, inputs: &[PathBuf], reproduce: bool) -> Result<()> {
    let files = bundle_files(inputs)?;
    let mut store = env.workspace.store()?;
    let swept = collect::remove_abandoned_staging(&env.workspace, &store)?;
    if swept > 0 {
        outln!("removed {swept} half-unpacked submission(s) left by an interrupted collect");
    }
    let backend = crate::backend::from_config(&env.workspace.config.backend, &env.workspace.config)?;
    let mut rejected = 0;
    for file in &files {
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        match collect::collect(&env.workspace, &env.curriculum, &mut store, backend.as_ref(), file, reproduce) {
            Ok(Collected::AlreadyCollected) => outln!("= {name}: already collected"),
            Ok(Collected::Recorded { learner, exercise, passed, late, reproduced, new_learner }) => {
                // Two questions, two words: was the bundle accepted, and did the work pass?
                let mut notes = vec![format!("re-check {}", if passed { "passed" } else { "FAILED" })];
                match reproduced {
                    Some(true) => notes.push("reproduced".into()),
                    Some(false) => notes.push("NOT reproduced".into()),
                    None => {}
                }
                if late {
                    notes.push("LATE".into());
                }
                if new_learner {
                    notes.push(format!("{learner} was not on the roster and has been added"));
                }
                outln!("accepted {name}: {learner} / {exercise} — {}", notes.join(", "));
            }
            Err(e) => {
                rejected += 1;
                outln!("refused  {name}: {e:#}");
            }
        }
    }
    if rejected > 0 {
        return Err(Rejected { rejected, total: files.len() }.into());
    }
    Ok(())
}
