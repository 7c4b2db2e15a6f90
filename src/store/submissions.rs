//! Collected submissions and the learner history they carry (instructors),
//! and the rows the reports are computed from.

use crate::id::ExerciseId;
use crate::time::Timestamp;
use chrono::NaiveDate;
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use serde::{Deserialize, Serialize};

use super::{Result, Store, StoreError, now};

/// A verified submission about to be recorded.
#[derive(Debug, Clone)]
pub struct NewSubmission<'a> {
    pub learner: &'a str,
    pub learner_name: &'a str,
    pub exercise: &'a ExerciseId,
    pub bundle_sha256: &'a str,
    pub bundle_name: &'a str,
    pub dir: &'a str,
    pub submitted_at: Timestamp,
    pub due: Option<NaiveDate>,
    pub late: bool,
    pub genpath_version: &'a str,
    pub backend: &'a str,
    pub claimed_passed: bool,
    pub passed: bool,
    pub score: u32,
    pub reproduced: Option<bool>,
    pub reproduce_note: Option<&'a str>,
    pub checks: &'a [super::CheckRecord],
    pub history: &'a [HistoryEntry],
    pub milestones: &'a [Milestone],
}

/// One collected submission, as the reports read it.
#[derive(Debug, Clone, Serialize)]
pub struct SubmissionRow {
    pub id: i64,
    pub learner: String,
    pub exercise: ExerciseId,
    pub dir: String,
    pub submitted_at: Timestamp,
    pub due: Option<NaiveDate>,
    pub late: bool,
    pub passed: bool,
    pub score: u32,
    pub reproduced: Option<bool>,
    pub failed_checks: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HistoryEntry {
    pub attempt: i64,
    pub started_at: Timestamp,
    pub status: String,
    pub score: Option<u32>,
    pub failed_checks: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Milestone {
    pub stage: String,
    pub reached_at: Timestamp,
}

/// One attempt from a learner's history.
#[derive(Debug, Clone)]
pub struct HistoryRow {
    pub learner: String,
    pub exercise: ExerciseId,
    pub started_at: Timestamp,
    pub passed: bool,
    pub score: Option<u32>,
    pub failed_checks: String,
}

/// One learner's history on one exercise, summed up.
#[derive(Debug, Clone)]
pub struct HistorySummary {
    pub learner: String,
    pub exercise: ExerciseId,
    pub attempts: u32,
    pub best_score: Option<u32>,
    /// When the first passing attempt started.
    pub first_pass: Option<Timestamp>,
    pub last: Option<Timestamp>,
    /// Attempts up to and including the first pass.
    pub attempts_to_pass: Option<u32>,
}

/// Which learners a report covers.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    Cohort(&'a str),
    Learner(&'a str),
}

impl Scope<'_> {
    /// A SQL condition on `{col}` (a learner id column) and its one parameter.
    fn condition(&self, col: &str) -> (String, String) {
        match self {
            Scope::Cohort(c) => {
                (format!("{col} IN (SELECT learner_id FROM cohort_members WHERE cohort_id = ?1)"), (*c).to_string())
            }
            Scope::Learner(l) => (format!("{col} = ?1"), (*l).to_string()),
        }
    }
}

impl Store {
    pub fn submission_exists(&self, bundle_sha256: &str) -> Result<bool> {
        self.conn
            .query_row("SELECT 1 FROM submissions WHERE bundle_sha256 = ?1", [bundle_sha256], |_| Ok(()))
            .optional()
            .map(|o| o.is_some())
            .map_err(self.err())
    }

    /// Whether a submission is recorded as unpacked in `dir` (relative to the workspace).
    pub fn submission_in_dir(&self, dir: &str) -> Result<bool> {
        self.conn
            .query_row("SELECT 1 FROM submissions WHERE dir = ?1", [dir], |_| Ok(()))
            .optional()
            .map(|o| o.is_some())
            .map_err(self.err())
    }

    /// The due date that applies to a learner's exercise: the latest of the
    /// assignments that name them or their cohorts (the most generous).
    pub fn due_date(&self, learner: &str, exercise: &str) -> Result<Option<NaiveDate>> {
        self.conn
            .query_row(
                "SELECT MAX(due_at) FROM assignments WHERE exercise_id = ?2 AND (learner_id = ?1
                   OR cohort_id IN (SELECT cohort_id FROM cohort_members WHERE learner_id = ?1))",
                [learner, exercise],
                |r| r.get(0),
            )
            .map_err(self.err())
    }

    /// Record a collected submission with its checks, the learner's history
    /// and milestones, in one transaction.
    pub fn record_submission(&mut self, s: &NewSubmission<'_>) -> Result<i64> {
        let path = self.path.display().to_string();
        let err = |source| StoreError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(err)?;
        tx.execute(
            "INSERT INTO learners (id, name, created_at) VALUES (?1, ?2, ?3) ON CONFLICT(id) DO NOTHING",
            params![s.learner, s.learner_name, now()],
        )
        .map_err(err)?;
        tx.execute(
            "INSERT INTO submissions (learner_id, exercise_id, bundle_sha256, bundle_name, dir, submitted_at, collected_at,
               due_at, late, genpath_version, backend, claimed_passed, passed, score, reproduced, reproduce_note)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
            params![
                s.learner,
                s.exercise,
                s.bundle_sha256,
                s.bundle_name,
                s.dir,
                s.submitted_at,
                now(),
                s.due,
                s.late,
                s.genpath_version,
                s.backend,
                s.claimed_passed,
                s.passed,
                s.score,
                s.reproduced,
                s.reproduce_note
            ],
        )
        .map_err(err)?;
        let id = tx.last_insert_rowid();
        {
            let mut chk = tx
                .prepare_cached(
                    "INSERT INTO submission_checks (submission_id, idx, check_name, passed, value, threshold, message)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .map_err(err)?;
            for (i, c) in s.checks.iter().enumerate() {
                let value = c.value.filter(|v| v.is_finite());
                let threshold = c.threshold.filter(|v| v.is_finite());
                chk.execute(params![id, i as i64, c.check, c.passed, value, threshold, c.message]).map_err(err)?;
            }
            let mut hist = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO learner_history (learner_id, exercise_id, attempt, started_at, status, score, failed_checks)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .map_err(err)?;
            for h in s.history {
                hist.execute(params![
                    s.learner,
                    s.exercise,
                    h.attempt,
                    h.started_at,
                    h.status,
                    h.score,
                    h.failed_checks.join(",")
                ])
                .map_err(err)?;
            }
            let mut ms = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO milestones (learner_id, stage_id, attempt_id, reached_at) VALUES (?1, ?2, NULL, ?3)",
                )
                .map_err(err)?;
            for m in s.milestones {
                ms.execute(params![s.learner, m.stage, m.reached_at]).map_err(err)?;
            }
        }
        tx.commit().map_err(err)?;
        Ok(id)
    }

    /// The learners a scope covers: (id, name), by id.
    pub fn scope_learners(&self, scope: Scope<'_>) -> Result<Vec<(String, String)>> {
        let (cond, arg) = scope.condition("id");
        let mut st = self
            .conn
            .prepare(&format!("SELECT id, name FROM learners WHERE {cond} ORDER BY id"))
            .map_err(self.err())?;
        let rows = st.query_map([arg], |r| Ok((r.get(0)?, r.get(1)?))).map_err(self.err())?;
        rows.collect::<std::result::Result<_, _>>().map_err(self.err())
    }

    /// The learner history inside a scope, summed up per learner and exercise
    /// in SQL (a cohort's history runs to hundreds of thousands of rows).
    pub fn history_summary(&self, scope: Scope<'_>, exercise: Option<&str>) -> Result<Vec<HistorySummary>> {
        let (cond, arg) = scope.condition("learner_id");
        let mut st = self
            .conn
            .prepare(&format!(
                "WITH h AS (SELECT * FROM learner_history WHERE {cond} AND (?2 IS NULL OR exercise_id = ?2)),
                      firsts AS (SELECT learner_id, exercise_id, MIN(started_at) AS first_pass FROM h
                                 WHERE status = 'passed' GROUP BY learner_id, exercise_id)
                 SELECT h.learner_id, h.exercise_id, COUNT(*), MAX(h.score), f.first_pass, MAX(h.started_at),
                        SUM(f.first_pass IS NOT NULL AND h.started_at <= f.first_pass)
                 FROM h LEFT JOIN firsts f ON f.learner_id = h.learner_id AND f.exercise_id = h.exercise_id
                 GROUP BY h.learner_id, h.exercise_id"
            ))
            .map_err(self.err())?;
        let rows = st
            .query_map(params![arg, exercise], |r| {
                let first_pass: Option<Timestamp> = r.get(4)?;
                let to_pass: u32 = r.get(6)?;
                Ok(HistorySummary {
                    learner: r.get(0)?,
                    exercise: r.get(1)?,
                    attempts: r.get(2)?,
                    best_score: r.get(3)?,
                    attempts_to_pass: first_pass.is_some().then_some(to_pass),
                    first_pass,
                    last: r.get(5)?,
                })
            })
            .map_err(self.err())?;
        rows.collect::<std::result::Result<_, _>>().map_err(self.err())
    }

    /// How often each combination of failed checks occurs, per exercise:
    /// (exercise, comma-separated checks, attempts).
    pub fn history_failures(&self, scope: Scope<'_>, exercise: Option<&str>) -> Result<Vec<(String, String, u32)>> {
        let (cond, arg) = scope.condition("learner_id");
        let mut st = self
            .conn
            .prepare(&format!(
                "SELECT exercise_id, failed_checks, COUNT(*) FROM learner_history
                 WHERE {cond} AND (?2 IS NULL OR exercise_id = ?2) AND failed_checks <> ''
                 GROUP BY exercise_id, failed_checks"
            ))
            .map_err(self.err())?;
        let rows =
            st.query_map(params![arg, exercise], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).map_err(self.err())?;
        rows.collect::<std::result::Result<_, _>>().map_err(self.err())
    }

    /// Collected submissions inside a scope, oldest first, with the checks
    /// that failed the instructor's re-check.
    pub fn submission_rows(&self, scope: Scope<'_>, exercise: Option<&str>) -> Result<Vec<SubmissionRow>> {
        let (cond, arg) = scope.condition("s.learner_id");
        let mut st = self
            .conn
            .prepare(&format!(
                "SELECT s.id, s.learner_id, s.exercise_id, s.dir, s.submitted_at, s.due_at, s.late, s.passed, s.score,
                        s.reproduced,
                        (SELECT group_concat(check_name, ',') FROM submission_checks c
                          WHERE c.submission_id = s.id AND c.passed = 0)
                 FROM submissions s WHERE {cond} AND (?2 IS NULL OR s.exercise_id = ?2)
                 ORDER BY s.submitted_at, s.id"
            ))
            .map_err(self.err())?;
        let rows = st
            .query_map(params![arg, exercise], |r| {
                let failed: Option<String> = r.get(10)?;
                Ok(SubmissionRow {
                    id: r.get(0)?,
                    learner: r.get(1)?,
                    exercise: r.get(2)?,
                    dir: r.get(3)?,
                    submitted_at: r.get(4)?,
                    due: r.get(5)?,
                    late: r.get(6)?,
                    passed: r.get(7)?,
                    score: r.get(8)?,
                    reproduced: r.get(9)?,
                    failed_checks: failed
                        .map(|f| f.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect())
                        .unwrap_or_default(),
                })
            })
            .map_err(self.err())?;
        rows.collect::<std::result::Result<_, _>>().map_err(self.err())
    }

    /// Milestones of every learner in a scope: (learner, stage, reached at).
    pub fn scope_milestones(&self, scope: Scope<'_>) -> Result<Vec<(String, String, Timestamp)>> {
        let (cond, arg) = scope.condition("learner_id");
        let mut st = self
            .conn
            .prepare(&format!(
                "SELECT learner_id, stage_id, reached_at FROM milestones WHERE {cond} ORDER BY reached_at"
            ))
            .map_err(self.err())?;
        let rows = st.query_map([arg], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).map_err(self.err())?;
        rows.collect::<std::result::Result<_, _>>().map_err(self.err())
    }

    /// Assignments that apply to each learner in a scope: (learner, exercise, due).
    pub fn scope_assignments(&self, scope: Scope<'_>) -> Result<Vec<(String, ExerciseId, Option<NaiveDate>)>> {
        let (cond, arg) = scope.condition("l.id");
        let mut st = self
            .conn
            .prepare(&format!(
                "SELECT l.id, a.exercise_id, MAX(a.due_at) FROM learners l JOIN assignments a
                   ON a.learner_id = l.id
                   OR a.cohort_id IN (SELECT cohort_id FROM cohort_members WHERE learner_id = l.id)
                 WHERE {cond} GROUP BY l.id, a.exercise_id ORDER BY l.id, a.exercise_id"
            ))
            .map_err(self.err())?;
        let rows = st.query_map([arg], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).map_err(self.err())?;
        rows.collect::<std::result::Result<_, _>>().map_err(self.err())
    }

    /// Insert many history rows at once (benchmarks and tests build big cohorts with it).
    pub fn insert_history(&mut self, rows: &[HistoryRow]) -> Result<()> {
        let path = self.path.display().to_string();
        let err = |source| StoreError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction().map_err(err)?;
        {
            let mut st = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO learner_history (learner_id, exercise_id, attempt, started_at, status, score, failed_checks)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .map_err(err)?;
            for (i, h) in rows.iter().enumerate() {
                st.execute(params![
                    h.learner,
                    h.exercise,
                    i as i64,
                    h.started_at,
                    if h.passed { "passed" } else { "failed" },
                    h.score,
                    h.failed_checks
                ])
                .map_err(err)?;
            }
        }
        tx.commit().map_err(err)
    }
}
