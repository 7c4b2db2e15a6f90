//! What a report's drill-down reads about the collected submissions of a
//! scope, in two queries whatever the size of the cohort: every check with
//! its review, and each submission's backend, reproduction note and reviewer.
//! Read-only.

use std::collections::HashMap;

use rusqlite::params;

use super::{CheckReview, Result, Scope, Store, SubmittedCheckRow};
use crate::time::Timestamp;

/// A collected submission's particulars beside its `SubmissionRow`.
#[derive(Debug, Clone)]
pub struct SubmissionExtras {
    /// The backend name the learner's attempt ran on.
    pub backend: String,
    pub late: bool,
    pub reproduce_note: Option<String>,
    /// Who reviewed the submission and when (a check-only review has none).
    pub reviewer: Option<(String, Timestamp)>,
}

impl Store {
    /// Every check of the collected submissions in a scope, with any review
    /// of it, by submission id (checks in their order).
    pub fn scope_submission_checks(
        &self,
        scope: Scope<'_>,
        exercise: Option<&str>,
    ) -> Result<HashMap<i64, Vec<SubmittedCheckRow>>> {
        let (cond, arg) = scope.condition("s.learner_id");
        let mut st = self
            .conn
            .prepare(&format!(
                "SELECT c.submission_id, c.idx, c.check_name, c.passed, c.review, c.value, c.threshold, c.message,
                        v.grade, v.comment, v.reviewer, v.reviewed_at
                 FROM submissions s JOIN submission_checks c ON c.submission_id = s.id
                 LEFT JOIN check_reviews v ON v.submission_id = c.submission_id AND v.idx = c.idx
                 WHERE {cond} AND (?2 IS NULL OR s.exercise_id = ?2)"
            ))
            .map_err(self.err())?;
        let rows = st
            .query_map(params![arg, exercise], |r| {
                let reviewed_at: Option<Timestamp> = r.get(11)?;
                let review = match reviewed_at {
                    Some(reviewed_at) => {
                        Some(CheckReview { grade: r.get(8)?, comment: r.get(9)?, reviewer: r.get(10)?, reviewed_at })
                    }
                    None => None,
                };
                let row = SubmittedCheckRow {
                    idx: r.get(1)?,
                    check: r.get(2)?,
                    passed: r.get(3)?,
                    needs_review: r.get(4)?,
                    value: r.get(5)?,
                    threshold: r.get(6)?,
                    message: r.get(7)?,
                    review,
                };
                Ok((r.get::<_, i64>(0)?, row))
            })
            .map_err(self.err())?;
        let mut out: HashMap<i64, Vec<SubmittedCheckRow>> = HashMap::new();
        for row in rows {
            let (id, check) = row.map_err(self.err())?;
            out.entry(id).or_default().push(check);
        }
        for checks in out.values_mut() {
            checks.sort_by_key(|c| c.idx);
        }
        Ok(out)
    }

    /// Backend, lateness as collected, reproduction note and reviewer of
    /// each collected submission in a scope, by submission id.
    pub fn scope_submission_extras(
        &self,
        scope: Scope<'_>,
        exercise: Option<&str>,
    ) -> Result<HashMap<i64, SubmissionExtras>> {
        let (cond, arg) = scope.condition("s.learner_id");
        let mut st = self
            .conn
            .prepare(&format!(
                "SELECT s.id, s.backend, s.late, s.reproduce_note, r.reviewer, r.reviewed_at
                 FROM submissions s LEFT JOIN reviews r ON r.submission_id = s.id
                 WHERE {cond} AND (?2 IS NULL OR s.exercise_id = ?2)"
            ))
            .map_err(self.err())?;
        let rows = st
            .query_map(params![arg, exercise], |r| {
                let reviewer: Option<String> = r.get(4)?;
                let at: Option<Timestamp> = r.get(5)?;
                Ok((
                    r.get::<_, i64>(0)?,
                    SubmissionExtras {
                        backend: r.get(1)?,
                        late: r.get(2)?,
                        reproduce_note: r.get(3)?,
                        reviewer: reviewer.zip(at),
                    },
                ))
            })
            .map_err(self.err())?;
        rows.collect::<std::result::Result<_, _>>().map_err(self.err())
    }
}
