//! Progress reports for instructors: one model (`Report`) computed from the
//! collected submissions and the learner history they carried, written out
//! as Markdown, CSV, JSON or a self-contained HTML page.
//!
//! "Passed" in a report means passed on the instructor's machine: a
//! collected submission whose images passed the re-check. Attempts, scores
//! and dates come from the history in the learners' bundles.

pub mod html;
mod text;

use chrono::NaiveDate;
use std::collections::HashMap;
use std::path::Path;

use anyhow::Result;
use serde::Serialize;

use crate::curriculum::Curriculum;
use crate::id::ExerciseId;
use crate::store::{Scope, Store};
use crate::time::Timestamp;

pub use html::html;
pub use text::{csv, markdown};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// A submission passed the instructor's re-check.
    Passed,
    /// Submitted, but no submission passed the re-check.
    Failed,
    /// Assigned, due date passed, nothing submitted.
    Missing,
    /// Assigned, not due yet, nothing submitted.
    Pending,
    /// Neither assigned nor submitted.
    None,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Failed => "failed",
            Status::Missing => "missing",
            Status::Pending => "pending",
            Status::None => "-",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub title: String,
    /// The day the report was made (and that "missing" is judged against).
    pub date: NaiveDate,
    pub exercise_filter: Option<String>,
    pub learners: Vec<LearnerReport>,
    pub exercises: Vec<ExerciseReport>,
    /// The check that failed most across the scope: (exercise, check, failures).
    pub most_failed: Option<FailedCheck>,
    /// Cumulative first passes by day (from the learners' history).
    pub progress: Vec<ProgressPoint>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LearnerReport {
    pub id: String,
    pub name: String,
    pub milestones: Vec<MilestoneReached>,
    pub passed: Vec<ExerciseId>,
    pub attempts: u32,
    pub last_activity: Option<Timestamp>,
    pub late: Vec<ExerciseId>,
    pub missing: Vec<ExerciseId>,
    pub exercises: Vec<LearnerExercise>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MilestoneReached {
    pub stage: String,
    pub reached_at: Timestamp,
}

#[derive(Debug, Clone, Serialize)]
pub struct LearnerExercise {
    pub exercise: ExerciseId,
    pub status: Status,
    pub late: bool,
    pub due: Option<NaiveDate>,
    pub attempts: u32,
    pub best_score: Option<u32>,
    pub attempts_to_pass: Option<u32>,
    pub reproduced: Option<bool>,
    /// The latest submission's folder, relative to the workspace.
    #[serde(skip)]
    pub submission_dir: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExerciseReport {
    pub id: ExerciseId,
    pub title: String,
    pub learners: u32,
    pub passed: u32,
    pub pass_rate: f64,
    pub median_attempts_to_pass: Option<f64>,
    pub late: u32,
    /// The checks that fail most, most first (at most five).
    pub failing_checks: Vec<FailedCheck>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FailedCheck {
    pub exercise: ExerciseId,
    pub check: String,
    pub failures: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProgressPoint {
    pub date: NaiveDate,
    pub passes: u32,
}

/// What a report covers.
#[derive(Debug, Clone, Copy)]
pub struct Query<'a> {
    pub scope: Scope<'a>,
    pub exercise: Option<&'a str>,
    /// When the report is made: assignments past due (`time::is_past`) and
    /// not submitted are missing.
    pub now: Timestamp,
}

#[derive(Default)]
struct Cell {
    attempts: u32,
    best: Option<u32>,
    first_pass: Option<Timestamp>,
    last: Option<Timestamp>,
    attempts_to_pass: Option<u32>,
    submitted: bool,
    verified: bool,
    late: bool,
    reproduced: Option<bool>,
    due: Option<Option<NaiveDate>>,
    dir: Option<String>,
}

/// Compute a report from the store.
pub fn build(store: &Store, curriculum: &Curriculum, q: Query<'_>) -> Result<Report> {
    let learners = store.scope_learners(q.scope)?;
    let index: HashMap<&str, usize> = learners.iter().enumerate().map(|(i, (id, _))| (id.as_str(), i)).collect();
    // Dense cells, learner-major; exercises outside this curriculum are skipped.
    let exercise_index: HashMap<&str, usize> =
        curriculum.exercises.iter().enumerate().map(|(i, e)| (e.id.as_str(), i)).collect();
    let width = curriculum.exercises.len();
    let mut cells: Vec<Option<Cell>> = std::iter::repeat_with(|| None).take(learners.len() * width).collect();
    let slot = |li: usize, exercise: &str| exercise_index.get(exercise).map(|ei| li * width + ei);
    // Failures per exercise, by check name.
    let mut failures: Vec<HashMap<String, u32>> = vec![HashMap::new(); width];

    for (learner, exercise, due) in store.scope_assignments(q.scope)? {
        if q.exercise.is_some_and(|e| exercise != e) {
            continue;
        }
        let Some(at) = index.get(learner.as_str()).and_then(|&li| slot(li, &exercise)) else { continue };
        let cell = cells[at].get_or_insert_with(Cell::default);
        // Several assignments may name one exercise: the latest due date applies.
        cell.due = Some(cell.due.flatten().max(due));
    }
    let history = store.history_totals(q.scope, q.exercise)?;
    for (exercise, checks, n) in &history.failures {
        let Some(&ei) = exercise_index.get(exercise.as_str()) else { continue };
        for check in checks.split(',').filter(|c| !c.is_empty()) {
            *failures[ei].entry(check.to_string()).or_default() += n;
        }
    }
    for h in history.summaries {
        let Some(at) = index.get(h.learner.as_str()).and_then(|&li| slot(li, &h.exercise)) else { continue };
        let cell = cells[at].get_or_insert_with(Cell::default);
        cell.attempts = h.attempts;
        cell.best = h.best_score;
        cell.first_pass = h.first_pass;
        cell.last = h.last;
        cell.attempts_to_pass = h.attempts_to_pass;
    }
    for s in store.submission_rows(q.scope, q.exercise)? {
        let Some(at) = index.get(s.learner.as_str()).and_then(|&li| slot(li, &s.exercise)) else { continue };
        let cell = cells[at].get_or_insert_with(Cell::default);
        // Oldest first: the first passing submission decides lateness.
        if !cell.verified {
            // Judged against the due date in effect now: assignments may change after collection.
            cell.late = is_late(&s.submitted_at, cell.due.flatten());
            cell.dir = Some(s.dir.clone());
            cell.reproduced = s.reproduced;
        }
        cell.submitted = true;
        // The grade of record: a reviewer's where one exists.
        cell.verified |= s.record.passed;
        cell.best = cell.best.max(Some(s.record.score));
        if cell.last.is_none_or(|l| s.submitted_at > l) {
            cell.last = Some(s.submitted_at);
        }
    }
    let mut milestones: HashMap<String, Vec<MilestoneReached>> = HashMap::new();
    for (learner, stage, reached_at) in store.scope_milestones(q.scope)? {
        milestones.entry(learner).or_default().push(MilestoneReached { stage, reached_at });
    }

    // Exercises in curriculum order: those with any record or assignment.
    let order: Vec<(usize, &crate::curriculum::Exercise)> = curriculum
        .exercises
        .iter()
        .enumerate()
        .filter(|(ei, e)| {
            q.exercise.is_none_or(|f| e.id == f) && cells.iter().skip(*ei).step_by(width).any(Option::is_some)
        })
        .collect();

    let mut learner_reports = Vec::with_capacity(learners.len());
    let mut per_exercise: HashMap<&str, (u32, u32, Vec<u32>)> = HashMap::new();
    let mut pass_days: Vec<NaiveDate> = Vec::new();
    for (li, (id, name)) in learners.iter().enumerate() {
        let mut lr = LearnerReport {
            id: id.clone(),
            name: name.clone(),
            milestones: milestones.remove(id).unwrap_or_default(),
            passed: Vec::new(),
            attempts: 0,
            last_activity: None,
            late: Vec::new(),
            missing: Vec::new(),
            exercises: Vec::new(),
        };
        for &(ei, e) in &order {
            let Some(cell) = cells[li * width + ei].as_mut() else { continue };
            let due = cell.due.flatten();
            let status = if cell.verified {
                Status::Passed
            } else if cell.submitted {
                Status::Failed
            } else if cell.due.is_some() {
                if due.is_some_and(|d| is_past(d, &q.now)) { Status::Missing } else { Status::Pending }
            } else {
                Status::None
            };
            let attempts_to_pass = cell.attempts_to_pass;
            if let Some(f) = &cell.first_pass {
                pass_days.push(f.day());
            }
            let stats = per_exercise.entry(e.id.as_str()).or_default();
            stats.0 += 1;
            if status == Status::Passed {
                stats.1 += 1;
                lr.passed.push(e.id.clone());
                if let Some(n) = attempts_to_pass {
                    stats.2.push(n);
                }
            }
            if cell.late {
                lr.late.push(e.id.clone());
            }
            if status == Status::Missing {
                lr.missing.push(e.id.clone());
            }
            lr.attempts += cell.attempts;
            if cell.last > lr.last_activity {
                lr.last_activity = cell.last;
            }
            lr.exercises.push(LearnerExercise {
                exercise: e.id.clone(),
                status,
                late: cell.late,
                due,
                attempts: cell.attempts,
                best_score: cell.best,
                attempts_to_pass,
                reproduced: cell.reproduced,
                submission_dir: cell.dir.clone(),
            });
        }
        learner_reports.push(lr);
    }

    let mut all_failures: Vec<FailedCheck> = failures
        .into_iter()
        .enumerate()
        .flat_map(|(ei, counts)| {
            let exercise = &curriculum.exercises[ei].id;
            counts.into_iter().map(move |(check, failures)| FailedCheck { exercise: exercise.clone(), check, failures })
        })
        .collect();
    all_failures
        .sort_by(|a, b| b.failures.cmp(&a.failures).then(a.exercise.cmp(&b.exercise)).then(a.check.cmp(&b.check)));
    let exercises = order
        .iter()
        .map(|&(_, e)| {
            let (learners, passed, mut to_pass) = per_exercise.remove(e.id.as_str()).unwrap_or_default();
            ExerciseReport {
                id: e.id.clone(),
                title: e.title.clone(),
                learners,
                passed,
                pass_rate: if learners == 0 { 0.0 } else { f64::from(passed) / f64::from(learners) },
                median_attempts_to_pass: median(&mut to_pass),
                late: learner_reports.iter().filter(|l| l.late.contains(&e.id)).count() as u32,
                failing_checks: all_failures.iter().filter(|f| f.exercise == e.id).take(5).cloned().collect(),
            }
        })
        .collect();

    pass_days.sort_unstable();
    let mut progress: Vec<ProgressPoint> = Vec::new();
    for (i, day) in pass_days.iter().enumerate() {
        match progress.last_mut() {
            Some(p) if p.date == *day => p.passes = i as u32 + 1,
            _ => progress.push(ProgressPoint { date: *day, passes: i as u32 + 1 }),
        }
    }
    let title = match q.scope {
        Scope::Cohort(c) => format!("Cohort {c}"),
        Scope::Learner(l) => format!("Learner {l}"),
    };
    Ok(Report {
        title,
        date: q.now.day(),
        exercise_filter: q.exercise.map(str::to_string),
        learners: learner_reports,
        exercises,
        most_failed: all_failures.into_iter().next(),
        progress,
    })
}

pub use crate::time::{is_late, is_past};

fn median(v: &mut [u32]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let n = v.len();
    Some(if n % 2 == 1 { f64::from(v[n / 2]) } else { (f64::from(v[n / 2 - 1]) + f64::from(v[n / 2])) / 2.0 })
}

/// The output formats (the CLI names them in `cli::ReportFormat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Md,
    Csv,
    Html,
    Json,
}

/// Write a report in a format. `workspace` is where submission thumbnails
/// are read from (HTML only).
pub fn render(report: &Report, format: Format, workspace: &Path) -> Result<String> {
    Ok(match format {
        Format::Md => markdown(report),
        Format::Csv => csv(report),
        Format::Json => serde_json::to_string_pretty(report)? + "\n",
        Format::Html => html(report, workspace),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [3]), Some(3.0));
        assert_eq!(median(&mut [4, 1, 2]), Some(2.0));
        assert_eq!(median(&mut [1, 2, 4, 9]), Some(3.0));
    }
}
