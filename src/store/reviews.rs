//! A person's review of collected work (instructors), stages opened for a
//! whole cohort, and the feedback a learner imported (schema migration 6).
//!
//! The automatic verdict of a submission (`submissions.passed`, the
//! instructor's re-check) is never overwritten. A review sits beside it — a
//! grade (pass/fail override), a score adjustment and a comment for the
//! submission, and a grade and comment for any of its checks — and
//! [`grade_of_record`] says what counts. Every report shows both.

use crate::id::ExerciseId;
use crate::time::Timestamp;
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use serde::{Deserialize, Serialize};

use super::{Result, Scope, Store, StoreError, now};

crate::named_enum! {
    /// A reviewer's grade: it overrides the automatic verdict.
    pub enum Grade ("grade") {
        Pass = "pass",
        Fail = "fail",
    }
}
crate::sql_text!(Grade);

/// Who decided a grade of record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecidedBy {
    /// The automatic re-check; nobody overrode it.
    Checks,
    /// A reviewer's grade (of the submission or of its checks).
    Reviewer,
}

impl DecidedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            DecidedBy::Checks => "checks",
            DecidedBy::Reviewer => "reviewer",
        }
    }
}

/// The verdict that counts for a submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub passed: bool,
    pub score: u32,
    pub by: DecidedBy,
}

/// What the reviewer said about the checks of one submission, counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckGrades {
    /// Checks a reviewer graded `fail`.
    pub failed: u32,
    /// Checks a reviewer graded `pass`.
    pub passed: u32,
    /// Checks that failed automatically and no reviewer graded `pass`.
    pub unresolved_failures: u32,
}

/// The grade of record. A submission grade decides; without one, a check a
/// reviewer failed fails the submission, and an automatic failure whose
/// every failing check a reviewer passed (a look-alike confirmed by eye)
/// passes; otherwise the automatic verdict stands. The score is the
/// automatic score plus the reviewer's adjustment, within 0–100.
pub fn grade_of_record(
    automatic_passed: bool,
    automatic_score: u32,
    grade: Option<Grade>,
    score_adjust: i32,
    checks: CheckGrades,
) -> Record {
    let score = (i64::from(automatic_score) + i64::from(score_adjust)).clamp(0, 100) as u32;
    let (passed, by) = match grade {
        Some(g) => (g == Grade::Pass, DecidedBy::Reviewer),
        None if checks.failed > 0 => (false, DecidedBy::Reviewer),
        None if !automatic_passed && checks.passed > 0 && checks.unresolved_failures == 0 => {
            (true, DecidedBy::Reviewer)
        }
        None => (automatic_passed, DecidedBy::Checks),
    };
    let by = if score_adjust != 0 { DecidedBy::Reviewer } else { by };
    Record { passed, score, by }
}

/// A reviewer's decision on a whole submission.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Review {
    pub grade: Option<Grade>,
    pub score_adjust: i32,
    /// Markdown.
    pub comment: String,
    pub reviewer: String,
    pub reviewed_at: Timestamp,
}

/// A reviewer's decision on one check of a submission.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckReview {
    pub grade: Option<Grade>,
    pub comment: String,
    pub reviewer: String,
    pub reviewed_at: Timestamp,
}

/// What a reviewer sets; `None` fields keep what was there.
#[derive(Debug, Clone, Default)]
pub struct ReviewInput<'a> {
    /// `Some(None)` clears an override.
    pub grade: Option<Option<Grade>>,
    pub score_adjust: Option<i32>,
    pub comment: Option<&'a str>,
    pub reviewer: &'a str,
}

/// One check of a collected submission, with any review of it.
#[derive(Debug, Clone, Serialize)]
pub struct SubmittedCheckRow {
    pub idx: u32,
    pub check: String,
    pub passed: bool,
    /// Close to its line: a person should look.
    pub needs_review: bool,
    pub value: Option<f64>,
    pub threshold: Option<f64>,
    pub message: String,
    pub review: Option<CheckReview>,
}

/// A collected submission as a reviewer sees it.
#[derive(Debug, Clone, Serialize)]
pub struct SubmissionDetail {
    pub id: i64,
    pub learner: String,
    pub learner_name: String,
    pub exercise: ExerciseId,
    pub bundle_sha256: String,
    pub bundle_name: String,
    /// Where its files were unpacked, relative to the workspace.
    pub dir: String,
    pub submitted_at: Timestamp,
    pub collected_at: Timestamp,
    pub late: bool,
    pub backend: String,
    /// The learner's attempt id in their own workspace.
    pub attempt: Option<i64>,
    /// Its number among their attempts at the exercise, as they count it.
    pub attempt_number: Option<u32>,
    pub claimed_passed: bool,
    /// The instructor's automatic re-check.
    pub automatic_passed: bool,
    pub automatic_score: u32,
    pub reproduced: Option<bool>,
    pub reproduce_note: Option<String>,
    pub needs_review: bool,
    pub checks: Vec<SubmittedCheckRow>,
    pub review: Option<Review>,
}

impl SubmissionDetail {
    pub fn check_grades(&self) -> CheckGrades {
        let graded = |c: &SubmittedCheckRow, g: Grade| c.review.as_ref().is_some_and(|r| r.grade == Some(g));
        CheckGrades {
            failed: self.checks.iter().filter(|c| graded(c, Grade::Fail)).count() as u32,
            passed: self.checks.iter().filter(|c| graded(c, Grade::Pass)).count() as u32,
            unresolved_failures: self.checks.iter().filter(|c| !c.passed && !graded(c, Grade::Pass)).count() as u32,
        }
    }

    pub fn record(&self) -> Record {
        let r = self.review.as_ref();
        grade_of_record(
            self.automatic_passed,
            self.automatic_score,
            r.and_then(|r| r.grade),
            r.map_or(0, |r| r.score_adjust),
            self.check_grades(),
        )
    }

    /// Whether anyone reviewed it (the submission or one of its checks).
    pub fn reviewed(&self) -> bool {
        self.review.is_some() || self.checks.iter().any(|c| c.review.is_some())
    }
}

/// Which automatic verdict a queue shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdicts {
    Passed,
    Failed,
}

/// Which collected submissions a review walks.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReviewFilter<'a> {
    pub scope: Option<Scope<'a>>,
    pub exercise: Option<&'a str>,
    /// By the grade of record.
    pub verdict: Option<Verdicts>,
    /// Only work a person should look at and nobody has reviewed yet.
    pub needs_review: bool,
}

const DETAIL: &str = "SELECT s.id, s.learner_id, l.name, s.exercise_id, s.bundle_sha256, s.bundle_name, s.dir,
       s.submitted_at, s.collected_at, s.late, s.backend, s.attempt, s.claimed_passed, s.passed, s.score,
       s.reproduced, s.reproduce_note, s.needs_review,
       r.grade, r.score_adjust, r.comment, r.reviewer, r.reviewed_at, s.attempt_number
     FROM submissions s JOIN learners l ON l.id = s.learner_id
     LEFT JOIN reviews r ON r.submission_id = s.id";

const CHECKS: &str = "SELECT c.idx, c.check_name, c.passed, c.review, c.value, c.threshold, c.message,
       v.grade, v.comment, v.reviewer, v.reviewed_at
     FROM submission_checks c
     LEFT JOIN check_reviews v ON v.submission_id = c.submission_id AND v.idx = c.idx
     WHERE c.submission_id = ?1 ORDER BY c.idx";

fn detail_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SubmissionDetail> {
    let reviewed_at: Option<Timestamp> = r.get(22)?;
    let review = match reviewed_at {
        Some(reviewed_at) => Some(Review {
            grade: r.get(18)?,
            score_adjust: r.get(19)?,
            comment: r.get(20)?,
            reviewer: r.get(21)?,
            reviewed_at,
        }),
        None => None,
    };
    Ok(SubmissionDetail {
        id: r.get(0)?,
        learner: r.get(1)?,
        learner_name: r.get(2)?,
        exercise: r.get(3)?,
        bundle_sha256: r.get(4)?,
        bundle_name: r.get(5)?,
        dir: r.get(6)?,
        submitted_at: r.get(7)?,
        collected_at: r.get(8)?,
        late: r.get(9)?,
        backend: r.get(10)?,
        attempt: r.get(11)?,
        attempt_number: r.get(23)?,
        claimed_passed: r.get(12)?,
        automatic_passed: r.get(13)?,
        automatic_score: r.get(14)?,
        reproduced: r.get(15)?,
        reproduce_note: r.get(16)?,
        needs_review: r.get(17)?,
        checks: Vec::new(),
        review,
    })
}

fn check_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SubmittedCheckRow> {
    let reviewed_at: Option<Timestamp> = r.get(10)?;
    let review = match reviewed_at {
        Some(reviewed_at) => {
            Some(CheckReview { grade: r.get(7)?, comment: r.get(8)?, reviewer: r.get(9)?, reviewed_at })
        }
        None => None,
    };
    Ok(SubmittedCheckRow {
        idx: r.get(0)?,
        check: r.get(1)?,
        passed: r.get(2)?,
        needs_review: r.get(3)?,
        value: r.get(4)?,
        threshold: r.get(5)?,
        message: r.get(6)?,
        review,
    })
}

/// The most a score adjustment may be, either way: it can take a score
/// from 100 to 0 or from 0 to 100, no further.
pub const MAX_SCORE_ADJUST: i32 = 100;

/// Why a review cannot be recorded.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("there is no collected submission {0} (`genpath review list` shows them)")]
    NoSubmission(i64),
    #[error("submission {id} has no check '{check}'; its checks are: {known}")]
    NoCheck { id: i64, check: String, known: String },
    #[error("a score adjustment must be within -{MAX_SCORE_ADJUST}..={MAX_SCORE_ADJUST}, not {0}")]
    Adjustment(i32),
}

/// A learner's imported feedback on one submitted bundle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Feedback {
    pub bundle_sha256: String,
    pub exercise: ExerciseId,
    /// The learner's attempt id (the store's key on their side).
    pub attempt: Option<i64>,
    /// Its number among their attempts at the exercise, as they count it.
    #[serde(default)]
    pub attempt_number: Option<u32>,
    pub submitted_at: Timestamp,
    pub automatic_passed: bool,
    pub automatic_score: u32,
    pub record: Record,
    pub grade: Option<Grade>,
    pub score_adjust: i32,
    pub comment: String,
    pub checks: Vec<CheckFeedback>,
    pub reviewer: String,
    pub reviewed_at: Timestamp,
}

/// A reviewer's word on one check, as the learner receives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckFeedback {
    pub check: String,
    /// The instructor's automatic re-check of it.
    pub passed: bool,
    pub grade: Option<Grade>,
    pub comment: String,
    /// What the re-check said.
    pub message: String,
}

/// What importing one piece of feedback did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imported {
    New,
    /// The same review was imported before: nothing changed.
    Unchanged,
    /// A newer review of the same submission replaced the older one.
    Updated,
    /// An older review than the one already imported: kept the newer.
    Older,
}

impl Store {
    /// Collected submissions a review walks, oldest first, with their
    /// reviews: the queue of `genpath review`.
    pub fn review_queue(&self, f: &ReviewFilter<'_>) -> Result<Vec<SubmissionDetail>> {
        let (cond, arg) = match f.scope {
            Some(scope) => scope.condition("s.learner_id"),
            None => ("?1 IS NULL".to_string(), String::new()),
        };
        let arg = f.scope.map(|_| arg);
        let sql = format!(
            "{DETAIL} WHERE {cond} AND (?2 IS NULL OR s.exercise_id = ?2)
               AND (?3 = 0 OR (s.needs_review = 1 AND r.submission_id IS NULL
                    AND NOT EXISTS (SELECT 1 FROM check_reviews v WHERE v.submission_id = s.id)))
             ORDER BY s.submitted_at, s.id"
        );
        let mut rows: Vec<SubmissionDetail> = {
            let mut st = self.conn.prepare(&sql).map_err(self.err())?;
            st.query_map(params![arg, f.exercise, f.needs_review], detail_row)
                .map_err(self.err())?
                .collect::<std::result::Result<_, _>>()
                .map_err(self.err())?
        };
        for row in &mut rows {
            row.checks = self.submission_checks(row.id)?;
        }
        if let Some(v) = f.verdict {
            rows.retain(|r| r.record().passed == (v == Verdicts::Passed));
        }
        Ok(rows)
    }

    fn submission_checks(&self, id: i64) -> Result<Vec<SubmittedCheckRow>> {
        let mut st = self.conn.prepare_cached(CHECKS).map_err(self.err())?;
        st.query_map([id], check_row).map_err(self.err())?.collect::<std::result::Result<_, _>>().map_err(self.err())
    }

    /// One collected submission with its checks and reviews.
    pub fn submission_detail(&self, id: i64) -> Result<Option<SubmissionDetail>> {
        let row = self
            .conn
            .query_row(&format!("{DETAIL} WHERE s.id = ?1"), [id], detail_row)
            .optional()
            .map_err(self.err())?;
        match row {
            Some(mut row) => {
                row.checks = self.submission_checks(id)?;
                Ok(Some(row))
            }
            None => Ok(None),
        }
    }

    /// Set (or change) the review of a submission: grade, adjustment and
    /// comment; fields left `None` keep their value.
    pub fn set_review(&mut self, id: i64, input: &ReviewInput<'_>) -> Result<std::result::Result<(), ReviewError>> {
        if let Some(a) = input.score_adjust
            && !(-MAX_SCORE_ADJUST..=MAX_SCORE_ADJUST).contains(&a)
        {
            return Ok(Err(ReviewError::Adjustment(a)));
        }
        let path = self.path.display().to_string();
        let err = |source| StoreError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(err)?;
        let exists = tx
            .query_row("SELECT 1 FROM submissions WHERE id = ?1", [id], |_| Ok(()))
            .optional()
            .map_err(err)?
            .is_some();
        if !exists {
            return Ok(Err(ReviewError::NoSubmission(id)));
        }
        let old: Option<(Option<Grade>, i32, String)> = tx
            .query_row("SELECT grade, score_adjust, comment FROM reviews WHERE submission_id = ?1", [id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()
            .map_err(err)?;
        let (grade, adjust, comment) = old.unwrap_or((None, 0, String::new()));
        tx.execute(
            "INSERT OR REPLACE INTO reviews (submission_id, grade, score_adjust, comment, reviewer, reviewed_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                id,
                input.grade.unwrap_or(grade),
                input.score_adjust.unwrap_or(adjust),
                input.comment.unwrap_or(&comment),
                input.reviewer,
                now()
            ],
        )
        .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(Ok(()))
    }

    /// Set (or change) the review of one check of a submission, named by
    /// its check name (the first check of that name).
    pub fn set_check_review(
        &mut self,
        id: i64,
        check: &str,
        grade: Option<Option<Grade>>,
        comment: Option<&str>,
        reviewer: &str,
    ) -> Result<std::result::Result<(), ReviewError>> {
        let Some(detail) = self.submission_detail(id)? else { return Ok(Err(ReviewError::NoSubmission(id))) };
        let Some(c) = detail.checks.iter().find(|c| c.check == check) else {
            let known = detail.checks.iter().map(|c| c.check.as_str()).collect::<Vec<_>>().join(", ");
            return Ok(Err(ReviewError::NoCheck { id, check: check.to_string(), known }));
        };
        let old = c.review.clone();
        self.conn
            .execute(
                "INSERT OR REPLACE INTO check_reviews (submission_id, idx, grade, comment, reviewer, reviewed_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    id,
                    c.idx,
                    grade.unwrap_or(old.as_ref().and_then(|o| o.grade)),
                    comment.unwrap_or(old.as_ref().map_or("", |o| o.comment.as_str())),
                    reviewer,
                    now()
                ],
            )
            .map_err(self.err())?;
        Ok(Ok(()))
    }

    /// Remove every review of a submission: the automatic verdict counts again.
    pub fn clear_review(&mut self, id: i64) -> Result<bool> {
        let path = self.path.display().to_string();
        let err = |source| StoreError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(err)?;
        let n = tx.execute("DELETE FROM reviews WHERE submission_id = ?1", [id]).map_err(err)?
            + tx.execute("DELETE FROM check_reviews WHERE submission_id = ?1", [id]).map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(n > 0)
    }

    /// Open a stage for every member of a cohort (now and joining later
    /// through an assignment file): recorded for the cohort and for each member.
    pub fn unlock_for_cohort(&mut self, cohort: &str, stage: &str) -> Result<usize> {
        let path = self.path.display().to_string();
        let err = |source| StoreError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(err)?;
        let at = now();
        tx.execute(
            "INSERT OR IGNORE INTO cohort_unlocks (cohort_id, stage_id, unlocked_at) VALUES (?1, ?2, ?3)",
            params![cohort, stage, at],
        )
        .map_err(err)?;
        let n = tx
            .execute(
                "INSERT OR IGNORE INTO stage_unlocks (learner_id, stage_id, reason, unlocked_at)
                 SELECT learner_id, ?2, 'opened for cohort ' || ?1, ?3 FROM cohort_members WHERE cohort_id = ?1",
                params![cohort, stage, at],
            )
            .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(n)
    }

    /// Stages opened for a cohort, by stage id.
    pub fn cohort_unlocks(&self, cohort: &str) -> Result<Vec<String>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT stage_id FROM cohort_unlocks WHERE cohort_id = ?1 ORDER BY stage_id")
            .map_err(self.err())?;
        let rows = st.query_map([cohort], |r| r.get(0)).map_err(self.err())?;
        rows.collect::<std::result::Result<_, _>>().map_err(self.err())
    }

    /// Record the feedback of one file in one transaction. The same review
    /// twice changes nothing; a newer review of the same submission
    /// replaces an older one. Returns what happened to each, in order.
    pub fn record_feedback(&mut self, items: &[Feedback], file_sha256: &str) -> Result<Vec<Imported>> {
        let path = self.path.display().to_string();
        let err = |source| StoreError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(err)?;
        let mut outcomes = Vec::with_capacity(items.len());
        for f in items {
            let old: Option<Feedback> = tx
                .prepare_cached(&format!("{FEEDBACK} WHERE bundle_sha256 = ?1"))
                .map_err(err)?
                .query_row([&f.bundle_sha256], feedback_row)
                .optional()
                .map_err(err)?;
            let outcome = match &old {
                Some(o) if o == f => Imported::Unchanged,
                Some(o) if o.reviewed_at > f.reviewed_at => Imported::Older,
                Some(_) => Imported::Updated,
                None => Imported::New,
            };
            outcomes.push(outcome);
            if matches!(outcome, Imported::Unchanged | Imported::Older) {
                continue;
            }
            let checks = serde_json::to_string(&f.checks).unwrap_or_else(|_| "[]".into());
            tx.prepare_cached(
                "INSERT OR REPLACE INTO feedback (bundle_sha256, exercise_id, attempt, submitted_at, automatic_passed,
                   automatic_score, passed, score, decided_by, grade, score_adjust, comment, checks, reviewer,
                   reviewed_at, file_sha256, imported_at, attempt_number)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
            )
            .map_err(err)?
            .execute(params![
                f.bundle_sha256,
                f.exercise,
                f.attempt,
                f.submitted_at,
                f.automatic_passed,
                f.automatic_score,
                f.record.passed,
                f.record.score,
                f.record.by.as_str(),
                f.grade,
                f.score_adjust,
                f.comment,
                checks,
                f.reviewer,
                f.reviewed_at,
                file_sha256,
                now(),
                f.attempt_number
            ])
            .map_err(err)?;
        }
        tx.commit().map_err(err)?;
        Ok(outcomes)
    }

    /// Imported feedback, newest review first; on one exercise or all.
    pub fn feedback(&self, exercise: Option<&str>) -> Result<Vec<Feedback>> {
        let mut st = self
            .conn
            .prepare_cached(&format!(
                "{FEEDBACK} WHERE ?1 IS NULL OR exercise_id = ?1 ORDER BY reviewed_at DESC, bundle_sha256"
            ))
            .map_err(self.err())?;
        st.query_map([exercise], feedback_row)
            .map_err(self.err())?
            .collect::<std::result::Result<_, _>>()
            .map_err(self.err())
    }
}

const FEEDBACK: &str = "SELECT bundle_sha256, exercise_id, attempt, submitted_at, automatic_passed, automatic_score,
       passed, score, grade, score_adjust, comment, checks, reviewer, reviewed_at, decided_by, attempt_number FROM feedback";

fn feedback_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Feedback> {
    let checks: String = r.get(11)?;
    let grade: Option<Grade> = r.get(8)?;
    let score_adjust: i32 = r.get(9)?;
    let checks: Vec<CheckFeedback> = serde_json::from_str(&checks)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(11, rusqlite::types::Type::Text, Box::new(e)))?;
    Ok(Feedback {
        bundle_sha256: r.get(0)?,
        exercise: r.get(1)?,
        attempt: r.get(2)?,
        attempt_number: r.get(15)?,
        submitted_at: r.get(3)?,
        automatic_passed: r.get(4)?,
        automatic_score: r.get(5)?,
        record: Record {
            passed: r.get(6)?,
            score: r.get(7)?,
            by: if r.get::<_, String>(14)? == DecidedBy::Reviewer.as_str() {
                DecidedBy::Reviewer
            } else {
                DecidedBy::Checks
            },
        },
        grade,
        score_adjust,
        comment: r.get(10)?,
        checks,
        reviewer: r.get(12)?,
        reviewed_at: r.get(13)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_submission_grade_decides_and_the_automatic_verdict_stays() {
        let none = CheckGrades::default();
        let fail_left = CheckGrades { unresolved_failures: 1, ..CheckGrades::default() };
        let passed_by_eye = CheckGrades { passed: 1, ..CheckGrades::default() };
        assert_eq!(grade_of_record(true, 90, None, 0, none), Record { passed: true, score: 90, by: DecidedBy::Checks });
        assert_eq!(
            grade_of_record(true, 90, Some(Grade::Fail), -30, none),
            Record { passed: false, score: 60, by: DecidedBy::Reviewer }
        );
        assert!(!grade_of_record(false, 40, None, 0, fail_left).passed);
        // Every automatic failure passed by eye: the submission passes.
        assert_eq!(
            grade_of_record(false, 40, None, 0, passed_by_eye),
            Record { passed: true, score: 40, by: DecidedBy::Reviewer }
        );
        // Nobody looked: a failure without failing checks (an error) stays failed.
        assert_eq!(grade_of_record(false, 0, None, 0, none), Record { passed: false, score: 0, by: DecidedBy::Checks });
        // A check the reviewer failed fails an automatic pass.
        assert!(!grade_of_record(true, 90, None, 0, CheckGrades { failed: 1, ..CheckGrades::default() }).passed);
        assert_eq!(grade_of_record(true, 95, None, 20, none).score, 100);
    }
}
