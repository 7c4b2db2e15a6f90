//! Learners, cohorts and assignments (the instructor's side of the store).

use crate::id::ExerciseId;
use chrono::NaiveDate;
use rusqlite::params;
use serde::Serialize;

use super::{Result, Store, now};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LearnerRow {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CohortRow {
    pub id: String,
    pub title: Option<String>,
    pub members: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssignmentRow {
    pub id: i64,
    pub exercise: ExerciseId,
    /// "cohort:<id>" or "learner:<id>".
    pub target: String,
    pub due: Option<NaiveDate>,
    pub note: Option<String>,
}

impl Store {
    pub fn learners(&self) -> Result<Vec<LearnerRow>> {
        let mut st =
            self.conn.prepare_cached("SELECT id, name, email FROM learners ORDER BY id").map_err(self.err())?;
        let rows = st
            .query_map([], |r| Ok(LearnerRow { id: r.get(0)?, name: r.get(1)?, email: r.get(2)? }))
            .map_err(self.err())?;
        rows.collect::<std::result::Result<_, _>>().map_err(self.err())
    }

    pub fn learner_exists(&self, id: &str) -> Result<bool> {
        self.conn
            .query_row("SELECT COUNT(*) FROM learners WHERE id = ?1", [id], |r| r.get::<_, i64>(0))
            .map(|n| n > 0)
            .map_err(self.err())
    }

    pub fn create_cohort(&self, id: &str, title: Option<&str>) -> Result<bool> {
        let n = self
            .conn
            .execute(
                "INSERT OR IGNORE INTO cohorts (id, title, created_at) VALUES (?1, ?2, ?3)",
                params![id, title, now()],
            )
            .map_err(self.err())?;
        Ok(n > 0)
    }

    pub fn cohort_exists(&self, id: &str) -> Result<bool> {
        self.conn
            .query_row("SELECT COUNT(*) FROM cohorts WHERE id = ?1", [id], |r| r.get::<_, i64>(0))
            .map(|n| n > 0)
            .map_err(self.err())
    }

    pub fn add_to_cohort(&self, cohort: &str, learner: &str) -> Result<()> {
        self.conn
            .execute(
                "INSERT OR IGNORE INTO cohort_members (cohort_id, learner_id) VALUES (?1, ?2)",
                params![cohort, learner],
            )
            .map_err(self.err())?;
        Ok(())
    }

    pub fn cohorts(&self) -> Result<Vec<CohortRow>> {
        let mut st = self.conn.prepare_cached("SELECT id, title FROM cohorts ORDER BY id").map_err(self.err())?;
        let base: Vec<(String, Option<String>)> = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(self.err())?
            .collect::<std::result::Result<_, _>>()
            .map_err(self.err())?;
        let mut out = Vec::new();
        for (id, title) in base {
            let mut m = self
                .conn
                .prepare_cached("SELECT learner_id FROM cohort_members WHERE cohort_id = ?1 ORDER BY learner_id")
                .map_err(self.err())?;
            let members = m
                .query_map([&id], |r| r.get(0))
                .map_err(self.err())?
                .collect::<std::result::Result<_, _>>()
                .map_err(self.err())?;
            out.push(CohortRow { id, title, members });
        }
        Ok(out)
    }

    pub fn assign_to_cohort(
        &self,
        exercise: &ExerciseId,
        cohort: &str,
        due: Option<NaiveDate>,
        note: Option<&str>,
    ) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO assignments (exercise_id, cohort_id, due_at, note, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![exercise, cohort, due, note, now()],
            )
            .map_err(self.err())?;
        Ok(())
    }

    pub fn assignments(&self) -> Result<Vec<AssignmentRow>> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT id, exercise_id, CASE WHEN cohort_id IS NOT NULL THEN 'cohort:' || cohort_id ELSE 'learner:' || learner_id END, due_at, note
                 FROM assignments ORDER BY COALESCE(due_at, '9999'), id",
            )
            .map_err(self.err())?;
        let rows = st
            .query_map([], |r| {
                Ok(AssignmentRow {
                    id: r.get(0)?,
                    exercise: r.get(1)?,
                    target: r.get(2)?,
                    due: r.get(3)?,
                    note: r.get(4)?,
                })
            })
            .map_err(self.err())?;
        rows.collect::<std::result::Result<_, _>>().map_err(self.err())
    }
}
