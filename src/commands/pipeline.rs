//! `genpath pipeline plan|run|status`: a brief turned into a checked,
//! budgeted, resumable asset set under `outputs/pipelines/<name>/`.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use anyhow::{Context as _, Result};

use super::{Env, UsageError};
use crate::pipeline::{self, Member, Options, Pipeline};

fn members(env: &Env, p: &Pipeline) -> Result<Vec<Member>> {
    p.run
        .backends
        .iter()
        .map(|name| Ok(Member::new(name.clone(), crate::backend::from_config(name, &env.workspace.config)?)))
        .collect()
}

pub fn plan(env: &Env, file: &Path) -> Result<()> {
    let p = Pipeline::load(file, env.workspace.config.limits())?;
    let jobs = p.expand();
    let store = env.workspace.store()?;
    let est = pipeline::estimate(&p, &jobs, &members(env, &p)?, &store)?;
    outln!("pipeline {} — {} jobs ({} already done)", p.name, est.jobs, est.already_done);
    for (var, values) in &p.matrix {
        outln!("  {var}: {}", values.join(", "));
    }
    outln!("backends: {} (concurrency {}, {} retries)", p.run.backends.join(", "), p.run.concurrency, p.run.retries);
    outln!("estimate: cost {:.2}, about {:.0} s", est.cost, est.seconds);
    match (p.budget.max_cost, p.budget.max_seconds) {
        (None, None) => outln!("budget: none set"),
        (c, s) => outln!(
            "budget: max cost {}, max time {}",
            c.map_or("-".into(), |c| format!("{c:.2}")),
            s.map_or("-".into(), |s| format!("{s:.0} s"))
        ),
    }
    for j in jobs.iter().take(5) {
        outln!("  {:>4}  {}  {}×{}  {}", j.index + 1, j.output, j.recipe.width, j.recipe.height, j.recipe.prompt);
    }
    if jobs.len() > 5 {
        outln!("  … and {} more", jobs.len() - 5);
    }
    if est.over_budget {
        return Err(UsageError(
            "the estimate is over budget: `pipeline run` will refuse unless given --allow-over-budget".into(),
        )
        .into());
    }
    Ok(())
}

pub fn run(env: &Env, file: &Path, allow_over_budget: bool) -> Result<()> {
    let p = Pipeline::load(file, env.workspace.config.limits())?;
    let out = env.workspace.outputs_dir().join("pipelines").join(&p.name);
    // Opening the store here also marks a crashed earlier run as interrupted.
    drop(env.workspace.store()?);
    let total = p.expand().len() as u64;
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {per_sec} ETA {eta} spent {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let progress_bar = bar.clone();
    let cancel = super::run::ctrl_c_flag();
    // Input files resolve beside the pipeline file (or where an absolute path points).
    let folder = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let read = |rel: &str| std::fs::read(folder.join(rel)).ok();
    let files = pipeline::input_files(&p, &read)?;
    let opts = Options {
        files,
        allow_over_budget,
        cancel: Arc::clone(&cancel),
        on_progress: Some(Box::new(move |done, _total, spent| {
            progress_bar.set_position(done as u64);
            progress_bar.set_message(format!("{spent:.2}"));
        })),
    };
    let report = pipeline::run(&p, &env.workspace.db_path(), &out, members(env, &p)?, opts);
    cancel.store(true, Ordering::SeqCst);
    bar.finish_and_clear();
    let r = report?;
    outln!(
        "pipeline {}: {}/{} assets done ({} made now, {} failed, {} skipped) in {:.1} s",
        r.pipeline,
        r.done,
        r.total,
        r.made_now,
        r.failed,
        r.skipped,
        r.seconds
    );
    outln!(
        "spent {:.2}{}",
        r.spent,
        if r.possibly_charged > 0.0 {
            format!(" (+ up to {:.2} possibly charged for calls cut off by a crash)", r.possibly_charged)
        } else {
            String::new()
        }
    );
    if let Some(s) = &r.stopped {
        outln!("{s}");
    }
    for o in &r.set_checks {
        outln!("{}", super::verdict::outcome_line(o));
    }
    outln!("manifest: {}", r.manifest.display());
    let text = std::fs::read_to_string(file).with_context(|| format!("Failed to read {}", file.display()))?;
    if let Some(dir) = pipeline::write_package(&p, &text, &out, &read)? {
        outln!("hand-off package: {}", dir.display());
    }
    if r.failed > 0 || r.stopped.is_some() {
        return Err(super::ChecksFailed.into());
    }
    Ok(())
}

pub fn status(env: &Env, name: Option<&str>) -> Result<()> {
    let store = env.workspace.store()?;
    let runs = store.pipeline_runs(name)?;
    if runs.is_empty() {
        outln!("no pipeline runs yet: `genpath pipeline run FILE`");
        return Ok(());
    }
    for r in pipeline::summaries(&store)? {
        outln!(
            "{}: last run {} ({}) — {} done, {} pending, {} failed, {} skipped of {} — spent {:.2}{} — {} backend calls",
            r.name,
            r.started_at.local(),
            r.status,
            r.done,
            r.pending,
            r.failed,
            r.skipped,
            r.total,
            r.spent,
            if r.possibly_charged > 0.0 {
                format!(" (+{:.2} possibly charged)", r.possibly_charged)
            } else {
                String::new()
            },
            r.calls
        );
        for (output, error) in &r.failures {
            outln!("  failed {output}: {error}");
        }
    }
    Ok(())
}
