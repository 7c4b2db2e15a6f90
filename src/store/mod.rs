//! The workspace database: one SQLite file (`genpath.db`) in WAL mode with
//! foreign keys on, upgraded in place by `PRAGMA user_version` migrations.
//!
//! This is the only module that writes SQL. An attempt is written before its
//! backend is called (status `running`) and completed in one transaction, so
//! a crash leaves either a running row (later shown as interrupted) or a
//! complete result — never a half-recorded one.
//!
//! Recording costs the same however long the history is: every statement on
//! the way finds its rows through a key, and a learner's record on each
//! exercise (`exercise_stats`, the input of the progress rules and the
//! milestones) is a table that triggers keep in step with `attempts` inside
//! the statement that changes them (schema migration 5).

mod drilldown;
mod pipeline;
mod reviews;
mod roster;
mod schema;
mod submissions;

pub use drilldown::SubmissionExtras;
pub use pipeline::{CallRow, JobRow, JobStatus, RunRow, RunStatus};
pub use reviews::{
    CheckFeedback, CheckGrades, CheckReview, DecidedBy, Feedback, Grade, Imported, MAX_SCORE_ADJUST, Record, Review,
    ReviewError, ReviewFilter, ReviewInput, SubmissionDetail, SubmittedCheckRow, Verdicts, grade_of_record,
};
pub use roster::{AssignmentRow, CohortRow, LearnerRow};
pub use submissions::{
    HistoryEntry, HistoryRow, HistorySummary, HistoryTotals, Milestone, NewSubmission, Scope, SubmissionRow,
};

use crate::id::ExerciseId;
use crate::time::Timestamp;
use chrono::NaiveDate;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::Serialize;
use thiserror::Error;

pub use schema::VERSION as SCHEMA_VERSION;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error(
        "{path} was written by a newer genpath (database schema version {found}; this genpath understands up to {known}). \
         Upgrade genpath to open it; the file has not been changed."
    )]
    NewerSchema { path: String, found: i64, known: i64 },
    #[error("database error in {path}: {source}")]
    Sqlite {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("attempt {0} does not exist")]
    NoSuchAttempt(i64),
    #[error("attempt {id} is already {status}; it cannot be completed twice")]
    AttemptNotRunning { id: i64, status: String },
}

pub type Result<T> = std::result::Result<T, StoreError>;

crate::named_enum! {
    /// What happened to an attempt.
    pub enum AttemptStatus ("attempt status") {
        Running = "running",
        Passed = "passed",
        Failed = "failed",
        Error = "error",
        Cancelled = "cancelled",
        Interrupted = "interrupted",
    }
}
crate::sql_text!(AttemptStatus);
crate::sql_text!(crate::checks::Severity);
crate::sql_text!(ExerciseId);

/// An attempt about to start.
#[derive(Debug, Clone)]
pub struct NewAttempt<'a> {
    pub learner: &'a str,
    pub exercise: &'a ExerciseId,
    pub recipe_text: &'a str,
    pub backend: &'a str,
}

/// One image an attempt produced.
#[derive(Debug, Clone, Serialize)]
pub struct ImageRecord {
    pub path: String,
    pub sha256: String,
    pub width: u32,
    pub height: u32,
    pub seed: Option<i64>,
}

/// One check outcome as stored.
#[derive(Debug, Clone, Serialize)]
pub struct CheckRecord {
    pub check: String,
    pub passed: bool,
    /// Close to the line: a person should look.
    pub review: bool,
    pub value: Option<f64>,
    pub threshold: Option<f64>,
    pub severity: crate::checks::Severity,
    pub message: String,
}

/// The result of an attempt that ran to the end.
#[derive(Debug, Clone)]
pub struct Finished {
    pub passed: bool,
    pub score: u32,
    pub cost: f64,
    pub images: Vec<ImageRecord>,
    pub checks: Vec<CheckRecord>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AttemptRow {
    /// The store's key: unique across exercises, never shown to a learner.
    pub id: i64,
    /// The learner's count on this exercise: 1 for their first attempt at it.
    pub number: u32,
    pub learner: String,
    pub exercise: ExerciseId,
    pub recipe_text: String,
    pub recipe_sha256: String,
    pub backend: String,
    pub status: AttemptStatus,
    pub score: Option<u32>,
    pub cost: f64,
    pub started_at: Timestamp,
    pub finished_at: Option<Timestamp>,
    pub error: Option<String>,
}

/// A gap between two attempts longer than this (seconds) is a break: study
/// time counts at most this much of it.
pub const STUDY_BREAK: f64 = 1800.0;

/// An exercise assigned to a learner (directly or through a cohort).
#[derive(Debug, Clone, PartialEq)]
pub struct Assigned {
    pub exercise: ExerciseId,
    pub due: Option<NaiveDate>,
    pub note: Option<String>,
}

/// A learner's record on one exercise, the input of the progress rules.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExerciseStats {
    pub exercise: ExerciseId,
    pub attempts: u32,
    pub best_score: Option<u32>,
    pub passed: bool,
    pub first_passed_at: Option<Timestamp>,
    pub last_at: Option<Timestamp>,
    /// Time spent in finished attempts.
    pub seconds: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MilestoneRow {
    pub stage: String,
    pub attempt: Option<i64>,
    pub reached_at: Timestamp,
}

/// Prepared statements kept per connection: every statement the store runs
/// more than once (rusqlite keeps 16 by default, fewer than the studio uses).
const STATEMENT_CACHE: usize = 64;

pub struct Store {
    conn: Connection,
    path: PathBuf,
}

/// The current time, as every row records it.
pub fn now() -> Timestamp {
    Timestamp::now()
}

/// A time is stored as its RFC 3339 text (UTC, milliseconds, `Z`), which
/// sorts in time order; text that is not a time is an error when read back.
impl rusqlite::types::ToSql for Timestamp {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(rusqlite::types::ToSqlOutput::from(self.to_string()))
    }
}

impl rusqlite::types::FromSql for Timestamp {
    fn column_result(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        v.as_str()?.parse().map_err(|e| rusqlite::types::FromSqlError::Other(Box::new(e)))
    }
}

impl Store {
    /// Open (creating if needed) and upgrade the database at `path`.
    ///
    /// A database from a newer genpath is refused before anything is written
    /// to it: not even the journal mode is touched.
    pub fn open(path: &Path) -> Result<Store> {
        let label = path.display().to_string();
        let err = |source| StoreError::Sqlite { path: label.clone(), source };
        let conn = Connection::open(path).map_err(err)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        conn.busy_timeout(Duration::from_secs(10)).map_err(err)?;
        let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(err)?;
        if found > schema::VERSION {
            return Err(StoreError::NewerSchema { path: label, found, known: schema::VERSION });
        }
        conn.pragma_update(None, "journal_mode", "WAL").map_err(err)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(err)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(err)?;
        let mut store = Store { conn, path: path.to_path_buf() };
        store.migrate(found)?;
        Ok(store)
    }

    /// A private in-memory database (tests and benchmarks).
    pub fn open_in_memory() -> Result<Store> {
        let err = |source| StoreError::Sqlite { path: ":memory:".into(), source };
        let conn = Connection::open_in_memory().map_err(err)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        conn.pragma_update(None, "foreign_keys", "ON").map_err(err)?;
        let mut store = Store { conn, path: PathBuf::from(":memory:") };
        store.migrate(0)?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        move |source| StoreError::Sqlite { path: self.path.display().to_string(), source }
    }

    fn migrate(&mut self, from: i64) -> Result<()> {
        let path = self.path.display().to_string();
        let err = |source| StoreError::Sqlite { path: path.clone(), source };
        for (i, sql) in schema::MIGRATIONS.iter().enumerate().skip(from as usize) {
            let version = i as i64 + 1;
            let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(err)?;
            // Another process may have migrated while we waited for the lock.
            let now: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(err)?;
            if now >= version {
                continue;
            }
            tx.execute_batch(sql).map_err(err)?;
            tx.pragma_update(None, "user_version", version).map_err(err)?;
            tx.commit().map_err(err)?;
        }
        Ok(())
    }

    pub fn schema_version(&self) -> Result<i64> {
        self.conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(self.err())
    }

    /// `PRAGMA integrity_check`'s answer; "ok" when the file is sound.
    pub fn integrity_check(&self) -> Result<String> {
        self.conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).map_err(self.err())
    }

    // ---- learners -------------------------------------------------------

    /// Create the learner or update their name and email.
    pub fn upsert_learner(&self, id: &str, name: &str, email: Option<&str>) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO learners (id, name, email, created_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(id) DO UPDATE SET name = excluded.name, email = COALESCE(excluded.email, learners.email)",
                params![id, name, email, now()],
            )
            .map_err(self.err())?;
        Ok(())
    }

    // ---- attempts -------------------------------------------------------

    /// Record an attempt as running, before any backend call.
    pub fn begin_attempt(&self, a: &NewAttempt<'_>) -> Result<i64> {
        self.conn
            .prepare_cached(sql::BEGIN_ATTEMPT)
            .and_then(|mut st| {
                st.execute(params![
                    a.learner,
                    a.exercise,
                    a.recipe_text,
                    crate::hash::sha256_hex(a.recipe_text.as_bytes()),
                    a.backend,
                    now(),
                    std::process::id()
                ])
            })
            .map_err(self.err())?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Complete a running attempt in one transaction: its images, check
    /// results and status, then any stage milestones that now hold.
    ///
    /// `milestones` is given the learner's updated per-exercise stats (this
    /// attempt included) and returns the stage ids whose milestone is reached;
    /// new ones are recorded against this attempt.
    pub fn finish_attempt(
        &mut self,
        id: i64,
        done: &Finished,
        milestones: impl FnOnce(&[ExerciseStats]) -> Vec<String>,
    ) -> Result<Vec<String>> {
        let path = self.path.display().to_string();
        let err = |source| StoreError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(err)?;
        let (learner, status): (String, String) = tx
            .prepare_cached(sql::ATTEMPT_STATE)
            .and_then(|mut st| st.query_row([id], |r| Ok((r.get(0)?, r.get(1)?))).optional())
            .map_err(err)?
            .ok_or(StoreError::NoSuchAttempt(id))?;
        if status != "running" {
            return Err(StoreError::AttemptNotRunning { id, status });
        }
        {
            let mut img = tx.prepare_cached(sql::INSERT_IMAGE).map_err(err)?;
            for (i, m) in done.images.iter().enumerate() {
                img.execute(params![id, i as i64, m.path, m.sha256, m.width, m.height, m.seed]).map_err(err)?;
            }
            let mut chk = tx.prepare_cached(sql::INSERT_CHECK).map_err(err)?;
            for (i, c) in done.checks.iter().enumerate() {
                let value = c.value.filter(|v| v.is_finite());
                let threshold = c.threshold.filter(|v| v.is_finite());
                chk.execute(params![
                    id, i as i64, c.check, c.passed, value, threshold, c.severity, c.message, c.review
                ])
                .map_err(err)?;
            }
        }
        let finished = now();
        // The triggers bring the learner's `exercise_stats` row up to date in this statement.
        tx.prepare_cached(sql::FINISH_ATTEMPT)
            .and_then(|mut st| {
                st.execute(params![
                    id,
                    if done.passed { AttemptStatus::Passed } else { AttemptStatus::Failed },
                    done.score,
                    done.cost,
                    finished
                ])
            })
            .map_err(err)?;
        // Only a pass can complete a milestone; skip the stats otherwise.
        let stats = if done.passed { exercise_stats(&tx, &learner).map_err(err)? } else { Vec::new() };
        let mut reached = Vec::new();
        for stage in if done.passed { milestones(&stats) } else { Vec::new() } {
            let n = tx
                .prepare_cached(sql::INSERT_MILESTONE)
                .and_then(|mut st| st.execute(params![learner, stage, id, finished]))
                .map_err(err)?;
            if n > 0 {
                reached.push(stage);
            }
        }
        tx.commit().map_err(err)?;
        Ok(reached)
    }

    /// End a running attempt without a verdict (backend error, cancel, crash).
    pub fn abandon_attempt(&self, id: i64, status: AttemptStatus, reason: &str) -> Result<()> {
        let n = self
            .conn
            .prepare_cached(sql::ABANDON_ATTEMPT)
            .and_then(|mut st| st.execute(params![id, status, reason, now()]))
            .map_err(self.err())?;
        if n == 0 {
            let status: Option<String> = self
                .conn
                .query_row("SELECT status FROM attempts WHERE id = ?1", [id], |r| r.get(0))
                .optional()
                .map_err(self.err())?;
            return Err(match status {
                None => StoreError::NoSuchAttempt(id),
                Some(status) => StoreError::AttemptNotRunning { id, status },
            });
        }
        Ok(())
    }

    /// Attempts still marked running, with the process id that started each.
    pub fn running_attempts(&self) -> Result<Vec<(i64, Option<u32>)>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT id, pid FROM attempts WHERE status = 'running' ORDER BY id")
            .map_err(self.err())?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).map_err(self.err())?;
        rows.collect::<std::result::Result<_, _>>().map_err(self.err())
    }

    pub fn attempt(&self, id: i64) -> Result<AttemptRow> {
        self.conn
            .query_row(&format!("{ATTEMPT_SELECT} WHERE id = ?1"), [id], attempt_row)
            .optional()
            .map_err(self.err())?
            .ok_or(StoreError::NoSuchAttempt(id))
    }

    /// A learner's attempt at an exercise by its number there (1 = the first).
    pub fn numbered_attempt(&self, learner: &str, exercise: &str, number: u32) -> Result<Option<AttemptRow>> {
        self.conn
            .prepare_cached(&format!("{ATTEMPT_SELECT} WHERE learner_id = ?1 AND exercise_id = ?2 AND number = ?3"))
            .and_then(|mut st| st.query_row(params![learner, exercise, number], attempt_row).optional())
            .map_err(self.err())
    }

    /// A learner's attempts at an exercise, newest first.
    pub fn attempts(&self, learner: &str, exercise: &str) -> Result<Vec<AttemptRow>> {
        let mut st = self
            .conn
            .prepare_cached(&format!("{ATTEMPT_SELECT} WHERE learner_id = ?1 AND exercise_id = ?2 ORDER BY id DESC"))
            .map_err(self.err())?;
        let rows = st.query_map([learner, exercise], attempt_row).map_err(self.err())?;
        rows.collect::<std::result::Result<_, _>>().map_err(self.err())
    }

    pub fn images(&self, attempt: i64) -> Result<Vec<ImageRecord>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT path, sha256, width, height, seed FROM images WHERE attempt_id = ?1 ORDER BY idx")
            .map_err(self.err())?;
        let rows = st
            .query_map([attempt], |r| {
                Ok(ImageRecord {
                    path: r.get(0)?,
                    sha256: r.get(1)?,
                    width: r.get(2)?,
                    height: r.get(3)?,
                    seed: r.get(4)?,
                })
            })
            .map_err(self.err())?;
        rows.collect::<std::result::Result<_, _>>().map_err(self.err())
    }

    pub fn check_results(&self, attempt: i64) -> Result<Vec<CheckRecord>> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT check_name, passed, value, threshold, severity, message, review FROM check_results WHERE attempt_id = ?1 ORDER BY idx",
            )
            .map_err(self.err())?;
        let rows = st
            .query_map([attempt], |r| {
                Ok(CheckRecord {
                    check: r.get(0)?,
                    passed: r.get(1)?,
                    value: r.get(2)?,
                    threshold: r.get(3)?,
                    severity: r.get(4)?,
                    message: r.get(5)?,
                    review: r.get(6)?,
                })
            })
            .map_err(self.err())?;
        rows.collect::<std::result::Result<_, _>>().map_err(self.err())
    }

    /// Per-exercise stats for a learner (every exercise they attempted), one
    /// stored row per exercise: the cost does not grow with their attempts.
    pub fn exercise_stats(&self, learner: &str) -> Result<Vec<ExerciseStats>> {
        exercise_stats(&self.conn, learner).map_err(self.err())
    }

    /// Time a learner spent between runs: for each exercise, from the end
    /// of one attempt to the start of the next (reading feedback, editing
    /// the recipe), each gap counted up to [`STUDY_BREAK`] (a longer gap is
    /// a break, not study). Render time is the attempts' own `seconds`.
    pub fn study_seconds(&self, learner: &str) -> Result<f64> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT COALESCE(SUM(MIN(gap, ?2)), 0) FROM (
                   SELECT (julianday(started_at) - julianday(LAG(COALESCE(finished_at, started_at))
                           OVER (PARTITION BY exercise_id ORDER BY started_at, id))) * 86400.0 AS gap
                   FROM attempts WHERE learner_id = ?1)
                 WHERE gap > 0",
            )
            .map_err(self.err())?;
        st.query_row(rusqlite::params![learner, STUDY_BREAK], |r| r.get(0)).map_err(self.err())
    }

    pub fn milestones(&self, learner: &str) -> Result<Vec<MilestoneRow>> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT stage_id, attempt_id, reached_at FROM milestones WHERE learner_id = ?1 ORDER BY reached_at",
            )
            .map_err(self.err())?;
        let rows = st
            .query_map([learner], |r| Ok(MilestoneRow { stage: r.get(0)?, attempt: r.get(1)?, reached_at: r.get(2)? }))
            .map_err(self.err())?;
        rows.collect::<std::result::Result<_, _>>().map_err(self.err())
    }

    /// Stages an instructor opened for a learner regardless of milestones.
    pub fn stage_unlocks(&self, learner: &str) -> Result<Vec<String>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT stage_id FROM stage_unlocks WHERE learner_id = ?1 ORDER BY stage_id")
            .map_err(self.err())?;
        let rows = st.query_map([learner], |r| r.get(0)).map_err(self.err())?;
        rows.collect::<std::result::Result<_, _>>().map_err(self.err())
    }

    pub fn unlock_stage(&self, learner: &str, stage: &str, reason: &str) -> Result<()> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO stage_unlocks (learner_id, stage_id, reason, unlocked_at) VALUES (?1, ?2, ?3, ?4)",
                params![learner, stage, reason, now()],
            )
            .map_err(self.err())?;
        Ok(())
    }

    /// Assign an exercise to one learner with an optional due date (YYYY-MM-DD) and note.
    pub fn assign_to_learner(
        &self,
        exercise: &str,
        learner: &str,
        due: Option<NaiveDate>,
        note: Option<&str>,
    ) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO assignments (exercise_id, learner_id, due_at, note, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![exercise, learner, due, note, now()],
            )
            .map_err(self.err())?;
        Ok(())
    }

    /// Assignments for a learner (directly or through a cohort): (exercise, due date, note).
    pub fn due_for(&self, learner: &str) -> Result<Vec<Assigned>> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT a.exercise_id, a.due_at, a.note FROM assignments a
                 WHERE a.learner_id = ?1
                    OR a.cohort_id IN (SELECT cohort_id FROM cohort_members WHERE learner_id = ?1)
                 ORDER BY a.due_at",
            )
            .map_err(self.err())?;
        let rows = st
            .query_map([learner], |r| Ok(Assigned { exercise: r.get(0)?, due: r.get(1)?, note: r.get(2)? }))
            .map_err(self.err())?;
        rows.collect::<std::result::Result<_, _>>().map_err(self.err())
    }

    /// How many hints the learner has seen for an exercise.
    /// A number that changes whenever another connection (another genpath
    /// process: the CLI beside the studio) commits to the database
    /// (SQLite's `PRAGMA data_version`): cheap enough to ask every tick.
    pub fn data_version(&self) -> Result<i64> {
        self.conn.query_row("PRAGMA data_version", [], |r| r.get(0)).map_err(self.err())
    }

    pub fn hints_revealed(&self, learner: &str, exercise: &str) -> Result<u32> {
        let n: Option<u32> = self
            .conn
            .query_row(
                "SELECT revealed FROM hints WHERE learner_id = ?1 AND exercise_id = ?2",
                [learner, exercise],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.err())?;
        Ok(n.unwrap_or(0))
    }

    /// Reveal one more hint (up to `available`); returns how many are now revealed.
    pub fn reveal_hint(&self, learner: &str, exercise: &ExerciseId, available: u32) -> Result<u32> {
        let next = (self.hints_revealed(learner, exercise)? + 1).min(available);
        self.conn
            .execute(
                "INSERT INTO hints (learner_id, exercise_id, revealed, updated_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(learner_id, exercise_id) DO UPDATE SET revealed = excluded.revealed, updated_at = excluded.updated_at",
                params![learner, exercise, next, now()],
            )
            .map_err(self.err())?;
        Ok(next)
    }
}

/// The statements that record an attempt, named so the tests can ask each
/// what it cost (`recording_costs_the_same_at_any_history_size`).
mod sql {
    pub const BEGIN_ATTEMPT: &str =
        "INSERT INTO attempts (learner_id, exercise_id, recipe_text, recipe_sha256, backend, status, started_at, pid)
         VALUES (?1, ?2, ?3, ?4, ?5, 'running', ?6, ?7)";
    pub const ATTEMPT_STATE: &str = "SELECT learner_id, status FROM attempts WHERE id = ?1";
    pub const INSERT_IMAGE: &str =
        "INSERT INTO images (attempt_id, idx, path, sha256, width, height, seed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
    pub const INSERT_CHECK: &str =
        "INSERT INTO check_results (attempt_id, idx, check_name, passed, value, threshold, severity, message, review)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
    // SET expressions see the old row, so the new `finished_at` is passed in
    // rather than read back to compute the seconds since the start.
    pub const FINISH_ATTEMPT: &str = "UPDATE attempts SET status = ?2, score = ?3, cost = ?4, finished_at = ?5,
             seconds = (julianday(?5) - julianday(started_at)) * 86400.0
         WHERE id = ?1";
    pub const ABANDON_ATTEMPT: &str = "UPDATE attempts SET status = ?2, error = ?3, finished_at = ?4,
             seconds = (julianday(?4) - julianday(started_at)) * 86400.0
         WHERE id = ?1 AND status = 'running'";
    /// One row per exercise the learner attempted, however many attempts.
    pub const EXERCISE_STATS: &str =
        "SELECT exercise_id, attempts, best_score, passed, first_passed_at, last_at, seconds
         FROM exercise_stats WHERE learner_id = ?1 ORDER BY exercise_id";
    pub const INSERT_MILESTONE: &str =
        "INSERT OR IGNORE INTO milestones (learner_id, stage_id, attempt_id, reached_at) VALUES (?1, ?2, ?3, ?4)";

    #[cfg(test)]
    pub const RECORDING: &[&str] = &[
        BEGIN_ATTEMPT,
        ATTEMPT_STATE,
        INSERT_IMAGE,
        INSERT_CHECK,
        FINISH_ATTEMPT,
        ABANDON_ATTEMPT,
        EXERCISE_STATS,
        INSERT_MILESTONE,
    ];
}

const ATTEMPT_SELECT: &str = "SELECT id, learner_id, exercise_id, recipe_text, recipe_sha256, backend, status, score, cost, \
     started_at, finished_at, error, number FROM attempts";

fn attempt_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AttemptRow> {
    Ok(AttemptRow {
        id: r.get(0)?,
        learner: r.get(1)?,
        exercise: r.get(2)?,
        recipe_text: r.get(3)?,
        recipe_sha256: r.get(4)?,
        backend: r.get(5)?,
        status: r.get(6)?,
        score: r.get(7)?,
        cost: r.get(8)?,
        started_at: r.get(9)?,
        finished_at: r.get(10)?,
        error: r.get(11)?,
        number: r.get(12)?,
    })
}

/// One exercise's stats from a row of (exercise, attempts, best score,
/// passed, first passed at, last at, seconds).
fn stats_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ExerciseStats> {
    Ok(ExerciseStats {
        exercise: r.get(0)?,
        attempts: r.get(1)?,
        best_score: r.get(2)?,
        passed: r.get(3)?,
        first_passed_at: r.get(4)?,
        last_at: r.get(5)?,
        seconds: r.get(6)?,
    })
}

fn exercise_stats(conn: &Connection, learner: &str) -> rusqlite::Result<Vec<ExerciseStats>> {
    let mut st = conn.prepare_cached(sql::EXERCISE_STATS)?;
    let rows = st.query_map([learner], stats_row)?;
    rows.collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finished(passed: bool, score: u32) -> Finished {
        Finished {
            passed,
            score,
            cost: 0.0,
            images: vec![ImageRecord { path: "a.png".into(), sha256: "00".into(), width: 8, height: 8, seed: Some(1) }],
            checks: vec![CheckRecord {
                check: "format".into(),
                review: false,
                passed,
                value: Some(f64::NAN),
                threshold: Some(1.0),
                severity: crate::checks::Severity::Essential,
                message: "m".into(),
            }],
        }
    }

    fn id(s: &str) -> ExerciseId {
        s.parse().unwrap()
    }

    #[test]
    fn attempt_lifecycle_and_stats() {
        let mut s = Store::open_in_memory().unwrap();
        s.upsert_learner("ada", "Ada", None).unwrap();
        let a = NewAttempt {
            learner: "ada",
            exercise: &id("fluency.first-image"),
            recipe_text: "prompt = \"x\"",
            backend: "builtin",
        };
        let id1 = s.begin_attempt(&a).unwrap();
        assert_eq!(s.attempt(id1).unwrap().status, AttemptStatus::Running);
        s.finish_attempt(id1, &finished(false, 40), |_| vec![]).unwrap();
        let id2 = s.begin_attempt(&a).unwrap();
        let reached = s
            .finish_attempt(id2, &finished(true, 90), |stats| {
                assert!(stats.iter().any(|x| x.passed));
                vec!["fluency".into()]
            })
            .unwrap();
        assert_eq!(reached, vec!["fluency".to_string()]);
        let stats = s.exercise_stats("ada").unwrap();
        assert_eq!(stats.len(), 1);
        assert_eq!((stats[0].attempts, stats[0].best_score, stats[0].passed), (2, Some(90), true));
        assert_eq!(s.milestones("ada").unwrap()[0].attempt, Some(id2));
        assert_eq!(s.images(id2).unwrap().len(), 1);
        assert_eq!(s.check_results(id2).unwrap()[0].value, None, "NaN is stored as NULL");
        // A "needs review" mark outlives the run that made it.
        let id3 = s.begin_attempt(&a).unwrap();
        let mut borderline = finished(true, 80);
        borderline.checks[0].review = true;
        s.finish_attempt(id3, &borderline, |_| vec![]).unwrap();
        assert!(s.check_results(id3).unwrap()[0].review);
        assert!(!s.check_results(id2).unwrap()[0].review);
        // A finished attempt cannot be finished or abandoned again.
        assert!(matches!(
            s.finish_attempt(id2, &finished(true, 1), |_| vec![]),
            Err(StoreError::AttemptNotRunning { .. })
        ));
        assert!(matches!(s.abandon_attempt(id2, AttemptStatus::Error, "x"), Err(StoreError::AttemptNotRunning { .. })));
    }

    /// The stats as the attempts say they are: the GROUP BY the table replaced.
    fn counted(conn: &Connection, learner: &str) -> Vec<ExerciseStats> {
        let mut st = conn
            .prepare(
                "SELECT exercise_id, COUNT(*), MAX(score), MAX(status = 'passed'),
                        MIN(CASE WHEN status = 'passed' THEN finished_at END), MAX(started_at),
                        COALESCE(SUM(seconds), 0)
                 FROM attempts WHERE learner_id = ?1 GROUP BY exercise_id ORDER BY exercise_id",
            )
            .unwrap();
        let rows = st.query_map([learner], stats_row).unwrap();
        rows.collect::<rusqlite::Result<_>>().unwrap()
    }

    /// Equal but for the rounding of sums taken in a different order.
    fn assert_same_stats(kept: &[ExerciseStats], counted: &[ExerciseStats]) {
        assert_eq!(kept.len(), counted.len(), "{kept:#?}\n{counted:#?}");
        for (k, c) in kept.iter().zip(counted) {
            assert!((k.seconds - c.seconds).abs() < 1e-6, "{k:#?}\n{c:#?}");
            assert_eq!(ExerciseStats { seconds: 0.0, ..k.clone() }, ExerciseStats { seconds: 0.0, ..c.clone() });
        }
    }

    #[test]
    fn stats_stay_in_step_with_the_attempts() {
        let mut s = Store::open_in_memory().unwrap();
        s.upsert_learner("ada", "Ada", None).unwrap();
        s.upsert_learner("bo", "Bo", None).unwrap();
        let exercises = [id("fluency.a"), id("fluency.b"), id("control.c")];
        let mut ids = Vec::new();
        for i in 0..30u32 {
            let learner = if i % 4 == 3 { "bo" } else { "ada" };
            let a = NewAttempt { learner, exercise: &exercises[i as usize % 3], recipe_text: "", backend: "b" };
            let id = s.begin_attempt(&a).unwrap();
            match i % 5 {
                0 => s.abandon_attempt(id, AttemptStatus::Error, "backend unreachable").unwrap(),
                1 => s.abandon_attempt(id, AttemptStatus::Interrupted, "stopped").unwrap(),
                2 => {} // still running
                _ => {
                    s.finish_attempt(id, &finished(i % 7 == 3, i * 3 % 100), |_| vec![]).unwrap();
                }
            }
            ids.push(id);
            assert_same_stats(&s.exercise_stats("ada").unwrap(), &counted(&s.conn, "ada"));
        }
        assert!(s.exercise_stats("ada").unwrap().iter().any(|x| x.passed));
        // Changes genpath never makes (a hand edit): undoing a pass, moving and deleting attempts.
        s.conn.execute("UPDATE attempts SET status = 'failed' WHERE status = 'passed'", []).unwrap();
        s.conn.execute("UPDATE attempts SET score = score / 2 WHERE id % 3 = 0", []).unwrap();
        s.conn.execute("UPDATE attempts SET exercise_id = 'control.c' WHERE id = ?1", [ids[0]]).unwrap();
        s.conn.execute("UPDATE attempts SET learner_id = 'bo' WHERE id = ?1", [ids[4]]).unwrap();
        s.conn.execute("DELETE FROM images WHERE attempt_id IN (?1, ?2)", [ids[5], ids[6]]).unwrap();
        s.conn.execute("DELETE FROM check_results WHERE attempt_id IN (?1, ?2)", [ids[5], ids[6]]).unwrap();
        s.conn.execute("DELETE FROM attempts WHERE id IN (?1, ?2)", [ids[5], ids[6]]).unwrap();
        for learner in ["ada", "bo", "nobody"] {
            assert_same_stats(&s.exercise_stats(learner).unwrap(), &counted(&s.conn, learner));
        }
        // An exercise whose every attempt is gone has no row left.
        s.conn.execute("DELETE FROM images", []).unwrap();
        s.conn.execute("DELETE FROM check_results", []).unwrap();
        s.conn.execute("DELETE FROM attempts WHERE learner_id = 'bo'", []).unwrap();
        assert_eq!(s.exercise_stats("bo").unwrap(), vec![]);
    }

    /// A database written by genpath before the stats table: migration 5
    /// counts it from the attempts, and it reads as it did.
    #[test]
    fn a_version_4_database_opens_with_the_same_stats() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("genpath.db");
        let before = {
            let c = Connection::open(&path).unwrap();
            for sql in &schema::MIGRATIONS[..4] {
                c.execute_batch(sql).unwrap();
            }
            c.pragma_update(None, "user_version", 4).unwrap();
            c.execute(
                "INSERT INTO learners (id, name, created_at) VALUES ('ada', 'Ada', '2026-01-01T00:00:00.000Z')",
                [],
            )
            .unwrap();
            for i in 0..40 {
                let status = ["passed", "failed", "error", "running", "interrupted"][i % 5];
                let started = format!("2026-01-{:02}T10:00:00.000Z", 1 + i % 28);
                let finished = (status != "running").then(|| format!("2026-01-{:02}T10:00:{:02}.500Z", 1 + i % 28, i));
                c.execute(
                    "INSERT INTO attempts (learner_id, exercise_id, recipe_text, recipe_sha256, backend, status, score,
                       started_at, finished_at, seconds)
                     VALUES ('ada', ?1, '', '', 'builtin', ?2, ?3, ?4, ?5, ?6)",
                    rusqlite::params![
                        ["fluency.a", "fluency.b", "control.c"][i % 3],
                        status,
                        matches!(status, "passed" | "failed").then_some(i as i64 * 7 % 100),
                        started,
                        finished,
                        finished.as_ref().map(|_| i as f64 + 0.5)
                    ],
                )
                .unwrap();
            }
            counted(&c, "ada")
        };
        assert_eq!(before.len(), 3);
        let mut s = Store::open(&path).unwrap();
        assert_eq!(s.schema_version().unwrap(), super::SCHEMA_VERSION);
        assert_eq!(s.exercise_stats("ada").unwrap(), before, "read exactly as the GROUP BY did");
        // Migration 7 numbered the old attempts per exercise, oldest first.
        for e in ["fluency.a", "fluency.b", "control.c"] {
            let mut numbers: Vec<(i64, u32)> =
                s.attempts("ada", e).unwrap().into_iter().map(|a| (a.id, a.number)).collect();
            numbers.reverse();
            let expected: Vec<u32> = (1..=numbers.len() as u32).collect();
            assert_eq!(numbers.iter().map(|n| n.1).collect::<Vec<_>>(), expected, "{e}: {numbers:?}");
        }
        // And kept from then on.
        let a = NewAttempt { learner: "ada", exercise: &id("fluency.b"), recipe_text: "", backend: "b" };
        let new = s.begin_attempt(&a).unwrap();
        assert_eq!(s.attempt(new).unwrap().number, 14, "13 old attempts at fluency.b, then this one");
        s.finish_attempt(new, &finished(true, 100), |_| vec![]).unwrap();
        assert_same_stats(&s.exercise_stats("ada").unwrap(), &counted(&s.conn, "ada"));
    }

    /// Attempts are numbered per learner and exercise, whoever writes the
    /// row, and can be found by that number.
    #[test]
    fn attempts_are_numbered_per_learner_and_exercise() {
        let s = Store::open_in_memory().unwrap();
        for l in ["ada", "bo"] {
            s.upsert_learner(l, l, None).unwrap();
        }
        let (seeds, first) = (id("fluency.seeds"), id("fluency.first-image"));
        let order =
            [("ada", &first), ("ada", &first), ("bo", &first), ("ada", &seeds), ("ada", &first), ("bo", &seeds)];
        let numbers: Vec<u32> = order
            .iter()
            .map(|(learner, exercise)| {
                let a = NewAttempt { learner, exercise, recipe_text: "", backend: "b" };
                s.attempt(s.begin_attempt(&a).unwrap()).unwrap().number
            })
            .collect();
        assert_eq!(numbers, [1, 2, 1, 1, 3, 1]);
        let third = s.numbered_attempt("ada", &first, 3).unwrap().expect("ada's third first-image attempt");
        assert_eq!(third.id, 5);
        assert!(s.numbered_attempt("ada", &seeds, 2).unwrap().is_none());
    }

    /// Recording an attempt runs the same number of SQLite instructions (the
    /// triggers' included) and scans no table, whether the learner has 40
    /// attempts or 2,000: no statement on the way reads their history.
    #[test]
    fn recording_costs_the_same_at_any_history_size() {
        use rusqlite::StatementStatus::{FullscanStep, Sort, VmStep};
        let mut s = Store::open_in_memory().unwrap();
        s.upsert_learner("ada", "Ada", None).unwrap();
        let exercises = [id("fluency.a"), id("fluency.b"), id("control.c"), id("control.d")];
        let record = |s: &mut Store, i: usize| {
            let a = NewAttempt { learner: "ada", exercise: &exercises[i % 4], recipe_text: "x", backend: "b" };
            let id = s.begin_attempt(&a).unwrap();
            if i % 5 == 4 {
                s.abandon_attempt(id, AttemptStatus::Error, "unreachable").unwrap();
            } else {
                // Every pass looks at the milestones; "fluency" is reached on the first.
                s.finish_attempt(id, &finished(i.is_multiple_of(2), (i % 100) as u32), |_| vec!["fluency".into()])
                    .unwrap();
            }
        };
        let cost = |s: &mut Store, from: usize| {
            for sql in sql::RECORDING {
                let st = s.conn.prepare_cached(sql).unwrap();
                for status in [VmStep, FullscanStep, Sort] {
                    st.reset_status(status);
                }
            }
            for i in from..from + 20 {
                record(s, i);
            }
            sql::RECORDING
                .iter()
                .map(|sql| {
                    let st = s.conn.prepare_cached(sql).unwrap();
                    (*sql, st.get_status(VmStep), st.get_status(FullscanStep), st.get_status(Sort))
                })
                .collect::<Vec<_>>()
        };
        (0..40).for_each(|i| record(&mut s, i));
        let small = cost(&mut s, 40);
        (60..2_000).for_each(|i| record(&mut s, i));
        let large = cost(&mut s, 2_000);
        assert!(small.iter().all(|&(_, steps, ..)| steps > 0), "every statement ran: {small:#?}");
        assert!(small.iter().all(|&(_, _, scans, sorts)| scans == 0 && sorts == 0), "{small:#?}");
        assert_eq!(small, large, "recording cost grew with the history");
        assert_eq!(s.exercise_stats("ada").unwrap()[0].attempts, 505);
    }

    #[test]
    fn abandoned_attempt_keeps_reason() {
        let s = Store::open_in_memory().unwrap();
        s.upsert_learner("ada", "Ada", None).unwrap();
        let id = s
            .begin_attempt(&NewAttempt { learner: "ada", exercise: &id("fluency.e"), recipe_text: "", backend: "b" })
            .unwrap();
        s.abandon_attempt(id, AttemptStatus::Error, "backend unreachable").unwrap();
        let row = s.attempt(id).unwrap();
        assert_eq!(row.status, AttemptStatus::Error);
        assert_eq!(row.error.as_deref(), Some("backend unreachable"));
    }

    #[test]
    fn hints_count_up_to_available() {
        let s = Store::open_in_memory().unwrap();
        s.upsert_learner("ada", "Ada", None).unwrap();
        let e = id("fluency.e");
        assert_eq!(s.reveal_hint("ada", &e, 2).unwrap(), 1);
        assert_eq!(s.reveal_hint("ada", &e, 2).unwrap(), 2);
        assert_eq!(s.reveal_hint("ada", &e, 2).unwrap(), 2);
        assert_eq!(s.hints_revealed("ada", "fluency.e").unwrap(), 2);
    }
}
