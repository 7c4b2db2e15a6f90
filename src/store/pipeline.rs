//! Pipeline jobs and backend calls. A job is marked submitted (and the call
//! logged) before the backend is called, and done only after its image is
//! written and checked, so a crash loses no finished work and every call that
//! may have been charged is on record.

use crate::time::Timestamp;
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use serde::Serialize;

crate::named_enum! {
    /// Where one job of a pipeline stands.
    pub enum JobStatus ("pipeline job status") {
        /// Waiting for a backend.
        Pending = "pending",
        /// Sent to a backend (a crash here leaves a call that may have been charged).
        Submitted = "submitted",
        Done = "done",
        Failed = "failed",
        /// Not run: the run stopped first (budget, cancel).
        Skipped = "skipped",
    }
}
crate::sql_text!(JobStatus);

crate::named_enum! {
    /// How a pipeline run ended, or that it has not.
    pub enum RunStatus ("pipeline run status") {
        Running = "running",
        Done = "done",
        /// Ended early on purpose: a budget, a cancel.
        Stopped = "stopped",
        Failed = "failed",
        /// Its process died (found by the next command).
        Interrupted = "interrupted",
    }
}
crate::sql_text!(RunStatus);

use super::{Result, Store, StoreError, now};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobRow {
    pub key: String,
    pub idx: u32,
    pub output: String,
    pub recipe: String,
    pub status: JobStatus,
    pub tries: u32,
    pub backend: Option<String>,
    pub seed: Option<i64>,
    pub sha256: Option<String>,
    pub cost: f64,
    pub seconds: f64,
    pub checks: Option<String>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallRow {
    pub key: String,
    pub backend: String,
    pub started_at: Timestamp,
    pub finished_at: Option<Timestamp>,
    pub outcome: Option<String>,
    pub cost: f64,
    pub price: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunRow {
    pub id: i64,
    pub pipeline: String,
    pub started_at: Timestamp,
    pub finished_at: Option<Timestamp>,
    pub status: RunStatus,
    pub message: Option<String>,
}

impl Store {
    pub fn pipeline_begin_run(&self, pipeline: &str) -> Result<i64> {
        self.conn
            .execute(
                "INSERT INTO pipeline_runs (pipeline, started_at, status, pid) VALUES (?1, ?2, 'running', ?3)",
                params![pipeline, now(), std::process::id()],
            )
            .map_err(self.err())?;
        Ok(self.conn.last_insert_rowid())
    }

    pub fn pipeline_finish_run(&self, run: i64, status: RunStatus, message: &str) -> Result<()> {
        self.conn
            .execute(
                "UPDATE pipeline_runs SET status = ?2, message = ?3, finished_at = ?4 WHERE id = ?1",
                params![run, status, message, now()],
            )
            .map_err(self.err())?;
        Ok(())
    }

    /// Pipeline runs still marked running, with their process ids.
    pub fn running_pipeline_runs(&self) -> Result<Vec<(i64, Option<u32>)>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT id, pid FROM pipeline_runs WHERE status = 'running'")
            .map_err(self.err())?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).map_err(self.err())?;
        rows.collect::<std::result::Result<_, _>>().map_err(self.err())
    }

    pub fn pipeline_runs(&self, pipeline: Option<&str>) -> Result<Vec<RunRow>> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT id, pipeline, started_at, finished_at, status, message FROM pipeline_runs
                 WHERE ?1 IS NULL OR pipeline = ?1 ORDER BY id DESC",
            )
            .map_err(self.err())?;
        let rows = st
            .query_map([pipeline], |r| {
                Ok(RunRow {
                    id: r.get(0)?,
                    pipeline: r.get(1)?,
                    started_at: r.get(2)?,
                    finished_at: r.get(3)?,
                    status: r.get(4)?,
                    message: r.get(5)?,
                })
            })
            .map_err(self.err())?;
        rows.collect::<std::result::Result<_, _>>().map_err(self.err())
    }

    /// Record the planned jobs; existing ones keep their status (resume).
    pub fn pipeline_plan_jobs(&mut self, pipeline: &str, jobs: &[(String, u32, String, String)]) -> Result<()> {
        let path = self.path.display().to_string();
        let err = |source| StoreError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(err)?;
        {
            let mut st = tx
                .prepare_cached(
                    "INSERT INTO pipeline_jobs (pipeline, key, idx, output, recipe, status, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6)
                     ON CONFLICT(pipeline, key) DO UPDATE SET idx = excluded.idx, output = excluded.output,
                        status = CASE WHEN pipeline_jobs.status = 'skipped' THEN 'pending' ELSE pipeline_jobs.status END",
                )
                .map_err(err)?;
            let t = now();
            for (key, idx, output, recipe) in jobs {
                st.execute(params![pipeline, key, idx, output, recipe, t]).map_err(err)?;
            }
        }
        tx.commit().map_err(err)?;
        Ok(())
    }

    pub fn pipeline_jobs(&self, pipeline: &str) -> Result<Vec<JobRow>> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT key, idx, output, recipe, status, tries, backend, seed, sha256, cost, seconds, checks, error
                 FROM pipeline_jobs WHERE pipeline = ?1 ORDER BY idx",
            )
            .map_err(self.err())?;
        let rows = st
            .query_map([pipeline], |r| {
                Ok(JobRow {
                    key: r.get(0)?,
                    idx: r.get(1)?,
                    output: r.get(2)?,
                    recipe: r.get(3)?,
                    status: r.get(4)?,
                    tries: r.get(5)?,
                    backend: r.get(6)?,
                    seed: r.get(7)?,
                    sha256: r.get(8)?,
                    cost: r.get(9)?,
                    seconds: r.get(10)?,
                    checks: r.get(11)?,
                    error: r.get(12)?,
                })
            })
            .map_err(self.err())?;
        rows.collect::<std::result::Result<_, _>>().map_err(self.err())
    }

    /// Mark a job submitted and log the call, in one transaction, before the backend is called.
    pub fn pipeline_submit(&mut self, pipeline: &str, key: &str, run: i64, backend: &str, price: f64) -> Result<i64> {
        let path = self.path.display().to_string();
        let err = |source| StoreError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(err)?;
        let t = now();
        tx.execute(
            "UPDATE pipeline_jobs SET status = 'submitted', tries = tries + 1, backend = ?3, updated_at = ?4 WHERE pipeline = ?1 AND key = ?2",
            params![pipeline, key, backend, t],
        )
        .map_err(err)?;
        tx.execute(
            "INSERT INTO pipeline_calls (pipeline, key, run_id, backend, started_at, price) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![pipeline, key, run, backend, t, price],
        )
        .map_err(err)?;
        let id = tx.last_insert_rowid();
        tx.commit().map_err(err)?;
        Ok(id)
    }

    /// The call ended without an image (a transient or permanent failure).
    pub fn pipeline_call_failed(
        &mut self,
        pipeline: &str,
        key: &str,
        call: i64,
        error: &str,
        final_failure: bool,
    ) -> Result<()> {
        let path = self.path.display().to_string();
        let err = |source| StoreError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(err)?;
        let t = now();
        tx.execute("UPDATE pipeline_calls SET finished_at = ?2, outcome = ?3 WHERE id = ?1", params![call, t, error])
            .map_err(err)?;
        tx.execute(
            "UPDATE pipeline_jobs SET status = ?3, error = ?4, updated_at = ?5 WHERE pipeline = ?1 AND key = ?2",
            params![pipeline, key, if final_failure { JobStatus::Failed } else { JobStatus::Pending }, error, t],
        )
        .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(())
    }

    /// The image is written and checked: the job is done.
    #[allow(clippy::too_many_arguments)]
    pub fn pipeline_job_done(
        &mut self,
        pipeline: &str,
        key: &str,
        call: i64,
        seed: i64,
        sha256: &str,
        cost: f64,
        seconds: f64,
        checks: &str,
    ) -> Result<()> {
        let path = self.path.display().to_string();
        let err = |source| StoreError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(err)?;
        let t = now();
        tx.execute(
            "UPDATE pipeline_calls SET finished_at = ?2, outcome = 'ok', cost = ?3 WHERE id = ?1",
            params![call, t, cost],
        )
        .map_err(err)?;
        tx.execute(
            "UPDATE pipeline_jobs SET status = 'done', seed = ?3, sha256 = ?4, cost = ?5, seconds = ?6, checks = ?7, error = NULL, updated_at = ?8
             WHERE pipeline = ?1 AND key = ?2",
            params![pipeline, key, seed, sha256, cost, seconds, checks, t],
        )
        .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(())
    }

    /// Jobs left undone when a budget or time limit stopped the run.
    pub fn pipeline_skip(&self, pipeline: &str, key: &str, why: &str) -> Result<()> {
        self.conn
            .execute(
                "UPDATE pipeline_jobs SET status = 'skipped', error = ?3, updated_at = ?4 WHERE pipeline = ?1 AND key = ?2 AND status <> 'done'",
                params![pipeline, key, why, now()],
            )
            .map_err(self.err())?;
        Ok(())
    }

    /// A job found submitted by a crashed run goes back to pending (its call stays on record).
    pub fn pipeline_requeue_submitted(&self, pipeline: &str) -> Result<usize> {
        self.conn
            .execute(
                "UPDATE pipeline_jobs SET status = 'pending', updated_at = ?2 WHERE pipeline = ?1 AND status = 'submitted'",
                params![pipeline, now()],
            )
            .map_err(self.err())
    }

    pub fn pipeline_calls(&self, pipeline: &str) -> Result<Vec<CallRow>> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT key, backend, started_at, finished_at, outcome, cost, price FROM pipeline_calls WHERE pipeline = ?1 ORDER BY id",
            )
            .map_err(self.err())?;
        let rows = st
            .query_map([pipeline], |r| {
                Ok(CallRow {
                    key: r.get(0)?,
                    backend: r.get(1)?,
                    started_at: r.get(2)?,
                    finished_at: r.get(3)?,
                    outcome: r.get(4)?,
                    cost: r.get(5)?,
                    price: r.get(6)?,
                })
            })
            .map_err(self.err())?;
        rows.collect::<std::result::Result<_, _>>().map_err(self.err())
    }

    /// Mean seconds per finished job on a backend (to estimate run time).
    pub fn pipeline_mean_seconds(&self, backend: &str) -> Result<Option<f64>> {
        self.conn
            .query_row(
                "SELECT AVG(seconds) FROM pipeline_jobs WHERE backend = ?1 AND status = 'done' AND seconds > 0",
                [backend],
                |r| r.get(0),
            )
            .optional()
            .map(|v| v.flatten())
            .map_err(self.err())
    }
}
