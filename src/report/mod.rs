//! Progress reports for instructors: one model (`Report`) computed from the
//! collected submissions and the learner history they carried, written out
//! as Markdown, CSV, JSON or a self-contained HTML page.
//!
//! "Passed" in a report is the grade of record ([`GRADE_OF_RECORD`]): a
//! reviewer's grade where one exists, else the instructor's automatic
//! re-check of a collected submission. Every format says so and shows the
//! automatic verdict beside it. Attempts, scores and dates come from the
//! history in the learners' bundles.
//!
//! Each learner's exercise carries a drill-down of its submission of record
//! (`SubmissionDrill`): every check with its message and review, the
//! reviewer's grade, adjustment and comment. Its files (recipe, images,
//! conditioning inputs) are read from the submission's folder when a format
//! shows them (`drill.rs`).

pub mod drill;
pub mod html;
mod learner;
mod text;

use chrono::NaiveDate;
use std::collections::HashMap;
use std::path::Path;

use anyhow::Result;
use serde::Serialize;

use crate::curriculum::Curriculum;
use crate::id::ExerciseId;
use crate::store::{DecidedBy, Grade, Scope, Store, SubmissionRow, SubmittedCheckRow};
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

/// What "passed" means in every report; each format prints it.
pub const GRADE_OF_RECORD: &str = "Passed = the grade of record: a reviewer's grade where one exists, \
     else the instructor's automatic re-check. The automatic verdict is shown beside it.";

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub title: String,
    /// What "passed" means here ([`GRADE_OF_RECORD`]).
    pub passed_means: &'static str,
    /// Set when the report covers one learner (it has its own HTML layout).
    pub learner_scope: bool,
    /// The day the report was made (and that "missing" is judged against).
    pub date: NaiveDate,
    pub exercise_filter: Option<String>,
    pub learners: Vec<LearnerReport>,
    pub exercises: Vec<ExerciseReport>,
    /// The check that failed most across the scope: (exercise, check, failures).
    pub most_failed: Option<FailedCheck>,
    /// Cumulative first passes by day (from the learners' history).
    pub progress: Vec<ProgressPoint>,
    /// Collected submissions a person should look at that nobody reviewed yet.
    pub needs_review: u32,
    /// The curriculum's stages with their exercises (a learner's path; the
    /// single-learner page shows the status of each).
    pub path: Vec<PathStage>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PathStage {
    pub id: String,
    pub title: String,
    pub exercises: Vec<(ExerciseId, String)>,
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
    /// Collected submissions of this exercise.
    pub submissions: u32,
    /// The automatic re-check of the submission of record.
    pub automatic_passed: Option<bool>,
    pub automatic_score: Option<u32>,
    /// Who decided the grade of record (`status`): `reviewer` or `checks`.
    pub decided_by: Option<DecidedBy>,
    /// The reviewer's grade (an override of the automatic verdict), adjustment and comment.
    pub grade: Option<Grade>,
    pub score_adjust: i32,
    pub comment: Option<String>,
    /// A submission a person should look at is waiting for one.
    pub awaiting_review: bool,
    /// The submission of record in full.
    pub submission: Option<SubmissionDrill>,
}

/// The submission a learner's exercise is graded by: the first that passed
/// (by the grade of record), else the latest.
#[derive(Debug, Clone, Serialize)]
pub struct SubmissionDrill {
    pub id: i64,
    pub submitted_at: Timestamp,
    pub backend: String,
    pub automatic_passed: bool,
    pub automatic_score: u32,
    pub passed: bool,
    pub score: u32,
    pub decided_by: DecidedBy,
    pub grade: Option<Grade>,
    pub score_adjust: i32,
    pub comment: Option<String>,
    pub reviewer: Option<String>,
    pub reviewed_at: Option<Timestamp>,
    pub reproduce_note: Option<String>,
    /// Every check: value against threshold, message, and any review of it.
    pub checks: Vec<SubmittedCheckRow>,
    /// The submission's folder, relative to the workspace.
    #[serde(skip)]
    pub dir: String,
}

impl SubmissionDrill {
    pub fn failing(&self) -> impl Iterator<Item = &SubmittedCheckRow> {
        self.checks.iter().filter(|c| !c.passed)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ExerciseReport {
    pub id: ExerciseId,
    pub title: String,
    pub learners: u32,
    pub passed: u32,
    pub pass_rate: f64,
    /// Submissions awaiting a person.
    pub needs_review: u32,
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
    submissions: u32,
    awaiting: bool,
    shown: Option<SubmissionRow>,
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
    let mut needs_review = 0u32;
    let mut awaiting_by_exercise: HashMap<String, u32> = HashMap::new();
    for s in store.submission_rows(q.scope, q.exercise)? {
        let Some(at) = index.get(s.learner.as_str()).and_then(|&li| slot(li, &s.exercise)) else { continue };
        let cell = cells[at].get_or_insert_with(Cell::default);
        // Oldest first: the first passing submission decides lateness.
        if !cell.verified {
            // Judged against the due date in effect now: assignments may change after collection.
            cell.late = is_late(&s.submitted_at, cell.due.flatten());
            cell.dir = Some(s.dir.clone());
            cell.reproduced = s.reproduced;
            cell.shown = Some(s.clone());
        }
        cell.submitted = true;
        cell.submissions += 1;
        cell.awaiting |= s.awaiting_review;
        if s.awaiting_review {
            needs_review += 1;
            *awaiting_by_exercise.entry(s.exercise.to_string()).or_default() += 1;
        }
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

    let mut checks = store.scope_submission_checks(q.scope, q.exercise)?;
    let mut extras = store.scope_submission_extras(q.scope, q.exercise)?;
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
            let shown = cell.shown.take();
            let submission = shown.as_ref().map(|s| {
                let extra = extras.remove(&s.id);
                let (reviewer, reviewed_at) = extra.as_ref().and_then(|x| x.reviewer.clone()).unzip();
                SubmissionDrill {
                    id: s.id,
                    submitted_at: s.submitted_at,
                    backend: extra.as_ref().map(|x| x.backend.clone()).unwrap_or_default(),
                    automatic_passed: s.automatic_passed,
                    automatic_score: s.automatic_score,
                    passed: s.record.passed,
                    score: s.record.score,
                    decided_by: s.record.by,
                    grade: s.grade,
                    score_adjust: s.score_adjust,
                    comment: s.comment.clone(),
                    reviewer,
                    reviewed_at,
                    reproduce_note: extra.and_then(|x| x.reproduce_note),
                    checks: checks.remove(&s.id).unwrap_or_default(),
                    dir: s.dir.clone(),
                }
            });
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
                submissions: cell.submissions,
                automatic_passed: shown.as_ref().map(|s| s.automatic_passed),
                automatic_score: shown.as_ref().map(|s| s.automatic_score),
                decided_by: shown.as_ref().map(|s| s.record.by),
                grade: shown.as_ref().and_then(|s| s.grade),
                score_adjust: shown.as_ref().map_or(0, |s| s.score_adjust),
                comment: shown.as_ref().and_then(|s| s.comment.clone()),
                awaiting_review: cell.awaiting,
                submission,
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
                needs_review: awaiting_by_exercise.get(e.id.as_str()).copied().unwrap_or(0),
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
    let path = match q.scope {
        Scope::Learner(_) => curriculum
            .stages
            .iter()
            .map(|st| PathStage {
                id: st.id.clone(),
                title: st.title.clone(),
                exercises: st
                    .exercises
                    .iter()
                    .filter(|id| q.exercise.is_none_or(|f| id.as_str() == f))
                    .map(|id| (id.clone(), curriculum.exercise(id).map(|e| e.title.clone()).unwrap_or_default()))
                    .collect(),
            })
            .filter(|st| !st.exercises.is_empty())
            .collect(),
        Scope::Cohort(_) => Vec::new(),
    };
    Ok(Report {
        title,
        passed_means: GRADE_OF_RECORD,
        learner_scope: matches!(q.scope, Scope::Learner(_)),
        needs_review,
        path,
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

/// Where a report's drill-down reads files from.
#[derive(Clone, Copy)]
pub struct Sources<'a> {
    pub workspace: &'a Path,
    pub curriculum: &'a Curriculum,
}

impl Sources<'_> {
    /// The files of a learner's submission of record.
    pub fn files(&self, exercise: &ExerciseId, s: &SubmissionDrill) -> drill::Files {
        drill::submission(self.workspace, self.curriculum, exercise.as_str(), &s.dir)
    }
}

/// The output formats (the CLI names them in `cli::ReportFormat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Md,
    Csv,
    Html,
    Json,
}

/// Write a report in a format. Submission files (recipes, images,
/// conditioning inputs) are read from `workspace`, and an exercise's own
/// assets from `curriculum`, for the Markdown and HTML drill-downs.
pub fn render(report: &Report, format: Format, workspace: &Path, curriculum: &Curriculum) -> Result<String> {
    let sources = Sources { workspace, curriculum };
    Ok(match format {
        Format::Md => markdown(report, &sources),
        Format::Csv => csv(report),
        Format::Json => serde_json::to_string_pretty(report)? + "\n",
        Format::Html if report.learner_scope => learner::html(report, &sources),
        Format::Html => html(report, &sources),
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
