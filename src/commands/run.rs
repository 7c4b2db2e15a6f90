//! `genpath run EXERCISE [--recipe FILE] [--backend NAME]`: one attempt from
//! the shell — generate, check, record — with progress on stderr.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use anyhow::Result;

use super::{ChecksFailed, Env, UsageError, verdict};
use crate::attempt::{self, Answer, Observer};
use crate::backend::Progress;
use crate::progress::{self, ExerciseStatus};

/// A progress bar on stderr (indicatif hides it when stderr is not a
/// terminal); Ctrl-C cancels cleanly.
struct Cli {
    bar: indicatif::ProgressBar,
    cancelled: Arc<AtomicBool>,
}

impl Progress for Cli {
    fn step(&self, done: u32, total: u32) {
        self.bar.set_message(format!("generating: step {done}/{total}"));
    }
    fn queued(&self, ahead: u32) {
        self.bar.set_message(format!("queued on the server: {ahead} ahead"));
    }
    fn cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }
}

impl Observer for Cli {
    fn image_started(&self, index: usize, total: usize) {
        self.bar.set_length(total as u64);
        self.bar.set_position(index as u64);
        self.bar.set_message("generating");
    }
    fn image_done(&self, index: usize, _total: usize, cost: f64) {
        self.bar.set_position(index as u64 + 1);
        if cost > 0.0 {
            self.bar.set_message(format!("spent {:.3}", cost));
        }
    }
    fn checking(&self) {
        self.bar.set_message("checking");
    }
}

pub fn run(
    env: &Env,
    query: &str,
    recipe: Option<PathBuf>,
    backend_name: Option<&str>,
    force: bool,
    images: bool,
) -> Result<()> {
    let ws = &env.workspace;
    let exercise = env.curriculum.find(query)?;
    let mut store = ws.store()?;
    let learner = env.learner();
    let p = progress::of_learner(&env.curriculum, &store, learner)?;
    let status = p.stages.iter().flat_map(|s| &s.exercises).find(|e| e.id == exercise.id).map(|e| e.status);
    if status == Some(ExerciseStatus::Locked) && !force {
        let stage =
            env.curriculum.stage(&exercise.stage).and_then(|s| s.unlock_after.as_deref()).unwrap_or("the previous");
        return Err(UsageError(format!(
            "{} is locked until you reach the {stage} milestone (`genpath path` shows what is left); your instructor can open it (`genpath unlock STAGE --learner YOU`, which reaches you in their assignment file: `genpath assignments import FILE`), or pass --force to try it anyway",
            exercise.id
        ))
        .into());
    }
    let path = match recipe {
        Some(p) => p,
        None => ws.ensure_answer(&env.curriculum, exercise)?,
    };
    let answer = Answer::read(exercise, &path, ws.config.limits())?;
    let name = backend_name.unwrap_or(&ws.config.backend).to_string();
    let backend = crate::backend::from_config(&name, &ws.config)?;
    let started = Instant::now();
    let bar = indicatif::ProgressBar::new(exercise.deliverable.count.max(1) as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} image {pos}/{len} {wide_bar} {elapsed} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    let observer = Cli { bar, cancelled: ctrl_c_flag() };
    outln!("{} — {} — backend {name}", exercise.id, path.display());
    let rec = attempt::run_recorded(
        &mut store,
        &ws.outputs_dir(),
        learner,
        &env.curriculum,
        exercise,
        &answer,
        backend.as_ref(),
        &name,
        &observer,
        ws.embedding_for(&exercise.checks)?,
    );
    observer.bar.finish_and_clear();
    let rec = rec?;
    let cost = if rec.cost > 0.0 { format!(" — cost {:.3}", rec.cost) } else { String::new() };
    outln!("attempt {} — {:.1} s{cost}", rec.number, started.elapsed().as_secs_f64());
    if !rec.not_understood.is_empty() {
        outln!("not understood by the backend: {}", rec.not_understood.join(", "));
        if rec.not_understood.iter().any(|w| crate::recipe::prompt::is_hex(w)) {
            outln!("  {}", crate::recipe::prompt::HEX_HINT);
        }
    }
    for c in &rec.conflicts {
        outln!("conflicting words in the prompt: {c}");
    }
    verdict::print(&rec.verdict)?;
    for p in &rec.images {
        outln!("image: {}", p.display());
    }
    verdict::thumbnails(&rec.images, images);
    for m in &rec.milestones {
        let title = env.curriculum.stage(m).map_or(m.as_str(), |s| s.milestone.title.as_str());
        outln!("Milestone reached: {title}!");
    }
    if rec.verdict.passed { Ok(()) } else { Err(ChecksFailed.into()) }
}

/// A flag that Ctrl-C sets instead of killing the process, so a run can end
/// cleanly (the attempt is recorded as cancelled, a pipeline stops
/// scheduling). Where the handler cannot be installed, Ctrl-C keeps its
/// default meaning and the crash recovery of the next command applies.
pub fn ctrl_c_flag() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    if let Err(e) = signal_hook::flag::register(signal_hook::consts::SIGINT, Arc::clone(&flag)) {
        tracing::warn!("cannot handle Ctrl-C: {e}");
    }
    flag
}
