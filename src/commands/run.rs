//! `genpath run EXERCISE [--recipe FILE] [--backend NAME]`: one attempt from
//! the shell — generate, check, record — with progress on stderr.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use anyhow::Result;

use super::{ChecksFailed, Env, UsageError, verdict};
use crate::attempt::{self, Answer, Observer};
use crate::backend::Progress;
use crate::progress::{self, ExerciseStatus};

/// Progress lines on stderr; Ctrl-C cancels cleanly.
struct Cli {
    started: Instant,
    cancelled: &'static AtomicBool,
    tty: bool,
}

impl Progress for Cli {
    fn cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }
}

impl Observer for Cli {
    fn image_started(&self, index: usize, total: usize) {
        if self.tty {
            eprint!("\rgenerating image {}/{total} … {:.1} s ", index + 1, self.started.elapsed().as_secs_f64());
            let _ = std::io::stderr().flush();
        }
    }
    fn image_done(&self, index: usize, total: usize, _cost: f64) {
        if !self.tty {
            eprintln!("image {}/{total} done ({:.1} s)", index + 1, self.started.elapsed().as_secs_f64());
        }
    }
    fn checking(&self) {
        if self.tty {
            eprint!("\rchecking …{:30}\r", "");
            let _ = std::io::stderr().flush();
        }
    }
}

static CANCELLED: AtomicBool = AtomicBool::new(false);

pub fn run(env: &Env, query: &str, recipe: Option<PathBuf>, backend_name: Option<&str>, force: bool) -> Result<()> {
    let ws = &env.workspace;
    let exercise = env.curriculum.find(query)?;
    let mut store = ws.store()?;
    let learner = env.learner();
    let p = progress::compute(
        &env.curriculum,
        &store.exercise_stats(learner)?,
        &store.milestones(learner)?,
        &store.stage_unlocks(learner)?,
    );
    let status = p.stages.iter().flat_map(|s| &s.exercises).find(|e| e.id == exercise.id).map(|e| e.status);
    if status == Some(ExerciseStatus::Locked) && !force {
        let stage =
            env.curriculum.stage(&exercise.stage).and_then(|s| s.unlock_after.as_deref()).unwrap_or("the previous");
        return Err(UsageError(format!(
            "{} is locked until you reach the {stage} milestone (`genpath path` shows what is left); an instructor can open it, or pass --force to try it anyway",
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
    let observer = Cli { started: Instant::now(), cancelled: &CANCELLED, tty: std::io::stderr().is_terminal() };
    let _ = ctrlc_hook();
    println!("{} — {} — backend {name}", exercise.id, path.display());
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
    );
    if observer.tty {
        eprint!("\r{:40}\r", "");
    }
    let rec = rec?;
    println!(
        "attempt {} — {:.1} s{}",
        rec.attempt,
        observer.started.elapsed().as_secs_f64(),
        if rec.cost > 0.0 { format!(" — cost {:.3}", rec.cost) } else { String::new() }
    );
    if !rec.not_understood.is_empty() {
        println!("not understood by the backend: {}", rec.not_understood.join(", "));
    }
    verdict::print(&rec.verdict);
    for p in &rec.images {
        println!("image: {}", p.display());
    }
    for m in &rec.milestones {
        let title = env.curriculum.stage(m).map_or(m.as_str(), |s| s.milestone.title.as_str());
        println!("Milestone reached: {title}!");
    }
    if rec.verdict.passed { Ok(()) } else { Err(ChecksFailed.into()) }
}

/// Ctrl-C during a run cancels it: the attempt is recorded as cancelled.
fn ctrlc_hook() -> Option<()> {
    #[cfg(unix)]
    {
        extern "C" fn on_sigint(_: i32) {
            CANCELLED.store(true, Ordering::SeqCst);
        }
        unsafe extern "C" {
            fn signal(signum: i32, handler: extern "C" fn(i32)) -> usize;
        }
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        unsafe {
            signal(2, on_sigint);
        }
    }
    Some(())
}
