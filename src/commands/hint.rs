//! `genpath hint EXERCISE`: reveal the next hint and remember it was seen.

use anyhow::Result;

use super::Env;

pub fn run(env: &Env, query: &str) -> Result<()> {
    let e = env.curriculum.find(query)?;
    let store = env.workspace.store()?;
    let total = e.hints.len() as u32;
    let before = store.hints_revealed(env.learner(), &e.id)?;
    let now = store.reveal_hint(env.learner(), &e.id, total)?;
    for (i, h) in e.hints.iter().take(now as usize).enumerate() {
        let new = if i as u32 >= before { "" } else { " (seen)" };
        outln!("Hint {}/{total}{new}: {h}", i + 1);
    }
    if before == total {
        outln!(
            "That was the last hint. The reference solution is one `genpath reset` away from your own words — try once more first."
        );
    }
    Ok(())
}
