//! Progress rules: which exercises are open, which milestones hold, what to
//! do next. Pure functions over the curriculum and the stored stats, so the
//! CLI, the TUI and the reports agree by construction.

use std::collections::HashMap;

use serde::Serialize;

use crate::curriculum::{Curriculum, Stage};
use crate::id::ExerciseId;
use crate::store::{ExerciseStats, MilestoneRow};
use crate::time::Timestamp;

crate::named_enum! {
    pub enum ExerciseStatus ("exercise status") {
        /// Its stage is not open yet.
        Locked = "locked",
        /// Open, never attempted.
        Open = "open",
        /// Attempted, not yet passed.
        Attempted = "attempted",
        Passed = "passed",
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ExerciseProgress {
    pub id: ExerciseId,
    pub title: String,
    pub status: ExerciseStatus,
    pub attempts: u32,
    pub best_score: Option<u32>,
    pub passed_at: Option<Timestamp>,
    pub last_at: Option<Timestamp>,
    pub seconds: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct StageProgress {
    pub id: String,
    pub title: String,
    pub unlocked: bool,
    /// Why the stage is open: "start", "milestone:<stage>" or "instructor".
    pub unlocked_by: Option<String>,
    pub milestone_title: String,
    /// When the milestone was recorded; `None` while not reached.
    pub milestone_reached_at: Option<Timestamp>,
    pub milestone_reached: bool,
    pub passed: u32,
    pub exercises: Vec<ExerciseProgress>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PathProgress {
    pub stages: Vec<StageProgress>,
    /// The suggested next exercise.
    pub next: Option<ExerciseId>,
    pub attempts: u32,
    /// Time spent rendering and checking (the attempts' own wall time).
    pub seconds: f64,
    /// Time spent between runs on an exercise (reading, editing), breaks
    /// over half an hour left out (`Store::study_seconds`).
    pub study_seconds: f64,
}

/// Whether a stage's milestone rule holds for these stats.
pub fn milestone_holds(stage: &Stage, stats: &HashMap<&str, &ExerciseStats>) -> bool {
    let passed = |id: &str| stats.get(id).is_some_and(|s| s.passed);
    let all_required = stage.milestone.pass.iter().all(|id| passed(id));
    let count = stage.exercises.iter().filter(|id| passed(id)).count() as u32;
    all_required && stage.milestone.min_passed.is_none_or(|n| count >= n)
}

/// The stages whose milestone rule holds (used when an attempt completes).
pub fn milestones_holding(curriculum: &Curriculum, stats: &[ExerciseStats]) -> Vec<String> {
    let by_id: HashMap<&str, &ExerciseStats> = stats.iter().map(|s| (s.exercise.as_str(), s)).collect();
    curriculum.stages.iter().filter(|s| milestone_holds(s, &by_id)).map(|s| s.id.clone()).collect()
}

/// A learner's path as the store holds it (the one way every front end asks).
pub fn of_learner(
    curriculum: &Curriculum,
    store: &crate::store::Store,
    learner: &str,
) -> crate::store::Result<PathProgress> {
    let mut p = compute(
        curriculum,
        &store.exercise_stats(learner)?,
        &store.milestones(learner)?,
        &store.stage_unlocks(learner)?,
    );
    p.study_seconds = store.study_seconds(learner)?;
    Ok(p)
}

/// The whole path's state for one learner.
pub fn compute(
    curriculum: &Curriculum,
    stats: &[ExerciseStats],
    milestones: &[MilestoneRow],
    instructor_unlocks: &[String],
) -> PathProgress {
    let by_id: HashMap<&str, &ExerciseStats> = stats.iter().map(|s| (s.exercise.as_str(), s)).collect();
    let recorded: HashMap<&str, &MilestoneRow> = milestones.iter().map(|m| (m.stage.as_str(), m)).collect();
    let reached = |stage: &Stage| recorded.contains_key(stage.id.as_str()) || milestone_holds(stage, &by_id);

    let mut stages = Vec::with_capacity(curriculum.stages.len());
    for stage in &curriculum.stages {
        let unlocked_by = match &stage.unlock_after {
            None => Some("start".to_string()),
            Some(after) if curriculum.stage(after).is_some_and(reached) => Some(format!("milestone:{after}")),
            Some(_) if instructor_unlocks.iter().any(|s| s == &stage.id) => Some("instructor".to_string()),
            Some(_) => None,
        };
        let unlocked = unlocked_by.is_some();
        let exercises: Vec<ExerciseProgress> = stage
            .exercises
            .iter()
            .filter_map(|id| curriculum.exercise(id))
            .map(|e| {
                let s = by_id.get(e.id.as_str());
                let status = match s {
                    Some(s) if s.passed => ExerciseStatus::Passed,
                    _ if !unlocked => ExerciseStatus::Locked,
                    Some(s) if s.attempts > 0 => ExerciseStatus::Attempted,
                    _ => ExerciseStatus::Open,
                };
                ExerciseProgress {
                    id: e.id.clone(),
                    title: e.title.clone(),
                    status,
                    attempts: s.map_or(0, |s| s.attempts),
                    best_score: s.and_then(|s| s.best_score),
                    passed_at: s.and_then(|s| s.first_passed_at),
                    last_at: s.and_then(|s| s.last_at),
                    seconds: s.map_or(0.0, |s| s.seconds),
                }
            })
            .collect();
        stages.push(StageProgress {
            id: stage.id.clone(),
            title: stage.title.clone(),
            unlocked,
            unlocked_by,
            milestone_title: stage.milestone.title.clone(),
            milestone_reached_at: recorded.get(stage.id.as_str()).map(|m| m.reached_at),
            milestone_reached: reached(stage),
            passed: exercises.iter().filter(|e| e.status == ExerciseStatus::Passed).count() as u32,
            exercises,
        });
    }
    let next = suggest_next(&stages);
    PathProgress {
        next,
        attempts: stats.iter().map(|s| s.attempts).sum(),
        seconds: stats.iter().fold(0.0, |acc, s| acc + s.seconds),
        study_seconds: 0.0,
        stages,
    }
}

/// The first unpassed exercise of the first open stage whose milestone is
/// not yet reached; an attempted one before a fresh one in that stage, so a
/// learner finishes what they started.
fn suggest_next(stages: &[StageProgress]) -> Option<ExerciseId> {
    let open: Vec<&StageProgress> = stages.iter().filter(|s| s.unlocked).collect();
    let stage = open
        .iter()
        .find(|s| !s.milestone_reached)
        .or_else(|| open.iter().find(|s| s.passed < s.exercises.len() as u32))?;
    stage
        .exercises
        .iter()
        .find(|e| e.status == ExerciseStatus::Attempted)
        .or_else(|| stage.exercises.iter().find(|e| e.status == ExerciseStatus::Open))
        .map(|e| e.id.clone())
}
