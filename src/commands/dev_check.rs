//! `genpath dev check`: prove every exercise honest — it loads, its starter
//! fails the check that teaches its lesson, its solution passes on the
//! built-in backend, and it has its "On a real model" section. Runs
//! exercises in parallel; exits non-zero on any violation (CI runs it).

use std::path::PathBuf;

use anyhow::Result;
use rayon::prelude::*;

use super::UsageError;
use crate::attempt::{self, Answer, Quiet};
use crate::backend::builtin::Builtin;
use crate::checks::{Severity, Verdict};
use crate::curriculum::{Curriculum, Exercise};
use crate::id::ExerciseId;
use crate::recipe::Limits;

/// What a dev check found for one exercise.
#[derive(Debug)]
pub struct Report {
    pub exercise: ExerciseId,
    pub problems: Vec<String>,
    /// Essential checks the starter fails.
    pub starter_fails: Vec<String>,
    pub solution_score: Option<u32>,
}

fn judge(curriculum: &Curriculum, e: &Exercise, which: &str) -> Result<Verdict> {
    let rel = if which == "starter" { e.starter_path() } else { e.solution_path() };
    let text = String::from_utf8(curriculum.read(&rel)?)?;
    // Label it with its place in the curriculum; assets resolve through the exercise.
    let answer = Answer::from_text(e, &PathBuf::from(curriculum.source.display(&rel)), text, Limits::default())?;
    // Judged as a learner's answer is by default: with the built-in encoder.
    let embedding = crate::checks::Embedding::builtin_for(&e.checks)?;
    let (_, verdict) = attempt::evaluate(curriculum, e, &answer, &Builtin::new(), &Quiet, embedding)?;
    Ok(verdict)
}

/// Briefs are written for people: no placeholders, a real paragraph; every
/// exercise says how the same task is done on a real model.
fn lint(e: &Exercise) -> Vec<String> {
    let mut p = Vec::new();
    let lower = e.brief.to_lowercase();
    for bad in ["todo", "tbd", "lorem", "placeholder", "fixme"] {
        if lower.contains(bad) {
            p.push(format!("brief contains '{bad}'"));
        }
    }
    if e.brief.split_whitespace().count() < 40 {
        p.push("brief is shorter than a paragraph (40 words)".into());
    }
    if !(2..=4).contains(&e.hints.len()) {
        p.push(format!("{} hints; give 2–4, the last nearly a solution", e.hints.len()));
    }
    if e.real.is_none() {
        p.push(format!(
            "{} has no \"On a real model\" section: add `real = \"\"\"…\"\"\"` to {}/exercise.toml (the same task on \
             A1111/ComfyUI: checkpoint, ControlNet, LoRA, settings)",
            e.id, e.dir
        ));
    }
    p
}

pub fn check_exercise(curriculum: &Curriculum, e: &Exercise) -> Report {
    let mut r = Report { exercise: e.id.clone(), problems: lint(e), starter_fails: Vec::new(), solution_score: None };
    match judge(curriculum, e, "starter") {
        Err(err) => r.problems.push(format!("starter does not run: {err:#}")),
        Ok(v) => {
            r.starter_fails = v
                .outcomes
                .iter()
                .filter(|o| !o.passed && o.severity == Severity::Essential)
                .map(|o| o.check.clone())
                .collect();
            if v.passed {
                r.problems.push("starter PASSES: it must fail so the learner has something to learn".into());
            } else if !r.starter_fails.contains(&e.lesson) {
                r.problems.push(format!(
                    "starter fails {} but not the lesson check '{}'",
                    r.starter_fails.join(", "),
                    e.lesson
                ));
            }
        }
    }
    match judge(curriculum, e, "solution") {
        Err(err) => r.problems.push(format!("solution does not run: {err:#}")),
        Ok(v) => {
            r.solution_score = Some(v.score);
            if !v.passed {
                let failing: Vec<String> = v
                    .outcomes
                    .iter()
                    .filter(|o| !o.passed && o.severity == Severity::Essential)
                    .map(|o| format!("{} ({})", o.check, o.message))
                    .collect();
                r.problems.push(format!("solution FAILS: {}", failing.join("; ")));
            }
        }
    }
    r
}

pub fn run(curriculum: &Curriculum, only: Option<&str>) -> Result<()> {
    let exercises: Vec<&Exercise> = match only {
        Some(q) => vec![curriculum.find(q)?],
        None => curriculum.exercises.iter().collect(),
    };
    let reports: Vec<Report> = exercises.par_iter().map(|e| check_exercise(curriculum, e)).collect();
    let mut bad = 0;
    for r in &reports {
        let mark = if r.problems.is_empty() { "✓" } else { "✗" };
        let score = r.solution_score.map(|s| format!("solution {s:>3}")).unwrap_or_else(|| "solution   -".into());
        outln!("{mark} {:<34} starter fails: {:<40} {score}", r.exercise, r.starter_fails.join(", "));
        for p in &r.problems {
            outln!("    {p}");
        }
        bad += (!r.problems.is_empty()) as usize;
    }
    // Count what was checked, not what the curriculum holds.
    let stages = curriculum
        .stages
        .iter()
        .map(|s| (s.exercises.iter().filter(|id| reports.iter().any(|r| &r.exercise == *id)).count(), &s.id))
        .filter(|(n, _)| *n > 0)
        .map(|(n, id)| format!("{n} {id}"))
        .collect::<Vec<_>>()
        .join(", ");
    outln!("{} exercises ({stages}): {} honest, {bad} with problems", reports.len(), reports.len() - bad);
    if bad > 0 {
        return Err(UsageError(format!("{bad} exercise(s) failed the dev check")).into());
    }
    Ok(())
}
