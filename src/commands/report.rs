//! `genpath report --cohort C | --learner L [--exercise E] --format md|csv|html|json [--out FILE]`.

use std::path::PathBuf;

use anyhow::Result;

use super::{Env, UsageError};
use crate::report::{self, Format, Query};
use crate::store::Scope;

pub fn run(
    env: &Env,
    cohort: Option<&str>,
    learner: Option<&str>,
    exercise: Option<&str>,
    format: Format,
    out: Option<PathBuf>,
) -> Result<()> {
    let store = env.workspace.store()?;
    let scope = match (learner, cohort) {
        (Some(l), _) => {
            if !store.learner_exists(l)? {
                return Err(UsageError(format!("no learner '{l}' (see `genpath learner list`)")).into());
            }
            Scope::Learner(l)
        }
        (None, Some(c)) => {
            if !store.cohort_exists(c)? {
                return Err(UsageError(format!("no cohort '{c}' (see `genpath cohort list`)")).into());
            }
            Scope::Cohort(c)
        }
        (None, None) => return Err(UsageError("say whose report: --cohort C or --learner L".into()).into()),
    };
    let exercise = exercise.map(|q| env.curriculum.find(q).map(|e| e.id.clone())).transpose()?;
    let now = crate::time::Timestamp::now();
    let built = report::build(&store, &env.curriculum, Query { scope, exercise: exercise.as_deref(), now })?;
    let text = report::render(&built, format, &env.workspace.root, &env.curriculum)?;
    match out {
        Some(path) => {
            crate::workspace::write_atomic(&path, text.as_bytes())?;
            outln!("wrote {}", path.display());
        }
        None => out!("{text}"),
    }
    Ok(())
}
