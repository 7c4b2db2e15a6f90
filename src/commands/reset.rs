//! `genpath reset EXERCISE`: put the starter recipe back; attempts stay in history.

use anyhow::Result;

use super::Env;

pub fn run(env: &Env, query: &str) -> Result<()> {
    let e = env.curriculum.find(query)?;
    let had = env.workspace.answer_path(e).exists();
    let path = env.workspace.reset_answer(&env.curriculum, e)?;
    outln!("Restored the starter of {} at {}", e.id, path.display());
    if had {
        outln!("Your previous recipe was kept beside it as a .bak file; your attempts are still in your history.");
    }
    Ok(())
}
