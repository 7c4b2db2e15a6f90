//! `genpath portfolio [--out DIR]`: your best passing work as a static site.

use std::path::PathBuf;

use anyhow::Result;

use super::Env;

pub fn run(env: &Env, out: Option<PathBuf>) -> Result<()> {
    let dir = out.unwrap_or_else(|| env.workspace.root.join("portfolio"));
    let store = env.workspace.store()?;
    let n = crate::portfolio::write(&env.workspace, &store, &env.curriculum, env.learner(), &dir)?;
    if n == 0 {
        outln!("no passing work yet: the portfolio at {} is empty until an exercise passes", dir.display());
    } else {
        outln!(
            "wrote {n} piece(s) to {} (open index.html; portfolio.md has the same content)",
            dir.join("index.html").display()
        );
    }
    Ok(())
}
