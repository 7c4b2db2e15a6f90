//! Collected submissions and the learner history they carry (instructors),
//! and the rows the reports are computed from.

use crate::id::ExerciseId;
use crate::time::Timestamp;
use chrono::NaiveDate;
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

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
    /// The learner's attempt id in their own workspace.
    pub attempt: Option<i64>,
    /// Its number among their attempts at the exercise.
    pub attempt_number: Option<u32>,
    /// A person should look (a judgment write-up, a check close to its line).
    pub needs_review: bool,
    pub checks: &'a [super::CheckRecord],
    pub history: &'a [HistoryEntry],
    pub milestones: &'a [Milestone],
}

/// One collected submission, as the reports read it: lateness is judged
/// again against the due dates in effect when the report is made.
#[derive(Debug, Clone, Serialize)]
pub struct SubmissionRow {
    pub id: i64,
    pub learner: String,
    pub exercise: ExerciseId,
    pub dir: String,
    pub submitted_at: Timestamp,
    /// The instructor's automatic re-check.
    pub automatic_passed: bool,
    pub automatic_score: u32,
    /// What counts: a reviewer's grade where one exists, else the re-check.
    pub record: super::Record,
    pub grade: Option<super::Grade>,
    pub score_adjust: i32,
    /// The reviewer's comment on the submission (Markdown), if any.
    pub comment: Option<String>,
    /// A person should look and nobody has reviewed it yet.
    pub awaiting_review: bool,
    pub reproduced: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HistoryEntry {
    pub attempt: i64,
    /// The learner's number for it on the exercise (absent in older bundles).
    #[serde(default)]
    pub number: Option<u32>,
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

// What a collect looks up, each through an index (`collect_finds_its_rows_by_key`).
const SUBMISSION_EXISTS: &str = "SELECT 1 FROM submissions WHERE bundle_sha256 = ?1";
const SUBMISSION_IN_DIR: &str = "SELECT 1 FROM submissions WHERE dir = ?1";
const DUE_DATE: &str = "SELECT MAX(due_at) FROM assignments WHERE exercise_id = ?2 AND (learner_id = ?1
       OR cohort_id IN (SELECT cohort_id FROM cohort_members WHERE learner_id = ?1))";

/// The learner history of a scope, summed up (`Store::history_totals`).
#[derive(Debug, Clone, Default)]
pub struct HistoryTotals {
    /// Per learner and exercise, by learner then exercise.
    pub summaries: Vec<HistorySummary>,
    /// (exercise, comma-separated failed checks, attempts), sorted.
    pub failures: Vec<(String, String, u32)>,
}

fn history_stats_sql(cond: &str) -> String {
    format!(
        "SELECT learner_id, exercise_id, attempts, best_score, first_pass, last, attempts_to_pass FROM history_stats
         WHERE {cond} AND (?2 IS NULL OR exercise_id = ?2) ORDER BY learner_id, exercise_id"
    )
}

fn history_failures_sql(cond: &str) -> String {
    format!(
        "SELECT exercise_id, failed_checks, attempts FROM history_failures
         WHERE {cond} AND (?2 IS NULL OR exercise_id = ?2)"
    )
}

/// The failed checks of every learner, summed up per exercise here: a GROUP
/// BY across learners would sort every learner's rows.
fn sum_failures(mut rows: rusqlite::Rows<'_>) -> rusqlite::Result<Vec<(String, String, u32)>> {
    let mut by_exercise: HashMap<String, HashMap<String, u32>> = HashMap::new();
    while let Some(r) = rows.next()? {
        let (exercise, checks, n): (&str, &str, u32) = (r.get_ref(0)?.as_str()?, r.get_ref(1)?.as_str()?, r.get(2)?);
        if !by_exercise.contains_key(exercise) {
            by_exercise.insert(exercise.to_string(), HashMap::new());
        }
        if let Some(counts) = by_exercise.get_mut(exercise) {
            match counts.get_mut(checks) {
                Some(total) => *total += n,
                None => {
                    counts.insert(checks.to_string(), n);
                }
            }
        }
    }
    let mut failures: Vec<(String, String, u32)> = by_exercise
        .into_iter()
        .flat_map(|(exercise, counts)| counts.into_iter().map(move |(c, n)| (exercise.clone(), c, n)))
        .collect();
    failures.sort_unstable();
    Ok(failures)
}

/// Sum up one learner's history on one exercise again from its rows
/// (`?1` learner, `?2` exercise), after they were written.
const REFRESH_HISTORY: &str = "
    DELETE FROM history_stats WHERE learner_id = ?1 AND exercise_id = ?2;
    INSERT INTO history_stats
        SELECT learner_id, exercise_id, COUNT(*), MAX(score), f.first_pass, MAX(started_at),
               COALESCE(SUM(started_at <= f.first_pass), 0)
        FROM learner_history,
             (SELECT MIN(started_at) AS first_pass FROM learner_history
              WHERE learner_id = ?1 AND exercise_id = ?2 AND status = 'passed') f
        WHERE learner_id = ?1 AND exercise_id = ?2 GROUP BY learner_id, exercise_id;
    DELETE FROM history_failures WHERE learner_id = ?1 AND exercise_id = ?2;
    INSERT INTO history_failures
        SELECT learner_id, exercise_id, failed_checks, COUNT(*) FROM learner_history
        WHERE learner_id = ?1 AND exercise_id = ?2 AND failed_checks <> '' GROUP BY failed_checks;";

/// Bring a learner's summed-up history on one exercise in step with its rows.
fn refresh_history(tx: &rusqlite::Transaction<'_>, learner: &str, exercise: &str) -> rusqlite::Result<()> {
    for sql in REFRESH_HISTORY.split_inclusive(';').map(str::trim).filter(|s| !s.is_empty()) {
        tx.prepare_cached(sql)?.execute([learner, exercise])?;
    }
    Ok(())
}

/// Which learners a report covers.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    Cohort(&'a str),
    Learner(&'a str),
}

impl Scope<'_> {
    /// A SQL condition on `{col}` (a learner id column) and its one parameter.
    pub(super) fn condition(&self, col: &str) -> (String, String) {
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
            .query_row(SUBMISSION_EXISTS, [bundle_sha256], |_| Ok(()))
            .optional()
            .map(|o| o.is_some())
            .map_err(self.err())
    }

    /// Whether a submission is recorded as unpacked in `dir` (relative to the workspace).
    pub fn submission_in_dir(&self, dir: &str) -> Result<bool> {
        self.conn.query_row(SUBMISSION_IN_DIR, [dir], |_| Ok(())).optional().map(|o| o.is_some()).map_err(self.err())
    }

    /// The due date that applies to a learner's exercise: the latest of the
    /// assignments that name them or their cohorts (the most generous).
    pub fn due_date(&self, learner: &str, exercise: &str) -> Result<Option<NaiveDate>> {
        self.conn.query_row(DUE_DATE, [learner, exercise], |r| r.get(0)).map_err(self.err())
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
               due_at, late, genpath_version, backend, claimed_passed, passed, score, reproduced, reproduce_note,
               attempt, needs_review, attempt_number)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
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
                s.reproduce_note,
                s.attempt,
                s.needs_review,
                s.attempt_number
            ],
        )
        .map_err(err)?;
        let id = tx.last_insert_rowid();
        {
            let mut chk = tx
                .prepare_cached(
                    "INSERT INTO submission_checks (submission_id, idx, check_name, passed, value, threshold, message, review)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .map_err(err)?;
            for (i, c) in s.checks.iter().enumerate() {
                let value = c.value.filter(|v| v.is_finite());
                let threshold = c.threshold.filter(|v| v.is_finite());
                chk.execute(params![id, i as i64, c.check, c.passed, value, threshold, c.message, c.review])
                    .map_err(err)?;
            }
            let mut hist = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO learner_history (learner_id, exercise_id, attempt, started_at, status, score, failed_checks, number)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
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
                    h.failed_checks.join(","),
                    h.number
                ])
                .map_err(err)?;
            }
            if !s.history.is_empty() {
                refresh_history(&tx, s.learner, s.exercise.as_str()).map_err(err)?;
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

    /// The learner history inside a scope, summed up: each learner's record
    /// on each exercise, and how often each combination of failed checks
    /// occurs per exercise. Read from the totals kept beside the history (a
    /// cohort's history runs to hundreds of thousands of rows; the totals
    /// are one row per learner and exercise).
    pub fn history_totals(&self, scope: Scope<'_>, exercise: Option<&str>) -> Result<HistoryTotals> {
        let (cond, arg) = scope.condition("learner_id");
        let mut st = self.conn.prepare(&history_stats_sql(&cond)).map_err(self.err())?;
        let summaries = st
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
            .map_err(self.err())?
            .collect::<std::result::Result<_, _>>()
            .map_err(self.err())?;
        let mut st = self.conn.prepare(&history_failures_sql(&cond)).map_err(self.err())?;
        let failures = sum_failures(st.query(params![arg, exercise]).map_err(self.err())?).map_err(self.err())?;
        Ok(HistoryTotals { summaries, failures })
    }

    /// Collected submissions inside a scope, oldest first.
    pub fn submission_rows(&self, scope: Scope<'_>, exercise: Option<&str>) -> Result<Vec<SubmissionRow>> {
        let (cond, arg) = scope.condition("s.learner_id");
        let mut st = self
            .conn
            .prepare(&format!(
                "SELECT s.id, s.learner_id, s.exercise_id, s.dir, s.submitted_at, s.passed, s.score, s.reproduced,
                   s.needs_review, r.grade, r.score_adjust, r.comment,
                   (SELECT COUNT(*) FROM check_reviews v WHERE v.submission_id = s.id AND v.grade = 'fail'),
                   (SELECT COUNT(*) FROM check_reviews v WHERE v.submission_id = s.id AND v.grade = 'pass'),
                   (SELECT COUNT(*) FROM submission_checks c WHERE c.submission_id = s.id AND c.passed = 0
                      AND NOT EXISTS (SELECT 1 FROM check_reviews v
                                      WHERE v.submission_id = c.submission_id AND v.idx = c.idx AND v.grade = 'pass')),
                   (SELECT COUNT(*) FROM check_reviews v WHERE v.submission_id = s.id)
                 FROM submissions s LEFT JOIN reviews r ON r.submission_id = s.id
                 WHERE {cond} AND (?2 IS NULL OR s.exercise_id = ?2)"
            ))
            .map_err(self.err())?;
        let rows = st
            .query_map(params![arg, exercise], |r| {
                let automatic_passed: bool = r.get(5)?;
                let automatic_score: u32 = r.get(6)?;
                let grade: Option<super::Grade> = r.get(9)?;
                let score_adjust: Option<i32> = r.get(10)?;
                let comment: Option<String> = r.get(11)?;
                let checks =
                    super::CheckGrades { failed: r.get(12)?, passed: r.get(13)?, unresolved_failures: r.get(14)? };
                let check_reviews: u32 = r.get(15)?;
                let reviewed = score_adjust.is_some() || check_reviews > 0;
                let needs_review: bool = r.get(8)?;
                Ok(SubmissionRow {
                    id: r.get(0)?,
                    learner: r.get(1)?,
                    exercise: r.get(2)?,
                    dir: r.get(3)?,
                    submitted_at: r.get(4)?,
                    automatic_passed,
                    automatic_score,
                    record: super::grade_of_record(
                        automatic_passed,
                        automatic_score,
                        grade,
                        score_adjust.unwrap_or(0),
                        checks,
                    ),
                    grade,
                    score_adjust: score_adjust.unwrap_or(0),
                    comment: comment.filter(|c| !c.trim().is_empty()),
                    awaiting_review: needs_review && !reviewed,
                    reproduced: r.get(7)?,
                })
            })
            .map_err(self.err())?;
        let mut rows: Vec<SubmissionRow> = rows.collect::<std::result::Result<_, _>>().map_err(self.err())?;
        // Sorted here: SQLite's sort of the whole rows cost more than the query.
        rows.sort_by(|a, b| a.submitted_at.cmp(&b.submitted_at).then(a.id.cmp(&b.id)));
        Ok(rows)
    }

    /// A learner's history on one exercise as their bundles carried it, oldest first.
    pub fn learner_history(&self, learner: &str, exercise: &str) -> Result<Vec<HistoryEntry>> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT attempt, started_at, status, score, failed_checks, number FROM learner_history
                 WHERE learner_id = ?1 AND exercise_id = ?2 ORDER BY started_at, attempt",
            )
            .map_err(self.err())?;
        let rows = st
            .query_map([learner, exercise], |r| {
                let failed: String = r.get(4)?;
                Ok(HistoryEntry {
                    attempt: r.get(0)?,
                    number: r.get(5)?,
                    started_at: r.get(1)?,
                    status: r.get(2)?,
                    score: r.get(3)?,
                    failed_checks: failed.split(',').filter(|c| !c.is_empty()).map(str::to_string).collect(),
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

    /// Every assignment that reaches a learner in a scope, directly or
    /// through a cohort: (learner, exercise, due), in no particular order.
    /// Several may name one exercise; the latest due date applies
    /// (`due_date`).
    pub fn scope_assignments(&self, scope: Scope<'_>) -> Result<Vec<(String, ExerciseId, Option<NaiveDate>)>> {
        let (direct, arg) = scope.condition("a.learner_id");
        let (member, _) = scope.condition("m.learner_id");
        let mut st = self
            .conn
            .prepare(&format!(
                "SELECT a.learner_id, a.exercise_id, a.due_at FROM assignments a WHERE {direct}
                 UNION ALL
                 SELECT m.learner_id, a.exercise_id, a.due_at FROM cohort_members m
                   JOIN assignments a ON a.cohort_id = m.cohort_id WHERE {member}"
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
        let groups: std::collections::BTreeSet<(&str, &str)> =
            rows.iter().map(|h| (h.learner.as_str(), h.exercise.as_str())).collect();
        for (learner, exercise) in groups {
            refresh_history(&tx, learner, exercise).map_err(err)?;
        }
        tx.commit().map_err(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What SQLite will do to run `sql`, one line per step.
    pub(crate) fn plan(store: &Store, sql: &str) -> Vec<String> {
        let mut st = store.conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let nulls = std::iter::repeat_n(rusqlite::types::Null, st.parameter_count());
        st.query_map(rusqlite::params_from_iter(nulls), |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    #[test]
    fn collect_finds_its_rows_by_key() {
        let s = Store::open_in_memory().unwrap();
        for sql in [SUBMISSION_EXISTS, SUBMISSION_IN_DIR, DUE_DATE] {
            let plan = plan(&s, sql);
            assert!(plan.iter().all(|step| !step.starts_with("SCAN")), "{sql}\n{plan:#?}");
        }
    }

    #[test]
    fn a_report_reads_the_totals_not_the_history() {
        let s = Store::open_in_memory().unwrap();
        for scope in [Scope::Cohort("c"), Scope::Learner("l")] {
            let cond = scope.condition("learner_id").0;
            for sql in [history_stats_sql(&cond), history_failures_sql(&cond)] {
                let plan = plan(&s, &sql);
                assert!(plan.iter().all(|step| !step.contains("learner_history")), "{plan:#?}");
            }
        }
    }

    type Summary = (String, String, u32, Option<u32>, Option<Timestamp>, Option<Timestamp>, Option<u32>);

    /// The stored totals as plain tuples, to compare with the old queries' rows.
    fn plain(summaries: Vec<HistorySummary>) -> Vec<Summary> {
        summaries
            .into_iter()
            .map(|h| {
                (h.learner, h.exercise.to_string(), h.attempts, h.best_score, h.first_pass, h.last, h.attempts_to_pass)
            })
            .collect()
    }

    /// The two queries `history_totals` replaced, as they were.
    fn as_sql_did(s: &Store, scope: Scope<'_>, exercise: Option<&str>) -> (Vec<Summary>, Vec<(String, String, u32)>) {
        let (cond, arg) = scope.condition("learner_id");
        let mut st = s
            .conn
            .prepare(&format!(
                "WITH h AS (SELECT * FROM learner_history WHERE {cond} AND (?2 IS NULL OR exercise_id = ?2)),
                      firsts AS (SELECT learner_id, exercise_id, MIN(started_at) AS first_pass FROM h
                                 WHERE status = 'passed' GROUP BY learner_id, exercise_id)
                 SELECT h.learner_id, h.exercise_id, COUNT(*), MAX(h.score), f.first_pass, MAX(h.started_at),
                        SUM(f.first_pass IS NOT NULL AND h.started_at <= f.first_pass)
                 FROM h LEFT JOIN firsts f ON f.learner_id = h.learner_id AND f.exercise_id = h.exercise_id
                 GROUP BY h.learner_id, h.exercise_id ORDER BY h.learner_id, h.exercise_id"
            ))
            .unwrap();
        let summaries = st
            .query_map(params![arg, exercise], |r| {
                let first: Option<Timestamp> = r.get(4)?;
                let to_pass: u32 = r.get(6)?;
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, first, r.get(5)?, first.is_some().then_some(to_pass)))
            })
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let mut st = s
            .conn
            .prepare(&format!(
                "SELECT exercise_id, failed_checks, COUNT(*) FROM learner_history
                 WHERE {cond} AND (?2 IS NULL OR exercise_id = ?2) AND failed_checks <> ''
                 GROUP BY exercise_id, failed_checks ORDER BY exercise_id, failed_checks"
            ))
            .unwrap();
        let failures = st
            .query_map(params![arg, exercise], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        (summaries, failures)
    }

    /// A cohort's history collected before the totals existed: migration 5
    /// sums it up, and the report reads what the queries read before.
    #[test]
    fn a_version_4_history_is_summed_up_by_the_migration() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("genpath.db");
        {
            let c = rusqlite::Connection::open(&path).unwrap();
            for sql in &super::super::schema::MIGRATIONS[..4] {
                c.execute_batch(sql).unwrap();
            }
            c.pragma_update(None, "user_version", 4).unwrap();
            c.execute_batch(
                "INSERT INTO learners (id, name, created_at) VALUES ('amy', 'Amy', '2026-01-01T00:00:00.000Z'),
                                                                 ('bo', 'Bo', '2026-01-01T00:00:00.000Z');
                 INSERT INTO cohorts (id, created_at) VALUES ('c', '2026-01-01T00:00:00.000Z');
                 INSERT INTO cohort_members VALUES ('c', 'amy'), ('c', 'bo');",
            )
            .unwrap();
            for i in 0..60i64 {
                c.execute(
                    "INSERT INTO learner_history (learner_id, exercise_id, attempt, started_at, status, score, failed_checks)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![
                        ["amy", "bo"][(i % 2) as usize],
                        ["fluency.a", "fluency.b", "control.c"][(i % 3) as usize],
                        i,
                        format!("2026-02-{:02}T08:00:00.000Z", 1 + i * 7 % 20),
                        ["failed", "passed", "error", "failed"][(i % 4) as usize],
                        (i % 5 != 0).then_some(i),
                        ["", "format", "format,palette"][(i % 3) as usize]
                    ],
                )
                .unwrap();
            }
        }
        let s = Store::open(&path).unwrap();
        for scope in [Scope::Cohort("c"), Scope::Learner("bo")] {
            let ours = s.history_totals(scope, None).unwrap();
            let (want, failures) = as_sql_did(&s, scope, None);
            let summaries = plain(ours.summaries);
            assert_eq!(summaries, want);
            assert_eq!(ours.failures, failures);
        }
    }

    fn collect(s: &mut Store, learner: &str, exercise: &str, history: &[HistoryEntry]) {
        let n: i64 = s.conn.query_row("SELECT COUNT(*) FROM submissions", [], |r| r.get(0)).unwrap();
        let sha = format!("{n:064x}");
        s.record_submission(&NewSubmission {
            learner,
            learner_name: learner,
            exercise: &exercise.parse().unwrap(),
            bundle_sha256: &sha,
            bundle_name: "b.genpath",
            dir: &sha,
            submitted_at: "2026-04-01T09:00:00.000Z".parse().unwrap(),
            due: None,
            late: false,
            genpath_version: "0.1.0",
            backend: "builtin",
            claimed_passed: true,
            passed: true,
            score: 90,
            reproduced: None,
            attempt_number: None,
            reproduce_note: None,
            attempt: None,
            needs_review: false,
            checks: &[],
            history,
            milestones: &[],
        })
        .unwrap();
    }

    #[test]
    fn history_totals_read_as_the_group_by_did() {
        let mut s = Store::open_in_memory().unwrap();
        let mut history = Vec::new();
        s.create_cohort("c", None).unwrap();
        for (i, l) in ["amy", "bo", "cy", "dee"].iter().enumerate() {
            s.upsert_learner(l, l, None).unwrap();
            if i < 3 {
                s.add_to_cohort("c", l).unwrap();
            }
        }
        // Out of order in time, ties, passes before and after failures, no score, other statuses.
        let mut n = 0u32;
        for (l, learner) in ["amy", "bo", "cy", "dee"].iter().enumerate() {
            for (e, exercise) in ["fluency.a", "fluency.b", "control.c"].iter().enumerate() {
                for a in 0..(l + e * 2) % 7 {
                    n += 1;
                    let status = ["failed", "passed", "error", "failed", "interrupted"][(n as usize * 7 + a) % 5];
                    let day = 1 + (n * 13 + a as u32 * 5) % 9;
                    let failed = ["", "format", "format,palette", "palette"][(n as usize + a) % 4];
                    history.push(HistoryEntry {
                        attempt: a as i64,
                        number: Some(a as u32 + 1),
                        started_at: format!("2026-03-{day:02}T10:00:00.000Z").parse().unwrap(),
                        status: status.into(),
                        score: (!n.is_multiple_of(4)).then_some(n * 11 % 100),
                        failed_checks: failed.split(',').filter(|c| !c.is_empty()).map(str::to_string).collect(),
                    });
                }
                // Collected twice: a later bundle carries the same history again, one attempt changed.
                collect(&mut s, learner, exercise, &history);
                if let Some(h) = history.last_mut().filter(|_| e == 1) {
                    h.status = "passed".into();
                }
                collect(&mut s, learner, exercise, &history);
                history.clear();
            }
        }
        for scope in [Scope::Cohort("c"), Scope::Learner("bo"), Scope::Learner("dee"), Scope::Cohort("none")] {
            for exercise in [None, Some("fluency.b"), Some("control.c"), Some("nothing.here")] {
                let ours = s.history_totals(scope, exercise).unwrap();
                let summaries = plain(ours.summaries);
                let (want, failures) = as_sql_did(&s, scope, exercise);
                assert_eq!(summaries, want, "{scope:?} {exercise:?}");
                assert_eq!(ours.failures, failures, "{scope:?} {exercise:?}");
            }
        }
        let all = s.history_totals(Scope::Cohort("c"), None).unwrap();
        assert!(all.summaries.iter().any(|h| h.attempts_to_pass.is_some_and(|n| n > 1)), "a test of something");
        assert!(all.summaries.iter().any(|h| h.first_pass.is_none()), "a test of something");
    }
}
